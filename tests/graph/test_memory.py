"""Static memory planning: liveness-based sharing, in-place writes, never touching externals."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx.graph.memory import PlanStep, plan_memory


def _chain(n, size=100):
    """Values 0..n: step i reads value i and writes value i + 1 (0 is external)."""
    steps = [PlanStep([i], [i + 1]) for i in range(n)]
    nbytes = {i: size for i in range(n + 1)}
    device = dict.fromkeys(range(n + 1), "cpu")
    return steps, nbytes, device


def test_a_chain_needs_two_buffers():
    steps, nbytes, device = _chain(10)
    plan = plan_memory(steps, nbytes, device, external={0, 10})
    assert plan.naive_bytes == 900
    assert plan.planned_bytes == 200
    assert plan_memory(steps, nbytes, device, external={0, 10}, reuse=False).planned_bytes == 900


def test_in_place_chain_needs_one_buffer():
    steps = [PlanStep([i], [i + 1], inplace=(0,)) for i in range(10)]
    _, nbytes, device = _chain(10)
    plan = plan_memory(steps, nbytes, device, external={0, 10})
    assert plan.planned_bytes == 100
    assert plan.inplace == 8


def test_outputs_never_share_with_inputs_of_the_same_step():
    # 1 = f(0); 2 = g(1); 3 = h(1, 2): 1 is read by step 2, so 2 cannot take its storage.
    steps = [PlanStep([0], [1]), PlanStep([1], [2]), PlanStep([1, 2], [3])]
    nbytes = dict.fromkeys(range(4), 8)
    device = dict.fromkeys(range(4), "cpu")
    plan = plan_memory(steps, nbytes, device, external={0, 3})
    assert plan.storage_of[1] != plan.storage_of[2]


def test_kept_values_and_devices_are_not_shared():
    steps, nbytes, device = _chain(4)
    plan = plan_memory(steps, nbytes, device, external={0}, keep={1})
    assert plan.storage_of[1] not in {plan.storage_of[v] for v in (2, 3, 4)}
    device = {0: "a", 1: "a", 2: "b", 3: "a", 4: "b"}
    plan = plan_memory(steps, nbytes, device, external={0})
    for value, storage in plan.storage_of.items():
        assert plan.devices[storage] == device[value]


def test_a_freed_small_buffer_grows_for_a_larger_value():
    steps = [PlanStep([0], [1]), PlanStep([1], [2]), PlanStep([2], [3])]
    nbytes = {0: 8, 1: 8, 2: 8, 3: 64}
    plan = plan_memory(steps, nbytes, dict.fromkeys(range(4), "cpu"), external={0})
    assert plan.planned_bytes == 8 + 64
    assert plan.naive_bytes == 80


def _deep_mlp(layers=20, hidden=32):
    h = mx.sym.var("data")
    for i in range(layers):
        h = mx.sym.FullyConnected(h, num_hidden=hidden, name=f"fc{i}")
        h = mx.sym.Activation(h, act_type="relu", name=f"relu{i}")
    return mx.sym.SoftmaxOutput(h, name="softmax")


@pytest.mark.parametrize("train", [False, True])
def test_planning_a_20_layer_mlp_saves_memory_and_keeps_numbers(train, monkeypatch, seed):
    from neomx.symbol import executor as executor_module

    net = _deep_mlp()
    results = {}
    for planned in (True, False):
        monkeypatch.setattr(executor_module, "PLAN_MEMORY", planned)
        ex = net.simple_bind(mx.cpu(), data=(8, 16), grad_req="write" if train else "null")
        rng = np.random.default_rng(seed)
        for array in ex.arg_dict.values():
            array[:] = rng.standard_normal(array.shape).astype(np.float32) * 0.3
        ex.arg_dict["softmax_label"][:] = rng.integers(0, 32, 8)
        outs = [o.asnumpy() for o in ex.forward(is_train=train)]
        grads = {}
        if train:
            ex.backward()
            grads = {k: g.asnumpy() for k, g in ex.grad_dict.items()}
        results[planned] = (ex.planned_bytes, ex.naive_bytes, outs, grads)
    planned_bytes, naive_bytes, outs, grads = results[True]
    # Training keeps every value the backward pass reads; inference keeps two buffers.
    assert planned_bytes < naive_bytes * (0.75 if train else 0.1)
    assert results[False][0] == naive_bytes
    np.testing.assert_array_equal(outs[0], results[False][2][0])
    for key, value in grads.items():
        np.testing.assert_array_equal(value, results[False][3][key], err_msg=key)


def test_in_place_never_writes_into_arguments_or_outputs():
    x = mx.sym.var("x")
    y = mx.sym.relu(mx.sym.exp(x) * 2) + 1
    value = np.array([0.0, -1.0, 1.0], np.float32)
    args = {"x": mx.nd.array(value)}
    ex = y.bind(mx.cpu(), args)
    assert ex._program.plan.inplace >= 2
    (out,) = ex.forward()
    np.testing.assert_array_equal(args["x"].asnumpy(), value)
    np.testing.assert_allclose(out.asnumpy(), np.exp(value) * 2 + 1, rtol=1e-6)
    # The output array keeps its value when a later forward runs with other inputs.
    held = out.asnumpy()
    ex.forward()
    np.testing.assert_array_equal(out.asnumpy(), held)


def _inplace_ops():
    from neomx.ops.frontend import default_params
    from neomx.ops.registry import REGISTRY

    found = {}
    for name, op in REGISTRY.items():
        if not op.inplace or id(op) in found or op.variadic:
            continue
        try:
            p = default_params(op)
        except mx.base.MXNetError:
            continue  # required parameters
        found[id(op)] = (name, op, p)
    return sorted(found.values(), key=lambda item: item[0])


@pytest.mark.parametrize(
    "name, op, p", _inplace_ops(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_inplace_operators_give_the_same_result_written_into_their_input(name, op, p):
    rng = np.random.default_rng(0)
    arity = len(op.arguments(p))
    inputs = [rng.uniform(0.5, 1.5, (3, 4)).astype(np.float32) for _ in range(arity)]
    runtime = {"is_train": False} if "is_train" in op.runtime else {}
    expected = np.array(op.forward(np, p, *[x.copy() for x in inputs], **runtime))
    for position in op.inplace:
        arrays = [x.copy() for x in inputs]
        result = op.forward(np, p, *arrays, out=arrays[position], **runtime)
        np.testing.assert_array_equal(np.asarray(result), expected, err_msg=f"{name} {position}")
