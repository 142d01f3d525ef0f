"""Every optimizer's 20-step trajectory equals real MXNet 1.9.1's (tools/make_optimizer_golden.py
recorded them; optimizer_cases.py lists the cases), and MXNet's pickled Updater states load and
carry on the same trajectory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optimizer_cases as cases
import pytest

import neomx as mx

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "optimizer"
IDS = [case["id"] for case in cases.CASES]

# Cases an operator (not this package) does not yet compute as MXNet does: strict xfails.
KNOWN_OP_ISSUES = {}


def marked(ids):
    return [
        pytest.param(i, marks=pytest.mark.xfail(reason=KNOWN_OP_ISSUES[i], strict=True))
        if i in KNOWN_OP_ISSUES
        else i
        for i in ids
    ]


# float32 trajectories agree to a few ulps (the nd-arithmetic optimizers round each operation
# as MXNet does); float16 weights are compared to half an ulp of float16 and their float32
# master copies like float32.
TOLERANCE = {"float32": {"rtol": 2e-6, "atol": 1e-7}, "float16": {"rtol": 1e-3, "atol": 1e-4}}


def load(case_id):
    with np.load(GOLDEN / f"{case_id}.npz") as data:
        return {key: data[key] for key in data.files}


def make_scheduler(spec):
    if spec is None:
        return None
    kind, kwargs = spec
    return getattr(mx.lr_scheduler, kind)(**kwargs)


def make_updater(spec):
    kwargs = dict(spec["kwargs"])
    scheduler = make_scheduler(spec["scheduler"])
    if scheduler is not None:
        kwargs["lr_scheduler"] = scheduler
    names = {int(k): v for k, v in cases.NAMES.items()}
    opt = mx.optimizer.create(spec["name"], param_idx2name=names, **kwargs)
    opt.set_lr_mult(dict(cases.MULTS["lr"]))
    opt.set_wd_mult(dict(cases.MULTS["wd"]))
    return mx.optimizer.get_updater(opt)


@pytest.fixture
def recorded_noise(monkeypatch):
    """Replay SGLD's recorded noise in place of neomx's sampler."""
    queue = []

    def normal(loc, scale, shape, dtype, ctx):
        values = queue.pop(0)
        assert values.shape == tuple(shape)
        return mx.nd.array(values, dtype=dtype, ctx=ctx)

    monkeypatch.setattr("neomx.optimizer.sgd.normal", normal)
    return queue


def flatten(state):
    if state is None:
        return []
    if isinstance(state, (tuple, list)):
        return [array for item in state for array in flatten(item)]
    return [state]


def step(updater, spec, data, weights, s):
    dtype = spec["dtype"]
    grads = [mx.nd.array(data[f"grad{s}_{i}"], dtype=dtype) for i in range(len(weights))]
    if spec["mode"] == "updater":
        updater(list(range(len(weights))), grads, weights)
    else:
        for i, (g, w) in enumerate(zip(grads, weights)):
            updater(i, g, w)


def check_step(updater, spec, data, weights, s):
    for i, w in enumerate(weights):
        tol = TOLERANCE[str(w.dtype.__name__)]
        np.testing.assert_allclose(
            w.asnumpy(), data[f"weight{s}_{i}"], err_msg=f"step {s} weight {i}", **tol
        )
        states = flatten(updater.states[i])
        recorded = sorted(k for k in data if k.startswith(f"state{s}_{i}_"))
        assert len(states) == len(recorded), f"step {s}: parameter {i} has other states"
        for k, state in enumerate(states):
            tol = TOLERANCE[str(state.dtype.__name__)]
            np.testing.assert_allclose(
                state.asnumpy(), data[f"state{s}_{i}_{k}"], err_msg=f"step {s} state {i}.{k}", **tol
            )


def noise_arrays(data):
    return [data[f"noise{n}"] for n in range(sum(k.startswith("noise") for k in data))]


@pytest.mark.parametrize("case_id", marked(IDS))
def test_trajectory(case_id, recorded_noise):
    data = load(case_id)
    spec = json.loads(str(data["meta"]))
    recorded_noise.extend(noise_arrays(data))
    updater = make_updater(spec)
    count = len(spec["shapes"])
    weights = [mx.nd.array(data[f"init{i}"], dtype=spec["dtype"]) for i in range(count)]
    for s in range(cases.STEPS):
        step(updater, spec, data, weights, s)
        check_step(updater, spec, data, weights, s)
    assert not recorded_noise


@pytest.mark.parametrize("dump_optimizer", [False, True], ids=["states", "with-optimizer"])
@pytest.mark.parametrize("case_id", IDS)
def test_resume_from_mxnet_pickle(case_id, dump_optimizer, recorded_noise):
    """MXNet's get_states bytes load into a neomx Updater, which continues the trajectory."""
    data = load(case_id)
    spec = json.loads(str(data["meta"]))
    noise = noise_arrays(data)
    count = len(spec["shapes"])
    last = cases.PICKLE_STEP - 1
    weights = [mx.nd.array(data[f"weight{last}_{i}"], dtype=spec["dtype"]) for i in range(count)]
    updater = make_updater(spec)
    if dump_optimizer:
        updater.set_states(data["updater_pickle"].tobytes())
        assert type(updater.optimizer).__module__.startswith("neomx.optimizer")
    else:
        # Without the optimizer the update counts start again: replay the first steps'
        # bookkeeping by running them on scratch weights first.
        scratch = [mx.nd.array(data[f"init{i}"], dtype=spec["dtype"]) for i in range(count)]
        recorded_noise.extend(noise)
        for s in range(cases.PICKLE_STEP):
            step(updater, spec, data, scratch, s)
        updater.set_states(data["states_pickle"].tobytes())
    per_step = len(noise) // cases.STEPS
    recorded_noise[:] = noise[cases.PICKLE_STEP * per_step :]
    for s in range(cases.PICKLE_STEP, cases.STEPS):
        step(updater, spec, data, weights, s)
        check_step(updater, spec, data, weights, s)
