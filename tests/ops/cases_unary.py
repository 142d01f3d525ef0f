"""Cases of the unary operators: negative, abs, sign, floor, exp, log, _copy, Cast, clip."""

import numpy as np

from .case import Case, ErrorCase, add, add_errors, fixed, floats, fractional, nonzero

_INT = fixed([[-7, 0, 5], [3, -2, 9]], dtype="int32")
_POSITIVE_INT = fixed([[1, 2, 3], [20, 7, 100]], dtype="int32")

add(
    "negative",
    Case(floats((2, 3)), reference=np.negative, label="2d"),
    Case(floats((2, 3, 4)), reference=np.negative, label="3d"),
    Case(fixed([1.5]), reference=np.negative, label="one-element"),
    Case(_INT, reference=np.negative, label="int32", grad=False),
    Case(fixed([1, 2, 3], dtype="uint8"), label="uint8-wrapping", grad=False),
)
add(
    "abs",
    Case(nonzero((2, 3)), reference=np.abs, label="2d"),
    Case(nonzero((2, 3, 4)), reference=np.abs, label="3d"),
    Case(fixed([-1.5]), reference=np.abs, label="one-element"),
    Case(fixed([-128, 3], dtype="int8"), label="int8-min", grad=False),
)
add(
    "sign",
    Case(nonzero((2, 3)), reference=np.sign, label="2d"),
    Case(fixed([-2.0, 0.0, 3.0]), reference=np.sign, label="zero", grad=False),
    Case(_INT, reference=np.sign, label="int32", grad=False),
)
add(
    "floor",
    Case(fractional((2, 3)), reference=np.floor, label="2d"),
    Case(fractional((2, 3, 4)), reference=np.floor, label="3d"),
    Case(_INT, reference=np.floor, label="int32", grad=False),
)
add(
    "exp",
    Case(floats((2, 3)), reference=np.exp, label="2d"),
    Case(floats((3, 1, 2), low=-3, high=3), reference=np.exp, label="3d"),
    Case(fixed([0.5]), reference=np.exp, label="one-element"),
    Case(_POSITIVE_INT, label="int32", grad=False),
    Case(fixed([20, 30], dtype="int64"), label="int64", grad=False),
    Case(fixed([1.0, 5.0], dtype="float16"), label="float16", grad=False),
)
add(
    "log",
    Case(floats((2, 3), low=0.5, high=3.0), reference=np.log, label="2d"),
    Case(floats((2, 3, 4), low=0.1, high=10.0), reference=np.log, label="3d"),
    Case(fixed([2.5]), reference=np.log, label="one-element"),
    Case(_POSITIVE_INT, label="int32", grad=False),
    Case(fixed([2**40 + 1, 1000000007], dtype="int64"), label="int64", grad=False),
)
add(
    "_copy",
    Case(floats((2, 3)), reference=np.copy, label="2d"),
    Case(fixed([1.5]), reference=np.copy, label="one-element"),
    Case(fixed([[1, 2]], dtype="int64"), reference=np.copy, label="int64", grad=False),
)


def _cast(dtype):
    return lambda x: x.astype(dtype)


add(
    "Cast",
    Case(floats((2, 3)), {"dtype": "float64"}, _cast("float64"), label="to-float64"),
    Case(
        floats((2, 3), dtype="float64"),
        {"dtype": "float32"},
        _cast("float32"),
        label="to-float32",
        grad_tol=(1e-2, 1e-4, 1e-3),
    ),
    Case(floats((2, 3), low=-100, high=100), {"dtype": "int32"}, label="to-int32", grad=False),
    Case(fixed([1.7, -2.7, 300.0]), {"dtype": "uint8"}, label="to-uint8-wrapping", grad=False),
    Case(
        fixed([[1, -2]], dtype="int32"),
        {"dtype": "float16"},
        _cast("float16"),
        label="int-to-float16",
        grad=False,
    ),
)
add_errors("Cast", ErrorCase(floats((2, 3)), {"dtype": "float8"}, match=r"Cast.*dtype"))


def _clip_inputs(rng):
    """Values at least 0.1 away from the bounds -0.5 and 0.5."""
    values = rng.uniform(0.1, 0.9, size=(2, 3, 2)) * rng.choice([-1.0, 1.0], size=(2, 3, 2))
    return [np.where(np.abs(np.abs(values) - 0.5) < 0.1, values * 1.5, values).astype("float32")]


add(
    "clip",
    Case(_clip_inputs, {"a_min": -0.5, "a_max": 0.5}, lambda x: np.clip(x, -0.5, 0.5), label="3d"),
    Case(
        floats((2, 3)),
        {"a_min": -2.0, "a_max": 2.0},
        lambda x: np.clip(x, -2.0, 2.0),
        label="inside",
    ),
    Case(fixed([1, 5, 9], dtype="int32"), {"a_min": 2.5, "a_max": 7.5}, label="int32", grad=False),
    Case(
        fixed([-5, 5], dtype="int32"),
        {"a_min": -2.5, "a_max": 2.5},
        label="int32-negative",
        grad=False,
    ),
    Case(fixed([-5.0, 5.0]), {"a_min": 3.0, "a_max": 2.0}, label="min-above-max", grad=False),
)
add_errors(
    "clip",
    ErrorCase(floats((2, 3)), {"a_min": "low", "a_max": 1.0}, match=r"clip.*a_min"),
)
