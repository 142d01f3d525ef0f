"""Per-context pools of freed buffers, as MXNet's storage manager keeps them.

A large array is a view of a raw byte buffer held by a ``Chunk``. When the last NDArray
holding the chunk goes away, the buffer is handed back to its context's pool, which reuses it
for the next allocation of that size, already faulted in, instead of asking the OS for fresh
pages. A buffer is reused only once no view of it is alive: every numpy view (an NDArray's
data, ``x._data`` kept by a user, a DLPack capsule, a pending operation's closure) holds a
reference to it, so its reference count tells.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager

import numpy as np

from .base import POOL_MAX_BYTES, POOL_MIN_BYTES
from .context import Context

__all__ = ["Pool", "Chunk", "pool_for", "alloc", "scratch"]

_PAGE = 4096
# Handed-back buffers that still have views are checked again at each allocation; beyond
# this many the rest are forgotten (freed by their views as plain memory) to bound that work.
_MAX_WATCHED = 64


class Pool:
    """Idle buffers of one context, keyed by their size rounded up to whole pages.

    Attributes
    ----------
    max_bytes : int
        Upper bound on the bytes kept idle; a buffer that would exceed it is let go.
    reused : int
        How many allocations were served from the pool.
    """

    def __init__(self, xp, max_bytes: int = POOL_MAX_BYTES):
        self.xp = xp
        self.max_bytes = max_bytes
        self.reused = 0
        self._idle_bytes = 0
        self._free: dict[int, list] = {}
        # Buffers whose last array died, not yet known to be free of views.
        self._returned: list = []
        # Reentrant: a garbage collection run while the lock is held may free a Chunk, whose
        # ``__del__`` hands its buffer back to this pool from the same thread.
        self._lock = threading.RLock()

    @property
    def idle_bytes(self) -> int:
        """Bytes held in idle buffers, ready for reuse."""
        with self._lock:
            self._collect_returned()
        return self._idle_bytes

    def take(self, nbytes: int):
        """Return an idle buffer of ``nbytes`` rounded up to pages, or a fresh one."""
        size = -(-nbytes // _PAGE) * _PAGE
        with self._lock:
            if self._returned:
                self._collect_returned()
            buffers = self._free.get(size)
            if buffers:
                self._idle_bytes -= size
                self.reused += 1
                return buffers.pop()
        return self.xp.empty(size, dtype="uint8")

    def give(self, raw) -> None:
        """Take back ``raw``, whose last array died; it is reused once no view of it lives."""
        with self._lock:
            self._returned.append(raw)

    def clear(self) -> None:
        """Drop every idle buffer (``Context.empty_cache``)."""
        with self._lock:
            self._free.clear()
            self._returned = []
            self._idle_bytes = 0

    def _collect_returned(self) -> None:
        """Move returned buffers without views to the free lists (called under the lock)."""
        returned, self._returned = self._returned, []
        watched = []
        for raw, count in zip(returned, _reference_counts(returned)):
            if count > _UNVIEWED_REFS:
                watched.append(raw)
            elif self._idle_bytes + raw.nbytes <= self.max_bytes:
                self._free.setdefault(raw.nbytes, []).append(raw)
                self._idle_bytes += raw.nbytes
        self._returned.extend(watched[-_MAX_WATCHED:])


def _reference_counts(buffers) -> list:
    return [sys.getrefcount(raw) for raw in buffers]


# NOTE: measured, not assumed: how many references a list element, a loop variable and a call
# argument add differs between Python versions. Counted on a buffer only a list refers to.
_UNVIEWED_REFS = _reference_counts([bytearray(1)])[0]


class Chunk:
    """Owner of one pooled buffer; hands it back to the pool when no array uses it."""

    __slots__ = ("raw", "pool")

    def __init__(self, raw, pool: Pool):
        self.raw = raw
        self.pool = pool

    def __del__(self):
        # The dying NDArray may still hold its view here (slots are cleared in name order,
        # ``_chunk`` before ``_data``), so the pool checks for views later, not now.
        self.pool.give(self.raw)


_pools: dict = {}


def pool_for(ctx) -> Pool:
    """Return the pool of ``ctx`` (pinned and shared host memory use the cpu pool)."""
    key = ctx.compute_ctx
    found = _pools.get(key)
    if found is None:
        # setdefault: two threads racing here must end up with the same pool.
        found = _pools.setdefault(key, Pool(ctx.xp))
    return found


def alloc(ctx, shape, dtype, pooled_only=False):
    """Return ``(array, chunk)`` for an uninitialised array; chunk is None if not pooled.

    With ``pooled_only``, an array too small for the pool is not allocated: ``(None, None)``.
    """
    xp = ctx.xp
    itemsize = dtype.itemsize
    count = 1
    for dim in shape:
        count *= dim
    nbytes = count * itemsize
    if nbytes < POOL_MIN_BYTES:
        return (None, None) if pooled_only else (xp.empty(shape, dtype=dtype), None)
    pool = pool_for(ctx)
    raw = pool.take(nbytes)
    return raw[:nbytes].view(dtype).reshape(shape), Chunk(raw, pool)


@contextmanager
def scratch(xp, shape, dtype):
    """Yield an uninitialised array for the duration of the block (kernel workspace).

    NumPy's comes from, and goes back to, the host pool, already faulted in (every CPU context
    shares host memory); CuPy keeps a memory pool of its own.
    """
    dtype = np.dtype(dtype)
    if xp is not np:
        yield xp.empty(shape, dtype=dtype)
        return
    count = 1
    for dim in shape:
        count *= dim
    pool = pool_for(Context("cpu", 0))
    raw = pool.take(max(count, 1) * dtype.itemsize)
    try:
        yield raw[: count * dtype.itemsize].view(dtype).reshape(shape)
    finally:
        pool.give(raw)
