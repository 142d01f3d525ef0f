"""BatchNorm while training: batch statistics, the in-place moving-statistic updates, the two
gradient modes, and MXNet 1.9.1's answers for them (tests/golden/batch_norm, written by
tools/make_norm_golden.py). The harness (test_registry_ops.py) covers inference mode."""

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.ops import REGISTRY
from neomx.test_utils import assert_almost_equal

from . import harness

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "batch_norm"
FILES = sorted(GOLDEN.glob("*.npz"))


def _load(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _indexed(record, prefix):
    values = []
    while f"{prefix}{len(values)}" in record:
        values.append(record[f"{prefix}{len(values)}"])
    return values


def _inputs(rng, shape, axis=1, dtype="float32"):
    channels = shape[axis]
    param = "float32" if dtype == "float16" else dtype
    data = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    gamma, beta, mean = (rng.uniform(-1.5, 1.5, channels).astype(param) for _ in range(3))
    var = rng.uniform(0.5, 2.0, channels).astype(param)
    return [data, gamma, beta, mean, var]


def _train(arrays, head, params, train_mode=True):
    """Record BatchNorm in ``train_mode`` and run backward; return (outputs, grads, aux)."""
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    for array in (data, gamma, beta):
        array.attach_grad()
    with mx.autograd.record(train_mode=train_mode):
        outputs = mx.nd.BatchNorm(data, gamma, beta, mean, var, **params)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    outputs[0].backward(mx.nd.array(head, dtype=head.dtype), train_mode=train_mode)
    return outputs, [data.grad, gamma.grad, beta.grad], [mean, var]


def _reduced(shape, axis):
    return tuple(i for i in range(len(shape)) if i != axis % len(shape))


# ---- against MXNet 1.9.1 ----------------------------------------------------------------------


def test_golden_files_exist():
    ops = {str(_load(path)["op"]) for path in FILES}
    assert ops == {"BatchNorm", "BatchNorm_v1"}, "run tools/make_norm_golden.py"


@pytest.mark.parametrize("mode", ["train", "predict"])
@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_matches_mxnet(path, mode, engine_type):
    """Outputs, gradients and moving statistics after a forward and backward pass."""
    record = _load(path)
    op_name = str(record["op"])
    params = json.loads(str(record["params"]))
    arrays = harness.to_nd(_indexed(record, "in"), mx.cpu())
    for array in arrays[:3]:
        array.attach_grad()
    head = record["head"]
    train_mode = mode == "train"
    with mx.autograd.record(train_mode=train_mode):
        outputs = getattr(mx.nd, op_name)(*arrays, **params)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    outputs[0].backward(mx.nd.array(head, dtype=head.dtype), train_mode=train_mode)
    # MXNet rounds float16 intermediates, also where the results are float32 (gamma's
    # gradient differs by up to 0.3% from the exact one): float16 tolerances throughout.
    tol = (1e-2, 1e-2) if record["in0"].dtype == np.float16 else (None, None)
    name = f"{op_name} {mode}"
    harness.assert_outputs(name, outputs, _indexed(record, f"{mode}_out"), *tol)
    grads = [array.grad for array in arrays[:3]]
    harness.assert_outputs(f"{name} grads", grads, _indexed(record, f"{mode}_grad"), *tol)
    want = [record[f"{mode}_moving_mean"], record[f"{mode}_moving_var"]]
    harness.assert_outputs(f"{name} moving stats", arrays[3:], want, *tol)


# ---- training semantics against NumPy -----------------------------------------------------------


@pytest.mark.parametrize(
    "shape,axis", [((4, 3, 2, 2), 1), ((6, 4), 1), ((2, 3, 5), -1), ((3, 2, 2), 0)]
)
def test_training_forward_and_moving_update(shape, axis, seed):
    rng = np.random.default_rng(seed)
    arrays = _inputs(rng, shape, axis)
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    params = {"axis": axis, "fix_gamma": False, "momentum": 0.8, "eps": 1e-4}
    with mx.autograd.train_mode():
        out, batch_mean, invstd = mx.nd.BatchNorm(
            data, gamma, beta, mean, var, output_mean_var=True, **params
        )
    x = arrays[0].astype(np.float64)
    axes = _reduced(shape, axis)
    want_mean, want_var = x.mean(axis=axes), x.var(axis=axes)  # biased, as MXNet
    along = [-1 if i == axis % len(shape) else 1 for i in range(len(shape))]
    want_invstd = 1 / np.sqrt(want_var + 1e-4)
    want = (x - want_mean.reshape(along)) * (want_invstd * arrays[1]).reshape(along)
    want += arrays[2].reshape(along)
    assert_almost_equal(out.asnumpy(), want.astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_almost_equal(batch_mean.asnumpy(), want_mean.astype(np.float32), atol=1e-6)
    assert_almost_equal(invstd.asnumpy(), want_invstd.astype(np.float32), atol=1e-6)
    momentum = float(np.float32(0.8))
    new_mean = arrays[3] * momentum + want_mean * (1 - momentum)
    new_var = arrays[4] * momentum + want_var * (1 - momentum)
    assert_almost_equal(mean.asnumpy(), new_mean.astype(np.float32), atol=1e-6)
    assert_almost_equal(var.asnumpy(), new_var.astype(np.float32), atol=1e-6)


def test_moving_statistics_are_updated_in_place(engine_type):
    arrays = _inputs(np.random.default_rng(0), (4, 3, 2))
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    view = var[1:]  # shares var's memory
    with mx.autograd.train_mode():
        mx.nd.BatchNorm(data, gamma, beta, mean, var)
    batch_var = arrays[0].astype(np.float64).var(axis=(0, 2))
    assert not np.allclose(mean.asnumpy(), arrays[3])
    assert_almost_equal(view.asnumpy(), (0.9 * arrays[4] + 0.1 * batch_var)[1:].astype("f4"))


@pytest.mark.parametrize("params", [{}, {"use_global_stats": True}])
def test_statistics_stay_outside_training(params):
    arrays = _inputs(np.random.default_rng(1), (4, 3, 2))
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    mx.nd.BatchNorm(data, gamma, beta, mean, var, **params).wait_to_read()
    with mx.autograd.train_mode():
        mx.nd.BatchNorm(data, gamma, beta, mean, var, use_global_stats=True).wait_to_read()
    np.testing.assert_array_equal(mean.asnumpy(), arrays[3])
    np.testing.assert_array_equal(var.asnumpy(), arrays[4])


def test_fix_gamma_takes_gamma_as_one_with_zero_gradient():
    arrays = _inputs(np.random.default_rng(2), (4, 3, 2))
    head = np.random.default_rng(3).standard_normal((4, 3, 2)).astype("float32")
    fixed, grads, _ = _train(arrays, head, {"fix_gamma": True})
    ones = [arrays[0], np.ones_like(arrays[1])] + arrays[2:]
    free, free_grads, _ = _train(ones, head, {"fix_gamma": False})
    assert_almost_equal(fixed[0].asnumpy(), free[0].asnumpy())
    assert_almost_equal(grads[0].asnumpy(), free_grads[0].asnumpy())
    np.testing.assert_array_equal(grads[1].asnumpy(), np.zeros(3, "float32"))


def test_fix_gamma_leaves_gamma_alone():
    # MXNet 1.9.1 also overwrites gamma with ones; neomx leaves the input alone.
    arrays = _inputs(np.random.default_rng(2), (4, 3, 2))
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    mx.nd.BatchNorm(data, gamma, beta, mean, var, fix_gamma=True).wait_to_read()
    np.testing.assert_array_equal(gamma.asnumpy(), arrays[1])


def test_layer_applied_twice_in_one_graph():
    """The moving statistics are written by the second call before backward, and stay out
    of the gradient's saved arrays, so autograd's in-place check does not fire."""
    rng = np.random.default_rng(4)
    arrays = _inputs(rng, (4, 3, 2))
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    gamma.attach_grad()
    second = mx.nd.array(rng.standard_normal((4, 3, 2)).astype("float32"))
    with mx.autograd.record():
        first_out = mx.nd.BatchNorm(data, gamma, beta, mean, var, fix_gamma=False)
        second_out = mx.nd.BatchNorm(second, gamma, beta, mean, var, fix_gamma=False)
        total = first_out + second_out
    total.backward()
    stats = [a.astype(np.float64).mean(axis=(0, 2)) for a in (arrays[0], second.asnumpy())]
    momentum = float(np.float32(0.9))
    want = (arrays[3] * momentum + stats[0] * (1 - momentum)) * momentum
    want += stats[1] * (1 - momentum)
    assert_almost_equal(mean.asnumpy(), want.astype(np.float32), atol=1e-6)
    assert gamma.grad is not None


@pytest.mark.parametrize("train_mode", [True, False])
def test_gradients_of_each_mode(train_mode, seed):
    """Training: the gradient also flows through the batch statistics; predict mode: the
    moving statistics were constants."""
    rng = np.random.default_rng(seed)
    arrays = _inputs(rng, (5, 3, 2), dtype="float64")
    head = rng.standard_normal((5, 3, 2))
    _, grads, _ = _train(arrays, head, {"fix_gamma": False}, train_mode)
    x, gamma, _, mean, var = arrays
    if train_mode:
        mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
    invstd = (1 / np.sqrt(var + float(np.float32(1e-3))))[None, :, None]
    xhat = (x - mean[None, :, None]) * invstd
    dbeta, dgamma = head.sum(axis=(0, 2)), (head * xhat).sum(axis=(0, 2))
    dx = head
    if train_mode:
        dx = head - (dbeta[None, :, None] + xhat * dgamma[None, :, None]) / 10
    dx = dx * gamma[None, :, None] * invstd
    for got, want in zip(grads, (dx, dgamma, dbeta)):
        assert_almost_equal(got.asnumpy(), want, rtol=1e-10, atol=1e-12)


def test_mean_and_var_outputs_get_no_gradient():
    arrays = _inputs(np.random.default_rng(5), (4, 3, 2))
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    data.attach_grad()
    with mx.autograd.record():
        out, batch_mean, invstd = mx.nd.BatchNorm(
            data, gamma, beta, mean, var, output_mean_var=True
        )
    mx.autograd.backward([batch_mean, invstd])
    np.testing.assert_array_equal(data.grad.asnumpy(), np.zeros((4, 3, 2), "float32"))


def test_empty_batch_cannot_train():
    arrays = _inputs(np.random.default_rng(6), (0, 3))
    data, gamma, beta, mean, var = harness.to_nd(arrays, mx.cpu())
    with pytest.raises(MXNetError, match=r"BatchNorm: data \(0, 3\) has no elements"):
        with mx.autograd.train_mode():
            mx.nd.BatchNorm(data, gamma, beta, mean, var).wait_to_read()


def test_aux_inputs_are_mutated_inputs():
    """moving_mean and moving_var are auxiliary states (``auxiliary``, what Symbols list),
    written in place by a training forward (``mutates``)."""
    op = REGISTRY["BatchNorm"]
    p = op.params.default(op.name)
    assert op.auxiliary == ("moving_mean", "moving_var")
    assert [op.arguments(p)[i] for i in op.mutated_inputs(p)] == ["moving_mean", "moving_var"]
    assert op.num_outputs(p) == 3 and op.num_visible_outputs(p) == 1
    assert op.output_names(p) == ("output", "mean", "var")
