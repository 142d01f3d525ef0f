"""Cases of the SSD operators: _contrib_MultiBoxPrior, _contrib_MultiBoxTarget and
_contrib_MultiBoxDetection.

MXNet 1.9.1 runs them only on float32 (its goldens are float32; float16 and float64 are
neomx's). Boxes sit on a grid of 1/16, so overlaps are exact fractions, and random layouts
are redrawn until no overlap lies within 0.02 of a threshold; the references compare
overlaps and thresholds in float32 as MXNet does and loop anchor by anchor.
"""

import math

import numpy as np

from .case import GRADIENT_DEFINED, Case, ErrorCase, add, add_errors, fixed, floats

# MultiBoxTarget and MultiBoxDetection pass no gradient back (zero, as in MXNet 1.9.1), though
# their outputs depend on the inputs; test_contrib_gradients.py checks the zeros.
GRADIENT_DEFINED.update({"_contrib_MultiBoxTarget", "_contrib_MultiBoxDetection"})

F32 = np.float32


def _overlap(a, b):
    """IoU of two corner boxes with MXNet's multibox rules: areas are plain products, an
    empty (or negative) union overlaps 0."""
    width = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    height = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    intersection = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return intersection / union if union > 0 else 0.0


def _grid_boxes(rng, count, low=2, high=9):
    corner = rng.integers(0, 9, size=(count, 2)) / 16
    side = rng.integers(low, high, size=(count, 2)) / 16
    return np.concatenate([corner, corner + side], axis=1)


# ---- MultiBoxPrior -------------------------------------------------------------------------

_PRIOR_DEFAULTS = {
    "sizes": [1.0],
    "ratios": [1.0],
    "clip": False,
    "steps": [-1.0, -1.0],
    "offsets": [0.5, 0.5],
}


def multibox_prior(**params):
    p = {**_PRIOR_DEFAULTS, **params}

    def reference(data):
        height, width = data.shape[2], data.shape[3]
        step_y = F32(p["steps"][0]) if p["steps"][0] > 0 else F32(1) / F32(max(height, 1))
        step_x = F32(p["steps"][1]) if p["steps"][1] > 0 else F32(1) / F32(max(width, 1))
        shapes = [(F32(s), F32(math.sqrt(p["ratios"][0]))) for s in p["sizes"]]
        shapes += [(F32(p["sizes"][0]), F32(math.sqrt(r))) for r in p["ratios"][1:]]
        anchors = []
        for r in range(height):
            y = (F32(r) + F32(p["offsets"][0])) * step_y
            for c in range(width):
                x = (F32(c) + F32(p["offsets"][1])) * step_x
                for size, ratio in shapes:
                    half_w = size * F32(height) / F32(width) * ratio / F32(2)
                    half_h = size / ratio / F32(2)
                    anchors.append([x - half_w, y - half_h, x + half_w, y + half_h])
        out = np.array(anchors, dtype=np.float32).reshape(1, len(anchors), 4)
        return (np.clip(out, 0, 1) if p["clip"] else out).astype(data.dtype)

    return reference


def _prior_case(shape, label, dtype="float32", golden=True, **params):
    return Case(
        floats(shape, dtype=dtype),
        params,
        multibox_prior(**params),
        label=label,
        golden=golden,
    )


add(
    "_contrib_MultiBoxPrior",
    _prior_case((1, 2, 3, 4), "default"),
    _prior_case((2, 3, 2, 3), "sizes-ratios", sizes=[0.5, 0.25], ratios=[1, 2, 0.5]),
    _prior_case(
        (1, 1, 3, 2),
        "steps-offsets-clip",
        sizes=[0.5, 0.25],
        ratios=[2, 1],
        steps=[0.3, 0.2],
        offsets=[0.2, 0.7],
        clip=True,
    ),
    _prior_case((1, 1, 4, 4), "clip", sizes=[0.9, 0.3], ratios=[1, 3], clip=True),
    _prior_case((3, 5, 1, 2, 1), "5d"),
    _prior_case((1, 1, 1, 1), "one-pixel", sizes=[2.0]),
    _prior_case((1, 1, 2, 3), "float64", "float64", golden=False, sizes=[0.5], ratios=[1, 2]),
    _prior_case((1, 1, 2, 3), "float16", "float16", golden=False, sizes=[0.5], ratios=[1, 2]),
    _prior_case((1, 1, 0, 3), "zero-size", golden=False),
    # MXNet's error, recorded.
    Case(floats((1, 1, 2, 2), dtype="float64"), label="float64-mxnet", grad=False),
)
# MXNet 1.9.1 refuses float64 at all; neomx computes it (as float32).
add_errors(
    "_contrib_MultiBoxPrior",
    ErrorCase(floats((1, 2, 2)), match=r"_contrib_MultiBoxPrior.*\(1, 2, 2\).*at least 4"),
    ErrorCase(floats((1, 1, 2, 2)), {"steps": [0.1]}, match=r"_contrib_MultiBoxPrior.*steps"),
    ErrorCase(
        floats((1, 1, 2, 2)), {"offsets": [0.1, 0.2, 0.3]}, match=r"_contrib_MultiBoxPrior.*offsets"
    ),
    ErrorCase(floats((1, 1, 2, 2)), {"sizes": []}, match=r"_contrib_MultiBoxPrior.*sizes"),
    ErrorCase(floats((1, 1, 2, 2)), {"ratios": []}, match=r"_contrib_MultiBoxPrior.*ratios"),
    ErrorCase(
        lambda rng: [np.zeros((1, 1, 2, 2), "int32")], match=r"_contrib_MultiBoxPrior.*int32"
    ),
)


# ---- MultiBoxTarget ------------------------------------------------------------------------

_TARGET_DEFAULTS = {
    "overlap_threshold": 0.5,
    "ignore_label": -1.0,
    "negative_mining_ratio": -1.0,
    "negative_mining_thresh": 0.5,
    "minimum_negative_samples": 0,
    "variances": [0.1, 0.1, 0.2, 0.2],
}


def target_inputs(batch, anchors, labels, classes=3, dtype="float32", thresholds=(0.5,)):
    """Grid anchors (1, anchors, 4); per image up to ``labels`` ground truths then padding;
    random class scores. Redrawn until no overlap is within 0.02 of ``thresholds``."""

    def make(rng):
        while True:
            boxes = _grid_boxes(rng, anchors, 4, 9)
            truths = [_grid_boxes(rng, labels, 3, 9) for _ in range(batch)]
            overlaps = np.array([[_overlap(a, t) for t in ts for a in boxes] for ts in truths])
            if not any(np.any(np.abs(overlaps - t) < 0.02) for t in thresholds):
                break
        label = np.full((batch, labels, 6), -1.0)
        for b in range(batch):
            valid = rng.integers(0, labels + 1) if b else labels  # image 0 is full
            label[b, :valid, 0] = rng.integers(0, classes, size=valid)
            label[b, :valid, 1:5] = truths[b][:valid]
            label[b, :valid, 5] = rng.uniform(size=valid)  # extra columns are ignored
        cls_pred = rng.normal(size=(batch, classes + 1, anchors))
        return [a.astype(dtype) for a in (boxes[None], label, cls_pred)]

    return make


def _encode(anchor, box, variances):
    aw, ah = anchor[2] - anchor[0], anchor[3] - anchor[1]
    bw, bh = box[2] - box[0], box[3] - box[1]
    dx = (box[0] + box[2]) / 2 - (anchor[0] + anchor[2]) / 2
    dy = (box[1] + box[3]) / 2 - (anchor[1] + anchor[3]) / 2
    vx, vy, vw, vh = variances
    return [dx / aw / vx, dy / ah / vy, math.log(bw / aw) / vw, math.log(bh / ah) / vh]


def _image_targets(p, anchors, labels, scores):
    count = len(anchors)
    loc, mask = np.zeros((count, 4)), np.zeros((count, 4))
    cls = np.full(count, p["ignore_label"])
    truths = []
    for row in labels:
        if row[0] == -1:
            break
        truths.append(row)
    if not truths:
        return loc, mask, cls
    overlaps = [[F32(_overlap(a, t[1:5])) for t in truths] for a in anchors]
    match = {}
    free = set(range(len(truths)))
    while free:
        best, pair = F32(1e-6), None
        for i in range(count):
            for k in sorted(free):
                if i not in match and overlaps[i][k] > best:
                    best, pair = overlaps[i][k], (i, k)
        if pair is None:
            break
        match[pair[0]] = pair[1]
        free.discard(pair[1])
    best_truth = [max(range(len(truths)), key=lambda k: (overlaps[i][k], -k)) for i in range(count)]
    best_overlap = [overlaps[i][best_truth[i]] for i in range(count)]
    if p["overlap_threshold"] > 0:
        for i in range(count):
            if i not in match and best_overlap[i] > F32(p["overlap_threshold"]):
                match[i] = best_truth[i]
    negatives = set()
    if p["negative_mining_ratio"] > 0:
        wanted = min(int(F32(len(match)) * F32(p["negative_mining_ratio"])), count - len(match))
        pool = [
            i
            for i in range(count)
            if i not in match and best_overlap[i] < F32(p["negative_mining_thresh"])
        ]

        def background(i):
            logits = scores[:, i].astype(np.float64)
            return math.exp(logits[0] - logits.max()) / np.exp(logits - logits.max()).sum()

        negatives = set(sorted(pool, key=background)[: max(wanted, 0)])
    else:
        negatives = set(range(count)) - set(match)
    for i in range(count):
        if i in match:
            truth = truths[match[i]]
            cls[i] = truth[0] + 1
            mask[i] = 1
            loc[i] = _encode(anchors[i], truth[1:5], p["variances"])
        elif i in negatives:
            cls[i] = 0
    return loc, mask, cls


def multibox_target(**params):
    p = {**_TARGET_DEFAULTS, **params}

    def reference(anchor, label, cls_pred):
        images = [
            _image_targets(p, anchor[0].astype(np.float64), label[b], cls_pred[b])
            for b in range(label.shape[0])
        ]
        loc, mask, cls = (np.stack(parts) for parts in zip(*images))
        batch = label.shape[0]
        return tuple(
            a.astype(anchor.dtype)
            for a in (loc.reshape(batch, -1), mask.reshape(batch, -1), cls.reshape(batch, -1))
        )

    return reference


def _target_case(label, batch=2, anchors=8, labels=3, dtype="float32", golden=True, **params):
    thresholds = (params.get("overlap_threshold", 0.5), params.get("negative_mining_thresh", 0.5))
    thresholds = tuple(t for t in thresholds if t > 0)
    return Case(
        target_inputs(batch, anchors, labels, dtype=dtype, thresholds=thresholds),
        params,
        multibox_target(**params),
        label=label,
        grad=False,
        golden=golden,
    )


# The oracle's own example: padding rows end each image's ground truth.
_ANCHORS = [[[0, 0, 0.5, 0.5], [0.5, 0, 1, 0.5], [0, 0.5, 0.5, 1], [0.5, 0.5, 1, 1],
             [0.25, 0.25, 0.75, 0.75], [0, 0, 1, 1]]]  # fmt: skip
_LABELS = [
    [[1, 0.1, 0.1, 0.45, 0.5], [0, 0.55, 0.5, 0.95, 0.95], [-1, -1, -1, -1, -1]],
    [[2, 0.3, 0.2, 0.7, 0.8], [-1, -1, -1, -1, -1], [-1, -1, -1, -1, -1]],
]
_PREDICTIONS = np.random.default_rng(0).normal(size=(2, 3, 6)).round(3).tolist()


def _example(label, **params):
    return Case(
        fixed(_ANCHORS, _LABELS, _PREDICTIONS, dtype="float32"),
        params,
        multibox_target(**params),
        label=label,
        grad=False,
    )


add(
    "_contrib_MultiBoxTarget",
    _target_case("default"),
    _target_case("threshold-0.3", overlap_threshold=0.3),
    _target_case("no-threshold", overlap_threshold=0.0),
    _target_case("mining", anchors=12, negative_mining_ratio=2.0, negative_mining_thresh=0.6),
    _target_case("mining-ignore", anchors=12, negative_mining_ratio=0.5, ignore_label=-7.0),
    # MXNet 1.9.1's CPU kernel ignores minimum_negative_samples.
    _target_case("minimum-negatives", negative_mining_ratio=0.5, minimum_negative_samples=4),
    _target_case("variances", variances=[0.2, 0.3, 0.5, 0.4]),
    _target_case("one-label", batch=3, labels=1),
    _target_case("float64", dtype="float64", golden=False),
    _target_case("float16", dtype="float16", golden=False),
    _example("example"),
    _example("example-threshold", overlap_threshold=0.2),
    _example("example-mining", negative_mining_ratio=1.0, negative_mining_thresh=0.3),
    # No ground truth at all: every anchor is ignored.
    Case(
        fixed(_ANCHORS, [[[-1, -1, -1, -1, -1]]], [_PREDICTIONS[0]], dtype="float32"),
        reference=multibox_target(),
        label="no-labels",
        grad=False,
    ),
    # MXNet's errors, recorded: a padding row with coordinates, float64.
    Case(
        fixed(_ANCHORS, [[[-1, 0.1, -1, -1, -1]]], [_PREDICTIONS[0]], dtype="float32"),
        label="bad-padding",
        grad=False,
    ),
    Case(
        fixed(_ANCHORS, _LABELS, _PREDICTIONS, dtype="float64"), label="float64-mxnet", grad=False
    ),
)
add_errors(
    "_contrib_MultiBoxTarget",
    ErrorCase(floats((2, 6, 4), (2, 3, 5), (2, 3, 6)),
              match=r"_contrib_MultiBoxTarget.*anchor.*\(2, 6, 4\).*\(1, num_anchors, 4\)"),
    ErrorCase(floats((6, 4), (2, 3, 5), (2, 3, 6)),
              match=r"_contrib_MultiBoxTarget.*anchor.*3 dimensions"),
    ErrorCase(floats((1, 6, 5), (2, 3, 5), (2, 3, 6)),
              match=r"_contrib_MultiBoxTarget.*anchor.*\(1, 6, 5\)"),
    ErrorCase(floats((1, 6, 4), (2, 3, 4), (2, 3, 6)),
              match=r"_contrib_MultiBoxTarget.*label.*\(2, 3, 4\).*at least 5"),
    ErrorCase(floats((1, 6, 4), (2, 3), (2, 3, 6)),
              match=r"_contrib_MultiBoxTarget.*label.*3 dimensions"),
    ErrorCase(floats((1, 6, 4), (2, 3, 5), (2, 3, 5)),
              match=r"_contrib_MultiBoxTarget.*cls_pred.*\(2, 3, 5\).*\(2, num_classes, 6\)"),
    ErrorCase(floats((1, 6, 4), (2, 3, 5), (3, 3, 6)),
              match=r"_contrib_MultiBoxTarget.*cls_pred.*\(3, 3, 6\)"),
    ErrorCase(floats((1, 6, 4), (2, 3, 5), (2, 3, 6)), {"variances": [0.1, 0.2]},
              match=r"_contrib_MultiBoxTarget.*variances"),
    ErrorCase(floats((1, 6, 4), (2, 3, 5), (2, 3, 6)),
              {"negative_mining_ratio": 1.0, "negative_mining_thresh": 0.0},
              match=r"_contrib_MultiBoxTarget.*negative_mining_thresh=0.0"),
    ErrorCase(fixed(_ANCHORS, [[[-1, 0.1, -1, -1, -1]]], [_PREDICTIONS[0]], dtype="float32"),
              match=r"_contrib_MultiBoxTarget.*label row 0.*padding"),
    # Too few anchors far from every ground truth for the negatives wanted (MXNet fails too).
    ErrorCase(fixed(_ANCHORS, _LABELS[:1], _PREDICTIONS[:1], dtype="float32"),
              {"negative_mining_ratio": 5.0, "negative_mining_thresh": 0.01},
              match=r"_contrib_MultiBoxTarget.*wants 4 negative anchors but only 2"),
    ErrorCase(
        lambda rng: [np.zeros((1, 2, 4), "float32"), np.zeros((1, 1, 5), "float32"),
                     np.zeros((1, 2, 2), "float64")],
        match=r"_contrib_MultiBoxTarget.*cls_pred.*float64",
    ),
)  # fmt: skip


# ---- MultiBoxDetection ---------------------------------------------------------------------

_DETECTION_DEFAULTS = {
    "clip": True,
    "threshold": 0.01,
    "background_id": 0,
    "nms_threshold": 0.5,
    "force_suppress": False,
    "variances": [0.1, 0.1, 0.2, 0.2],
    "nms_topk": -1,
}


def detection_inputs(batch, anchors, classes, offsets="random", nms_threshold=0.5):
    """Class probabilities (distinct scores), box offsets and grid anchors.

    ``offsets``: "random" (decoded boxes are off the grid: for cases without suppression),
    "zero" (boxes are the anchors) or "grid" (centre moves of whole 1/16 with variances of
    0.5, so boxes stay on the grid). Redrawn until no two boxes overlap within 0.02 of
    ``nms_threshold``.
    """

    def make(rng):
        while True:
            boxes = _grid_boxes(rng, anchors)
            if offsets == "grid":
                moves = rng.integers(-2, 3, size=(batch, anchors, 2)) / 16
                sides = (boxes[:, 2:] - boxes[:, :2])[None]
                loc = np.concatenate([moves / sides / 0.5, np.zeros_like(moves)], axis=-1)
                decoded = boxes[None] + np.concatenate([moves, moves], axis=-1)
            elif offsets == "zero":
                loc = np.zeros((batch, anchors, 4))
                decoded = np.broadcast_to(boxes, (batch, anchors, 4))
            else:
                loc = rng.normal(scale=0.5, size=(batch, anchors, 4))
                decoded = None
            scores = rng.permutation(batch * classes * anchors) + rng.uniform(0.2, 0.8)
            probs = scores.reshape(batch, classes, anchors) / scores.size
            if decoded is None or not any(
                abs(_overlap(a, b) - nms_threshold) < 0.02
                for image in np.clip(decoded, 0, 1)
                for a in image
                for b in image
            ):
                break
        return [probs.astype("float32"), loc.reshape(batch, -1).astype("float32"),
                boxes[None].astype("float32")]  # fmt: skip

    return make


def _decode(anchor, offset, variances, clip):
    anchor, offset = anchor.astype(np.float32), offset.astype(np.float32)
    vx, vy, vw, vh = (F32(v) for v in variances)
    width, height = anchor[2] - anchor[0], anchor[3] - anchor[1]
    x = offset[0] * vx * width + (anchor[0] + anchor[2]) / F32(2)
    y = offset[1] * vy * height + (anchor[1] + anchor[3]) / F32(2)
    half_w = np.exp(offset[2] * vw) * width / F32(2)
    half_h = np.exp(offset[3] * vh) * height / F32(2)
    box = [x - half_w, y - half_h, x + half_w, y + half_h]
    return [min(max(v, F32(0)), F32(1)) for v in box] if clip else box


def multibox_detection(**params):
    p = {**_DETECTION_DEFAULTS, **params}

    def reference(cls_prob, loc_pred, anchor):
        batch, classes, count = cls_prob.shape
        out = np.full((batch, count, 6), -1.0)
        offsets = loc_pred.reshape(batch, count, 4)
        for b in range(batch):
            found = []
            for i in range(count):
                fg = [float(cls_prob[b, c, i]) for c in range(1, classes)]
                if not fg:
                    continue
                best = fg.index(max(fg))
                if fg[best] > -1 and not fg[best] < F32(p["threshold"]):
                    box = _decode(anchor[0, i], offsets[b, i], p["variances"], p["clip"])
                    found.append([best, fg[best], *box])
            if found and 0 < p["nms_threshold"] <= 1:
                ranked = sorted(found, key=lambda row: -row[1])
                keep = len(found) if p["nms_topk"] <= 0 else min(p["nms_topk"], len(found))
                found = ranked[:keep] + [[-1, *row[1:]] for row in found[keep:]]
                for i, row in enumerate(found):
                    if row[0] < 0:
                        continue
                    for other in found[i + 1 :]:
                        same = p["force_suppress"] or other[0] == row[0]
                        if other[0] >= 0 and same:
                            if _overlap(row[2:], other[2:]) >= F32(p["nms_threshold"]):
                                other[0] = -1
            if found:
                out[b, : len(found)] = found
        return out.astype(cls_prob.dtype)

    return reference


def _detection_case(label, batch=2, anchors=8, classes=3, offsets="zero", golden=True, **params):
    nms = params.get("nms_threshold", 0.5)
    return Case(
        detection_inputs(batch, anchors, classes, offsets, nms),
        params,
        multibox_detection(**params),
        label=label,
        grad=False,
        golden=golden,
    )


_PROBS = [[[0.1, 0.1, 0.1, 0.1, 0.1], [0.5, 0.2, 0.6, 0.1, 0.3], [0.4, 0.7, 0.3, 0.8, 0.6]]]
_SPREAD = [[[0, 0, 0.2, 0.2], [0.3, 0.3, 0.5, 0.5], [0.6, 0.6, 0.8, 0.8], [0.8, 0, 1, 0.2],
            [0.01, 0, 0.2, 0.2]]]  # fmt: skip


def _spread(label, **params):
    return Case(
        fixed(_PROBS, np.zeros((1, 20)), _SPREAD, dtype="float32"),
        params,
        multibox_detection(**params),
        label=label,
        grad=False,
    )


add(
    "_contrib_MultiBoxDetection",
    _detection_case("default"),
    _detection_case("grid-offsets", offsets="grid", variances=[0.5, 0.5, 0.25, 0.25]),
    _detection_case("force-suppress", offsets="grid", force_suppress=True, nms_threshold=0.25,
                    variances=[0.5, 0.5, 0.25, 0.25]),
    _detection_case("nms-topk", anchors=10, nms_topk=4),
    _detection_case("threshold", classes=4, threshold=0.4),
    _detection_case("random-offsets", offsets="random", nms_threshold=0.0),
    _detection_case("no-clip", offsets="random", nms_threshold=1.5, clip=False),
    _detection_case("background-id-ignored", background_id=2),
    _detection_case("one-anchor", batch=1, anchors=1),
    _detection_case("background-only", classes=1),
    _spread("topk1", nms_topk=1),
    _spread("topk3-force", nms_topk=3, force_suppress=True),
    _spread("topk-no-nms", nms_topk=3, nms_threshold=0.0),
    # MXNet's error, recorded: float64.
    Case(fixed(_PROBS, np.zeros((1, 20)), _SPREAD, dtype="float64"), label="float64-mxnet",
         grad=False),
)  # fmt: skip
add_errors(
    "_contrib_MultiBoxDetection",
    ErrorCase(floats((1, 3, 3), (1, 12), (1, 3, 4)), {"variances": [1.0, 2.0]},
              match=r"_contrib_MultiBoxDetection.*variances"),
    ErrorCase(floats((1, 3, 3), (1, 11), (1, 3, 4)),
              match=r"_contrib_MultiBoxDetection.*loc_pred.*\(1, 11\).*\(1, 12\)"),
    ErrorCase(floats((1, 3, 3), (2, 12), (1, 3, 4)),
              match=r"_contrib_MultiBoxDetection.*loc_pred.*\(2, 12\)"),
    ErrorCase(floats((1, 3, 3), (1, 12), (1, 4, 4)),
              match=r"_contrib_MultiBoxDetection.*anchor.*\(1, 4, 4\).*\(1, 3, 4\)"),
    ErrorCase(floats((1, 3, 3), (1, 12), (2, 3, 4)),
              match=r"_contrib_MultiBoxDetection.*anchor.*\(2, 3, 4\)"),
    ErrorCase(floats((3, 3), (1, 12), (1, 3, 4)),
              match=r"_contrib_MultiBoxDetection.*cls_prob.*3 dimensions"),
    ErrorCase(floats((1, 3, 3), (1, 3, 4), (1, 3, 4)),
              match=r"_contrib_MultiBoxDetection.*loc_pred.*2 dimensions"),
)  # fmt: skip
