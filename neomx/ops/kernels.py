"""Small kernel helpers shared by operator definitions."""

from __future__ import annotations

import numpy as np

__all__ = ["into", "into_outputs", "cast_scalar"]


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
