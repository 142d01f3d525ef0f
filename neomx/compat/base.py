"""``mxnet.base`` under the alias: neomx's base plus the MXNet 1.9.1 names code imports from it.

Everything of :mod:`neomx.base` is here (the same objects, so ``except mxnet.base.MXNetError``
catches neomx's errors); the rest are the small helpers and constants that MXNet 1.x programs
import from ``mxnet.base`` (``string_types``, ``numeric_types``, ``py_str``, ``data_dir``...).
The ctypes handles of MXNet's C library do not exist: neomx has no C library.
"""

from __future__ import annotations

import ctypes
import os

import numpy as np

from .. import base as _neomx_base
from ..base import *  # noqa: F403
from ..base import MXNetError, NotSupportedForSparseNDArray, _Null, _NullType  # noqa: F401

__all__ = [name for name in dir(_neomx_base) if not name.startswith("_")]

string_types = (str,)
numeric_types = (float, int, np.generic)
integer_types = (int, np.integer)
basestring = str
long = int
mx_real_t = np.float32
py_str = str  # MXNet decodes C strings; neomx's strings are already str


class NotImplementedForSymbol(MXNetError, NotImplementedError):
    """An NDArray-only operation was called on a Symbol (MXNet 1.9.1's exception name)."""

    def __init__(self, function, alias, *args):
        super().__init__(
            f"Function {getattr(function, '__name__', function)} is not implemented "
            f"for Symbol{f' (alias {alias})' if alias else ''}"
        )
        self.function = function
        self.alias = alias
        self.args = [str(type(a)) for a in args]


def data_dir_default() -> str:
    """Return the default data directory, ``~/.mxnet`` (as MXNet 1.9.1)."""
    return os.path.join(os.path.expanduser("~"), ".mxnet")


def data_dir() -> str:
    """Return the data directory: ``$MXNET_HOME``, else ``~/.mxnet``."""
    return os.getenv("MXNET_HOME", data_dir_default())


class classproperty:
    """A read-only property of the class (``@classproperty``), as in ``mxnet.base``."""

    def __init__(self, func):
        self.func = func

    def __get__(self, obj, owner):
        return self.func(owner)


def _as_list(obj):
    """Return ``obj`` as a list: a list or tuple as a list, anything else wrapped."""
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def with_metaclass(meta, *bases):
    """Create a base class with metaclass ``meta`` (the six-style helper MXNet keeps)."""
    return meta("NewBase", bases or (object,), {})


def __getattr__(name):
    return getattr(_neomx_base, name)


# The ctypes handle types of MXNet's C API. neomx has no C library: these exist so that code
# importing them loads; nothing in neomx accepts a handle.
NDArrayHandle = ctypes.c_void_p
SymbolHandle = ctypes.c_void_p
ExecutorHandle = ctypes.c_void_p
KVStoreHandle = ctypes.c_void_p
CachedOpHandle = ctypes.c_void_p
