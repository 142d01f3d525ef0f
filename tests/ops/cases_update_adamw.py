"""Cases of the AdamW updates (_adamw_update, _mp_adamw_update, _multi_adamw_update,
_multi_mp_adamw_update).

The inputs are, per weight, weight, grad, mean, var (and weight32 for mixed precision), then
rescale_grad, a float32 array of one value. ``step(op, arrays, params)`` is the NumPy
reference: it writes the states (and, for _adamw_update, the rescaled gradient) into its
inputs and returns the new weights. The harness compares the returned weights (on copies);
tests/ops/test_update_adamw.py compares the states and replays three MXNet 1.9.1 steps of
every case (tests/golden/update_adamw, written by tools/make_update_golden.py).
"""

import numpy as np

from .case import Case, ErrorCase, add, add_errors

# operator -> (mixed precision, multi-tensor)
ADAMW = {
    "_adamw_update": (False, False),
    "_mp_adamw_update": (True, False),
    "_multi_adamw_update": (False, True),
    "_multi_mp_adamw_update": (True, True),
}


def _f32(value):
    return np.float32(value)


def per_weight(op):
    return ("weight", "grad", "mean", "var") + ("weight32",) * ADAMW[op][0]


def positions(op, count, kind):
    """The input positions of one kind ("grad", "weight", ...)."""
    kinds = list(per_weight(op)) * count
    return [i for i, have in enumerate(kinds) if have == kind]


def adamw_inputs(op, shapes, dtype="float32", rescale=1.0):
    def make(rng):
        arrays = []
        for shape in shapes:
            weight = rng.uniform(-1, 1, shape).astype(dtype)
            arrays += [weight, rng.uniform(-2, 2, shape).astype(dtype)]
            state = "float32" if ADAMW[op][0] or ADAMW[op][1] else dtype
            arrays.append(rng.uniform(-0.5, 0.5, shape).astype(state))
            arrays.append(rng.uniform(0.5, 1.5, shape).astype(state))
            if ADAMW[op][0]:
                arrays.append(weight.astype("float32"))
        return arrays + [np.array([rescale], "float32")]

    return make


def step(op, arrays, params):
    """One step on ``arrays`` (states written in place); return the new weights."""
    mixed, multi = ADAMW[op]
    scale = float(arrays[-1][0])
    per = len(per_weight(op))
    count = params.get("num_weights", 1)
    weights = []
    for i in range(count):
        group = dict(zip(per_weight(op), arrays[i * per : (i + 1) * per]))
        weight, grad, mean, var = (group[k] for k in ("weight", "grad", "mean", "var"))
        if not np.isfinite(scale) or scale == 0:
            weights.append(weight.copy())
            continue
        if multi:
            lr, wd, eta = (params[k][i] for k in ("lrs", "wds", "etas"))
        else:
            lr, wd, eta = params["lr"], params.get("wd", 0.0), params["eta"]
        lr, wd, eta = _f32(lr), _f32(wd), _f32(eta)
        beta1, beta2 = _f32(params.get("beta1", 0.9)), _f32(params.get("beta2", 0.999))
        epsilon, bound = _f32(params.get("epsilon", 1e-8)), params.get("clip_gradient", -1.0)
        # MXNet 1.9.1's single-tensor update always steps weight32; the multi-tensor one
        # steps float32 weights directly and leaves their weight32 alone.
        use_master = mixed and not (multi and weight.dtype == np.float32)
        dtype = np.float32 if mixed or multi else weight.dtype
        g = np.float32(scale).astype(dtype) * grad.astype(dtype)
        if bound >= 0:
            g = np.clip(g, -_f32(bound), _f32(bound))
        if multi:
            mean[...] = beta1 * (mean - g) + g
            var[...] = beta2 * (var - g * g) + g * g
        else:
            mean[...] = beta1 * mean + (1 - beta1) * g
            var[...] = beta2 * var + (1 - beta2) * g * g
        if not mixed and not multi:
            grad[...] = g
        master = group["weight32"] if use_master else weight.astype(dtype)
        new = master - eta * (lr * mean / (np.sqrt(var) + epsilon) + wd * master)
        if use_master:
            master[...] = new
        weights.append(new.astype(weight.dtype))
    return weights[0] if count == 1 else tuple(weights)


def step_states(op, arrays, params):
    """Run the reference on copies; return (new weights, every input after the step)."""
    copies = [a.copy() for a in arrays]
    return step(op, copies, params), copies


def _reference(op, params):
    return lambda *arrays: step(op, [a.copy() for a in arrays], params)


def _cases(op, *variants):
    """Cases of ``op``: (label, shapes, dtype, rescale_grad, params) each."""
    for label, shapes, dtype, rescale, params in variants:
        params = dict(params)
        if ADAMW[op][1] and len(shapes) != 1:
            params["num_weights"] = len(shapes)
        case = Case(
            adamw_inputs(op, shapes, dtype, rescale),
            params,
            # A skipped update leaves a fresh output unwritten (MXNet: undefined values):
            # only the golden replay, with out=weight, checks those cases.
            None if label.startswith("skip") else _reference(op, params),
            label=label,
            grad=False,
            golden=False,
        )
        add(op, case)


_ALL = {"beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "clip_gradient": 0.3}
for _op in ("_adamw_update", "_mp_adamw_update"):
    _low = "float16" if _op.startswith("_mp") else "float32"
    _cases(
        _op,
        ("defaults", [(2, 3)], _low, 1.0, {"lr": 0.01, "eta": 1.0}),
        ("all-params", [(2, 3)], _low, 0.5, {"lr": 0.01, "eta": 0.5, "wd": 0.01, **_ALL}),
        ("float32", [(4,)], "float32", 2.0, {"lr": 0.1, "eta": 1.0, "wd": 0.1}),
        ("skip-zero", [(3,)], _low, 0.0, {"lr": 0.1, "eta": 1.0}),
        ("skip-nan", [(3,)], _low, float("nan"), {"lr": 0.1, "eta": 1.0}),
    )
_cases("_adamw_update", ("float64", [(5,)], "float64", 0.5, {"lr": 0.01, "eta": 1.0, "wd": 0.1}))
for _op in ("_multi_adamw_update", "_multi_mp_adamw_update"):
    _low = "float16" if _op.startswith("_multi_mp") else "float32"
    _two = {"lrs": [0.1, 0.05], "wds": [0.0, 0.01], "etas": [1.0, 0.5]}
    _cases(
        _op,
        ("two", [(2, 3), (4,)], _low, 1.0, _two),
        ("all-params", [(2, 2), (3,)], _low, 0.5, {**_two, **_ALL}),
        ("one-weight", [(3, 2)], "float32", 2.0, {"lrs": [0.1], "wds": [0.01], "etas": [1.0]}),
        ("skip-inf", [(3,), (2,)], _low, float("inf"), _two),
    )

add_errors(
    "_multi_adamw_update",
    ErrorCase(
        adamw_inputs("_multi_adamw_update", [(2,), (3,)]),
        {"lrs": [0.1, 0.1], "wds": [0.0, 0.0], "etas": [1.0], "num_weights": 2},
        match=r"_multi_adamw_update: etas has 1 value\(s\), but num_weights=2",
    ),
    ErrorCase(
        adamw_inputs("_multi_adamw_update", [(2,), (3,)]),
        {"lrs": [0.1], "wds": [0.0], "etas": [1.0]},
        match=r"_multi_adamw_update: num_weights=1 takes 5 inputs",
    ),
)
add_errors(
    "_adamw_update",
    ErrorCase(
        lambda rng: [np.ones(3, "float32")] * 4 + [np.ones(2, "float32")],
        {"lr": 0.1, "eta": 1.0},
        match=r"_adamw_update.*rescale_grad.*shape",
    ),
)
