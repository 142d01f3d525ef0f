"""Batch normalization: BatchNorm, the deprecated BatchNorm_v1, and their shared backward kernel
(SyncBatchNorm, in sync_batch_norm.py, builds on both).

BatchNorm normalizes each channel (``axis``) by statistics over every other axis: the batch's
own while training, the running ``moving_mean``/``moving_var`` otherwise. Those two inputs are
auxiliary states (MXNet's FMutateInputs): a training-mode forward updates them in place, as
``moving = moving * momentum + batch * (1 - momentum)`` with the biased batch variance.

MXNet 1.9.1's CPU kernels update the running statistics in the *backward* pass (its cuDNN
kernels in the forward pass); neomx updates them in the forward pass, where the engine can order
the writes. The values after forward + backward are the same.

The kernels view the data as ``(pre, C, post)`` (``C`` the channel axis), so that every
per-channel reduction is one ``einsum`` and every per-channel affine map one broadcast pass.
"""

from __future__ import annotations

import numpy as np

from ...base import MXNetTypeError, MXNetValueError
from ..infer import is_known, normalize_axis, shape_str
from ..params import Bool, Float, Int, Params
from ..registry import Op, register
from .norm_common import (
    channel_sum,
    check_float,
    check_param_shape,
    finish,
    result_buffer,
    small_result,
    three_axes,
)

__all__ = ["BatchNorm", "BatchNormV1", "BatchNormBackward"]

# MXNet declares eps as a double whose default is the float 1e-3f (0.0010000000474974513).
_EPS_DEFAULT = float(np.float32(1e-3))


# ---- BatchNorm ----------------------------------------------------------------------------


@register("BatchNorm", aliases=("_npx_batch_norm",))
class BatchNorm(Op):
    """Normalize each channel of ``data`` by its mean and variance, then scale by ``gamma`` and
    shift by ``beta``.

    While training (``autograd.record()`` or an executor's ``is_train``) the statistics are the
    batch's own, over every axis except ``axis``, and ``moving_mean``/``moving_var`` are
    updated in place to ``moving * momentum + batch * (1 - momentum)`` (biased variance).
    Otherwise, or with ``use_global_stats=True``, the moving statistics normalize. With
    ``fix_gamma=True`` gamma is taken as 1 and gets a zero gradient.

    Outputs: the normalized data, then the mean and the inverse standard deviation
    ``1 / sqrt(var + eps)`` that normalized it (visible with ``output_mean_var=True``; no
    gradient flows back through them). float16 data takes float32 gamma, beta and statistics.

    >>> x = mx.nd.array([[1., 2.], [3., 6.]])
    >>> ones, zeros = mx.nd.ones(2), mx.nd.zeros(2)
    >>> mx.nd.BatchNorm(x, ones, zeros, zeros, ones, eps=0)
    <BLANKLINE>
    [[1. 2.]
     [3. 6.]]
    <NDArray 2x2 @cpu(0)>
    """

    inputs = ("data", "gamma", "beta", "moving_mean", "moving_var")
    params = Params(
        eps=Float(_EPS_DEFAULT, doc="Added to the variance before the square root."),
        momentum=Float(0.9, doc="The weight of the old value in the moving statistics."),
        fix_gamma=Bool(True, doc="Take gamma as 1 (its gradient is 0)."),
        use_global_stats=Bool(False, doc="Normalize by the moving statistics, also training."),
        output_mean_var=Bool(False, doc="Also return the mean and inverse std."),
        axis=Int(1, doc="The channel axis."),
        cudnn_off=Bool(False, doc="Accepted for compatibility (no cuDNN here)."),
        min_calib_range=Float(None, doc="Quantization calibration; unused in float."),
        max_calib_range=Float(None, doc="Quantization calibration; unused in float."),
    )
    mutates = ("moving_mean", "moving_var")
    auxiliary = ("moving_mean", "moving_var")
    runtime = ("is_train",)
    # The moving statistics stay out: a training forward rewrites them, and a layer applied
    # twice in one recorded graph must not trip autograd's in-place check.
    saves = ("data", "gamma", "outputs")
    # The second output holds the inverse std (BatchNorm) or the variance (BatchNorm_v1).
    outputs_invstd = True

    def channel_axis(self, p, ndim: int) -> int:
        return normalize_axis(self.name, p.axis, ndim)

    def epsilon(self, p) -> float:
        return p.eps

    def num_outputs(self, p):
        return 3

    def num_visible_outputs(self, p):
        return 3 if p.output_mean_var else 1

    def output_names(self, p):
        return ("output", "mean", "var")

    def infer_shape(self, p, data, gamma, beta, moving_mean, moving_var):
        if not is_known(data):
            return None
        axis = self.channel_axis(p, len(data))
        channel = (data[axis],)
        why = f"axis {axis} of data"
        params = tuple(
            check_param_shape(self.name, name, shape, channel, data, why)
            for name, shape in zip(self.inputs[1:], (gamma, beta, moving_mean, moving_var))
        )
        return (data, *params), (data, channel, channel)

    def infer_type(self, p, data, *params):
        if data is None:
            return None
        dtype = check_float(self.name, data)
        # MXNet keeps float16 layers' parameters and statistics in float32.
        param = np.dtype(np.float32) if dtype == np.float16 else dtype
        for name, given in zip(self.inputs[1:], params):
            if given is not None and np.dtype(given) != param:
                raise MXNetTypeError(
                    f"{self.name}: {name} has dtype {np.dtype(given)}; expected {param} for "
                    f"data of dtype {dtype}"
                )
        return (dtype, param, param, param, param), (dtype, param, param)

    def forward(
        self, xp, p, data, gamma, beta, moving_mean, moving_var, out=None, *, is_train=False
    ):
        out_buf, mean_buf, var_buf = (None, None, None) if out is None else out
        param = moving_mean.dtype
        x3 = three_axes(xp, data, self.channel_axis(p, data.ndim), param)
        count = x3.shape[0] * x3.shape[2]
        if data.dtype != param:
            # float16 data: x3 is a float32 copy, normalized in place.
            y3, in_out = x3, False
        else:
            y3, in_out = result_buffer(xp, out_buf, x3.shape, param)
        scale = xp.ones(x3.shape[1]) if p.fix_gamma else gamma.astype(np.float64)
        eps = self.epsilon(p)
        if is_train and not p.use_global_stats:
            if count == 0:
                raise MXNetValueError(
                    f"{self.name}: data {shape_str(data.shape)} has no elements per channel to "
                    "take batch statistics from"
                )
            mean, var = self.batch_moments(xp, p, x3, y3, count)
            invstd = 1.0 / xp.sqrt(var + eps)
            scale *= invstd
            xp.multiply(y3, scale.astype(param)[:, None], out=y3)
            xp.add(y3, beta[:, None], out=y3)
            # MXNet's momentum is a C++ float.
            momentum = float(np.float32(p.momentum))
            for state, batch in ((moving_mean, mean), (moving_var, var)):
                updated = state.astype(np.float64) * momentum + batch * (1.0 - momentum)
                xp.copyto(state, updated, casting="unsafe")
        else:
            mean = moving_mean.astype(np.float64)
            var = moving_var.astype(np.float64)
            invstd = 1.0 / xp.sqrt(var + eps)
            scale *= invstd
            shift = beta - mean * scale
            xp.multiply(x3, scale.astype(param)[:, None], out=y3)
            xp.add(y3, shift.astype(param)[:, None], out=y3)
        return (
            finish(xp, y3, data.shape, data.dtype, out_buf, in_out),
            small_result(xp, mean, param, mean_buf),
            small_result(xp, invstd if self.outputs_invstd else var, param, var_buf),
        )

    def batch_moments(self, xp, p, x3, y3, count):
        """The per-channel batch mean and biased variance (float64) of ``x3`` viewed as
        ``(pre, C, post)``; leaves ``x3 - mean`` in ``y3``."""
        mean = channel_sum(xp, x3) / count
        # Two passes, as MXNet: the variance of the centred values, kept in y3.
        xp.subtract(x3, mean.astype(y3.dtype)[:, None], out=y3)
        var = channel_sum(xp, y3, y3) / count
        return mean, var

    def gradient(self, p, F, inputs, outputs, dy):
        data, gamma = inputs[0], inputs[1]
        invstd = outputs[2]
        if not self.outputs_invstd:
            invstd = F.rsqrt(F._plus_scalar(invstd, scalar=self.epsilon(p)))
        grads = F._backward_BatchNorm(
            dy[0],
            data,
            gamma,
            outputs[1],
            invstd,
            axis=self.channel_axis(p, len(data.shape)),
            fix_gamma=p.fix_gamma,
            use_global_stats=p.use_global_stats,
        )
        return (*grads, None, None)


@register("BatchNorm_v1")
class BatchNormV1(BatchNorm):
    """Batch normalization over axis 1, MXNet's deprecated first version of ``BatchNorm``.

    As ``BatchNorm`` with ``axis=1``, except that ``eps`` is single precision and the third
    output is the variance rather than the inverse standard deviation.
    """

    params = Params(
        eps=Float(_EPS_DEFAULT, doc="Added to the variance before the square root."),
        momentum=Float(0.9, doc="The weight of the old value in the moving statistics."),
        fix_gamma=Bool(True, doc="Take gamma as 1 (its gradient is 0)."),
        use_global_stats=Bool(False, doc="Normalize by the moving statistics, also training."),
        output_mean_var=Bool(False, doc="Also return the mean and variance."),
    )
    outputs_invstd = False

    def channel_axis(self, p, ndim: int) -> int:
        if ndim < 2:
            raise MXNetValueError(
                f"{self.name}: data must have 2 or more dimensions (channels on axis 1), got {ndim}"
            )
        return 1

    def epsilon(self, p) -> float:
        # BatchNorm_v1 declares eps a C++ float.
        return float(np.float32(p.eps))


@register("_backward_BatchNorm")
class BatchNormBackward(Op):
    """The gradients of ``BatchNorm``'s data, gamma and beta, from the output gradient
    ``ograd`` and the forward's ``mean`` and ``invstd`` outputs.

    In training mode (without ``use_global_stats``) the statistics were the batch's own, so
    the data gradient also flows through them; otherwise they were constants.
    """

    inputs = ("ograd", "data", "gamma", "mean", "invstd")
    params = Params(axis=Int(1), fix_gamma=Bool(True), use_global_stats=Bool(False))
    runtime = ("is_train",)
    differentiable = False

    def num_outputs(self, p):
        return 3

    def output_names(self, p):
        return ("data_grad", "gamma_grad", "beta_grad")

    def infer_shape(self, p, ograd, data, gamma, mean, invstd):
        data = ograd if data is None else data
        if not is_known(data):
            return None
        if ograd is not None and tuple(ograd) != tuple(data):
            raise MXNetValueError(
                f"{self.name}: ograd has shape {shape_str(ograd)}; expected {shape_str(data)} "
                "(the shape of data)"
            )
        axis = normalize_axis(self.name, p.axis, len(data))
        channel = (data[axis],)
        why = f"axis {axis} of data"
        params = tuple(
            check_param_shape(self.name, name, shape, channel, data, why)
            for name, shape in zip(self.inputs[2:], (gamma, mean, invstd))
        )
        return (data, data, *params), (data, channel, channel)

    def infer_type(self, p, ograd, data, *params):
        dtype = data if data is not None else ograd
        if dtype is None:
            return None
        dtype = check_float(self.name, dtype)
        param = np.dtype(np.float32) if dtype == np.float16 else dtype
        wanted = (dtype, dtype, param, param, param)
        for name, given, want in zip(self.inputs, (ograd, data, *params), wanted):
            if given is not None and np.dtype(given) != want:
                raise MXNetTypeError(
                    f"{self.name}: {name} has dtype {np.dtype(given)}; expected {want} for "
                    f"data of dtype {dtype}"
                )
        return (dtype, dtype, param, param, param), (dtype, param, param)

    def forward(self, xp, p, ograd, data, gamma, mean, invstd, out=None, *, is_train=False):
        dx_buf, dgamma_buf, dbeta_buf = (None, None, None) if out is None else out
        param = mean.dtype
        axis = p.axis % data.ndim
        dy3 = three_axes(xp, ograd, axis, param)
        x3 = three_axes(xp, data, axis, param)
        count = x3.shape[0] * x3.shape[2]
        mean = mean.astype(np.float64)
        invstd = invstd.astype(np.float64)
        # sum(dy * xhat) = (sum(dy * x) - mean * sum(dy)) * invstd: no centred copy of x.
        dbeta = channel_sum(xp, dy3)
        dgamma = (channel_sum(xp, dy3, x3) - mean * dbeta) * invstd
        scale = invstd if p.fix_gamma else gamma.astype(np.float64) * invstd
        if ograd.dtype != param:
            dx3, in_out = xp.empty(x3.shape, param), False
        else:
            dx3, in_out = result_buffer(xp, dx_buf, x3.shape, param)
        if is_train and not p.use_global_stats and count > 0:
            sum_dy, sum_dy_xhat = self.batch_sums(xp, p, dbeta, dgamma)
            # dx = scale * (dy - sum_dy / n - xhat * sum_dy_xhat / n), with the x terms folded
            # into one per-channel affine map of x: four passes, no temporary.
            slope = -invstd * sum_dy_xhat / count
            offset = -sum_dy / count - slope * mean
            xp.multiply(x3, slope.astype(param)[:, None], out=dx3)
            xp.add(dx3, offset.astype(param)[:, None], out=dx3)
            xp.add(dx3, dy3, out=dx3)
            xp.multiply(dx3, scale.astype(param)[:, None], out=dx3)
        else:
            xp.multiply(dy3, scale.astype(param)[:, None], out=dx3)
        if p.fix_gamma:
            dgamma = xp.zeros_like(dgamma)
        return (
            finish(xp, dx3, data.shape, data.dtype, dx_buf, in_out),
            small_result(xp, dgamma, param, dgamma_buf),
            small_result(xp, dbeta, param, dbeta_buf),
        )

    def batch_sums(self, xp, p, sum_dy, sum_dy_xhat):
        """The per-channel sums of ``dy`` and ``dy * xhat`` that the data gradient flows
        through the batch statistics by: this device's own."""
        return sum_dy, sum_dy_xhat
