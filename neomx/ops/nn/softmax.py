"""softmax, log_softmax and softmin (with temperature, output dtype and a length mask), the
legacy SoftmaxActivation, and their backward operators.

The forward kernels follow MXNet 1.9.1: float16 is computed in float32, float32 and float64 in
their own precision, and the result is cast to ``dtype``. Positions at or beyond a row's
``length`` are 0 (for log_softmax too, as MXNet writes them).

Speed: the gradient is one fused backward operator per function (``_backward_softmax``,
...), itself differentiable, rather than four elementwise operators, and on the CPU the
forward along the last axis avoids NumPy's slow row broadcasts where it can (see
``_softmax_last_axis``). benchmarks/nn_ops.py measures it against PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ...base import MXNetError, MXNetTypeError, MXNetValueError
from ..infer import is_known, normalize_axis, shape_str, unify_dtype
from ..kernels import along_rows
from ..params import Bool, DType, Enum, Float, Int, Params
from ..registry import Op, register
from .activation import buffer_for, deliver, refuse_integers, widened

# The CPU path keeps its result only if every row's largest term exp(x - shift) is at least
# exp(-20): then no row's result depends on values that underflowed (see _softmax_last_axis).
_SMALLEST_ROW_MAX = math.exp(-20.0)
# Above this row sum the CPU path shifts by the global maximum: exp may have overflowed, and
# the reciprocal of the sum would lose precision as a float32 subnormal (below 1.2e-38).
_LARGEST_ROW_SUM = 1e30
_LENGTH_DTYPES = ("int32", "int64")


def _softmax_params():
    return Params(
        axis=Int(-1, doc="The axis along which to compute softmax."),
        temperature=Float(None, doc="Temperature parameter in softmax"),
        dtype=DType(
            None,
            choices=("float16", "float32", "float64"),
            doc="DType of the output; defaults to the input's dtype.",
        ),
        use_length=Bool(
            False, optional=True, doc="Whether to use the length input as a mask over the data."
        ),
    )


# ---- kernels ----------------------------------------------------------------------------------


def _softmax_exact(xp, x, axis, out):
    """Softmax along ``axis``: exp(x - max) / sum, MXNet's algorithm."""
    with np.errstate(invalid="ignore"):
        shifted = xp.subtract(x, x.max(axis=axis, keepdims=True), out=out)
        xp.exp(shifted, out=shifted)
        return xp.divide(shifted, shifted.sum(axis=axis, keepdims=True), out=shifted)


def _softmax_last_axis(x, out):
    """Softmax of a NumPy array along its last axis, or None where this shortcut does not apply.

    NumPy broadcasts a (rows, 1) operand slowly, so instead of subtracting each row's maximum
    this takes exp of the data as it is, sums the rows with ``einsum`` (as fast as a BLAS
    matrix-vector product, but single-threaded: BLAS threads stall behind other processes on
    a busy machine) and scales each row by its reciprocal sum in one row loop
    (``along_rows``). Softmax is
    invariant to a shift; only when a sum is huge (or exp overflowed) it shifts by the global
    maximum instead. The result is kept only when every row's largest term is at least
    exp(-20) (checked on the sums: a row sum is at most ``n`` times its largest term). Then the
    only terms that lose precision to underflow (exp below -87 in float32) weigh less than
    exp(-67) of their row's sum: results under 1e-29 may lose relative precision, no others
    change. Otherwise (NaN, infinities, rows far below the maximum) the exact path runs.
    """
    size = x.shape[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        terms = np.exp(x, out=out)
        sums = np.einsum("ij->i", terms.reshape(-1, size))
    if not sums.max() <= _LARGEST_ROW_SUM:
        top = float(x.max())
        if not math.isfinite(top):
            return None
        terms = np.subtract(x, x.dtype.type(top), out=terms)
        np.exp(terms, out=terms)
        sums = np.einsum("ij->i", terms.reshape(-1, size))
    if not sums.min() >= size * _SMALLEST_ROW_MAX:
        return None
    scales = np.divide(1.0, sums, out=sums).reshape(terms.shape[:-1] + (1,))
    return along_rows(np, np.multiply, terms, scales, terms)


def softmax(xp, x, axis, out=None):
    """Softmax of floating ``x`` along ``axis`` (into ``out`` of x's dtype, when given)."""
    if x.size == 0:
        return xp.empty_like(x) if out is None else out
    if xp is np and axis == x.ndim - 1:
        # The shortcut may fall back to the exact path, which reads x again.
        target = None if out is not None and np.may_share_memory(out, x) else out
        result = _softmax_last_axis(x, target)
        if result is not None:
            return result
    return _softmax_exact(xp, x, axis, out)


def log_softmax(xp, x, axis, out=None):
    """``x - max - log(sum(exp(x - max)))`` along ``axis``."""
    if x.size == 0:
        return xp.empty_like(x) if out is None else out
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = xp.subtract(x, x.max(axis=axis, keepdims=True), out=out)
        log_total = xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        return xp.subtract(shifted, log_total, out=shifted)


def valid_positions(xp, length, axis, shape):
    """A boolean array (broadcasting to ``shape``): True at positions before ``length`` along
    ``axis``. Lengths are clipped to [0, size] (MXNet reads past the row beyond it)."""
    size = shape[axis]
    positions = xp.arange(size).reshape((size,) + (1,) * (len(shape) - 1 - axis))
    limits = xp.expand_dims(xp.clip(length, 0, size), axis)
    return positions < limits


def changed_params(params, p):
    """The values of ``p`` that differ from the defaults of ``params``, to call another operator
    with the same parameters (unchanged ones need no parsing there)."""
    return {
        name: value for name, value in zip(params.names, p) if value != params.fields[name].default
    }


def _row_dot(xp, a, b, axis):
    """``sum(a * b, axis, keepdims=True)``; along the last axis by matmul (no temporary)."""
    if axis == a.ndim - 1:
        return xp.matmul(a[..., None, :], b[..., :, None])[..., 0]
    return (a * b).sum(axis=axis, keepdims=True)


# ---- softmax, log_softmax, softmin ------------------------------------------------------------


class _Softmax(Op):
    """The three functions differ in ``kind``: softmax, log_softmax or softmin (softmax of
    ``-data``)."""

    kind = "softmax"
    inputs = ("data", "length")
    params = _softmax_params()
    saves = ("length", "outputs")

    def arguments(self, p):
        return self.inputs if p.use_length else ("data",)

    def infer_shape(self, p, data, length=None):
        if length is not None and not p.use_length:
            raise MXNetValueError(
                f"{self.name}: got a length input but use_length is False; pass "
                "use_length=True to mask by length"
            )
        if not is_known(data):
            return None
        axis = normalize_axis(self.name, p.axis, len(data))
        if not p.use_length:
            return (data,), (data,)
        expected = tuple(data[:axis]) + tuple(data[axis + 1 :])
        if length is not None and tuple(length) != expected and is_known(length):
            raise MXNetValueError(
                f"{self.name}: length has shape {shape_str(length)}; expected "
                f"{shape_str(expected)} (data {shape_str(data)} without axis {axis})"
            )
        return (data, expected), (data,)

    def infer_type(self, p, data, length=None):
        refuse_integers(self.name, data)
        if length is not None and np.dtype(length).name not in _LENGTH_DTYPES:
            raise MXNetTypeError(
                f"{self.name}: length must be int32 or int64, got {np.dtype(length).name}"
            )
        if data is None:
            return None
        out = np.dtype(p.dtype) if p.dtype is not None else data
        return ((data, length) if p.use_length else (data,)), (out,)

    def _scaled(self, xp, data, p):
        """The data in the compute precision, divided by the temperature (negated: softmin)."""
        x = widened(data)
        divisor = 1.0 if p.temperature is None else p.temperature
        if self.kind == "softmin":
            divisor = -divisor
        if divisor == 1.0:
            return x
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.divide(x, x.dtype.type(divisor))

    def forward(self, xp, p, data, length=None, out=None):
        axis = p.axis % data.ndim
        x = self._scaled(xp, data, p)
        target = buffer_for(out, x)
        dtype = np.dtype(p.dtype) if p.dtype is not None else data.dtype
        kernel = log_softmax if self.kind == "log_softmax" else softmax
        if length is None:
            return deliver(xp, kernel(xp, x, axis, target), out, dtype)
        valid = valid_positions(xp, length, axis, x.shape)
        masked = xp.where(valid, x, x.dtype.type(-np.inf))
        with np.errstate(invalid="ignore"):
            result = xp.where(valid, kernel(xp, masked, axis), 0)
        return deliver(xp, result, out, dtype)

    def gradient(self, p, F, inputs, outputs, dy):
        backward = getattr(F, f"_backward_{self.kind}")
        extra = (inputs[1],) if p.use_length else ()
        grad = backward(dy[0], outputs[0], *extra, **changed_params(self.params, p))
        data = inputs[0]
        if grad.dtype != data.dtype:
            grad = F.Cast(grad, dtype=np.dtype(data.dtype).name)
        return (grad,) + (None,) * len(extra)


@register("softmax", aliases=("_npx_softmax",))
class Softmax(_Softmax):
    """Return ``exp(x / T) / sum(exp(x / T))`` along ``axis`` (``T``: temperature, 1 by
    default).

    With ``use_length=True`` a second input ``length`` (int32 or int64, the data's shape
    without ``axis``) limits each row; positions beyond it are 0.

    >>> mx.nd.softmax(mx.nd.array([[1.0, 1.0]]))
    <BLANKLINE>
    [[0.5 0.5]]
    <NDArray 1x2 @cpu(0)>
    """


@register("log_softmax", aliases=("_npx_log_softmax",))
class LogSoftmax(_Softmax):
    """Return the logarithm of softmax along ``axis``, computed stably as
    ``x / T - logsumexp(x / T)``.

    With ``use_length=True`` a second input ``length`` limits each row (positions beyond it
    are 0). MXNet 1.9.1 declares ``use_length`` here but fails when it is set; neomx takes the
    length input as softmax does.

    >>> mx.nd.log_softmax(mx.nd.array([[0.0, 0.0]]))
    <BLANKLINE>
    [[-0.6931472 -0.6931472]]
    <NDArray 1x2 @cpu(0)>
    """

    kind = "log_softmax"


@register("softmin")
class Softmin(_Softmax):
    """Return the softmax of ``-x / T`` along ``axis``: the smallest values get the largest
    weights.

    With ``use_length=True`` a second input ``length`` limits each row, as for softmax
    (MXNet 1.9.1 fails when it is set).

    >>> mx.nd.softmin(mx.nd.array([[0.0, 0.0]]))
    <BLANKLINE>
    [[0.5 0.5]]
    <NDArray 1x2 @cpu(0)>
    """

    kind = "softmin"


# ---- backward operators -------------------------------------------------------------------------


class _SoftmaxBackward(Op):
    """The input gradient of softmax, log_softmax or softmin (``kind``) from the output gradient
    ``ograd`` and the forward ``output``, in their dtype; the forward's parameters.

    For softmax ``T * grad = y * (ograd - sum(ograd * y))`` (softmin: negated), for log_softmax
    ``T * grad = ograd - exp(y) * sum(ograd)``; sums along ``axis`` over valid positions.
    """

    kind = "softmax"
    inputs = ("ograd", "output", "length")
    params = _softmax_params()

    def arguments(self, p):
        return self.inputs if p.use_length else ("ograd", "output")

    def infer_shape(self, p, ograd, output, length=None):
        shape = ograd if ograd is not None else output
        if shape is None or not is_known(shape):
            return None
        axis = normalize_axis(self.name, p.axis, len(shape))
        if not p.use_length:
            return (shape, shape), (shape,)
        return (shape, shape, tuple(shape[:axis]) + tuple(shape[axis + 1 :])), (shape,)

    def infer_type(self, p, ograd, output, length=None):
        dtype = unify_dtype(self.name, ("ograd", "output"), (ograd, output))
        refuse_integers(self.name, dtype)
        if dtype is None:
            return None
        return ((dtype, dtype, length) if p.use_length else (dtype, dtype)), (dtype,)

    def _scale(self, p):
        scale = 1.0 if p.temperature is None else 1.0 / p.temperature
        return -scale if self.kind == "softmin" else scale

    def forward(self, xp, p, ograd, output, length=None, out=None):
        axis = p.axis % ograd.ndim
        dy, y = widened(ograd), widened(output)
        valid = None if length is None else valid_positions(xp, length, axis, dy.shape)
        if valid is not None:
            dy = xp.where(valid, dy, 0)
        target = buffer_for(out, dy)
        if self.kind == "log_softmax":
            grad = xp.exp(y, out=target)
            grad *= dy.sum(axis=axis, keepdims=True)
            grad = xp.subtract(dy, grad, out=grad)
        else:
            dots = _row_dot(xp, dy, y, axis)
            if axis == dy.ndim - 1:
                grad = along_rows(xp, xp.subtract, dy, dots, target)
            else:
                grad = xp.subtract(dy, dots, out=target)
            grad *= y
        scale = self._scale(p)
        if scale != 1.0:
            grad *= grad.dtype.type(scale)
        if valid is not None:
            grad = xp.where(valid, grad, 0)
        return deliver(xp, grad, out, ograd.dtype)

    def gradient(self, p, F, inputs, outputs, dy):
        if p.use_length:
            raise MXNetError(
                f"{self.name}: second-order gradients with use_length=True are not supported"
            )
        ograd, y = inputs[:2]
        head = dy[0]
        scale, axis = self._scale(p), p.axis

        def total(array):
            return F.sum(array, axis=axis, keepdims=True)

        if self.kind == "log_softmax":
            weighted = F.broadcast_mul(head, F.exp(y))
            d_ograd = F._mul_scalar(F.broadcast_sub(head, total(weighted)), scalar=scale)
            d_y = F.broadcast_mul(weighted, total(ograd))
            return d_ograd, F._mul_scalar(d_y, scalar=-scale)
        # The softmax Jacobian is symmetric, so the ograd part is this operator again.
        d_ograd = getattr(F, self.name)(head, y, **changed_params(self.params, p))
        d_y = F.broadcast_sub(
            F.broadcast_mul(head, F.broadcast_sub(ograd, total(F.broadcast_mul(ograd, y)))),
            F.broadcast_mul(ograd, total(F.broadcast_mul(head, y))),
        )
        return d_ograd, F._mul_scalar(d_y, scalar=scale)


@register("_backward_softmax")
class SoftmaxBackward(_SoftmaxBackward):
    __doc__ = _SoftmaxBackward.__doc__


@register("_backward_log_softmax")
class LogSoftmaxBackward(_SoftmaxBackward):
    __doc__ = _SoftmaxBackward.__doc__
    kind = "log_softmax"


@register("_backward_softmin")
class SoftminBackward(_SoftmaxBackward):
    __doc__ = _SoftmaxBackward.__doc__
    kind = "softmin"


# ---- SoftmaxActivation ------------------------------------------------------------------------


@register("SoftmaxActivation")
class SoftmaxActivation(Op):
    """Apply softmax (deprecated in MXNet in favour of ``softmax``).

    ``mode='instance'``: along the last axis (MXNet 1.9.1 flattens to (rows, last axis));
    ``mode='channel'``: along axis 1, for data of 3 or more dimensions.

    MXNet 1.9.1's backward reduces along axis 1 in both modes, which for instance mode on
    data of 3 or more dimensions is not the gradient of its forward; neomx gives the true
    gradient.

    >>> mx.nd.SoftmaxActivation(mx.nd.array([[1.0, 1.0]]))
    <BLANKLINE>
    [[0.5 0.5]]
    <NDArray 1x2 @cpu(0)>
    """

    params = Params(
        mode=Enum(
            ("channel", "instance"),
            "instance",
            doc="instance: softmax over each instance's last axis; channel: across channels.",
        )
    )
    saves = ("outputs",)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if p.mode == "channel" and len(data) < 3:
            raise MXNetValueError(
                f"{self.name}: mode='channel' needs data of at least 3 dimensions, got shape "
                f"{shape_str(data)}"
            )
        return (data,), (data,)

    def infer_type(self, p, dtype):
        refuse_integers(self.name, dtype)
        return (dtype,), (dtype,)

    def _axis(self, p, ndim):
        return 1 if p.mode == "channel" else ndim - 1

    def forward(self, xp, p, data, out=None):
        x = widened(data)
        target = buffer_for(out, x)
        return deliver(xp, softmax(xp, x, self._axis(p, data.ndim), target), out, data.dtype)

    def gradient(self, p, F, inputs, outputs, dy):
        axis = self._axis(p, len(outputs[0].shape))
        return (F._backward_softmax(dy[0], outputs[0], axis=axis),)
