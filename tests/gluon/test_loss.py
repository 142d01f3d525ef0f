"""gluon.loss against MXNet 1.9.1 (tests/golden/gluon/loss-*.npz from
tools/make_gluon_layer_golden.py), hybridized == imperative, and the weighting rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "gluon"
CASES = sorted(path.stem for path in GOLDEN.glob("loss-*.npz"))
TOLERANCE = {"rtol": 1e-3, "atol": 1e-5}


def load(case):
    with np.load(GOLDEN / f"{case}.npz") as data:
        return {key: data[key] for key in data.files}


def build(record):
    return getattr(gluon.loss, str(record["cls"]))(**json.loads(str(record["kwargs"])))


def inputs(record):
    names = json.loads(str(record["input_names"]))
    return [None if name is None else mx.nd.array(record[name]) for name in names]


def run(loss, args, grad_inputs, head):
    for i in grad_inputs:
        args[i].attach_grad()
    with autograd.record():
        out = loss(*args)
    out.backward(mx.nd.array(head))
    return out.asnumpy(), [args[i].grad.asnumpy() for i in grad_inputs]


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("case", CASES)
def test_loss_matches_mxnet(case, hybridize):
    record = load(case)
    loss = build(record)
    if hybridize:
        loss.hybridize()
    args = inputs(record)
    np.testing.assert_allclose(loss(*args).asnumpy(), record["predict_out"], **TOLERANCE)
    if "out" not in record:
        return
    grad_inputs = json.loads(str(record["grad_inputs"]))
    out, grads = run(loss, args, grad_inputs, record["head"])
    np.testing.assert_allclose(out, record["out"], **TOLERANCE)
    for i, grad in zip(grad_inputs, grads):
        np.testing.assert_allclose(grad, record[f"in_grad{i}"], err_msg=f"input {i}", **TOLERANCE)


@pytest.mark.parametrize("case", CASES)
def test_repr(case):
    record = load(case)
    assert repr(build(record)) == str(record["repr"])


@pytest.mark.parametrize(
    "loss",
    [gluon.loss.L1Loss(), gluon.loss.L2Loss(), gluon.loss.HuberLoss(), gluon.loss.HingeLoss()],
    ids=lambda loss: type(loss).__name__,
)
def test_weighting_order(loss, seed):
    """sample_weight scales each element, weight the whole loss: loss(w=2, sw) == 2 * loss(sw)."""
    pred = mx.nd.array(np.random.randn(4, 3))
    label = mx.nd.array(np.sign(np.random.randn(4, 3)))
    sample_weight = mx.nd.array(np.random.rand(4, 1))
    base = type(loss)(weight=1.0)
    plain = base(pred, label).asnumpy()
    weighted = base(pred, label, sample_weight).asnumpy()
    np.testing.assert_allclose(weighted, plain * sample_weight.asnumpy()[:, 0], rtol=1e-5)
    doubled = type(loss)(weight=2.0)(pred, label, sample_weight).asnumpy()
    np.testing.assert_allclose(doubled, 2 * weighted, rtol=1e-5)


def test_batch_axis_reduces_other_axes():
    pred, label = mx.nd.ones((2, 5)), mx.nd.zeros((2, 5))
    assert gluon.loss.L1Loss(batch_axis=1)(pred, label).shape == (5,)
    assert gluon.loss.L1Loss()(pred, label).shape == (2,)


def test_label_reshaped_like_pred():
    pred = mx.nd.array([[0.5], [2.0]])
    out = gluon.loss.L2Loss()(pred, mx.nd.array([1.0, 1.0]))
    np.testing.assert_allclose(out.asnumpy(), [0.125, 0.5])


def test_weight_must_be_a_number():
    loss = gluon.loss.L1Loss(weight=mx.nd.ones((1,)))
    with pytest.raises(TypeError, match="weight must be a number"):
        loss(mx.nd.ones((2, 2)), mx.nd.zeros((2, 2)))


def test_aliases():
    assert gluon.loss.SigmoidBCELoss is gluon.loss.SigmoidBinaryCrossEntropyLoss
    assert gluon.loss.SoftmaxCELoss is gluon.loss.SoftmaxCrossEntropyLoss


@pytest.mark.parametrize(
    "make",
    [
        lambda: gluon.loss.LogisticLoss(label_format="onehot"),
        lambda: gluon.loss.CTCLoss(layout="NCT"),
        lambda: gluon.loss.CTCLoss(label_layout="TT"),
    ],
)
def test_bad_settings_raise(make):
    with pytest.raises(ValueError):
        make()


def test_poisson_full_zero_target_is_finite():
    """MXNet 1.9.1 returns NaN for a zero target with compute_full; neomx leaves it out."""
    loss = gluon.loss.PoissonNLLLoss(from_logits=False, compute_full=True)
    pred = mx.nd.array([[1.5, 2.0]])
    out = loss(pred, mx.nd.array([[0.0, 3.0]]))
    target = 3.0
    stirling = target * np.log(target) - target + 0.5 * np.log(2 * np.pi * target)
    expected = (1.5 - 0 + 2.0 - target * np.log(2.0 + 1e-8) + stirling) / 2
    np.testing.assert_allclose(out.asnumpy(), [expected], rtol=1e-5)
    pred.attach_grad()
    with autograd.record():
        out = loss(pred, mx.nd.array([[0.0, 3.0]]))
    out.backward()
    assert np.isfinite(pred.grad.asnumpy()).all()


def test_softmax_ce_hybridized_matches_for_new_batch_size():
    loss = gluon.loss.SoftmaxCELoss()
    loss.hybridize()
    for batch in (2, 5):
        pred = mx.nd.array(np.random.RandomState(batch).randn(batch, 4))
        label = mx.nd.array(np.arange(batch) % 4)
        expected = -np.log(np.exp(pred.asnumpy()) / np.exp(pred.asnumpy()).sum(1, keepdims=True))
        expected = expected[np.arange(batch), np.arange(batch) % 4]
        np.testing.assert_allclose(loss(pred, label).asnumpy(), expected, rtol=1e-5)


def test_sdml_hybridized_for_new_batch_size():
    loss = gluon.loss.SDMLLoss()
    plain = gluon.loss.SDMLLoss()
    loss.hybridize()
    for batch in (3, 4):
        x1 = mx.nd.array(np.random.RandomState(batch).randn(batch, 2))
        x2 = mx.nd.array(np.random.RandomState(batch + 10).randn(batch, 2))
        np.testing.assert_allclose(loss(x1, x2).asnumpy(), plain(x1, x2).asnumpy(), rtol=1e-5)
