"""Normalizations without learned parameters: L2Normalization and LRN (local response
normalization across channels)."""

from __future__ import annotations

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify_dtype
from ..params import REQUIRED, Enum, Float, Int, Params
from ..registry import Op, register
from .norm_common import check_float, compute_dtype, finish, result_buffer

__all__ = ["L2Normalization", "LRN", "LRNBackward"]


def _float_type(op, p, data):
    if data is None:
        return None
    dtype = check_float(op.name, data)
    return (dtype,), (dtype,) * op.num_outputs(p)


# ---- L2Normalization ----------------------------------------------------------------------

_L2_MODES = ("channel", "instance", "spatial")


def _l2_axes(mode: str, ndim: int) -> tuple[int, ...]:
    """The axes whose elements share one norm."""
    if mode == "instance":
        return tuple(range(1, ndim))
    if mode == "channel":
        return (1,)
    return tuple(range(2, ndim))


@register("L2Normalization")
class L2Normalization(Op):
    """Divide ``data`` by its L2 norm ``sqrt(sum(data ** 2) + eps)``, taken per sample over
    all other axes (``mode='instance'``), across the channels at each position (``'channel'``)
    or over the spatial axes of each channel (``'spatial'``).

    A 1-D array is a batch of one-element samples in instance mode (MXNet 1.9.1's rule).
    A hidden second output holds the norms (reduced axes kept) for the gradient.

    >>> mx.nd.L2Normalization(mx.nd.array([[3., 4.]]), eps=0)
    <BLANKLINE>
    [[0.6 0.8]]
    <NDArray 1x2 @cpu(0)>
    """

    params = Params(
        eps=Float(float(np.float32(1e-10)), doc="Added to the sum of squares."),
        mode=Enum(_L2_MODES, "instance", doc="Which elements share one norm."),
    )
    saves = ("outputs",)

    def num_outputs(self, p):
        return 2

    def num_visible_outputs(self, p):
        return 1

    def output_names(self, p):
        return ("output", "norm")

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if p.mode != "instance" and len(data) < 3:
            raise MXNetValueError(
                f"{self.name}: mode='{p.mode}' needs data of 3 or more dimensions, got shape "
                f"{shape_str(data)}"
            )
        axes = _l2_axes(p.mode, len(data))
        norm = tuple(1 if i in axes else n for i, n in enumerate(data))
        return (data,), (data, norm)

    def infer_type(self, p, data):
        return _float_type(self, p, data)

    def forward(self, xp, p, data, out=None):
        out_buf, norm_buf = (None, None) if out is None else out
        dtype = compute_dtype(data.dtype)
        shape = data.shape
        # As (outer, K, inner) with the norm taken over K: one einsum pass, no temporary.
        # Explicit sizes, not -1: reshape cannot infer a dimension of a zero-size array.
        rest = int(np.prod(shape[2:], dtype=np.int64))
        if p.mode == "instance":
            grouped = (shape[0], int(np.prod(shape[1:], dtype=np.int64)), 1)
        elif p.mode == "channel":
            grouped = (shape[0], shape[1], rest)
        else:
            grouped = (shape[0] * shape[1], rest, 1)
        x3 = xp.ascontiguousarray(data, dtype=dtype).reshape(grouped)
        squares = xp.einsum("akb,akb->ab", x3, x3)[:, None, :]
        norm = xp.sqrt(squares + dtype.type(np.float32(p.eps)))
        y3, in_out = result_buffer(xp, out_buf if dtype == data.dtype else None, x3.shape, dtype)
        xp.divide(x3, norm, out=y3)
        axes = _l2_axes(p.mode, data.ndim)
        norm_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
        return (
            finish(xp, y3, shape, data.dtype, out_buf, in_out),
            finish(xp, norm, norm_shape, data.dtype, norm_buf, False),
        )

    def gradient(self, p, F, inputs, outputs, dy):
        y, norm = outputs
        axes = _l2_axes(p.mode, len(y.shape))
        # d(x / |x|) = (dy - y * sum(dy * y)) / |x| over the elements sharing the norm.
        along = F.elemwise_mul(dy[0], y)
        if axes:
            along = F.sum(along, axis=axes, keepdims=True)
        return (F.broadcast_div(F.elemwise_sub(dy[0], F.broadcast_mul(y, along)), norm),)


# ---- LRN ----------------------------------------------------------------------------------


def _window_sum(xp, values, nsize):
    """Sum over a window of ``nsize`` (odd) channels centred on each channel, clipped at the
    edges: one slice addition per offset, exact and without a padded copy."""
    total = values.copy()
    channels = values.shape[1]
    for offset in range(1, nsize // 2 + 1):
        if offset >= channels:
            break
        total[:, offset:] += values[:, :-offset]
        total[:, :-offset] += values[:, offset:]
    return total


def _check_lrn(op, p, data):
    if len(data) != 4:
        raise MXNetValueError(
            f"{op.name}: data must be 4-D (batch, channel, height, width), got shape "
            f"{shape_str(data)}"
        )
    if p.nsize % 2 == 0:
        raise MXNetValueError(f"{op.name}: nsize={p.nsize} must be odd (a centred window)")
    if p.nsize > data[1]:
        raise MXNetValueError(
            f"{op.name}: nsize={p.nsize} is larger than the {data[1]} channels of data "
            f"{shape_str(data)}"
        )


def _lrn_params(nsize_default=REQUIRED):
    return Params(
        alpha=Float(float(np.float32(1e-4)), doc="The scale of the sum of squares."),
        beta=Float(0.75, doc="The exponent."),
        knorm=Float(2.0, doc="The constant added to the scaled sum of squares."),
        nsize=Int(nsize_default, min=1, doc="The window width in channels (odd)."),
    )


@register("LRN")
class LRN(Op):
    """Divide each element by ``(knorm + alpha / nsize * s) ** beta``, where ``s`` sums the
    squares of the ``nsize`` channels centred on its own (clipped at the edges), at the same
    sample and position.

    ``data`` is 4-D (batch, channel, height, width) and ``nsize`` odd and at most the channel
    count, as MXNet 1.9.1's kernels require. A hidden second output holds the denominators'
    base ``knorm + alpha / nsize * s`` for the gradient.

    >>> mx.nd.LRN(mx.nd.ones((1, 1, 1, 1)), nsize=1, alpha=1, beta=1, knorm=1)
    <BLANKLINE>
    [[[[0.5]]]]
    <NDArray 1x1x1x1 @cpu(0)>
    """

    params = _lrn_params()
    saves = ("data", "outputs")

    def num_outputs(self, p):
        return 2

    def num_visible_outputs(self, p):
        return 1

    def output_names(self, p):
        return ("output", "tmp_norm")

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        _check_lrn(self, p, data)
        return (data,), (data, data)

    def infer_type(self, p, data):
        return _float_type(self, p, data)

    def forward(self, xp, p, data, out=None):
        out_buf, norm_buf = (None, None) if out is None else out
        dtype = compute_dtype(data.dtype)
        x = xp.asarray(data, dtype=dtype)
        scale = _window_sum(xp, x * x, p.nsize)
        scale *= dtype.type(np.float32(p.alpha) / np.float32(p.nsize))
        scale += dtype.type(np.float32(p.knorm))
        y = xp.power(scale, dtype.type(-np.float32(p.beta)))
        y *= x
        return (
            finish(xp, y, data.shape, data.dtype, out_buf, False),
            finish(xp, scale, data.shape, data.dtype, norm_buf, False),
        )

    def gradient(self, p, F, inputs, outputs, dy):
        grad = F._backward_LRN(
            dy[0],
            inputs[0],
            outputs[1],
            alpha=p.alpha,
            beta=p.beta,
            knorm=p.knorm,
            nsize=p.nsize,
        )
        return (grad,)


@register("_backward_LRN")
class LRNBackward(Op):
    """The gradient of ``LRN``'s data from the output gradient ``ograd``, the data and the
    forward's ``tmp_norm`` output ``t``::

        dx = ograd * t ** -beta
             - 2 * alpha * beta / nsize * data * window_sum(ograd * data * t ** (-beta - 1))

    (the window is symmetric, so summing over it is its own adjoint).
    """

    inputs = ("ograd", "data", "tmp_norm")
    params = _lrn_params()
    differentiable = False

    def infer_shape(self, p, ograd, data, tmp_norm):
        shape = next((s for s in (data, ograd, tmp_norm) if s is not None), None)
        if not is_known(shape):
            return None
        for name, given in zip(self.inputs, (ograd, data, tmp_norm)):
            if given is not None and tuple(given) != tuple(shape):
                raise MXNetValueError(
                    f"{self.name}: {name} has shape {shape_str(given)}; expected "
                    f"{shape_str(shape)} (ograd, data and tmp_norm share one shape)"
                )
        _check_lrn(self, p, shape)
        return (shape,) * 3, (shape,)

    def infer_type(self, p, ograd, data, tmp_norm):
        dtype = unify_dtype(self.name, self.inputs, (ograd, data, tmp_norm))
        if dtype is None:
            return None
        return (check_float(self.name, dtype),) * 3, (np.dtype(dtype),)

    def forward(self, xp, p, ograd, data, tmp_norm, out=None):
        dtype = compute_dtype(data.dtype)
        dy = xp.asarray(ograd, dtype=dtype)
        x = xp.asarray(data, dtype=dtype)
        scale = xp.asarray(tmp_norm, dtype=dtype)
        beta = dtype.type(np.float32(p.beta))
        scaled = xp.power(scale, -beta)
        inner = dy * x
        inner *= scaled
        inner /= scale
        spread = _window_sum(xp, inner, p.nsize)
        factor = 2 * np.float32(p.alpha) * np.float32(p.beta) / np.float32(p.nsize)
        spread *= x
        spread *= dtype.type(factor)
        dx = dy * scaled
        dx -= spread
        return finish(xp, dx, data.shape, data.dtype, out, False)
