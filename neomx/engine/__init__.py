"""The execution engine: ``MXNET_ENGINE_TYPE`` picks NaiveEngine (default) or the threaded one.

NaiveEngine is the default because it measured fastest for small operations
(benchmarks/op_overhead.py); ThreadedEnginePerDevice overlaps work on different devices.
"""

from __future__ import annotations

import contextlib

from ..base import ENGINE_TYPE, MXNetValueError
from .naive import NaiveEngine
from .threaded import ThreadedEngine

__all__ = ["get_engine", "set_engine", "engine_scope", "bulk", "set_bulk_size", "waitall"]

_ENGINES = {
    "NaiveEngine": NaiveEngine,
    "ThreadedEngine": ThreadedEngine,
    "ThreadedEnginePerDevice": ThreadedEngine,
}


def _create(name):
    try:
        return _ENGINES[name]()
    except KeyError:
        raise MXNetValueError(
            f"MXNET_ENGINE_TYPE: unknown engine {name!r}; expected one of {sorted(_ENGINES)}"
        ) from None


current = _create(ENGINE_TYPE)
_bulk_size = 15


def get_engine():
    """Return the engine that runs operations now."""
    return current


def set_engine(name: str):
    """Switch to the engine called ``name`` after finishing all pending work; return the old."""
    global current
    previous = current
    previous.waitall()
    current = _create(name)
    return previous


@contextlib.contextmanager
def engine_scope(name: str):
    """Run the block under the engine called ``name``, then switch back."""
    global current
    previous = set_engine(name)
    try:
        yield current
    finally:
        current.waitall()
        current = previous


def set_bulk_size(size: int) -> int:
    """Set how many operations MXNet would bulk together; returns the previous size.

    neomx accepts the setting for compatibility; it does not change results.
    """
    global _bulk_size
    previous, _bulk_size = _bulk_size, int(size)
    return previous


@contextlib.contextmanager
def bulk(size: int):
    """Bulk up to ``size`` operations inside the block (accepted for MXNet compatibility)."""
    previous = set_bulk_size(size)
    try:
        yield
    finally:
        set_bulk_size(previous)


def waitall() -> None:
    """Block until all pushed operations finish; re-raise the first error among them."""
    current.waitall()
