"""The multi-tensor SGD updates: the states after a step, out= the weights, agreement with the
single-tensor updates, and three steps against MXNet 1.9.1 (tests/golden/update_multi, written
by tools/make_update_golden.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.ops import REGISTRY

from . import harness
from .case import CASES
from .cases_update_multi import MULTI, NOT_RECORDED, positions, step_states

MULTI_CASES = [case for name in sorted(MULTI) for case in CASES[name]]
GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "update_multi"
FILES = sorted(GOLDEN.glob("*.npz"))


def _ids(cases):
    return [case.id for case in cases]


def _call(op_name, arrays, params, out=None):
    result = getattr(mx.nd, op_name)(*arrays, out=out, **params)
    return result if isinstance(result, list) else [result]


@pytest.mark.parametrize("case", MULTI_CASES, ids=_ids(MULTI_CASES))
def test_one_step_writes_the_states(case, ctx, engine_type, seed):
    arrays = harness.make_inputs(case, seed)
    inputs = harness.to_nd(arrays, ctx)
    got = _call(case.op, inputs, case.params)
    want, after = step_states(case.op, arrays, case.params)
    harness.assert_outputs(case.op, got, [np.asarray(w) for w in want])
    # Weights and gradients are read only (without out=); the states hold the new values.
    harness.assert_outputs(f"{case.op} inputs", inputs, after)


@pytest.mark.parametrize("case", MULTI_CASES, ids=_ids(MULTI_CASES))
def test_out_the_weights_updates_them_in_place(case, engine_type, seed):
    arrays = harness.make_inputs(case, seed)
    inputs = harness.to_nd(arrays, mx.cpu())
    count = case.params.get("num_weights", 1)
    weights = [inputs[i] for i in positions(case.op, count, "weight")]
    returned = _call(case.op, inputs, case.params, out=weights if count > 1 else weights[0])
    assert all(r is w for r, w in zip(returned, weights))
    want, after = step_states(case.op, arrays, case.params)
    for i, new in zip(positions(case.op, count, "weight"), want):
        after[i] = np.asarray(new)
    harness.assert_outputs(f"{case.op} inputs", inputs, after)


def test_every_update_declares_its_states():
    """The inputs a step changes are those the operator declares (mixed-precision ones with
    float16 weights: float32 weights have no master copy, see below)."""
    rng = np.random.default_rng(0)
    for name in MULTI:
        case = CASES[name][0]
        arrays = case.make(rng)
        _, after = step_states(name, arrays, case.params)
        changed = [i for i, (a, b) in enumerate(zip(arrays, after)) if not np.array_equal(a, b)]
        op = REGISTRY[name]
        assert changed == list(op.mutated_inputs(op.params.parse(name, case.params))), name


@pytest.mark.parametrize("name", ["multi_mp_sgd_mom_update", "preloaded_multi_mp_sgd_update"])
def test_float32_weights_skip_their_master_copy(name):
    """MXNet 1.9.1's mixed-precision multi updates step a float32 weight itself: its weight32
    is neither read nor written (the single-tensor mp_sgd_update does use it)."""
    momentum, _, preloaded = MULTI[name]
    weight32 = mx.nd.array([10.0, 20.0])
    mom = [mx.nd.zeros(2)] if momentum else []
    rates = [mx.nd.array([0.5]), mx.nd.array([0.1])] if preloaded else []
    params = {} if preloaded else {"lrs": 0.5, "wds": 0.1}
    inputs = [mx.nd.array([1.0, 2.0]), mx.nd.ones(2), *mom, weight32, *rates]
    new = getattr(mx.nd, name)(*inputs, **params)
    np.testing.assert_allclose(new.asnumpy(), [0.45, 1.4], rtol=1e-6)
    np.testing.assert_array_equal(weight32.asnumpy(), [10.0, 20.0])


def _single_steps(mixed, groups, lrs, wds, params):
    """Each weight's group stepped by sgd_mom_update or mp_sgd_mom_update: the new weight
    and states, as numpy arrays."""
    name = "mp_sgd_mom_update" if mixed else "sgd_mom_update"
    results = []
    for arrays, lr, wd in zip(groups, lrs, wds):
        inputs = harness.to_nd(arrays, mx.cpu())
        new = getattr(mx.nd, name)(*inputs, lr=lr, wd=wd, **params)
        results += [new.asnumpy()] + [state.asnumpy() for state in inputs[2:]]
    return results


@pytest.mark.parametrize("preloaded", [False, True])
@pytest.mark.parametrize("mixed", [False, True])
def test_multi_steps_equal_single_steps(mixed, preloaded, engine_type):
    """Bit for bit, each weight of multi_sgd_mom_update (multi_mp_sgd_mom_update) moves as
    sgd_mom_update (mp_sgd_mom_update) moves it, with preloaded rates as with parameters."""
    rng = np.random.default_rng(3)
    dtype = "float16" if mixed else "float32"
    params = {"momentum": 0.9, "rescale_grad": 0.7}
    lrs, wds = (0.1, 0.03), (0.01, 0.002)
    groups = []
    for shape in [(2, 3), (5,)]:
        weight = rng.uniform(-1, 1, shape).astype(dtype)
        grad = rng.uniform(-1, 1, shape).astype(dtype)
        mom = rng.uniform(-1, 1, shape).astype("float32" if mixed else dtype)
        groups.append([weight, grad, mom] + ([weight.astype("float32")] if mixed else []))
    want = _single_steps(mixed, groups, lrs, wds, params)
    inputs = harness.to_nd([array for arrays in groups for array in arrays], mx.cpu())
    name = "multi_mp_sgd_mom_update" if mixed else "multi_sgd_mom_update"
    if preloaded:
        rates = [mx.nd.array(lrs), mx.nd.array(wds)]
        got = getattr(mx.nd, "preloaded_" + name)(*inputs, *rates, num_weights=2, **params)
    else:
        got = getattr(mx.nd, name)(*inputs, lrs=lrs, wds=wds, num_weights=2, **params)
    per = len(groups[0])
    have = []
    for k in range(2):
        have += [got[k].asnumpy()] + [s.asnumpy() for s in inputs[k * per + 2 : (k + 1) * per]]
    for h, w in zip(have, want):
        np.testing.assert_array_equal(h, w)


@pytest.mark.parametrize("lrs", [0.5, [0.5], "(0.5,)", "0.5"])
def test_rates_take_the_forms_mxnet_parses(lrs):
    weight = mx.nd.array([1.0, 2.0])
    mx.nd.multi_sgd_update(weight, mx.nd.array([1.0, -1.0]), lrs=lrs, wds="[0]", out=weight)
    np.testing.assert_array_equal(weight.asnumpy(), [0.5, 2.5])


def test_preloaded_rates_of_any_shape_holding_num_weights_values():
    weights = [mx.nd.ones(2), mx.nd.ones(3)]
    grads = [mx.nd.ones(2), mx.nd.ones(3)]
    rates = mx.nd.array([[0.5], [0.25]]), mx.nd.zeros((1, 2))
    new = mx.nd.preloaded_multi_sgd_update(
        weights[0], grads[0], weights[1], grads[1], *rates, num_weights=2
    )
    np.testing.assert_array_equal(new[0].asnumpy(), [0.5, 0.5])
    np.testing.assert_array_equal(new[1].asnumpy(), [0.75, 0.75, 0.75])


def test_states_are_written_in_engine_order(engine_type):
    """A state read before the update keeps the old value; a read after sees the new one."""
    weight, grad, mom = mx.nd.ones(2), mx.nd.ones(2), mx.nd.zeros(2)
    before = mom + 1
    mx.nd.multi_sgd_mom_update(weight, grad, mom, lrs=0.5, wds=0.0, momentum=0.9, out=weight)
    after = mom + 1
    np.testing.assert_array_equal(before.asnumpy(), [1.0, 1.0])
    np.testing.assert_array_equal(after.asnumpy(), [0.5, 0.5])
    np.testing.assert_array_equal(weight.asnumpy(), [0.5, 0.5])


def test_updating_a_recorded_state_while_recording_is_refused():
    weight, grad, mom = mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(3)
    mom.attach_grad()
    with mx.autograd.record():
        with pytest.raises(MXNetError, match="multi_sgd_mom_update"):
            mx.nd.multi_sgd_mom_update(weight, grad, mom, lrs=0.1, wds=0.0)
    np.testing.assert_array_equal(mom.asnumpy(), np.ones(3))


# ---- three steps against MXNet 1.9.1 -------------------------------------------------------


def _load(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_golden_files_match_the_case_tables():
    """Every recorded case has a file and every file a case: else rerun the tool."""
    wanted = {case.id for case in MULTI_CASES} - NOT_RECORDED
    have = {path.stem for path in FILES}
    assert not wanted - have, f"missing (run tools/make_update_golden.py): {wanted - have}"
    assert not have - wanted, f"golden files without a case: {have - wanted}"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_three_steps_match_mxnet(path, engine_type):
    record = _load(path)
    op_name = str(record["op"])
    params = json.loads(str(record["params"]))
    count = len([key for key in record if key.startswith("in")])
    arrays = harness.to_nd([record[f"in{i}"] for i in range(count)], mx.cpu())
    weights = positions(op_name, params.get("num_weights", 1), "weight")
    step = 0
    while f"out{step}_0" in record:
        for i in range(count):
            grad = record.get(f"grad{step}_{i}")
            if grad is not None:
                arrays[i] = mx.nd.array(grad, dtype=grad.dtype)
        outs = [arrays[i] for i in weights]
        got = _call(op_name, arrays, params, out=outs if len(outs) > 1 else outs[0])
        want = [record[f"out{step}_{k}"] for k in range(len(outs))]
        _assert_exact(f"{op_name} step {step}", got, want)
        after = [record[f"step{step}_{i}"] for i in range(count)]
        _assert_exact(f"{op_name} step {step} inputs", arrays, after)
        step += 1
    assert step == 3


def _assert_exact(label, got, want):
    """Equal bit for bit (on the CPU): the kernels round as MXNet's do, float16 included."""
    harness.assert_outputs(label, got, want)
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(g.asnumpy(), w, err_msg=f"{label} [{i}]")
