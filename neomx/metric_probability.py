"""Metrics of predicted probabilities and losses: Perplexity, CrossEntropy,
NegativeLogLikelihood, Loss (and its Torch and Caffe names)."""

from __future__ import annotations

import math

import numpy

from .base import MXNetValueError
from .metric_base import EvalMetric, alias, as_numpy, check_pairs, is_array, register

__all__ = ["Perplexity", "CrossEntropy", "NegativeLogLikelihood", "Loss", "Torch", "Caffe"]


@register
class Perplexity(EvalMetric):
    """The perplexity: ``exp`` of the mean negative log-probability of the labels.

    Parameters
    ----------
    ignore_label : int or None
        Labels of this value do not count (padding, say); None counts every label.
    axis : int, default -1
        The class axis of the predicted probabilities.
    name : str, default 'perplexity'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> perplexity = mx.metric.Perplexity(ignore_label=None)
    >>> perplexity.update([mx.nd.array([0, 1])], [mx.nd.array([[0.5, 0.5], [0.25, 0.75]])])
    >>> round(perplexity.get()[1], 6)
    1.632993
    """

    def __init__(
        self, ignore_label, axis=-1, name="perplexity", output_names=None, label_names=None
    ):
        # NOTE: MXNet 1.9.1 leaves `axis` out of get_config; kept here so configs round-trip.
        super().__init__(
            name,
            ignore_label=ignore_label,
            axis=axis,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds) -> None:
        labels, preds = check_pairs("Perplexity", labels, preds)
        loss = 0.0
        num = 0
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label), as_numpy(pred)
            pred_shape = pred.shape
            try:
                pred = numpy.moveaxis(pred, self.axis, -1)
            except (ValueError, IndexError) as err:
                raise MXNetValueError(
                    f"Perplexity: axis {self.axis} is out of range for predictions of shape "
                    f"{pred_shape}"
                ) from err
            num_classes = pred.shape[-1]
            if num_classes == 0 or label.size * num_classes != pred.size:
                raise MXNetValueError(
                    f"Perplexity: shape mismatch: labels {label.shape} vs. predictions "
                    f"{pred_shape} (one label per prediction along axis {self.axis})"
                )
            label = label.reshape(-1)
            # As MXNet's pick (mode 'clip'): out-of-range class ids take the nearest class.
            index = numpy.clip(label.astype("int32"), 0, num_classes - 1)
            picked = pred.reshape(-1, num_classes)[numpy.arange(label.size), index]
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(picked.dtype)
                num -= float(ignore.sum())
                picked = picked * (1 - ignore) + ignore
            # float(): a float64 total, as MXNet 1.9.1 had on NumPy 1 (NumPy 2 keeps float32).
            loss -= float(numpy.log(numpy.maximum(picked.dtype.type(1e-10), picked)).sum())
            num += picked.size
        self._add(loss, num)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


class _LogLikelihood(EvalMetric):
    """Base of CrossEntropy and NegativeLogLikelihood: the mean of ``-log(p[label] + eps)``."""

    def __init__(self, eps, name, output_names=None, label_names=None):
        super().__init__(
            name,
            eps=eps,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.eps = eps

    def update(self, labels, preds) -> None:
        metric = type(self).__name__
        labels, preds = check_pairs(metric, labels, preds)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label).ravel(), as_numpy(pred)
            num_examples = pred.shape[0] if pred.ndim else 0
            if pred.ndim != 2 or label.shape[0] != num_examples:
                raise MXNetValueError(
                    f"{metric}: expected (batch, classes) probabilities and one label per row; "
                    f"got labels {label.shape} and predictions {pred.shape}"
                )
            index = numpy.int64(label)
            if index.size and (index.min() < 0 or index.max() >= pred.shape[1]):
                raise MXNetValueError(
                    f"{metric}: labels must lie in [0, {pred.shape[1]}), got "
                    f"{index.min()}..{index.max()}"
                )
            prob = pred[numpy.arange(num_examples, dtype=numpy.int64), index]
            self._add((-numpy.log(prob + self.eps)).sum(), num_examples)


def _log_likelihood_doc(summary, name, example):
    """Return the docstring of a log-likelihood metric called ``name`` by default."""
    return f"""{summary}: the mean of ``-log(p[label] + eps)`` over the samples.

    Parameters
    ----------
    eps : float, default 1e-12
        Added to the probabilities, so that a zero does not give ``inf``.
    name : str, default '{name}'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
{example}
    """


@register
@alias("ce")
class CrossEntropy(_LogLikelihood):
    __doc__ = _log_likelihood_doc(
        "The cross entropy",
        "cross-entropy",
        """    >>> ce = mx.metric.CrossEntropy()
    >>> ce.update([mx.nd.array([0, 1])], [mx.nd.array([[0.5, 0.5], [0.25, 0.75]])])
    >>> round(ce.get()[1], 6)
    0.490415""",
    )

    def __init__(self, eps=1e-12, name="cross-entropy", output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LogLikelihood):
    __doc__ = _log_likelihood_doc(
        "The negative log-likelihood",
        "nll-loss",
        """    >>> nll = mx.metric.NegativeLogLikelihood()
    >>> nll.update([mx.nd.array([1])], [mx.nd.array([[0.5, 0.5]])])
    >>> round(nll.get()[1], 6)
    0.693147""",
    )

    def __init__(self, eps=1e-12, name="nll-loss", output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
class Loss(EvalMetric):
    """The mean of the values of loss outputs (labels are ignored).

    Parameters
    ----------
    name : str, default 'loss'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> loss = mx.metric.Loss()
    >>> loss.update(None, [mx.nd.array([1.0, 2.0, 6.0])])
    >>> loss.get()
    ('loss', 3.0)
    """

    def __init__(self, name="loss", output_names=None, label_names=None):
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    def update(self, _, preds) -> None:
        if is_array(preds):
            preds = [preds]
        for pred in preds:
            pred = as_numpy(pred)
            self._add(pred.sum(), pred.size)


@register
class Torch(Loss):
    """:class:`Loss` under the name 'torch' (MXNet's name for losses of Torch modules)."""

    def __init__(self, name="torch", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """:class:`Loss` under the name 'caffe' (MXNet's name for losses of Caffe layers)."""

    def __init__(self, name="caffe", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)
