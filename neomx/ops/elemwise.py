"""Arithmetic and comparison operators: broadcast_*, elemwise_*, the *_scalar forms, _copy,
Cast and clip. Integer arrays keep MXNet's integer semantics: scalars are cast
to the array's dtype first and division truncates toward zero."""

from __future__ import annotations

import numpy as np

from .infer import broadcast_shape, is_known, unify
from .kernels import cast_scalar, into
from .params import Bool, DType, Float, Params
from .registry import Op, register

_QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


def _truncated_divide(xp, lhs, rhs, out, dtype):
    """Integer division as C does it (toward zero), as MXNet computes it on integer arrays.

    ``lhs - fmod(lhs, rhs)`` is an exact multiple of ``rhs``, so the floor division is exact
    (a float quotient would lose precision beyond 2**53).
    """
    with np.errstate(**_QUIET):
        quotient = xp.floor_divide(xp.subtract(lhs, xp.fmod(lhs, rhs)), rhs)
    if out is None:
        return quotient.astype(dtype, copy=False)
    xp.copyto(out, quotient, casting="unsafe")
    return out


def _float_then_cast(xp, kernel, arrays, out, dtype, precision=np.float64):
    """Apply ``kernel`` in floating point and truncate back to the integer ``dtype``, as MXNet
    computes math functions on integer arrays (``exp``, ``log`` in double precision; ``power``
    rounds to float32 first, so int64 3 ** 19 is 1162261504)."""
    with np.errstate(**_QUIET):
        result = kernel(*(xp.asarray(a, dtype=np.float64) for a in arrays))
        if precision is not np.float64:
            result = result.astype(precision)
        if out is None:
            return result.astype(dtype)
        xp.copyto(out, result, casting="unsafe")
    return out


def _python_mod(xp, lhs, rhs, out):
    """``lhs mod rhs`` with the divisor's sign; MXNet returns 0 where the divisor is 0."""
    with np.errstate(**_QUIET):
        result = xp.mod(lhs, rhs, out=out)
    if result.dtype.kind == "f":
        xp.copyto(result, 0, where=xp.equal(rhs, 0))
    return result


def _quiet_kernel(xp, kernel, lhs, rhs, out):
    """The forward of the operators with edge cases: division, mod and power."""
    dtype = lhs.dtype if out is None else out.dtype
    integral = dtype.kind in "iub"
    if kernel == "divide" and integral:
        return _truncated_divide(xp, lhs, rhs, out, dtype)
    if kernel == "mod":
        return _python_mod(xp, lhs, rhs, out)
    if kernel == "power" and integral:
        return _float_then_cast(xp, xp.power, (lhs, rhs), out, dtype, np.float32)
    with np.errstate(**_QUIET):
        return getattr(xp, kernel)(lhs, rhs, out=out)


class _Binary(Op):
    """A binary operator computing ``kernel(lhs, rhs)``; ``broadcasting`` allows broadcasting."""

    inputs = ("lhs", "rhs")
    kernel = ""
    quiet = False
    broadcasts = True
    inplace = (0, 1)

    def infer_shape(self, p, lhs, rhs):
        if self.broadcasts:
            if not (is_known(lhs) and is_known(rhs)):
                return None
            return (lhs, rhs), (broadcast_shape(self.name, lhs, rhs),)
        merged = unify(self.name, "rhs", rhs, lhs) if lhs is not None else rhs
        if merged is None:
            return None
        return (merged, merged), (merged,)

    def forward(self, xp, p, lhs, rhs, out=None):
        if self.quiet:
            return _quiet_kernel(xp, self.kernel, lhs, rhs, out)
        return getattr(xp, self.kernel)(lhs, rhs, out=out)

    def direct_kernel(self, xp):
        if self.quiet:
            return None
        ufunc = getattr(xp, self.kernel)
        return lambda p, lhs, rhs: ufunc(lhs, rhs)


class _Compare(_Binary):
    """Comparisons return 1 or 0 in the inputs' dtype, as MXNet's do; no gradient flows."""

    def direct_kernel(self, xp):
        return None

    def forward(self, xp, p, lhs, rhs, out=None):
        result = getattr(xp, self.kernel)(lhs, rhs)
        if out is None:
            return result.astype(lhs.dtype)
        xp.copyto(out, result, casting="unsafe")
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        return None, None


def _binary(name, kernel, grad, aliases=(), broadcasts=True, quiet=False, base=_Binary):
    cls = type(
        name,
        (base,),
        {
            "__doc__": f"Compute ``{kernel}(lhs, rhs)`` element by element"
            + (" with broadcasting." if broadcasts else " (shapes must match)."),
            "kernel": kernel,
            "broadcasts": broadcasts,
            "quiet": quiet,
            # mod reads the divisor again after writing its result.
            "inplace": (0,) if kernel == "mod" else (0, 1),
        },
    )
    if grad is not None:
        cls.gradient = lambda self, p, F, inputs, outputs, dy: grad(F, *inputs, outputs[0], dy[0])
    register(name, aliases)(cls)


def _grad_add(F, lhs, rhs, out, dy):
    return dy, dy


def _grad_sub(F, lhs, rhs, out, dy):
    return dy, F.negative(dy)


def _grad_mul(F, lhs, rhs, out, dy):
    return F.broadcast_mul(dy, rhs), F.broadcast_mul(dy, lhs)


def _grad_div(F, lhs, rhs, out, dy):
    quotient = F.broadcast_div(dy, rhs)
    return quotient, F.negative(F.broadcast_mul(quotient, out))


def _grad_mod(F, lhs, rhs, out, dy):
    return dy, F.negative(F.broadcast_mul(dy, F.floor(F.broadcast_div(lhs, rhs))))


def _grad_power(F, lhs, rhs, out, dy):
    d_lhs = F.broadcast_mul(dy, F.broadcast_mul(rhs, F.broadcast_power(lhs, rhs - 1)))
    return d_lhs, F.broadcast_mul(dy, F.broadcast_mul(out, F.log(lhs)))


def _grad_maximum(F, lhs, rhs, out, dy):
    return (
        F.broadcast_mul(dy, F.broadcast_greater_equal(lhs, rhs)),
        F.broadcast_mul(dy, F.broadcast_lesser(lhs, rhs)),
    )


def _grad_minimum(F, lhs, rhs, out, dy):
    return (
        F.broadcast_mul(dy, F.broadcast_lesser_equal(lhs, rhs)),
        F.broadcast_mul(dy, F.broadcast_greater(lhs, rhs)),
    )


_ARITH = (
    ("add", "add", _grad_add, False),
    ("sub", "subtract", _grad_sub, False),
    ("mul", "multiply", _grad_mul, False),
    ("div", "divide", _grad_div, True),
    ("mod", "mod", _grad_mod, True),
    ("power", "power", _grad_power, True),
    ("maximum", "maximum", _grad_maximum, False),
    ("minimum", "minimum", _grad_minimum, False),
)
for _name, _kernel, _grad, _quiet in _ARITH:
    _aliases = ("broadcast_plus",) if _name == "add" else ()
    _aliases += ("broadcast_minus",) if _name == "sub" else ()
    _binary(f"broadcast_{_name}", _kernel, _grad, _aliases, quiet=_quiet)

_binary("elemwise_add", "add", _grad_add, ("_add", "_plus", "_Plus"), broadcasts=False)
_binary("elemwise_sub", "subtract", _grad_sub, ("_sub", "_minus", "_Minus"), broadcasts=False)
_binary("elemwise_mul", "multiply", _grad_mul, ("_mul", "_Mul"), broadcasts=False)
_binary("elemwise_div", "divide", _grad_div, ("_div", "_Div"), broadcasts=False, quiet=True)
_binary("_maximum", "maximum", _grad_maximum, ("_Maximum",), broadcasts=False)
_binary("_minimum", "minimum", _grad_minimum, ("_Minimum",), broadcasts=False)
# Symbol's ``%`` and ``**`` between two Symbols.
_binary("_mod", "mod", _grad_mod, ("_Mod",), broadcasts=False, quiet=True)
_binary("_power", "power", _grad_power, ("_Power",), broadcasts=False, quiet=True)
# The sum MXNet's gradient pass inserts where gradients of one array meet.
_binary("_grad_add", "add", _grad_add, broadcasts=False)

_COMPARE = (
    ("equal", "equal"),
    ("not_equal", "not_equal"),
    ("greater", "greater"),
    ("greater_equal", "greater_equal"),
    ("lesser", "less"),
    ("lesser_equal", "less_equal"),
    ("logical_and", "logical_and"),
    ("logical_or", "logical_or"),
    ("logical_xor", "logical_xor"),
)
for _name, _kernel in _COMPARE:
    _binary(f"broadcast_{_name}", _kernel, None, base=_Compare)
    if not _name.startswith("logical"):
        # MXNet 1.9.1's aliases keep the underscore: _Greater_Equal, _Not_Equal.
        _binary(f"_{_name}", _kernel, None, ("_" + _name.title(),),
                broadcasts=False, base=_Compare)


class _Scalar(Op):
    """``kernel(data, scalar)`` (or reflected); the scalar is cast to the array's dtype."""

    params = Params(scalar=Float(1.0), is_int=Bool(True))
    infer_uses_params = False
    inplace = (0,)
    kernel = ""
    reflected = False
    quiet = False
    compares = False

    def forward(self, xp, p, data, out=None):
        # MXNet casts the scalar to the array's dtype first: int32 data + 2.7 adds 2.
        scalar = cast_scalar(data.dtype, p.scalar)
        lhs, rhs = (scalar, data) if self.reflected else (data, scalar)
        if self.compares:
            result = getattr(xp, self.kernel)(lhs, rhs)
            if out is None:
                return result.astype(data.dtype)
            xp.copyto(out, result, casting="unsafe")
            return out
        if self.quiet:
            return _quiet_kernel(xp, self.kernel, lhs, rhs, out)
        return getattr(xp, self.kernel)(lhs, rhs, out=out)

    def direct_kernel(self, xp):
        if self.quiet or self.compares:
            return None
        ufunc = getattr(xp, self.kernel)
        if self.reflected:
            return lambda p, data: ufunc(cast_scalar(data.dtype, p.scalar), data)
        return lambda p, data: ufunc(data, cast_scalar(data.dtype, p.scalar))


def _scalar_op(name, kernel, grad, aliases=(), reflected=False, quiet=False, compares=False):
    cls = type(
        name,
        (_Scalar,),
        {
            "__doc__": f"Compute ``{kernel}({'scalar, data' if reflected else 'data, scalar'})``"
            " element by element.",
            "kernel": kernel,
            "reflected": reflected,
            "quiet": quiet,
            "compares": compares,
            # mod reads the divisor again after writing its result.
            "inplace": () if kernel == "mod" else (0,),
        },
    )
    if grad is None:
        cls.gradient = lambda self, p, F, inputs, outputs, dy: (None,)
    else:
        cls.gradient = lambda self, p, F, inputs, outputs, dy: (
            grad(F, inputs[0], outputs[0], dy[0], p.scalar),
        )
    register(name, aliases)(cls)


_scalar_op("_plus_scalar", "add", lambda F, x, out, dy, s: dy, ("_PlusScalar",))
_scalar_op("_minus_scalar", "subtract", lambda F, x, out, dy, s: dy, ("_MinusScalar",))
_scalar_op("_rminus_scalar", "subtract", lambda F, x, out, dy, s: F.negative(dy),
           ("_RMinusScalar",), reflected=True)
_scalar_op("_mul_scalar", "multiply", lambda F, x, out, dy, s: F._mul_scalar(dy, scalar=s),
           ("_MulScalar",))
_scalar_op("_div_scalar", "divide", lambda F, x, out, dy, s: F._div_scalar(dy, scalar=s),
           ("_DivScalar",), quiet=True)
_scalar_op("_rdiv_scalar", "divide",
           lambda F, x, out, dy, s: F.negative(F.broadcast_div(F.broadcast_mul(dy, out), x)),
           ("_RDivScalar",), reflected=True, quiet=True)
_scalar_op("_mod_scalar", "mod", lambda F, x, out, dy, s: dy, ("_ModScalar",), quiet=True)
_scalar_op("_rmod_scalar", "mod",
           lambda F, x, out, dy, s: F.negative(
               F.broadcast_mul(dy, F.floor(F._rdiv_scalar(x, scalar=s)))),
           ("_RModScalar",), reflected=True, quiet=True)
_scalar_op("_power_scalar", "power",
           lambda F, x, out, dy, s: F.broadcast_mul(
               dy, F._mul_scalar(F._power_scalar(x, scalar=s - 1), scalar=s)),
           ("_PowerScalar",), quiet=True)
_scalar_op("_rpower_scalar", "power",
           lambda F, x, out, dy, s: F._mul_scalar(
               F.broadcast_mul(dy, out), scalar=float(np.log(s))),
           ("_RPowerScalar",), reflected=True, quiet=True)
_scalar_op("_maximum_scalar", "maximum",
           lambda F, x, out, dy, s: F.broadcast_mul(dy, F._greater_equal_scalar(x, scalar=s)),
           ("_MaximumScalar",))
_scalar_op("_minimum_scalar", "minimum",
           lambda F, x, out, dy, s: F.broadcast_mul(dy, F._lesser_equal_scalar(x, scalar=s)),
           ("_MinimumScalar",))
for _name, _kernel in _COMPARE[:6]:
    _scalar_op(f"_{_name}_scalar", _kernel, None,
               ("_" + _name.title().replace("_", "") + "Scalar",), compares=True)


@register("_copy", aliases=("identity",))
class Copy(Op):
    """Return a copy of the input."""

    inplace = (0,)

    def forward(self, xp, p, data, out=None):
        if out is None:
            return data.copy()
        xp.copyto(out, data)
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        return (dy[0],)


@register("Cast", aliases=("cast",))
class Cast(Op):
    """Cast the input to ``dtype``."""

    params = Params(dtype=DType())

    def infer_type(self, p, dtype):
        return (dtype,), (np.dtype(p.dtype),)

    def forward(self, xp, p, data, out=None):
        # Out-of-range values convert as the C++ cast does (numpy warns; MXNet does not).
        with np.errstate(over="ignore", invalid="ignore"):
            if out is None:
                return data.astype(p.dtype)
            xp.copyto(out, data, casting="unsafe")
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.Cast(dy[0], dtype=np.dtype(inputs[0].dtype).name),)


@register("clip")
class Clip(Op):
    """Limit the values to [a_min, a_max]; the gradient passes where a_min <= x <= a_max."""

    params = Params(a_min=Float(), a_max=Float())

    def forward(self, xp, p, data, out=None):
        low, high = cast_scalar(data.dtype, p.a_min), cast_scalar(data.dtype, p.a_max)
        if low <= high:
            return xp.clip(data, low, high, out=out)
        # MXNet tests the upper bound first, so with a_min > a_max values above a_max
        # become a_max and the rest below a_min become a_min.
        clipped = xp.where(data > high, high, xp.where(data < low, low, data))
        return into(xp, clipped, out)

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        inside = F.broadcast_mul(
            F._greater_equal_scalar(x, scalar=p.a_min), F._lesser_equal_scalar(x, scalar=p.a_max)
        )
        return (F.broadcast_mul(dy[0], inside),)
