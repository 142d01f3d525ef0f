"""``mx.name``: automatic names for Symbol nodes (``fullyconnected0``, ``_plus1``).

A ``NameManager`` turns an operator's hint into a fresh name, counting per hint; ``Prefix``
also puts a prefix before every name. ``with NameManager():`` starts fresh counts, as Gluon
does per block.
"""

from __future__ import annotations

import threading

__all__ = ["NameManager", "Prefix", "current"]


class _Current(threading.local):
    manager = None


_current = _Current()


class NameManager:
    """Give each unnamed node ``<hint><count>``, counting per hint.

    >>> with mx.name.NameManager():
    ...     mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2).name
    'fullyconnected0'
    """

    def __init__(self):
        self._counter: dict[str, int] = {}
        self._previous = None

    def get(self, name, hint):
        """Return ``name`` if given, else a fresh name made from ``hint``."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f"{hint}{count}"

    def __enter__(self):
        self._previous = current()
        _current.manager = self
        return self

    def __exit__(self, *exc):
        _current.manager = self._previous
        self._previous = None


class Prefix(NameManager):
    """A NameManager that puts ``prefix`` before every name, given ones included.

    >>> with mx.name.Prefix('mynet_'):
    ...     mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='fc').name
    'mynet_fc'
    """

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


_default = NameManager()


def current() -> NameManager:
    """The NameManager in effect in this thread."""
    return _current.manager or _default
