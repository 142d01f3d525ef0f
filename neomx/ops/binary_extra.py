"""More elementwise operators of two or more arrays: hypot (broadcast_hypot, _hypot,
_hypot_scalar), add_n, smooth_l1, and the elementwise and scalar forms of the logical
operators (_logical_and, _logical_or_scalar, ...) that ``mx.nd.logical_and`` and friends use.

Integer arrays follow MXNet's rule for math functions: computed in floating point, truncated
back to the integer dtype.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .elemwise import _COMPARE, _Binary, _binary, _Compare, _float_then_cast, _Scalar, _scalar_op
from .infer import unify_dtype
from .kernels import cast_scalar
from .params import Float, Int, Params
from .registry import Op, register


def _hypot(xp, lhs, rhs, out):
    dtype = lhs.dtype if out is None else out.dtype
    if dtype.kind in "iub":
        return _float_then_cast(xp, xp.hypot, (lhs, rhs), out, dtype)
    return xp.hypot(lhs, rhs, out=out)


class _HypotBinary(_Binary):
    """hypot of two arrays; integers go through float64 and truncate (hypot(4, 5) == 6)."""

    def forward(self, xp, p, lhs, rhs, out=None):
        return _hypot(xp, lhs, rhs, out)

    def direct_kernel(self, xp):
        return None


def _per_hypot(F, dy, out):
    """``dy / hypot``, the factor of both partial derivatives (d hypot(a, b) / da is
    a / hypot(a, b)). Where both arguments are 0, it divides by 1 instead, so the gradient is 0
    there (MXNet 1.9.1 returns NaN)."""
    return F.broadcast_div(dy, F.broadcast_add(out, F._equal_scalar(out, scalar=0)))


def _grad_hypot(F, lhs, rhs, out, dy):
    scale = _per_hypot(F, dy, out)
    return F.broadcast_mul(scale, lhs), F.broadcast_mul(scale, rhs)


_binary("broadcast_hypot", "hypot", _grad_hypot, base=_HypotBinary)
_binary("_hypot", "hypot", _grad_hypot, ("_Hypot",), broadcasts=False, base=_HypotBinary)


@register("_hypot_scalar", aliases=("_HypotScalar",))
class HypotScalar(_Scalar):
    """Compute ``hypot(data, scalar)`` element by element (the scalar is cast to the data's
    dtype first, as in every MXNet scalar operator)."""

    kernel = "hypot"

    def forward(self, xp, p, data, out=None):
        return _hypot(xp, data, cast_scalar(data.dtype, p.scalar), out)

    def direct_kernel(self, xp):
        return None

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.broadcast_mul(_per_hypot(F, dy[0], outputs[0]), inputs[0]),)


@register("add_n", aliases=("ElementWiseSum",))
class AddN(Op):
    """Add all input arrays element by element; they must have equal shapes and dtypes.

    >>> mx.nd.add_n(mx.nd.array([1, 2]), mx.nd.array([3, 4]), mx.nd.array([5, 6]))
    <BLANKLINE>
    [ 9. 12.]
    <NDArray 2 @cpu(0)>
    """

    variadic = True
    params = Params(num_args=Int(min=1, doc="How many arrays are added."))
    saves = ()

    def arguments(self, p):
        return tuple(f"arg{i}" for i in range(p.num_args))

    def infer_shape(self, p, *shapes):
        if len(shapes) != p.num_args:
            raise MXNetValueError(
                f"{self.name}: num_args={p.num_args}, but {len(shapes)} array(s) were given"
            )
        # The default rule: every input and the output share one shape (no broadcasting).
        return super().infer_shape(p, *shapes)

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))

    def forward(self, xp, p, *arrays, out=None):
        # Accumulate in a fresh array: ``out`` may be one of the inputs.
        total = arrays[0].copy() if len(arrays) == 1 else xp.add(arrays[0], arrays[1])
        for array in arrays[2:]:
            xp.add(total, array, out=total)
        if out is None:
            return total
        xp.copyto(out, total)
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        return (dy[0],) * len(inputs)


@register("smooth_l1")
class SmoothL1(Op):
    """Apply the smooth L1 function with ``sigma = scalar`` element by element:
    ``0.5 * (sigma * x) ** 2`` where ``|x| <= 1 / sigma ** 2``, else ``|x| - 0.5 / sigma ** 2``.

    As in MXNet, sigma is cast to the data's dtype first (int data: ``scalar=0.5`` is 0,
    which makes every value 0) and integer results truncate toward zero.

    >>> mx.nd.smooth_l1(mx.nd.array([-2, 0.5, 3]), scalar=1)
    <BLANKLINE>
    [1.5   0.125 2.5  ]
    <NDArray 3 @cpu(0)>
    """

    params = Params(scalar=Float(1.0, doc="sigma: where the function turns from square to linear"))
    saves = ("data",)

    def forward(self, xp, p, data, out=None):
        sigma = cast_scalar(data.dtype, p.scalar)
        # Integers and float16 compute in floating point (as MXNet's float literals make
        # them) and round back once.
        wide = data if data.dtype.kind == "f" and data.dtype.itemsize >= 4 else None
        values = wide if wide is not None else data.astype(np.float64)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            square = values.dtype.type(float(sigma) ** 2)
            magnitude = xp.abs(values)
            result = xp.where(
                magnitude > 1 / square,
                magnitude - 0.5 / square,
                0.5 * square * values * values,
            ).astype(values.dtype, copy=False)
            if wide is None:
                if data.dtype.kind in "iub":
                    result = result.astype(np.int64)
                result = result.astype(data.dtype)
        if out is None:
            return result
        xp.copyto(out, result, casting="unsafe")
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        square = p.scalar**2
        threshold = 1 / square if square else float("inf")
        inside = F._lesser_equal_scalar(F.abs(x), scalar=threshold)
        slope = F.broadcast_add(
            F._mul_scalar(F.broadcast_mul(inside, x), scalar=square),
            F.broadcast_mul(F._rminus_scalar(inside, scalar=1), F.sign(x)),
        )
        return (F.broadcast_mul(dy[0], slope),)


# MXNet 1.9.1's elementwise logical operators and their scalar forms (with its aliases
# _Logical_And, _LogicalAndScalar), which broadcast_logical_* in neomx.ops.elemwise complete.
for _name, _kernel in _COMPARE[6:]:
    _binary(f"_{_name}", _kernel, None, ("_" + _name.title(),), broadcasts=False, base=_Compare)
    _scalar_op(
        f"_{_name}_scalar",
        _kernel,
        None,
        ("_" + _name.title().replace("_", "") + "Scalar",),
        compares=True,
    )


@register("_identity_with_attr_like_rhs")
class IdentityWithAttrLikeRhs(Op):
    """Return ``lhs`` unchanged; ``rhs`` (same shape and dtype) only lends its attributes.

    MXNet's gradient pass uses it to give a zero gradient ``rhs``'s storage type. No gradient
    flows to ``rhs``.
    """

    inputs = ("lhs", "rhs")
    saves = ()

    def forward(self, xp, p, lhs, rhs, out=None):
        if out is None:
            return lhs.copy()
        xp.copyto(out, lhs)
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        return dy[0], None
