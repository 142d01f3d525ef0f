"""Cases of the multi-tensor SGD updates (multi_sgd_update, ..., preloaded_multi_mp_sgd_mom_update).

The NumPy reference runs cases_update's single-tensor ``sgd_mom`` (``mp_sgd_mom`` for mixed
precision) on each weight, from a zero momentum where the operator has none. The harness
compares the returned weights (on copies); tests/ops/test_update_multi.py compares the states,
and tools/make_update_golden.py runs three steps of every case in MXNet 1.9.1 (so make_golden.py
does not record these cases).
"""

import numpy as np

from .case import Case, ErrorCase, add, add_errors
from .cases_update import mp_sgd_mom, sgd_mom

# operator -> (with momentum, mixed precision, preloaded)
MULTI = {
    "multi_sgd_update": (False, False, False),
    "multi_sgd_mom_update": (True, False, False),
    "multi_mp_sgd_update": (False, True, False),
    "multi_mp_sgd_mom_update": (True, True, False),
    "preloaded_multi_sgd_update": (False, False, True),
    "preloaded_multi_sgd_mom_update": (True, False, True),
    "preloaded_multi_mp_sgd_update": (False, True, True),
    "preloaded_multi_mp_sgd_mom_update": (True, True, True),
}


def per_weight(op):
    """The kinds of input each weight brings, in MXNet's order."""
    momentum, mixed, _ = MULTI[op]
    return ("weight", "grad") + ("mom",) * momentum + ("weight32",) * mixed


def input_kinds(op, count):
    """The kind of every input of ``op`` with ``count`` weights."""
    kinds = list(per_weight(op)) * count
    return kinds + ["lrs", "wds"] if MULTI[op][2] else kinds


def positions(op, count, kind):
    """The input positions of one kind ("grad", "weight", ...)."""
    return [i for i, have in enumerate(input_kinds(op, count)) if have == kind]


def _f32(value):
    """``value`` rounded to single precision, as MXNet stores a float parameter."""
    return float(np.float32(value))


def multi_inputs(op, shapes, dtype="float32", lrs=(), wds=()):
    """An input maker: weight, grad and states per shape, then (preloaded) lrs and wds."""
    momentum, mixed, preloaded = MULTI[op]
    state_dtype = "float32" if mixed else dtype

    def make(rng):
        arrays = []
        for shape in shapes:
            weight = rng.uniform(-1, 1, shape).astype(dtype)
            arrays += [weight, rng.uniform(-2, 2, shape).astype(dtype)]
            if momentum:
                arrays.append(rng.uniform(-0.5, 0.5, shape).astype(state_dtype))
            if mixed:
                arrays.append(weight.astype("float32"))
        if preloaded:
            arrays += [np.array(lrs, "float32"), np.array(wds, "float32")]
        return arrays

    return make


def run_step(op, arrays, params):
    """One step on ``arrays`` (states written in place); return the new weights."""
    momentum, mixed, preloaded = MULTI[op]
    count = params.get("num_weights", 1)
    per = len(per_weight(op))
    if preloaded:
        lrs, wds = arrays[-2].ravel(), arrays[-1].ravel()
    else:
        lrs, wds = params["lrs"], params["wds"]
    common = {
        name: _f32(params[name])
        for name in ("momentum", "rescale_grad", "clip_gradient")
        if name in params
    }
    weights = []
    for i in range(count):
        group = arrays[i * per : (i + 1) * per]
        weight, grad = group[:2]
        if momentum:
            mom = group[2]
        else:
            mom = np.zeros(weight.shape, "float32" if mixed else weight.dtype)
        rates = {"lr": _f32(lrs[i]), "wd": _f32(wds[i]), **common}
        # MXNet 1.9.1 steps float32 weights directly and leaves their weight32 alone.
        if mixed and weight.dtype != np.float32:
            weights.append(mp_sgd_mom(weight, grad, mom, group[-1], **rates))
        else:
            weights.append(sgd_mom(weight, grad, mom, **rates))
    return tuple(weights)


def step_states(op, arrays, params):
    """Run the reference on copies; return (new weights, every input after the step)."""
    copies = [a.copy() for a in arrays]
    return run_step(op, copies, params), copies


def _reference(op, params):
    return lambda *arrays: run_step(op, [a.copy() for a in arrays], params)


# Case ids tools/make_update_golden.py does not record: MXNet 1.x cannot make zero-size
# arrays (0 is an unknown dimension in its shape inference).
NOT_RECORDED: set[str] = set()


def _cases(op, *variants):
    """Cases of ``op``: (label, shapes, dtype, lrs, wds, other params) each."""
    preloaded = MULTI[op][2]
    for label, shapes, dtype, lrs, wds, extra in variants:
        params = dict(extra)
        if len(shapes) != 1:
            params["num_weights"] = len(shapes)
        if not preloaded:
            # Lists, as the golden files store them (JSON).
            params.update(lrs=list(lrs), wds=list(wds))
        case = Case(
            multi_inputs(op, shapes, dtype, lrs, wds),
            params,
            _reference(op, params),
            label=label,
            grad=False,
            golden=False,
        )
        add(op, case)
        if any(0 in shape for shape in shapes):
            NOT_RECORDED.add(f"{op}-{label}")


_CLIPPED = {"rescale_grad": 0.5, "clip_gradient": 0.3}
for _op, (_momentum, _mixed, _) in MULTI.items():
    _mom = {"momentum": 0.9} if _momentum else {}
    _low = "float16" if _mixed else "float32"
    _cases(
        _op,
        ("two", [(2, 3), (4,)], _low, (0.1, 0.05), (0.0, 0.01), _mom),
        (
            "all-params",
            [(2, 2), (3,), (1,)],
            _low,
            (0.1, 0.2, 0.05),
            (0.01, 0.0, 0.02),
            {**_mom, **_CLIPPED},
        ),
        ("one-weight", [(3, 2)], "float32", (0.1,), (0.01,), {}),
        ("rescaled", [(5,), (2, 2)], "float32", (0.3, 0.1), (0.001, 0.1), {"rescale_grad": 0.7}),
        ("zero-size", [(0, 3), (2,)], "float32", (0.1, 0.1), (0.0, 0.0), _mom),
    )
    # MXNet computes the non-mixed updates in the weight's dtype: float16 and float64 too.
    if not _mixed:
        _cases(
            _op,
            ("float16", [(3,), (2, 2)], "float16", (0.1, 0.2), (0.01, 0.0), {**_mom, **_CLIPPED}),
            ("float64", [(4,), (2, 2)], "float64", (0.1, 0.05), (0.01, 0.02), _mom),
        )
    else:
        _cases(_op, ("float64", [(4,)], "float64", (0.1,), (0.01,), _mom))


def _replace(op, shapes, index, array, lrs=(0.1, 0.1), wds=(0.0, 0.0)):
    """``op``'s inputs for ``shapes`` with input ``index`` replaced by ``array`` (or dropped
    where ``array`` is None)."""

    def make(rng):
        arrays = multi_inputs(op, shapes, "float32", lrs, wds)(rng)
        if array is None:
            del arrays[index]
        else:
            arrays[index] = array
        return arrays

    return make


_TWO = [(2, 3), (4,)]
_RATES = {"lrs": [0.1, 0.1], "wds": [0.0, 0.0], "num_weights": 2}
for _op, (_momentum, _mixed, _preloaded) in MULTI.items():
    _per = len(per_weight(_op))
    _params = {"num_weights": 2} if _preloaded else _RATES
    _inputs = 2 * _per + 2 * _preloaded
    _listing = ", ".join(per_weight(_op))
    _errors = [
        # One input short of num_weights=2.
        ErrorCase(
            _replace(_op, _TWO, 2 * _per - 1, None),
            _params,
            match=rf"{_op}: num_weights=2 takes {_inputs} inputs \({_listing} for each weight.*"
            rf"{_inputs - 1} were given",
        ),
        # num_weights defaults to 1, as in MXNet: two weights' inputs are too many.
        ErrorCase(
            multi_inputs(_op, _TWO, lrs=(0.1, 0.1), wds=(0.0, 0.0)),
            {} if _preloaded else {"lrs": [0.1], "wds": [0.0]},
            match=rf"{_op}: num_weights=1 takes {_per + 2 * _preloaded} inputs",
        ),
        ErrorCase(
            _replace(_op, _TWO, _per + 1, np.ones((3,), "float32")),
            _params,
            match=rf"{_op}: grad_1 has shape \(3,\); expected \(4,\)",
        ),
        ErrorCase(
            _replace(_op, _TWO, 1, np.ones((2, 3), "float64")),
            _params,
            match=rf"{_op}: grad_0 has dtype float64; expected float32 \(the dtype of weight_0\)",
        ),
    ]
    if _preloaded:
        _errors += [
            ErrorCase(
                _replace(_op, _TWO, -2, np.ones(3, "float32")),
                _params,
                match=rf"{_op}: lrs has shape \(3,\) \(3 value\(s\)\), but num_weights=2",
            ),
            ErrorCase(
                _replace(_op, _TWO, -1, np.ones((1, 1), "float32")),
                _params,
                match=rf"{_op}: wds has shape \(1, 1\).*num_weights=2 needs one weight decay",
            ),
            ErrorCase(
                _replace(_op, _TWO, -2, np.ones(2, "float64")),
                _params,
                match=rf"{_op}: lrs has dtype float64; expected float32",
            ),
        ]
    else:
        _errors += [
            ErrorCase(
                multi_inputs(_op, _TWO),
                {**_RATES, "lrs": [0.1]},
                match=rf"{_op}: lrs has 1 value\(s\), but num_weights=2 needs one learning rate",
            ),
            ErrorCase(
                multi_inputs(_op, _TWO),
                {**_RATES, "wds": [0.0, 0.0, 0.0]},
                match=rf"{_op}: wds has 3 value\(s\), but num_weights=2 needs one weight decay",
            ),
        ]
    if _mixed:
        _errors.append(
            ErrorCase(
                _replace(_op, _TWO, _per - 1, np.ones((2, 3), "float16")),
                _params,
                match=rf"{_op}: weight32_0 has dtype float16; expected float32 \(a mixed-precision",
            )
        )
    add_errors(_op, *_errors)
add_errors(
    "multi_sgd_update",
    ErrorCase(
        lambda rng: [np.ones(3, "int32"), np.ones(3, "int32")],
        {"lrs": [0.1], "wds": [0.0]},
        match=r"multi_sgd_update: weight_0 has dtype int32; expected a float dtype",
    ),
    # MXNet 1.9.1 runs all the weights through one kernel of one dtype.
    ErrorCase(
        lambda rng: [np.ones(3, "float32")] * 2 + [np.ones(2, "float16")] * 2,
        _RATES,
        match=r"multi_sgd_update: weight_1 has dtype float16; expected float32",
    ),
    ErrorCase(
        multi_inputs("multi_sgd_update", [(2,)]),
        {"lrs": [0.1], "wds": [0.0], "num_weights": 0},
        match=r"multi_sgd_update.*'num_weights'.*>= 1",
    ),
)
add_errors(
    "multi_sgd_mom_update",
    ErrorCase(
        _replace("multi_sgd_mom_update", _TWO, 2, np.ones((2, 3), "float16")),
        _RATES,
        match=r"multi_sgd_mom_update: mom_0 has dtype float16; expected float32",
    ),
)
