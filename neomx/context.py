"""Devices: ``Context``, ``cpu``/``gpu``/``cpu_pinned``, scoping and the array module per device."""

from __future__ import annotations

import threading

import numpy as np

from .base import MXNetError, MXNetValueError

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "cpu_shared", "current_context", "num_gpus"]

_cupy_module = None
_cupy_checked = False


def _cupy():
    """Return the cupy module when it imports and sees a device, else None."""
    global _cupy_module, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy_module = cupy
        except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
            _cupy_module = None
    return _cupy_module


def num_gpus() -> int:
    """Return the number of GPUs that neomx can use (0 without CuPy or a device)."""
    cp = _cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


class Context:
    """A device: ``Context('cpu', 0)``, ``Context('gpu', 1)`` or a copy of another Context.

    Used in a ``with`` block it becomes the default device of the thread.

    >>> with Context('cpu', 1):
    ...     current_context()
    cpu(1)
    """

    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {name: code for code, name in devtype2str.items()}
    _local = threading.local()

    # _host: for pinned/shared host memory, the cpu context that computes on it (else None).
    __slots__ = ("device_typeid", "device_id", "_old_ctx", "_host")

    def __init__(self, device_type, device_id: int = 0):
        if isinstance(device_type, Context):
            self.device_typeid = device_type.device_typeid
            self.device_id = device_type.device_id
        else:
            if device_type not in self.devstr2type:
                raise MXNetValueError(
                    f"Context: unknown device type {device_type!r}; "
                    f"expected one of {sorted(self.devstr2type)}"
                )
            if not isinstance(device_id, (int, np.integer)) or device_id < 0:
                raise MXNetValueError(f"Context: device_id must be an int >= 0, got {device_id!r}")
            self.device_typeid = self.devstr2type[device_type]
            self.device_id = int(device_id)
        self._old_ctx = None
        self._host = Context("cpu", self.device_id) if self.device_typeid in (3, 5) else None

    @property
    def device_type(self) -> str:
        """The device type: ``cpu``, ``gpu``, ``cpu_pinned`` or ``cpu_shared``."""
        return self.devtype2str[self.device_typeid]

    @property
    def is_host(self) -> bool:
        """Whether arrays of this context live in host memory."""
        return self.device_typeid != 2

    @property
    def compute_ctx(self) -> Context:
        """The context an operation on arrays of this context runs on (pinned/shared -> cpu)."""
        return self._host or self

    @property
    def xp(self):
        """The array module that holds this context's arrays (numpy or cupy)."""
        if self.device_typeid != 2:
            return np
        cp = _cupy()
        if cp is None:
            raise MXNetError(
                f"{self}: no GPU is available (CuPy is not installed or sees no device); "
                "install neomx[gpu] on a machine with an NVIDIA GPU, or use mx.cpu()"
            )
        if self.device_id >= num_gpus():
            raise MXNetError(f"{self}: no such GPU; CuPy sees {num_gpus()} device(s)")
        return cp

    def __hash__(self) -> int:
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Context)
            and self.device_typeid == other.device_typeid
            and self.device_id == other.device_id
        )

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __str__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __repr__ = __str__

    def __enter__(self) -> Context:
        stack = _ctx_stack()
        stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _ctx_stack().pop()

    def empty_cache(self) -> None:
        """Release the idle buffers that the memory pool keeps for this context."""
        from .storage import pool_for

        pool_for(self).clear()

    @classmethod
    def default_ctx(cls) -> Context:
        return current_context()


def _ctx_stack() -> list:
    local = Context._local
    stack = getattr(local, "stack", None)
    if stack is None:
        stack = local.stack = []
    return stack


_CPU0 = Context("cpu", 0)


def current_context() -> Context:
    """Return the context of the innermost ``with ctx:`` block of this thread (default cpu(0))."""
    stack = getattr(Context._local, "stack", None)
    return stack[-1] if stack else _CPU0


def cpu(device_id: int = 0) -> Context:
    """Return the CPU context ``cpu(device_id)``; different ids are different devices."""
    return Context("cpu", device_id)


def gpu(device_id: int = 0) -> Context:
    """Return the GPU context ``gpu(device_id)`` (arrays on it need CuPy and a device)."""
    return Context("gpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    """Return the page-locked host context; its arrays mix freely with ``cpu`` arrays."""
    return Context("cpu_pinned", device_id)


def cpu_shared(device_id: int = 0) -> Context:
    """Return the shared-memory host context; its arrays mix freely with ``cpu`` arrays."""
    return Context("cpu_shared", device_id)


def common_context(op_name: str, contexts) -> Context:
    """Return the context an operation over arrays on ``contexts`` runs on, or raise.

    Pinned and shared host arrays join any ``cpu`` array; other contexts must be equal.
    """
    chosen = None
    for ctx in contexts:
        if chosen is None or chosen == ctx:
            chosen = ctx
            continue
        if chosen.device_typeid in (3, 5) and ctx.device_typeid == 1:
            chosen = ctx
        elif ctx.device_typeid in (3, 5) and chosen.device_typeid == 1:
            continue
        elif chosen.device_typeid in (3, 5) and ctx.device_typeid in (3, 5):
            continue
        else:
            raise MXNetValueError(
                f"{op_name}: inputs are on different devices, {chosen} and {ctx}; "
                "copy them to one device first with as_in_context() or copyto()"
            )
    return chosen.compute_ctx
