"""``mxnet.notebook.callback`` under the alias: training callbacks that log into pandas tables.

:class:`PandasLogger` keeps the speedometer, evaluation and epoch numbers of a ``Module.fit`` run
in ``pandas.DataFrame`` objects (pandas is needed only when a logger is created). The live Bokeh
charts of MXNet 1.9.1 need ``bokeh`` and a running notebook; they raise ImportError naming it.
"""

from __future__ import annotations

import datetime
import time

__all__ = ["PandasLogger", "LiveBokehChart", "LiveTimeSeries", "LiveLearningCurve", "args_wrapper"]


def _pandas():
    try:
        import pandas
    except ImportError as err:
        raise ImportError(
            "mxnet.notebook.callback.PandasLogger needs pandas: pip install pandas"
        ) from err
    return pandas


def _metric_items(eval_metric) -> list:
    names, values = eval_metric.get()
    if not isinstance(names, list):
        names, values = [names], [values]
    return list(zip(names, values))


class PandasLogger:
    """Log the metrics of ``Module.fit`` into ``train_df``, ``eval_df`` and ``epoch_df``.

    Pass ``**logger.callback_args()`` to ``fit``; ``frequent`` is the number of batches
    between two rows of ``train_df``.
    """

    def __init__(self, batch_size: int, frequent: int = 50):
        pandas = _pandas()
        self.batch_size = batch_size
        self.frequent = frequent
        self._dataframes = {
            "train": pandas.DataFrame(),
            "eval": pandas.DataFrame(),
            "epoch": pandas.DataFrame(),
        }
        self.last_time = time.time()
        self.start_time = datetime.datetime.now()
        self.last_epoch_time = datetime.datetime.now()

    @property
    def train_df(self):
        return self._dataframes["train"]

    @property
    def eval_df(self):
        return self._dataframes["eval"]

    @property
    def epoch_df(self):
        return self._dataframes["epoch"]

    @property
    def all_dataframes(self):
        return self._dataframes

    def elapsed(self):
        """Return the time since the logger was made, as a ``datetime.timedelta``."""
        return datetime.datetime.now() - self.start_time

    def append_metrics(self, metrics: dict, df_name: str) -> None:
        """Append one row ``metrics`` to the table ``df_name``."""
        pandas = _pandas()
        row = pandas.DataFrame([metrics])
        frame = self._dataframes[df_name]
        self._dataframes[df_name] = (
            row if frame.empty else pandas.concat([frame, row], ignore_index=True)
        )

    def _process_batch(self, param, df_name: str) -> None:
        now = time.time()
        metrics = {}
        if param.eval_metric is not None:
            metrics.update(_metric_items(param.eval_metric))
        speed = self.frequent * self.batch_size / max(now - self.last_time, 1e-12)
        metrics.update(elapsed=self.elapsed(), epoch=param.epoch, records_per_sec=speed)
        if df_name == "train":
            metrics["batch"] = param.nbatch
        self.append_metrics(metrics, df_name)
        self.last_time = now

    def train_cb(self, param) -> None:
        """The ``batch_end_callback``: a row every ``frequent`` batches."""
        if param.nbatch % self.frequent == 0:
            self._process_batch(param, "train")

    def eval_cb(self, param) -> None:
        """The ``eval_end_callback``: a row after each evaluation."""
        self._process_batch(param, "eval")

    def epoch_cb(self) -> None:
        """The ``epoch_end_callback``: the epoch's wall time."""
        now = datetime.datetime.now()
        self.append_metrics(
            {"elapsed": self.elapsed(), "epoch_time": now - self.last_epoch_time}, "epoch"
        )
        self.last_epoch_time = now

    def callback_args(self) -> dict:
        """Return the keyword arguments of ``fit`` that install this logger."""
        return {
            "batch_end_callback": self.train_cb,
            "eval_end_callback": self.eval_cb,
            "epoch_end_callback": args_wrapper(self.epoch_cb),
        }


def args_wrapper(*args):
    """Return a callback that ignores its arguments and calls each of ``args``."""

    def callback(*_ignored, **_ignored_kw):
        for function in args:
            function()

    return callback


class LiveBokehChart:
    """A live chart in a notebook (needs ``bokeh``)."""

    def __init__(self, *args, **kwargs):
        try:
            import bokeh  # noqa: F401
        except ImportError as err:
            raise ImportError(f"{type(self).__name__} needs bokeh: pip install bokeh") from err
        raise NotImplementedError(
            f"{type(self).__name__}: live notebook charts are not implemented in neomx; "
            "use PandasLogger and plot its tables"
        )


class LiveTimeSeries(LiveBokehChart):
    """A live time series in a notebook (needs ``bokeh``)."""


class LiveLearningCurve(LiveBokehChart):
    """A live learning curve in a notebook (needs ``bokeh``)."""
