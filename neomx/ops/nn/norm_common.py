"""Helpers shared by the normalization operators (batch_norm.py, layer_norm.py, normalize.py).

The kernels view their data as three axes ``(outer, K, inner)`` and reduce over one or two of
them with ``einsum``, which multiplies and sums in one pass without a temporary. Large
temporaries come from the host storage pool (``storage.scratch``): fresh pages cost more than the
arithmetic on them (see DESIGN.md, "Memory").
"""

from __future__ import annotations

import numpy as np

from ...base import MXNetTypeError, MXNetValueError
from ..infer import shape_str, unify

__all__ = [
    "check_float",
    "check_param_shape",
    "compute_dtype",
    "size_of",
    "three_axes",
    "channel_sum",
    "result_buffer",
    "finish",
    "small_result",
]


def check_float(op_name: str, dtype) -> np.dtype:
    """``dtype`` if it is floating; else raise naming the operator."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise MXNetTypeError(
            f"{op_name}: data has dtype {dtype}; it must be float16, float32 or float64"
        )
    return dtype


def check_param_shape(op_name: str, name: str, given, expected, data, why: str):
    """``given`` merged with ``expected`` (a per-channel shape); raise naming the operator, the
    input, both shapes, the data shape and ``why`` (where ``expected`` comes from)."""
    try:
        return unify(op_name, name, given, tuple(expected))
    except MXNetValueError:
        raise MXNetValueError(
            f"{op_name}: {name} has shape {shape_str(given)}; expected {shape_str(expected)} "
            f"from data {shape_str(data)} ({why})"
        ) from None


def compute_dtype(dtype) -> np.dtype:
    """float16 is computed in float32 and rounded once, as MXNet accumulates it."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def size_of(shape) -> int:
    # Explicit sizes, not -1: reshape cannot infer a dimension of a zero-size array.
    return int(np.prod(shape, dtype=np.int64))


def three_axes(xp, data, axis: int, dtype, count: int = 1):
    """``data`` as a C-contiguous ``(outer, K, inner)`` array of ``dtype`` (a view when it
    can), where K joins the ``count`` axes from ``axis``."""
    shape = data.shape
    stop = axis + count
    values = xp.ascontiguousarray(data, dtype=dtype)
    return values.reshape(size_of(shape[:axis]), size_of(shape[axis:stop]), size_of(shape[stop:]))


def channel_sum(xp, a, b=None):
    """Per-channel sum over axes 0 and 2 of ``(outer, C, inner)`` arrays, of ``a * b`` when
    ``b`` is given, as float64.

    Rows are summed first when they are long (``inner > 1``), which keeps float32
    accumulation short.
    """
    operands = (a,) if b is None else (a, b)
    spec = ",".join(["ncp"] * len(operands))
    if a.shape[2] > 1:
        rows = xp.einsum(spec + "->nc", *operands)
        return rows.sum(axis=0, dtype=np.float64)
    return xp.einsum(spec + "->c", *operands).astype(np.float64)


def result_buffer(xp, out, shape, dtype):
    """Where a kernel writes a result of ``shape``: a view of ``out`` when one can be written
    through, else a new array. Returns (array, whether it is ``out``)."""
    if out is not None and out.dtype == dtype and out.flags.c_contiguous:
        return out.reshape(shape), True
    return xp.empty(shape, dtype), False


def finish(xp, result, shape, dtype, out, in_out: bool):
    """``result`` as the operator's output of ``shape`` and ``dtype``, in ``out`` if given."""
    if in_out:
        return out
    if out is not None:
        xp.copyto(out, result.reshape(shape), casting="unsafe")
        return out
    return result.reshape(shape).astype(dtype, copy=False)


def small_result(xp, values, dtype, out):
    """A per-channel result in ``dtype``, written into ``out`` when given."""
    if out is None:
        return values.astype(dtype)
    xp.copyto(out, values, casting="unsafe")
    return out
