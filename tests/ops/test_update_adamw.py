"""The AdamW updates: the states after a step, skipped steps, the mx.nd.contrib wrappers and
three steps against MXNet 1.9.1 (tests/golden/update_adamw, written by
tools/make_update_golden.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx

from . import harness
from .case import CASES
from .cases_update_adamw import ADAMW, positions, step_states

ADAMW_CASES = [case for name in sorted(ADAMW) for case in CASES[name]]
STEP_CASES = [case for case in ADAMW_CASES if case.reference is not None]
GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "update_adamw"
FILES = sorted(GOLDEN.glob("*.npz"))


def _call(op_name, arrays, params, out=None):
    result = getattr(mx.nd._internal, op_name)(*arrays, out=out, **params)
    return result if isinstance(result, list) else [result]


@pytest.mark.parametrize("case", STEP_CASES, ids=[case.id for case in STEP_CASES])
def test_one_step_writes_the_states(case, ctx, engine_type, seed):
    arrays = harness.make_inputs(case, seed)
    inputs = harness.to_nd(arrays, ctx)
    got = _call(case.op, inputs, case.params)
    want, after = step_states(case.op, arrays, case.params)
    want = want if isinstance(want, tuple) else (want,)
    harness.assert_outputs(case.op, got, [np.asarray(w) for w in want])
    harness.assert_outputs(f"{case.op} inputs", inputs, after)


@pytest.mark.parametrize("rescale_grad", [0.0, float("nan"), float("inf")])
def test_a_skipped_update_writes_nothing(rescale_grad):
    """MXNet 1.9.1 skips the whole update when rescale_grad is 0, NaN or infinite (a loss
    scaler's overflow)."""
    weight, grad = mx.nd.array([1.0, 2.0]), mx.nd.array([1.0, -1.0])
    mean, var = mx.nd.zeros(2), mx.nd.zeros(2)
    returned = mx.nd.contrib.adamw_update(
        weight, grad, mean, var, rescale_grad=rescale_grad, lr=0.1, eta=1.0, out=weight
    )
    assert returned is weight
    for array, values in ((weight, [1, 2]), (grad, [1, -1]), (mean, [0, 0]), (var, [0, 0])):
        np.testing.assert_array_equal(array.asnumpy(), values)


def test_contrib_wrappers_take_a_number_or_an_array():
    def run(function, scale, mixed):
        weight = mx.nd.array([1.0, -2.0], dtype="float16" if mixed else "float32")
        states = [mx.nd.zeros(2), mx.nd.zeros(2)] + ([weight.astype("float32")] if mixed else [])
        grad = mx.nd.array([0.5, 0.25], dtype=weight.dtype)
        if function.__name__.startswith("multi"):
            lists = [[weight], [grad], *[[s] for s in states]]
            function(*lists, scale, lrs=[0.1], wds=[0.01], etas=[1.0], out=[weight])
        else:
            function(weight, grad, *states, scale, lr=0.1, eta=1.0, wd=0.01, out=weight)
        return weight.asnumpy()

    contrib = mx.nd.contrib
    for function, mixed in (
        (contrib.adamw_update, False),
        (contrib.mp_adamw_update, True),
        (contrib.multi_adamw_update, False),
        (contrib.multi_mp_adamw_update, True),
    ):
        by_number = run(function, 2.0, mixed)
        np.testing.assert_array_equal(by_number, run(function, mx.nd.array([2.0]), mixed))
        # From zero moments (no bias correction) the step is lr * 0.1 / sqrt(0.001) against
        # the gradient's sign, plus the decoupled decay wd * weight.
        step = 0.1 * 0.1 / np.sqrt(0.001)
        want = [1.0 - step - 0.01, -2.0 - step + 0.02]
        np.testing.assert_allclose(by_number, want, rtol=1e-3)


def test_symbol_wrapper_takes_a_number():
    weight, grad, mean, var = (mx.sym.var(name) for name in ("w", "g", "m", "v"))
    update = mx.sym.contrib.adamw_update(weight, grad, mean, var, 0.5, lr=0.1, eta=1.0)
    assert "w" in update.list_arguments()


def test_golden_files_match_the_case_tables():
    wanted = {case.id for case in ADAMW_CASES}
    have = {path.stem for path in FILES}
    assert not wanted - have, f"missing (run tools/make_update_golden.py): {wanted - have}"
    assert not have - wanted, f"golden files without a case: {have - wanted}"


def _load(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_three_steps_match_mxnet(path, engine_type):
    record = _load(path)
    op_name = str(record["op"])
    params = json.loads(str(record["params"]))
    count = params.get("num_weights", 1)
    inputs = []
    while f"in{len(inputs)}" in record:
        inputs.append(record[f"in{len(inputs)}"])
    arrays = harness.to_nd(inputs, mx.cpu())
    weights = positions(op_name, count, "weight")
    step = 0
    while f"out{step}_0" in record:
        for i in positions(op_name, count, "grad"):
            if step:
                grad = record[f"grad{step}_{i}"]
                arrays[i] = mx.nd.array(grad, dtype=grad.dtype)
        outs = [arrays[i] for i in weights]
        got = _call(op_name, arrays, params, out=outs if count > 1 else outs[0])
        want = [record[f"out{step}_{k}"] for k in range(count)]
        harness.assert_outputs(f"{op_name} step {step}", got, want)
        after = [record[f"step{step}_{i}"] for i in range(len(arrays))]
        harness.assert_outputs(f"{op_name} step {step} inputs", arrays, after)
        step += 1
    assert step == 3
