"""``im2col`` and ``col2im``: sliding blocks of an image to columns and back (each is the
other's gradient)."""

from __future__ import annotations

import itertools
import math

from ..base import MXNetValueError
from .infer import is_known, shape_str
from .kernels import into
from .params import Params, Shape
from .registry import Op, register


def _geometry(op_name, p):
    """(kernel, stride, dilate, pad) as tuples of one length, defaults filled in."""
    kernel = tuple(p.kernel)
    if not 1 <= len(kernel) <= 3:
        raise MXNetValueError(
            f"{op_name}: kernel {kernel} must have 1, 2 or 3 dimensions: (w,), (h, w) or (d, h, w)"
        )
    filled = []
    for name, value, default, low in (
        ("stride", p.stride, 1, 1),
        ("dilate", p.dilate, 1, 1),
        ("pad", p.pad, 0, 0),
    ):
        value = tuple(value) if value else (default,) * len(kernel)
        if len(value) != len(kernel):
            raise MXNetValueError(
                f"{op_name}: {name} {value} must have as many dimensions as kernel {kernel}"
            )
        if any(v < low for v in value):
            raise MXNetValueError(f"{op_name}: {name} {value} must be >= {low} everywhere")
        filled.append(value)
    if any(k < 1 for k in kernel):
        raise MXNetValueError(f"{op_name}: kernel {kernel} must be >= 1 everywhere")
    return (kernel, *filled)


def _blocks(op_name, p, spatial):
    """The number of block positions along each spatial axis of an image of size ``spatial``."""
    kernel, stride, dilate, pad = _geometry(op_name, p)
    counts = []
    for size, k, s, d, q in zip(spatial, kernel, stride, dilate, pad):
        span = d * (k - 1) + 1
        if span > size + 2 * q:
            raise MXNetValueError(
                f"{op_name}: the dilated kernel spans {span}, more than the padded input "
                f"size {size + 2 * q} (kernel {kernel}, dilate {dilate}, pad {pad}, "
                f"spatial shape {tuple(spatial)})"
            )
        counts.append((size + 2 * q - span) // s + 1)
    return tuple(counts)


def _windows(kernel, stride, dilate, counts):
    """For each kernel offset (row-major), the slices of the padded image it reads."""
    for offset in itertools.product(*(range(k) for k in kernel)):
        yield (slice(None), slice(None)) + tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(offset, dilate, stride, counts)
        )


_KERNEL = Shape(doc="The block size: (w,), (h, w) or (d, h, w).")
_STRIDE = Shape((), doc="The step between blocks per spatial axis (default 1).")
_DILATE = Shape((), doc="The spacing of the kernel's points per spatial axis (default 1).")
_PAD = Shape((), doc="The zeros added on both sides of each spatial axis (default 0).")


class _Geometry(Op):
    params = Params(kernel=_KERNEL, stride=_STRIDE, dilate=_DILATE, pad=_PAD)
    # Each gradient is the other operator: it needs no saved values, only shapes.
    saves = ()


@register("im2col")
class Im2col(_Geometry):
    """Extract the sliding blocks of an image into columns.

    ``data`` of shape (N, C, *spatial) with 1 to 3 spatial axes gives (N, C * prod(kernel),
    L): one column per block position (L is the spatial size of a convolution output with
    the same kernel, stride, dilate and pad), one row per channel and kernel offset,
    channels varying slowest. Padding is zeros. Multiplying by a reshaped convolution
    weight turns the columns into a convolution.

    >>> mx.nd.im2col(mx.nd.ones((1, 1, 3, 3)), kernel=(2, 2)).shape
    (1, 4, 4)
    """

    def infer_shape(self, p, data):
        kernel = _geometry(self.name, p)[0]
        if not is_known(data):
            return None
        if len(data) != 2 + len(kernel):
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; a {len(kernel)}-d kernel "
                f"{kernel} needs (N, C) and {len(kernel)} spatial dimensions"
            )
        counts = _blocks(self.name, p, data[2:])
        return (data,), ((data[0], data[1] * math.prod(kernel), math.prod(counts)),)

    def forward(self, xp, p, data, out=None):
        kernel, stride, dilate, pad = _geometry(self.name, p)
        counts = _blocks(self.name, p, data.shape[2:])
        padded = xp.pad(data, ((0, 0), (0, 0)) + tuple((q, q) for q in pad)) if any(pad) else data
        windows = _windows(kernel, stride, dilate, counts)
        columns = xp.stack([padded[window] for window in windows], axis=2)
        n, c = data.shape[:2]
        return into(xp, columns.reshape(n, c * math.prod(kernel), math.prod(counts)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        spatial = tuple(inputs[0].shape[2:])
        return (
            F.col2im(
                dy[0],
                output_size=spatial,
                kernel=p.kernel,
                stride=p.stride,
                dilate=p.dilate,
                pad=p.pad,
            ),
        )


@register("col2im")
class Col2im(_Geometry):
    """Sum columns of sliding blocks back into an image of spatial shape ``output_size``.

    The layout is ``im2col``'s: ``data`` of shape (N, C * prod(kernel), L) gives (N, C,
    *output_size). Where blocks overlap their values add up, so col2im is the gradient of
    im2col (and not its inverse), and im2col the gradient of col2im.

    >>> mx.nd.col2im(mx.nd.ones((1, 4, 4)), output_size=(3, 3), kernel=(2, 2))[0, 0]
    <BLANKLINE>
    [[1. 2. 1.]
     [2. 4. 2.]
     [1. 2. 1.]]
    <NDArray 3x3 @cpu(0)>
    """

    params = Params(
        output_size=Shape(doc="The spatial shape of the image: (w,), (h, w) or (d, h, w)."),
        kernel=_KERNEL,
        stride=_STRIDE,
        dilate=_DILATE,
        pad=_PAD,
    )

    def _image_shape(self, p, data):
        kernel = _geometry(self.name, p)[0]
        if len(p.output_size) != len(kernel):
            raise MXNetValueError(
                f"{self.name}: output_size {p.output_size} must have as many dimensions as "
                f"kernel {kernel}"
            )
        counts = _blocks(self.name, p, p.output_size)
        rows = math.prod(kernel)
        if len(data) != 3 or data[1] % rows or data[2] != math.prod(counts):
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; expected (N, C * {rows}, "
                f"{math.prod(counts)}) for kernel {kernel} over output_size {p.output_size}"
            )
        return (data[0], data[1] // rows) + tuple(p.output_size), counts

    def infer_shape(self, p, data):
        _geometry(self.name, p)
        if not is_known(data):
            return None
        return (data,), (self._image_shape(p, data)[0],)

    def forward(self, xp, p, data, out=None):
        kernel, stride, dilate, pad = _geometry(self.name, p)
        shape, counts = self._image_shape(p, data.shape)
        padded_shape = shape[:2] + tuple(s + 2 * q for s, q in zip(shape[2:], pad))
        padded = xp.zeros(padded_shape, dtype=data.dtype)
        columns = data.reshape(shape[:2] + (math.prod(kernel),) + counts)
        for k, window in enumerate(_windows(kernel, stride, dilate, counts)):
            padded[window] += columns[:, :, k]
        inner = (slice(None), slice(None)) + tuple(slice(q, q + s) for q, s in zip(pad, shape[2:]))
        return into(xp, padded[inner], out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.im2col(dy[0], kernel=p.kernel, stride=p.stride, dilate=p.dilate, pad=p.pad),)
