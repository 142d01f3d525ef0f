"""Errors, the dtype table and environment flags of neomx (all read here, once)."""

from __future__ import annotations

import os

import numpy as np

__all__ = [
    "MXNetError",
    "MXNetValueError",
    "MXNetTypeError",
    "MXNetIndexError",
    "MXNetNotImplementedError",
    "MXNetOSError",
    "NotSupportedForSparseNDArray",
    "_Null",
    "dtype_np",
    "dtype_name",
    "dtype_flag",
    "dtype_from_flag",
    "DTYPE_FLAGS",
    "env_flag",
]


class MXNetError(RuntimeError):
    """The error neomx raises for bad input or a failed operation (as MXNet's ``MXNetError``)."""


class MXNetValueError(MXNetError, ValueError):
    """An ``MXNetError`` that is also a ``ValueError`` (bad values, shapes, parameters)."""


class MXNetTypeError(MXNetError, TypeError):
    """An ``MXNetError`` that is also a ``TypeError`` (bad dtypes or argument types)."""


class MXNetIndexError(MXNetError, IndexError):
    """An ``MXNetError`` that is also an ``IndexError`` (indices out of range)."""


class MXNetOSError(MXNetError, OSError):
    """An ``MXNetError`` that is also an ``OSError`` (files that cannot be read or written)."""


class MXNetNotImplementedError(MXNetError, NotImplementedError):
    """An ``MXNetError`` for features neomx does not provide."""


class NotSupportedForSparseNDArray(MXNetError):
    """Raised by NDArray methods that sparse arrays do not support."""


class _NullType:
    """The 'argument not given' marker of MXNet's generated functions."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "_Null"

    def __reduce__(self):
        return (_NullType, ())


_Null = _NullType()

# mshadow type flags (FORMATS.md 1.4); the names are MXNet's dtype strings.
DTYPE_FLAGS: dict[str, int] = {
    "float32": 0,
    "float64": 1,
    "float16": 2,
    "uint8": 3,
    "int32": 4,
    "int8": 5,
    "int64": 6,
    "bool": 7,
    "int16": 8,
    "uint16": 9,
    "uint32": 10,
    "uint64": 11,
}
_FLAG_TO_NAME = {flag: name for name, flag in DTYPE_FLAGS.items()}
_NP_DTYPES = {name: np.dtype(name) for name in DTYPE_FLAGS}
# The dtypes MXNet 1.x operators compute in; the rest only load and store.
SUPPORTED_DTYPES = ("float16", "float32", "float64", "uint8", "int8", "int32", "int64", "bool")


def dtype_np(dtype, *, where: str = "dtype") -> np.dtype:
    """Return the numpy dtype for an MXNet dtype given by name, numpy dtype or type.

    >>> dtype_np('float16')
    dtype('float16')
    """
    if dtype is None:
        return _NP_DTYPES["float32"]
    if isinstance(dtype, str):
        found = _NP_DTYPES.get(dtype)
        if found is not None:
            return found
    try:
        resolved = np.dtype(dtype)
    except TypeError as err:
        raise MXNetTypeError(f"{where}: unknown dtype {dtype!r}") from err
    if resolved.name not in _NP_DTYPES:
        raise MXNetTypeError(
            f"{where}: dtype {resolved.name} is not supported; "
            f"use one of {', '.join(SUPPORTED_DTYPES)}"
        )
    return _NP_DTYPES[resolved.name]


def dtype_name(dtype) -> str:
    """Return MXNet's name for a dtype (``'float32'``, ``'int64'``, ...)."""
    return dtype_np(dtype).name


def dtype_flag(dtype) -> int:
    """Return the mshadow type flag of a dtype (FORMATS.md 1.4)."""
    return DTYPE_FLAGS[dtype_np(dtype).name]


def dtype_from_flag(flag: int) -> np.dtype:
    """Return the numpy dtype for an mshadow type flag."""
    try:
        return _NP_DTYPES[_FLAG_TO_NAME[flag]]
    except KeyError as err:
        raise MXNetValueError(f"unknown dtype flag {flag}") from err


def env_flag(name: str, default: str) -> str:
    """Read an environment variable; every flag neomx honours is read through here."""
    return os.environ.get(name, default)


ENGINE_TYPE = env_flag("MXNET_ENGINE_TYPE", "NaiveEngine")
# Buffers at least this large come from the per-context pool (smaller ones are cheap in malloc).
POOL_MIN_BYTES = int(env_flag("NEOMX_POOL_MIN_BYTES", str(64 * 1024)))
# Upper bound on bytes kept idle in one context's pool.
POOL_MAX_BYTES = int(env_flag("NEOMX_POOL_MAX_BYTES", str(2 * 1024**3)))
