"""Cases of the optimizer update operators (sgd_update, adam_update, ..., LAMB's phases).

Each operator has a NumPy reference in ``STEPS``: ``step(*inputs, **params)`` writes the new
states into its state inputs (as the operator does) and returns the new weight. The harness
compares the returned weight (on copies); tests/ops/test_update.py compares the states, and
tools/make_update_golden.py runs three steps of every case in MXNet 1.9.1 (so the cases here
are not recorded by make_golden.py).

MXNet's parameters are single precision, so the references round them to float32 first.
"""

import numpy as np

from .case import Case, ErrorCase, add, add_errors


def _f32(value):
    """``value`` rounded to single precision, as MXNet stores a float parameter."""
    return float(np.float32(value))


# MXNet's defaults, as single precision values.
_BETA1, _BETA2, _EPSILON = _f32(0.9), _f32(0.999), _f32(1e-8)
_GAMMA1, _GAMMA2, _LAMDA1 = _f32(0.95), _f32(0.9), _f32(0.01)
_FTML_BETA1, _LAMB_EPSILON = _f32(0.6), _f32(1e-6)


def _single(params):
    return {k: _f32(v) if isinstance(v, float) else v for k, v in params.items()}


def _clip(values, bound):
    return np.clip(values, -bound, bound) if bound >= 0 else values


def sgd(weight, grad, lr, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True):
    return (1 - lr * wd) * weight - lr * _clip(rescale_grad * grad, clip_gradient)


def sgd_mom(
    weight,
    grad,
    mom,
    lr,
    momentum=0.0,
    wd=0.0,
    rescale_grad=1.0,
    clip_gradient=-1.0,
    lazy_update=True,
):
    mom[...] = momentum * mom - lr * wd * weight - lr * _clip(rescale_grad * grad, clip_gradient)
    return weight + mom


def mp_sgd(weight, grad, weight32, **params):
    weight32[...] = sgd(weight32, grad.astype(np.float32), **params)
    return weight32.astype(weight.dtype)


def mp_sgd_mom(weight, grad, mom, weight32, **params):
    weight32[...] = sgd_mom(weight32, grad.astype(np.float32), mom, **params)
    return weight32.astype(weight.dtype)


def nag_mom(weight, grad, mom, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    step = lr * (_clip(rescale_grad * grad, clip_gradient) + wd * weight)
    mom[...] = momentum * mom
    new_weight = weight - mom + (momentum + 1) * (mom - step)
    mom[...] = mom - step
    return new_weight


def mp_nag_mom(
    weight, grad, mom, weight32, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0
):
    gradient = _clip(rescale_grad * grad.astype(np.float32), clip_gradient)
    mom[...] = momentum * mom
    weight32[...] = weight32 - mom + (momentum + 1) * (mom - lr * (gradient + wd * weight32))
    # MXNet 1.9.1's momentum step reads the updated master weight.
    mom[...] = mom - lr * (gradient + wd * weight32)
    return weight32.astype(weight.dtype)


def adam(
    weight,
    grad,
    mean,
    var,
    lr,
    beta1=_BETA1,
    beta2=_BETA2,
    epsilon=_EPSILON,
    wd=0.0,
    rescale_grad=1.0,
    clip_gradient=-1.0,
    lazy_update=True,
):
    g = _clip(rescale_grad * grad + wd * weight, clip_gradient)
    mean[...] = beta1 * mean + (1 - beta1) * g
    var[...] = beta2 * var + (1 - beta2) * g**2
    return weight - lr * mean / (np.sqrt(var) + epsilon)


def rmsprop(
    weight,
    grad,
    n,
    lr,
    gamma1=_GAMMA1,
    epsilon=_EPSILON,
    wd=0.0,
    rescale_grad=1.0,
    clip_gradient=-1.0,
    clip_weights=-1.0,
):
    g = _clip(rescale_grad * grad + wd * weight, clip_gradient)
    n[...] = (1 - gamma1) * g**2 + gamma1 * n
    return _clip(weight - lr * g / np.sqrt(n + epsilon), clip_weights)


def rmspropalex(
    weight,
    grad,
    n,
    g,
    delta,
    lr,
    gamma1=_GAMMA1,
    gamma2=_GAMMA2,
    epsilon=_EPSILON,
    wd=0.0,
    rescale_grad=1.0,
    clip_gradient=-1.0,
    clip_weights=-1.0,
):
    step = _clip(rescale_grad * grad + wd * weight, clip_gradient)
    n[...] = (1 - gamma1) * step**2 + gamma1 * n
    g[...] = (1 - gamma1) * step + gamma1 * g
    delta[...] = gamma2 * delta - lr * step / np.sqrt(n - g**2 + epsilon)
    return _clip(weight + delta, clip_weights)


def ftrl(
    weight,
    grad,
    z,
    n,
    lr,
    lamda1=_LAMDA1,
    beta=1.0,
    wd=0.0,
    rescale_grad=1.0,
    clip_gradient=-1.0,
):
    g = _clip(rescale_grad * grad, clip_gradient)
    z[...] = z + g - (np.sqrt(n + g**2) - np.sqrt(n)) * weight / lr
    n[...] = n + g**2
    value = (np.sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + wd)
    return np.where(np.abs(z) > lamda1, value, 0).astype(weight.dtype)


def ftml(
    weight,
    grad,
    d,
    v,
    z,
    lr,
    t,
    beta1=_FTML_BETA1,
    beta2=_BETA2,
    epsilon=1e-8,  # a double in MXNet, unlike the other parameters
    wd=0.0,
    rescale_grad=1.0,
    clip_grad=-1.0,
):
    g = _clip(rescale_grad * grad + wd * weight, clip_grad)
    v[...] = beta2 * v + (1 - beta2) * g**2
    d_new = (1 - beta1**t) / lr * (np.sqrt(v / (1 - beta2**t)) + epsilon)
    z[...] = beta1 * z + (1 - beta1) * g - (d_new - beta1 * d) * weight
    d[...] = d_new
    return -z / d


def signsgd(weight, grad, lr, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return (1 - lr * wd) * weight - lr * np.sign(grad)


def signum(
    weight, grad, mom, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, wd_lh=0.0
):
    step = _clip(rescale_grad * grad, clip_gradient)
    mom[...] = momentum * mom - (1 - momentum) * (wd * weight + step)
    return (1 - lr * wd_lh) * weight + lr * np.sign(mom)


def lamb_phase1(
    weight,
    grad,
    mean,
    var,
    t,
    wd,
    beta1=_BETA1,
    beta2=_BETA2,
    epsilon=_LAMB_EPSILON,
    bias_correction=True,
    rescale_grad=1.0,
    clip_gradient=-1.0,
):
    g = _clip(rescale_grad * grad, clip_gradient)
    mean[...] = beta1 * mean + (1 - beta1) * g
    var[...] = beta2 * var + (1 - beta2) * g**2
    mean_hat, var_hat = mean, var
    if bias_correction:
        mean_hat, var_hat = mean / (1 - beta1**t), var / (1 - beta2**t)
    return mean_hat / (np.sqrt(var_hat) + epsilon) + wd * weight


def lamb_phase2(weight, g, r1, r2, lr, lower_bound=-1.0, upper_bound=-1.0):
    if lower_bound >= 0:
        r1 = np.maximum(r1, lower_bound)
    if upper_bound >= 0:
        r1 = np.minimum(r1, upper_bound)
    ratio = r1 / r2 if r1[0] != 0 and r2[0] != 0 else np.ones_like(r1)
    return weight - lr * ratio * g


def mp_lamb_phase1(weight, grad, mean, var, weight32, **params):
    return lamb_phase1(weight32, grad.astype(np.float32), mean, var, **params)


def mp_lamb_phase2(weight, g, r1, r2, weight32, **params):
    # MXNet 1.9.1 leaves weight32 as it is.
    return lamb_phase2(weight32, g, r1, r2, **params).astype(weight.dtype)


# operator -> (reference, the kinds of its inputs after weight and grad)
STEPS = {
    "sgd_update": (sgd, ()),
    "sgd_mom_update": (sgd_mom, ("any",)),
    "mp_sgd_update": (mp_sgd, ("master",)),
    "mp_sgd_mom_update": (mp_sgd_mom, ("any32", "master")),
    "nag_mom_update": (nag_mom, ("any",)),
    "mp_nag_mom_update": (mp_nag_mom, ("any32", "master")),
    "adam_update": (adam, ("any", "positive")),
    "rmsprop_update": (rmsprop, ("positive",)),
    "rmspropalex_update": (rmspropalex, ("positive", "small", "any")),
    "ftrl_update": (ftrl, ("any", "positive")),
    "ftml_update": (ftml, ("positive", "positive", "any")),
    "signsgd_update": (signsgd, ()),
    "signum_update": (signum, ("any",)),
    "lamb_update_phase1": (lamb_phase1, ("any", "positive")),
    "lamb_update_phase2": (lamb_phase2, ("norm", "norm")),
    "mp_lamb_update_phase1": (mp_lamb_phase1, ("positive32", "positive32", "master")),
    "mp_lamb_update_phase2": (mp_lamb_phase2, ("norm32", "norm32", "master")),
}
# The operators that return the new weight (called with out=weight); LAMB's first phases
# return a direction instead.
RETURNS_WEIGHT = set(STEPS) - {"lamb_update_phase1", "mp_lamb_update_phase1"}
# LAMB's mixed-precision second phase takes a float32 direction ``g`` where others take grad.
_FLOAT32_GRAD = {"mp_lamb_update_phase2"}


def update_inputs(op, shape=(2, 3), dtype="float32"):
    """An input maker for ``op``: weight, grad, then its states by kind."""
    kinds = STEPS[op][1]

    def make(rng):
        weight = rng.uniform(-1, 1, shape).astype(dtype)
        grad_dtype = "float32" if op in _FLOAT32_GRAD else dtype
        grad = rng.uniform(-2, 2, shape).astype(grad_dtype)
        arrays = [weight, grad]
        for kind in kinds:
            state_dtype = "float32" if kind.endswith("32") or kind == "master" else dtype
            if kind == "master":
                arrays.append(weight.astype("float32"))
            elif kind.startswith("norm"):
                source = weight if len(arrays) == 2 else grad
                arrays.append(np.array([np.linalg.norm(source)], state_dtype))
            elif kind.startswith("positive"):
                arrays.append(rng.uniform(0.5, 1.5, shape).astype(state_dtype))
            elif kind == "small":
                arrays.append(rng.uniform(-0.1, 0.1, shape).astype(state_dtype))
            else:
                arrays.append(rng.uniform(-0.5, 0.5, shape).astype(state_dtype))
        return arrays

    return make


def step_reference(op, params):
    """The harness reference: the new weight, computed on copies of the inputs."""
    reference = STEPS[op][0]
    return lambda *arrays: reference(*[a.copy() for a in arrays], **_single(params))


def step_states(op, arrays, params):
    """Run the reference on copies; return (new weight, every input after the step)."""
    copies = [a.copy() for a in arrays]
    return STEPS[op][0](*copies, **_single(params)), copies


def _cases(op, *variants):
    """Cases of ``op``: (label, params, shape, dtype) each, checked against the reference."""
    add(
        op,
        *[
            Case(
                update_inputs(op, shape, dtype),
                params,
                step_reference(op, params),
                label=label,
                grad=False,
                golden=False,
            )
            for label, params, shape, dtype in variants
        ],
    )


_ALL = {"wd": 0.01, "rescale_grad": 0.5, "clip_gradient": 0.3}
_PLAIN = (2, 3)
for _op in ("sgd_update", "signsgd_update"):
    _cases(
        _op,
        ("defaults", {"lr": 0.1}, _PLAIN, "float32"),
        ("all-params", {"lr": 0.1, **_ALL}, _PLAIN, "float32"),
        ("float64", {"lr": 0.05, **_ALL}, (4,), "float64"),
        ("one-element", {"lr": 0.1}, (1,), "float32"),
    )
for _op in ("sgd_mom_update", "nag_mom_update", "signum_update"):
    _extra = {"wd_lh": 0.02} if _op == "signum_update" else {}
    _cases(
        _op,
        ("defaults", {"lr": 0.1}, _PLAIN, "float32"),
        ("momentum", {"lr": 0.1, "momentum": 0.9, **_ALL, **_extra}, _PLAIN, "float32"),
        ("float64", {"lr": 0.05, "momentum": 0.5, **_ALL}, (2, 2, 2), "float64"),
        ("clip-zero", {"lr": 0.1, "momentum": 0.9, "clip_gradient": 0.0}, (3,), "float32"),
    )
for _op in ("mp_sgd_update", "mp_sgd_mom_update", "mp_nag_mom_update"):
    _momentum = {} if _op == "mp_sgd_update" else {"momentum": 0.9}
    _cases(
        _op,
        ("float16", {"lr": 0.1, **_momentum, **_ALL}, _PLAIN, "float16"),
        ("float32", {"lr": 0.1, **_momentum}, (4,), "float32"),
    )
_cases(
    "adam_update",
    ("defaults", {"lr": 0.01}, _PLAIN, "float32"),
    (
        "all-params",
        {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, **_ALL},
        _PLAIN,
        "float32",
    ),
    ("float64", {"lr": 0.01, **_ALL}, (5,), "float64"),
)
for _op in ("rmsprop_update", "rmspropalex_update"):
    _cases(
        _op,
        ("defaults", {"lr": 0.01}, _PLAIN, "float32"),
        ("all-params", {"lr": 0.01, "gamma1": 0.9, "epsilon": 1e-4, **_ALL}, _PLAIN, "float32"),
        ("clip-weights", {"lr": 0.5, "clip_weights": 0.2}, _PLAIN, "float32"),
        ("float64", {"lr": 0.01, **_ALL}, (4,), "float64"),
    )
_cases(
    "ftrl_update",
    ("defaults", {"lr": 0.1}, _PLAIN, "float32"),
    ("all-params", {"lr": 0.1, "lamda1": 0.05, "beta": 0.5, **_ALL}, _PLAIN, "float32"),
    ("float64", {"lr": 0.1, **_ALL}, (4,), "float64"),
)
_cases(
    "ftml_update",
    ("first-step", {"lr": 0.1, "t": 1}, _PLAIN, "float32"),
    (
        "all-params",
        {"lr": 0.1, "t": 3, "beta1": 0.5, "wd": 0.01, "rescale_grad": 0.5, "clip_grad": 0.3},
        _PLAIN,
        "float32",
    ),
    ("float64", {"lr": 0.1, "t": 2}, (4,), "float64"),
)
for _op in ("lamb_update_phase1", "mp_lamb_update_phase1"):
    _dtype = "float16" if _op.startswith("mp") else "float32"
    _cases(
        _op,
        ("defaults", {"t": 1, "wd": 0.0}, _PLAIN, _dtype),
        (
            "all-params",
            {"t": 3, "wd": 0.01, "beta1": 0.8, "rescale_grad": 0.5, "clip_gradient": 0.3},
            _PLAIN,
            _dtype,
        ),
        ("no-bias-correction", {"t": 2, "wd": 0.01, "bias_correction": False}, (4,), _dtype),
    )
for _op in ("lamb_update_phase2", "mp_lamb_update_phase2"):
    _dtype = "float16" if _op.startswith("mp") else "float32"
    _cases(
        _op,
        ("defaults", {"lr": 0.1}, _PLAIN, _dtype),
        ("bounds", {"lr": 0.1, "lower_bound": 0.5, "upper_bound": 1.0}, _PLAIN, _dtype),
        ("one-element", {"lr": 0.1}, (1,), _dtype),
    )
_cases("lamb_update_phase2", ("float64", {"lr": 0.1}, (4,), "float64"))


def _with(op, index, array):
    """``op``'s inputs with input ``index`` replaced by ``array``."""

    def make(rng):
        arrays = update_inputs(op)(rng)
        arrays[index] = array
        return arrays

    return make


add_errors(
    "sgd_update",
    ErrorCase(update_inputs("sgd_update"), {}, match=r"sgd_update.*'lr'"),
    ErrorCase(
        _with("sgd_update", 1, np.ones((3, 2), "float32")),
        {"lr": 0.1},
        match=r"sgd_update.*grad.*shape",
    ),
    ErrorCase(update_inputs("sgd_update", dtype="int32"), {"lr": 0.1}, match=r"sgd_update.*float"),
)
add_errors(
    "sgd_mom_update",
    ErrorCase(
        _with("sgd_mom_update", 2, np.ones((3,), "float32")),
        {"lr": 0.1},
        match=r"sgd_mom_update.*mom.*shape",
    ),
)
add_errors(
    "mp_sgd_mom_update",
    ErrorCase(
        _with("mp_sgd_mom_update", 2, np.ones((2, 3), "float16")),
        {"lr": 0.1},
        match=r"mp_sgd_mom_update.*mom.*float16.*float32",
    ),
)
add_errors(
    "ftml_update",
    ErrorCase(update_inputs("ftml_update"), {"lr": 0.1}, match=r"ftml_update.*'t'"),
)
add_errors(
    "lamb_update_phase2",
    ErrorCase(
        _with("lamb_update_phase2", 2, np.ones((2,), "float32")),
        {"lr": 0.1},
        match=r"lamb_update_phase2.*r1.*shape",
    ),
)
