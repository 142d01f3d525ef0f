"""_contrib_ROIAlign: average bilinear samples of regions of interest of NCHW feature maps
into a fixed grid of bins (Mask R-CNN), optionally position-sensitive (R-FCN), and the
backward operator.

Sampling is separable: a sample's bilinear weight is a row weight times a column weight, and
whether it falls off the map is decided per row and per column. So each ROI's pooling is
``rows @ image @ columns.T`` with a (pooled_h, H) row matrix and a (pooled_w, W) column
matrix, and all ROIs of one image share one matrix product with that image.
"""

from __future__ import annotations

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify
from ..params import Bool, Float, Int, Params, Shape
from ..registry import Op, register
from ..spatial import check_ndim, float_type

__all__ = ["ROIAlign", "BackwardROIAlign"]


def _host(array):
    """A NumPy copy of a small device array (CuPy arrays copy to the host with ``get``)."""
    return array.get() if hasattr(array, "get") else np.asarray(array)


def _axis_weights(start, bin_size, grid, pooled, size, compute):
    """The (R, pooled, size) matrix mixing the input rows (or columns) of each ROI's bins.

    Bin ``i`` of ROI ``r`` averages ``grid[r]`` samples at ``start + i * bin + (g + 0.5) *
    bin / grid`` (MXNet's order of operations, in the ROI dtype). A sample beyond one pixel
    off the map weighs nothing; one left of 0 is read at 0 and one past the last pixel at
    the last pixel.
    """
    count = len(start)
    most = int(grid.max()) if count else 0
    if count == 0 or most <= 0 or size == 0:
        return np.zeros((count, pooled, size), dtype=compute)
    step = np.arange(most, dtype=compute) + compute(0.5)
    position = np.arange(pooled, dtype=compute)
    first = start[:, None, None] + position[None, :, None] * bin_size[:, None, None]
    # Unused rows (grid 0: ROIs off every image) divide by 1 to stay finite.
    divisor = np.maximum(grid, 1)[:, None, None]
    sample = first + step[None, None, :] * bin_size[:, None, None] / divisor
    used = (
        (np.arange(most)[None, None, :] < grid[:, None, None]) & (sample >= -1.0) & (sample <= size)
    )
    sample = np.maximum(sample, 0)
    low = np.trunc(sample).astype(np.int64)
    last = low >= size - 1
    low = np.where(last, size - 1, low)
    high = np.where(last, low, low + 1)
    upper = np.where(last, 0, sample - low).astype(compute)
    lower = compute(1) - upper
    # Sum each sample's two weights into its bin's row of the matrix.
    bins = np.arange(count)[:, None, None] * pooled + position.astype(np.int64)[None, :, None]
    weights = np.zeros(count * pooled * size)
    for index, weight in ((low, lower), (high, upper)):
        flat = (bins * size + index)[used]
        weights += np.bincount(flat, weights=weight[used], minlength=weights.size)
    weights = weights.reshape(count, pooled, size) / np.maximum(grid, 1)[:, None, None]
    return weights.astype(compute)


class _Sampling:
    """Where every ROI samples: its image (``batch``, -1 for none) and row and column
    weight matrices ``rows`` (R, pooled_h, H) and ``columns`` (R, pooled_w, W)."""

    def __init__(self, op_name, p, rois, data_shape):
        batch_size, _, height, width = data_shape
        compute = np.float64 if rois.dtype == np.float64 else np.float32
        rois = _host(rois).astype(compute)
        with np.errstate(invalid="ignore"):
            index = np.trunc(rois[:, 0])
        valid = (index >= 0) & (index < batch_size)
        self.batch = np.where(valid, index, -1).astype(np.int64)
        # MXNet's spatial_scale is a float32 parameter; aligned moves pixel centres by half.
        offset = compute(0.5 if p.aligned else 0.0)
        corners = rois[:, 1:5] * compute(np.float32(p.spatial_scale)) - offset
        start_w, start_h, end_w, end_h = corners.T
        roi_w, roi_h = end_w - start_w, end_h - start_h
        if p.aligned:
            bad = np.flatnonzero(valid & ~((roi_w > 0) & (roi_h > 0)))
            if bad.size:
                raise MXNetValueError(
                    f"{op_name}: with aligned=True every ROI needs x2 > x1 and y2 > y1 after "
                    f"scaling; ROI {bad[0]} is {rois[bad[0]].tolist()}"
                )
        else:
            # Kept for compatibility with the first ROIAlign: boxes are at least 1 wide.
            roi_w, roi_h = np.maximum(roi_w, 1), np.maximum(roi_h, 1)
        pooled_h, pooled_w = p.pooled_size
        bin_h, bin_w = roi_h / compute(pooled_h), roi_w / compute(pooled_w)
        if p.sample_ratio > 0:
            grid_h = grid_w = np.full(len(rois), p.sample_ratio, dtype=compute)
        else:
            grid_h, grid_w = np.ceil(roi_h / pooled_h), np.ceil(roi_w / pooled_w)
        # ROIs off every image sample nothing (NaN boxes neither).
        grid_h = np.where(valid, np.nan_to_num(grid_h), 0).astype(compute)
        grid_w = np.where(valid, np.nan_to_num(grid_w), 0).astype(compute)
        self.rows = _axis_weights(start_h, bin_h, grid_h, pooled_h, height, compute)
        self.columns = _axis_weights(start_w, bin_w, grid_w, pooled_w, width, compute)

    def images(self):
        """Yield (image index, ROI indices) for every image some ROI samples."""
        for image in np.unique(self.batch[self.batch >= 0]):
            yield int(image), np.flatnonzero(self.batch == image)


def _picked(xp, p, pooled, channels):
    """Position-sensitive pooling: bin (i, j) of output channel c reads input channel
    ``(c * pooled_h + i) * pooled_w + j``. ``pooled`` (R, pooled_h, C_in, pooled_w) holds
    every input channel at every bin; return (R, C_out, pooled_h, pooled_w)."""
    pooled_h, pooled_w = p.pooled_size
    count = pooled.shape[0]
    split = pooled.reshape(count, pooled_h, channels, pooled_h, pooled_w, pooled_w)
    return xp.einsum("kicijj->kcij", split)


def roi_align(xp, p, data, rois, out=None):
    """The ROIAlign forward: (R, C_out, pooled_h, pooled_w)."""
    _, channels, height, width = data.shape
    pooled_h, pooled_w = p.pooled_size
    out_channels = channels // (pooled_h * pooled_w) if p.position_sensitive else channels
    shape = (rois.shape[0], out_channels, pooled_h, pooled_w)
    result = xp.zeros(shape, dtype=data.dtype) if out is None else out
    if out is not None:
        result.fill(0)
    sampling = _Sampling("_contrib_ROIAlign", p, rois, data.shape)
    compute = sampling.rows.dtype
    for image, members in sampling.images():
        # (H, C * W): one product applies every member ROI's row weights at once.
        plane = data[image].astype(compute, copy=False).transpose(1, 0, 2)
        plane = plane.reshape(height, channels * width)
        rows = xp.asarray(sampling.rows[members]).reshape(-1, height)
        mixed = (rows @ plane).reshape(len(members), pooled_h * channels, width)
        columns = xp.asarray(sampling.columns[members]).transpose(0, 2, 1)
        pooled = xp.matmul(mixed, columns).reshape(len(members), pooled_h, channels, pooled_w)
        if p.position_sensitive:
            pooled = _picked(xp, p, pooled, out_channels)
        else:
            pooled = pooled.transpose(0, 2, 1, 3)
        result[xp.asarray(members)] = pooled
    return result


def roi_align_backward(xp, p, ograd, data, rois, out=None):
    """The gradient of ROIAlign w.r.t. data: each bin's gradient spread over its samples."""
    _, channels, height, width = data.shape
    pooled_h, pooled_w = p.pooled_size
    sampling = _Sampling("_contrib_ROIAlign", p, rois, data.shape)
    compute = sampling.rows.dtype
    grad = xp.zeros(data.shape, dtype=compute)
    for image, members in sampling.images():
        head = ograd[xp.asarray(members)].astype(compute, copy=False)
        columns = xp.asarray(sampling.columns[members])
        if p.position_sensitive:
            # Bin (i, j) of channel c came from input channel (c * pooled_h + i) * pooled_w
            # + j: put its gradient there, zeros at the other bins.
            spread = xp.einsum("kcij,kjw->kicjw", head, columns)
            out_channels = head.shape[1]
            full = xp.zeros(
                (len(members), pooled_h, out_channels, pooled_h, pooled_w, width), dtype=compute
            )
            diagonal = xp.arange(pooled_h)
            full[:, diagonal, :, diagonal] = spread.transpose(1, 0, 2, 3, 4)
            mixed = full.reshape(len(members) * pooled_h, channels * width)
        else:
            mixed = xp.matmul(head.transpose(0, 2, 1, 3), columns[:, None])  # (k, ph, C, W)
            mixed = mixed.reshape(len(members) * pooled_h, channels * width)
        rows = xp.asarray(sampling.rows[members]).reshape(-1, height)
        plane = (rows.T @ mixed).reshape(height, channels, width)
        grad[image] += plane.transpose(1, 0, 2)
    if out is None:
        return grad.astype(data.dtype, copy=False)
    out[...] = grad
    return out


def _check_params(op_name, p):
    if len(p.pooled_size) != 2 or min(p.pooled_size) < 1:
        raise MXNetValueError(
            f"{op_name}: pooled_size={tuple(p.pooled_size)} must be two positive sizes "
            "(height, width)"
        )
    if not 0.0 <= p.spatial_scale <= 1.0:
        raise MXNetValueError(f"{op_name}: spatial_scale={p.spatial_scale} must lie in [0, 1]")


def _output_shape(op_name, p, data, rois):
    _check_params(op_name, p)
    check_ndim(op_name, "data", data, 4, "batch, channel, height, width")
    check_ndim(op_name, "rois", rois, 2, "num_rois, 5: batch index, x1, y1, x2, y2")
    if rois[1] != 5:
        raise MXNetValueError(
            f"{op_name}: rois has shape {shape_str(rois)}; expected (num_rois, 5) rows of "
            "[batch_index, x1, y1, x2, y2]"
        )
    channels = data[1]
    if p.position_sensitive:
        bins = p.pooled_size[0] * p.pooled_size[1]
        if channels % bins:
            raise MXNetValueError(
                f"{op_name}: position_sensitive=True needs the channels of data "
                f"{shape_str(data)} to be a multiple of pooled_size {tuple(p.pooled_size)} "
                f"product {bins}"
            )
        channels //= bins
    return (rois[0], channels) + tuple(p.pooled_size)


_PARAMS = Params(
    pooled_size=Shape(doc="Output height and width of each ROI: (h, w)."),
    spatial_scale=Float(doc="Feature-map size over image size (1 / total stride), in [0, 1]."),
    sample_ratio=Int(-1, doc="Samples per bin side; <= 0 chooses ceil(roi size / bins)."),
    position_sensitive=Bool(False, doc="Take each bin from its own channel group (R-FCN)."),
    aligned=Bool(False, doc="Shift pixel centres by half a pixel (Detectron2)."),
)


@register("_contrib_ROIAlign")
class ROIAlign(Op):
    """Pool each region of interest of ``data`` (N, C, H, W) into ``pooled_size`` bins by
    averaging bilinear samples.

    Each row of ``rois`` (R, 5) is [batch_index, x1, y1, x2, y2] in image coordinates;
    ``spatial_scale`` maps them onto the feature map (minus half a pixel with ``aligned``;
    otherwise boxes are made at least one pixel wide and high, and with ``aligned`` they must
    have positive size). Each bin averages ``sample_ratio`` x ``sample_ratio`` samples
    (``ceil(roi size / bins)`` per side when ``sample_ratio <= 0``); samples more than one
    pixel off the map read 0. ROIs whose batch index is outside [0, N) give zeros. With
    ``position_sensitive`` bin (i, j) of output channel c reads input channel
    ``(c * h + i) * w + j``, so the output has C / (h * w) channels. The gradient reaches
    ``data`` only (``rois`` get none, as in MXNet).

    >>> data = mx.nd.array(np.arange(16).reshape(1, 1, 4, 4))
    >>> mx.nd.contrib.ROIAlign(data, mx.nd.array([[0, 0, 0, 2, 2]]), pooled_size=(1, 1),
    ...                        spatial_scale=1.0)
    <BLANKLINE>
    [[[[5.]]]]
    <NDArray 1x1x1x1 @cpu(0)>
    """

    inputs = ("data", "rois")
    params = _PARAMS

    def infer_shape(self, p, data, rois):
        if not is_known(data) or not is_known(rois):
            _check_params(self.name, p)
            return None
        return (data, rois), (_output_shape(self.name, p, data, rois),)

    def infer_type(self, p, data, rois):
        dtype = float_type(self, p, (data, rois))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, data, rois, out=None):
        return roi_align(xp, p, data, rois, out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, rois = inputs
        return F._backward_ROIAlign(dy[0], data, rois, **p._asdict()), None


@register("_backward_ROIAlign")
class BackwardROIAlign(Op):
    """Return the gradient of ``_contrib_ROIAlign(data, rois)`` w.r.t. data, given the output
    gradient ``ograd``; parameters as ROIAlign's."""

    inputs = ("ograd", "data", "rois")
    params = _PARAMS
    saves = ("ograd", "data", "rois")

    def infer_shape(self, p, ograd, data, rois):
        if not is_known(data) or not is_known(rois):
            _check_params(self.name, p)
            return None
        ograd = unify(self.name, "ograd", ograd, _output_shape(self.name, p, data, rois))
        return (ograd, data, rois), (data,)

    def infer_type(self, p, ograd, data, rois):
        dtype = float_type(self, p, (ograd, data, rois))
        return None if dtype is None else ((dtype,) * 3, (dtype,))

    def forward(self, xp, p, ograd, data, rois, out=None):
        return roi_align_backward(xp, p, ograd, data, rois, out)

    def gradient(self, p, F, inputs, outputs, dy):
        # Linear in ograd: the transpose of this spreading is ROIAlign itself.
        _, _, rois = inputs
        return F._contrib_ROIAlign(dy[0], rois, **p._asdict()), None, None
