"""Cases of LayerNorm, InstanceNorm, GroupNorm and their backward operators."""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors

# neomx's backward operators take (ograd, data, gamma, mean, invstd); MXNet's differ.
NEOMX_ONLY.update({"_backward_LayerNorm", "_backward_InstanceNorm", "_backward_GroupNorm"})

# MXNet's default epsilons are C++ floats.
EPS = float(np.float32(1e-3))
EPS_5 = float(np.float32(1e-5))
# The mean and std outputs block gradients, as in MXNet, but the numeric check differentiates
# every visible output: cases showing them are not checked numerically (their twins are).
BLOCKED = {"grad": False}


def _along(values, axis, ndim):
    """A per-channel vector shaped to broadcast along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(values, shape)


def affine_inputs(shape, params_size, dtype="float32"):
    """data, gamma, beta (LayerNorm, InstanceNorm, GroupNorm)."""

    def make(rng):
        data = rng.standard_normal(shape) * 2 + 0.5
        gamma = rng.uniform(0.5, 1.5, params_size) * rng.choice([-1, 1], params_size)
        beta = rng.standard_normal(params_size)
        return [a.astype(dtype) for a in (data, gamma, beta)]

    return make


def _moments(x, axes):
    return x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)


def _layer_norm(axis=-1, eps=EPS_5, output_mean_var=False):
    def reference(data, gamma, beta):
        x, g, b = (a.astype(np.float64) for a in (data, gamma, beta))
        mean, var = _moments(x, axis)
        std = np.sqrt(var + eps)
        out = (x - mean) / std * _along(g, axis, x.ndim) + _along(b, axis, x.ndim)
        if not output_mean_var:
            return out.astype(data.dtype)
        return tuple(a.astype(data.dtype) for a in (out, mean, std))

    return reference


def _instance_norm(eps=EPS):
    def reference(data, gamma, beta):
        x, g, b = (a.astype(np.float64) for a in (data, gamma, beta))
        mean, var = _moments(x, tuple(range(2, x.ndim)))
        out = (x - mean) / np.sqrt(var + eps) * _along(g, 1, x.ndim) + _along(b, 1, x.ndim)
        return out.astype(data.dtype)

    return reference


def _group_norm(groups, eps=EPS_5, output_mean_var=False):
    def reference(data, gamma, beta):
        x, g, b = (a.astype(np.float64) for a in (data, gamma, beta))
        grouped = x.reshape(x.shape[0], groups, -1)
        mean, var = _moments(grouped, 2)
        std = np.sqrt(var + eps)
        out = (grouped - mean) / std * g[:, None] + b[:, None]
        out = out.reshape(x.shape).astype(data.dtype)
        if not output_mean_var:
            return out
        return out, mean[..., 0].astype(data.dtype), std[..., 0].astype(data.dtype)

    return reference


def _normalized_backward(group_axes, gamma_shape):
    """The gradients of a normalization over ``group_axes`` (numbers, of data after the
    reshape ``view``) given its statistics; gamma broadcast as ``gamma_shape(ndim)``."""

    def reference(ograd, data, gamma, mean, invstd, view=None, reduce_gamma=None):
        dy, x, g = (a.astype(np.float64) for a in (ograd, data, gamma))
        m, s = mean.astype(np.float64), invstd.astype(np.float64)
        if view is not None:
            dy, x = dy.reshape(view), x.reshape(view)
            m, s = m.reshape(view[:2] + (1,)), s.reshape(view[:2] + (1,))
        xhat = (x - m) * s
        gb = g.reshape(gamma_shape(x.ndim))
        scaled = dy * gb
        count = np.prod([x.shape[a] for a in group_axes])
        mean_g = scaled.sum(axis=group_axes, keepdims=True) / count
        mean_gx = (scaled * xhat).sum(axis=group_axes, keepdims=True) / count
        dx = (scaled - mean_g - xhat * mean_gx) * s
        others = tuple(i for i in range(x.ndim) if gb.shape[i] == 1)
        dgamma = (dy * xhat).sum(axis=others)
        dbeta = dy.sum(axis=others)
        dtype = data.dtype
        return dx.reshape(data.shape).astype(dtype), dgamma.astype(dtype), dbeta.astype(dtype)

    return reference


def _backward_layer_norm(axis):
    def gamma_shape(ndim):
        return tuple(-1 if i == axis % ndim else 1 for i in range(ndim))

    return lambda *arrays: _normalized_backward((axis,), gamma_shape)(*arrays)


def _backward_instance_norm(ograd, data, gamma, mean, invstd):
    view = data.shape[:2] + (-1,)
    reference = _normalized_backward((2,), lambda ndim: (1, -1, 1))
    return reference(ograd, data, gamma, mean, invstd, view=view)


def _backward_group_norm(groups):
    def reference(ograd, data, gamma, mean, invstd):
        view = (data.shape[0], groups, -1)
        return _normalized_backward((2,), lambda ndim: (1, -1, 1))(
            ograd, data, gamma, mean, invstd, view=view
        )

    return reference


def norm_backward_inputs(shape, gamma_size, stats_axes, stats_shape, dtype="float32"):
    """ograd, data, gamma and the mean and inverse std of data over ``stats_axes`` of the
    data reshaped to group its normalized elements, shaped ``stats_shape``."""

    def make(rng):
        data = rng.standard_normal(shape) * 2 + 0.5
        grouped = data.reshape(stats_shape[:2] + (-1,)) if len(stats_shape) == 2 else data
        axes = (2,) if len(stats_shape) == 2 else stats_axes
        mean = grouped.mean(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(grouped.var(axis=axes, keepdims=True) + 1e-5)
        arrays = [rng.standard_normal(shape), data, rng.uniform(0.5, 1.5, gamma_size)]
        arrays += [mean.reshape(stats_shape), invstd.reshape(stats_shape)]
        return [a.astype(dtype) for a in arrays]

    return make


add(
    "LayerNorm",
    Case(affine_inputs((2, 3, 4), 4), {}, _layer_norm(), label="last-axis"),
    Case(affine_inputs((2, 3, 4), 3), {"axis": 1}, _layer_norm(1), label="axis1"),
    Case(affine_inputs((2, 3, 4), 2), {"axis": -3}, _layer_norm(0), label="negative-axis"),
    Case(
        affine_inputs((3, 5), 5),
        {"eps": 0.01, "output_mean_var": True},
        _layer_norm(eps=0.01, output_mean_var=True),
        label="mean-std",
        **BLOCKED,
    ),
    Case(
        affine_inputs((2, 3, 2), 3),
        {"axis": 1, "output_mean_var": True},
        _layer_norm(1, output_mean_var=True),
        label="axis1-mean-std",
        **BLOCKED,
    ),
    Case(affine_inputs((4,), 4), {"axis": 0}, _layer_norm(0), label="1d"),
    Case(affine_inputs((2, 6), 6, "float16"), {}, _layer_norm(), label="float16"),
    Case(affine_inputs((2, 3), 3, "float64"), {}, _layer_norm(), label="float64"),
    Case(affine_inputs((2, 1), 1), {}, _layer_norm(), label="one-element-groups"),
    Case(affine_inputs((0, 3), 3), {}, _layer_norm(), label="zero-size", golden=False),
)
add_errors(
    "LayerNorm",
    ErrorCase(
        lambda rng: affine_inputs((2, 3), 3)(rng)[:1] + affine_inputs((2, 4), 4)(rng)[1:],
        match=r"LayerNorm: gamma has shape \(4,\); expected \(3,\) from data \(2, 3\)",
    ),
    ErrorCase(affine_inputs((2, 3), 3), {"axis": 2}, match=r"LayerNorm: axis=2 is out of range"),
    ErrorCase(
        lambda rng: [a.astype("int32") for a in affine_inputs((2, 3), 3)(rng)],
        match=r"LayerNorm.*int32",
    ),
)

add(
    "InstanceNorm",
    Case(affine_inputs((2, 3, 4), 3), {}, _instance_norm(), label="3d"),
    Case(affine_inputs((2, 3, 2, 3), 3), {"eps": 1e-5}, _instance_norm(1e-5), label="4d"),
    Case(affine_inputs((2, 2, 1), 2), {}, _instance_norm(), label="one-spatial-element"),
    # MXNet 1.9.1's InstanceNorm is float32-only; neomx takes every float dtype.
    Case(
        affine_inputs((2, 3, 3), 3, "float64"), {}, _instance_norm(), label="float64", golden=False
    ),
)
add_errors(
    "InstanceNorm",
    ErrorCase(affine_inputs((2, 3), 3), match=r"InstanceNorm: data must have 3 or more"),
    ErrorCase(
        lambda rng: affine_inputs((2, 3, 4), 3)(rng)[:1] + affine_inputs((2, 4), 4)(rng)[1:],
        match=r"InstanceNorm: gamma has shape \(4,\); expected \(3,\)",
    ),
)

add(
    "GroupNorm",
    Case(affine_inputs((2, 4, 3), 2), {"num_groups": 2}, _group_norm(2), label="2-groups"),
    Case(affine_inputs((2, 6, 2, 2), 3), {"num_groups": 3}, _group_norm(3), label="4d"),
    Case(affine_inputs((3, 2, 3), 1), {}, _group_norm(1), label="one-group"),
    Case(
        affine_inputs((2, 4, 2), 4),
        {"num_groups": 4, "eps": 0.001, "output_mean_var": True},
        _group_norm(4, 0.001, output_mean_var=True),
        label="mean-std",
        **BLOCKED,
    ),
    Case(
        affine_inputs((2, 4, 3), 2, "float16"), {"num_groups": 2}, _group_norm(2), label="float16"
    ),
)
add_errors(
    "GroupNorm",
    ErrorCase(
        affine_inputs((2, 6, 3), 4),
        {"num_groups": 4},
        match=r"GroupNorm: the 6 channels .* num_groups=4",
    ),
    ErrorCase(
        affine_inputs((2, 6, 3), 6),
        {"num_groups": 2},
        match=r"GroupNorm: gamma has shape \(6,\); expected \(2,\)",
    ),
    ErrorCase(affine_inputs((2, 4), 1), match=r"GroupNorm: data must have 3 or more"),
    ErrorCase(affine_inputs((2, 4, 3), 1), {"num_groups": 0}, match=r"GroupNorm.*num_groups"),
)

add(
    "_backward_LayerNorm",
    Case(
        norm_backward_inputs((3, 4), 4, (1,), (3, 1)),
        {},
        _backward_layer_norm(-1),
        label="last-axis",
    ),
    Case(
        norm_backward_inputs((2, 3, 2), 3, (1,), (2, 1, 2)),
        {"axis": 1},
        _backward_layer_norm(1),
        label="axis1",
    ),
    Case(
        norm_backward_inputs((2, 5), 5, (1,), (2, 1), "float16"),
        {},
        _backward_layer_norm(-1),
        label="float16",
    ),
)
add_errors(
    "_backward_LayerNorm",
    ErrorCase(
        lambda rng: (
            norm_backward_inputs((3, 4), 4, (1,), (3, 1))(rng)[:3]
            + norm_backward_inputs((4, 3), 3, (1,), (4, 1))(rng)[3:]
        ),
        match=r"_backward_LayerNorm: mean has shape \(4, 1\); expected \(3, 1\)",
    ),
)
add(
    "_backward_InstanceNorm",
    Case(
        norm_backward_inputs((2, 3, 4), 3, (2,), (2, 3, 1)),
        {},
        _backward_instance_norm,
        label="3d",
    ),
    Case(
        norm_backward_inputs((2, 2, 2, 3), 2, (2, 3), (2, 2, 1, 1)),
        {},
        _backward_instance_norm,
        label="4d",
    ),
)
add(
    "_backward_GroupNorm",
    Case(
        norm_backward_inputs((2, 4, 3), 2, None, (2, 2)),
        {"num_groups": 2},
        _backward_group_norm(2),
        label="2-groups",
    ),
    Case(
        norm_backward_inputs((2, 6, 2, 2), 3, None, (2, 3)),
        {"num_groups": 3},
        _backward_group_norm(3),
        label="4d",
    ),
)
