"""The neural-network layers through autograd where the operator harness cannot reach: the
defined gradients of the loss layers (which ignore the head gradient), rrelu's random slopes
in training, second-order gradients of the softmax family, CTC's per-sequence head gradient
and the MXNet aliases."""

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.test_utils import assert_almost_equal

from .cases_output import (
    _SOFTMAX_OUTPUT_CASES,
    _SVM_CASES,
    softmax_output_forward,
    softmax_output_gradient,
    svm_gradient,
)


def _gradients(function, arrays, head=None, ctx=None):
    """(outputs, input gradients) of ``function`` recorded on NDArrays of ``arrays``."""
    inputs = [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]
    for x in inputs:
        x.attach_grad()
    with mx.autograd.record():
        out = function(*inputs)
    out.backward(None if head is None else mx.nd.array(head, ctx=ctx, dtype=head.dtype))
    return out.asnumpy(), [x.grad.asnumpy() for x in inputs]


@pytest.mark.parametrize(
    "label,make,params", _SOFTMAX_OUTPUT_CASES, ids=[case[0] for case in _SOFTMAX_OUTPUT_CASES]
)
def test_softmax_output_gradient_ignores_the_head(label, make, params, ctx, seed):
    data, labels = make(np.random.default_rng(seed))
    head = np.random.default_rng(seed + 1).standard_normal(data.shape).astype(data.dtype)
    out, (d_data, d_label) = _gradients(
        lambda x, y: mx.nd.SoftmaxOutput(x, y, **params), [data, labels], head, ctx
    )
    assert_almost_equal(out, softmax_output_forward(**params)(data, labels))
    assert_almost_equal(d_data, softmax_output_gradient(out, labels, **params))
    np.testing.assert_array_equal(d_label, np.zeros_like(labels))


def test_softmax_alias_is_softmax_output(ctx):
    data = mx.nd.array([[1.0, 2.0, 0.5]], ctx=ctx)
    label = mx.nd.array([1.0], ctx=ctx)
    np.testing.assert_array_equal(
        mx.nd.Softmax(data, label).asnumpy(), mx.nd.SoftmaxOutput(data, label).asnumpy()
    )


@pytest.mark.parametrize(
    "name", ["LinearRegressionOutput", "MAERegressionOutput", "LogisticRegressionOutput"]
)
@pytest.mark.parametrize(
    "data_shape,label_shape", [((3, 4), (3, 4)), ((4, 1), (4,)), ((2, 3, 2), (2, 3, 2))]
)
def test_regression_output_gradients(name, data_shape, label_shape, ctx, seed):
    rng = np.random.default_rng(seed)
    data = rng.uniform(-2, 2, size=data_shape).astype("float32")
    label = rng.uniform(-2, 2, size=label_shape).astype("float32")
    head = rng.standard_normal(data_shape).astype("float32")
    out, (d_data, d_label) = _gradients(
        lambda x, y: getattr(mx.nd, name)(x, y, grad_scale=3.0), [data, label], head, ctx
    )
    difference = out - label.reshape(data_shape)
    if name == "MAERegressionOutput":
        difference = np.sign(difference)
    per_sample = data[0].size
    assert_almost_equal(d_data, 3.0 * difference / per_sample)
    np.testing.assert_array_equal(d_label, np.zeros_like(label))


@pytest.mark.parametrize("label,make,params", _SVM_CASES, ids=[case[0] for case in _SVM_CASES])
def test_svm_output_gradient(label, make, params, ctx, seed):
    data, labels = make(np.random.default_rng(seed))
    head = np.full(data.shape, 5.0, dtype=data.dtype)
    _, (d_data, _) = _gradients(
        lambda x, y: mx.nd.SVMOutput(x, y, **params), [data, labels], head, ctx
    )
    assert_almost_equal(d_data, svm_gradient(data, labels, **params))


@pytest.mark.parametrize(
    "params,expected",
    [
        ({}, lambda x: np.ones_like(x)),
        ({"grad_scale": 2.0}, lambda x: np.full_like(x, 2.0)),
        ({"normalization": "batch"}, lambda x: np.full_like(x, 1.0 / (x.size // x.shape[-1]))),
        ({"normalization": "valid"}, lambda x: np.full_like(x, 1.0 / max((x > 0).sum(), 1))),
        (
            {"normalization": "valid", "valid_thresh": 0.5, "grad_scale": 3.0},
            lambda x: np.full_like(x, 3.0 / max((x > 0.5).sum(), 1)),
        ),
    ],
)
def test_make_loss_gradient(params, expected, ctx, seed):
    data = np.random.default_rng(seed).uniform(-1, 1, size=(2, 3, 4)).astype("float32")
    head = np.full(data.shape, 7.0, dtype="float32")
    out, (d_data,) = _gradients(lambda x: mx.nd.MakeLoss(x, **params), [data], head, ctx)
    np.testing.assert_array_equal(out, data)
    assert_almost_equal(d_data, expected(data))


def test_softmax_cross_entropy_uses_the_head_gradient(ctx):
    data = np.array([[1.0, 2.0, 0.5], [0.1, -0.3, 0.2]], dtype="float32")
    labels = np.array([2.0, 0.0], dtype="float32")
    _, (d_data, d_label) = _gradients(
        mx.nd.softmax_cross_entropy, [data, labels], np.array([2.0], "float32"), ctx
    )
    probabilities = np.exp(data) / np.exp(data).sum(axis=1, keepdims=True)
    assert_almost_equal(d_data, 2.0 * (probabilities - np.eye(3)[[2, 0]]))
    np.testing.assert_array_equal(d_label, np.zeros_like(labels))


# ---- rrelu ----------------------------------------------------------------------------------


def test_rrelu_draws_slopes_in_training(ctx, seed):
    data = np.random.default_rng(seed).uniform(-2, 2, size=(50, 40)).astype("float32")
    data[data == 0] = 1.0
    x = mx.nd.array(data, ctx=ctx)
    x.attach_grad()
    mx.random.seed(seed)
    with mx.autograd.record():
        out, mask = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.4)
    out.backward()
    slopes = mask.asnumpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.4 and slopes.std() > 0.05
    assert_almost_equal(out.asnumpy(), np.where(data > 0, data, data * slopes))
    assert_almost_equal(x.grad.asnumpy(), np.where(data > 0, 1.0, slopes))
    mx.random.seed(seed)
    with mx.autograd.record():
        again = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.4)[1]
    np.testing.assert_array_equal(again.asnumpy(), slopes)


def test_rrelu_uses_the_mean_slope_outside_training(ctx):
    x = mx.nd.array([-2.0, 3.0], ctx=ctx)
    with mx.autograd.record(train_mode=False):
        out, mask = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)
    assert_almost_equal(out.asnumpy(), np.array([-0.4, 3.0], "float32"))
    assert_almost_equal(mask.asnumpy(), np.array([0.2, 0.2], "float32"))


# ---- second order ---------------------------------------------------------------------------


def _numeric_jacobian_product(function, x, direction, step=1e-6):
    return (function(x + step * direction) - function(x - step * direction)) / (2 * step)


@pytest.mark.parametrize("kind", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("params", [{}, {"axis": 0, "temperature": 2.0}])
def test_softmax_second_order(kind, params, ctx, seed):
    """d/dx <v, d/dx <w, f(x)>> through autograd equals central differences of the first
    derivative (itself computed by autograd in float64)."""
    rng = np.random.default_rng(seed)
    x0, w, v = (rng.standard_normal((3, 4)) for _ in range(3))
    function = getattr(mx.nd, kind)

    def first_derivative(values):
        x = mx.nd.array(values, ctx=ctx, dtype="float64")
        x.attach_grad()
        with mx.autograd.record():
            total = mx.nd.sum(function(x, **params) * mx.nd.array(w, ctx=ctx, dtype="float64"))
        total.backward()
        return x.grad.asnumpy()

    x = mx.nd.array(x0, ctx=ctx, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        total = mx.nd.sum(function(x, **params) * mx.nd.array(w, ctx=ctx, dtype="float64"))
        d_x = mx.autograd.grad(total, [x], create_graph=True)[0]
        along = mx.nd.sum(d_x * mx.nd.array(v, ctx=ctx, dtype="float64"))
    along.backward()
    expected = np.zeros_like(x0)
    for index in np.ndindex(*x0.shape):
        direction = np.zeros_like(x0)
        direction[index] = 1.0
        expected[index] = _numeric_jacobian_product(
            lambda values: float(np.sum(first_derivative(values) * v)), x0, direction
        )
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-5, atol=1e-7)


def test_second_order_with_length_is_refused(ctx):
    x = mx.nd.array([[1.0, 2.0, 3.0]], ctx=ctx, dtype="float64")
    length = mx.nd.array([2], ctx=ctx, dtype="int32")
    x.attach_grad()
    with mx.autograd.record():
        total = mx.nd.sum(mx.nd.softmax(x, length, use_length=True) * x)
        d_x = mx.autograd.grad(total, [x], create_graph=True)[0]
        along = mx.nd.sum(d_x)
    with pytest.raises(MXNetError, match="_backward_softmax.*use_length"):
        along.backward()


# ---- CTC ------------------------------------------------------------------------------------


def test_ctc_gradient_scales_with_each_sequences_head(ctx, seed):
    rng = np.random.default_rng(seed)
    data = rng.uniform(-2, 2, size=(5, 2, 4)).astype("float32")
    label = np.array([[1, 2, 0], [3, 3, 0]], "float32")
    _, (ones_grad, _) = _gradients(mx.nd.CTCLoss, [data, label], None, ctx)
    _, (scaled, _) = _gradients(mx.nd.CTCLoss, [data, label], np.array([2.0, -1.0], "float32"), ctx)
    assert_almost_equal(scaled[:, 0], 2.0 * ones_grad[:, 0])
    assert_almost_equal(scaled[:, 1], -ones_grad[:, 1])


@pytest.mark.parametrize("name", ["ctc_loss", "CTCLoss"])
def test_ctc_aliases(name, ctx):
    data = mx.nd.zeros((2, 1, 2), ctx=ctx)
    label = mx.nd.array([[1.0]], ctx=ctx)
    loss = getattr(mx.nd, name)(data, label)
    # Two steps, one symbol: three of the four paths (1 1, 1 b, b 1) spell it.
    assert_almost_equal(loss.asnumpy(), np.array([-np.log(0.75)], "float32"))
    contrib = mx.nd.contrib.CTCLoss(data, label)
    assert_almost_equal(contrib.asnumpy(), loss.asnumpy())
