"""Cases of dot and batch_dot, with MXNet 1.9.1's rank rules written as numpy references."""

import math

import numpy as np

from .case import Case, ErrorCase, add, add_errors, floats, ints


def _dot(transpose_a=False, transpose_b=False):
    """MXNet's dot: lhs as a matrix (all but its last axis as rows; with transpose_a its first
    axis as rows, transposed), rhs likewise from the other side; kept axes stay in order."""

    def reference(lhs, rhs):
        if lhs.ndim == 1 and rhs.ndim == 1:
            return np.array([np.dot(lhs, rhs)], dtype=lhs.dtype)
        if transpose_a:
            a, kept = lhs.reshape(lhs.shape[0], math.prod(lhs.shape[1:])).T, lhs.shape[1:]
        else:
            a, kept = lhs.reshape(math.prod(lhs.shape[:-1]), lhs.shape[-1]), lhs.shape[:-1]
        if transpose_b:
            b, rest = rhs.reshape(math.prod(rhs.shape[:-1]), rhs.shape[-1]).T, rhs.shape[:-1]
        else:
            b, rest = rhs.reshape(rhs.shape[0], math.prod(rhs.shape[1:])), rhs.shape[1:]
        return (a @ b).reshape(kept + rest)

    return reference


def _params(transpose_a, transpose_b):
    params = {}
    if transpose_a:
        params["transpose_a"] = True
    if transpose_b:
        params["transpose_b"] = True
    return params


# (label, lhs shape, rhs shape, transpose_a, transpose_b)
_DOT_SHAPES = (
    ("2d", (2, 3), (3, 4), False, False),
    ("2d-transpose-a", (3, 2), (3, 4), True, False),
    ("2d-transpose-b", (2, 3), (4, 3), False, True),
    ("2d-transpose-both", (3, 2), (4, 3), True, True),
    ("vectors", (3,), (3,), False, False),
    ("vector-matrix", (3,), (3, 4), False, False),
    ("matrix-vector", (2, 3), (3,), False, False),
    ("vector-matrix-transpose-b", (4,), (5, 4), False, True),
    ("matrix-vector-transpose-a", (3, 2), (3,), True, False),
    ("3d-2d", (2, 3, 4), (4, 5), False, False),
    ("3d-3d", (2, 3, 4), (4, 2, 3), False, False),
    ("3d-transpose-a", (3, 2, 4), (3, 5), True, False),
    ("2d-3d-transpose-b", (2, 3), (4, 5, 3), False, True),
    ("3d-3d-transpose-both", (3, 2, 4), (5, 2, 3), True, True),
    ("one-element", (1, 1), (1, 1), False, False),
)
for _label, _lhs, _rhs, _ta, _tb in _DOT_SHAPES:
    add("dot", Case(floats(_lhs, _rhs), _params(_ta, _tb), _dot(_ta, _tb), label=_label))
add(
    "dot",
    Case(floats((2, 3), (3, 4), dtype="float64"), reference=_dot(), label="float64"),
    Case(floats((2, 3), (3, 4)), {"forward_stype": "default"}, _dot(), label="forward-stype"),
    # MXNet 1.x refuses zero-size arrays; neomx multiplies them as numpy does.
    Case(floats((0, 3), (3, 4)), reference=_dot(), label="zero-rows", golden=False),
    Case(floats((2, 0), (0, 4)), reference=_dot(), label="zero-contracted", golden=False),
    # MXNet refuses integer products (golden records its error; neomx raises too).
    Case(ints((2, 3), (3, 2)), label="int32-refused", grad=False),
)
add_errors(
    "dot",
    ErrorCase(floats((2, 3), (4, 3)), match=r"dot.*\(2, 3\).*\(4, 3\)"),
    ErrorCase(floats((2, 3, 4), (3, 4, 5)), match=r"dot.*\(2, 3, 4\).*\(3, 4, 5\)"),
    ErrorCase(floats((3,), (4,)), match=r"dot.*\(3,\).*\(4,\)"),
    ErrorCase(floats((3,), (3,)), {"transpose_a": True}, match=r"dot.*transpose vectors"),
    ErrorCase(ints((2, 3), (3, 2)), match=r"dot.*floating.*int32"),
    ErrorCase(floats((2, 3), (3, 4)), {"forward_stype": "dense"}, match=r"dot.*forward_stype"),
)


def _batch_dot(transpose_a=False, transpose_b=False):
    def reference(lhs, rhs):
        a = np.swapaxes(lhs, -1, -2) if transpose_a else lhs
        b = np.swapaxes(rhs, -1, -2) if transpose_b else rhs
        return np.matmul(a, b)

    return reference


_BATCH_SHAPES = (
    ("3d", (2, 3, 4), (2, 4, 5), False, False),
    ("transpose-a", (2, 4, 3), (2, 4, 5), True, False),
    ("transpose-b", (2, 3, 4), (2, 5, 4), False, True),
    ("transpose-both", (2, 4, 3), (2, 5, 4), True, True),
    ("4d", (2, 3, 2, 4), (2, 3, 4, 2), False, False),
    ("one-element", (1, 1, 1), (1, 1, 1), False, False),
)
for _label, _lhs, _rhs, _ta, _tb in _BATCH_SHAPES:
    add(
        "batch_dot", Case(floats(_lhs, _rhs), _params(_ta, _tb), _batch_dot(_ta, _tb), label=_label)
    )
add(
    "batch_dot",
    Case(floats((2, 3, 4), (2, 4, 5), dtype="float64"), reference=_batch_dot(), label="float64"),
    Case(floats((0, 3, 4), (0, 4, 5)), reference=_batch_dot(), label="zero-size", golden=False),
    Case(ints((2, 2, 3), (2, 3, 2)), label="int32-refused", grad=False),
)
add_errors(
    "batch_dot",
    ErrorCase(floats((3, 4), (4, 5)), match=r"batch_dot.*\(3, 4\).*\(4, 5\)"),
    ErrorCase(floats((2, 3, 4), (3, 4, 5)), match=r"batch_dot.*\(2, 3, 4\).*\(3, 4, 5\)"),
    ErrorCase(floats((2, 3, 4), (2, 5, 4)), match=r"batch_dot.*sizes 4 and 5"),
    ErrorCase(floats((2, 3, 4), (2, 4)), match=r"batch_dot.*\(2, 3, 4\).*\(2, 4\)"),
    ErrorCase(ints((2, 2, 3), (2, 3, 2)), match=r"batch_dot.*floating.*int32"),
)

# Over 512 input elements: the numeric gradient is checked along one random direction.
add("dot", Case(floats((24, 30), (30, 20)), reference=_dot(), label="large"))
