"""Regression metrics: MAE, MSE, RMSE and PearsonCorrelation."""

from __future__ import annotations

import numpy

from .base import MXNetValueError
from .metric_base import EvalMetric, alias, as_numpy, check_label_shapes, check_pairs, register

__all__ = ["MAE", "MSE", "RMSE", "PearsonCorrelation"]


def _as_columns(metric: str, label, pred):
    """Labels and predictions as NumPy arrays, 1-D ones as (N, 1) columns; their difference
    broadcasts, as in MXNet 1.9.1 (a (N,) label against (N, k) predictions compares each
    column)."""
    label, pred = as_numpy(label), as_numpy(pred)
    if label.ndim == 1:
        label = label.reshape(label.shape[0], 1)
    if pred.ndim == 1:
        pred = pred.reshape(pred.shape[0], 1)
    try:
        numpy.broadcast_shapes(label.shape, pred.shape)
    except ValueError:
        raise MXNetValueError(
            f"{metric}: labels of shape {label.shape} and predictions of shape {pred.shape} do "
            "not broadcast"
        ) from None
    return label, pred


class _MeanError(EvalMetric):
    """Base of MAE/MSE/RMSE: one error value per (label, prediction) pair, averaged."""

    def __init__(self, name, output_names=None, label_names=None):
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    def _error(self, difference):
        raise NotImplementedError

    def update(self, labels, preds) -> None:
        metric = type(self).__name__
        labels, preds = check_pairs(metric, labels, preds)
        for label, pred in zip(labels, preds):
            label, pred = _as_columns(metric, label, pred)
            # One pair counts once, whatever its size (MXNet 1.9.1).
            self._add(self._error(label - pred), 1)


@register
class MAE(_MeanError):
    """The mean absolute error, averaged over the (label, prediction) pairs.

    Parameters
    ----------
    name : str, default 'mae'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> mae = mx.metric.MAE()
    >>> mae.update([mx.nd.array([3, -0.5, 2, 7])], [mx.nd.array([2.5, 0.0, 2, 8])])
    >>> mae.get()
    ('mae', 0.5)
    """

    def __init__(self, name="mae", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _error(self, difference):
        return numpy.abs(difference).mean()


@register
class MSE(_MeanError):
    """The mean squared error, averaged over the (label, prediction) pairs.

    Parameters
    ----------
    name : str, default 'mse'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> mse = mx.metric.MSE()
    >>> mse.update([mx.nd.array([3, -0.5, 2, 7])], [mx.nd.array([2.5, 0.0, 2, 8])])
    >>> mse.get()
    ('mse', 0.375)
    """

    def __init__(self, name="mse", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _error(self, difference):
        return (difference**2.0).mean()


@register
class RMSE(_MeanError):
    """The root mean squared error of each (label, prediction) pair, averaged over the pairs.

    Parameters
    ----------
    name : str, default 'rmse'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.

    Examples
    --------
    >>> rmse = mx.metric.RMSE()
    >>> rmse.update([mx.nd.array([3, -0.5, 2, 7])], [mx.nd.array([2.5, 0.0, 2, 8])])
    >>> round(rmse.get()[1], 6)
    0.612372
    """

    def __init__(self, name="rmse", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _error(self, difference):
        return numpy.sqrt((difference**2.0).mean())


class _Moments:
    """Running count, means, squared deviations and co-deviation of labels and predictions,
    updated a batch at a time (the batch form of Welford's algorithm, as MXNet 1.9.1)."""

    def __init__(self):
        self.count = 0
        self.mean_label = self.mean_pred = 0.0
        self.sse_label = self.sse_pred = 0.0
        self.co_deviation = 0.0

    @staticmethod
    def _variance_step(values, count, mean, sse):
        count += len(values)
        delta = values - mean
        mean += numpy.sum(delta / count)
        sse += numpy.sum(delta * (values - mean))
        return count, mean, sse

    def add(self, label, pred) -> None:
        count, self.mean_label, self.sse_label = self._variance_step(
            label, self.count, self.mean_label, self.sse_label
        )
        # The co-deviation takes the new label mean and the old prediction mean.
        self.co_deviation += numpy.sum((label - self.mean_label) * (pred - self.mean_pred))
        _, self.mean_pred, self.sse_pred = self._variance_step(
            pred, self.count, self.mean_pred, self.sse_pred
        )
        self.count = count

    def correlation(self) -> float:
        n = self.count
        # A constant input (or a single value) has no correlation: nan, without the warning.
        with numpy.errstate(divide="ignore", invalid="ignore"):
            scale = (n - 1) * numpy.sqrt(self.sse_pred / (n - 1))
            return self.co_deviation / (scale * numpy.sqrt(self.sse_label / (n - 1)))


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """The Pearson correlation coefficient of predictions and labels.

    Parameters
    ----------
    name : str, default 'pearsonr'
    output_names, label_names : list of str, optional
        See :class:`EvalMetric`.
    average : {'macro', 'micro'}, default 'macro'
        'macro' averages the correlation of each (label, prediction) pair; 'micro' correlates
        all values seen together.

    Examples
    --------
    >>> pearsonr = mx.metric.PearsonCorrelation()
    >>> pearsonr.update([mx.nd.array([1, 0, 1, 0])], [mx.nd.array([0.9, 0.2, 0.6, 0.1])])
    >>> round(pearsonr.get()[1], 6)
    0.937043
    """

    def __init__(self, name="pearsonr", output_names=None, label_names=None, average="macro"):
        if average not in ("macro", "micro"):
            raise MXNetValueError(
                f"PearsonCorrelation: average must be 'macro' or 'micro', got {average!r}"
            )
        self.average = average
        # NOTE: MXNet 1.9.1 leaves `average` out of get_config; kept here so configs round-trip.
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            average=average,
            has_global_stats=True,
        )

    def reset(self) -> None:
        super().reset()
        self._local, self._global = _Moments(), _Moments()

    def reset_local(self) -> None:
        # NOTE: MXNet 1.9.1 keeps the micro statistics on reset_local (so its local value still
        # covers everything since reset); neomx clears them, as 'local' means everywhere else.
        super().reset_local()
        self._local = _Moments()

    def update(self, labels, preds) -> None:
        labels, preds = check_pairs("PearsonCorrelation", labels, preds)
        for label, pred in zip(labels, preds):
            try:
                check_label_shapes(label, pred, shape=True)
            except MXNetValueError as err:
                raise MXNetValueError(f"PearsonCorrelation: {err}") from None
            label = as_numpy(label).ravel().astype(numpy.float64)
            pred = as_numpy(pred).ravel().astype(numpy.float64)
            if self.average == "macro":
                # A constant input has no correlation: nan, as in MXNet, without the warning.
                with numpy.errstate(divide="ignore", invalid="ignore"):
                    self._add(numpy.corrcoef(pred, label)[0, 1], 1)
            else:
                self.num_inst += 1
                self.global_num_inst += 1
                self._local.add(label, pred)
                self._global.add(label, pred)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float("nan"))
        if self.average == "macro":
            return (self.name, float(self.sum_metric / self.num_inst))
        return (self.name, float(self._local.correlation()))

    def get_global(self):
        # NOTE: MXNet 1.9.1 reports 0.0 here for 'micro' (its global sum is never filled in);
        # neomx reports the correlation of everything since reset.
        if self.average == "macro" or self.global_num_inst == 0:
            return super().get_global()
        return (self.name, float(self._global.correlation()))
