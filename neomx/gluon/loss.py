"""Gluon losses, as ``mx.gluon.loss`` in MXNet 1.9.1.

Every loss is a HybridBlock called as ``loss(pred, label[, sample_weight])`` that returns one
value per sample (the mean, or for KLDivLoss the sum, over all axes but ``batch_axis``). Two
weights scale it, in this order: ``sample_weight`` (an array broadcast against the element-wise
loss, e.g. shape ``(batch, 1)``) and ``weight`` (a number given at construction).
"""

from __future__ import annotations

import math
import numbers

from .. import ndarray
from .hybrid import HybridBlock

__all__ = [
    "Loss",
    "L2Loss",
    "L1Loss",
    "SigmoidBinaryCrossEntropyLoss",
    "SigmoidBCELoss",
    "SoftmaxCrossEntropyLoss",
    "SoftmaxCELoss",
    "KLDivLoss",
    "CTCLoss",
    "HuberLoss",
    "HingeLoss",
    "SquaredHingeLoss",
    "LogisticLoss",
    "TripletLoss",
    "PoissonNLLLoss",
    "CosineEmbeddingLoss",
    "SDMLLoss",
]


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """Scale ``loss`` element-wise by ``sample_weight`` (broadcast), then by the number
    ``weight``; either may be None."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, numbers.Number):
            raise TypeError(f"loss weight must be a number, got {type(weight).__name__}")
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """``x`` reshaped to ``y``'s shape (a label given as (N,) for a prediction of (N, 1))."""
    if F is ndarray:
        return x.reshape(y.shape)
    return F.reshape_like(x, y)


class Loss(HybridBlock):
    """Base class of the losses.

    Parameters
    ----------
    weight : float or None
        A global scale for the loss.
    batch_axis : int
        The axis of samples; the loss is reduced over all the others.
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return f"{self.__class__.__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError(f"{self.__class__.__name__} must define hybrid_forward")

    def _per_sample_mean(self, F, loss):
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class L2Loss(Loss):
    """Half the squared error, ``weight / 2 * (label - pred) ** 2``, averaged per sample.

    Examples
    --------
    >>> mx.gluon.loss.L2Loss()(mx.nd.array([[1.0, 2.0]]), mx.nd.array([[0.0, 0.0]])).asnumpy()
    array([1.25], dtype=float32)
    """

    def __init__(self, weight=1.0, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return self._per_sample_mean(F, loss)


class L1Loss(Loss):
    """Absolute error ``|label - pred|``, averaged per sample."""

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._per_sample_mean(F, loss)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy of labels in [0, 1] against ``sigmoid(pred)``.

    Parameters
    ----------
    from_sigmoid : bool
        True when ``pred`` is already a probability; False (default) takes logits and uses
        the numerically stable ``relu(x) - x * z + log(1 + exp(-|x|))``.

    Call as ``loss(pred, label, sample_weight=None, pos_weight=None)``; ``pos_weight`` scales
    the positive term and broadcasts against ``label``.
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            log_one_plus_exp = F.Activation(-F.abs(pred), act_type="softrelu")
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + log_one_plus_exp
            else:
                # -z*log(sigmoid(x))*p - (1-z)*log(1-sigmoid(x)), rearranged to stay finite.
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (log_one_plus_exp + F.relu(-pred))
        else:
            eps = 1e-12
            positive = F.log(pred + eps) * label
            if pos_weight is not None:
                positive = F.broadcast_mul(positive, pos_weight)
            loss = -(positive + F.log(1.0 - pred + eps) * (1.0 - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._per_sample_mean(F, loss)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy between ``softmax(pred)`` along ``axis`` and the labels.

    Parameters
    ----------
    axis : int
        The class axis.
    sparse_label : bool
        True: ``label`` holds class indices (one fewer axis than ``pred``); False: ``label``
        holds a distribution of ``pred``'s shape.
    from_logits : bool
        True when ``pred`` already holds log-probabilities.

    Examples
    --------
    >>> loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    >>> loss(mx.nd.array([[0.0, 0.0]]), mx.nd.array([1])).asnumpy().round(4)
    array([0.6931], dtype=float32)
    """

    def __init__(
        self, axis=-1, sparse_label=True, from_logits=False, weight=None, batch_axis=0, **kwargs
    ):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._per_sample_mean(F, loss)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``label * (log(label) - pred)``, summed per sample.

    Parameters
    ----------
    from_logits : bool
        True (default) when ``pred`` holds log-probabilities; False applies ``log_softmax``
        along ``axis`` first.
    axis : int
        The class axis for ``log_softmax``.
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        # MXNet 1.9.1 sums here, where the other losses average.
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class CTCLoss(Loss):
    """Connectionist temporal classification loss; the blank is the last class.

    Parameters
    ----------
    layout : str
        ``'NTC'`` (default) or ``'TNC'``: the axes of ``pred``.
    label_layout : str
        ``'NT'`` (default) or ``'TN'``: the axes of ``label``.

    Call as ``loss(pred, label, pred_lengths=None, label_lengths=None, sample_weight=None)``;
    without lengths every sequence is full length (labels padded with -1 end early).
    """

    def __init__(self, layout="NTC", label_layout="NT", weight=None, **kwargs):
        if layout not in ("NTC", "TNC"):
            raise ValueError(f"CTCLoss: only 'NTC' and 'TNC' layouts for pred, got {layout!r}")
        if label_layout not in ("NT", "TN"):
            raise ValueError(f"CTCLoss: only 'NT' and 'TN' layouts for label, got {label_layout!r}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(
        self, F, pred, label, pred_lengths=None, label_lengths=None, sample_weight=None
    ):
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)  # the operator takes (T, N, C)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = F.CTCLoss(
            pred,
            label,
            pred_lengths,
            label_lengths,
            use_data_lengths=pred_lengths is not None,
            use_label_lengths=label_lengths is not None,
            blank_label="last",
        )
        return _apply_weighting(F, loss, self._weight, sample_weight)


class HuberLoss(Loss):
    """Smooth L1: ``0.5 / rho * err ** 2`` where ``|err| <= rho``, ``|err| - 0.5 * rho``
    elsewhere, averaged per sample.

    Parameters
    ----------
    rho : float
        Where the loss turns from quadratic to linear.
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        error = F.abs(label - pred)
        loss = F.where(
            error > self._rho, error - 0.5 * self._rho, (0.5 / self._rho) * F.square(error)
        )
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._per_sample_mean(F, loss)


class HingeLoss(Loss):
    """Hinge loss ``max(0, margin - pred * label)`` for labels in {-1, 1}, averaged."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._per_sample_mean(F, loss)


class SquaredHingeLoss(Loss):
    """Squared hinge loss ``max(0, margin - pred * label) ** 2`` for labels in {-1, 1}."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._per_sample_mean(F, loss)


class LogisticLoss(Loss):
    """Logistic loss ``log(1 + exp(-pred * label))``.

    Parameters
    ----------
    label_format : str
        ``'signed'`` (default): labels in {-1, 1}; ``'binary'``: labels in {0, 1}.
    """

    def __init__(self, weight=None, batch_axis=0, label_format="signed", **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise ValueError(
                f"LogisticLoss: label_format must be 'signed' or 'binary', got {label_format!r}"
            )
        self._label_format = label_format

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0  # {-1, 1} -> {0, 1}
        loss = F.relu(pred) - pred * label + F.Activation(-F.abs(pred), act_type="softrelu")
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._per_sample_mean(F, loss)


class TripletLoss(Loss):
    """Triplet loss ``max(0, |pred - positive|^2 - |pred - negative|^2 + margin)``.

    Call as ``loss(pred, positive, negative)``.
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        gap = F.square(positive - pred) - F.square(negative - pred)
        loss = F.relu(F.sum(gap, axis=self._batch_axis, exclude=True) + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class PoissonNLLLoss(Loss):
    """Negative log-likelihood of ``target`` under a Poisson distribution, averaged over all
    elements (one value, not one per sample).

    Parameters
    ----------
    from_logits : bool
        True (default): ``pred`` is the log of the rate; False: ``pred`` is the rate.
    compute_full : bool
        Add Stirling's approximation of ``log(target!)`` for targets above 1.

    Call as ``loss(pred, target, sample_weight=None, epsilon=1e-08)``.

    Notes
    -----
    MXNet 1.9.1 returns NaN with ``compute_full`` when a target is 0 (it multiplies
    ``0 * log(0)`` by the mask); neomx gives those targets no Stirling term, and builds the
    result without in-place updates, so it also works under ``autograd.record()``.
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            above_one = target > 1
            safe = F.where(above_one, target, F.ones_like(target))  # log stays finite
            stirling = safe * F.log(safe) - safe + 0.5 * F.log(2 * math.pi * safe)
            loss = loss + stirling * above_one
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    """Cosine embedding loss: ``1 - cos(x1, x2)`` for label 1, ``max(0, cos(x1, x2) - margin)``
    for label -1, per sample.

    Call as ``loss(input1, input2, label, sample_weight=None)``; the result has shape
    ``(batch, 1)``, as in MXNet.
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = F.reshape(label, (-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        # max(0, .) of MXNet's broadcast_maximum with a zero array: relu gives the same values
        # and gradients, including the zero gradient where the two are equal.
        dissimilar = F.relu((label == -1) * (cos_sim - self._margin))
        loss = similar + dissimilar
        return _apply_weighting(F, loss, self._weight, sample_weight)

    def _cosine_similarity(self, F, x, y, axis=-1):
        x_norm = F.reshape(F.norm(x, axis=axis), (-1, 1))
        y_norm = F.reshape(F.norm(y, axis=axis), (-1, 1))
        x_dot_y = F.reshape(F.sum(x * y, axis=axis), (-1, 1))
        return x_dot_y / F.maximum(x_norm * y_norm, 1e-12)


class SDMLLoss(Loss):
    """Smoothed deep metric learning loss for a batch of matching pairs ``(x1[i], x2[i])``.

    Each row's squared distances to every ``x2`` become a softmax over the batch; the loss is
    its KL divergence from labels that put ``1 - smoothing_parameter`` on the matching pair and
    spread the rest evenly over the others. Call as ``loss(x1, x2)`` with 2-D inputs of the same
    shape and a batch of at least 2.

    Parameters
    ----------
    smoothing_parameter : float
        Probability mass moved from the match to the non-matches.
    """

    def __init__(self, smoothing_parameter=0.3, weight=1.0, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _compute_distances(self, F, x1, x2):
        """Squared distances between every row of ``x1`` and every row of ``x2``: (N, N)."""
        difference = F.broadcast_sub(F.expand_dims(x1, axis=1), F.expand_dims(x2, axis=0))
        return F.sum(F.square(difference), axis=2)

    def _compute_labels(self, F, x1):
        """The smoothed identity matrix, built from ``x1`` so it needs no shapes (hybridizes)."""
        index = F.contrib.arange_like(x1, axis=0)
        gold = F.broadcast_equal(F.reshape(index, (-1, 1)), F.reshape(index, (1, -1)))
        others = F.sum(F.ones_like(index)) - 1
        spread = F.broadcast_div((1 - gold) * self.smoothing_parameter, others)
        return gold * (1 - self.smoothing_parameter) + spread

    def hybrid_forward(self, F, x1, x2):
        labels = self._compute_labels(F, x1)
        distances = self._compute_distances(F, x1, x2)
        log_probabilities = F.log_softmax(-distances, axis=1)
        return self.kl_loss(log_probabilities, labels)
