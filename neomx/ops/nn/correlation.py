"""Correlation (FlowNet's cost volume) and ``_backward_Correlation``, its gradient."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ...base import MXNetError, MXNetValueError
from ..infer import is_known, shape_str, unify
from ..kernels import into_outputs
from ..params import Bool, Int, Params
from ..registry import Op, register
from ..spatial import float_type

_PARAMS = Params(
    kernel_size=Int(1, min=1, doc="The side of the compared patches (odd)."),
    max_displacement=Int(1, min=0, doc="The largest displacement compared."),
    stride1=Int(1, min=1, doc="The step between the patches of data1."),
    stride2=Int(1, min=1, doc="The step between the displacements within a neighbourhood."),
    pad_size=Int(0, min=0, doc="The zeros added on each side of both inputs."),
    is_multiply=Bool(True, doc="Multiply the patches (True) or sum absolute differences."),
)


class _Grid(NamedTuple):
    height: int  # output rows
    width: int  # output columns
    radius: int  # displacements on each side of 0, in steps of stride2
    reach: tuple  # (rows, columns) of the padded data1 region the patches cover


def _grid(op_name, p, shape) -> _Grid:
    """The output geometry for inputs of ``shape`` (N, C, H, W), as MXNet 1.9.1 computes it."""
    if p.kernel_size % 2 == 0:
        # MXNet documents odd sizes and reads past the padded input with even ones.
        raise MXNetValueError(f"{op_name}: kernel_size={p.kernel_size} must be odd")
    border = p.max_displacement + (p.kernel_size - 1) // 2
    padded = (shape[2] + 2 * p.pad_size, shape[3] + 2 * p.pad_size)
    height, width = (math.ceil((size - 2 * border) / p.stride1) for size in padded)
    if height < 1 or width < 1:
        raise MXNetValueError(
            f"{op_name}: the neighbourhood and kernel do not fit in the input: data of shape "
            f"{shape_str(shape)} padded by pad_size={p.pad_size} is smaller than "
            f"2 * (max_displacement + kernel_size // 2) + 1 = {2 * border + 1}"
        )
    reach = tuple(p.stride1 * (n - 1) + p.kernel_size for n in (height, width))
    return _Grid(height, width, p.max_displacement // p.stride2, reach)


def _check_inputs(op_name, data1, data2):
    for name, shape in (("data1", data1), ("data2", data2)):
        if shape is not None and len(shape) != 4:
            raise MXNetValueError(
                f"{op_name}: {name} has shape {shape_str(shape)}; expected 4 dimensions (NCHW)"
            )
    # MXNet 1.9.1 does not compare the shapes and reads out of bounds where they differ.
    return unify(op_name, "data2", data2, data1)


def _output_shape(op_name, p, shape):
    grid = _grid(op_name, p, shape)
    return (shape[0], (2 * grid.radius + 1) ** 2, grid.height, grid.width)


def _padded_nhwc(xp, data, pad, dtype):
    """``data`` (N, C, H, W) as a zero-padded (N, H + 2 pad, W + 2 pad, C) array of ``dtype``,
    so each position's channels are contiguous for the per-pixel inner products."""
    n, c, h, w = data.shape
    padded = xp.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=dtype)
    padded[:, pad : pad + h, pad : pad + w] = xp.moveaxis(data, 1, -1)
    return padded


def _displacements(p, grid):
    """(output channel, row shift, column shift) in MXNet's channel order (rows slowest)."""
    side = 2 * grid.radius + 1
    for channel in range(side * side):
        row, column = divmod(channel, side)
        yield channel, (row - grid.radius) * p.stride2, (column - grid.radius) * p.stride2


def _regions(p, grid, dy, dx):
    """The slices of the padded data1 and data2 that a displacement (dy, dx) compares."""
    top = p.max_displacement
    rows, columns = grid.reach
    first = (slice(None), slice(top, top + rows), slice(top, top + columns))
    second = (
        slice(None),
        slice(top + dy, top + dy + rows),
        slice(top + dx, top + dx + columns),
    )
    return first, second


def _patch_offsets(p, grid):
    """The slices of a per-pixel map that each point of the kernel window reads."""
    k, s = p.kernel_size, p.stride1
    for i in range(k):
        for j in range(k):
            yield (
                slice(None),
                slice(i, i + s * (grid.height - 1) + 1, s),
                slice(j, j + s * (grid.width - 1) + 1, s),
            )


def _compute_dtype(dtype):
    # Sums over patches and channels accumulate in float32 for float16 inputs.
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


@register("Correlation")
class Correlation(Op):
    """Compare patches of two feature maps at every displacement in a neighbourhood.

    For each output position (i, j) a ``kernel_size`` square patch of ``data1`` starting at
    (i * stride1 + max_displacement, j * stride1 + max_displacement) in the zero-padded input
    is compared with the patch of ``data2`` displaced by (dy, dx), both multiples of
    ``stride2`` up to ``max_displacement``: the mean over the patch and all channels of the
    products (``is_multiply``) or of the absolute differences. Output channel
    ``(dy / stride2 + r) * (2r + 1) + dx / stride2 + r`` (r = max_displacement // stride2)
    holds displacement (dy, dx); the output has shape (N, (2r + 1)**2, ceil((H + 2 *
    pad_size - 2 * border) / stride1), likewise for W) with border = max_displacement +
    kernel_size // 2. Both inputs must have the same shape (N, C, H, W).

    >>> x = mx.nd.ones((1, 2, 3, 3))
    >>> mx.nd.Correlation(x, x, max_displacement=1, pad_size=1).shape
    (1, 9, 3, 3)
    """

    inputs = ("data1", "data2")
    params = _PARAMS
    saves = ("data1", "data2")

    def infer_shape(self, p, data1, data2):
        data2 = _check_inputs(self.name, data1, data2)
        if not is_known(data2):
            return None
        return (data2, data2), (_output_shape(self.name, p, data2),)

    def infer_type(self, p, data1, data2):
        dtype = float_type(self, p, (data1, data2))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, data1, data2, out=None):
        grid = _grid(self.name, p, data1.shape)
        dtype = _compute_dtype(data1.dtype)
        first = _padded_nhwc(xp, data1, p.pad_size, dtype)
        second = _padded_nhwc(xp, data2, p.pad_size, dtype)
        batch, channels = data1.shape[:2]
        side = 2 * grid.radius + 1
        result = xp.empty((batch, side * side, grid.height, grid.width), dtype=dtype)
        scale = dtype.type(1.0 / (p.kernel_size**2 * channels)) if channels else 0
        offsets = list(_patch_offsets(p, grid))
        for channel, dy, dx in _displacements(p, grid):
            region1, region2 = _regions(p, grid, dy, dx)
            a, b = first[region1], second[region2]
            # Per pixel: the sum over channels, then over the kernel window.
            if p.is_multiply:
                pixels = xp.einsum("nhwc,nhwc->nhw", a, b)
            else:
                pixels = xp.abs(a - b).sum(axis=-1)
            target = result[:, channel]
            xp.copyto(target, pixels[offsets[0]])
            for window in offsets[1:]:
                target += pixels[window]
        result *= scale
        if out is None:
            return result.astype(data1.dtype, copy=False)
        xp.copyto(out, result, casting="unsafe")
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        return tuple(F._backward_Correlation(dy[0], *inputs, **p._asdict()))


@register("_backward_Correlation")
class CorrelationBackward(Op):
    """Return the gradients of ``Correlation(data1, data2)`` w.r.t. both inputs, given the
    output gradient ``ograd``.

    Where the inputs tie, the absolute difference (``is_multiply=False``) has slope +1 for
    data1 and -1 for data2, as in MXNet. Differentiable again for ``is_multiply=True`` (the
    gradients are bilinear in ograd and the inputs); not for the absolute difference.
    """

    inputs = ("ograd", "data1", "data2")
    params = _PARAMS

    def num_outputs(self, p):
        return 2

    def infer_shape(self, p, ograd, data1, data2):
        data2 = _check_inputs(self.name, data1, data2)
        if not is_known(data2):
            return None
        ograd = unify(self.name, "ograd", ograd, _output_shape(self.name, p, data2))
        return (ograd, data2, data2), (data2, data2)

    def infer_type(self, p, ograd, data1, data2):
        dtype = float_type(self, p, (ograd, data1, data2))
        return None if dtype is None else ((dtype,) * 3, (dtype, dtype))

    def forward(self, xp, p, ograd, data1, data2, out=None):
        grid = _grid(self.name, p, data1.shape)
        dtype = _compute_dtype(data1.dtype)
        first = _padded_nhwc(xp, data1, p.pad_size, dtype)
        second = _padded_nhwc(xp, data2, p.pad_size, dtype)
        d_first, d_second = xp.zeros_like(first), xp.zeros_like(second)
        batch, channels = data1.shape[:2]
        scale = dtype.type(1.0 / (p.kernel_size**2 * channels)) if channels else 0
        heads = ograd.astype(dtype) * scale
        rows, columns = grid.reach
        pixels = xp.empty((batch, rows, columns), dtype=dtype)
        offsets = list(_patch_offsets(p, grid))
        for channel, dy, dx in _displacements(p, grid):
            region1, region2 = _regions(p, grid, dy, dx)
            # Spread each output's gradient over the pixels of its kernel window.
            pixels[...] = 0
            for window in offsets:
                pixels[window] += heads[:, channel]
            weights = pixels[..., None]
            if p.is_multiply:
                d_first[region1] += weights * second[region2]
                d_second[region2] += weights * first[region1]
            else:
                slope = xp.where(first[region1] >= second[region2], weights, -weights)
                d_first[region1] += slope
                d_second[region2] -= slope
        h, w = data1.shape[2:]
        inner = (slice(None), slice(p.pad_size, p.pad_size + h), slice(p.pad_size, p.pad_size + w))
        results = tuple(
            xp.moveaxis(grad[inner], -1, 1).astype(data1.dtype, copy=False)
            for grad in (d_first, d_second)
        )
        return into_outputs(xp, results, out)

    def gradient(self, p, F, inputs, outputs, dy):
        if not p.is_multiply:
            raise MXNetError(
                f"{self.name}: has no gradient with is_multiply=False; only the product form "
                "is differentiable again"
            )
        ograd, data1, data2 = inputs
        head1, head2 = dy
        params = p._asdict()
        # The gradients are bilinear: d1 = B1(ograd, data2) and d2 = B2(ograd, data1), with
        # <h1, B1(g, b)> = <g, Correlation(h1, b)> and <h2, B2(g, a)> = <g, Correlation(a, h2)>.
        # So d/dg = Correlation(h1, b) + Correlation(a, h2), d/da = B1(g, h2) and
        # d/db = B2(g, h1): both are one _backward_Correlation(g, h1, h2).
        d_ograd = F.elemwise_add(
            F.Correlation(head1, data2, **params), F.Correlation(data1, head2, **params)
        )
        d_data1, d_data2 = F._backward_Correlation(ograd, head1, head2, **params)
        return d_ograd, d_data1, d_data2
