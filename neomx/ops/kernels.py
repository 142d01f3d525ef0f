"""Small kernel helpers shared by operator definitions."""

from __future__ import annotations

import numpy as np

__all__ = ["into", "cast_scalar"]


def into(xp, value, out):
    """Return ``value`` as a fresh result, or write it into ``out`` when one is given.

    A view of an input is copied: an operator's output never aliases its inputs.
    """
    if out is None:
        return value if value.base is None else value.copy()
    xp.copyto(out, value, casting="unsafe")
    return out


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
