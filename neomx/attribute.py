"""``mx.AttrScope``: attributes given to every Symbol node created inside a ``with`` block.

MXNet keeps a few attribute names hidden, stored as ``__name__`` (``ctx_group`` becomes
``__ctx_group__``); ``hidden_key`` maps a user's key to its stored form.
"""

from __future__ import annotations

import collections
import threading

from .base import MXNetValueError

__all__ = ["AttrScope", "current", "hidden_key", "HIDDEN_KEYS"]

# Attribute names MXNet 1.9.1 stores with double underscores around them.
HIDDEN_KEYS = frozenset(
    ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage", "profiler_scope")
)


def hidden_key(key: str) -> str:
    """The stored form of an attribute name: ``lr_mult`` -> ``__lr_mult__``."""
    return f"__{key}__" if key in HIDDEN_KEYS else key


class _Current(threading.local):
    scope = None


_current = _Current()


class AttrScope:
    """Attach string attributes to the nodes created inside the scope; scopes nest.

    >>> with mx.AttrScope(ctx_group='dev1'):
    ...     w = mx.sym.var('w')
    >>> w.attr('ctx_group')
    'dev1'
    """

    # Process-wide counts of control-flow subgraph names (``foreach0``, ``cond_then1``),
    # kept here as MXNet keeps them; ``AttrScope._subgraph_names.clear()`` starts afresh.
    _subgraph_names: dict = collections.defaultdict(int)

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise MXNetValueError(
                    f"AttrScope: attribute {key!r} must be a string, got {type(value).__name__}"
                )
        self._attr = {hidden_key(k): v for k, v in kwargs.items()}
        self._previous = None

    def get(self, attr=None) -> dict:
        """This scope's attributes updated with ``attr`` (the node's own, which win)."""
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return merged

    def __enter__(self):
        self._previous = current()
        # An inner scope keeps the outer one's attributes under its own.
        self._attr = self._previous.get(self._attr)
        _current.scope = self
        return self

    def __exit__(self, *exc):
        _current.scope = self._previous
        self._previous = None


_default = AttrScope()


def current() -> AttrScope:
    """The AttrScope in effect in this thread."""
    return _current.scope or _default
