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
            size = (_scaled(op_name, p, "scale_height", height),
                    _scaled(op_name, p, "scale_width", width))
    elif p.mode == "odd_scale":
        size = (_scaled(op_name, p, "scale_height", height, odd=True),
                _scaled(op_name, p, "scale_width", width, odd=True))
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


def _add_at_sorted(xp, target, index, values, axis):
    """``target[index] += values`` along ``axis`` for a non-decreasing ``index`` with
    repeats: each run of equal indices is summed with one ``add.reduceat``."""
    positions, starts = np.unique(index, return_index=True)
    sums = xp.add.reduceat(values, xp.asarray(starts), axis=axis)
    where = [slice(None)] * target.ndim
    where[axis] = xp.asarray(positions)
    target[tuple(where)] += sums


def _spread(xp, ograd, axis, in_size, align_corners, dtype):
    """The transpose of ``_interpolate``: each output's gradient back to its two sources."""
    low, high, lower, upper = _sources(ograd.shape[axis], in_size, align_corners)
    shape = list(ograd.shape)
    shape[axis] = in_size
    grad = xp.zeros(tuple(shape), dtype=dtype)
    _add_at_sorted(xp, grad, low, ograd * xp.asarray(_along(ograd.shape, axis, lower)), axis)
    _add_at_sorted(xp, grad, high, ograd * xp.asarray(_along(ograd.shape, axis, upper)), axis)
    return grad


def _sources_swapped(in_size, out_size, align_corners):
    return _sources(in_size, out_size, align_corners)


def bilinear_resize(xp, data, height, width, align_corners):
    """Resize ``data`` (N, C, H, W) to (N, C, height, width) by bilinear interpolation."""
    dtype = _work_type(data.dtype)
    if data.shape[2:] == (height, width):
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
    # _spread maps along one axis from the output size back to the input size.
    rows = _spread_axis(xp, head, 2, data_shape[2], align_corners, dtype)
    return _spread_axis(xp, rows, 3, data_shape[3], align_corners, dtype)


def _spread_axis(xp, ograd, axis, in_size, align_corners, dtype):
    low, high, lower, upper = _sources(in_size, ograd.shape[axis], align_corners)
    shape = list(ograd.shape)
    shape[axis] = in_size
    grad = xp.zeros(tuple(shape), dtype=dtype)
    if ograd.shape[axis] == 0 or in_size == 0:
        return grad
    weights = (lower, upper)
    for index, weight in zip((low, high), weights):
        scaled = ograd * xp.asarray(_along(ograd.shape, axis, weight.astype(dtype)))
        _add_at_sorted(xp, grad, index, scaled, axis)
    return grad
