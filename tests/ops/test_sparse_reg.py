"""IdentityAttachKLSparseReg: the backward-time update of its auxiliary state moving_avg, the
penalty gradient, and MXNet 1.9.1's answers for several steps (tests/golden/sparse_reg,
written by tools/make_sparse_reg_golden.py). The harness (test_registry_ops.py) covers the
identity forward and the backward operator's gradient."""

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.ops import REGISTRY
from neomx.test_utils import assert_almost_equal

from .cases_sparse_reg import sparse_reg_inputs, sparse_reg_step

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "sparse_reg"
FILES = sorted(GOLDEN.glob("*.npz"))


def _load(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _step(x, moving_avg, head, params, train_mode=True, retain_graph=False):
    """Record the layer on ``x`` and run backward; return the output."""
    with mx.autograd.record(train_mode=train_mode):
        out = mx.nd.IdentityAttachKLSparseReg(x, moving_avg, **params)
    out.backward(head, retain_graph=retain_graph, train_mode=train_mode)
    return out


def test_golden_files_exist():
    assert len(FILES) >= 5, "run tools/make_sparse_reg_golden.py"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_matches_mxnet(path, engine_type):
    """Outputs, data gradients and moving_avg after each step of forward and backward."""
    record = _load(path)
    params = json.loads(str(record["params"]))
    train_mode = bool(record["is_train"])
    moving_avg = mx.nd.array(record["moving_avg"])
    step = 0
    while f"data{step}" in record:
        x = mx.nd.array(record[f"data{step}"])
        x.attach_grad()
        head = mx.nd.array(record[f"head{step}"])
        if f"grad{step}" not in record:
            # MXNet's backward failed here (its message is in the record).
            assert "error" in record
            with mx.autograd.record(train_mode=train_mode):
                out = mx.nd.IdentityAttachKLSparseReg(x, moving_avg, **params)
            np.testing.assert_array_equal(out.asnumpy(), record[f"out{step}"])
            with pytest.raises(MXNetError, match="last"):
                out.backward(head, train_mode=train_mode)
                x.grad.wait_to_read()
            break
        out = _step(x, moving_avg, head, params, train_mode)
        np.testing.assert_array_equal(out.asnumpy(), record[f"out{step}"])
        assert_almost_equal(x.grad.asnumpy(), record[f"grad{step}"], names=("grad", "mxnet"))
        assert_almost_equal(
            moving_avg.asnumpy(), record[f"moving_avg{step}"], names=("moving_avg", "mxnet")
        )
        step += 1


def test_forward_leaves_moving_avg_alone(engine_type):
    data, avg = sparse_reg_inputs((4, 3))(np.random.default_rng(0))
    moving_avg = mx.nd.array(avg)
    x = mx.nd.array(data)
    out = mx.nd.IdentityAttachKLSparseReg(x, moving_avg)
    with mx.autograd.record():
        recorded = mx.nd.IdentityAttachKLSparseReg(x, moving_avg)
    np.testing.assert_array_equal(out.asnumpy(), data)
    np.testing.assert_array_equal(recorded.asnumpy(), data)
    np.testing.assert_array_equal(moving_avg.asnumpy(), avg)


@pytest.mark.parametrize("train_mode", [True, False])
def test_each_backward_updates_again(train_mode, seed):
    """Two backward calls of a retained graph update moving_avg twice (as MXNet), in either
    mode; the gradient uses the average as it stands after the update."""
    rng = np.random.default_rng(seed)
    data, avg = sparse_reg_inputs((5, 4))(rng)
    heads = [rng.standard_normal((5, 4)).astype("float32") for _ in range(2)]
    params = {"penalty": 0.1, "momentum": 0.8}
    x, moving_avg = mx.nd.array(data), mx.nd.array(avg)
    x.attach_grad()
    with mx.autograd.record(train_mode=train_mode):
        out = mx.nd.IdentityAttachKLSparseReg(x, moving_avg, **params)
    want_avg = avg
    for head in heads:
        out.backward(mx.nd.array(head), retain_graph=True, train_mode=train_mode)
        want_grad, want_avg = sparse_reg_step(head, data, want_avg, **params)
        assert_almost_equal(x.grad.asnumpy(), want_grad)
        assert_almost_equal(moving_avg.asnumpy(), want_avg)


def test_layer_used_twice_in_one_graph(engine_type):
    """Each use updates moving_avg in its backward; the in-place check does not fire."""
    data, avg = sparse_reg_inputs((4, 3))(np.random.default_rng(1))
    x, moving_avg = mx.nd.array(data), mx.nd.array(avg)
    x.attach_grad()
    with mx.autograd.record():
        total = mx.nd.IdentityAttachKLSparseReg(x, moving_avg) + mx.nd.IdentityAttachKLSparseReg(
            x, moving_avg
        )
    total.backward()
    ones = np.ones_like(data)
    first, after_first = sparse_reg_step(ones, data, avg)
    second, after_second = sparse_reg_step(ones, data, after_first)
    assert_almost_equal(moving_avg.asnumpy(), after_second)
    assert_almost_equal(x.grad.asnumpy(), first + second)


def test_gradient_accumulates_with_grad_req_add():
    data, avg = sparse_reg_inputs((3, 2))(np.random.default_rng(2))
    x, moving_avg = mx.nd.array(data), mx.nd.array(avg)
    x.attach_grad(grad_req="add")
    x.grad[:] = 1.0
    _step(x, moving_avg, mx.nd.ones((3, 2)), {})
    want, _ = sparse_reg_step(np.ones_like(data), data, avg)
    assert_almost_equal(x.grad.asnumpy(), 1.0 + want)


def test_zero_average_gives_infinite_gradient():
    """As MXNet: a moving average of 0 makes the penalty's gradient -inf (no warning)."""
    x, moving_avg = mx.nd.zeros((2, 3)), mx.nd.zeros(3)
    x.attach_grad()
    _step(x, moving_avg, mx.nd.ones((2, 3)), {})
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 3), -np.inf, "float32"))


def test_empty_batch_cannot_be_differentiated():
    x, moving_avg = mx.nd.zeros((0, 3)), mx.nd.full(3, 0.5)
    x.attach_grad()
    with pytest.raises(MXNetError, match=r"KLSparseReg.*\(0, 3\) has no activations"):
        _step(x, moving_avg, mx.nd.zeros((0, 3)), {})
        x.grad.wait_to_read()
    np.testing.assert_array_equal(moving_avg.asnumpy(), np.full(3, 0.5, "float32"))


def test_backward_operator_writes_moving_avg(engine_type, seed):
    ograd, data, avg = sparse_reg_inputs((4, 3), head=True)(np.random.default_rng(seed))
    moving_avg = mx.nd.array(avg)
    params = {"sparseness_target": 0.2, "momentum": 0.7}
    grad = mx.nd._internal._backward_IdentityAttachKLSparseReg(
        mx.nd.array(ograd), mx.nd.array(data), moving_avg, **params
    )
    want_grad, want_avg = sparse_reg_step(ograd, data, avg, **params)
    assert_almost_equal(grad.asnumpy(), want_grad)
    assert_almost_equal(moving_avg.asnumpy(), want_avg)


def test_auxiliary_states_are_declared():
    """Symbols list these inputs as auxiliary states; the update is the backward operator's."""
    assert REGISTRY["BatchNorm"].auxiliary == ("moving_mean", "moving_var")
    assert REGISTRY["BatchNorm_v1"].auxiliary == ("moving_mean", "moving_var")
    layer = REGISTRY["IdentityAttachKLSparseReg"]
    assert layer.auxiliary == ("moving_avg",) and layer.mutates == ()
    assert REGISTRY["_backward_IdentityAttachKLSparseReg"].mutates == ("moving_avg",)
    assert all(set(op.auxiliary) <= set(op.inputs) for op in REGISTRY.values()), (
        "auxiliary names must be inputs"
    )
