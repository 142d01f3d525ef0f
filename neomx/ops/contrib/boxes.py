"""Bounding-box operators: box_iou, box_nms (with its backward) and bipartite_matching.

Boxes are the last axis of four numbers, either ``corner`` (xmin, ymin, xmax, ymax) or
``center`` (x, y, width, height). The overlap (IoU) of two boxes is their intersection over
their union; a box with a negative width or height has area 0, as in MXNet 1.9.1.

Non-maximum suppression and greedy matching are sequential by nature: they run on the host,
one step per kept box or match, with every step vectorised over the batch and the boxes.
"""

from __future__ import annotations

import math

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify
from ..kernels import into, into_outputs
from ..params import Bool, Enum, Float, Int, Params
from ..registry import Op, register
from ..spatial import float_type

__all__ = ["host", "to_corners", "intersection_and_union", "suppress_in_order"]

_FORMATS = ("center", "corner")
_FORMAT_DOC = (
    "The box encoding: 'corner' is [xmin, ymin, xmax, ymax], 'center' is [x, y, width, height]."
)


def host(array):
    """``array`` as a NumPy array (CuPy arrays are copied to the host with ``get``)."""
    return array.get() if hasattr(array, "get") else array


def to_corners(xp, boxes, box_format):
    """Boxes (..., 4) in ``box_format`` as corners (xmin, ymin, xmax, ymax)."""
    if box_format == "corner":
        return boxes
    x, y, width, height = (boxes[..., i] for i in range(4))
    half_width, half_height = width / 2, height / 2
    return xp.stack([x - half_width, y - half_height, x + half_width, y + half_height], axis=-1)


def to_centers(xp, corners):
    """Corner boxes (..., 4) as (x, y, width, height)."""
    left, top, right, bottom = (corners[..., i] for i in range(4))
    return xp.stack([(left + right) / 2, (top + bottom) / 2, right - left, bottom - top], axis=-1)


def intersection_and_union(xp, lhs, rhs, clamp_areas=True):
    """Return the intersection and union areas of corner boxes ``lhs`` and ``rhs`` (..., 4),
    which broadcast against each other.

    With ``clamp_areas`` a box of negative width or height has area 0 (box_iou, box_nms);
    without, its area is the plain product (MultiBoxTarget, MultiBoxDetection).
    """
    width = xp.minimum(lhs[..., 2], rhs[..., 2]) - xp.maximum(lhs[..., 0], rhs[..., 0])
    height = xp.minimum(lhs[..., 3], rhs[..., 3]) - xp.maximum(lhs[..., 1], rhs[..., 1])
    intersection = xp.maximum(width, 0) * xp.maximum(height, 0)
    union = _area(xp, lhs, clamp_areas) + _area(xp, rhs, clamp_areas) - intersection
    return intersection, union


def _area(xp, corners, clamp):
    width = corners[..., 2] - corners[..., 0]
    height = corners[..., 3] - corners[..., 1]
    if not clamp:
        return width * height
    return xp.where((width < 0) | (height < 0), 0, width * height)


def suppress_in_order(corners, areas, alive, classes, overlapping):
    """Greedy non-maximum suppression on the host, in place: walking the boxes of each batch
    in order, every box still ``alive`` clears ``alive`` of each later box it overlaps.

    ``corners`` (B, N, 4) and ``areas`` (B, N) describe the boxes; ``classes`` (B, N), when
    given, confines suppression to boxes of one class; ``overlapping(intersection, union)``
    says which pairs overlap too much. Each step is one pass over the later boxes of every
    batch at once.
    """
    left, top, right, bottom = (np.ascontiguousarray(corners[..., k]) for k in range(4))
    ever = np.nonzero(alive.any(axis=0))[0]
    last = int(ever[-1]) + 1 if ever.size else 0
    for i in range(last - 1):
        active = alive[:, i]
        if not active.any():
            continue
        rest = slice(i + 1, last)
        width = np.minimum(right[:, rest], right[:, i, None])
        width -= np.maximum(left[:, rest], left[:, i, None])
        height = np.minimum(bottom[:, rest], bottom[:, i, None])
        height -= np.maximum(top[:, rest], top[:, i, None])
        intersection = np.maximum(width, 0, out=width)
        intersection *= np.maximum(height, 0, out=height)
        union = areas[:, rest] + areas[:, i, None] - intersection
        hit = overlapping(intersection, union)
        hit &= active[:, None]
        if classes is not None:
            hit &= classes[:, rest] == classes[:, i, None]
        alive[:, rest] &= ~hit


def _check_boxes(op_name, what, shape):
    if len(shape) < 2 or shape[-1] != 4:
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(shape)}; expected (..., 4) boxes with "
            "at least 2 dimensions"
        )


@register("_contrib_box_iou")
class BoxIoU(Op):
    """Return the overlap (intersection over union) of every box in ``lhs`` with every box in
    ``rhs``.

    ``lhs`` (..., 4) and ``rhs`` (..., 4) give an output of shape ``lhs.shape[:-1] +
    rhs.shape[:-1]``. Pairs whose union is empty overlap 0. As in MXNet 1.9.1 no gradient
    flows back (the inputs' gradients are zero).

    >>> mx.nd.contrib.box_iou(mx.nd.array([[0, 0, 2, 2]]), mx.nd.array([[1, 1, 3, 3]]))
    <BLANKLINE>
    [[0.14285715]]
    <NDArray 1x1 @cpu(0)>
    """

    inputs = ("lhs", "rhs")
    params = Params(format=Enum(_FORMATS, "corner", doc=_FORMAT_DOC))
    saves = ()

    def infer_shape(self, p, lhs, rhs):
        if not (is_known(lhs) and is_known(rhs)):
            return None
        _check_boxes(self.name, "lhs", lhs)
        _check_boxes(self.name, "rhs", rhs)
        return (lhs, rhs), (tuple(lhs[:-1]) + tuple(rhs[:-1]),)

    def infer_type(self, p, lhs, rhs):
        dtype = float_type(self, p, (lhs, rhs))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, lhs, rhs, out=None):
        left = to_corners(xp, lhs.reshape(-1, 4), p.format)
        right = to_corners(xp, rhs.reshape(-1, 4), p.format)
        intersection, union = intersection_and_union(xp, left[:, None, :], right[None, :, :])
        positive = union > 0
        overlap = xp.where(positive, intersection / xp.where(positive, union, 1), 0)
        return into(xp, overlap.reshape(lhs.shape[:-1] + rhs.shape[:-1]), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return None, None


# ---- non-maximum suppression ---------------------------------------------------------------


def _nms_layout(op_name, p, width):
    """Check the column indices of box_nms against a row width, as MXNet 1.9.1 does."""
    needed = 5 + (p.id_index >= 0)
    if width < needed:
        raise MXNetValueError(
            f"{op_name}: the last dimension has {width} elements; expected at least {needed} "
            "(score, 4 coordinates" + (", class id)" if p.id_index >= 0 else ")")
        )
    coords = range(p.coord_start, p.coord_start + 4)
    if p.coord_start < 0 or coords[-1] >= width:
        raise MXNetValueError(
            f"{op_name}: coord_start={p.coord_start} puts the 4 coordinates outside the "
            f"{width} elements of a box"
        )
    if not 0 <= p.score_index < width or p.score_index in coords:
        raise MXNetValueError(
            f"{op_name}: score_index={p.score_index} must index one of the {width} elements "
            f"outside the coordinates {coords[0]}..{coords[-1]}"
        )
    if p.id_index >= 0 and (p.id_index >= width or p.id_index in coords):
        raise MXNetValueError(
            f"{op_name}: id_index={p.id_index} must index one of the {width} elements "
            f"outside the coordinates {coords[0]}..{coords[-1]}"
        )
    if p.id_index == p.score_index:
        raise MXNetValueError(
            f"{op_name}: id_index and score_index are both {p.id_index}; they must differ"
        )


def _suppress(p, rows):
    """Return, per batch of ``rows`` (B, N, width), the input row of each output row: the
    kept boxes by descending score, then -1 for the padding."""
    count = rows.shape[1]
    scores = rows[..., p.score_index]
    valid = scores > np.float32(p.valid_thresh)
    if p.id_index >= 0:
        valid &= rows[..., p.id_index] != p.background_id
    # A stable sort: of equal scores the earlier box comes first (and wins).
    order = np.argsort(np.where(valid, -scores.astype(np.float64), np.inf), axis=1, kind="stable")
    candidates = valid.sum(axis=1)
    if p.topk > 0:
        candidates = np.minimum(candidates, p.topk)
    alive = np.arange(count) < candidates[:, None]
    coords = rows[..., p.coord_start : p.coord_start + 4]
    boxes = np.take_along_axis(to_corners(np, coords, p.in_format), order[..., None], axis=1)
    classes = None
    if p.id_index >= 0 and not p.force_suppress:
        # MXNet compares class ids as integers (truncated), so 0.5 and 0 are one class.
        classes = np.take_along_axis(np.trunc(rows[..., p.id_index]), order, axis=1)
    threshold = np.float32(p.overlap_thresh)

    def overlapping(intersection, union):
        # Unlike box_iou, box_nms divides 0 by 0 for two empty boxes: NaN never suppresses.
        with np.errstate(divide="ignore", invalid="ignore"):
            return intersection / union > threshold

    suppress_in_order(boxes, _area(np, boxes, clamp=True), alive, classes, overlapping)
    kept_first = np.argsort(~alive, axis=1, kind="stable")
    sources = np.take_along_axis(order, kept_first, axis=1)
    sources[np.arange(count) >= alive.sum(axis=1)[:, None]] = -1
    return sources


@register("_contrib_box_nms", aliases=("_contrib_box_non_maximum_suppression",))
class BoxNMS(Op):
    """Apply non-maximum suppression to boxes: keep the best-scoring box of every group of
    overlapping boxes.

    ``data`` (..., N, width) holds N boxes per batch, each a row with a score at
    ``score_index``, four coordinates from ``coord_start`` and, with ``id_index`` >= 0, a
    class id. Boxes scoring at most ``valid_thresh``, or of class ``background_id``, are
    dropped; of the rest (the ``topk`` best, where ``topk`` > 0), by descending score, each
    box removes every later box that overlaps it by more than ``overlap_thresh`` (of the same
    class, unless ``force_suppress`` or ``id_index`` < 0; class ids compare as integers).
    The kept rows come first, by descending score, coordinates rewritten from ``in_format``
    to ``out_format``; the remaining rows are -1. Equal scores keep their input order.

    The gradient copies each output row's gradient back to the row it came from, whatever
    the formats, as in MXNet 1.9.1. A second, hidden output records those rows.

    >>> boxes = mx.nd.array([[0, 0.9, 0, 0, 2, 2], [0, 0.8, 0, 0, 2, 1.8],
    ...                      [0, 0.7, 3, 3, 4, 4]])
    >>> mx.nd.contrib.box_nms(boxes, overlap_thresh=0.5)[:, 1]
    <BLANKLINE>
    [ 0.9  0.7 -1. ]
    <NDArray 3 @cpu(0)>
    """

    params = Params(
        overlap_thresh=Float(0.5, doc="Suppress boxes overlapping a kept box by more (IoU)."),
        valid_thresh=Float(0.0, doc="Drop boxes whose score is not greater than this."),
        topk=Int(-1, doc="Keep only the topk best-scoring boxes before suppression; -1 all."),
        coord_start=Int(2, doc="Index of the first of the 4 coordinates in a box's row."),
        score_index=Int(1, doc="Index of the score in a box's row."),
        id_index=Int(-1, doc="Index of the class id in a box's row; -1 for no classes."),
        background_id=Int(-1, doc="Drop boxes of this class (when id_index >= 0)."),
        force_suppress=Bool(False, doc="Suppress across classes too."),
        in_format=Enum(_FORMATS, "corner", doc=_FORMAT_DOC),
        out_format=Enum(_FORMATS, "corner", doc=_FORMAT_DOC),
    )
    saves = ("outputs",)

    def num_outputs(self, p):
        return 2

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if len(data) < 2:
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; expected at least 2 "
                "dimensions (..., num_boxes, box_width)"
            )
        _nms_layout(self.name, p, data[-1])
        return (data,), (data, tuple(data[:-1]))

    def infer_type(self, p, data):
        dtype = float_type(self, p, (data,))
        return None if dtype is None else ((dtype,), (dtype, np.dtype(np.int64)))

    def forward(self, xp, p, data, out=None):
        count, width = data.shape[-2:]
        rows = host(data).reshape(math.prod(data.shape[:-2]), count, width)
        sources = _suppress(p, rows)
        kept = sources >= 0
        result = np.take_along_axis(rows, np.maximum(sources, 0)[..., None], axis=1)
        if p.in_format != p.out_format:
            coords = slice(p.coord_start, p.coord_start + 4)
            boxes = to_corners(np, result[..., coords], p.in_format)
            result[..., coords] = boxes if p.out_format == "corner" else to_centers(np, boxes)
        result[~kept] = -1
        values = (
            xp.asarray(result).reshape(data.shape),
            xp.asarray(sources).reshape(data.shape[:-1]),
        )
        return into_outputs(xp, values, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._backward_contrib_box_nms(dy[0], outputs[1]),)


@register("_backward_contrib_box_nms")
class BackwardBoxNMS(Op):
    """Return the gradient of ``box_nms`` w.r.t. its data: each output row's gradient ``ograd``
    copied to the input row ``index`` names (rows of -1 are padding and give nothing)."""

    inputs = ("ograd", "index")
    differentiable = False

    def infer_shape(self, p, ograd, index):
        if not is_known(ograd):
            return None
        if len(ograd) < 2:
            raise MXNetValueError(
                f"{self.name}: ograd has shape {shape_str(ograd)}; expected at least 2 dimensions"
            )
        index = unify(self.name, "index", index, tuple(ograd[:-1]))
        return (ograd, index), (ograd,)

    def infer_type(self, p, ograd, index):
        dtype = float_type(self, p, (ograd,))
        return None if dtype is None else ((dtype, index), (dtype,))

    def forward(self, xp, p, ograd, index, out=None):
        count, width = ograd.shape[-2:]
        batch = math.prod(ograd.shape[:-2])
        rows = ograd.reshape(batch * count, width)
        sources = index.reshape(batch, count).astype(np.int64)
        kept = sources >= 0
        batch_start = (xp.arange(sources.shape[0]) * count)[:, None]
        grad = xp.zeros_like(rows)
        grad[(sources + batch_start)[kept]] = rows[kept.reshape(-1)]
        return into(xp, grad.reshape(ograd.shape), out)


# ---- bipartite matching --------------------------------------------------------------------


def _greedy_match(p, scores, rows, cols):
    """Match rows to columns of score matrices ``scores`` (B, rows * cols), best pair first.

    Returns (row_marker (B, rows), col_marker (B, cols)) of matched indices, -1 unmatched.
    """
    batch = scores.shape[0]
    key = scores.astype(np.float64)
    order = np.argsort(key if p.is_ascend else -key, axis=1, kind="stable")
    ranked = np.take_along_axis(scores, order, axis=1)
    threshold = np.float32(p.threshold)
    good = ranked < threshold if p.is_ascend else ranked > threshold
    row_of, col_of = order // cols, order % cols
    row_marker = np.full((batch, rows), -1, dtype=np.int64)
    col_marker = np.full((batch, cols), -1, dtype=np.int64)
    # MXNet 1.9.1 stops only after the match that exceeds topk: topk + 1 matches at most.
    most = min(rows, cols) if p.topk <= 0 else min(rows, cols, p.topk + 1)
    every = np.arange(batch)[:, None]
    for _ in range(most):
        free = good & (row_marker[every, row_of] < 0) & (col_marker[every, col_of] < 0)
        first = free.argmax(axis=1)
        found = np.nonzero(free[np.arange(batch), first])[0]
        if found.size == 0:
            break
        row, col = row_of[found, first[found]], col_of[found, first[found]]
        row_marker[found, row] = col
        col_marker[found, col] = row
    return row_marker, col_marker


@register("_contrib_bipartite_matching")
class BipartiteMatching(Op):
    """Match the rows and columns of score matrices greedily, best score first.

    ``data`` (..., N, M) holds scores; pairs are taken in descending score order
    (ascending with ``is_ascend``), equal scores in row-major order, each pairing a row and a
    column that are both still free, while the score is greater than ``threshold`` (less,
    with ``is_ascend``). ``topk`` > 0 limits the matches; MXNet 1.9.1 (and so neomx) stops
    only after match ``topk + 1``. Returns the column matched to each row (..., N) and the
    row matched to each column (..., M), -1 where unmatched, in ``data``'s dtype. No
    gradient flows back.

    >>> rows, cols = mx.nd.contrib.bipartite_matching(
    ...     mx.nd.array([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]]), threshold=1e-12)
    >>> rows.asnumpy(), cols.asnumpy()
    (array([ 1., -1.,  0.], dtype=float32), array([2., 0.], dtype=float32))
    """

    params = Params(
        is_ascend=Bool(False, doc="Match the smallest scores first."),
        threshold=Float(doc="Match only scores greater than this (less, with is_ascend)."),
        topk=Int(-1, doc="Limit the number of matches (see above); -1 for no limit."),
    )
    saves = ()

    def num_outputs(self, p):
        return 2

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if len(data) < 2:
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; expected a score matrix of "
                "at least 2 dimensions (..., rows, columns)"
            )
        return (data,), (tuple(data[:-1]), tuple(data[:-2]) + (data[-1],))

    def infer_type(self, p, data):
        dtype = float_type(self, p, (data,))
        return None if dtype is None else ((dtype,), (dtype, dtype))

    def forward(self, xp, p, data, out=None):
        rows, cols = data.shape[-2:]
        batch = math.prod(data.shape[:-2])
        scores = host(data).reshape(batch, rows * cols)
        if scores.size:
            markers = _greedy_match(p, scores, rows, cols)
        else:
            markers = (np.full((batch, rows), -1), np.full((batch, cols), -1))
        shapes = (data.shape[:-1], data.shape[:-2] + (cols,))
        values = tuple(
            xp.asarray(marker.astype(data.dtype)).reshape(shape)
            for marker, shape in zip(markers, shapes)
        )
        return into_outputs(xp, values, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)
