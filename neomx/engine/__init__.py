"""The execution engine: ``MXNET_ENGINE_TYPE`` picks NaiveEngine (default) or the threaded one.

NaiveEngine is the default because it measured fastest for small operations
(benchmarks/op_overhead.py); ThreadedEnginePerDevice overlaps work on different devices.
"""

from __future__ import annotations

import contextlib

from ..base import ENGINE_TYPE, MXNetValueError
from .naive import NaiveEngine
from .threaded import ThreadedEngine
from .var import Var

__all__ = ["get_engine", "set_engine", "engine_scope", "bulk", "set_bulk_size", "waitall", "Var"]

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
# MXNet 1.9.1 starts with bulking off: the first set_bulk_size returns 0.
_bulk_size = 0


def get_engine():
    """Return the engine that runs operations now."""
    return current


def set_engine(name: str):
    """Switch to the engine called ``name`` after finishing all pending work; return the old.

    A failure of that pending work is raised after the switch has happened.
    """
    global current
    replacement = _create(name)
    previous, current = current, replacement
    try:
        previous.waitall()
    finally:
        previous.shutdown()
    return previous


@contextlib.contextmanager
def engine_scope(name: str):
    """Run the block under the engine called ``name``, then switch back.

    Work pending before the block finishes first (its failures raise before the block runs);
    work pushed inside the block finishes before the switch back, which always happens.

    >>> with mx.engine.engine_scope('NaiveEngine'):
    ...     mx.engine.get_engine().name
    'NaiveEngine'
    """
    global current
    current.waitall()
    previous, current = current, _create(name)
    try:
        yield current
    finally:
        scoped = current
        try:
            scoped.waitall()
        finally:
            current = previous
            scoped.shutdown()


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
