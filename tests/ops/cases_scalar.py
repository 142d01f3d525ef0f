"""Cases of the array-scalar operators (_plus_scalar, _rdiv_scalar, _greater_scalar, ...)."""

import numpy as np

from .case import Case, ErrorCase, add, add_errors, fixed, floats, fractional, nonzero


def _around(value, shape):
    """Values at least 0.5 away from ``value`` (no ties with the scalar)."""
    return lambda rng: [(value + nonzero(shape)(rng)[0]).astype("float32")]


def _mod(lhs, rhs):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(rhs) == 0, 0, np.mod(lhs, rhs)).astype(np.result_type(lhs, rhs))


def _scalar(kernel, s, reflected=False):
    """A numpy reference applying ``kernel`` with the scalar in the input's dtype."""

    def reference(x):
        value = x.dtype.type(s)
        return (kernel(value, x) if reflected else kernel(x, value)).astype(x.dtype)

    return reference


def _compare(ufunc, s):
    return lambda x: ufunc(x, x.dtype.type(s)).astype(x.dtype)


# rmod: 2.5 / x stays away from integers for these x.
_RMOD_X = [[0.7, 1.1, -0.9], [1.3, -1.7, 2.1]]
_INT_X = [[-7, 7, 5], [0, 3, -2]]


def _make_3d(op):
    if "power" in op or "rdiv" in op:
        return floats((2, 3, 4), low=0.5, high=2.0)
    if "maximum" in op or "minimum" in op:
        return _around(0.5, (2, 3, 4))
    return floats((2, 3, 4))


_SCALAR_CASES = {
    "_plus_scalar": (np.add, False, floats((2, 3)), 2.5),
    "_minus_scalar": (np.subtract, False, floats((2, 3)), 2.5),
    "_rminus_scalar": (np.subtract, True, floats((2, 3)), 2.5),
    "_mul_scalar": (np.multiply, False, floats((2, 3)), -1.5),
    "_div_scalar": (np.divide, False, floats((2, 3)), -1.5),
    "_rdiv_scalar": (np.divide, True, nonzero((2, 3)), 2.5),
    "_mod_scalar": (_mod, False, fractional((2, 3)), 1.0),
    "_rmod_scalar": (_mod, True, fixed(_RMOD_X), 2.5),
    "_power_scalar": (np.power, False, floats((2, 3), low=0.5, high=2.0), 2.5),
    "_rpower_scalar": (np.power, True, floats((2, 3)), 2.0),
    "_maximum_scalar": (np.maximum, False, _around(0.25, (2, 3)), 0.25),
    "_minimum_scalar": (np.minimum, False, _around(0.25, (2, 3)), 0.25),
}
# The integer-semantics inputs of each operator: the scalar is cast to int first.
_INT_SCALARS = {
    "_plus_scalar": [2.7],
    "_minus_scalar": [2.7],
    "_rminus_scalar": [2.0],
    "_mul_scalar": [2.7],
    "_div_scalar": [2.7, -2.0],
    "_rdiv_scalar": [7.5],
    "_mod_scalar": [3.0, -3.0],
    "_rmod_scalar": [7.9],
    "_power_scalar": [2.5, -1.0],
    "_rpower_scalar": [2.9],
    "_maximum_scalar": [-0.5],
    "_minimum_scalar": [2.9],
}

for _op, (_kernel, _reflected, _make, _s) in _SCALAR_CASES.items():
    _int_x = [[3, -2, 1], [5, 7, -4]] if _op in ("_rdiv_scalar", "_rmod_scalar") else _INT_X
    add(
        _op,
        Case(_make, {"scalar": _s}, _scalar(_kernel, _s, _reflected), label="2d"),
        # mod jumps at multiples of the divisor, inside [-1, 1]: forward only.
        Case(
            _make_3d(_op),
            {"scalar": 0.5},
            _scalar(_kernel, 0.5, _reflected),
            label="3d",
            grad="mod" not in _op,
        ),
        Case(fixed([1.3]), {"scalar": _s}, _scalar(_kernel, _s, _reflected), label="one-element"),
        *(
            Case(fixed(_int_x, dtype="int32"), {"scalar": s}, label=f"int32-scalar{s}", grad=False)
            for s in _INT_SCALARS[_op]
        ),
        Case(fixed([[1.5, -2.25]], dtype="float16"), {"scalar": _s}, label="float16", grad=False),
    )
    add_errors(_op, ErrorCase(floats((2, 3)), {"scalar": "abc"}, match=rf"{_op}.*scalar"))

add(
    "_mod_scalar",
    Case(
        fixed([-7.5, 7.5, 5.0]),
        {"scalar": 0.0},
        _scalar(_mod, 0.0),
        label="zero-divisor",
        grad=False,
    ),
    Case(
        fixed([5.5, -5.5]),
        {"scalar": -2.0},
        _scalar(_mod, -2.0),
        label="negative-divisor",
        grad=False,
    ),
)
add(
    "_rmod_scalar",
    Case(
        fixed([3.0, -2.0, 0.0]),
        {"scalar": 7.5},
        _scalar(_mod, 7.5, True),
        label="zero-divisor",
        grad=False,
    ),
)
add(
    "_mul_scalar",
    Case(fixed([100, -7], dtype="int8"), {"scalar": 300.0}, label="int8-wrapping", grad=False),
    Case(fixed([2**53 + 1], dtype="int64"), {"scalar": 1.0}, label="int64-exact", grad=False),
)
add(
    "_div_scalar",
    Case(fixed([2**53 + 1, -7], dtype="int64"), {"scalar": 1.0}, label="int64-exact", grad=False),
    Case(fixed([200, 7], dtype="uint8"), {"scalar": 3.0}, label="uint8", grad=False),
)
add(
    "_rminus_scalar",
    Case(fixed([1, 7], dtype="uint8"), {"scalar": 2.0}, label="uint8-wrapping", grad=False),
)

_COMPARE = {
    "_equal_scalar": np.equal,
    "_not_equal_scalar": np.not_equal,
    "_greater_scalar": np.greater,
    "_greater_equal_scalar": np.greater_equal,
    "_lesser_scalar": np.less,
    "_lesser_equal_scalar": np.less_equal,
}
for _op, _ufunc in _COMPARE.items():
    add(
        _op,
        Case(_around(0.25, (2, 3)), {"scalar": 0.25}, _compare(_ufunc, 0.25), label="no-ties"),
        Case(
            fixed([[1.0, 2.0, 3.0]]),
            {"scalar": 2.0},
            _compare(_ufunc, 2.0),
            label="ties",
            grad=False,
        ),
        Case(fixed([-1, 0, 5], dtype="int32"), {"scalar": -0.5}, label="int32", grad=False),
        Case(
            fixed([0, 5], dtype="uint8"),
            {"scalar": -1.0},
            label="uint8-negative-scalar",
            grad=False,
        ),
    )
    add_errors(_op, ErrorCase(floats((2, 3)), {"scalar": [1, 2]}, match=rf"{_op}.*scalar"))
