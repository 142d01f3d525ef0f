"""The SSD (single-shot detector) operators: MultiBoxPrior makes anchor boxes,
MultiBoxTarget turns ground truth into training targets, MultiBoxDetection turns predictions
into detections.

Boxes are corners (xmin, ymin, xmax, ymax) in coordinates relative to the image. MXNet 1.9.1
runs these only on float32; neomx also takes float16 and float64, computing anchors and
regression targets in float32 as MXNet does and the rest in float64 for float64 inputs. None
passes a gradient back (the inputs' gradients are zero, as in MXNet).
"""

from __future__ import annotations

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str
from ..kernels import into, into_outputs
from ..params import Bool, Float, FloatTuple, Int, Params
from ..registry import Op, register
from ..spatial import check_ndim, float_type
from .boxes import host, intersection_and_union, suppress_in_order

_VARIANCES_DOC = "The scales of the (x, y, width, height) box offsets."


def _compute_dtype(dtype):
    """The arithmetic dtype: MXNet computes these in float32; float64 stays float64."""
    return np.float64 if dtype == np.float64 else np.float32


def _check_variances(op_name, variances):
    if len(variances) != 4:
        raise MXNetValueError(
            f"{op_name}: variances={variances} must hold 4 numbers (x, y, width, height)"
        )


# ---- MultiBoxPrior -------------------------------------------------------------------------


@register("_contrib_MultiBoxPrior", aliases=("_npx_multibox_prior",))
class MultiBoxPrior(Op):
    """Return anchor boxes centred on every pixel of a feature map.

    ``data`` (N, C, H, W, ...) gives only the map's height and width. Each pixel (r, c) gets
    boxes centred at ((c + offsets[1]) * step_x, (r + offsets[0]) * step_y), the steps being
    ``steps`` (y, x) or, where -1, 1/H and 1/W: first one per size with ratio ``ratios[0]``,
    then one per further ratio with size ``sizes[0]``. A box of size s and ratio r has width
    s * H / W * sqrt(r) and height s / sqrt(r). The output (1, H * W * (len(sizes) +
    len(ratios) - 1), 4) lists the corners pixel by pixel (rows first), clipped to [0, 1]
    with ``clip``.

    >>> mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, 1, 2)), sizes=(0.5,))
    <BLANKLINE>
    [[[0.125 0.25  0.375 0.75 ]
      [0.625 0.25  0.875 0.75 ]]]
    <NDArray 1x2x4 @cpu(0)>
    """

    params = Params(
        sizes=FloatTuple((1.0,), doc="The box sizes, relative to the image."),
        ratios=FloatTuple((1.0,), doc="The box aspect ratios (width / height)."),
        clip=Bool(False, doc="Clip the boxes to the image, [0, 1]."),
        steps=FloatTuple((-1.0, -1.0), doc="The distance of box centres (y, x); -1: 1/size."),
        offsets=FloatTuple((0.5, 0.5), doc="The centre offsets (y, x) within a pixel."),
    )
    saves = ()

    def _check_params(self, p):
        for name in ("steps", "offsets"):
            value = getattr(p, name)
            if len(value) != 2:
                raise MXNetValueError(f"{self.name}: {name}={value} must hold 2 numbers (y, x)")
        for name in ("sizes", "ratios"):
            if not getattr(p, name):
                raise MXNetValueError(f"{self.name}: {name} must hold at least one number")

    def infer_shape(self, p, data):
        self._check_params(p)
        if not is_known(data):
            return None
        if len(data) < 4:
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; expected at least 4 "
                "dimensions (batch, channel, height, width)"
            )
        per_pixel = len(p.sizes) + len(p.ratios) - 1
        return (data,), ((1, data[2] * data[3] * per_pixel, 4),)

    def infer_type(self, p, data):
        dtype = float_type(self, p, (data,))
        return None if dtype is None else ((dtype,), (dtype,))

    def forward(self, xp, p, data, out=None):
        height, width = data.shape[2], data.shape[3]
        f32 = np.float32
        # MXNet computes the anchors in float32, each product and quotient rounded in turn
        # (a ratio of 0 gives infinite boxes, as there).
        with np.errstate(divide="ignore", invalid="ignore"):
            step_y = f32(p.steps[0]) if p.steps[0] > 0 else f32(1) / f32(height)
            step_x = f32(p.steps[1]) if p.steps[1] > 0 else f32(1) / f32(width)
            center_y = (np.arange(height, dtype=f32) + f32(p.offsets[0])) * step_y
            center_x = (np.arange(width, dtype=f32) + f32(p.offsets[1])) * step_x
            sizes = np.array(p.sizes, dtype=f32)
            ratios = np.sqrt(np.array(p.ratios, dtype=f32))
            box_sizes = np.concatenate([sizes, np.full(len(ratios) - 1, sizes[0], dtype=f32)])
            box_ratios = np.concatenate([np.full(len(sizes), ratios[0], dtype=f32), ratios[1:]])
            half_w = box_sizes * f32(height) / f32(width) * box_ratios / f32(2)
            half_h = box_sizes / box_ratios / f32(2)
        x = np.broadcast_to(center_x[None, :, None], (height, width, len(half_w)))
        y = np.broadcast_to(center_y[:, None, None], (height, width, len(half_w)))
        anchors = np.stack([x - half_w, y - half_h, x + half_w, y + half_h], axis=-1)
        if p.clip:
            anchors = np.clip(anchors, 0, 1)
        anchors = anchors.reshape(1, height * width * len(half_w), 4)
        return into(xp, xp.asarray(anchors.astype(data.dtype)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)


# ---- MultiBoxTarget ------------------------------------------------------------------------


def _encode(anchors, boxes, variances):
    """The regression targets of ground-truth corner ``boxes`` against ``anchors`` (K, 4):
    centre offsets in anchor sizes and log size ratios, each divided by its variance.
    Computed in float32 as MXNet does."""
    anchors, boxes = anchors.astype(np.float32), boxes.astype(np.float32)
    anchor_w, anchor_h = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    box_w, box_h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    half = np.float32(0.5)
    shift_x = (boxes[:, 0] + boxes[:, 2]) * half - (anchors[:, 0] + anchors[:, 2]) * half
    shift_y = (boxes[:, 1] + boxes[:, 3]) * half - (anchors[:, 1] + anchors[:, 3]) * half
    vx, vy, vw, vh = (np.float32(v) for v in variances)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.stack(
            [
                shift_x / anchor_w / vx,
                shift_y / anchor_h / vy,
                np.log(box_w / anchor_w) / vw,
                np.log(box_h / anchor_h) / vh,
            ],
            axis=-1,
        )


def _valid_labels(op_name, labels):
    """The number of leading ground-truth rows of ``labels`` (L, width): the first row of
    class -1 ends them, and MXNet 1.9.1 requires its coordinates to be -1 as well."""
    padding = np.nonzero(labels[:, 0] == -1)[0]
    if padding.size == 0:
        return labels.shape[0]
    first = padding[0]
    if np.any(labels[first, 1:5] != -1):
        raise MXNetValueError(
            f"{op_name}: label row {first} has class -1 (padding) but coordinates "
            f"{labels[first, 1:5].tolist()}; padding rows must be all -1"
        )
    return int(first)


def _bipartite(overlaps):
    """Flags and matched ground truths after matching each ground truth to its best anchor,
    best pair first (overlap above 1e-6; equal overlaps in anchor-major order)."""
    anchors, truths = overlaps.shape
    flags = np.full(anchors, -1, dtype=np.int8)
    matched = np.full(anchors, -1, dtype=np.int64)
    open_truth = np.ones(truths, dtype=bool)
    scores = overlaps.astype(np.float32)
    for _ in range(min(anchors, truths)):
        masked = np.where((flags[:, None] == 1) | ~open_truth[None, :], -np.inf, scores)
        best = int(masked.argmax())
        anchor, truth = divmod(best, truths)
        if not masked[anchor, truth] > np.float32(1e-6):
            break
        flags[anchor], matched[anchor] = 1, truth
        open_truth[truth] = False
    return flags, matched


def _mine_negatives(p, flags, best_overlap, cls_pred):
    """Mark as negative (0) the anchors the classifier finds least like background, at most
    ``negative_mining_ratio`` per positive, among those overlapping no ground truth by
    ``negative_mining_thresh`` or more."""
    anchors = flags.size
    positives = int((flags == 1).sum())
    # MXNet 1.9.1's CPU kernel ignores minimum_negative_samples (its GPU kernel honours it).
    wanted = min(
        int(np.float32(positives) * np.float32(p.negative_mining_ratio)), anchors - positives
    )
    if wanted <= 0:
        return
    far = best_overlap < np.float32(p.negative_mining_thresh)
    candidates = np.nonzero((flags == -1) & far)[0]
    if candidates.size < wanted:
        raise MXNetValueError(
            f"_contrib_MultiBoxTarget: negative mining wants {wanted} negative anchors but "
            f"only {candidates.size} overlap every ground truth by less than "
            f"negative_mining_thresh={p.negative_mining_thresh}; lower negative_mining_ratio "
            "or raise negative_mining_thresh"
        )
    logits = cls_pred[:, candidates]
    shifted = np.exp(logits - logits.max(axis=0))
    background = shifted[0] / shifted.sum(axis=0)
    hardest = candidates[np.argsort(background, kind="stable")[:wanted]]
    flags[hardest] = 0


def _targets_of_image(p, anchors, labels, cls_pred):
    """Return (loc_target (N, 4), loc_mask (N, 4), cls_target (N,)) for one image."""
    count = anchors.shape[0]
    loc_target = np.zeros((count, 4), dtype=anchors.dtype)
    loc_mask = np.zeros((count, 4), dtype=anchors.dtype)
    cls_target = np.full(count, p.ignore_label, dtype=anchors.dtype)
    truths = labels[: _valid_labels("_contrib_MultiBoxTarget", labels)]
    if truths.shape[0] == 0:
        return loc_target, loc_mask, cls_target
    intersection, union = intersection_and_union(
        np, anchors[:, None, :], truths[None, :, 1:5], clamp_areas=False
    )
    nonzero = union != 0
    overlaps = np.where(nonzero, intersection / np.where(nonzero, union, 1), 0)
    flags, matched = _bipartite(overlaps)
    best_truth = overlaps.argmax(axis=1)
    best_overlap = overlaps[np.arange(count), best_truth].astype(np.float32)
    if p.overlap_threshold > 0:
        extra = (flags != 1) & (best_overlap > np.float32(p.overlap_threshold))
        flags[extra], matched[extra] = 1, best_truth[extra]
    if p.negative_mining_ratio > 0:
        _mine_negatives(p, flags, best_overlap, cls_pred)
    else:
        flags[flags != 1] = 0
    positive = flags == 1
    chosen = truths[matched[positive]]
    cls_target[positive] = chosen[:, 0] + 1
    cls_target[flags == 0] = 0
    loc_mask[positive] = 1
    loc_target[positive] = _encode(anchors[positive], chosen[:, 1:5], p.variances)
    return loc_target, loc_mask, cls_target


@register("_contrib_MultiBoxTarget", aliases=("_npx_multibox_target",))
class MultiBoxTarget(Op):
    """Return the training targets of anchor boxes for object detection (SSD).

    ``anchor`` (1, N, 4) holds corner boxes; ``label`` (B, L, width >= 5) the ground truth of
    each image as rows [class, xmin, ymin, xmax, ymax, ...], ended by padding rows of -1;
    ``cls_pred`` (B, classes, N) the class scores (logits) used for negative mining.

    Each ground truth first claims the free anchor it overlaps most (best pair first); then,
    where ``overlap_threshold`` > 0, every other anchor overlapping some ground truth by more
    becomes positive for its best one. The others are negative (class 0) or, with
    ``negative_mining_ratio`` > 0, only the hardest negatives (lowest background
    probability) are, up to that ratio per positive and among anchors overlapping every
    ground truth by less than ``negative_mining_thresh``; the rest get ``ignore_label``.
    Images without ground truth ignore every anchor. As in MXNet 1.9.1's CPU kernel,
    ``minimum_negative_samples`` has no effect.

    Returns loc_target (B, N * 4): positives' box offsets ((dx / w, dy / h, log(gw / w),
    log(gh / h)) divided by ``variances``); loc_mask (B, N * 4): 1 at positives; and
    cls_target (B, N): ground-truth class + 1 at positives.
    """

    inputs = ("anchor", "label", "cls_pred")
    params = Params(
        overlap_threshold=Float(0.5, doc="Anchors overlapping a ground truth more are positive."),
        ignore_label=Float(-1.0, doc="The class target of ignored anchors."),
        negative_mining_ratio=Float(-1.0, doc="Negatives per positive; -1 uses all negatives."),
        negative_mining_thresh=Float(0.5, doc="Mine negatives only below this overlap."),
        minimum_negative_samples=Int(0, doc="Ignored, as by MXNet 1.9.1 on the CPU."),
        variances=FloatTuple((0.1, 0.1, 0.2, 0.2), doc=_VARIANCES_DOC),
    )
    saves = ()

    def num_outputs(self, p):
        return 3

    def output_names(self, p):
        return ("loc_target", "loc_mask", "cls_target")

    def _check_params(self, p):
        _check_variances(self.name, p.variances)
        if p.negative_mining_ratio > 0 and p.negative_mining_thresh <= 0:
            raise MXNetValueError(
                f"{self.name}: negative_mining_thresh={p.negative_mining_thresh} must be "
                "positive when negative mining is on"
            )

    def infer_shape(self, p, anchor, label, cls_pred):
        self._check_params(p)
        if not (is_known(anchor) and is_known(label) and is_known(cls_pred)):
            return None
        check_ndim(self.name, "anchor", anchor, 3, "1, num_anchors, 4")
        check_ndim(self.name, "label", label, 3, "batch, num_labels, label_width")
        check_ndim(self.name, "cls_pred", cls_pred, 3, "batch, num_classes, num_anchors")
        if anchor[0] != 1 or anchor[2] != 4:
            raise MXNetValueError(
                f"{self.name}: anchor has shape {shape_str(anchor)}; expected (1, num_anchors, "
                "4): corner boxes shared by the batch"
            )
        if label[2] < 5:
            raise MXNetValueError(
                f"{self.name}: label has shape {shape_str(label)}; rows need at least 5 "
                "elements [class, xmin, ymin, xmax, ymax]"
            )
        if cls_pred[2] != anchor[1] or cls_pred[0] != label[0]:
            raise MXNetValueError(
                f"{self.name}: cls_pred has shape {shape_str(cls_pred)}; expected "
                f"({label[0]}, num_classes, {anchor[1]}) for label {shape_str(label)} and "
                f"anchor {shape_str(anchor)}"
            )
        batch, count = label[0], anchor[1]
        return (anchor, label, cls_pred), ((batch, count * 4), (batch, count * 4), (batch, count))

    def infer_type(self, p, anchor, label, cls_pred):
        dtype = float_type(self, p, (anchor, label, cls_pred))
        return None if dtype is None else ((dtype,) * 3, (dtype,) * 3)

    def forward(self, xp, p, anchor, label, cls_pred, out=None):
        compute = _compute_dtype(anchor.dtype)
        anchors = host(anchor).reshape(-1, 4).astype(compute)
        labels, predictions = host(label).astype(compute), host(cls_pred).astype(compute)
        batch, count = labels.shape[0], anchors.shape[0]
        loc_target = np.zeros((batch, count, 4), dtype=compute)
        loc_mask = np.zeros((batch, count, 4), dtype=compute)
        cls_target = np.zeros((batch, count), dtype=compute)
        for image in range(batch):
            loc_target[image], loc_mask[image], cls_target[image] = _targets_of_image(
                p, anchors, labels[image], predictions[image]
            )
        values = (loc_target.reshape(batch, -1), loc_mask.reshape(batch, -1), cls_target)
        return into_outputs(xp, [xp.asarray(v.astype(anchor.dtype)) for v in values], out)

    def gradient(self, p, F, inputs, outputs, dy):
        return None, None, None


# ---- MultiBoxDetection ---------------------------------------------------------------------


def _decode(anchors, offsets, variances, clip):
    """Corner boxes from ``anchors`` (N, 4) moved by predicted ``offsets`` (B, N, 4)."""
    two = anchors.dtype.type(2)
    width, height = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    center_x = (anchors[:, 0] + anchors[:, 2]) / two
    center_y = (anchors[:, 1] + anchors[:, 3]) / two
    vx, vy, vw, vh = (anchors.dtype.type(v) for v in variances)
    x = offsets[..., 0] * vx * width + center_x
    y = offsets[..., 1] * vy * height + center_y
    with np.errstate(over="ignore"):
        half_w = np.exp(offsets[..., 2] * vw) * width / two
        half_h = np.exp(offsets[..., 3] * vh) * height / two
    boxes = np.stack([x - half_w, y - half_h, x + half_w, y + half_h], axis=-1)
    return np.clip(boxes, 0, 1) if clip else boxes


def _suppress_detections(p, rows, counts):
    """Sort the leading ``counts`` detections of each image of ``rows`` (B, N, 6) by score,
    mark those beyond ``nms_topk`` and the suppressed ones with class -1, in place."""
    count = rows.shape[1]
    position = np.arange(count)
    valid = position < counts[:, None]
    order = np.argsort(
        np.where(valid, -rows[..., 1].astype(np.float64), np.inf), axis=1, kind="stable"
    )
    keep = counts if p.nms_topk <= 0 else np.minimum(counts, p.nms_topk)
    # MXNet 1.9.1 sorts only the kept rows into place; the rows after them keep their
    # unsorted contents, with class -1.
    head = position < keep[:, None]
    sorted_rows = np.take_along_axis(rows, order[..., None], axis=1)
    rows[head] = sorted_rows[head]
    rows[valid & ~head, 0] = -1
    threshold = rows.dtype.type(p.nms_threshold)

    def overlapping(intersection, union):
        # An empty union overlaps 0, below any threshold here (0 < nms_threshold <= 1).
        with np.errstate(divide="ignore", invalid="ignore"):
            return (union > 0) & (intersection / union >= threshold)

    boxes = rows[..., 2:]
    areas = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    alive = rows[..., 0] >= 0
    classes = None if p.force_suppress else rows[..., 0]
    suppress_in_order(boxes, areas, alive, classes, overlapping)
    rows[valid & ~alive, 0] = -1


@register("_contrib_MultiBoxDetection", aliases=("_npx_multibox_detection",))
class MultiBoxDetection(Op):
    """Return the detections of an SSD network: boxes, classes and scores, suppressed.

    ``cls_prob`` (B, classes, N) holds class probabilities, class 0 being the background;
    ``loc_pred`` (B, N * 4) the predicted box offsets (scaled by ``variances``, as
    MultiBoxTarget encodes them); ``anchor`` (1, N, 4) the anchor corners. Each anchor's
    best class other than 0 is a detection where its probability reaches ``threshold``. The
    output (B, N, 6) holds rows [class - 1, score, xmin, ymin, xmax, ymax] (clipped to
    [0, 1] with ``clip``), the detections first, then rows of -1.

    Where 0 < ``nms_threshold`` <= 1 the detections are sorted by descending score (equal
    scores keep anchor order), those after the first ``nms_topk`` (where > 0) get class -1,
    and each remaining detection sets the class of every later one of its class (every
    class with ``force_suppress``) that overlaps it by ``nms_threshold`` or more to -1; a
    suppressed row keeps its other values. As in MXNet 1.9.1, ``background_id`` has no
    effect: class 0 is the background.
    """

    inputs = ("cls_prob", "loc_pred", "anchor")
    params = Params(
        clip=Bool(True, doc="Clip the boxes to the image, [0, 1]."),
        threshold=Float(0.01, doc="The least probability of a detection."),
        background_id=Int(0, doc="Ignored, as by MXNet 1.9.1: class 0 is the background."),
        nms_threshold=Float(0.5, doc="Suppress detections overlapping a better one this much."),
        force_suppress=Bool(False, doc="Suppress across classes too."),
        variances=FloatTuple((0.1, 0.1, 0.2, 0.2), doc=_VARIANCES_DOC),
        nms_topk=Int(-1, doc="Keep only the nms_topk best detections; -1 keeps all."),
    )
    saves = ()

    def infer_shape(self, p, cls_prob, loc_pred, anchor):
        _check_variances(self.name, p.variances)
        if not (is_known(cls_prob) and is_known(loc_pred) and is_known(anchor)):
            return None
        check_ndim(self.name, "cls_prob", cls_prob, 3, "batch, num_classes, num_anchors")
        check_ndim(self.name, "loc_pred", loc_pred, 2, "batch, num_anchors * 4")
        check_ndim(self.name, "anchor", anchor, 3, "1, num_anchors, 4")
        batch, _, count = cls_prob
        if tuple(anchor) != (1, count, 4):
            raise MXNetValueError(
                f"{self.name}: anchor has shape {shape_str(anchor)}; expected (1, {count}, 4) "
                f"for cls_prob {shape_str(cls_prob)}"
            )
        if tuple(loc_pred) != (batch, count * 4):
            raise MXNetValueError(
                f"{self.name}: loc_pred has shape {shape_str(loc_pred)}; expected "
                f"({batch}, {count * 4}) for cls_prob {shape_str(cls_prob)}"
            )
        return (cls_prob, loc_pred, anchor), ((batch, count, 6),)

    def infer_type(self, p, cls_prob, loc_pred, anchor):
        dtype = float_type(self, p, (cls_prob, loc_pred, anchor))
        return None if dtype is None else ((dtype,) * 3, (dtype,))

    def forward(self, xp, p, cls_prob, loc_pred, anchor, out=None):
        compute = _compute_dtype(cls_prob.dtype)
        probs = host(cls_prob).astype(compute)
        batch, _, count = probs.shape
        rows = np.full((batch, count, 6), -1, dtype=compute)
        if probs.shape[1] > 1 and count:
            foreground = probs[:, 1:, :]
            best = foreground.argmax(axis=1)
            score = np.take_along_axis(foreground, best[:, None, :], axis=1)[:, 0, :]
            # MXNet starts its search for the best score at -1 and drops scores below
            # threshold.
            valid = (score > -1) & ~(score < compute(p.threshold))
            boxes = _decode(
                host(anchor).reshape(-1, 4).astype(compute),
                host(loc_pred).reshape(batch, count, 4).astype(compute),
                p.variances,
                p.clip,
            )
            detections = np.concatenate(
                [best[..., None].astype(compute), score[..., None], boxes], axis=-1
            )
            first = np.argsort(~valid, axis=1, kind="stable")
            counts = valid.sum(axis=1)
            placed = np.arange(count) < counts[:, None]
            rows[placed] = np.take_along_axis(detections, first[..., None], axis=1)[placed]
            if counts.max(initial=0) > 0 and 0 < p.nms_threshold <= 1:
                _suppress_detections(p, rows, counts)
        return into(xp, xp.asarray(rows.astype(cls_prob.dtype)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return None, None, None
