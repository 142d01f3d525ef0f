"""Elementwise functions of one array: rounding, powers and roots, exponentials and logarithms,
trigonometric and hyperbolic functions, activations, special functions, logical_not, the
identity-like BlockGrad and make_loss, and contrib's isnan/isinf/isfinite.

Integer arrays follow MXNet 1.9.1 (checked against it value by value). Most functions run in
double precision (``square``, ``degrees`` and ``radians`` in single) and the result is
converted back as its C++ casts do on x86: toward zero, with NaN, infinities and values out
of range becoming the most negative int32 (int64 for int64 data) and narrower types keeping
the low bits. So ``sqrt`` of int32 2 is 1, ``log`` of int32 0 is -2147483648, ``exp`` of
uint8 100 is 0, and even ``abs`` and the roundings of int64 values beyond 2**53 lose
precision as MXNet's do. ``negative``, ``relu``, ``sign``, ``logical_not`` and the identities
stay in integer arithmetic; ``erfinv`` of an integer is 0 except at +-1 (an MXNet quirk kept
for fidelity); ``hard_sigmoid`` refuses integers.

float16 data is computed in float32 and rounded once, as MXNet computes ``half_t``.
Gradients are written with registered operators, so they differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetTypeError
from . import special
from .kernels import into
from .params import Float, Params
from .registry import REGISTRY, Op, register

_QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore", "under": "ignore"}
# The factors MXNet 1.9.1's degrees and radians multiply by, for every dtype (measured: the
# ratio output / input of float64 data): 180/pi to 7 digits and float32(pi/180).
_DEGREES = 57.2957763671875
_RADIANS = float(np.float32(math.pi / 180.0))


def c_cast(xp, values, dtype, out=None):
    """Convert floating-point ``values`` to the integer (or bool) ``dtype`` as MXNet's C++ casts
    do on x86 (``cvttsd2si``): truncate toward zero; NaN and out-of-range values give the most
    negative integer of the register (32-bit below 8-byte types); narrower types keep the low
    bits (``exp`` of int8 5 is 148, stored as -108)."""
    if dtype.kind == "b":
        return into(xp, values != 0, out)
    wide = np.dtype(np.int64 if dtype.itemsize == 8 else np.int32)
    lowest = float(np.iinfo(wide).min)
    inside = (values >= lowest) & (values < -lowest)
    result = xp.where(inside, values, lowest).astype(wide)
    return into(xp, result if wide == dtype else result.astype(dtype), out)


class _Math(Op):
    """An elementwise function ``compute(xp, p, x, out)`` of a floating-point array ``x``.

    ``integers`` says how integer data is handled: "float" (in ``integer_precision``, then
    ``c_cast``), "exact" (``compute`` runs on the integers), or "refuse". ``quiet`` silences
    NumPy's floating-point warnings (MXNet returns inf/NaN silently); functions that never
    warn skip that (it costs a microsecond per call).
    """

    integers = "float"
    # MXNet computes integers in double, except square, degrees and radians (float32).
    integer_precision = np.float64
    quiet = True
    infer_uses_params = False
    inplace = (0,)

    @staticmethod
    def compute(xp, p, x, out):
        raise NotImplementedError

    def infer_type(self, p, dtype):
        if self.integers == "refuse" and dtype is not None and np.dtype(dtype).kind != "f":
            raise MXNetTypeError(
                f"{self.name}: supports only floating-point data, got {np.dtype(dtype).name}"
            )
        return (dtype,), (dtype,)

    def forward(self, xp, p, data, out=None):
        kind = data.dtype.kind
        if kind == "f":
            if data.dtype == np.float16:
                with np.errstate(**_QUIET):
                    return into(xp, self.compute(xp, p, data.astype(np.float32), None)
                                .astype(np.float16), out)
            if self.quiet:
                with np.errstate(**_QUIET):
                    return self.compute(xp, p, data, out)
            return self.compute(xp, p, data, out)
        if self.integers == "exact" and kind != "b":
            return self.compute(xp, p, data, out)
        with np.errstate(**_QUIET):
            values = self.compute(xp, p, data.astype(self.integer_precision), None)
        return c_cast(xp, values, data.dtype, out)

    def direct_kernel(self, xp):
        forward = self.forward
        return lambda p, data: forward(xp, p, data)


def _ufunc(name):
    """A ``compute`` calling the array module's ufunc ``name``."""
    return lambda xp, p, x, out: getattr(xp, name)(x, out=out)


def _special(name):
    """A ``compute`` from neomx.ops.special, evaluated in float64."""
    function = getattr(special, name)
    return lambda xp, p, x, out: into(
        xp, function(xp, x.astype(np.float64)).astype(x.dtype, copy=False), out
    )


def _define(name, compute, grad, doc, *, aliases=(), integers="float", quiet=True,
            saves=("data", "outputs"), sparse=True, integer_precision=np.float64):
    """Register a unary operator; ``grad(F, p, x, out, dy)`` returns the input gradient (None
    for zero). ``sparse`` adds MXNet's ``_sparse_<name>`` alias."""
    attrs = {
        "__doc__": doc,
        "compute": staticmethod(compute),
        "integers": integers,
        "integer_precision": integer_precision,
        "quiet": quiet,
        "saves": saves,
        "gradient": lambda self, p, F, inputs, outputs, dy: (
            grad(F, p, inputs[0], outputs[0], dy[0]),
        ),
    }
    cls = type(name, (_Math,), attrs)
    if sparse:
        aliases = (f"_sparse_{name}", *aliases)
    register(name, tuple(aliases))(cls)


# ---- gradient rules (x: input, y: output, dy: output gradient) ---------------------------


def _mul(F, *factors):
    product = factors[0]
    for factor in factors[1:]:
        product = F.broadcast_mul(product, factor)
    return product


def _scaled(F, array, scalar):
    return F._mul_scalar(array, scalar=scalar)


def _one_minus_square(F, x):
    return F._rminus_scalar(F.square(x), scalar=1.0)


def _one_plus_square(F, x):
    return F._plus_scalar(F.square(x), scalar=1.0)


def _zero(F, p, x, y, dy):
    return None


# ---- rounding and sign -------------------------------------------------------------------


def _sign(xp, p, x, out):
    # MXNet's sign of NaN is 0 (NumPy's is NaN).
    result = xp.sign(x, out=out)
    if result.dtype.kind == "f":
        xp.copyto(result, 0, where=xp.isnan(result))
    return result


def _round(xp, p, x, out):
    # C's round: halves go away from zero (NumPy's round goes to even).
    whole = xp.trunc(x)
    half_or_more = xp.abs(x - whole) >= 0.5
    return into(xp, xp.where(half_or_more, whole + xp.sign(x), whole), out)


def _rint(xp, p, x, out):
    # MXNet's rint picks the floor on a tie (-2.5 -> -3, 2.5 -> 2), unlike C's rint.
    low, high = xp.floor(x), xp.ceil(x)
    return into(xp, xp.where(x - low <= high - x, low, high), out)


_define("abs", _ufunc("abs"), lambda F, p, x, y, dy: _mul(F, dy, F.sign(x)),
        "Return the absolute value element by element.", quiet=False, saves=("data",))
_define("sign", _sign, _zero, "Return the sign (-1, 0 or 1) element by element; NaN gives 0.",
        integers="exact", quiet=False, saves=())
_define("round", _round, _zero, "Round to the nearest integer, halves away from zero.",
        saves=())
_define("rint", _rint, _zero, "Round to the nearest integer; a half rounds down (MXNet's rule).",
        saves=())
_define("ceil", _ufunc("ceil"), _zero, "Round up element by element.", quiet=False, saves=())
_define("floor", _ufunc("floor"), _zero, "Round down element by element.", quiet=False,
        saves=())
_define("trunc", _ufunc("trunc"), _zero, "Round toward zero element by element.", quiet=False,
        saves=())
_define("fix", _ufunc("trunc"), _zero, "Round toward zero element by element (as ``trunc``).",
        quiet=False, saves=())

# ---- powers and roots ----------------------------------------------------------------------


def _rsqrt(xp, p, x, out):
    return xp.reciprocal(xp.sqrt(x, out=out), out=out)


def _rcbrt(xp, p, x, out):
    return xp.reciprocal(xp.cbrt(x, out=out), out=out)


_define("sqrt", _ufunc("sqrt"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, _scaled(F, y, 2.0)),
        "Return the square root element by element.", saves=("outputs",))
_define("rsqrt", _rsqrt,
        lambda F, p, x, y, dy: _scaled(F, F.broadcast_div(_mul(F, dy, y), x), -0.5),
        "Return ``1 / sqrt(data)`` element by element.")
_define("cbrt", _ufunc("cbrt"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, _scaled(F, F.square(y), 3.0)),
        "Return the cube root element by element.", quiet=False, saves=("outputs",))
_define("rcbrt", _rcbrt,
        lambda F, p, x, y, dy: _scaled(F, F.broadcast_div(_mul(F, dy, y), x), -1.0 / 3.0),
        "Return ``1 / cbrt(data)`` element by element.", sparse=False)
_define("square", _ufunc("square"), lambda F, p, x, y, dy: _scaled(F, _mul(F, dy, x), 2.0),
        "Return ``data ** 2`` element by element.", saves=("data",),
        integer_precision=np.float32)
_define("reciprocal", _ufunc("reciprocal"),
        lambda F, p, x, y, dy: F.negative(_mul(F, dy, F.square(y))),
        "Return ``1 / data`` element by element.", saves=("outputs",), sparse=False)
_define("negative", _ufunc("negative"), lambda F, p, x, y, dy: F.negative(dy),
        "Return ``-data`` element by element.", integers="exact", quiet=False, saves=())

# ---- exponentials and logarithms ---------------------------------------------------------

_define("exp", _ufunc("exp"), lambda F, p, x, y, dy: _mul(F, dy, y),
        "Return ``e ** data`` element by element.", saves=("outputs",))
_define("expm1", _ufunc("expm1"),
        lambda F, p, x, y, dy: _mul(F, dy, F._plus_scalar(y, scalar=1.0)),
        "Return ``exp(data) - 1``, accurate for small values.", saves=("outputs",))
_define("log", _ufunc("log"), lambda F, p, x, y, dy: F.broadcast_div(dy, x),
        "Return the natural logarithm element by element.", saves=("data",))
_define("log10", _ufunc("log10"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, _scaled(F, x, math.log(10.0))),
        "Return the base-10 logarithm element by element.", saves=("data",))
_define("log2", _ufunc("log2"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, _scaled(F, x, math.log(2.0))),
        "Return the base-2 logarithm element by element.", saves=("data",))
_define("log1p", _ufunc("log1p"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, F._plus_scalar(x, scalar=1.0)),
        "Return ``log(1 + data)``, accurate for small values.", saves=("data",))

# ---- trigonometric and hyperbolic ----------------------------------------------------------

_define("sin", _ufunc("sin"), lambda F, p, x, y, dy: _mul(F, dy, F.cos(x)),
        "Return the sine (radians) element by element.", saves=("data",))
_define("cos", _ufunc("cos"), lambda F, p, x, y, dy: F.negative(_mul(F, dy, F.sin(x))),
        "Return the cosine (radians) element by element.", saves=("data",))
_define("tan", _ufunc("tan"), lambda F, p, x, y, dy: _mul(F, dy, _one_plus_square(F, y)),
        "Return the tangent (radians) element by element.", saves=("outputs",))
_define("arcsin", _ufunc("arcsin"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, F.sqrt(_one_minus_square(F, x))),
        "Return the inverse sine, in [-pi/2, pi/2].", saves=("data",))
_define("arccos", _ufunc("arccos"),
        lambda F, p, x, y, dy: F.negative(F.broadcast_div(dy, F.sqrt(_one_minus_square(F, x)))),
        "Return the inverse cosine, in [0, pi].", saves=("data",))
_define("arctan", _ufunc("arctan"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, _one_plus_square(F, x)),
        "Return the inverse tangent, in (-pi/2, pi/2).", quiet=False, saves=("data",))
_define("degrees", lambda xp, p, x, out: xp.multiply(x, _DEGREES, out=out),
        lambda F, p, x, y, dy: _scaled(F, dy, _DEGREES),
        "Convert radians to degrees (multiplying by 57.2957763671875, as MXNet does).",
        saves=(), integer_precision=np.float32)
_define("radians", lambda xp, p, x, out: xp.multiply(x, _RADIANS, out=out),
        lambda F, p, x, y, dy: _scaled(F, dy, _RADIANS),
        "Convert degrees to radians (multiplying by float32(pi / 180), as MXNet does).",
        saves=(), integer_precision=np.float32)
_define("sinh", _ufunc("sinh"), lambda F, p, x, y, dy: _mul(F, dy, F.cosh(x)),
        "Return the hyperbolic sine element by element.", saves=("data",))
_define("cosh", _ufunc("cosh"), lambda F, p, x, y, dy: _mul(F, dy, F.sinh(x)),
        "Return the hyperbolic cosine element by element.", saves=("data",))


def _tanh(xp, p, x, out):
    if x.dtype.kind in "iu":
        # In double, 1 - 2 / (exp(2|x|) + 1) rounds as C's tanh does near +-1: tanh(19) is
        # 0.9999999999999999 (NumPy's tanh says 1.0), which MXNet truncates to 0.
        magnitude = xp.abs(x).astype(np.float64)
        with np.errstate(over="ignore"):
            values = 1.0 - 2.0 / (xp.exp(2.0 * magnitude) + 1.0)
        return c_cast(xp, xp.copysign(values, x), x.dtype, out)
    return xp.tanh(x, out=out)


_define("tanh", _tanh, lambda F, p, x, y, dy: _mul(F, dy, _one_minus_square(F, y)),
        "Return the hyperbolic tangent element by element.", integers="exact", quiet=False,
        saves=("outputs",))
_define("arcsinh", _ufunc("arcsinh"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, F.sqrt(_one_plus_square(F, x))),
        "Return the inverse hyperbolic sine element by element.", quiet=False, saves=("data",))
_define("arccosh", _ufunc("arccosh"),
        lambda F, p, x, y, dy: F.broadcast_div(
            dy, F.sqrt(F._minus_scalar(F.square(x), scalar=1.0))),
        "Return the inverse hyperbolic cosine (NaN below 1).", saves=("data",))
_define("arctanh", _ufunc("arctanh"),
        lambda F, p, x, y, dy: F.broadcast_div(dy, _one_minus_square(F, x)),
        "Return the inverse hyperbolic tangent (NaN outside [-1, 1]).", saves=("data",))

# ---- activations -----------------------------------------------------------------------------


def _sigmoid(xp, p, x, out):
    # 1 / (1 + exp(-x)) in place; exp overflows to inf for very negative x, giving 0.
    result = xp.negative(x, out=out)
    xp.exp(result, out=result)
    xp.add(result, 1, out=result)
    return xp.reciprocal(result, out=result)


def _softsign(xp, p, x, out):
    denominator = xp.abs(x)
    denominator += 1
    return xp.divide(x, denominator, out=out)


_define("sigmoid", _sigmoid, lambda F, p, x, y, dy: _mul(F, dy, y, F._rminus_scalar(y, scalar=1.0)),
        "Return the logistic function ``1 / (1 + exp(-data))``.", saves=("outputs",))
_define("relu", lambda xp, p, x, out: xp.maximum(x, 0, out=out),
        lambda F, p, x, y, dy: _mul(F, dy, F._greater_scalar(x, scalar=0.0)),
        "Return ``max(data, 0)`` element by element (NaN stays NaN).", integers="exact",
        quiet=False, saves=("data",))
_define("softsign", _softsign,
        lambda F, p, x, y, dy: F.broadcast_div(dy, F.square(F._plus_scalar(F.abs(x), scalar=1.0))),
        "Return ``data / (1 + abs(data))`` element by element.", saves=("data",), sparse=False)


@register("hard_sigmoid")
class HardSigmoid(_Math):
    """Return ``max(0, min(1, alpha * data + beta))`` element by element.

    As in MXNet, ``alpha`` and ``beta`` are single precision even for float64 data, and
    integer data is refused. The gradient is ``alpha`` where the result lies strictly
    between 0 and 1.
    """

    params = Params(
        alpha=Float(0.2, doc="The slope."), beta=Float(0.5, doc="The value at 0.")
    )
    integers = "refuse"
    saves = ("outputs",)

    @staticmethod
    def compute(xp, p, x, out):
        alpha, beta = x.dtype.type(np.float32(p.alpha)), x.dtype.type(np.float32(p.beta))
        result = xp.multiply(x, alpha, out=out)
        result += beta
        return xp.clip(result, 0, 1, out=result)

    def gradient(self, p, F, inputs, outputs, dy):
        y = outputs[0]
        inside = _mul(F, F._greater_scalar(y, scalar=0.0), F._lesser_scalar(y, scalar=1.0))
        return (_scaled(F, _mul(F, dy[0], inside), float(np.float32(p.alpha))),)


# ---- special functions -----------------------------------------------------------------------

_define("erf", _special("erf"),
        lambda F, p, x, y, dy: _mul(
            F, dy, _scaled(F, F.exp(F.negative(F.square(x))), 2.0 / math.sqrt(math.pi))),
        "Return the Gauss error function element by element.", aliases=("_npx_erf",),
        saves=("data",), sparse=False)

_erfinv_float = _special("erfinv")


def _erfinv(xp, p, x, out):
    if x.dtype.kind in "iu":
        # MXNet 1.9.1 evaluates erfinv's rational approximation in the integer type itself,
        # so every coefficient truncates to 0: the result is 0 except at +-1, where the
        # logarithm's infinity converts to the most negative integer.
        return c_cast(xp, xp.where(xp.abs(x) == 1, np.inf, 0.0), x.dtype, out)
    return _erfinv_float(xp, p, x, out)


_define("erfinv", _erfinv,
        lambda F, p, x, y, dy: _mul(F, dy, _scaled(F, F.exp(F.square(y)), math.sqrt(math.pi) / 2)),
        "Return the inverse error function (+-inf at +-1, NaN outside [-1, 1]).",
        aliases=("_npx_erfinv",), integers="exact", saves=("outputs",), sparse=False)
_define("gamma", _special("gamma"), lambda F, p, x, y, dy: F._backward_gamma(dy, x),
        "Return the gamma function element by element.", aliases=("_npx_gamma",),
        saves=("data",))
_define("gammaln", _special("lgamma"), lambda F, p, x, y, dy: F._backward_gammaln(dy, x),
        "Return ``log(abs(gamma(data)))`` element by element.", aliases=("_npx_gammaln",),
        saves=("data",))


class _GammaBackward(Op):
    """``lhs * f(rhs)``: the gradient kernels of gamma and gammaln (not differentiable again,
    as in MXNet)."""

    inputs = ("lhs", "rhs")
    differentiable = False

    def forward(self, xp, p, lhs, rhs, out=None):
        x = rhs.astype(np.float64)
        with np.errstate(**_QUIET):
            derivative = special.digamma(xp, x)
            if self.times_gamma:
                derivative *= special.gamma(xp, x)
            result = derivative * lhs
        return into(xp, result.astype(lhs.dtype, copy=False), out)


@register("_backward_gamma")
class GammaBackward(_GammaBackward):
    """Return ``lhs * gamma(rhs) * digamma(rhs)``, the gradient of ``gamma``."""

    times_gamma = True


@register("_backward_gammaln")
class GammalnBackward(_GammaBackward):
    """Return ``lhs * digamma(rhs)``, the gradient of ``gammaln``."""

    times_gamma = False


# ---- logic, identities and tests ------------------------------------------------------------


def _indicator(test):
    """A ``compute`` giving 1 where the ufunc ``test`` holds and 0 elsewhere, in the input's
    dtype (MXNet returns no booleans)."""

    def compute(xp, p, x, out):
        result = getattr(xp, test)(x)
        return into(xp, result, out) if out is not None else result.astype(x.dtype)

    return compute


def _copy(xp, p, x, out):
    return into(xp, x, out) if out is not None else x.copy()


_define("logical_not", _indicator("logical_not"), _zero,
        "Return 1 where the data is 0 and 0 elsewhere, in the data's dtype.",
        integers="exact", quiet=False, saves=(), sparse=False)
_define("BlockGrad", _copy, _zero,
        "Return the data unchanged and stop gradients from flowing back through it.",
        aliases=("stop_gradient", "_sparse_stop_gradient"), integers="exact", quiet=False,
        saves=(), sparse=False)
# MXNet's make_loss ignores the head gradient: the data's gradient is all ones.
_define("make_loss", _copy, lambda F, p, x, y, dy: F.ones_like(dy),
        "Return the data unchanged and mark it as a loss: its gradient is ones, whatever "
        "gradient arrives from above.", integers="exact", quiet=False, saves=())
# MXNet 1.9.1 names make_loss's output "loss" (``n_loss`` in list_outputs).
type(REGISTRY["make_loss"]).output_names = lambda self, p: ("loss",)
_define("_contrib_isnan", _indicator("isnan"), _zero,
        "Return 1 where the data is NaN and 0 elsewhere, in the data's dtype.",
        integers="exact", quiet=False, saves=(), sparse=False)
_define("_contrib_isinf", _indicator("isinf"), _zero,
        "Return 1 where the data is +-inf and 0 elsewhere, in the data's dtype.",
        integers="exact", quiet=False, saves=(), sparse=False)
_define("_contrib_isfinite", _indicator("isfinite"), _zero,
        "Return 1 where the data is neither NaN nor infinite and 0 elsewhere.",
        integers="exact", quiet=False, saves=(), sparse=False)
