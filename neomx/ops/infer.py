"""Shape and dtype inference helpers. A shape is a tuple of ints; None is unknown.

In graph inference a 0 dimension is unknown too (MXNet 1.x). Arrays that exist are fully
known, zero-size ones included: imperative calls infer inside ``concrete_shapes()``, where
0 is a real size.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from ..base import MXNetTypeError, MXNetValueError

__all__ = [
    "is_known",
    "concrete_shapes",
    "unify",
    "unify_dtype",
    "broadcast_shape",
    "shape_str",
    "normalize_axis",
]


class _Mode(threading.local):
    concrete = False


_mode = _Mode()


@contextmanager
def concrete_shapes():
    """Infer for arrays that exist: a 0 dimension is a real zero size, not 'unknown'."""
    previous, _mode.concrete = _mode.concrete, True
    try:
        yield
    finally:
        _mode.concrete = previous


def is_known(shape) -> bool:
    """Whether a shape is fully known (in graph inference, MXNet 1.x: no dimension is 0)."""
    return shape is not None and (_mode.concrete or 0 not in shape)


def shape_str(shape) -> str:
    return "None" if shape is None else str(tuple(shape))


def unify(op_name: str, what: str, given, expected):
    """Merge two partial shapes, filling unknown (0) dimensions; raise when they disagree."""
    if given is None:
        return expected
    if expected is None:
        return given
    if len(given) != len(expected):
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(given)}; expected {shape_str(expected)}"
        )
    merged = []
    concrete = _mode.concrete
    for have, want in zip(given, expected):
        if have == want or (have == 0 and not concrete):
            merged.append(want)
        elif want == 0 and not concrete:
            merged.append(have)
        else:
            raise MXNetValueError(
                f"{op_name}: {what} has shape {shape_str(given)}; expected {shape_str(expected)}"
            )
    return tuple(merged)


def unify_dtype(op_name: str, names, dtypes):
    """Return the one dtype shared by all known ``dtypes``; raise naming the mismatching input."""
    found = None
    found_name = None
    for name, dtype in zip(names, dtypes):
        if dtype is None:
            continue
        if found is None:
            found, found_name = dtype, name
        elif dtype != found:
            raise MXNetTypeError(
                f"{op_name}: {name} has dtype {dtype}, but {found_name} has dtype {found}; "
                f"cast one of them with astype()"
            )
    return found


def broadcast_shape(op_name: str, lhs, rhs):
    """Return the broadcast of two shapes as MXNet's broadcast_* operators do, or raise."""
    if lhs == rhs:
        return lhs
    ndim = max(len(lhs), len(rhs))
    left = (1,) * (ndim - len(lhs)) + tuple(lhs)
    right = (1,) * (ndim - len(rhs)) + tuple(rhs)
    out = []
    for axis, (a, b) in enumerate(zip(left, right)):
        if a == b or b == 1:
            out.append(a)
        elif a == 1:
            out.append(b)
        else:
            raise MXNetValueError(
                f"{op_name}: shapes {shape_str(lhs)} and {shape_str(rhs)} do not broadcast "
                f"(axis {axis}: {a} vs {b})"
            )
    return tuple(out)


def normalize_axis(op_name: str, axis: int, ndim: int, what: str = "axis") -> int:
    """Map a possibly negative axis into [0, ndim), or raise naming the operator."""
    if not -ndim <= axis < ndim:
        raise MXNetValueError(
            f"{op_name}: {what}={axis} is out of range for an array of {ndim} dimension(s)"
        )
    return axis % ndim
