"""Iterators that wrap other iterators: ``ResizeIter`` (a fixed number of batches per epoch)
and ``PrefetchingIter`` (read the next batch on a background thread)."""

from __future__ import annotations

import threading

from ..base import MXNetValueError
from .io_base import DataBatch, DataDesc, DataIter

__all__ = ["ResizeIter", "PrefetchingIter"]


class ResizeIter(DataIter):
    """Make an epoch of ``data_iter`` exactly ``size`` batches long.

    When the wrapped iterator runs out first it is reset and read on; with
    ``reset_internal=False``, ``reset`` leaves it where it is, so the next epoch continues.

    Examples
    --------
    >>> base = mx.io.NDArrayIter(mx.nd.ones((4, 2)), batch_size=2)
    >>> len(list(mx.io.ResizeIter(base, 5)))
    5
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class _Fetcher:
    """One background thread that reads one batch ahead from one iterator."""

    def __init__(self, data_iter):
        self.data_iter = data_iter
        self.ready = threading.Event()  # a batch (or the end, None) is waiting
        self.wanted = threading.Event()  # the consumer took it: fetch the next one
        self.running = True
        self.batch = None
        self.error = None
        self.wanted.set()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            self.wanted.wait()
            if not self.running:
                return
            try:
                self.batch = self.data_iter.next()
            except StopIteration:
                self.batch = None
            except Exception as err:  # resurfaces in the consumer's thread
                self.batch, self.error = None, err
            self.wanted.clear()
            self.ready.set()

    def take(self):
        self.ready.wait()
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return self.batch

    def request(self):
        self.ready.clear()
        self.wanted.set()

    def stop(self):
        self.running = False
        self.wanted.set()
        self.thread.join()


class PrefetchingIter(DataIter):
    """Read batches of one or more iterators ahead, on background threads.

    With several iterators, each batch joins their data and labels (in order);
    ``rename_data``/``rename_label`` (one ``{old: new}`` dict per iterator) rename the
    inputs.

    Examples
    --------
    >>> a = mx.io.NDArrayIter({'data': mx.nd.ones((4, 2))}, batch_size=2)
    >>> b = mx.io.NDArrayIter({'data': mx.nd.ones((4, 3))}, batch_size=2)
    >>> it = mx.io.PrefetchingIter([a, b], rename_data=[{'data': 'a'}, {'data': 'b'}])
    >>> [d.name for d in it.provide_data]
    ['a', 'b']
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super().__init__()
        if not isinstance(iters, list):
            iters = [iters]
        if not iters:
            raise MXNetValueError("PrefetchingIter: needs at least one iterator")
        self.iters = iters
        self.n_iter = len(iters)
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch = None
        self._fetchers = [_Fetcher(it) for it in iters]

    def __del__(self):
        for fetcher in getattr(self, "_fetchers", ()):
            fetcher.stop()

    @staticmethod
    def _renamed(descs_per_iter, renames):
        if renames is None:
            return sum(descs_per_iter, [])
        return [
            DataDesc(rename[d.name], d.shape, d.dtype)
            if isinstance(d, DataDesc)
            else DataDesc(rename[d[0]], d[1])
            for rename, descs in zip(renames, descs_per_iter)
            for d in descs
        ]

    @property
    def provide_data(self):
        return self._renamed([list(it.provide_data) for it in self.iters], self.rename_data)

    @property
    def provide_label(self):
        return self._renamed([list(it.provide_label) for it in self.iters], self.rename_label)

    def reset(self):
        for fetcher in self._fetchers:
            fetcher.ready.wait()
        for it in self.iters:
            it.reset()
        for fetcher in self._fetchers:
            fetcher.request()

    def iter_next(self):
        batches = [fetcher.take() for fetcher in self._fetchers]
        if batches[0] is None:
            if any(batch is not None for batch in batches):
                raise MXNetValueError(
                    "PrefetchingIter: the iterators hold different numbers of batches"
                )
            return False
        if any(batch is None or batch.pad != batches[0].pad for batch in batches):
            raise MXNetValueError(
                "PrefetchingIter: the iterators hold different numbers of examples"
            )
        self.current_batch = DataBatch(
            sum([list(batch.data) for batch in batches], []),
            sum([list(batch.label or []) for batch in batches], []),
            batches[0].pad,
            batches[0].index,
            provide_data=self.provide_data,
            provide_label=self.provide_label,
        )
        for fetcher in self._fetchers:
            fetcher.request()
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad
