"""Activation layers: ``Activation`` (relu, sigmoid, tanh, softrelu, softsign) and ``LeakyReLU``
(leaky, prelu, elu, selu, gelu, rrelu).

Both refuse integer data, as MXNet 1.9.1 does ("only support floating point types"); float16
is computed in float32 and rounded once. Gradients are written with registered operators, so
they differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

from ...base import MXNetTypeError, MXNetValueError
from .. import special
from ..infer import is_known, shape_str, unify_dtype
from ..kernels import into
from ..params import Enum, Float, Params
from ..registry import Op, lookup, register

# SELU's constants (Klambauer et al., 2017), as MXNet 1.9.1 uses them.
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# MXNet's softrelu returns x itself above this (log1p(exp(x)) equals x there in float32).
_SOFTRELU_LINEAR = 20.0


def refuse_integers(op_name, dtype):
    """Raise unless ``dtype`` (or None: unknown yet) is a floating-point type."""
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise MXNetTypeError(
            f"{op_name}: supports only floating-point data, got {np.dtype(dtype).name}"
        )


def widened(data):
    """``data`` as the type to compute in: float16 is computed in float32."""
    return data.astype(np.float32) if data.dtype == np.float16 else data


def buffer_for(out, like):
    """``out`` when a kernel may compute into it directly (same dtype as ``like``, and
    contiguous, so that reshaped views of it stay views), else None."""
    if out is None or out.dtype != like.dtype or not out.flags.c_contiguous:
        return None
    return out


def deliver(xp, result, out, dtype):
    """``result`` as the output of ``dtype``: itself when it is ``out`` or fresh and of that
    dtype, else cast into ``out`` or a new array."""
    if out is None:
        return result.astype(dtype, copy=False)
    if result is not out:
        xp.copyto(out, result, casting="unsafe")
    return out


def _mul_scalar(F, array, scalar):
    return F._mul_scalar(array, scalar=scalar)


def _positive(F, x):
    """1 where ``x > 0``, else 0 (in ``x``'s dtype)."""
    return F._greater_scalar(x, scalar=0.0)


# ---- Activation -------------------------------------------------------------------------------


def _softrelu(xp, x):
    with np.errstate(over="ignore"):
        smooth = xp.log1p(xp.exp(xp.minimum(x, _SOFTRELU_LINEAR)))
    return xp.where(x > _SOFTRELU_LINEAR, x, smooth)


@register("Activation", aliases=("_npx_activation",))
class Activation(Op):
    """Apply an activation function element by element.

    ``relu``: ``max(x, 0)``; ``sigmoid``: ``1 / (1 + exp(-x))``; ``tanh``; ``softrelu``:
    ``log(1 + exp(x))`` (``x`` itself above 20, as MXNet); ``softsign``: ``x / (1 + |x|)``.

    >>> mx.nd.Activation(mx.nd.array([-1.0, 2.0]), act_type='relu')
    <BLANKLINE>
    [0. 2.]
    <NDArray 2 @cpu(0)>
    """

    params = Params(
        act_type=Enum(
            ("relu", "sigmoid", "softrelu", "softsign", "tanh"),
            doc="Activation function to be applied.",
        )
    )
    saves = ("data", "outputs")
    inplace = (0,)

    def infer_type(self, p, dtype):
        refuse_integers(self.name, dtype)
        return (dtype,), (dtype,)

    def forward(self, xp, p, data, out=None):
        if p.act_type != "softrelu":
            # The unary operator of that name computes it (float16 via float32 included).
            return lookup(p.act_type).forward(xp, (), data, out=out)
        return deliver(xp, _softrelu(xp, widened(data)), out, data.dtype)

    def direct_kernel(self, xp):
        forward = self.forward
        return lambda p, data: forward(xp, p, data)

    def gradient(self, p, F, inputs, outputs, dy):
        if p.act_type == "softrelu":
            return (F.broadcast_mul(dy[0], F.sigmoid(inputs[0])),)
        return lookup(p.act_type).gradient((), F, inputs, outputs, dy)


# ---- LeakyReLU --------------------------------------------------------------------------------


def gamma_view_shape(op_name, gamma, data):
    """The shape that ``gamma`` takes to broadcast against ``data`` in prelu, as MXNet does:
    gamma's axes align from the right with data's axes 0 and 1 only (where sizes agree or
    gamma's is 1); data's other axes get 1. A (C,) gamma for (N, C, H, W) data is (1, C, 1, 1).
    """
    view = [1] * len(data)
    remaining = len(gamma) - 1
    for axis in range(len(data) - 1, -1, -1):
        if remaining >= 0 and axis <= 1 and gamma[remaining] in (data[axis], 1):
            view[axis] = gamma[remaining]
            remaining -= 1
    if remaining != -1:
        raise MXNetValueError(
            f"{op_name}: gamma of shape {shape_str(gamma)} does not broadcast to data of shape "
            f"{shape_str(data)}; prelu's gamma has one slope per channel (axis 1), e.g. "
            f"{shape_str(data[1:2])}, or a single slope (1,)"
        )
    return tuple(view)


def _elu(xp, x, alpha):
    """``x`` where positive, else ``alpha * (exp(x) - 1)``; exp is taken of ``min(x, 0)`` so
    large positive values do not overflow."""
    negative_part = xp.expm1(xp.minimum(x, 0))
    negative_part *= x.dtype.type(alpha)
    return negative_part + xp.maximum(x, 0)


def _gelu(xp, x):
    cdf = special.erf(xp, x.astype(np.float64) * _SQRT_HALF)
    cdf += 1.0
    cdf *= 0.5
    return (cdf * x).astype(x.dtype, copy=False)


@register("LeakyReLU", aliases=("_npx_leaky_relu",))
class LeakyReLU(Op):
    """Apply a leaky rectifier or one of its relatives element by element.

    - ``leaky``: ``x`` if ``x > 0`` else ``slope * x``;
    - ``prelu``: as leaky, with learnt slopes ``gamma`` (one per channel, axis 1, or one in
      all), which get a gradient;
    - ``elu``: ``x`` if ``x > 0`` else ``slope * (exp(x) - 1)``;
    - ``selu``: ``1.0507 * elu(x)`` with ``slope = 1.6733``;
    - ``gelu``: ``x * Phi(x)``, Phi the standard normal distribution function (exact, via erf);
    - ``rrelu``: as leaky with a random slope drawn uniformly from
      ``[lower_bound, upper_bound]`` per element while training; otherwise the mean slope.
      A second output, ``mask``, holds the slopes used. (MXNet 1.9.1 leaves the mask
      unwritten outside training and fails on the CPU in training; neomx fills it.)

    >>> mx.nd.LeakyReLU(mx.nd.array([-2.0, 3.0]), act_type='leaky', slope=0.1)
    <BLANKLINE>
    [-0.2  3. ]
    <NDArray 2 @cpu(0)>
    """

    inputs = ("data", "gamma")
    params = Params(
        act_type=Enum(
            ("elu", "gelu", "leaky", "prelu", "rrelu", "selu"),
            "leaky",
            doc="Activation function to be applied.",
        ),
        slope=Float(0.25, doc="Init slope for the activation. (For leaky and elu only)"),
        lower_bound=Float(0.125, doc="Lower bound of random slope. (For rrelu only)"),
        upper_bound=Float(0.334, doc="Upper bound of random slope. (For rrelu only)"),
    )
    runtime = ("is_train", "rng")
    saves = ("data", "gamma", "outputs")

    def arguments(self, p):
        return self.inputs if p.act_type == "prelu" else ("data",)

    def num_outputs(self, p):
        return 2 if p.act_type == "rrelu" else 1

    def output_names(self, p):
        return ("output", "mask") if p.act_type == "rrelu" else ("output",)

    def infer_shape(self, p, data, gamma=None):
        if not is_known(data):
            return None
        outputs = (data,) * self.num_outputs(p)
        if p.act_type != "prelu":
            return (data,), outputs
        if gamma is None or not is_known(gamma):
            if len(data) < 2:
                raise MXNetValueError(
                    f"{self.name}: prelu cannot infer gamma's shape from data of shape "
                    f"{shape_str(data)}: it needs a channel axis 1; pass gamma explicitly"
                )
            gamma = (data[1],)
        gamma_view_shape(self.name, gamma, data)
        return (data, gamma), outputs

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        refuse_integers(self.name, dtype)
        if dtype is None:
            return None
        return (dtype,) * len(dtypes), (dtype,) * self.num_outputs(p)

    def forward(self, xp, p, data, gamma=None, out=None, *, is_train=False, rng=None):
        if p.act_type == "rrelu":
            return self._rrelu(xp, p, data, out, is_train, rng)
        x = widened(data)
        slope = np.float32(p.slope)  # MXNet's float parameters are single precision
        if p.act_type == "leaky":
            # max(x, slope * x) for slope <= 1 (min above), NaN kept: one pass less than where.
            result = xp.multiply(x, x.dtype.type(slope), out=buffer_for(out, x))
            result = (xp.maximum if slope <= 1 else xp.minimum)(result, x, out=result)
        elif p.act_type == "prelu":
            view = gamma_view_shape(self.name, gamma.shape, data.shape)
            slopes = widened(gamma).reshape(view)
            result = xp.where(x > 0, x, x * slopes)
        elif p.act_type == "elu":
            result = _elu(xp, x, slope)
        elif p.act_type == "selu":
            result = _elu(xp, x, _SELU_ALPHA)
            result *= x.dtype.type(_SELU_SCALE)
        else:
            result = _gelu(xp, x)
        return deliver(xp, result, out, data.dtype)

    def _rrelu(self, xp, p, data, out, is_train, rng):
        lower, upper = np.float32(p.lower_bound), np.float32(p.upper_bound)
        if is_train:
            draw = rng.random(data.shape)
            mask = (draw * (upper - lower) + lower).astype(data.dtype)
        else:
            mask = xp.full(data.shape, (lower + upper) / 2, dtype=data.dtype)
        result = xp.where(data > 0, data, data * mask)
        out_buf, mask_buf = out if out is not None else (None, None)
        return into(xp, result, out_buf), into(xp, mask, mask_buf)

    def gradient(self, p, F, inputs, outputs, dy):
        x, head = inputs[0], dy[0]
        positive = _positive(F, x)
        if p.act_type == "leaky":
            return (F.where(positive, head, _mul_scalar(F, head, float(np.float32(p.slope)))),)
        if p.act_type == "rrelu":
            return (F.where(positive, head, F.broadcast_mul(head, outputs[1])),)
        if p.act_type == "prelu":
            return self._prelu_gradient(F, x, inputs[1], positive, head)
        if p.act_type in ("elu", "selu"):
            # On the negative side the derivative is y + alpha (times the scale for selu).
            scale = _SELU_SCALE if p.act_type == "selu" else 1.0
            alpha = _SELU_ALPHA * scale if p.act_type == "selu" else float(np.float32(p.slope))
            negative_side = F.broadcast_mul(head, F._plus_scalar(outputs[0], scalar=alpha))
            return (F.where(positive, _mul_scalar(F, head, scale), negative_side),)
        # gelu: d/dx x Phi(x) = Phi(x) + x phi(x).
        cdf = _mul_scalar(F, F._plus_scalar(F.erf(_mul_scalar(F, x, _SQRT_HALF)), scalar=1.0), 0.5)
        density = _mul_scalar(F, F.exp(_mul_scalar(F, F.square(x), -0.5)), _INV_SQRT_2PI)
        return (F.broadcast_mul(head, F.broadcast_add(cdf, F.broadcast_mul(x, density))),)

    def _prelu_gradient(self, F, x, gamma, positive, head):
        view = gamma_view_shape(self.name, gamma.shape, x.shape)
        slopes = F.reshape(gamma, shape=view)
        d_data = F.where(positive, head, F.broadcast_mul(head, slopes))
        # Each slope collects x * dy over the elements it scales (x <= 0).
        contributions = F.broadcast_mul(
            F.broadcast_mul(x, head), F._lesser_equal_scalar(x, scalar=0.0)
        )
        axes = tuple(axis for axis, size in enumerate(view) if size == 1)
        d_gamma = F.sum(contributions, axis=axes, keepdims=True) if axes else contributions
        return d_data, F.reshape(d_gamma, shape=gamma.shape)
