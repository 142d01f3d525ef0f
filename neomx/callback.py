"""``mx.callback``: what ``Module.fit`` calls after each batch or epoch.

Batch-end callbacks receive a ``BatchEndParam`` (epoch, nbatch, eval_metric, locals);
epoch-end callbacks receive ``(epoch, symbol, arg_params, aux_params)``. The log lines are
MXNet 1.9.1's, so scripts that parse training logs keep working.
"""

from __future__ import annotations

import logging
import math
import time

from .model import save_checkpoint

__all__ = [
    "module_checkpoint",
    "do_checkpoint",
    "log_train_metric",
    "Speedometer",
    "ProgressBar",
    "LogValidationMetricsCallback",
]


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """An epoch-end callback that saves ``mod`` every ``period`` epochs (files of epoch + 1).

    >>> callback = mx.callback.module_checkpoint(mod, 'model', period=2)  # doctest: +SKIP
    """
    period = int(max(1, period))

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)

    return _callback


def do_checkpoint(prefix, period=1):
    """An epoch-end callback that writes a checkpoint every ``period`` epochs.

    After epoch ``i`` (counting from 0) it writes ``prefix-symbol.json`` and
    ``prefix-%04d.params`` for ``i + 1``, and logs ``Saved checkpoint to "<file>"``.

    >>> callback = mx.callback.do_checkpoint('model')
    """
    period = int(max(1, period))

    def _callback(iter_no, sym, arg, aux):
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)

    return _callback


def log_train_metric(period, auto_reset=False):
    """A batch-end callback that logs the training metric every ``period`` batches.

    >>> callback = mx.callback.log_train_metric(10)
    """

    def _callback(param):
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info(
                    "Iter[%d] Batch[%d] Train-%s=%f", param.epoch, param.nbatch, name, value
                )
            if auto_reset:
                param.eval_metric.reset_local()

    return _callback


class Speedometer:
    """A batch-end callback that logs samples per second (and the metric) every ``frequent``
    batches.

    Parameters
    ----------
    batch_size : int
        Examples per batch.
    frequent : int
        Log every this many batches.
    auto_reset : bool
        Reset the metric's local state after each log line, so each line shows the metric
        of the last ``frequent`` batches (``Batch [50-100]``); otherwise since the epoch start
        (``Batch [0-100]``).

    Examples
    --------
    >>> speed = mx.callback.Speedometer(batch_size=32, frequent=50)
    """

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.auto_reset = auto_reset
        self.init = False
        self.tic = 0.0
        self.last_count = 0

    def __call__(self, param):
        count = param.nbatch
        if self.last_count > count:
            self.init = False  # a new epoch began
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float("inf")
        metric = param.eval_metric
        if metric is None:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count, speed)
        else:
            name_value = metric.get_name_value()
            values = [item for pair in name_value for item in pair]
            fields = "\t%s=%f" * len(name_value)
            if self.auto_reset:
                metric.reset_local()
                logging.info(
                    "Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec" + fields,
                    param.epoch,
                    count - self.frequent,
                    count,
                    speed,
                    *values,
                )
            else:
                logging.info(
                    "Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec" + fields,
                    param.epoch,
                    count,
                    speed,
                    *values,
                )
        self.tic = time.time()


class ProgressBar:
    """A batch-end callback that logs a text progress bar of ``length`` characters.

    >>> bar = mx.callback.ProgressBar(total=100)
    """

    def __init__(self, total, length=80):
        self.bar_len = length
        self.total = total

    def __call__(self, param):
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        bar = "=" * filled + "-" * (self.bar_len - filled)
        logging.info("[%s] %s%s\r", bar, percents, "%")


class LogValidationMetricsCallback:
    """An eval-end callback that logs each validation metric as ``Epoch[i] Validation-x=v``."""

    def __call__(self, param):
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info("Epoch[%d] Validation-%s=%f", param.epoch, name, value)
