"""Array creation: ``array``, ``zeros``, ``ones``, ``full``, ``empty``, ``arange``, ``linspace``,
``eye`` and conversion from numpy / DLPack."""

from __future__ import annotations

import ctypes

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
    # MXNet's generated functions take (and ignore for NDArrays) a node name and __attr__
    # attributes, which begin_state passes.
    given = {
        k: v
        for k, v in kwargs.items()
        if v is not None and k != "name" and not (k.startswith("__") and k.endswith("__"))
    }
    return invoke_nd(op, (), op.params.parse(op.name, given))


def _shape(shape):
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def _dtype_name(dtype, default="float32"):
    return default if dtype is None else dtype_np(dtype).name


def array(source_array, ctx: Context | None = None, dtype=None) -> NDArray:
    """Create an NDArray from any array-like; the dtype defaults to float32 (as MXNet).

    Only an NDArray source keeps its own dtype: MXNet 1.9.1 makes float32 arrays from numpy
    arrays of any dtype unless ``dtype`` is given. Values convert as C casts do (2.7 -> 2).

    >>> mx.nd.array(np.array([1, 2], dtype='int64')).dtype
    <class 'numpy.float32'>
    """
    ctx = ctx if ctx is not None else current_context()
    if isinstance(source_array, NDArray):
        if dtype is None:
            dtype = source_array.dtype
        source_array = source_array.asnumpy()
    target = dtype_np("float32" if dtype is None else dtype, where="array")
    try:
        host = np.asarray(source_array)
    except (TypeError, ValueError) as err:
        raise MXNetValueError(
            f"array: cannot convert {type(source_array).__name__}: {err}"
        ) from err
    if host.dtype.kind not in "biuf":
        raise MXNetTypeError(
            f"array: source_array must hold numbers, got {type(source_array).__name__} of "
            f"dtype {host.dtype}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        host = host.astype(target, copy=False)
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
    """Return an NDArray on cpu(0) made from a numpy array.

    With ``zero_copy`` (the default) it shares the memory of the C-contiguous ``ndarray``,
    which becomes read-only, as in MXNet: write through the NDArray instead. Otherwise the
    data is copied and keeps its dtype.

    >>> source = np.ones(3, dtype='float32')
    >>> mx.nd.from_numpy(source).dtype, source.flags.writeable
    (<class 'numpy.float32'>, False)
    """
    if not isinstance(ndarray, np.ndarray):
        raise MXNetTypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    dtype_np(ndarray.dtype, where="from_numpy")
    if not zero_copy:
        return array(ndarray, ctx=Context("cpu", 0), dtype=ndarray.dtype)
    if not ndarray.flags.c_contiguous:
        raise MXNetValueError(
            "from_numpy: zero_copy needs a C-contiguous array; pass zero_copy=False to copy"
        )
    # The NDArray keeps a writable view; the caller's array is frozen as MXNet freezes it.
    data = ndarray.view()
    ndarray.flags.writeable = False
    return NDArray._wrap(data, Context("cpu", 0))


# DLPack device types (dlpack.h): kDLCPU, kDLCUDA, kDLCUDAHost.
_DL_CPU, _DL_CUDA, _DL_CUDA_HOST = 1, 2, 3


class _Capsule:
    """Give a bare DLPack capsule the protocol methods that ``from_dlpack`` functions expect."""

    def __init__(self, capsule):
        self.capsule = capsule
        self.device = _capsule_device(capsule)

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return self.device


# A private prototype: setting restype on ctypes.pythonapi's shared function would leak.
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi)
)


def _capsule_device(capsule):
    """``(device_type, device_id)`` read from the DLTensor inside an unused capsule."""
    try:
        address = _capsule_pointer(capsule, b"dltensor")
    except ValueError:
        raise MXNetValueError(
            "from_dlpack: the capsule is not an unused DLPack tensor (each capsule can be "
            "consumed only once)"
        ) from None
    # A DLTensor starts with ``void *data`` followed by ``DLDevice {int32 type, int32 id}``.
    device = (ctypes.c_int32 * 2).from_address(address + ctypes.sizeof(ctypes.c_void_p))
    return int(device[0]), int(device[1])


class _Memory:
    """The array interface of an imported buffer, writable, keeping the import alive."""

    def __init__(self, imported: np.ndarray):
        self.imported = imported
        interface = dict(imported.__array_interface__)
        interface["data"] = (interface["data"][0], False)
        self.__array_interface__ = interface


def _writable(imported: np.ndarray) -> np.ndarray:
    # NumPy marks arrays from unversioned capsules read-only (that DLPack version cannot say
    # whether writing is allowed); MXNet's capsules (to_dlpack_for_write) are meant for it.
    return imported if imported.flags.writeable else np.asarray(_Memory(imported))


def from_dlpack(dlpack) -> NDArray:
    """Return an NDArray sharing memory with a DLPack capsule or a ``__dlpack__`` object.

    >>> x = mx.nd.ones((2,))
    >>> mx.nd.from_dlpack(x.to_dlpack_for_write())[0] = 5
    >>> x.asnumpy()
    array([5., 1.], dtype=float32)
    """
    if hasattr(dlpack, "__dlpack__"):
        source = dlpack
    elif type(dlpack).__name__ == "PyCapsule":
        source = _Capsule(dlpack)
    else:
        raise MXNetTypeError(
            f"from_dlpack: expected a DLPack capsule or an object with __dlpack__, got "
            f"{type(dlpack).__name__}"
        )
    device_type, device_id = source.__dlpack_device__()
    if device_type not in (_DL_CPU, _DL_CUDA, _DL_CUDA_HOST):
        raise MXNetValueError(f"from_dlpack: unsupported DLPack device type {device_type}")
    ctx = Context("gpu", device_id) if device_type == _DL_CUDA else Context("cpu", 0)
    try:
        data = ctx.xp.from_dlpack(source)
    except (TypeError, BufferError, RuntimeError, ValueError) as err:
        raise MXNetValueError(f"from_dlpack: cannot import the tensor: {err}") from err
    if isinstance(source, _Capsule) and ctx.xp is np:
        data = _writable(data)
    dtype_np(data.dtype, where="from_dlpack")
    return NDArray._wrap(data, ctx)


def to_dlpack_for_read(data: NDArray):
    """Return a DLPack capsule of ``data`` for reading."""
    return data.to_dlpack_for_read()


def to_dlpack_for_write(data: NDArray):
    """Return a DLPack capsule of ``data`` for writing."""
    return data.to_dlpack_for_write()
