"""Small kernel helpers shared by operator definitions."""

from __future__ import annotations

import numpy as np

__all__ = ["into", "into_outputs", "cast_scalar", "along_rows"]


def into(xp, value, out):
    """Return ``value`` as a fresh result, or write it into ``out`` when one is given.

    A view of an input is copied: an operator's output never aliases its inputs.
    """
    if out is None:
        return value if value.base is None else value.copy()
    xp.copyto(out, value, casting="unsafe")
    return out


def into_outputs(xp, values, out):
    """``into`` for an operator's outputs: one result, or a tuple of several, as the call path
    passes ``out`` (a lone buffer, a tuple of buffers, or None)."""
    buffers = (None,) * len(values) if out is None else (out,) if len(values) == 1 else out
    results = tuple(into(xp, value, buffer) for value, buffer in zip(values, buffers))
    return results[0] if len(results) == 1 else results


def cast_scalar(dtype, value):
    """``value`` as a scalar of ``dtype``, converted as MXNet's C++ casts do: integers
    truncate toward zero and wrap around; floats overflow to infinity."""
    if getattr(dtype, "kind", None) == "f" and -65504.0 <= value <= 65504.0:
        # The hot path (float data, moderate scalar): no dtype can overflow here.
        return dtype.type(value)
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype.kind in "iu":
            return np.array(value, dtype=np.float64).astype(np.int64).astype(dtype)[()]
        return dtype.type(value)


# NumPy runs a ufunc whose operand broadcasts along the last axis (a (rows, 1) column) through
# its buffered iterator when rows are shorter than its buffer (8192 elements): about twice the
# time of an elementwise pass. With a buffer no longer than a row it loops row by row instead,
# at the speed of an array-by-scalar pass plus a small cost per row, which wins for rows of
# 256 elements or more (measured, NumPy 2.4: multiplying a (256, 1000) float32 array by a
# (256, 1) column in place takes 16 us instead of 37).
_ROW_LOOP_MIN = 256
_ROW_LOOP_BUFFER = 16


def along_rows(xp, ufunc, array, column, out):
    """Return ``ufunc(array, column, out=out)`` for ``column`` holding one value per row (a last
    axis of 1) broadcast along the rows of ``array``; on NumPy, C-contiguous and of one dtype,
    with a row loop instead of the slow buffered broadcast."""
    if (
        xp is not np
        or array.shape[-1] < _ROW_LOOP_MIN
        or not array.flags.c_contiguous
        or column.dtype != array.dtype
        or (out is not None and (out.dtype != array.dtype or not out.flags.c_contiguous))
    ):
        return ufunc(array, column, out=out)
    previous = np.setbufsize(_ROW_LOOP_BUFFER)
    try:
        return ufunc(array, column, out=out)
    finally:
        np.setbufsize(previous)
