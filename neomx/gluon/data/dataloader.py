"""DataLoader: mini-batches of a dataset, loaded in this process or by parallel workers."""

from __future__ import annotations

import collections
import weakref

import numpy as np

from ... import rng
from ...base import MXNetTypeError, MXNetValueError
from ...context import Context, cpu_pinned
from ...ndarray import NDArray
from . import sampler as _sampler
from .batchify import (
    collate,
    default_batchify_fn,
    default_mp_batchify_fn,
    map_leaves,
    materialize,
)
from .worker import ProcessPool, ThreadPool

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn"]


class DataLoader:
    """Load a dataset in mini-batches.

    Parameters
    ----------
    dataset : Dataset
        The samples (NumPy arrays, NDArrays and lists work as datasets too).
    batch_size : int
        Size of a mini-batch.
    shuffle : bool
        Whether to visit the samples in a random order (``numpy.random``'s).
    sampler : Sampler
        The order of the samples; give either ``sampler`` or ``shuffle``, not both.
    last_batch : {'keep', 'discard', 'rollover'}
        What happens to a last batch that is not full (see ``BatchSampler``); default 'keep'.
    batch_sampler : Sampler
        A sampler of whole batches (lists of indices); then give none of ``batch_size``,
        ``shuffle``, ``sampler`` and ``last_batch``.
    batchify_fn : callable
        Merges a list of samples into a batch; by default ``default_batchify_fn``, which
        stacks arrays and numbers and batches tuples, lists and dicts field by field.
    num_workers : int, default 0
        The number of worker processes (threads with ``thread_pool``) that load batches; 0
        loads them in this process. Worker processes are forked: they inherit the dataset,
        and hand batches over in shared memory (their NDArrays are on ``cpu_shared(0)``).
    pin_memory : bool, default False
        Deliver the NDArrays in page-locked memory (``cpu_pinned``), for faster GPU copies.
    pin_device_id : int, default 0
        The device of that pinned memory.
    prefetch : int, default ``2 * num_workers``
        How many batches workers load ahead of the one being waited for.
    thread_pool : bool, default False
        Use threads instead of processes as workers.
    timeout : float, default 120
        Seconds to wait for a worker's batch before raising ``MXNetError``.
    auto_reload : bool, default False
        Start loading the next pass as soon as one ends (and the first at construction).

    Notes
    -----
    Batches come in the order of the sampler whatever the number of workers. Each batch a
    worker process loads first seeds ``numpy.random``, ``random`` and ``mx.random`` from the
    main process's generators and the batch number, so that random augmentations are
    reproducible and differ between workers and batches. A sample that raises in a worker
    raises ``MXNetError`` here, naming the sample index and showing the worker's traceback; a
    worker that dies or times out raises too, and the workers are restarted on the next pass.

    >>> data = mx.gluon.data.ArrayDataset(np.arange(10, dtype='float32'), np.arange(10))
    >>> [x.shape for x, y in mx.gluon.data.DataLoader(data, batch_size=4)]
    [(4,), (4,), (2,)]
    """

    def __init__(
        self,
        dataset,
        batch_size=None,
        shuffle=False,
        sampler=None,
        last_batch=None,
        batch_sampler=None,
        batchify_fn=None,
        num_workers=0,
        pin_memory=False,
        pin_device_id=0,
        prefetch=None,
        thread_pool=False,
        timeout=120,
        auto_reload=False,
    ):
        self._dataset = dataset
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._thread_pool = thread_pool
        if not timeout > 0:
            raise MXNetValueError(f"DataLoader: timeout must be positive, given {timeout}")
        self._timeout = timeout
        if batch_sampler is None:
            if batch_size is None:
                raise MXNetValueError(
                    "DataLoader: batch_size must be specified unless batch_sampler is specified"
                )
            if sampler is None:
                sampler_type = _sampler.RandomSampler if shuffle else _sampler.SequentialSampler
                sampler = sampler_type(len(dataset))
            elif shuffle:
                raise MXNetValueError(
                    "DataLoader: shuffle must not be specified if sampler is specified"
                )
            last_batch = _sampler.check_last_batch("DataLoader", last_batch or "keep")
            batch_sampler = _sampler.BatchSampler(sampler, batch_size, last_batch)
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise MXNetValueError(
                "DataLoader: batch_size, shuffle, sampler and last_batch must not be specified "
                "if batch_sampler is specified"
            )
        self._batch_sampler = batch_sampler
        if not isinstance(num_workers, (int, np.integer)):
            raise MXNetTypeError(f"DataLoader: num_workers must be an int, got {num_workers!r}")
        self._num_workers = max(0, int(num_workers))
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        if batchify_fn is None:
            batchify_fn = default_mp_batchify_fn if self._num_workers else default_batchify_fn
        self._batchify_fn = batchify_fn
        self._pool = None
        self._iter = None
        self.auto_reload = auto_reload
        if auto_reload:
            self.refresh()

    @property
    def _ctx(self) -> Context:
        """The context of the NDArrays of a batch."""
        if self._pin_memory:
            return cpu_pinned(self._pin_device_id)
        return Context("cpu_shared", 0) if self._num_workers else Context("cpu", 0)

    def __iter__(self):
        found, self._iter = self._iter, None
        return found if found is not None else self._new_iter()

    def __len__(self) -> int:
        return len(self._batch_sampler)

    def refresh(self) -> None:
        """Start loading a new pass now (``iter`` returns it next)."""
        self._iter = self._new_iter()

    def clean(self) -> None:
        """Drop the pass loaded ahead by ``refresh``, if any."""
        if self._iter is not None:
            self._iter.close()
        self._iter = None

    def _new_iter(self):
        reload = weakref.WeakMethod(self._reload) if self.auto_reload else None
        if self._num_workers == 0:
            return _SameProcessIter(self, reload)
        if self._pool is None or self._pool.broken is not None:
            pool_type = ThreadPool if self._thread_pool else ProcessPool
            self._pool = pool_type(self._dataset, self._batchify_fn, self._num_workers, self._ctx)
        return _WorkerIter(self._pool, self._batch_sampler, self._prefetch, self._timeout, reload)

    def _reload(self) -> None:
        if self._iter is None:
            self.refresh()


def _pin(batch, ctx):
    """Copy the NDArrays of a batch made by a custom batchify_fn to ``ctx``."""
    return map_leaves(lambda x: x.as_in_context(ctx), batch, NDArray)


def _call(reload) -> None:
    method = reload() if reload is not None else None
    if method is not None:
        method()


class _SameProcessIter:
    """One pass over a DataLoader without workers: each batch is loaded when asked for."""

    def __init__(self, loader: DataLoader, reload):
        self._dataset = loader._dataset
        self._batchify_fn = loader._batchify_fn
        self._ctx = loader._ctx
        self._pin = loader._pin_memory
        self._length = len(loader._batch_sampler)
        self._batches = iter(loader._batch_sampler)
        self._reload = reload

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return self._length

    def __next__(self):
        try:
            indices = next(self._batches)
        except StopIteration:
            _call(self._reload)
            self._reload = None
            raise
        samples = [self._dataset[i] for i in indices]
        if self._batchify_fn is default_batchify_fn:
            return materialize(collate(samples), self._ctx)
        batch = self._batchify_fn(samples)
        return _pin(batch, self._ctx) if self._pin else batch

    next = __next__

    def close(self) -> None:
        self._batches = iter(())


class _WorkerIter:
    """One pass over a DataLoader with workers: ``prefetch`` batches load ahead of the one
    asked for, and come back in the order of the batch sampler."""

    def __init__(self, pool, batch_sampler, prefetch: int, timeout: float, reload):
        self._pool = pool
        self._length = len(batch_sampler)
        self._batches = iter(batch_sampler)
        self._timeout = timeout
        self._reload = reload
        self._pending: collections.deque = collections.deque()
        # Batch k of this pass seeds its worker from (numpy draw, mx.random draw, k).
        self._seed = (
            int(np.random.randint(2**31)),
            int(rng.generator(Context("cpu", 0)).integers(2**31)),
        )
        self._count = 0
        for _ in range(max(1, prefetch)):
            self._push()

    def _push(self) -> None:
        try:
            indices = next(self._batches)
        except StopIteration:
            return
        self._pending.append(self._pool.submit(indices, (*self._seed, self._count)))
        self._count += 1

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return self._length

    def __next__(self):
        if not self._pending:
            _call(self._reload)
            self._reload = None
            raise StopIteration
        task_id = self._pending.popleft()
        self._push()
        return self._pool.get(task_id, self._timeout)

    next = __next__

    def close(self) -> None:
        """Drop the batches loaded ahead (the pass was left early)."""
        pending, self._pending = self._pending, collections.deque()
        self._batches = iter(())
        if pending:
            self._pool.cancel(pending)

    def __del__(self):
        try:
            self.close()
        except Exception:  # the pool may be gone at interpreter exit
            pass


class _MultiWorkerIter:
    """MXNet 1.x's internal worker iterator. Libraries written for MXNet (GluonCV) import the
    name; neomx's workers are ``_WorkerIter``, whose constructor differs, so building one here
    says so instead of misbehaving."""

    def __init__(self, *args, **kwargs):
        from ...base import MXNetNotImplementedError

        raise MXNetNotImplementedError(
            "gluon.data.dataloader._MultiWorkerIter: MXNet's internal worker iterator is not "
            "part of neomx; use DataLoader(num_workers=...) or num_workers=0"
        )


# MXNet 1.x's dataloader module also exports these; GluonNLP imports them from here.
from multiprocessing.reduction import ForkingPickler  # noqa: E402, F401


def _as_in_context(data, ctx):
    """Move an NDArray, or every NDArray of a (nested) list or tuple, to ``ctx``."""
    if isinstance(data, NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        return [_as_in_context(d, ctx) for d in data]
    return data
