"""Per-sample normalizations: LayerNorm, InstanceNorm and GroupNorm, and their backward kernels.

Each normalizes groups of elements of one sample by their own mean and variance,
``(x - mean) / sqrt(var + eps)`` with the biased variance, then applies ``gamma`` and ``beta``;
no running statistics, so training and inference agree. The statistics are hidden outputs that
the gradient reads (LayerNorm and GroupNorm show them, as the mean and ``sqrt(var + eps)``,
with ``output_mean_var=True``; no gradient flows back through them).

All three view the data as ``(outer, K, inner)`` and normalize over K (a ``Layout``):

    LayerNorm     (before axis, axis, after axis)    gamma along K
    InstanceNorm  (batch * channels, spatial, 1)     gamma per row: one per channel
    GroupNorm     (batch * groups, rest, 1)          gamma per row: one per group

The gradient is a dedicated kernel (composed of registered operators it took five times
longer, each step a pass over memory): with ``xhat = (x - mean) / std`` and
``g = dy * gamma`` over each normalized group of n elements,
``dx = (g - sum(g) / n - xhat * sum(g * xhat) / n) / std``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...base import MXNetValueError
from ...storage import scratch
from ..infer import is_known, normalize_axis, shape_str, unify_dtype
from ..params import Bool, Float, Int, Params
from ..registry import Op, register
from .norm_common import (
    check_float,
    check_param_shape,
    compute_dtype,
    finish,
    result_buffer,
    size_of,
    small_result,
)

__all__ = [
    "LayerNorm",
    "InstanceNorm",
    "GroupNorm",
    "LayerNormBackward",
    "InstanceNormBackward",
    "GroupNormBackward",
]


class Layout(NamedTuple):
    """How a normalization sees ``data``: as ``three`` = (outer, K, inner), normalized over K,
    with statistics of shape ``stats`` and ``gamma`` of size ``gamma`` running along K, or,
    with ``on_rows``, one per row cycling over ``gamma`` (inner is 1 then)."""

    three: tuple
    stats: tuple
    gamma: int
    on_rows: bool
    why: str


def _check_spatial(op_name, shape):
    if len(shape) < 3:
        raise MXNetValueError(
            f"{op_name}: data must have 3 or more dimensions (batch, channel, spatial...), "
            f"got shape {shape_str(shape)}"
        )


# The layouts are the operators' ``layout`` methods (forward and backward share them).


def _layer_layout(self, p, shape) -> Layout:
    """LayerNorm: (before axis, axis, after axis), gamma along the axis."""
    axis = normalize_axis(self.name, p.axis, len(shape))
    three = (size_of(shape[:axis]), shape[axis], size_of(shape[axis + 1 :]))
    stats = tuple(1 if i == axis else n for i, n in enumerate(shape))
    return Layout(three, stats, shape[axis], False, f"axis {axis} of data")


def _instance_layout(self, p, shape) -> Layout:
    """InstanceNorm: (batch * channels, spatial, 1), gamma per channel."""
    _check_spatial(self.name, shape)
    three = (shape[0] * shape[1], size_of(shape[2:]), 1)
    stats = tuple(shape[:2]) + (1,) * (len(shape) - 2)
    return Layout(three, stats, shape[1], True, "axis 1 of data")


def _group_layout(self, p, shape) -> Layout:
    """GroupNorm: (batch * groups, channels per group * spatial, 1), gamma per group."""
    _check_spatial(self.name, shape)
    groups = p.num_groups
    if shape[1] % groups:
        raise MXNetValueError(
            f"{self.name}: the {shape[1]} channels of data {shape_str(shape)} do not split into "
            f"num_groups={groups} groups"
        )
    three = (shape[0] * groups, size_of(shape[1:]) // groups, 1)
    return Layout(three, (shape[0], groups), groups, True, f"num_groups={groups}")


def _as_rows(xp, values, layout, dtype):
    """Per-group statistics as (outer, 1, inner), to broadcast against the data."""
    outer, _, inner = layout.three
    return xp.asarray(values, dtype=dtype).reshape(outer, 1, inner)


def _gamma_rows(xp, gamma, layout, dtype):
    """gamma per row (outer, 1, 1), cycling over the batch."""
    repeats = layout.three[0] // max(layout.gamma, 1)
    return xp.tile(gamma.astype(dtype), repeats).reshape(-1, 1, 1)


def _epsilon(p):
    # The layers' eps is a C++ float.
    return float(np.float32(p.eps))


class _Norm(Op):
    """What LayerNorm, InstanceNorm and GroupNorm share: inputs, three outputs (the
    statistics hidden unless ``output_mean_var``), one float dtype throughout."""

    inputs = ("data", "gamma", "beta")
    saves = ("data", "gamma", "outputs")
    # Whether the third output is sqrt(var + eps) (else the variance).
    outputs_std = True
    backward_name = ""

    def layout(self, p, shape) -> Layout:
        raise NotImplementedError

    def backward_params(self, p) -> dict:
        return {}

    def num_outputs(self, p):
        return 3

    def num_visible_outputs(self, p):
        return 3 if getattr(p, "output_mean_var", False) else 1

    def output_names(self, p):
        return ("output", "mean", "std" if self.outputs_std else "var")

    def infer_shape(self, p, data, gamma, beta):
        if not is_known(data):
            return None
        layout = self.layout(p, tuple(data))
        params = tuple(
            check_param_shape(self.name, name, shape, (layout.gamma,), data, layout.why)
            for name, shape in (("gamma", gamma), ("beta", beta))
        )
        return (data, *params), (data, layout.stats, layout.stats)

    def infer_type(self, p, data, gamma, beta):
        dtype = unify_dtype(self.name, self.inputs, (data, gamma, beta))
        if dtype is None:
            return None
        dtype = check_float(self.name, dtype)
        return (dtype,) * 3, (dtype,) * 3

    def forward(self, xp, p, data, gamma, beta, out=None):
        out_buf, mean_buf, second_buf = (None, None, None) if out is None else out
        layout = self.layout(p, data.shape)
        dtype = compute_dtype(data.dtype)
        x3 = xp.ascontiguousarray(data, dtype=dtype).reshape(layout.three)
        y3, in_out = result_buffer(xp, out_buf if dtype == data.dtype else None, x3.shape, dtype)
        eps = dtype.type(_epsilon(p))
        count = dtype.type(max(layout.three[1], 1))
        mean = xp.einsum("akb->ab", x3)[:, None, :] / count
        xp.subtract(x3, mean, out=y3)
        var = xp.einsum("akb,akb->ab", y3, y3)[:, None, :] / count
        std = xp.sqrt(var + eps)
        xp.divide(y3, std, out=y3)
        if layout.on_rows:
            rows = y3.reshape(-1, layout.gamma, layout.three[1])
            xp.multiply(rows, gamma.astype(dtype)[:, None], out=rows)
            xp.add(rows, beta.astype(dtype)[:, None], out=rows)
        else:
            xp.multiply(y3, gamma.astype(dtype)[:, None], out=y3)
            xp.add(y3, beta.astype(dtype)[:, None], out=y3)
        second = std if self.outputs_std else var
        return (
            finish(xp, y3, data.shape, data.dtype, out_buf, in_out),
            finish(xp, mean, layout.stats, data.dtype, mean_buf, False),
            finish(xp, second, layout.stats, data.dtype, second_buf, False),
        )

    def gradient(self, p, F, inputs, outputs, dy):
        data, gamma = inputs[0], inputs[1]
        if self.outputs_std:
            invstd = F.reciprocal(outputs[2])
        else:
            invstd = F.rsqrt(F._plus_scalar(outputs[2], scalar=_epsilon(p)))
        backward = getattr(F, self.backward_name)
        return tuple(backward(dy[0], data, gamma, outputs[1], invstd, **self.backward_params(p)))


@register("LayerNorm", aliases=("_npx_layer_norm",))
class LayerNorm(_Norm):
    """Normalize ``data`` over ``axis`` by the mean and variance of each slice along it, then
    scale by ``gamma`` and shift by ``beta`` (both of the size of that axis).

    With ``output_mean_var=True`` also return the mean and ``sqrt(var + eps)``, shaped as
    ``data`` with ``axis`` reduced to 1.

    >>> mx.nd.LayerNorm(mx.nd.array([[1., 3.]]), mx.nd.ones(2), mx.nd.zeros(2), eps=0)
    <BLANKLINE>
    [[-1.  1.]]
    <NDArray 1x2 @cpu(0)>
    """

    params = Params(
        axis=Int(-1, doc="The axis to normalize over (gamma and beta run along it)."),
        eps=Float(float(np.float32(1e-5)), doc="Added to the variance before the square root."),
        output_mean_var=Bool(False, doc="Also return the mean and the std."),
    )
    backward_name = "_backward_LayerNorm"
    layout = _layer_layout

    def backward_params(self, p):
        return {"axis": p.axis}


@register("InstanceNorm")
class InstanceNorm(_Norm):
    """Normalize each channel of each sample of ``data`` (batch, channel, spatial...) over its
    spatial axes, then scale by ``gamma`` and shift by ``beta`` (one per channel).

    The hidden statistics are the mean and the variance, of shape (batch, channel, 1, ...).

    >>> x = mx.nd.array([[[1.1, 2.2]], [[3.3, 4.4]]])
    >>> mx.nd.InstanceNorm(x, mx.nd.array([1.5]), mx.nd.array([0.5])).shape
    (2, 1, 2)
    """

    params = Params(
        eps=Float(float(np.float32(1e-3)), doc="Added to the variance before the square root."),
    )
    outputs_std = False
    backward_name = "_backward_InstanceNorm"
    layout = _instance_layout


@register("GroupNorm")
class GroupNorm(_Norm):
    """Split the channels (axis 1) of each sample into ``num_groups`` groups, normalize each
    group over its channels and spatial axes, then scale by ``gamma`` and shift by ``beta``.

    As in MXNet 1.9.1, ``gamma`` and ``beta`` hold one value per group (shape
    ``(num_groups,)``), and the statistics (shown with ``output_mean_var=True``: the mean and
    ``sqrt(var + eps)``) have shape (batch, num_groups).

    >>> x = mx.nd.array([[[1.], [3.]]])
    >>> mx.nd.GroupNorm(x, mx.nd.ones(1), mx.nd.zeros(1), eps=0).reshape(-1)
    <BLANKLINE>
    [-1.  1.]
    <NDArray 2 @cpu(0)>
    """

    params = Params(
        num_groups=Int(1, min=1, doc="The number of channel groups."),
        eps=Float(float(np.float32(1e-5)), doc="Added to the variance before the square root."),
        output_mean_var=Bool(False, doc="Also return the mean and the std."),
    )
    backward_name = "_backward_GroupNorm"
    layout = _group_layout

    def backward_params(self, p):
        return {"num_groups": p.num_groups}


# ---- backward kernels -----------------------------------------------------------------------


class _NormBackward(Op):
    """The gradients of data, gamma and beta of a normalization, from the output gradient
    ``ograd``, the data, gamma and the forward's ``mean`` and inverse std ``invstd``."""

    inputs = ("ograd", "data", "gamma", "mean", "invstd")
    differentiable = False

    def layout(self, p, shape) -> Layout:
        raise NotImplementedError

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
        layout = self.layout(p, tuple(data))
        gamma = check_param_shape(self.name, "gamma", gamma, (layout.gamma,), data, layout.why)
        stats = tuple(
            check_param_shape(self.name, name, shape, layout.stats, data, "the statistics")
            for name, shape in (("mean", mean), ("invstd", invstd))
        )
        return (data, data, gamma, *stats), (data, gamma, gamma)

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.inputs, dtypes)
        if dtype is None:
            return None
        dtype = check_float(self.name, dtype)
        return (dtype,) * 5, (dtype,) * 3

    def forward(self, xp, p, ograd, data, gamma, mean, invstd, out=None):
        dx_buf, dgamma_buf, dbeta_buf = (None, None, None) if out is None else out
        layout = self.layout(p, data.shape)
        dtype = compute_dtype(data.dtype)
        dy3 = xp.ascontiguousarray(ograd, dtype=dtype).reshape(layout.three)
        x3 = xp.ascontiguousarray(data, dtype=dtype).reshape(layout.three)
        mean3 = _as_rows(xp, mean, layout, dtype)
        invstd3 = _as_rows(xp, invstd, layout, dtype)
        count = dtype.type(max(layout.three[1], 1))
        dx3, in_out = result_buffer(
            xp, dx_buf if dtype == data.dtype else None, layout.three, dtype
        )
        if layout.on_rows:
            # gamma is one number per normalized group: the group sums of dy and dy * xhat
            # are also gamma's and beta's gradients per row.
            xp.subtract(x3, mean3, out=dx3)
            xp.multiply(dx3, invstd3, out=dx3)
            dbeta = xp.einsum("akb->a", dy3)
            dgamma = xp.einsum("akb,akb->a", dy3, dx3)
            xp.multiply(dx3, (-dgamma / count)[:, None, None], out=dx3)
            xp.add(dx3, dy3, out=dx3)
            xp.subtract(dx3, (dbeta / count)[:, None, None], out=dx3)
            xp.multiply(dx3, _gamma_rows(xp, gamma, layout, dtype) * invstd3, out=dx3)
            dgamma = dgamma.reshape(-1, layout.gamma).sum(axis=0)
            dbeta = dbeta.reshape(-1, layout.gamma).sum(axis=0)
        else:
            with scratch(xp, layout.three, dtype) as xhat:
                xp.subtract(x3, mean3, out=xhat)
                xp.multiply(xhat, invstd3, out=xhat)
                dbeta = xp.einsum("akb->k", dy3)
                dgamma = xp.einsum("akb,akb->k", dy3, xhat)
                # dx3 holds g = dy * gamma first.
                xp.multiply(dy3, gamma.astype(dtype)[:, None], out=dx3)
                mean_g = xp.einsum("akb->ab", dx3)[:, None, :] / count
                mean_gx = xp.einsum("akb,akb->ab", dx3, xhat)[:, None, :] / count
                xp.multiply(xhat, mean_gx, out=xhat)
                xp.subtract(dx3, xhat, out=dx3)
            xp.subtract(dx3, mean_g, out=dx3)
            xp.multiply(dx3, invstd3, out=dx3)
        return (
            finish(xp, dx3, data.shape, data.dtype, dx_buf, in_out),
            small_result(xp, dgamma, data.dtype, dgamma_buf),
            small_result(xp, dbeta, data.dtype, dbeta_buf),
        )


@register("_backward_LayerNorm")
class LayerNormBackward(_NormBackward):
    """The gradients of ``LayerNorm`` (see ``_NormBackward``)."""

    params = Params(axis=Int(-1))
    layout = _layer_layout


@register("_backward_InstanceNorm")
class InstanceNormBackward(_NormBackward):
    """The gradients of ``InstanceNorm`` (see ``_NormBackward``)."""

    params = Params()
    layout = _instance_layout


@register("_backward_GroupNorm")
class GroupNormBackward(_NormBackward):
    """The gradients of ``GroupNorm`` (see ``_NormBackward``)."""

    params = Params(num_groups=Int(1, min=1))
    layout = _group_layout
