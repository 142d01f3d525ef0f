"""``mxnet.util`` under the alias: MXNet 1.9.1's utility functions.

neomx implements MXNet 1.x's classic NDArray semantics, not the NumPy-compatible ``mx.np``
interface of MXNet 2.0: ``is_np_array()``/``is_np_shape()`` are always False, the ``use_np*``
decorators hand back what they decorate (so classes written for both modes import and run in
classic mode), and *switching* NumPy semantics on raises ``MXNetNotImplementedError``.
"""

from __future__ import annotations

import contextlib
import functools
import os

from ..base import MXNetNotImplementedError

__all__ = [
    "get_cuda_compute_capability", "get_gpu_count", "get_gpu_memory", "getenv", "is_np_array",
    "is_np_shape", "np_array", "np_shape", "reset_np", "set_module", "set_np", "set_np_shape",
    "setenv", "use_np", "use_np_array", "use_np_shape",
]  # fmt: skip


def _refuse(what: str) -> MXNetNotImplementedError:
    return MXNetNotImplementedError(
        f"{what}: neomx implements MXNet 1.x's NDArray semantics only; NumPy semantics "
        "(mx.np / npx, MXNet 2.0 style) are not available"
    )


def is_np_array() -> bool:
    """Return whether NumPy array semantics are on: never, in neomx."""
    return False


def is_np_shape() -> bool:
    """Return whether NumPy shape semantics are on: never, in neomx."""
    return False


def set_np_shape(active: bool) -> bool:
    """Switch NumPy shape semantics; only ``False`` (the state neomx is in) is accepted."""
    if active:
        raise _refuse("set_np_shape(True)")
    return False


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Switch NumPy semantics on; only ``set_np(False, False)`` is accepted."""
    if shape or array or dtype:
        raise _refuse("set_np")


def reset_np() -> None:
    """Switch NumPy semantics off (they are never on in neomx)."""


@contextlib.contextmanager
def _classic_scope(active=True):
    if active:
        raise _refuse("np_shape/np_array(True)")
    yield


def np_shape(active: bool = True):
    """Return a scope with NumPy shape semantics ``active``; only ``False`` is accepted."""
    return _classic_scope(active)


def np_array(active: bool = True):
    """Return a scope with NumPy array semantics ``active``; only ``False`` is accepted."""
    return _classic_scope(active)


def use_np_shape(func):
    """Return ``func`` unchanged: neomx runs it with classic shape semantics."""
    return func


use_np_array = use_np_shape
use_np = use_np_shape


def set_module(module: str):
    """Return a decorator that sets ``__module__`` of a function or class to ``module``."""

    def decorator(obj):
        if module is not None:
            obj.__module__ = module
        return obj

    return decorator


def getenv(name: str):
    """Return the environment variable ``name``, or None."""
    return os.environ.get(name)


def setenv(name: str, value) -> None:
    """Set the environment variable ``name`` to ``value`` (None removes it)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


def get_gpu_count() -> int:
    """Return the number of GPUs neomx can use (CuPy devices)."""
    from ..context import num_gpus

    return num_gpus()


def _cupy_or_raise(what: str):
    from ..context import _cupy

    cp = _cupy()
    if cp is None:
        raise RuntimeError(f"{what}: no GPU is visible to neomx (CuPy missing or no device)")
    return cp


def get_gpu_memory(gpu_dev_id: int) -> tuple:
    """Return ``(free, total)`` bytes of memory on GPU ``gpu_dev_id``."""
    cp = _cupy_or_raise("get_gpu_memory")
    with cp.cuda.Device(gpu_dev_id):
        return tuple(cp.cuda.runtime.memGetInfo())


def get_cuda_compute_capability(ctx) -> int:
    """Return the compute capability of ``ctx``'s GPU as an int (``80`` for 8.0)."""
    if getattr(ctx, "device_type", None) != "gpu":
        raise ValueError(f"get_cuda_compute_capability: expected a GPU context, got {ctx}")
    cp = _cupy_or_raise("get_cuda_compute_capability")
    return int(cp.cuda.Device(ctx.device_id).compute_capability)


@functools.cache
def _np_ufunc_default_kwargs():
    return {"where": True, "casting": "same_kind", "order": "K", "dtype": None, "subok": True}
