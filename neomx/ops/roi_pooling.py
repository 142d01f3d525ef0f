"""ROIPooling: max pooling of regions of interest of NCHW feature maps into a fixed grid of
bins (Fast R-CNN), and the backward operator that routes gradients to each bin's maximum."""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .infer import is_known, shape_str, unify
from .kernels import into
from .params import Float, Params, Shape
from .registry import Op, register
from .spatial import check_ndim, float_type


def _host(array):
    """A NumPy copy of a small device array (CuPy arrays copy to the host with ``get``)."""
    return array.get() if hasattr(array, "get") else array


def _round_half_away(values):
    """C's ``round``: halves go away from zero (NumPy's ``round`` goes to even)."""
    whole = np.trunc(values)
    return whole + np.sign(values) * (np.abs(values - whole) >= 0.5)


class _Windows:
    """The bins of every ROI, computed on the host as MXNet 1.9.1 does.

    For ROI ``i``: ``batch[i]`` (-1 when out of range: the ROI pools to zeros), and bin bounds
    ``rows[i]`` (pooled_h, 2) and ``cols[i]`` (pooled_w, 2) as [start, end) clipped to the map.
    """

    def __init__(self, p, rois, data_shape):
        batch_size, _, height, width = data_shape
        # MXNet computes in the data type (float for float16) with a float32 spatial_scale.
        compute = np.float64 if rois.dtype == np.float64 else np.float32
        rois = _host(rois).astype(compute)
        with np.errstate(invalid="ignore"):
            index = np.trunc(rois[:, 0])
        valid = (index >= 0) & (index < batch_size)
        self.batch = np.where(valid, index, -1).astype(np.int64)
        corners = _round_half_away(rois[:, 1:5] * compute(np.float32(p.spatial_scale)))
        # Far-off corners only need to stay far off: clip before the integer cast.
        corners = np.clip(np.nan_to_num(corners), -(2**40), 2**40).astype(np.int64)
        start_w, start_h, end_w, end_h = corners.T
        self.rows = self._bins(start_h, end_h, p.pooled_size[0], height, compute)
        self.cols = self._bins(start_w, end_w, p.pooled_size[1], width, compute)

    @staticmethod
    def _bins(start, end, count, limit, compute):
        size = np.maximum(end - start + 1, 1).astype(compute)
        step = (size / compute(count))[:, None]
        position = np.arange(count, dtype=compute)[None, :]
        low = np.floor(position * step).astype(np.int64) + start[:, None]
        high = np.ceil((position + 1) * step).astype(np.int64) + start[:, None]
        return np.stack([np.clip(low, 0, limit), np.clip(high, 0, limit)], axis=-1)


def _pool_one(xp, crop, rows, cols):
    """Max-pool ``crop`` (C, h, w) over bins given as boolean masks ``rows`` (ph, h) and
    ``cols`` (pw, w). Max over a rectangle is separable: first over each bin's columns, then
    over its rows. Returns the maxima (C, ph, pw) and their (row, col) in the crop; the first
    maximum in row-major order wins, as in MXNet's scan."""
    low = xp.asarray(-np.inf, dtype=crop.dtype)
    by_col = xp.where(xp.asarray(cols)[None, None], crop[:, :, None, :], low)
    col_max, col_arg = by_col.max(axis=3), by_col.argmax(axis=3)  # (C, h, pw)
    by_row = xp.where(xp.asarray(rows)[None, :, :, None], col_max[:, None], low)
    row_arg = by_row.argmax(axis=2)  # (C, ph, pw)
    return by_row.max(axis=2), row_arg, xp.take_along_axis(col_arg, row_arg, axis=1)


def _each_roi(xp, p, data, rois):
    """Yield (roi, maxima, flat argmax into data, empty-bin mask) for every ROI that covers
    any pixels, with (C, pooled_h, pooled_w) maxima and argmax and a (pooled_h, pooled_w)
    mask."""
    _, channels, height, width = data.shape
    windows = _Windows(p, rois, data.shape)
    for roi, batch in enumerate(windows.batch):
        rows, cols = windows.rows[roi], windows.cols[roi]
        top, bottom = rows[:, 0].min(), rows[:, 1].max()
        left, right = cols[:, 0].min(), cols[:, 1].max()
        if batch < 0 or bottom <= top or right <= left:
            continue
        row_mask = (np.arange(top, bottom) >= rows[:, :1]) & (np.arange(top, bottom) < rows[:, 1:])
        col_mask = (np.arange(left, right) >= cols[:, :1]) & (np.arange(left, right) < cols[:, 1:])
        crop = data[batch, :, top:bottom, left:right]
        maxima, row, col = _pool_one(xp, crop, row_mask, col_mask)
        channel = xp.arange(channels).reshape(-1, 1, 1)
        flat = ((batch * channels + channel) * height + row + top) * width + col + left
        empty = (rows[:, 1] <= rows[:, 0])[:, None] | (cols[:, 1] <= cols[:, 0])[None, :]
        yield roi, maxima, flat, xp.asarray(empty)


def _check_params(op_name, p):
    if len(p.pooled_size) != 2 or min(p.pooled_size) < 1:
        raise MXNetValueError(
            f"{op_name}: pooled_size={p.pooled_size} must be two positive sizes (height, width)"
        )
    if not 0.0 <= p.spatial_scale <= 1.0:
        raise MXNetValueError(f"{op_name}: spatial_scale={p.spatial_scale} must lie in [0, 1]")


def _roi_shapes(op_name, p, data, rois):
    _check_params(op_name, p)
    check_ndim(op_name, "data", data, 4, "batch, channel, height, width")
    check_ndim(op_name, "rois", rois, 2, "num_rois, 5: batch index, x1, y1, x2, y2")
    if rois[1] != 5:
        raise MXNetValueError(
            f"{op_name}: rois has shape {shape_str(rois)}; expected (num_rois, 5) rows of "
            "[batch_index, x1, y1, x2, y2]"
        )
    return (rois[0], data[1]) + tuple(p.pooled_size)


_PARAMS = Params(pooled_size=Shape(), spatial_scale=Float())


@register("ROIPooling")
class ROIPooling(Op):
    """Max-pool each region of interest of ``data`` (N, C, H, W) into ``pooled_size`` bins.

    Each row of ``rois`` (R, 5) is [batch_index, x1, y1, x2, y2] in input-image coordinates;
    ``spatial_scale`` (in [0, 1]) maps them onto the feature map, where corners round half
    away from zero and the box includes both. Bins that cover no pixel, and ROIs whose batch
    index is out of range, give 0. The output has shape (R, C, pooled_h, pooled_w). The
    gradient reaches ``data`` through each bin's maximum; ``rois`` get none.

    >>> data = mx.nd.array(np.arange(16).reshape(1, 1, 4, 4))
    >>> mx.nd.ROIPooling(data, mx.nd.array([[0, 0, 0, 3, 3]]), pooled_size=(2, 2),
    ...                  spatial_scale=1.0)
    <BLANKLINE>
    [[[[ 5.  7.]
       [13. 15.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """

    inputs = ("data", "rois")
    params = _PARAMS

    def infer_shape(self, p, data, rois):
        if not is_known(data) or not is_known(rois):
            _check_params(self.name, p)
            return None
        return (data, rois), (_roi_shapes(self.name, p, data, rois),)

    def infer_type(self, p, data, rois):
        dtype = float_type(self, p, (data, rois))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, data, rois, out=None):
        shape = (rois.shape[0], data.shape[1]) + tuple(p.pooled_size)
        if out is None:
            result = xp.zeros(shape, dtype=data.dtype)
        else:
            result = out
            result.fill(0)
        for roi, maxima, _, empty in _each_roi(xp, p, data, rois):
            result[roi] = xp.where(empty, 0, maxima)
        return result

    def gradient(self, p, F, inputs, outputs, dy):
        data, rois = inputs
        return F._backward_ROIPooling(
            dy[0], data, rois, pooled_size=p.pooled_size, spatial_scale=p.spatial_scale
        ), None


@register("_backward_ROIPooling")
class BackwardROIPooling(Op):
    """Return the gradient of ``ROIPooling(data, rois)`` w.r.t. data: each bin's output
    gradient added at the position of that bin's maximum."""

    inputs = ("ograd", "data", "rois")
    params = _PARAMS
    differentiable = False

    def infer_shape(self, p, ograd, data, rois):
        if not is_known(data) or not is_known(rois):
            _check_params(self.name, p)
            return None
        ograd = unify(self.name, "ograd", ograd, _roi_shapes(self.name, p, data, rois))
        return (ograd, data, rois), (data,)

    def infer_type(self, p, ograd, data, rois):
        dtype = float_type(self, p, (ograd, data, rois))
        return None if dtype is None else ((dtype,) * 3, (dtype,))

    def forward(self, xp, p, ograd, data, rois, out=None):
        indices, values = [], []
        for roi, _, flat, empty in _each_roi(xp, p, data, rois):
            indices.append(flat.reshape(-1))
            values.append(xp.where(empty, 0, ograd[roi]).reshape(-1))
        if not indices:
            return into(xp, xp.zeros_like(data), out)
        summed = xp.bincount(
            xp.concatenate(indices), weights=xp.concatenate(values), minlength=data.size
        )
        return into(xp, summed.astype(data.dtype).reshape(data.shape), out)
