"""Resizing NCHW images: bilinear interpolation (_contrib_BilinearResize2D) and adaptive
average pooling (_contrib_AdaptiveAvgPooling2D), with the backward operators of both.

Both are separable: each output pixel mixes input rows with weights that depend only on its
row, and input columns by its column, so they run as one pass along each spatial axis.
"""

from __future__ import annotations

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify
from ..params import Bool, Enum, Float, Int, Params, Shape
from ..registry import Op, register
from ..spatial import check_ndim, float_type

__all__ = ["BilinearResize2D", "AdaptiveAvgPooling2D"]

_LAYOUT = "batch, channel, height, width"
# MXNet 1.9.1 holds the resized height and width in 16-bit integers.
_MAX_SIZE = 2**15 - 1


def _work_type(dtype):
    """float16 images are interpolated in float32; other dtypes in their own."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _result(value, dtype, out):
    if out is None:
        return value.astype(dtype, copy=False)
    out[...] = value
    return out


# ---- bilinear interpolation -----------------------------------------------------------------


def _scaled(op_name, p, name, size, odd=False):
    """``size`` times a scale parameter, truncated as MXNet does (in float32 arithmetic);
    ``odd`` keeps the ends of odd sizes aligned: (size - 1) * scale + 1."""
    scale = getattr(p, name)
    if scale is None:
        raise MXNetValueError(
            f"{op_name}: mode={p.mode!r} needs both scale_height and scale_width; {name} is "
            "not given"
        )
    if odd and size % 2:
        return int(np.float32(size - 1) * np.float32(scale)) + 1
    return int(np.float32(size) * np.float32(scale))


def _resized(op_name, p, data, like):
    """The output (height, width) for ``p.mode``."""
    height, width = data[2], data[3]
    if p.mode == "size":
        # MXNet 1.9.1 reads both scales once scale_height is given, and ignores a lone
        # scale_width.
        if p.scale_height is None:
            size = (p.height, p.width)
        else:
            size = (
                _scaled(op_name, p, "scale_height", height),
                _scaled(op_name, p, "scale_width", width),
            )
    elif p.mode == "odd_scale":
        size = (
            _scaled(op_name, p, "scale_height", height, odd=True),
            _scaled(op_name, p, "scale_width", width, odd=True),
        )
    elif p.mode == "like":
        size = (like[2], like[3])
    else:
        step = 1 if p.mode.endswith("up") else -1
        keep = 0 if "even" in p.mode else 1
        size = tuple(n if n % 2 == keep else n + step for n in (height, width))
    for name, value in zip(("height", "width"), size):
        if not 0 <= value <= _MAX_SIZE:
            raise MXNetValueError(
                f"{op_name}: the output {name} {value} (mode={p.mode!r}, data "
                f"{shape_str(data)}) must lie in [0, {_MAX_SIZE}]"
            )
    return size


def _sources(in_size, out_size, align_corners):
    """For each output position along one axis: the input positions below and above it and
    their weights, computed in float32 as MXNet does."""
    if out_size > 1:
        ratio = (in_size - 1) / (out_size - 1) if align_corners else in_size / out_size
    else:
        ratio = 0.0
    ratio = np.float32(ratio)
    position = np.arange(out_size, dtype=np.float32)
    if align_corners:
        real = ratio * position
    else:
        real = np.maximum(ratio * (position + np.float32(0.5)) - np.float32(0.5), 0)
    low = real.astype(np.int64)
    high = np.where(low < in_size - 1, low + 1, low)
    upper = (real - low).astype(np.float32)
    return low, high, np.float32(1) - upper, upper


def _along(shape, axis, values):
    """``values`` shaped to broadcast along ``axis`` of an array of ``shape``."""
    view = [1] * len(shape)
    view[axis] = len(values)
    return values.reshape(view)


def _interpolate(xp, data, axis, out_size, align_corners, dtype):
    low, high, lower, upper = _sources(data.shape[axis], out_size, align_corners)
    below = xp.take(data, xp.asarray(low), axis=axis)
    above = xp.take(data, xp.asarray(high), axis=axis)
    below *= xp.asarray(_along(below.shape, axis, lower).astype(dtype))
    above *= xp.asarray(_along(above.shape, axis, upper).astype(dtype))
    below += above
    return below


def _gather_runs(xp, values, index, weights, in_size, axis):
    """For each input position i, the sum of ``weights[o] * values[o]`` over the outputs o
    with ``index[o] == i`` (along ``axis``). ``index`` never decreases, so those outputs form
    a run; the k-th members of all runs are gathered at once, so this costs the longest run
    (about out_size / in_size + 1) gathers rather than a scatter with repeats."""
    counts = np.bincount(index, minlength=in_size)
    starts = np.cumsum(counts) - counts
    total = None
    for step in range(int(counts.max(initial=0))):
        member = np.minimum(starts + step, len(index) - 1)
        scale = np.where(counts > step, weights[member], 0).astype(values.dtype)
        part = xp.take(values, xp.asarray(member), axis=axis)
        part *= xp.asarray(_along(part.shape, axis, scale))
        total = part if total is None else xp.add(total, part, out=total)
    return total


def _spread(xp, ograd, axis, in_size, align_corners, dtype):
    """The transpose of ``_interpolate``: each output's gradient back to its two sources."""
    shape = list(ograd.shape)
    shape[axis] = in_size
    if ograd.shape[axis] == 0:
        return xp.zeros(tuple(shape), dtype=dtype)
    low, high, lower, upper = _sources(in_size, ograd.shape[axis], align_corners)
    grad = _gather_runs(xp, ograd, low, lower, in_size, axis)
    grad += _gather_runs(xp, ograd, high, upper, in_size, axis)
    return grad


def bilinear_resize(xp, data, height, width, align_corners):
    """Resize ``data`` (N, C, H, W) to (N, C, height, width) by bilinear interpolation."""
    dtype = _work_type(data.dtype)
    if data.shape[2:] == (height, width):
        # MXNet copies here; interpolating would turn an infinity beside a pixel into NaN.
        return data.astype(dtype, copy=True)
    values = data.astype(dtype, copy=False)
    columns = _interpolate(xp, values, 3, width, align_corners, dtype)
    return _interpolate(xp, columns, 2, height, align_corners, dtype)


def bilinear_resize_backward(xp, ograd, data_shape, align_corners):
    """The gradient of ``bilinear_resize`` w.r.t. its data, given the output gradient."""
    dtype = _work_type(ograd.dtype)
    if ograd.shape == tuple(data_shape):
        return ograd.astype(dtype, copy=True)
    head = ograd.astype(dtype, copy=False)
    rows = _spread(xp, head, 2, data_shape[2], align_corners, dtype)
    return _spread(xp, rows, 3, data_shape[3], align_corners, dtype)


def _check_resize(op_name, p, data, like):
    check_ndim(op_name, "data", data, 4, _LAYOUT)
    if like is not None:
        check_ndim(op_name, "like", like, 4, _LAYOUT)
    size = _resized(op_name, p, data, like)
    if 0 in data[2:] and any(size):
        raise MXNetValueError(
            f"{op_name}: cannot resize data {shape_str(data)} with empty maps to {size}"
        )
    return data[:2] + size


_MODES = ("like", "odd_scale", "size", "to_even_down", "to_even_up", "to_odd_down", "to_odd_up")


@register("_contrib_BilinearResize2D")
class BilinearResize2D(Op):
    """Resize NCHW images by bilinear interpolation.

    The output size follows ``mode``: ``'size'`` gives (``height``, ``width``), or the input
    size times (``scale_height``, ``scale_width``) truncated when ``scale_height`` is given
    (MXNet 1.9.1 then needs ``scale_width`` too, and ignores a lone ``scale_width``);
    ``'odd_scale'`` scales even sizes the same way and odd ones as ``(n - 1) * scale + 1``;
    ``'like'`` takes the height and width of a second input ``like`` (which gets no
    gradient); ``'to_even_down'``, ``'to_even_up'``, ``'to_odd_down'`` and ``'to_odd_up'``
    move each odd (even) size by one to the nearest even (odd) size.

    With ``align_corners`` (the default) the corner pixels of input and output coincide;
    otherwise pixel centres are spaced evenly, as ``half-pixel`` resizing does. A same-size
    resize copies the input. Data must be floating point.

    >>> mx.nd.contrib.BilinearResize2D(mx.nd.array([[[[0, 2]]]]), height=1, width=3)
    <BLANKLINE>
    [[[[0. 1. 2.]]]]
    <NDArray 1x1x1x3 @cpu(0)>
    """

    inputs = ("data", "like")
    params = Params(
        height=Int(1, min=1, doc="Output height (mode 'size' without scale_height)."),
        width=Int(1, min=1, doc="Output width (mode 'size' without scale_height)."),
        scale_height=Float(None, doc="Height scale (modes 'size' and 'odd_scale')."),
        scale_width=Float(None, doc="Width scale (modes 'size' and 'odd_scale')."),
        mode=Enum(_MODES, "size", doc="How the output size is chosen (see above)."),
        align_corners=Bool(True, doc="Whether the corner pixels of input and output align."),
    )

    def arguments(self, p):
        return self.inputs if p.mode == "like" else ("data",)

    def infer_shape(self, p, data, like=None):
        if p.mode != "like" and like is not None:
            raise MXNetValueError(
                f"{self.name}: a second input (like) is taken only with mode='like'; "
                f"got mode={p.mode!r}"
            )
        if not is_known(data) or (p.mode == "like" and not is_known(like)):
            return None
        out = _check_resize(self.name, p, data, like)
        return ((data, like) if p.mode == "like" else (data,)), (out,)

    def infer_type(self, p, data, like=None):
        # Only like's shape matters: MXNet takes it in any dtype.
        dtype = float_type(self, p, (data,))
        if dtype is None:
            return None
        return ((dtype, like) if p.mode == "like" else (dtype,)), (dtype,)

    def forward(self, xp, p, data, like=None, out=None):
        like_shape = None if like is None else like.shape
        height, width = _resized(self.name, p, data.shape, like_shape)
        return _result(bilinear_resize(xp, data, height, width, p.align_corners), data.dtype, out)

    def gradient(self, p, F, inputs, outputs, dy):
        grad = F._backward_contrib_BilinearResize2D(dy[0], inputs[0], align_corners=p.align_corners)
        return (grad, None) if p.mode == "like" else (grad,)


@register("_backward_contrib_BilinearResize2D")
class BackwardBilinearResize2D(Op):
    """Return the gradient of a bilinear resize of ``data`` w.r.t. data, given the output
    gradient ``ograd`` (whose height and width are the resized ones)."""

    inputs = ("ograd", "data")
    params = Params(align_corners=Bool(True))
    saves = ("ograd", "data")

    def infer_shape(self, p, ograd, data):
        if not is_known(data) or not is_known(ograd):
            return None
        check_ndim(self.name, "data", data, 4, _LAYOUT)
        ograd = unify(self.name, "ograd", ograd, data[:2] + tuple(ograd[2:]))
        return (ograd, data), (data,)

    def infer_type(self, p, ograd, data):
        dtype = float_type(self, p, (ograd, data))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, ograd, data, out=None):
        grad = bilinear_resize_backward(xp, ograd, data.shape, p.align_corners)
        return _result(grad, data.dtype, out)

    def gradient(self, p, F, inputs, outputs, dy):
        # This is the transpose of a linear map; its own transpose is the resize.
        ograd, _ = inputs
        head = F._contrib_BilinearResize2D(dy[0], ograd, mode="like", align_corners=p.align_corners)
        return head, None


# ---- adaptive average pooling ---------------------------------------------------------------


def _adaptive_size(p):
    """MXNet 1.9.1's output size: () -> (1, 1); (s,) -> (s, s); three or more -> (1, 1)."""
    if len(p.output_size) == 1:
        return (p.output_size[0],) * 2
    if len(p.output_size) == 2:
        return tuple(p.output_size)
    return (1, 1)


def _averaging(in_size, out_size, dtype):
    """The (out_size, in_size) matrix averaging each adaptive window: window i covers
    [floor(i * n / m), ceil((i + 1) * n / m))."""
    position = np.arange(out_size)
    start = position * in_size // out_size
    end = -(-(position + 1) * in_size // out_size)
    covered = (np.arange(in_size) >= start[:, None]) & (np.arange(in_size) < end[:, None])
    return (covered / np.maximum(end - start, 1)[:, None]).astype(dtype)


def adaptive_average(xp, data, height, width):
    dtype = _work_type(data.dtype)
    rows = xp.asarray(_averaging(data.shape[2], height, dtype))
    columns = xp.asarray(_averaging(data.shape[3], width, dtype))
    return xp.matmul(xp.matmul(rows, data.astype(dtype, copy=False)), columns.T)


def adaptive_average_backward(xp, ograd, data_shape):
    dtype = _work_type(ograd.dtype)
    rows = xp.asarray(_averaging(data_shape[2], ograd.shape[2], dtype))
    columns = xp.asarray(_averaging(data_shape[3], ograd.shape[3], dtype))
    return xp.matmul(xp.matmul(rows.T, ograd.astype(dtype, copy=False)), columns)


@register("_contrib_AdaptiveAvgPooling2D")
class AdaptiveAvgPooling2D(Op):
    """Average-pool NCHW images into an ``output_size`` grid of windows chosen to fit.

    ``output_size`` is (height, width), or one size for both; empty gives (1, 1) (as do three
    or more sizes, as in MXNet 1.9.1). Output row ``i`` of ``m`` averages input rows
    ``floor(i * H / m)`` to ``ceil((i + 1) * H / m) - 1``, and likewise for columns, so
    windows may overlap. Data must be floating point.

    >>> mx.nd.contrib.AdaptiveAvgPooling2D(mx.nd.array([[[[1, 2, 3, 4]]]]), output_size=(1, 2))
    <BLANKLINE>
    [[[[1.5 3.5]]]]
    <NDArray 1x1x1x2 @cpu(0)>
    """

    params = Params(output_size=Shape((), doc="Output (height, width), or one int for both."))

    def infer_shape(self, p, data):
        if any(size is None or size < 0 for size in p.output_size):
            raise MXNetValueError(
                f"{self.name}: output_size {tuple(p.output_size)} must hold sizes >= 0"
            )
        if not is_known(data):
            return None
        check_ndim(self.name, "data", data, 4, _LAYOUT)
        size = _adaptive_size(p)
        if 0 in data[2:] and any(size):
            raise MXNetValueError(
                f"{self.name}: cannot pool data {shape_str(data)} with empty maps to {size}"
            )
        return (data,), (data[:2] + size,)

    def infer_type(self, p, data):
        dtype = float_type(self, p, (data,))
        return None if dtype is None else ((dtype,), (dtype,))

    def forward(self, xp, p, data, out=None):
        height, width = _adaptive_size(p)
        return _result(adaptive_average(xp, data, height, width), data.dtype, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._backward_contrib_AdaptiveAvgPooling2D(dy[0], inputs[0]),)


@register("_backward_contrib_AdaptiveAvgPooling2D")
class BackwardAdaptiveAvgPooling2D(Op):
    """Return the gradient of adaptive average pooling of ``data`` w.r.t. data, given the
    output gradient ``ograd`` (whose height and width are the pooled ones)."""

    inputs = ("ograd", "data")
    saves = ("ograd", "data")

    def infer_shape(self, p, ograd, data):
        if not is_known(data) or not is_known(ograd):
            return None
        check_ndim(self.name, "data", data, 4, _LAYOUT)
        ograd = unify(self.name, "ograd", ograd, data[:2] + tuple(ograd[2:]))
        return (ograd, data), (data,)

    def infer_type(self, p, ograd, data):
        dtype = float_type(self, p, (ograd, data))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, ograd, data, out=None):
        return _result(adaptive_average_backward(xp, ograd, data.shape), data.dtype, out)

    def gradient(self, p, F, inputs, outputs, dy):
        # The transpose of a linear map; its own transpose is the pooling.
        ograd, _ = inputs
        return F._contrib_AdaptiveAvgPooling2D(dy[0], output_size=ograd.shape[2:]), None
