"""Batches in shared memory: how a DataLoader worker hands a batch to the main process.

A worker stacks the arrays of a batch into one of its shared buffers (an anonymous ``memfd``
mapped by both processes) and sends only a small header: the structure of the batch with each
array replaced by a ``Placed`` (offset, shape, dtype). The main process makes its NDArrays as
views of its own mapping of that buffer, without a copy. A buffer is a "slot": the main process
names the slot each task writes into, and takes the slot back once every array viewing it is
gone, so the pages are reused (already faulted in, in both processes) batch after batch. The
file descriptor of a new or grown buffer travels once, over the worker's socket (SCM_RIGHTS);
with no name in /dev/shm, nothing is left behind when a process dies.
"""

from __future__ import annotations

import collections
import itertools
import mmap
import os
import tempfile
import weakref
from multiprocessing.reduction import recv_handle, send_handle

import numpy as np

from ...context import Context
from ...ndarray import NDArray
from .batchify import Stack, map_leaves

__all__ = ["Placed", "WorkerBuffers", "MainBuffers"]

_ALIGN = 64
_PAGE = mmap.PAGESIZE


class Placed:
    """Where one array of a batch lies in a buffer; ``ndarray`` says if it was an NDArray (or
    a stacked leaf of the default batchify) rather than a NumPy array."""

    __slots__ = ("offset", "shape", "dtype", "ndarray")

    def __init__(self, offset, shape, dtype, ndarray):
        self.offset = offset
        self.shape = shape
        self.dtype = dtype
        self.ndarray = ndarray

    def __getstate__(self):
        return (self.offset, self.shape, self.dtype, self.ndarray)

    def __setstate__(self, state):
        self.offset, self.shape, self.dtype, self.ndarray = state


def _host(leaf):
    """``(fill, nbytes, shape, dtype, is_ndarray)`` of one array leaf of a batch."""
    if isinstance(leaf, Stack):
        return leaf.fill, leaf.nbytes, leaf.shape, leaf.dtype, True
    is_ndarray = isinstance(leaf, NDArray)
    array = leaf.asnumpy() if is_ndarray else leaf

    def fill(out):
        np.copyto(out, array)

    return fill, array.nbytes, array.shape, array.dtype, is_ndarray


class WorkerBuffers:
    """A worker's shared buffers, by slot number."""

    def __init__(self):
        self._maps: dict[int, mmap.mmap] = {}
        # The size of the buffer the last ``pack`` made, until ``send_fd`` sends it; else None.
        self.new_size: int | None = None
        self._fd = -1

    def pack(self, tree, slot: int):
        """Write the arrays of ``tree`` into buffer ``slot``; return the header: ``tree`` with
        each array replaced by a ``Placed``.

        When the buffer had to be made (or grown), ``new_size`` is its size and its
        descriptor must follow the header to the main process (``send_fd``).
        """
        fills = []
        end = 0

        def place(leaf):
            nonlocal end
            fill, nbytes, shape, dtype, is_ndarray = _host(leaf)
            offset = end
            end = offset + -(-nbytes // _ALIGN) * _ALIGN
            fills.append((fill, offset, nbytes, shape, dtype))
            return Placed(offset, tuple(shape), dtype.str, is_ndarray)

        header = map_leaves(place, tree, (Stack, NDArray, np.ndarray))
        buffer = self._maps.get(slot)
        if end and (buffer is None or len(buffer) < end):
            size = -(-max(end, 2 * len(buffer) if buffer is not None else 0) // _PAGE) * _PAGE
            fd = _anonymous_file(slot)
            try:
                os.ftruncate(fd, size)
                mapped = mmap.mmap(fd, size)
            except OSError:
                os.close(fd)
                raise
            if buffer is not None:
                buffer.close()
            buffer = self._maps[slot] = mapped
            self._fd, self.new_size = fd, size
        for fill, offset, nbytes, shape, dtype in fills:
            if nbytes:
                fill(np.frombuffer(buffer, np.uint8, nbytes, offset).view(dtype).reshape(shape))
        return header

    def send_fd(self, conn, parent_pid: int) -> None:
        """Send the descriptor of the buffer ``pack`` just made, then close it here."""
        try:
            send_handle(conn, self._fd, parent_pid)
        finally:
            os.close(self._fd)
            self._fd, self.new_size = -1, None


class MainBuffers:
    """The main process's mappings of one worker's buffers, and which slots are free."""

    def __init__(self):
        self._maps: dict[int, mmap.mmap] = {}
        # NOTE: no lock: slots come back from finalizers, which may run in the middle of
        # ``take_slot`` (a garbage collection); deque appends and pops are atomic.
        self._free: collections.deque[int] = collections.deque()
        self._new_slots = itertools.count()

    def take_slot(self) -> int:
        """A slot no live array views (a new one if all are in use)."""
        try:
            return self._free.pop()
        except IndexError:
            return next(self._new_slots)

    def give_slot(self, slot: int) -> None:
        self._free.append(slot)

    def receive_fd(self, conn, slot: int, size: int) -> None:
        """Map the new buffer of ``slot`` whose descriptor follows on ``conn``."""
        fd = recv_handle(conn)
        try:
            self._maps[slot] = mmap.mmap(fd, size)
        finally:
            os.close(fd)

    def unpack(self, header, slot: int, ctx: Context):
        """The batch of ``header``: NDArrays on ``ctx`` (and NumPy arrays) viewing ``slot``.

        The slot is free again once the last of those arrays (or of views of them) is gone.
        """
        buffer = self._maps.get(slot)
        if buffer is None:  # a batch of empty arrays only
            self.give_slot(slot)
            return map_leaves(lambda p: _wrap(np.empty(p.shape, p.dtype), p, ctx), header, Placed)
        whole = np.frombuffer(buffer, np.uint8)
        weakref.finalize(whole, self.give_slot, slot).atexit = False

        def view(placed):
            nbytes = int(np.prod(placed.shape, dtype=np.int64)) * np.dtype(placed.dtype).itemsize
            data = whole[placed.offset : placed.offset + nbytes].view(placed.dtype)
            return _wrap(data.reshape(placed.shape), placed, ctx)

        return map_leaves(view, header, Placed)


def _anonymous_file(slot: int) -> int:
    """A descriptor of a new file with no name: a memfd on Linux, else an unlinked temporary
    file (macOS has no memfd)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create(f"neomx-batch-{slot}", os.MFD_CLOEXEC)
    with tempfile.TemporaryFile() as temporary:
        return os.dup(temporary.fileno())


def _wrap(data, placed, ctx):
    return NDArray._wrap(data, ctx) if placed.ndarray else data
