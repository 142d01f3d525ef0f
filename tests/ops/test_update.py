"""Optimizer updates write their state inputs in place (``Op.mutates``): the states after a
step match the NumPy references, out=weight updates the weight, the engine treats the states
as written, and autograd sees (or refuses) the writes."""

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.ops import REGISTRY

from . import harness
from .case import CASES
from .cases_update import STEPS, step_states

UPDATE_CASES = [case for name in sorted(STEPS) for case in CASES[name]]


def _ids(cases):
    return [case.id for case in cases]


@pytest.mark.parametrize("case", UPDATE_CASES, ids=_ids(UPDATE_CASES))
def test_one_step_writes_the_states(case, ctx, engine_type, seed):
    arrays = harness.make_inputs(case, seed)
    inputs = harness.to_nd(arrays, ctx)
    got = harness.call(case.op, inputs, case.params)
    want, after = step_states(case.op, arrays, case.params)
    harness.assert_outputs(case.op, got, [np.asarray(want)])
    # The weight and gradient are read only (without out=); the states hold the new values.
    harness.assert_outputs(f"{case.op} inputs", inputs, after)


def test_every_update_declares_its_states():
    """Each operator with states in its reference mutates exactly those inputs."""
    rng = np.random.default_rng(0)
    for name in STEPS:
        case = CASES[name][0]
        arrays = case.make(rng)
        _, after = step_states(name, arrays, case.params)
        changed = {
            input_name
            for input_name, before, now in zip(REGISTRY[name].inputs, arrays, after)
            if not np.array_equal(before, now)
        }
        assert changed == set(REGISTRY[name].mutates), name


def test_out_weight_updates_in_place(engine_type):
    weight = mx.nd.array([1.0, -2.0])
    grad = mx.nd.array([0.5, 0.5])
    mom = mx.nd.zeros(2)
    for _ in range(3):
        returned = mx.nd.sgd_mom_update(weight, grad, mom, lr=0.1, momentum=0.9, out=weight)
        assert returned is weight
    # mom: -0.05, -0.095, -0.1355; the weight moves by their sum.
    np.testing.assert_allclose(mom.asnumpy(), [-0.1355, -0.1355], rtol=1e-6)
    np.testing.assert_allclose(weight.asnumpy(), [0.7195, -2.2805], rtol=1e-6)


def test_nag_momentum_reads_the_weight_written_through_out():
    """MXNet 1.9.1's nag_mom_update computes the momentum's weight decay from the weight after
    writing the result, so out=weight changes the new momentum; neomx matches (the golden
    files check it over three steps)."""
    params = {"lr": 0.5, "momentum": 0.25, "wd": 0.1}

    def step(alias):
        weight, mom = mx.nd.array([2.0]), mx.nd.array([0.0])
        mx.nd.nag_mom_update(
            weight, mx.nd.array([1.0]), mom, out=weight if alias else None, **params
        )
        return mom.asscalar()

    assert step(alias=False) == pytest.approx(-0.6)
    assert step(alias=True) == pytest.approx(-0.5 * (1.0 + 0.1 * 1.25))


def test_a_failed_update_fails_its_states():
    """The states are engine writes: when the update cannot run (its gradient failed), reading
    a state raises the failure instead of returning stale values."""
    with mx.engine.engine_scope("ThreadedEnginePerDevice"):
        weight, mom = mx.nd.ones((2, 3)), mx.nd.zeros((2, 3))
        # A negative Poisson rate fails inside the kernel, on the engine's thread.
        grad = mx.nd.sample_poisson(-mx.nd.ones((2, 3)))
        mx.nd.sgd_mom_update(weight, grad, mom, lr=0.1, momentum=0.9)
        with pytest.raises(MXNetError, match="_sample_poisson"):
            mom.asnumpy()


def test_writing_a_state_invalidates_recorded_uses():
    """An update bumps its states' versions, so a recorded graph that read a state refuses to
    differentiate with the new values."""
    weight, grad, mom = mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(3)
    mom.attach_grad()
    with mx.autograd.record():
        y = mom * mom
    mx.nd.sgd_mom_update(weight, grad, mom, lr=0.1, momentum=0.9)
    with pytest.raises(MXNetError, match="in place"):
        y.backward()


def test_updating_a_recorded_state_while_recording_is_refused():
    weight, grad, mom = mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(3)
    mom.attach_grad()
    with mx.autograd.record():
        with pytest.raises(MXNetError, match="sgd_mom_update"):
            mx.nd.sgd_mom_update(weight, grad, mom, lr=0.1)
    np.testing.assert_array_equal(mom.asnumpy(), np.ones(3))
