"""Operators over lists of arrays that optimizers and mixed-precision training use:
``multi_sum_sq``, ``multi_lars``, ``all_finite``, ``multi_all_finite`` and ``reset_arrays``."""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .kernels import into
from .params import Bool, Float, Int, Params
from .registry import Op, register

_FLOAT32 = np.dtype(np.float32)


class _ArrayList(Op):
    """An operator on ``num_arrays`` arrays named array_0, array_1, ... (MXNet's names)."""

    variadic = True
    params = Params(num_arrays=Int(min=1))

    def arguments(self, p):
        return tuple(f"array_{i}" for i in range(p.num_arrays))

    def check_count(self, p, shapes):
        if len(shapes) != p.num_arrays:
            raise MXNetValueError(
                f"{self.name}: num_arrays={p.num_arrays}, but {len(shapes)} arrays were given"
            )

    def infer_type(self, p, *dtypes):
        # MXNet 1.9.1 wants one dtype for all; neomx takes mixed lists (float16 and float32
        # gradients under AMP): each array is handled in its own dtype.
        for name, dtype in zip(self.arguments(p), dtypes):
            _check_float(self.name, name, dtype)
        return dtypes, (_FLOAT32,) * self.num_outputs(p)


@register("multi_sum_sq")
class MultiSumSq(_ArrayList):
    """Return the sum of squares of each array, as a float32 vector of length num_arrays.

    As in MXNet, the squares are taken in the arrays' dtype (float16 squares above 65504
    overflow to inf) and summed in float32 or wider.

    >>> mx.nd.multi_sum_sq(mx.nd.array([1, 2]), mx.nd.array([3]), num_arrays=2)
    <BLANKLINE>
    [5. 9.]
    <NDArray 2 @cpu(0)>
    """

    differentiable = False

    def infer_shape(self, p, *shapes):
        self.check_count(p, shapes)
        return shapes, ((p.num_arrays,),)

    def forward(self, xp, p, *arrays, out=None):
        result = xp.empty(len(arrays), dtype=_FLOAT32) if out is None else out
        for i, array in enumerate(arrays):
            wide = np.promote_types(array.dtype, _FLOAT32)
            with np.errstate(over="ignore"):
                result[i] = xp.sum(xp.square(array), dtype=wide)
        return result


def _flag(xp, arrays, init_output, out):
    """The all-finite flag (float32, shape (1,)): 1 if every value of every array is finite.

    With ``init_output=False`` the flag is only lowered, never raised, so ``out`` can carry
    it across calls (MXNet's use: one flag over many gradient lists).
    """
    finite = all(bool(xp.isfinite(array).all()) for array in arrays)
    if out is None:
        return xp.full(1, 1.0 if finite else 0.0, dtype=_FLOAT32)
    if init_output:
        out.fill(1.0)
    if not finite:
        out.fill(0.0)
    return out


@register("all_finite")
class AllFinite(Op):
    """Return [1.] if every value of ``data`` is finite, else [0.] (float32, shape (1,)).

    With ``init_output=False`` the output is only written when a non-finite value is found:
    pass ``out=`` holding the flag of earlier calls to combine them.

    >>> mx.nd.all_finite(mx.nd.array([1, float('inf')]))
    <BLANKLINE>
    [0.]
    <NDArray 1 @cpu(0)>
    """

    params = Params(
        init_output=Bool(True, doc="Set the output to 1 before checking (else only lower it).")
    )
    differentiable = False

    def infer_shape(self, p, data):
        return (data,), ((1,),)

    def infer_type(self, p, data):
        _check_float(self.name, "data", data)
        return (data,), (_FLOAT32,)

    def forward(self, xp, p, data, out=None):
        return _flag(xp, (data,), p.init_output, out)


@register("multi_all_finite")
class MultiAllFinite(_ArrayList):
    """Return [1.] if every value of every array is finite, else [0.] (float32, shape (1,)).

    ``init_output`` is as in ``all_finite``.
    """

    params = Params(num_arrays=Int(1, min=1), init_output=Bool(True))
    differentiable = False

    def infer_shape(self, p, *shapes):
        self.check_count(p, shapes)
        return shapes, ((1,),)

    def forward(self, xp, p, *arrays, out=None):
        return _flag(xp, arrays, p.init_output, out)


def _check_float(op_name, name, dtype):
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise MXNetTypeError(
            f"{op_name}: {name} has dtype {np.dtype(dtype).name}; only floating-point arrays "
            "can be checked for finite values"
        )


@register("multi_lars")
class MultiLars(Op):
    """Scale learning rates by their LARS trust ratios.

    From each weight's and gradient's sum of squares, ``lrs * eta * |w| / (|g| * rescale_grad
    + wds * |w| + eps)`` with ``|w| = sqrt(weights_sum_sq)`` and ``|g| =
    sqrt(grads_sum_sq)``; a learning rate whose ``|w|`` or ``|g|`` is 0 stays as it is. All
    inputs share one shape.

    >>> mx.nd.multi_lars(mx.nd.array([0.1]), mx.nd.array([4.]), mx.nd.array([1.]),
    ...                  mx.nd.array([0.]), eta=0.5, eps=0.)
    <BLANKLINE>
    [0.1]
    <NDArray 1 @cpu(0)>
    """

    inputs = ("lrs", "weights_sum_sq", "grads_sum_sq", "wds")
    params = Params(eta=Float(), eps=Float(), rescale_grad=Float(1.0))
    differentiable = False

    def infer_type(self, p, *dtypes):
        for name, dtype in zip(self.inputs, dtypes):
            _check_float(self.name, name, dtype)
        return super().infer_type(p, *dtypes)

    def forward(self, xp, p, lrs, weights_sum_sq, grads_sum_sq, wds, out=None):
        weight_norm = xp.sqrt(weights_sum_sq)
        grad_norm = xp.sqrt(grads_sum_sq)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = p.eta * weight_norm / (grad_norm * p.rescale_grad + wds * weight_norm + p.eps)
        scaled = xp.where((weight_norm > 0) & (grad_norm > 0), lrs * ratio, lrs)
        return into(xp, scaled.astype(lrs.dtype, copy=False), out)


@register("reset_arrays")
class ResetArrays(_ArrayList):
    """Set every value of the given arrays to zero, in place; return nothing (an empty list).

    >>> grads = [mx.nd.ones((2,)), mx.nd.ones((3,))]
    >>> mx.nd.reset_arrays(*grads, num_arrays=2)
    []
    >>> grads[1]
    <BLANKLINE>
    [0. 0. 0.]
    <NDArray 3 @cpu(0)>
    """

    differentiable = False
    # Every input is written; their names depend on num_arrays, so mutated_inputs says which
    # per call ("data" is MXNet's name for the list).
    mutates = ("data",)

    def mutated_inputs(self, p):
        return tuple(range(p.num_arrays))

    def num_outputs(self, p):
        return 0

    def infer_shape(self, p, *shapes):
        self.check_count(p, shapes)
        return shapes, ()

    def infer_type(self, p, *dtypes):
        return dtypes, ()

    def forward(self, xp, p, *arrays, out=None):
        for array in arrays:
            array.fill(0)
        return ()
