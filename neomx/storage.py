"""Per-context pools of freed buffers, as MXNet's storage manager keeps them.

A large array is a view of a raw byte buffer held by a ``Chunk``. When the last NDArray
holding the chunk goes away and no other view of the buffer is alive (its reference count
says so), the buffer returns to its context's pool and the next allocation of that size
reuses it, already faulted in, instead of asking the OS for fresh pages.
"""

from __future__ import annotations

import sys
import threading

from .base import POOL_MAX_BYTES, POOL_MIN_BYTES

__all__ = ["Pool", "Chunk", "pool_for", "alloc"]

_PAGE = 4096


class Pool:
    """Idle buffers of one context, keyed by their size rounded up to whole pages."""

    def __init__(self, xp, max_bytes: int = POOL_MAX_BYTES):
        self.xp = xp
        self.max_bytes = max_bytes
        self.idle_bytes = 0
        self.reused = 0
        self._free: dict[int, list] = {}
        self._lock = threading.Lock()

    def take(self, nbytes: int):
        size = -(-nbytes // _PAGE) * _PAGE
        with self._lock:
            buffers = self._free.get(size)
            if buffers:
                self.idle_bytes -= size
                self.reused += 1
                return buffers.pop()
        return self.xp.empty(size, dtype="uint8")

    def give(self, raw) -> None:
        size = raw.nbytes
        with self._lock:
            if self.idle_bytes + size > self.max_bytes:
                return
            self._free.setdefault(size, []).append(raw)
            self.idle_bytes += size

    def clear(self) -> None:
        with self._lock:
            self._free.clear()
            self.idle_bytes = 0


class Chunk:
    """Owner of one pooled buffer; gives it back to the pool when no array uses it."""

    __slots__ = ("raw", "pool")

    def __init__(self, raw, pool: Pool):
        self.raw = raw
        self.pool = pool

    def __del__(self):
        # NOTE: two references remain here (self.raw and getrefcount's argument); any more
        # means a numpy view escaped (to the user or a pending operation): then never reuse.
        raw = self.raw
        if raw is not None and sys.getrefcount(raw) <= 3:
            self.pool.give(raw)


_pools: dict = {}


def pool_for(ctx) -> Pool:
    """Return the pool of ``ctx`` (pinned and shared host memory use the cpu pool)."""
    key = ctx.compute_ctx
    found = _pools.get(key)
    if found is None:
        found = _pools[key] = Pool(ctx.xp)
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
