"""Cases of the elementwise math operators (neomx/ops/unary.py): rounding, roots, logarithms,
trigonometric and hyperbolic functions, activations, special functions, logical_not, BlockGrad,
make_loss and contrib's isnan/isinf/isfinite.

Each differentiable function gets float32 cases inside its domain (numeric gradients), a
float64 case, one-element and zero-size cases, and golden-only cases for what only MXNet can
answer: integer dtypes (computed in double and cast back), and edge values (0, +-1, halves,
+-inf, NaN). MXNet 1.x refuses zero-size arrays, so those cases have no golden file.
"""

import math
import statistics

import numpy as np

from .case import (
    GRADIENT_DEFINED,
    NEOMX_ONLY,
    Case,
    ErrorCase,
    add,
    add_errors,
    fixed,
    floats,
    fractional,
    nonzero,
)

_INT32 = fixed([-3, -1, 0, 1, 2, 5, 100, 2147395600], dtype="int32")
# Moderate results only: beyond 2**53, last-bit differences between NumPy's and the C
# library's exp/sinh/tgamma show through the integer cast (MXNet's gamma(13) is 479001599).
_INT64 = fixed([-(2**60) - 3, -1, 0, 1, 2, 5, 12, 2**60 + 1], dtype="int64")
_UINT8 = fixed([0, 1, 2, 5, 100, 200, 255], dtype="uint8")
_INT8 = fixed([-128, -3, -1, 0, 1, 5, 100, 127], dtype="int8")
_EDGE_VALUES = [-np.inf, -2.5, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.5, np.inf, np.nan]
_EDGES = fixed(_EDGE_VALUES, dtype="float32")
# MXNet's relu passes NaN into its gradient (neomx's gradient there is 0).
_EDGES_BUT_NAN = {"relu": fixed(_EDGE_VALUES[:-1], dtype="float32")}


def _between(low, high):
    return lambda *shapes, dtype="float32": floats(*shapes, low=low, high=high, dtype=dtype)


def _away_from_zero(*shapes, dtype="float32"):
    return nonzero(*shapes, dtype=dtype)


def _away_from_integers(*shapes, dtype="float32"):
    return fractional(*shapes, dtype=dtype)


def _away_from_halves(*shapes, dtype="float32"):
    """An integer plus a fraction in [0.1, 0.4) or [0.6, 0.9): away from where round and
    rint jump (halves) and from the integers."""

    def make(rng):
        arrays = []
        for shape in shapes:
            fraction = rng.uniform(0.1, 0.4, size=shape) + rng.choice([0.0, 0.5], size=shape)
            arrays.append((rng.integers(-3, 3, size=shape) + fraction).astype(dtype))
        return arrays

    return make


def _library(function):
    """A numpy reference from a scalar function of the standard library (in float64)."""

    def reference(x):
        return np.vectorize(function, otypes=[np.float64])(x.astype(np.float64)).astype(x.dtype)

    return reference


_NORMAL = statistics.NormalDist()


def _erfinv(y):
    """erfinv from the normal quantile: erfinv(y) = -Phi^-1((1 - |y|) / 2) / sqrt(2)."""
    if y == 0:
        return 0.0
    return math.copysign(-_NORMAL.inv_cdf((1.0 - abs(y)) / 2.0) / math.sqrt(2.0), y)


def _digamma(x):
    """psi(x) in double precision, independently of neomx's kernel: reflection below 0.5,
    the recurrence up to 10, then the asymptotic series (accurate near psi's roots too)."""
    if x < 0.5:
        return _digamma(1.0 - x) - math.pi / math.tan(math.pi * x)
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv = 1.0 / (x * x)
    tail = inv * (1 / 12 - inv * (1 / 120 - inv * (1 / 252 - inv * (1 / 240 - inv / 132))))
    return result + math.log(x) - 0.5 / x - tail


def _in_float64(function):
    return lambda x: function(x.astype(np.float64)).astype(x.dtype)


# name, input maker (shapes, dtype) inside the domain, numpy reference
_FUNCTIONS = (
    ("round", _away_from_halves, _in_float64(lambda x: np.trunc(x + np.copysign(0.5, x)))),
    # MXNet's rint sends halves down: ceil(x - 0.5).
    ("rint", _away_from_halves, _in_float64(lambda x: np.ceil(x - 0.5))),
    ("ceil", _away_from_integers, np.ceil),
    ("trunc", _away_from_integers, np.trunc),
    ("fix", _away_from_integers, np.trunc),
    ("sqrt", _between(0.5, 3.0), np.sqrt),
    ("rsqrt", _between(0.5, 3.0), lambda x: 1 / np.sqrt(x)),
    ("cbrt", _away_from_zero, np.cbrt),
    ("rcbrt", _away_from_zero, lambda x: 1 / np.cbrt(x)),
    ("square", _between(-2.0, 2.0), np.square),
    ("reciprocal", _away_from_zero, np.reciprocal),
    ("expm1", _between(-2.0, 2.0), np.expm1),
    ("log10", _between(0.5, 3.0), np.log10),
    ("log2", _between(0.5, 3.0), np.log2),
    ("log1p", _between(-0.5, 2.0), np.log1p),
    ("sin", _between(-3.0, 3.0), np.sin),
    ("cos", _between(-3.0, 3.0), np.cos),
    ("tan", _between(-1.2, 1.2), np.tan),
    ("arcsin", _between(-0.9, 0.9), np.arcsin),
    ("arccos", _between(-0.9, 0.9), np.arccos),
    ("arctan", _between(-3.0, 3.0), np.arctan),
    ("degrees", _between(-3.0, 3.0), np.degrees),
    ("radians", _between(-3.0, 3.0), np.radians),
    ("sinh", _between(-2.0, 2.0), np.sinh),
    ("cosh", _between(-2.0, 2.0), np.cosh),
    ("tanh", _between(-3.0, 3.0), np.tanh),
    ("arcsinh", _between(-3.0, 3.0), np.arcsinh),
    ("arccosh", _between(1.2, 4.0), np.arccosh),
    ("arctanh", _between(-0.9, 0.9), np.arctanh),
    ("sigmoid", _between(-5.0, 5.0), lambda x: 1 / (1 + np.exp(-x))),
    ("relu", _away_from_zero, lambda x: np.maximum(x, 0)),
    ("softsign", _between(-3.0, 3.0), lambda x: x / (1 + np.abs(x))),
    ("erf", _between(-3.0, 3.0), _library(math.erf)),
    ("erfinv", _between(-0.9, 0.9), _library(_erfinv)),
    ("gamma", _between(0.5, 4.0), _library(math.gamma)),
    ("gammaln", _between(0.5, 4.0), _library(math.lgamma)),
)
for _name, _make, _reference in _FUNCTIONS:
    add(
        _name,
        Case(_make((2, 3)), reference=_reference, label="2d"),
        Case(_make((2, 3, 2)), reference=_reference, label="3d"),
        Case(_make((1,)), reference=_reference, label="one-element"),
        Case(_make((2, 3), dtype="float64"), reference=_reference, label="float64"),
        Case(_make((0, 3)), reference=_reference, label="zero-size", golden=False),
        Case(_make((2, 3), dtype="float16"), label="float16", grad=False),
        Case(_EDGES_BUT_NAN.get(_name, _EDGES), label="edges", grad=False),
        Case(_INT32, label="int32", grad=False),
        Case(_INT64, label="int64", grad=False),
        Case(_UINT8, label="uint8", grad=False),
        Case(_INT8, label="int8", grad=False),
    )

# The operators defined with the first arithmetic ones (tests/ops/cases_unary.py has their
# basic cases): the integer types and edge values added here.
for _name in ("abs", "sign", "floor", "negative", "exp", "log"):
    add(
        _name,
        Case(_EDGES, label="edges", grad=False),
        Case(_INT64, label="int64-big", grad=False),
        Case(_UINT8, label="uint8-values", grad=False),
        Case(_INT8, label="int8-values", grad=False),
        Case(floats((0, 3), low=0.5, high=2.0), reference=getattr(np, _name), label="zero-size",
             golden=False),
    )

add(
    "gamma",
    Case(fractional((2, 3), low=-4, high=0, dtype="float64"), reference=_library(math.gamma),
         label="negative"),
    Case(fixed([-171.5, -180.5, 1e-30, 35.0, 36.0, 171.5, 172.0], dtype="float64"),
         label="extremes", grad=False),
)
add(
    "gammaln",
    Case(fractional((2, 3), low=-4, high=0, dtype="float64"), reference=_library(math.lgamma),
         label="negative"),
    Case(fixed([1e-30, 200.0, 1e6, 1.0, 2.0], dtype="float64"), label="extremes", grad=False),
)
add(
    "erfinv",
    # Not closer to +-1: there MXNet's erfinv is off by 1e-6 relative, which its gradient,
    # exp(erfinv(x)**2), magnifies beyond tolerance.
    Case(fixed([0.999999, -0.5, 1e-10, 1 - 1e-9, -1 + 1e-9], dtype="float64"),
         label="tails", grad=False),
)
add(
    "erf",
    Case(fixed([1e-10, 0.5, 0.99, 1.01, 2.9, 3.1, 5.9, 6.0, 8.0], dtype="float64"),
         label="pieces", grad=False),
)


def _hard_sigmoid_inputs(rng):
    """Values in [-4, 4] at least 0.1 away from the kinks at -2.5 and 2.5."""
    values = rng.uniform(-4.0, 4.0, size=(2, 3, 2))
    return [np.where(np.abs(np.abs(values) - 2.5) < 0.1, values * 0.8, values).astype("float32")]


def _hard_sigmoid(alpha, beta):
    return lambda x: np.clip(np.float32(alpha) * x + np.float32(beta), 0, 1).astype(x.dtype)


add(
    "hard_sigmoid",
    Case(_hard_sigmoid_inputs, reference=_hard_sigmoid(0.2, 0.5), label="3d"),
    Case(floats((2, 3), low=-1.0, high=1.0), {"alpha": 0.3, "beta": 0.4},
         _hard_sigmoid(0.3, 0.4), label="params"),
    Case(floats((2, 3), low=-1.0, high=1.0, dtype="float64"), reference=_hard_sigmoid(0.2, 0.5),
         label="float64"),
    Case(fixed([0.5]), reference=_hard_sigmoid(0.2, 0.5), label="one-element"),
    Case(floats((0, 2)), reference=_hard_sigmoid(0.2, 0.5), label="zero-size", golden=False),
    Case(_EDGES, label="edges", grad=False),
    Case(fixed([1, 2], dtype="int32"), label="int32-refused", grad=False),
)
add_errors(
    "hard_sigmoid",
    ErrorCase(fixed([1, 2], dtype="int32"), match=r"hard_sigmoid.*floating.*int32"),
    ErrorCase(floats((2, 3)), {"alpha": "steep"}, match=r"hard_sigmoid.*alpha"),
)


def _with_zeros(rng):
    values = rng.uniform(-2.0, 2.0, size=(3, 4))
    return [np.where(rng.random((3, 4)) < 0.5, 0.0, values).astype("float32")]


def _indicator(test):
    return lambda x: test(x).astype(x.dtype)


add(
    "logical_not",
    Case(_with_zeros, reference=_indicator(np.logical_not), label="2d"),
    Case(fixed([0.0, -0.0, np.nan, np.inf, 0.5]), reference=_indicator(np.logical_not),
         label="edges", grad=False),
    Case(floats((0, 2)), reference=_indicator(np.logical_not), label="zero-size", golden=False),
    Case(_INT32, reference=_indicator(np.logical_not), label="int32", grad=False),
    Case(_UINT8, reference=_indicator(np.logical_not), label="uint8", grad=False),
)

# BlockGrad and make_loss define their gradients (zero; ones whatever the head gradient) rather
# than derive them, so no numeric gradient can match; tests/ops/test_second_order.py checks
# them through autograd, and the goldens record MXNet's.
GRADIENT_DEFINED.update({"BlockGrad", "make_loss"})
for _name in ("BlockGrad", "make_loss"):
    add(
        _name,
        Case(floats((2, 3)), reference=np.copy, label="2d", grad=False),
        Case(fixed([1.5]), reference=np.copy, label="one-element", grad=False),
        Case(floats((0, 3)), reference=np.copy, label="zero-size", grad=False, golden=False),
        Case(_INT64, reference=np.copy, label="int64", grad=False),
    )

# MXNet 1.9.1's mx.nd.contrib.isnan/isinf/isfinite are Python functions, not operators that
# tools/make_golden.py can call, so these have no golden files.
_SPECIAL_VALUES = fixed([[np.nan, np.inf, -np.inf], [0.0, -1.5, 3.0]])
for _name, _test in (("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite)):
    NEOMX_ONLY.add(f"_contrib_{_name}")
    add(
        f"_contrib_{_name}",
        Case(_SPECIAL_VALUES, reference=_indicator(_test), label="special-values", grad=False),
        Case(floats((2, 3)), reference=_indicator(_test), label="2d"),
        Case(fixed([np.nan], dtype="float16"), reference=_indicator(_test), label="float16",
             grad=False),
        Case(_INT32, reference=_indicator(_test), label="int32", grad=False),
        Case(floats((0, 2)), reference=_indicator(_test), label="zero-size"),
    )


def _gradient_of(derivative):
    """Reference of ``_backward_*``: lhs (the head gradient) times ``derivative(rhs)``."""

    def reference(lhs, rhs):
        values = np.vectorize(derivative, otypes=[np.float64])(rhs.astype(np.float64))
        return (lhs * values).astype(lhs.dtype)

    return reference


_BACKWARD = (
    ("_backward_gamma", lambda x: math.gamma(x) * _digamma(x)),
    ("_backward_gammaln", _digamma),
)
for _name, _derivative in _BACKWARD:
    add(
        _name,
        Case(floats((2, 3), (2, 3), low=0.5, high=4.0), reference=_gradient_of(_derivative),
             label="2d"),
        Case(fractional((2, 3), (2, 3), low=-3, high=0, dtype="float64"),
             reference=_gradient_of(_derivative), label="negative"),
        Case(floats((0, 3), (0, 3), low=0.5, high=4.0), reference=_gradient_of(_derivative),
             label="zero-size", golden=False),
    )
