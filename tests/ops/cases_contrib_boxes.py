"""Cases of the box operators: _contrib_box_iou, _contrib_box_nms (and its backward) and
_contrib_bipartite_matching.

Random boxes sit on a grid of 1/16 (exact in every float dtype, so overlaps are exact
fractions) and are redrawn until no pair overlaps within 0.02 of the suppression threshold
and no two scores (or a score and valid_thresh) lie within 0.002: float rounding and the
numeric gradient's steps then never flip a decision. The references loop box by box.
"""

import numpy as np

from .case import (
    GRADIENT_DEFINED,
    MIXED_DTYPES_OK,
    NEOMX_ONLY,
    Case,
    ErrorCase,
    add,
    add_errors,
    fixed,
    floats,
)

# box_iou passes no gradient back (zero, as in MXNet 1.9.1); the goldens record MXNet's
# zeros and test_contrib_gradients.py checks neomx's.
GRADIENT_DEFINED.add("_contrib_box_iou")
# neomx's backward of box_nms takes (ograd, index); MXNet's differs.
NEOMX_ONLY.add("_backward_contrib_box_nms")
MIXED_DTYPES_OK.add("_backward_contrib_box_nms")


def _corners(box, box_format):
    if box_format == "corner":
        return [float(v) for v in box]
    x, y, w, h = (float(v) for v in box)
    return [x - w / 2, y - h / 2, x + w / 2, y + h / 2]


def _area(box):
    width, height = box[2] - box[0], box[3] - box[1]
    return 0.0 if width < 0 or height < 0 else width * height


def _overlap(a, b, empty=0.0):
    """IoU of two corner boxes; ``empty`` where the union is empty."""
    width = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    height = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    intersection = width * height
    union = _area(a) + _area(b) - intersection
    return intersection / union if union > 0 else empty


def _grid_boxes(rng, count):
    """``count`` corner boxes on the 1/16 grid inside [0, 1], sides 1/8 to 1/2."""
    corner = rng.integers(0, 9, size=(count, 2)) / 16
    side = rng.integers(2, 9, size=(count, 2)) / 16
    return np.concatenate([corner, corner + side], axis=1)


def _to_center(boxes):
    return np.stack(
        [
            (boxes[:, 0] + boxes[:, 2]) / 2,
            (boxes[:, 1] + boxes[:, 3]) / 2,
            boxes[:, 2] - boxes[:, 0],
            boxes[:, 3] - boxes[:, 1],
        ],
        axis=1,
    )


# ---- box_iou -------------------------------------------------------------------------------


def box_pairs(lhs_shape, rhs_shape, box_format="corner", dtype="float32"):
    def make(rng):
        arrays = []
        for shape in (lhs_shape, rhs_shape):
            boxes = _grid_boxes(rng, int(np.prod(shape[:-1])))
            boxes = _to_center(boxes) if box_format == "center" else boxes
            arrays.append(boxes.reshape(shape).astype(dtype))
        return arrays

    return make


def box_iou(box_format="corner"):
    def reference(lhs, rhs):
        out = np.zeros(lhs.shape[:-1] + rhs.shape[:-1])
        for i in np.ndindex(*lhs.shape[:-1]):
            for j in np.ndindex(*rhs.shape[:-1]):
                out[i + j] = _overlap(_corners(lhs[i], box_format), _corners(rhs[j], box_format))
        return out.astype(lhs.dtype)

    return reference


_ODD_BOXES = [[0, 0, 2, 2], [1, 1, 3, 3], [0, 0, 0, 0], [2, 2, 1, 1], [2, 0, 1, 1]]
_OTHER_BOXES = [[1, 1, 2, 2], [0, 0, 1, 1], [3, 3, 4, 4], [0, 0, 0, 0]]

add(
    "_contrib_box_iou",
    Case(box_pairs((4, 4), (3, 4)), reference=box_iou(), label="2d", grad=False),
    Case(box_pairs((2, 3, 4), (5, 4)), reference=box_iou(), label="batch-lhs", grad=False),
    Case(box_pairs((2, 3, 4), (2, 1, 4)), reference=box_iou(), label="batch-both", grad=False),
    Case(
        box_pairs((3, 4), (2, 4), "center"),
        {"format": "center"},
        box_iou("center"),
        label="center",
        grad=False,
    ),
    # Inverted and empty boxes overlap nothing; two empty boxes overlap 0, not NaN.
    Case(
        fixed(_ODD_BOXES, _OTHER_BOXES, dtype="float32"),
        reference=box_iou(),
        label="odd-boxes",
        grad=False,
    ),
    Case(
        fixed(_ODD_BOXES, _OTHER_BOXES, dtype="float32"),
        {"format": "center"},
        box_iou("center"),
        label="odd-boxes-center",
        grad=False,
    ),
    Case(
        box_pairs((3, 4), (2, 4), dtype="float64"), reference=box_iou(), label="float64", grad=False
    ),
    Case(
        box_pairs((3, 4), (2, 4), dtype="float16"), reference=box_iou(), label="float16", grad=False
    ),
    Case(box_pairs((1, 4), (1, 4)), reference=box_iou(), label="one-box", grad=False),
    Case(
        box_pairs((0, 4), (2, 4)), reference=box_iou(), label="no-boxes", grad=False, golden=False
    ),
    # MXNet's errors, recorded: integer boxes, rows of 5.
    Case(fixed([[1, 1, 3, 3]], [[0, 0, 2, 2]], dtype="int32"), label="int32", grad=False),
    Case(floats((3, 5), (2, 4)), label="width-5", grad=False),
)
add_errors(
    "_contrib_box_iou",
    ErrorCase(floats((3, 5), (2, 4)), match=r"_contrib_box_iou.*lhs.*\(3, 5\).*\(\.\.\., 4\)"),
    ErrorCase(floats((3, 4), (4,)), match=r"_contrib_box_iou.*rhs.*\(4,\).*2 dimensions"),
    ErrorCase(floats((3, 4), (2, 4)), {"format": "xyxy"}, match=r"_contrib_box_iou.*'format'"),
    ErrorCase(
        fixed([[1, 1, 3, 3]], [[0, 0, 2, 2]], dtype="int32"),
        match=r"_contrib_box_iou.*int32.*floating",
    ),
    ErrorCase(
        lambda rng: [np.ones((2, 4), "float32"), np.ones((2, 4), "float64")],
        match=r"_contrib_box_iou.*rhs.*float64",
    ),
)


# ---- box_nms -------------------------------------------------------------------------------

_NMS_DEFAULTS = {
    "overlap_thresh": 0.5,
    "valid_thresh": 0.0,
    "topk": -1,
    "coord_start": 2,
    "score_index": 1,
    "id_index": -1,
    "background_id": -1,
    "force_suppress": False,
    "in_format": "corner",
    "out_format": "corner",
}


def _separated(values, spacing, avoid=()):
    """Whether sorted ``values`` are ``spacing`` apart and ``spacing`` from each of ``avoid``."""
    ordered = np.sort(values)
    far = all(np.all(np.abs(values - a) > spacing) for a in avoid)
    return far and (ordered.size < 2 or np.diff(ordered).min() > spacing)


def nms_rows(shape, classes=3, dtype="float32", **params):
    """Rows of boxes laid out as ``params`` say, redrawn until no decision is close."""
    p = {**_NMS_DEFAULTS, **params}
    batch, (count, width) = int(np.prod(shape[:-2])), shape[-2:]

    def image(rng):
        while True:
            boxes = _grid_boxes(rng, count)
            overlaps = np.array([[_overlap(a, b) for b in boxes] for a in boxes])
            near = np.abs(overlaps - p["overlap_thresh"]) < 0.02
            scores = rng.uniform(0.05, 0.95, size=count)
            if not near.any() and _separated(scores, 0.002, (p["valid_thresh"],)):
                break
        rows = rng.uniform(-1, 1, size=(count, width))
        if p["in_format"] == "center":
            boxes = _to_center(boxes)
        rows[:, p["coord_start"] : p["coord_start"] + 4] = boxes
        rows[:, p["score_index"]] = scores
        if p["id_index"] >= 0:
            # Fractional ids keep their class under the numeric gradient's steps (ids compare
            # truncated); a background_id must match exactly, so then they are whole.
            whole = "background_id" in params
            rows[:, p["id_index"]] = rng.integers(0, classes, size=count) + (0 if whole else 0.25)
        return rows

    return lambda rng: [np.stack([image(rng) for _ in range(batch)]).reshape(shape).astype(dtype)]


def box_nms(**params):
    p = {**_NMS_DEFAULTS, **params}
    start, score, ident = p["coord_start"], p["score_index"], p["id_index"]
    coords = slice(start, start + 4)

    def suppresses(kept, row):
        if ident >= 0 and not p["force_suppress"] and int(kept[ident]) != int(row[ident]):
            return False
        a, b = _corners(kept[coords], p["in_format"]), _corners(row[coords], p["in_format"])
        # box_nms divides 0 by 0 for two empty boxes: NaN, which suppresses nothing.
        return _overlap(a, b, empty=np.nan) > np.float32(p["overlap_thresh"])

    def reference(data):
        rows = data.reshape(int(np.prod(data.shape[:-2])), *data.shape[-2:])
        out = np.full(rows.shape, -1, dtype=data.dtype)
        for b, batch in enumerate(rows):
            candidates = [
                i
                for i in range(len(batch))
                if batch[i, score] > np.float32(p["valid_thresh"])
                and (ident < 0 or batch[i, ident] != p["background_id"])
            ]
            candidates.sort(key=lambda i: -float(batch[i, score]))  # stable
            if p["topk"] > 0:
                candidates = candidates[: p["topk"]]
            kept = []
            for i in candidates:
                if not any(suppresses(batch[k], batch[i]) for k in kept):
                    kept.append(i)
            for r, i in enumerate(kept):
                out[b, r] = batch[i]
                if p["in_format"] != p["out_format"]:
                    left, top, right, bottom = _corners(batch[i, coords], p["in_format"])
                    converted = (
                        [left, top, right, bottom]
                        if p["out_format"] == "corner"
                        else [(left + right) / 2, (top + bottom) / 2, right - left, bottom - top]
                    )
                    out[b, r, coords] = converted
        return out.reshape(data.shape)

    return reference


def _nms_case(shape, label, dtype="float32", grad=True, golden=True, **params):
    return Case(
        nms_rows(shape, dtype=dtype, **params),
        params,
        box_nms(**params),
        label=label,
        grad=grad,
        golden=golden,
    )


# The oracle's own example and edge cases: ties keep input order, an overlap of exactly
# overlap_thresh does not suppress, scores equal to valid_thresh are dropped, class ids
# compare truncated (0.5 is class 0), background rows go.
_EXAMPLE = [
    [0, 0.5, 0.1, 0.1, 0.2, 0.2],
    [1, 0.4, 0.1, 0.1, 0.2, 0.2],
    [0, 0.3, 0.1, 0.1, 0.14, 0.14],
    [2, 0.6, 0.5, 0.5, 0.7, 0.8],
    [1, 0.05, 0, 0, 1, 1],
]
_EDGES = [
    [0, 0.9, 0, 0, 2, 1],
    [0, 0.8, 0, 0, 1, 1],  # overlaps the first by exactly 0.5
    [0.5, 0.8, 0, 0, 2, 1],  # ties with the second; class 0 after truncation
    [2, 0.5, 5, 5, 6, 6],
    [0, 0.0, 7, 7, 8, 8],  # score == valid_thresh
    [-1, 0.7, 0, 0, 2, 1],
]
_EMPTY = [[0, 0.9, 0, 0, 0, 0], [0, 0.8, 0, 0, 0, 0], [0, 0.7, 2, 0, 1, 1], [0, 0.6, 5, 5, 6, 6]]

add(
    "_contrib_box_nms",
    _nms_case((6, 6), "2d"),
    _nms_case((2, 3, 5, 6), "batch"),
    _nms_case((2, 7, 6), "classes", id_index=0, overlap_thresh=0.3),
    _nms_case((2, 7, 6), "force-suppress", id_index=0, force_suppress=True, overlap_thresh=0.3),
    _nms_case((2, 7, 6), "background", grad=False, id_index=0, background_id=1),
    _nms_case((8, 6), "topk-valid", topk=3, valid_thresh=0.3, overlap_thresh=0.25),
    _nms_case((6, 7), "layout", coord_start=0, score_index=5, id_index=4, overlap_thresh=0.4),
    _nms_case((6, 6), "center", in_format="center", out_format="center"),
    # Converting formats rewrites coordinates; MXNet's gradient still copies rows as they
    # are (test_contrib_gradients.py checks it), so no numeric gradient can match.
    _nms_case((6, 6), "center-to-corner", grad=False, in_format="center"),
    _nms_case((6, 6), "corner-to-center", grad=False, out_format="center"),
    _nms_case((6, 6), "float64", dtype="float64"),
    _nms_case((6, 6), "float16", dtype="float16", grad=False),
    _nms_case((1, 6), "one-box"),
    _nms_case((2, 0, 6), "no-boxes", golden=False),
    Case(fixed(_EXAMPLE, dtype="float32"), reference=box_nms(), label="example", grad=False),
    Case(
        fixed(_EXAMPLE, dtype="float32"),
        {"id_index": 0},
        box_nms(id_index=0),
        label="example-classes",
        grad=False,
    ),
    Case(
        fixed(_EDGES, dtype="float32"),
        {"id_index": 0},
        box_nms(id_index=0),
        label="edges",
        grad=False,
    ),
    Case(
        fixed(_EDGES, dtype="float32"),
        {"id_index": 0, "overlap_thresh": 0.49},
        box_nms(id_index=0, overlap_thresh=0.49),
        label="edges-0.49",
        grad=False,
    ),
    # A negative threshold suppresses every overlap but NaN (two empty boxes).
    Case(
        fixed(_EMPTY, dtype="float32"),
        {"overlap_thresh": -0.5},
        box_nms(overlap_thresh=-0.5),
        label="empty-boxes",
        grad=False,
    ),
    # MXNet's errors, recorded: rows too narrow, a score inside the coordinates, int32.
    Case(floats((3, 5)), {"id_index": 0, "coord_start": 1}, label="too-narrow", grad=False),
    Case(floats((3, 6)), {"score_index": 2}, label="score-in-coords", grad=False),
    Case(fixed([[0, 1, 0, 0, 1, 1]], dtype="int32"), label="int32", grad=False),
)
add_errors(
    "_contrib_box_nms",
    ErrorCase(floats((6,)), match=r"_contrib_box_nms.*\(6,\).*at least 2 dimensions"),
    ErrorCase(floats((3, 4)), match=r"_contrib_box_nms.*4 elements.*at least 5"),
    ErrorCase(
        floats((3, 5)), {"id_index": 0, "coord_start": 1}, match=r"_contrib_box_nms.*at least 6"
    ),
    ErrorCase(floats((3, 6)), {"coord_start": 3}, match=r"_contrib_box_nms.*coord_start=3"),
    ErrorCase(floats((3, 6)), {"score_index": 6}, match=r"_contrib_box_nms.*score_index=6"),
    ErrorCase(floats((3, 6)), {"score_index": 3}, match=r"_contrib_box_nms.*score_index=3"),
    ErrorCase(floats((3, 7)), {"id_index": 2}, match=r"_contrib_box_nms.*id_index=2"),
    ErrorCase(floats((3, 7)), {"id_index": 1}, match=r"_contrib_box_nms.*id_index and score"),
    ErrorCase(floats((3, 6)), {"in_format": "xywh"}, match=r"_contrib_box_nms.*'in_format'"),
    ErrorCase(floats((3, 6)), {"out_format": "corners"}, match=r"_contrib_box_nms.*'out_format'"),
    ErrorCase(fixed([[0, 1, 0, 0, 1, 1]], dtype="int32"), match=r"_contrib_box_nms.*int32"),
)


def nms_backward_inputs(shape, kept, dtype="float32"):
    """An output gradient and a box_nms index: per batch ``kept`` distinct rows, then -1."""

    def make(rng):
        count = shape[-2]
        batch = int(np.prod(shape[:-2]))
        index = np.full((batch, count), -1, dtype=np.int64)
        for b in range(batch):
            index[b, :kept] = rng.permutation(count)[:kept]
        ograd = rng.standard_normal(shape).astype(dtype)
        return [ograd, index.reshape(shape[:-1])]

    return make


def nms_backward(ograd, index):
    batch = int(np.prod(ograd.shape[:-2]))
    rows, sources = ograd.reshape(batch, *ograd.shape[-2:]), index.reshape(batch, -1)
    grad = np.zeros_like(rows)
    for b in range(rows.shape[0]):
        for j, source in enumerate(sources[b]):
            if source >= 0:
                grad[b, int(source)] = rows[b, j]
    return grad.reshape(ograd.shape)


add(
    "_backward_contrib_box_nms",
    Case(nms_backward_inputs((5, 6), 3), reference=nms_backward, label="2d"),
    Case(nms_backward_inputs((2, 3, 4, 6), 2), reference=nms_backward, label="batch"),
    Case(nms_backward_inputs((4, 7), 4, "float64"), reference=nms_backward, label="all-kept"),
    Case(nms_backward_inputs((4, 6), 0), reference=nms_backward, label="none-kept"),
)
add_errors(
    "_backward_contrib_box_nms",
    ErrorCase(
        lambda rng: [np.ones((4, 6), "float32"), np.zeros((3,), "int64")],
        match=r"_backward_contrib_box_nms.*index.*\(3,\).*\(4,\)",
    ),
)


# ---- bipartite_matching --------------------------------------------------------------------


def score_matrix(shape, threshold, dtype="float32"):
    """Distinct scores in (0.01, 0.99), a shuffled even grid placed at random, redrawn until
    none lies within 0.002 of ``threshold``."""

    def make(rng):
        size = int(np.prod(shape))
        while True:
            grid = (rng.permutation(size) + rng.uniform(0.1, 0.9)) / max(size, 1)
            scores = grid * 0.98 + 0.01
            if _separated(scores, 0.002, (threshold,)):
                return [scores.reshape(shape).astype(dtype)]

    return make


def bipartite_matching(threshold, is_ascend=False, topk=-1):
    def reference(data):
        rows, cols = data.shape[-2:]
        matrices = data.reshape(int(np.prod(data.shape[:-2])), rows, cols)
        row_out = np.full((matrices.shape[0], rows), -1.0)
        col_out = np.full((matrices.shape[0], cols), -1.0)
        for b, matrix in enumerate(matrices):
            pairs = sorted(
                np.ndindex(rows, cols),
                key=lambda rc: float(matrix[rc]) * (1 if is_ascend else -1),
            )
            matches = 0
            for r, c in pairs:
                if row_out[b, r] >= 0 or col_out[b, c] >= 0:
                    continue
                score, limit = matrix[r, c], np.float32(threshold)
                if (score < limit) if is_ascend else (score > limit):
                    row_out[b, r], col_out[b, c] = c, r
                    matches += 1
                    if 0 < topk < matches:  # MXNet stops after match topk + 1
                        break
                else:
                    break
        return (
            row_out.reshape(data.shape[:-1]).astype(data.dtype),
            col_out.reshape(data.shape[:-2] + (cols,)).astype(data.dtype),
        )

    return reference


def _matching_case(shape, label, threshold, dtype="float32", golden=True, **params):
    return Case(
        score_matrix(shape, threshold, dtype),
        {"threshold": threshold, **params},
        bipartite_matching(threshold, **params),
        label=label,
        golden=golden,
    )


add(
    "_contrib_bipartite_matching",
    _matching_case((4, 3), "2d", 1e-3),
    _matching_case((3, 5), "wide", 0.4),
    _matching_case((2, 3, 4, 5), "batch", 0.3),
    _matching_case((5, 4), "ascend", 0.6, is_ascend=True),
    _matching_case((5, 4), "topk", 0.1, topk=2),
    _matching_case((3, 4), "float64", 0.2, dtype="float64"),
    _matching_case((3, 4), "float16", 0.2, dtype="float16"),
    _matching_case((1, 1), "one-element", 0.5),
    _matching_case((2, 0, 3), "zero-size", 0.5, golden=False),
    # Ties go in row-major order; scores equal to the threshold do not match.
    Case(
        fixed([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], dtype="float32"),
        {"threshold": 0.1},
        bipartite_matching(0.1),
        label="ties",
        grad=False,
    ),
    Case(
        fixed([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]], dtype="float32"),
        {"threshold": 0.6},
        bipartite_matching(0.6),
        label="at-threshold",
        grad=False,
    ),
    Case(
        fixed([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]], dtype="float32"),
        {"threshold": 0.1, "is_ascend": True},
        bipartite_matching(0.1, is_ascend=True),
        label="at-threshold-ascend",
        grad=False,
    ),
    Case(
        fixed(np.diag([0.9, 0.8, 0.7, 0.6]), dtype="float32"),
        {"threshold": 0.1, "topk": 1},
        bipartite_matching(0.1, topk=1),
        label="topk1",
    ),
)
add_errors(
    "_contrib_bipartite_matching",
    ErrorCase(
        floats((4,)),
        {"threshold": 0.5},
        match=r"_contrib_bipartite_matching.*\(4,\).*at least 2 dimensions",
    ),
    ErrorCase(
        fixed([[1, 2]], dtype="int32"),
        {"threshold": 0.5},
        match=r"_contrib_bipartite_matching.*int32",
    ),
)
