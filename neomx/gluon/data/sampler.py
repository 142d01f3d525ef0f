"""Samplers: the order in which a DataLoader visits a dataset, and how it groups it in batches."""

from __future__ import annotations

import numpy as np

from ...base import MXNetValueError

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "FilterSampler",
    "BatchSampler",
    "IntervalSampler",
]

LAST_BATCH_MODES = ("keep", "discard", "rollover")


def check_last_batch(where: str, last_batch) -> str:
    """Return ``last_batch`` if it is one of ``keep``, ``discard``, ``rollover``, else raise."""
    if last_batch not in LAST_BATCH_MODES:
        raise MXNetValueError(
            f"{where}: last_batch must be one of 'keep', 'discard', or 'rollover', "
            f"but got {last_batch!r}"
        )
    return last_batch


class Sampler:
    """Base class of samplers: subclasses define ``__iter__`` (the indices) and ``__len__``."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Sample the indices ``start, start + 1, ..., start + length - 1`` in order.

    >>> list(mx.gluon.data.SequentialSampler(3, start=2))
    [2, 3, 4]
    """

    def __init__(self, length: int, start: int = 0):
        self._length = length
        self._start = start

    def __iter__(self):
        return iter(range(self._start, self._start + self._length))

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """Sample the indices ``[0, length)`` in a random order, without replacement.

    The order comes from ``numpy.random`` (as in MXNet), so ``np.random.seed`` replays it.

    >>> sorted(mx.gluon.data.RandomSampler(4))
    [0, 1, 2, 3]
    """

    def __init__(self, length: int):
        self._length = length

    def __iter__(self):
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self._length


class FilterSampler(Sampler):
    """Sample the indices of the elements of ``dataset`` for which ``fn(element)`` is true.

    >>> list(mx.gluon.data.FilterSampler(lambda x: x % 2, [5, 6, 7]))
    [0, 2]
    """

    def __init__(self, fn, dataset):
        self._fn = fn
        self._dataset = dataset
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self):
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : Sampler
        The indices to group.
    batch_size : int
        Size of a mini-batch.
    last_batch : {'keep', 'discard', 'rollover'}
        What happens to a last batch that is not full: ``keep`` returns it short, ``discard``
        drops it, ``rollover`` puts its indices at the start of the next pass.

    >>> sampler = mx.gluon.data.SequentialSampler(10)
    >>> list(mx.gluon.data.BatchSampler(sampler, 3, 'keep'))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size: int, last_batch: str = "keep"):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise MXNetValueError(
                f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}"
            )
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._last_batch = last_batch
        self._prev: list = []

    def __iter__(self):
        check_last_batch("BatchSampler", self._last_batch)
        batch, self._prev = self._prev, []
        for index in self._sampler:
            batch.append(index)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self) -> int:
        check_last_batch("BatchSampler", self._last_batch)
        if self._last_batch == "keep":
            return -(-len(self._sampler) // self._batch_size)
        if self._last_batch == "discard":
            return len(self._sampler) // self._batch_size
        return (len(self._prev) + len(self._sampler)) // self._batch_size


class IntervalSampler(Sampler):
    """Sample ``[0, length)`` at steps of ``interval``: 0, interval, 2 * interval, ...

    With ``rollover`` (the default) it then starts again from 1, 2, ... until every index was
    visited once; without, it stops at the end of the first pass. (MXNet 1.9.1 has it as
    ``gluon.contrib.data.IntervalSampler``, whose ``len`` is ``length`` even without rollover;
    here ``len`` counts the indices it yields.)

    >>> list(mx.gluon.data.IntervalSampler(7, interval=3))
    [0, 3, 6, 1, 4, 2, 5]
    >>> list(mx.gluon.data.IntervalSampler(7, interval=3, rollover=False))
    [0, 3, 6]
    """

    def __init__(self, length: int, interval: int, rollover: bool = True):
        if not 0 < interval <= length:
            raise MXNetValueError(
                f"IntervalSampler: interval {interval} must be in [1, length {length}]"
            )
        self._length = length
        self._interval = interval
        self._rollover = rollover

    def __iter__(self):
        for first in range(self._interval if self._rollover else 1):
            yield from range(first, self._length, self._interval)

    def __len__(self) -> int:
        if self._rollover:
            return self._length
        return -(-self._length // self._interval)
