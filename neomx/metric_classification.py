"""Classification metrics: Accuracy, TopKAccuracy, F1, MCC, Precision, Recall and PCC."""

from __future__ import annotations

import math

import numpy

from .base import MXNetValueError
from .metric_base import EvalMetric, alias, as_numpy, check_pairs, register

__all__ = ["Accuracy", "TopKAccuracy", "F1", "MCC", "Precision", "Recall", "PCC"]


@register
@alias("acc")
class Accuracy(EvalMetric):
    """The fraction of predictions that equal the labels.

    A prediction whose shape differs from its label's holds scores; the predicted class is their
    argmax along ``axis``. A prediction shaped like its label already holds classes.

    Parameters
    ----------
    axis : int, default 1
        The class axis of score predictions.
    name : str, default 'accuracy'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> acc = mx.metric.Accuracy()
    >>> acc.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> acc.get()
    ('accuracy', 0.6666666666666666)
    """

    def __init__(self, axis=1, name="accuracy", output_names=None, label_names=None):
        super().__init__(
            name,
            axis=axis,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.axis = axis

    def update(self, labels, preds) -> None:
        labels, preds = check_pairs("Accuracy", labels, preds)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label), as_numpy(pred)
            if pred.shape != label.shape:
                try:
                    pred = numpy.argmax(pred, axis=self.axis)
                except (ValueError, IndexError) as err:
                    raise MXNetValueError(
                        f"Accuracy: cannot take the argmax of predictions of shape {pred.shape} "
                        f"along axis {self.axis}: {err}"
                    ) from err
            pred = pred.astype("int32").reshape(-1)
            label = label.astype("int32").reshape(-1)
            if pred.size != label.size:
                raise MXNetValueError(
                    f"Accuracy: shape of labels {label.size} does not match shape of "
                    f"predictions {pred.size} (after the argmax along axis {self.axis})"
                )
            self._add((pred == label).sum(), pred.size)


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """The fraction of samples whose label is among the ``top_k`` highest scores.

    Parameters
    ----------
    top_k : int, default 1
        How many classes count; must be above 1 (use :class:`Accuracy` for 1). With more than
        the number of classes, every class counts.
    name : str, default 'top_k_accuracy'
        ``_<top_k>`` is appended (unless the name already ends so).
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> top2 = mx.metric.TopKAccuracy(top_k=2)
    >>> top2.update([mx.nd.array([2, 0])], [mx.nd.array([[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]])])
    >>> top2.get()
    ('top_k_accuracy_2', 0.5)
    """

    def __init__(self, top_k=1, name="top_k_accuracy", output_names=None, label_names=None):
        super().__init__(
            name,
            top_k=top_k,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.top_k = top_k
        if not self.top_k > 1:
            raise MXNetValueError(
                f"TopKAccuracy: top_k must be above 1, got {top_k}; use Accuracy for top_k=1"
            )
        # NOTE: get_config() holds the suffixed name; not suffixing it twice lets
        # create(get_config()) round-trip (MXNet 1.9.1 would name it 'top_k_accuracy_5_5').
        if not self.name.endswith(f"_{self.top_k}"):
            self.name += f"_{self.top_k}"

    def update(self, labels, preds) -> None:
        labels, preds = check_pairs("TopKAccuracy", labels, preds)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label).astype("int32"), as_numpy(pred).astype("float32")
            if pred.ndim > 2:
                raise MXNetValueError(
                    f"TopKAccuracy: predictions must have at most 2 dimensions, got {pred.shape}"
                )
            if len(label) != len(pred):
                raise MXNetValueError(
                    f"TopKAccuracy: shape of labels {len(label)} does not match shape of "
                    f"predictions {len(pred)}"
                )
            num_samples = pred.shape[0]
            top_k = min(self.top_k, pred.shape[-1])
            # NOTE: MXNet 1.9.1 fails when top_k exceeds the classes; every class counts here.
            ranked = numpy.argpartition(pred, -top_k, axis=-1)
            if pred.ndim == 1:
                # MXNet 1.9.1 compares 1-D predictions position by position with the labels
                # after the partition (and leaves its global sum out, which neomx does not).
                correct = (ranked == label.reshape(-1)).sum()
            else:
                label = label.reshape(-1)
                if label.size != num_samples:
                    raise MXNetValueError(
                        f"TopKAccuracy: labels of shape {label.shape} do not fit predictions of "
                        f"shape {pred.shape}"
                    )
                correct = (ranked[:, pred.shape[1] - top_k :] == label[:, None]).sum()
            self._add(correct, num_samples)


class _Counts:
    """True/false positives/negatives of a binary classifier (class 1 is positive)."""

    def __init__(self):
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, pred_true, label_true) -> None:
        self.tp += int((pred_true & label_true).sum())
        self.fp += int((pred_true & ~label_true).sum())
        self.fn += int((~pred_true & label_true).sum())
        self.tn += int((~pred_true & ~label_true).sum())

    @property
    def total(self):
        return self.tp + self.fp + self.fn + self.tn

    def precision(self) -> float:
        return float(self.tp) / (self.tp + self.fp) if self.tp + self.fp > 0 else 0.0

    def recall(self) -> float:
        return float(self.tp) / (self.tp + self.fn) if self.tp + self.fn > 0 else 0.0

    def fscore(self) -> float:
        precision, recall = self.precision(), self.recall()
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.0

    def mcc(self) -> float:
        if not self.total:
            return 0.0
        tp, fp, fn, tn = float(self.tp), float(self.fp), float(self.fn), float(self.tn)
        # As MXNet 1.9.1: empty margins (all one class) drop out of the denominator.
        denominator = 1.0
        for term in (tp + fp, tp + fn, tn + fp, tn + fn):
            if term != 0.0:
                denominator *= term
        return (tp * tn - fp * fn) / math.sqrt(denominator)


class _BinaryMetric(EvalMetric):
    """Base of the binary metrics: counts predictions (argmax of (N, 2) scores) against 0/1
    labels, and averages a score of those counts per update ('macro') or over all samples
    ('micro')."""

    score = "fscore"

    def __init__(self, name, output_names=None, label_names=None, average="macro"):
        if average not in ("macro", "micro"):
            raise MXNetValueError(
                f"{type(self).__name__}: average must be 'macro' or 'micro', got {average!r}"
            )
        self.average = average
        self._local = _Counts()
        self._global = _Counts()
        # NOTE: MXNet 1.9.1 leaves `average` out of get_config; kept here so configs round-trip.
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            average=average,
            has_global_stats=True,
        )

    def _count(self, label, pred) -> None:
        metric = type(self).__name__
        label, pred = as_numpy(label).astype("int32"), as_numpy(pred)
        if len(label) != len(pred):
            raise MXNetValueError(
                f"{metric}: shape of labels {len(label)} does not match shape of predictions "
                f"{len(pred)}"
            )
        if pred.ndim != 2:
            raise MXNetValueError(
                f"{metric}: predictions must be (batch, classes) scores, got shape {pred.shape}"
            )
        if len(numpy.unique(label)) > 2:
            raise MXNetValueError(f"{metric} currently only supports binary classification.")
        pred_true = numpy.argmax(pred, axis=1) == 1
        label_true = label == 1
        if pred_true.shape != label_true.shape:
            label_true = label_true.reshape(pred_true.shape)
        self._local.add(pred_true, label_true)
        self._global.add(pred_true, label_true)

    def update(self, labels, preds) -> None:
        labels, preds = check_pairs(type(self).__name__, labels, preds)
        for label, pred in zip(labels, preds):
            self._count(label, pred)
        local_score = getattr(self._local, self.score)()
        global_score = getattr(self._global, self.score)()
        if self.average == "macro":
            self.sum_metric += local_score
            self.global_sum_metric += global_score
            self.num_inst += 1
            self.global_num_inst += 1
            self._local, self._global = _Counts(), _Counts()
        else:
            self.sum_metric = local_score * self._local.total
            self.global_sum_metric = global_score * self._global.total
            self.num_inst = self._local.total
            self.global_num_inst = self._global.total

    def reset(self) -> None:
        super().reset()
        self._local, self._global = _Counts(), _Counts()

    def reset_local(self) -> None:
        super().reset_local()
        self._local = _Counts()


def _binary_doc(summary, example):
    """Return the docstring of a binary metric: ``summary``, the shared parameters, ``example``."""
    return f"""{summary}

    Parameters
    ----------
    name : str
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.
    average : {{'macro', 'micro'}}, default 'macro'
        'macro' averages the score of each update; 'micro' scores all samples together.

    Examples
    --------
{example}
    """


_THREE_SAMPLES = "[mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])]"


@register
class F1(_BinaryMetric):
    __doc__ = _binary_doc(
        "The F1 score (harmonic mean of precision and recall) of a binary classifier.",
        f"""    >>> f1 = mx.metric.F1()
    >>> f1.update({_THREE_SAMPLES})
    >>> f1.get()
    ('f1', 0.8)""",
    )
    score = "fscore"

    def __init__(self, name="f1", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)


@register
class MCC(_BinaryMetric):
    __doc__ = _binary_doc(
        "The Matthews correlation coefficient of a binary classifier.",
        f"""    >>> mcc = mx.metric.MCC()
    >>> mcc.update({_THREE_SAMPLES})
    >>> mcc.get()
    ('mcc', 0.0)""",
    )
    score = "mcc"

    def __init__(self, name="mcc", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)


@register
class Precision(_BinaryMetric):
    __doc__ = _binary_doc(
        """The precision (true positives over predicted positives) of a binary classifier.

    Not in MXNet 1.9.1; it counts and averages exactly as :class:`F1` does.""",
        """    >>> precision = mx.metric.Precision()
    >>> precision.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1], [1, 0]])])
    >>> precision.get()
    ('precision', 0.5)""",
    )
    score = "precision"

    def __init__(self, name="precision", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)


@register
class Recall(_BinaryMetric):
    __doc__ = _binary_doc(
        """The recall (true positives over actual positives) of a binary classifier.

    Not in MXNet 1.9.1; it counts and averages exactly as :class:`F1` does.""",
        """    >>> recall = mx.metric.Recall()
    >>> recall.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1], [1, 0]])])
    >>> recall.get()
    ('recall', 0.5)""",
    )
    score = "recall"

    def __init__(self, name="recall", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)


@register
class PCC(EvalMetric):
    """The multiclass Matthews correlation (Pearson correlation of one-hot predictions and
    labels), from a confusion matrix accumulated over all updates.

    The matrix grows as larger class ids appear; the value is ``nan`` while predictions or
    labels hold a single class.

    Parameters
    ----------
    name : str, default 'pcc'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.
    has_global_stats : bool, default True

    Examples
    --------
    >>> pcc = mx.metric.PCC()
    >>> pcc.update([mx.nd.array([0, 1, 2, 2])], [mx.nd.array([0, 1, 2, 1])])
    >>> round(pcc.get()[1], 4)
    0.7
    """

    def __init__(self, name="pcc", output_names=None, label_names=None, has_global_stats=True):
        self.k = 2
        super().__init__(
            name=name,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=has_global_stats,
        )

    def _grow(self, inc: int) -> None:
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), "constant")
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), "constant")
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat) -> float:
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds) -> None:
        labels, preds = check_pairs("PCC", labels, preds)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label).astype("int32"), as_numpy(pred)
            if pred.shape != label.shape:
                pred = pred.argmax(axis=1)
            pred = pred.astype("int32").reshape(-1)
            label = label.reshape(-1)
            if pred.size != label.size:
                raise MXNetValueError(
                    f"PCC: shape of labels {label.size} does not match shape of predictions "
                    f"{pred.size}"
                )
            if pred.size == 0:
                continue
            if min(pred.min(), label.min()) < 0:
                raise MXNetValueError("PCC: class ids must not be negative")
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(int(n) + 1 - self.k)
            batch = numpy.zeros((self.k, self.k))
            numpy.add.at(batch, (pred, label), 1)
            self.lcm += batch
            self.gcm += batch
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return float(self._calc_mcc(self.lcm) * self.num_inst)

    @property
    def global_sum_metric(self):
        return float(self._calc_mcc(self.gcm) * self.global_num_inst)

    def reset(self) -> None:
        self.global_num_inst = 0.0
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self) -> None:
        self.num_inst = 0.0
        self.lcm = numpy.zeros((self.k, self.k))
