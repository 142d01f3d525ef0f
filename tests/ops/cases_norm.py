"""Cases of BatchNorm, BatchNorm_v1 and _backward_BatchNorm (cases_layer_norm.py holds
LayerNorm, InstanceNorm and GroupNorm; cases_normalize.py L2Normalization and LRN).

The harness calls operators outside ``autograd.record()``, so BatchNorm's forward cases run in
inference mode (the moving statistics normalize) while its numeric gradient checks run in
training mode (batch statistics). make_golden.py records MXNet's forward in inference mode but
its gradients in training mode, which only agree with use_global_stats=True; the other cases,
the training-mode forward and the moving-statistic updates are recorded and tested apart, by
tools/make_norm_golden.py and tests/ops/test_batch_norm.py.
"""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors

# neomx's _backward_BatchNorm takes (ograd, data, gamma, mean, invstd); MXNet's differs.
NEOMX_ONLY.add("_backward_BatchNorm")

# MXNet's default eps is a C++ float.
EPS = float(np.float32(1e-3))


# ---- makers ---------------------------------------------------------------------------------


def bn_inputs(shape, axis=1, dtype="float32", param_dtype=None):
    """data, gamma, beta, moving_mean, moving_var (positive) for a channel axis."""
    param_dtype = param_dtype or ("float32" if dtype == "float16" else dtype)

    def make(rng):
        channels = shape[axis]
        data = (rng.standard_normal(shape) * 1.5 + 0.5).astype(dtype)
        gamma, beta, mean = (rng.uniform(-1.5, 1.5, channels) for _ in range(3))
        var = rng.uniform(0.5, 2.0, channels)
        return [data] + [a.astype(param_dtype) for a in (gamma, beta, mean, var)]

    return make


# ---- references -----------------------------------------------------------------------------


def _along(values, axis, ndim):
    """A per-channel vector shaped to broadcast along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(values, shape)


def _batch_norm(axis=1, eps=EPS, fix_gamma=True, output_mean_var=False, v1=False):
    """Inference mode: normalize by the moving statistics."""

    def reference(data, gamma, beta, mean, var):
        ndim = data.ndim
        wide = [a.astype(np.float64) for a in (data, gamma, beta, mean, var)]
        x, g, b, m, v = wide
        g = np.ones_like(g) if fix_gamma else g
        invstd = 1 / np.sqrt(v + eps)
        out = (x - _along(m, axis, ndim)) * _along(invstd * g, axis, ndim) + _along(b, axis, ndim)
        out = out.astype(data.dtype)
        if not output_mean_var:
            return out
        second = v if v1 else invstd
        return out, mean.copy(), second.astype(mean.dtype)

    return reference


def _backward_batch_norm(axis=1, fix_gamma=True):
    """Inference mode: the statistics were constants."""

    def reference(ograd, data, gamma, mean, invstd):
        ndim = data.ndim
        dy, x, g, m, s = (a.astype(np.float64) for a in (ograd, data, gamma, mean, invstd))
        others = tuple(i for i in range(ndim) if i != axis)
        xhat = (x - _along(m, axis, ndim)) * _along(s, axis, ndim)
        scale = s if fix_gamma else g * s
        dgamma = np.zeros_like(g) if fix_gamma else (dy * xhat).sum(axis=others)
        return (
            (dy * _along(scale, axis, ndim)).astype(data.dtype),
            dgamma.astype(gamma.dtype),
            dy.sum(axis=others).astype(gamma.dtype),
        )

    return reference


def bn_backward_inputs(shape, axis=1, dtype="float32"):
    """ograd, data, gamma, mean, invstd."""
    param_dtype = "float32" if dtype == "float16" else dtype

    def make(rng):
        channels = shape[axis]
        arrays = [rng.standard_normal(shape).astype(dtype) for _ in range(2)]
        arrays += [rng.uniform(-1.5, 1.5, channels).astype(param_dtype) for _ in range(2)]
        arrays.append(rng.uniform(0.5, 2.0, channels).astype(param_dtype))
        return arrays

    return make


# ---- BatchNorm ------------------------------------------------------------------------------

# Cases whose gradients MXNet's make_golden would record in training mode against an inference
# forward: no golden file (tools/make_norm_golden.py records them consistently).
TRAINING_GRADIENT = {"golden": False}
# The mean and var (or std) outputs block gradients, as in MXNet, but the numeric check
# differentiates every visible output: cases showing them are not checked numerically (their
# twins without output_mean_var are).
BLOCKED = {"grad": False}
# With use_global_stats the moving statistics feed the output, but they are auxiliary states
# that get no gradient (MXNet gives zeros), so only these inputs are checked numerically.
NOT_AUX = ("data", "gamma", "beta")

add(
    "BatchNorm",
    Case(bn_inputs((4, 3, 2, 2)), {}, _batch_norm(), label="nchw", **TRAINING_GRADIENT),
    Case(
        bn_inputs((4, 3, 2, 2)),
        {"fix_gamma": False},
        _batch_norm(fix_gamma=False),
        label="gamma",
        **TRAINING_GRADIENT,
    ),
    Case(
        bn_inputs((5, 3)),
        {"fix_gamma": False, "eps": 1e-5},
        _batch_norm(fix_gamma=False, eps=1e-5),
        label="2d",
        **TRAINING_GRADIENT,
    ),
    Case(
        bn_inputs((2, 3, 4), axis=-1),
        {"axis": -1, "fix_gamma": False},
        _batch_norm(axis=2, fix_gamma=False),
        label="axis-last",
        **TRAINING_GRADIENT,
    ),
    Case(
        bn_inputs((2, 3, 4), axis=0),
        {"axis": 0, "fix_gamma": False},
        _batch_norm(axis=0, fix_gamma=False),
        label="axis0",
        **TRAINING_GRADIENT,
    ),
    Case(
        bn_inputs((3, 2, 2, 1, 2)),
        {"fix_gamma": False, "output_mean_var": True},
        _batch_norm(fix_gamma=False, output_mean_var=True),
        label="5d-mean-var",
        **TRAINING_GRADIENT,
        **BLOCKED,
    ),
    Case(
        bn_inputs((4, 3, 2, 2)),
        {"use_global_stats": True, "fix_gamma": False},
        _batch_norm(fix_gamma=False),
        label="global-stats",
        grad_nodes=NOT_AUX,
    ),
    Case(
        bn_inputs((4, 3, 2)),
        {"use_global_stats": True},
        _batch_norm(),
        label="global-stats-fix-gamma",
        grad_nodes=NOT_AUX,
    ),
    Case(
        bn_inputs((2, 4, 3), axis=-1),
        {"use_global_stats": True, "fix_gamma": False, "axis": -1, "output_mean_var": True},
        _batch_norm(axis=2, fix_gamma=False, output_mean_var=True),
        label="global-stats-axis-last-mean-var",
        grad_nodes=NOT_AUX,
    ),
    Case(
        bn_inputs((4, 3, 2, 2), dtype="float16"),
        {"use_global_stats": True, "fix_gamma": False, "output_mean_var": True},
        _batch_norm(fix_gamma=False, output_mean_var=True),
        label="float16",
        grad_nodes=NOT_AUX,
        # MXNet rounds float16 intermediates (gamma's gradient is off by up to 0.3% from the
        # exact one neomx gives); test_batch_norm.py compares with float16 tolerances.
        golden=False,
    ),
    Case(
        bn_inputs((4, 3, 2), dtype="float64"),
        {"use_global_stats": True, "fix_gamma": False},
        _batch_norm(fix_gamma=False),
        label="float64",
        grad_nodes=NOT_AUX,
    ),
    Case(
        bn_inputs((3,), axis=0),
        {"axis": 0, "fix_gamma": False},
        _batch_norm(axis=0, fix_gamma=False),
        label="one-per-channel",
        **TRAINING_GRADIENT,
    ),
    Case(
        bn_inputs((2, 3, 2), dtype="float64"),
        {
            "fix_gamma": False,
            "momentum": 0.5,
            "cudnn_off": True,
            "min_calib_range": -1.0,
            "max_calib_range": 1.0,
        },
        _batch_norm(fix_gamma=False),
        label="all-params",
        **TRAINING_GRADIENT,
    ),
    # Training needs elements per channel, so no gradient; MXNet 1.x refuses zero-size data.
    Case(bn_inputs((0, 3)), {}, _batch_norm(), label="zero-size", grad=False, golden=False),
)
add_errors(
    "BatchNorm",
    ErrorCase(
        lambda rng: bn_inputs((2, 3, 4))(rng)[:1] + bn_inputs((2, 4))(rng)[1:],
        match=r"BatchNorm: gamma has shape \(4,\); expected \(3,\) from data \(2, 3, 4\)",
    ),
    ErrorCase(bn_inputs((2, 3, 4)), {"axis": 3}, match=r"BatchNorm: axis=3 is out of range"),
    ErrorCase(bn_inputs((2, 3, 4)), {"axis": -4}, match=r"BatchNorm: axis=-4 is out of range"),
    ErrorCase(bn_inputs((2, 3), dtype="int32", param_dtype="int32"), match=r"BatchNorm.*int32"),
    ErrorCase(
        bn_inputs((2, 3), dtype="float16", param_dtype="float16"),
        match=r"BatchNorm: gamma has dtype float16; expected float32",
    ),
)

add(
    "BatchNorm_v1",
    # MXNet's nd.BatchNorm_v1 cannot take its auxiliary states: make_norm_golden.py records
    # it through a bound Symbol instead.
    Case(
        bn_inputs((4, 3, 2, 2)),
        {"fix_gamma": False, "output_mean_var": True},
        _batch_norm(fix_gamma=False, output_mean_var=True, v1=True),
        label="nchw-mean-var",
        golden=False,
        **BLOCKED,
    ),
    Case(bn_inputs((5, 3)), {}, _batch_norm(), label="2d", golden=False),
    Case(
        bn_inputs((4, 3, 2)),
        {"use_global_stats": True, "fix_gamma": False},
        _batch_norm(fix_gamma=False),
        label="global-stats",
        grad_nodes=NOT_AUX,
        golden=False,
    ),
)
add_errors(
    "BatchNorm_v1",
    ErrorCase(bn_inputs((3,), axis=0), match=r"BatchNorm_v1: data must have 2 or more"),
)

# On one device SyncBatchNorm is BatchNorm over axis 1 (the compat issue added it for GluonCV).
add(
    "_contrib_SyncBatchNorm",
    Case(
        bn_inputs((4, 3, 2)),
        {"fix_gamma": False, "ndev": 1, "key": "bn0"},
        _batch_norm(fix_gamma=False),
        label="one-device",
        golden=False,
    ),
)

add(
    "_backward_BatchNorm",
    Case(bn_backward_inputs((4, 3, 2)), {}, _backward_batch_norm(), label="fix-gamma"),
    Case(
        bn_backward_inputs((2, 3, 4), axis=2),
        {"axis": 2, "fix_gamma": False},
        _backward_batch_norm(axis=2, fix_gamma=False),
        label="axis-last",
    ),
    Case(
        bn_backward_inputs((4, 3, 2), dtype="float16"),
        {"fix_gamma": False},
        _backward_batch_norm(fix_gamma=False),
        label="float16",
    ),
)
# One device: SyncBatchNorm's backward is BatchNorm's over axis 1 (its inputs are neomx's own).
add(
    "_backward__contrib_SyncBatchNorm",
    Case(
        bn_backward_inputs((4, 3, 2)),
        {"fix_gamma": False, "ndev": 1, "key": "bn0"},
        _backward_batch_norm(fix_gamma=False),
        label="one-device",
        golden=False,
    ),
)

add_errors(
    "_backward_BatchNorm",
    ErrorCase(
        lambda rng: bn_backward_inputs((4, 3))(rng)[:1] + bn_backward_inputs((4, 2))(rng)[1:],
        match=r"_backward_BatchNorm: ograd has shape \(4, 3\); expected \(4, 2\)",
    ),
)
