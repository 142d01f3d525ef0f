"""Cases of ROIPooling and _backward_ROIPooling.

Data values are a shuffled range (no ties, gaps far above the numeric-gradient step), so every
bin's maximum is unambiguous. ROI corners times spatial_scale stay away from .5, where the
rounding (and so the numeric gradient w.r.t. rois) would jump.
"""

import math

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, floats

# neomx's _backward_ROIPooling takes (ograd, data, rois); MXNet's differs.
NEOMX_ONLY.add("_backward_ROIPooling")

ROIS = [
    [0, 0, 0, 4, 4],
    [1, 1, 0, 5, 7],  # full width and height
    [0, -3, -3, 1, 1],  # partly outside: some bins are empty
    [1, 3, 3, 1, 1],  # x2 < x1: a one-pixel box
    [0, 2, 1, 3, 6],
    [2, 0, 0, 2, 2],  # batch index out of range: zeros
    [1, 0, 0, 12, 14],  # beyond the map
]
# For spatial_scale=0.7: 5 * 0.7 = 3.5 would sit on a rounding boundary.
ROIS_SCALED = [[1, 1, 0, 6, 7] if roi == [1, 1, 0, 5, 7] else roi for roi in ROIS]


def distinct(data_shape, rois, dtype="float32"):
    """Shuffled, evenly spaced data in [-1, 1) and the fixed ``rois``.

    Batch indices truncate toward zero; they get + 0.25 so that the numeric gradient's
    steps (1 - 1e-4 would truncate to 0) keep each ROI on its image.
    """

    def make(rng):
        size = int(np.prod(data_shape))
        data = rng.permutation(size).reshape(data_shape) * (2.0 / max(size, 1)) - 1
        boxes = np.array(rois, dtype=np.float64)
        boxes[:, 0] += 0.25
        return [data.astype(dtype), boxes.astype(dtype)]

    return make


def _round(value):
    """C's round: halves away from zero."""
    return math.copysign(math.floor(abs(value) + 0.5), value)


def _bins(roi, pooled_size, spatial_scale, height, width):
    """Yield (ph, pw, rows slice, cols slice) of each bin of one ROI."""
    x1, y1, x2, y2 = (int(_round(float(v) * spatial_scale)) for v in roi[1:])
    roi_h, roi_w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
    bin_h, bin_w = roi_h / pooled_size[0], roi_w / pooled_size[1]
    for ph, pw in np.ndindex(*pooled_size):
        top = min(max(math.floor(ph * bin_h) + y1, 0), height)
        bottom = min(max(math.ceil((ph + 1) * bin_h) + y1, 0), height)
        left = min(max(math.floor(pw * bin_w) + x1, 0), width)
        right = min(max(math.ceil((pw + 1) * bin_w) + x1, 0), width)
        yield ph, pw, slice(top, bottom), slice(left, right)


def roi_pool(pooled_size, spatial_scale):
    def reference(data, rois):
        batch, channels, height, width = data.shape
        out = np.zeros((len(rois), channels) + tuple(pooled_size), data.dtype)
        for r, roi in enumerate(rois):
            b = int(roi[0])
            if not 0 <= b < batch:
                continue
            for ph, pw, rows, cols in _bins(roi, pooled_size, spatial_scale, height, width):
                region = data[b, :, rows, cols].reshape(channels, -1)
                if region.shape[1]:
                    out[r, :, ph, pw] = region.max(axis=1)
        return out

    return reference


def roi_pool_backward(pooled_size, spatial_scale):
    def reference(ograd, data, rois):
        batch, channels, height, width = data.shape
        grad = np.zeros(data.shape)
        for r, roi in enumerate(rois):
            b = int(roi[0])
            if not 0 <= b < batch:
                continue
            for ph, pw, rows, cols in _bins(roi, pooled_size, spatial_scale, height, width):
                region = data[b, :, rows, cols]
                if not region[0].size:
                    continue
                for c in range(channels):
                    i, j = np.unravel_index(np.argmax(region[c]), region[c].shape)
                    grad[b, c, rows.start + i, cols.start + j] += ograd[r, c, ph, pw]
        return grad.astype(data.dtype)

    return reference


def with_head(data_shape, rois, pooled_size, dtype="float32"):
    def make(rng):
        data, boxes = distinct(data_shape, rois, dtype)(rng)
        ograd = rng.standard_normal((len(rois), data_shape[1]) + tuple(pooled_size))
        return [ograd.astype(dtype), data, boxes]

    return make


def _params(pooled_size, spatial_scale):
    return {"pooled_size": list(pooled_size), "spatial_scale": spatial_scale}


add(
    "ROIPooling",
    Case(
        distinct((2, 6, 8, 6), ROIS),
        _params((2, 3), 1.0),
        roi_pool((2, 3), 1.0),
        label="mixed-rois",
    ),
    Case(
        distinct((2, 2, 8, 6), ROIS_SCALED),
        _params((3, 2), 0.7),
        roi_pool((3, 2), 0.7),
        label="scale0.7",
    ),
    Case(
        distinct((1, 2, 6, 6), [[0, 2, 2, 10, 10], [0, 0, 4, 8, 6]]),
        _params((2, 2), 0.5),
        roi_pool((2, 2), 0.5),
        label="scale0.5",
    ),
    Case(
        distinct((1, 1, 8, 6), [[0, 0, 0, 5, 7]]),
        _params((5, 4), 1.0),
        roi_pool((5, 4), 1.0),
        label="overlapping-bins",
    ),
    Case(
        distinct((1, 2, 4, 4), [[0, 0, 0, 3, 3]]),
        _params((1, 1), 1.0),
        roi_pool((1, 1), 1.0),
        label="global",
    ),
    Case(
        distinct((1, 1, 1, 1), [[0, 0, 0, 0, 0]]),
        _params((1, 1), 1.0),
        roi_pool((1, 1), 1.0),
        label="one-element",
    ),
    # MXNet 1.x refuses zero-size arrays (0 is an unknown dimension in its inference).
    Case(
        distinct((1, 2, 4, 4), np.zeros((0, 5))),
        _params((2, 2), 1.0),
        roi_pool((2, 2), 1.0),
        label="no-rois",
        golden=False,
    ),
    Case(
        distinct((2, 2, 5, 4), ROIS[:3], "float64"),
        _params((2, 2), 1.0),
        roi_pool((2, 2), 1.0),
        label="float64",
    ),
    Case(
        distinct((2, 2, 5, 4), ROIS[:3], "float16"),
        _params((2, 2), 1.0),
        roi_pool((2, 2), 1.0),
        label="float16",
    ),
)
add_errors(
    "ROIPooling",
    ErrorCase(
        floats((1, 1, 4, 4), (2, 4)),
        _params((2, 2), 1.0),
        match=r"ROIPooling.*rois.*\(2, 4\).*\(num_rois, 5\)",
    ),
    ErrorCase(
        floats((1, 1, 4, 4), (2, 5, 1)),
        _params((2, 2), 1.0),
        match=r"ROIPooling.*rois.*2 dimensions",
    ),
    ErrorCase(
        floats((1, 4, 4), (2, 5)), _params((2, 2), 1.0), match=r"ROIPooling.*data.*4 dimensions"
    ),
    ErrorCase(
        floats((1, 1, 4, 4), (2, 5)), _params((2,), 1.0), match=r"ROIPooling.*pooled_size=\(2,\)"
    ),
    ErrorCase(
        floats((1, 1, 4, 4), (2, 5)),
        _params((0, 2), 1.0),
        match=r"ROIPooling.*pooled_size=\(0, 2\)",
    ),
    ErrorCase(
        floats((1, 1, 4, 4), (2, 5)), _params((2, 2), 1.5), match=r"ROIPooling.*spatial_scale=1.5"
    ),
)

add(
    "_backward_ROIPooling",
    Case(
        with_head((2, 3, 8, 6), ROIS, (2, 3)),
        _params((2, 3), 1.0),
        roi_pool_backward((2, 3), 1.0),
        label="mixed-rois",
    ),
    Case(
        with_head((1, 2, 6, 6), [[0, 1, 1, 4, 4], [0, 0, 0, 6, 6]], (3, 3)),
        _params((3, 3), 0.7),
        roi_pool_backward((3, 3), 0.7),
        label="overlapping-rois",
    ),
    Case(
        with_head((1, 1, 1, 1), [[0, 0, 0, 0, 0]], (1, 1)),
        _params((1, 1), 1.0),
        roi_pool_backward((1, 1), 1.0),
        label="one-element",
    ),
)
