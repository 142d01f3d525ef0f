"""``mx.monitor.Monitor``: statistics of every operator output (and the parameters) of
executors, collected every ``interval`` batches.

>>> mon = mx.monitor.Monitor(interval=1, pattern='.*weight')
>>> mod.fit(train_iter, monitor=mon, num_epoch=1)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import re

from . import ndarray as nd
from .base import MXNetTypeError
from .ndarray import NDArray

__all__ = ["Monitor"]


def _default_stat(array):
    """The root mean square: ``norm(x) / sqrt(x.size)``."""
    return nd.norm(array) / math.sqrt(array.size)


class Monitor:
    """Collect ``stat_func`` of the arrays whose names match ``pattern``.

    Parameters
    ----------
    interval : int
        Collect on every ``interval``-th batch (counted by ``tic``).
    stat_func : callable, optional
        NDArray -> NDArray (or list of them); default the root mean square.
    pattern : str
        Regular expression the names must match (``re.match``, from the start).
    sort : bool
        Sort the results by name.
    monitor_all : bool
        Also see each operator's inputs, not only its outputs.

    Use ``install(executor)`` (Module does it in ``install_monitor``), then ``tic()`` before
    a batch and ``toc()``/``toc_print()`` after it. ``toc`` returns
    ``[(step, name, text)]`` and adds the parameters and auxiliary states.
    """

    def __init__(self, interval, stat_func=None, pattern=".*", sort=False, monitor_all=False):
        self.stat_func = _default_stat if stat_func is None else stat_func
        self.interval = interval
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

    def stat_helper(self, name, array):
        """The executor callback: record ``stat_func(array)`` while collecting."""
        if not self.activated or not self.re_prog.match(name):
            return
        self.queue.append((self.step, name, self.stat_func(array)))

    def install(self, exe):
        """Watch ``exe`` (an Executor)."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def _wait(self):
        for exe in self.exes:
            for array in exe.arg_arrays + exe.aux_arrays:
                array.wait_to_read()

    def tic(self):
        """Start a batch; collect during it if it is an ``interval``-th one."""
        if self.step % self.interval == 0:
            self._wait()
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self):
        """End the batch; return the collected ``(step, name, text)`` triples."""
        if not self.activated:
            return []
        self._wait()
        for exe in self.exes:
            named = list(zip(exe._symbol.list_arguments(), exe.arg_arrays))
            named += list(zip(exe._symbol.list_auxiliary_states(), exe.aux_arrays))
            for name, array in named:
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda item: item[1])
        results = []
        for step, name, values in self.queue:
            if isinstance(values, NDArray):
                values = [values]
            if not isinstance(values, (list, tuple)):
                raise MXNetTypeError("Monitor: stat_func must return an NDArray or a list of them")
            text = ""
            for value in values:
                if not isinstance(value, NDArray):
                    raise MXNetTypeError("Monitor: stat_func must return NDArrays")
                if value.shape in ((1,), ()):
                    text += str(value.asscalar()) + "\t"
                else:
                    text += str(value.asnumpy()) + "\t"
            results.append((step, name, text))
        self.queue = []
        return results

    def toc_print(self):
        """End the batch and log the results, one ``Batch: step name value`` line each."""
        for step, name, text in self.toc():
            logging.info(f"Batch: {step:7d} {name:30s} {text:s}")
