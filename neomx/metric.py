"""``mx.metric``: evaluation metrics that accumulate over batches, and their registry.

>>> metric = mx.metric.create(["acc", "ce"])
>>> metric.update([mx.nd.array([0, 1])], [mx.nd.array([[0.9, 0.1], [0.2, 0.8]])])
>>> [(name, round(value, 4)) for name, value in metric.get_name_value()]
[('accuracy', 1.0), ('cross-entropy', 0.1643)]
"""

from __future__ import annotations

from collections import OrderedDict

import numpy

from .base import MXNetNotImplementedError, MXNetValueError
from .metric_base import (
    EvalMetric,
    alias,
    as_numpy,
    check_label_shapes,
    check_pairs,
    create_registered,
    get_registry,
    is_array,
    register,
)
from .metric_classification import F1, MCC, PCC, Accuracy, Precision, Recall, TopKAccuracy
from .metric_probability import Caffe, CrossEntropy, Loss, NegativeLogLikelihood, Perplexity, Torch
from .metric_regression import MAE, MSE, RMSE, PearsonCorrelation

__all__ = [
    "EvalMetric",
    "CompositeEvalMetric",
    "CustomMetric",
    "Accuracy",
    "TopKAccuracy",
    "F1",
    "MCC",
    "Precision",
    "Recall",
    "PCC",
    "Perplexity",
    "MAE",
    "MSE",
    "RMSE",
    "CrossEntropy",
    "NegativeLogLikelihood",
    "PearsonCorrelation",
    "Loss",
    "Torch",
    "Caffe",
    "alias",
    "check_label_shapes",
    "create",
    "get_registry",
    "np",
    "register",
]


def create(metric, *args, **kwargs) -> EvalMetric:
    """Create a metric.

    Parameters
    ----------
    metric : str, dict, callable, list, EvalMetric or EvalMetric subclass
        A registered name ('acc', 'f1', 'ce', ...; case-insensitive), a config dict from
        :meth:`EvalMetric.get_config` or its JSON, a function ``feval(label, pred)`` (wrapped in
        a :class:`CustomMetric`), a list of any of these (a :class:`CompositeEvalMetric`), or a
        metric, returned as it is.
    *args, **kwargs
        Passed to the constructor (to each one, for a list).

    Examples
    --------
    >>> mx.metric.create("top_k_accuracy", top_k=5).name
    'top_k_accuracy_5'
    >>> mx.metric.create(["acc", "f1"]).get()
    (['accuracy', 'f1'], [nan, nan])
    """
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        # MXNet 1.9.1 would wrap a class, being callable, in a CustomMetric.
        return metric(*args, **kwargs)
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return create_registered(metric, *args, **kwargs)


_NUMBERS = (int, float, numpy.generic)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; :meth:`get` returns lists of their names and values.

    Parameters
    ----------
    metrics : list, optional
        The child metrics (anything :func:`create` takes).
    name : str, default 'composite'
    output_names, label_names : list of str, optional
        With :meth:`update_dict`, only these outputs and labels reach the children.

    Examples
    --------
    >>> metric = mx.metric.CompositeEvalMetric(["acc", mx.metric.MAE()])
    >>> metric.update([mx.nd.array([1, 0])], [mx.nd.array([1, 1])])
    >>> metric.get()
    (['accuracy', 'mae'], [0.5, 0.5])
    """

    def __init__(self, metrics=None, name="composite", output_names=None, label_names=None):
        self.metrics = []
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )
        self.metrics = [create(child) for child in (metrics or [])]

    def add(self, metric) -> None:
        """Add a child metric (anything :func:`create` takes)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """Return the child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            # MXNet 1.9.1 returns (rather than raises) this error.
            raise MXNetValueError(
                f"Metric index {index} is out of range 0 and {len(self.metrics)}"
            ) from None

    def update_dict(self, labels: dict, preds: dict) -> None:
        if self.label_names is not None:
            labels = OrderedDict(item for item in labels.items() if item[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(item for item in preds.items() if item[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds) -> None:
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self) -> None:
        for metric in self.metrics:
            metric.reset()

    def reset_local(self) -> None:
        for metric in self.metrics:
            metric.reset_local()

    def _collect(self, use_global: bool):
        names, values = [], []
        for metric in self.metrics:
            name, value = metric.get_global() if use_global else metric.get()
            names.extend([name] if isinstance(name, str) else name)
            values.extend([value] if isinstance(value, _NUMBERS) else value)
        return (names, values)

    def get(self):
        return self._collect(use_global=False)

    def get_global(self):
        return self._collect(use_global=True)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"metrics": [metric.get_config() for metric in self.metrics]})
        return config


@register
class CustomMetric(EvalMetric):
    """A metric computed by a function ``feval(label, pred)`` of NumPy arrays.

    ``feval`` returns a value, averaged over the (label, prediction) pairs, or a tuple
    ``(sum_metric, num_inst)`` to add to the sums.

    Parameters
    ----------
    feval : callable
    name : str, optional
        Default: the function's name (``custom(<lambda>)`` for a lambda).
    allow_extra_outputs : bool, default False
        Allow more predictions than labels (the extra ones are not passed to ``feval``).
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> def max_error(label, pred):
    ...     return abs(label - pred).max()
    >>> metric = mx.metric.CustomMetric(max_error)
    >>> metric.update([mx.nd.array([1, 2])], [mx.nd.array([1.5, 4])])
    >>> metric.get()
    ('max_error', 2.0)
    """

    def __init__(
        self, feval, name=None, allow_extra_outputs=False, output_names=None, label_names=None
    ):
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(
            name,
            feval=feval,
            allow_extra_outputs=allow_extra_outputs,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds) -> None:
        if self._allow_extra_outputs:
            labels = [labels] if is_array(labels) else labels
            preds = [preds] if is_array(preds) else preds
        else:
            labels, preds = check_pairs(f"CustomMetric '{self.name}'", labels, preds)
        for pred, label in zip(preds, labels):
            value = self._feval(as_numpy(label), as_numpy(pred))
            if isinstance(value, tuple):
                self._add(*value)
            else:
                self._add(value, 1)

    def get_config(self):
        raise MXNetNotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval, name=None, allow_extra_outputs=False) -> CustomMetric:
    """Create a :class:`CustomMetric` from a function of NumPy arrays ``(label, pred)``.

    Examples
    --------
    >>> def mean_error(label, pred):
    ...     return (label - pred).mean()
    >>> metric = mx.metric.np(mean_error)
    >>> metric.update([mx.nd.array([3.0])], [mx.nd.array([1.0])])
    >>> metric.get()
    ('mean_error', 2.0)
    """

    def feval(label, pred):
        return numpy_feval(label, pred)

    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
