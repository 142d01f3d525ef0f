"""The EvalMetric base class, the metric registry and the input helpers of ``mx.metric``.

Metrics run on the host: every prediction and label (an NDArray on any context, or a NumPy
array) is copied to a NumPy array once, and all counting happens in NumPy.
"""

from __future__ import annotations

import difflib
import json
import warnings
from collections.abc import Callable

import numpy

from .base import MXNetTypeError, MXNetValueError
from .ndarray import NDArray

__all__ = [
    "EvalMetric",
    "alias",
    "as_numpy",
    "as_python",
    "check_label_shapes",
    "check_pairs",
    "create_registered",
    "get_registry",
    "is_array",
    "register",
]

_METRICS: dict[str, type] = {}


def is_array(value) -> bool:
    return isinstance(value, (NDArray, numpy.ndarray))


def as_numpy(value) -> numpy.ndarray:
    """Return ``value`` (an NDArray, a NumPy array or anything ``numpy.asarray`` takes) on the
    host as a NumPy array."""
    if isinstance(value, NDArray):
        return value.asnumpy()
    return numpy.asarray(value)


def as_python(value):
    """A NumPy scalar (or 0-d array) as the Python number of the same value."""
    return value.item() if isinstance(value, (numpy.generic, numpy.ndarray)) else value


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that ``labels`` and ``preds`` have the same length (or, with ``shape=True``, the same
    shape), and with ``wrap=True`` return single arrays wrapped in lists.

    Raises ``MXNetValueError`` (a ``ValueError``, as MXNet raises) when they differ.

    >>> labels, preds = mx.metric.check_label_shapes(mx.nd.zeros(3), mx.nd.zeros(3), wrap=True)
    >>> len(labels), len(preds)
    (1, 1)
    """
    if shape:
        label_shape, pred_shape = tuple(labels.shape), tuple(preds.shape)
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise MXNetValueError(
            f"Shape of labels {label_shape} does not match shape of predictions {pred_shape}"
        )
    if wrap:
        # MXNet 1.9.1 compares len() first, so a single (N, ...) array is checked by its first
        # axis; only then is it wrapped into a list of one.
        if is_array(labels):
            labels = [labels]
        if is_array(preds):
            preds = [preds]
    return labels, preds


def check_pairs(metric: str, labels, preds):
    """Return ``labels`` and ``preds`` as equally long lists (the check every metric starts with),
    raising an error that names ``metric`` when their lengths differ."""
    try:
        return check_label_shapes(labels, preds, wrap=True)
    except MXNetValueError as err:
        raise MXNetValueError(f"{metric}: {err}") from None


class EvalMetric:
    """Base class of all evaluation metrics: accumulate a sum and a count over batches.

    A metric keeps two sets of statistics: local ones (``sum_metric``, ``num_inst``), cleared by
    :meth:`reset_local` (Module.fit does so at each logging interval), and global ones
    (``global_sum_metric``, ``global_num_inst``), cleared only by :meth:`reset`.

    Parameters
    ----------
    name : str
        The name of the metric, as :meth:`get` reports it.
    output_names : list of str, optional
        The outputs :meth:`update_dict` takes the predictions from (default: all, in order).
    label_names : list of str, optional
        The labels :meth:`update_dict` takes (default: all, in order).
    **kwargs
        Extra constructor arguments, kept for :meth:`get_config`.

    Examples
    --------
    >>> metric = mx.metric.Accuracy()
    >>> metric.update([mx.nd.array([0, 1])], [mx.nd.array([[0.8, 0.2], [0.7, 0.3]])])
    >>> metric.get()
    ('accuracy', 0.5)
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict:
        """Return the constructor arguments as a dict that :func:`mx.metric.create` accepts.

        >>> mx.metric.Accuracy(axis=1).get_config()["metric"]
        'Accuracy'
        """
        config = self._kwargs.copy()
        config.update(
            {
                "metric": type(self).__name__,
                "name": self.name,
                "output_names": self.output_names,
                "label_names": self.label_names,
            }
        )
        return config

    def update_dict(self, label: dict, pred: dict) -> None:
        """Update the metric from dicts of named labels and named predictions.

        >>> metric = mx.metric.MAE()
        >>> metric.update_dict({"label": mx.nd.array([1.0])}, {"out": mx.nd.array([3.0])})
        >>> metric.get()
        ('mae', 2.0)
        """
        if self.output_names is not None:
            pred = [
                _pick_named("output", pred, name, type(self).__name__) for name in self.output_names
            ]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [
                _pick_named("label", label, name, type(self).__name__) for name in self.label_names
            ]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels, preds) -> None:
        """Add a batch: ``labels`` and ``preds`` are arrays or equally long lists of arrays."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update()")

    def reset(self) -> None:
        """Clear the local and the global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clear the local statistics only; the global ones keep counting."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """Return ``(name, value)`` of the local statistics (``nan`` before any update)."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, float(self.sum_metric / self.num_inst))

    def get_global(self):
        """Return ``(name, value)`` of the global statistics (since the last :meth:`reset`)."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, float(self.global_sum_metric / self.global_num_inst))

    def get_name_value(self) -> list:
        """Return the local value(s) as a list of ``(name, value)`` pairs."""
        return _pairs(*self.get())

    def get_global_name_value(self) -> list:
        """Return the global value(s) as a list of ``(name, value)`` pairs."""
        if not self._has_global_stats:
            return self.get_name_value()
        return _pairs(*self.get_global())

    def _add(self, sum_metric, num_inst) -> None:
        """Add to the local and the global statistics alike."""
        # Python numbers: NumPy 2 would keep a float32 sum in float32 (MXNet 1.9.1, on NumPy 1,
        # summed in float64).
        sum_metric, num_inst = as_python(sum_metric), as_python(num_inst)
        self.sum_metric += sum_metric
        self.global_sum_metric += sum_metric
        self.num_inst += num_inst
        self.global_num_inst += num_inst


def _pairs(name, value) -> list:
    names = name if isinstance(name, list) else [name]
    values = value if isinstance(value, list) else [value]
    return list(zip(names, values))


def _pick_named(kind: str, arrays: dict, name: str, metric: str):
    try:
        return arrays[name]
    except KeyError:
        raise MXNetValueError(
            f"{metric}.update_dict: no {kind} named '{name}'; given: {', '.join(map(str, arrays))}"
        ) from None


# ---- the registry ----------------------------------------------------------------------------


def register(klass: type, name: str | None = None) -> type:
    """Register a metric class under ``name`` (default: its class name), case-insensitively.

    Usable as a class decorator; re-registering a name warns and replaces the old class.

    >>> @mx.metric.register
    ... class Zero(mx.metric.EvalMetric):
    ...     def __init__(self, name="zero"):
    ...         super().__init__(name)
    >>> mx.metric.create("zero").name
    'zero'
    >>> del mx.metric_base._METRICS["zero"]
    """
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise MXNetTypeError(f"metric.register: expected a subclass of EvalMetric, got {klass!r}")
    key = (klass.__name__ if name is None else name).lower()
    previous = _METRICS.get(key)
    if previous is not None and previous is not klass:
        warnings.warn(
            f"New metric {klass.__module__}.{klass.__name__} registered with name {key} is "
            f"overriding existing metric {previous.__module__}.{previous.__name__}",
            UserWarning,
            stacklevel=2,
        )
    _METRICS[key] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Return a class decorator that registers a metric under each of ``aliases`` as well.

    >>> mx.metric.create("acc").name
    'accuracy'
    """

    def decorate(klass: type) -> type:
        for name in aliases:
            register(klass, name)
        return klass

    return decorate


def get_registry() -> dict:
    """Return a copy of the registry: lower-cased names to metric classes."""
    return dict(_METRICS)


def create_registered(metric, *args, **kwargs) -> EvalMetric:
    """Create a registered metric from a name, a config dict, a JSON string or an instance."""
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise MXNetValueError(
                f"metric.create: {type(metric).__name__} is already an instance; extra "
                "arguments are invalid"
            )
        return metric
    if isinstance(metric, dict):
        config = dict(metric)
        if "metric" not in config:
            raise MXNetValueError("metric.create: a config dict needs the key 'metric'")
        return create_registered(config.pop("metric"), *args, **config, **kwargs)
    if not isinstance(metric, str):
        raise MXNetTypeError(
            "metric.create: metric must be a name, a config dict, a callable, a list or an "
            f"EvalMetric, got {type(metric).__name__}"
        )
    if metric.startswith("[") or metric.startswith("{"):
        if args or kwargs:
            raise MXNetValueError("metric.create: a JSON config takes no extra arguments")
        try:
            config = json.loads(metric)
        except json.JSONDecodeError as err:
            raise MXNetValueError(f"metric.create: bad JSON config {metric!r}: {err}") from err
        if isinstance(config, list):
            name, kwargs = config
            return create_registered(name, **kwargs)
        return create_registered(config)
    key = metric.lower()
    klass = _METRICS.get(key)
    if klass is None:
        close = difflib.get_close_matches(key, sorted(_METRICS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise MXNetValueError(
            f"metric.create: {metric} is not registered{hint}; register it with "
            f"mx.metric.register first. Registered: {', '.join(sorted(_METRICS))}"
        )
    try:
        return klass(*args, **kwargs)
    except TypeError as err:
        raise MXNetTypeError(f"metric.create('{metric}'): {err}") from err
