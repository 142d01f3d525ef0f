"""Array creation: ``array``, ``zeros``, ``ones``, ``full``, ``empty``, ``arange``, ``linspace``,
``eye`` and conversion from numpy / DLPack."""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError, dtype_np
from ..context import Context, current_context
from ..ops.invoke import invoke_nd
from ..ops.registry import REGISTRY
from ..storage import alloc
from .ndarray import NDArray

__all__ = [
    "array",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "from_numpy",
    "from_dlpack",
    "to_dlpack_for_read",
    "to_dlpack_for_write",
]


def _create(op_name, **kwargs):
    op = REGISTRY[op_name]
    given = {k: v for k, v in kwargs.items() if v is not None}
    return invoke_nd(op, (), op.params.parse(op.name, given))


def _shape(shape):
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def _dtype_name(dtype, default="float32"):
    return default if dtype is None else dtype_np(dtype).name


def array(source_array, ctx: Context | None = None, dtype=None) -> NDArray:
    """Create an NDArray from any array-like; the dtype defaults to float32 (as MXNet).

    An NDArray or numpy array keeps its own dtype unless ``dtype`` is given.

    >>> mx.nd.array([1, 2, 3]).dtype
    <class 'numpy.float32'>
    """
    ctx = ctx if ctx is not None else current_context()
    if isinstance(source_array, NDArray):
        if dtype is None:
            dtype = source_array.dtype
        source_array = source_array.asnumpy()
    if dtype is None:
        dtype = source_array.dtype if isinstance(source_array, np.ndarray) else "float32"
    target = dtype_np(dtype, where="array")
    try:
        host = np.asarray(source_array, dtype=target)
    except (TypeError, ValueError) as err:
        raise MXNetValueError(f"array: cannot convert {type(source_array).__name__}: {err}") from err
    return _from_host(host, ctx)


def _from_host(host: np.ndarray, ctx: Context) -> NDArray:
    xp = ctx.xp
    if xp is not np:
        return NDArray._wrap(xp.asarray(host), ctx)
    data, chunk = alloc(ctx, host.shape, host.dtype)
    np.copyto(data, host)
    return NDArray._wrap(data, ctx, chunk)


def empty(shape, ctx: Context | None = None, dtype=None) -> NDArray:
    """Return an uninitialised array."""
    ctx = ctx if ctx is not None else current_context()
    data, chunk = alloc(ctx, _shape(shape), dtype_np(dtype, where="empty"))
    return NDArray._wrap(data, ctx, chunk)


def zeros(shape, ctx=None, dtype=None, stype=None, **kwargs) -> NDArray:
    """Return an array of zeros (float32 unless ``dtype`` is given)."""
    _dense_only("zeros", stype)
    return _create("_zeros", shape=_shape(shape), ctx=ctx, dtype=_dtype_name(dtype), **kwargs)


def ones(shape, ctx=None, dtype=None, **kwargs) -> NDArray:
    """Return an array of ones (float32 unless ``dtype`` is given)."""
    return _create("_ones", shape=_shape(shape), ctx=ctx, dtype=_dtype_name(dtype), **kwargs)


def full(shape, val, ctx=None, dtype=np.float32, out=None) -> NDArray:
    """Return an array filled with ``val`` (or fill ``out`` with it)."""
    if out is not None:
        out[:] = val
        return out
    return _create("_full", shape=_shape(shape), value=val, ctx=ctx, dtype=_dtype_name(dtype))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None,
           dtype=np.float32) -> NDArray:
    """Return values from ``start`` to ``stop`` (exclusive) by ``step``, each ``repeat`` times."""
    return _create("_arange", start=start, stop=stop, step=step, repeat=repeat,
                   infer_range=infer_range, ctx=ctx, dtype=_dtype_name(dtype))


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=np.float32) -> NDArray:
    """Return ``num`` evenly spaced values over [start, stop]."""
    return _create("_linspace", start=start, stop=stop, num=num, endpoint=endpoint, ctx=ctx,
                   dtype=_dtype_name(dtype))


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs) -> NDArray:
    """Return a 2-D array with ones on the k-th diagonal."""
    return _create("_eye", N=N, M=M, k=k, ctx=ctx, dtype=_dtype_name(dtype), **kwargs)


def _dense_only(where, stype):
    if stype not in (None, "default"):
        raise MXNetTypeError(f"{where}: stype {stype!r} is not supported yet; use 'default'")


def from_numpy(ndarray: np.ndarray, zero_copy: bool = True) -> NDArray:
    """Return an NDArray on cpu(0) that shares memory with a C-contiguous numpy array."""
    if not isinstance(ndarray, np.ndarray):
        raise MXNetTypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    dtype_np(ndarray.dtype, where="from_numpy")
    if not zero_copy or not ndarray.flags.c_contiguous:
        if zero_copy:
            raise MXNetValueError("from_numpy: zero_copy needs a C-contiguous array")
        return array(ndarray, dtype=ndarray.dtype)
    return NDArray._wrap(ndarray, Context("cpu", 0))


class _Capsule:
    """Give a bare DLPack capsule the protocol methods that ``numpy.from_dlpack`` expects."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(dlpack) -> NDArray:
    """Return an NDArray sharing memory with a DLPack capsule or a ``__dlpack__`` object."""
    source = dlpack if hasattr(dlpack, "__dlpack__") else _Capsule(dlpack)
    device_type, device_id = source.__dlpack_device__()
    if device_type == 2:
        cp = Context("gpu", device_id).xp
        return NDArray._wrap(cp.from_dlpack(source), Context("gpu", device_id))
    try:
        data = np.from_dlpack(source)
    except (TypeError, BufferError, RuntimeError) as err:
        raise MXNetValueError(f"from_dlpack: cannot import the tensor: {err}") from err
    dtype_np(data.dtype, where="from_dlpack")
    return NDArray._wrap(data, Context("cpu", 0))


def to_dlpack_for_read(data: NDArray):
    """Return a DLPack capsule of ``data`` for reading."""
    return data.to_dlpack_for_read()


def to_dlpack_for_write(data: NDArray):
    """Return a DLPack capsule of ``data`` for writing."""
    return data.to_dlpack_for_write()
