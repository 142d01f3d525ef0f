"""Higher-order gradients: autograd.grad(create_graph=True) records the gradient, which then
differentiates like any recorded array (second derivatives against formulas and against
central differences of the first derivative)."""

import numpy as np
import pytest

import neomx as mx
from neomx import autograd
from neomx.test_utils import check_numeric_gradient

# Second order through the recorded gradient: float64, central differences (step 1e-5).
TOLERANCES = {"rtol": 1e-5, "atol": 1e-8, "numeric_eps": 1e-5, "dtype": np.float64}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _uniform(low, high):
    return lambda shape: np.random.uniform(low, high, shape)


def _away_from_zero(shape):
    return np.random.uniform(0.2, 2.0, shape) * np.random.choice([-1.0, 1.0], shape)


# name: (f'' as a numpy function, a maker of inputs of a shape)
ELEMENTWISE = {
    "sin": (lambda x: -np.sin(x), _uniform(-3.0, 3.0)),
    "cos": (lambda x: -np.cos(x), _uniform(-3.0, 3.0)),
    "exp": (np.exp, _uniform(-2.0, 2.0)),
    "log": (lambda x: -1 / x**2, _uniform(0.5, 3.0)),
    "tanh": (lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), _uniform(-2.0, 2.0)),
    "sigmoid": (
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)),
        _uniform(-3.0, 3.0),
    ),
    "relu": (np.zeros_like, _away_from_zero),  # away from the kink at 0
}


def first_gradient(f, wrt=0, head=None):
    """The function x -> d/dx_wrt sum(head * f(x)), recorded with create_graph=True so that
    it differentiates again. Plain inputs (the numeric check's) get attach_grad here."""

    def gradient(*inputs):
        for x in inputs:
            if x.grad is None:
                x.attach_grad()
        with autograd.record():
            y = f(*inputs)
        heads = None if head is None else mx.nd.array(head, dtype=y.dtype)
        return autograd.grad(y, [inputs[wrt]], heads, create_graph=True)[0]

    return gradient


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_second_derivative_matches_the_formula(name, seed):
    second, make = ELEMENTWISE[name]
    values = make((2, 3))
    head = np.random.normal(size=values.shape)
    x = mx.nd.array(values, dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = getattr(mx.nd, name)(x)
        (dx,) = autograd.grad(y, [x], create_graph=True)
    dx.backward(mx.nd.array(head, dtype="float64"))
    np.testing.assert_allclose(x.grad.asnumpy(), head * second(values), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_second_derivative_matches_central_differences(name, seed):
    values = ELEMENTWISE[name][1]((2, 3))
    check_numeric_gradient(first_gradient(getattr(mx.nd, name)), [values], **TOLERANCES)


def test_third_derivative():
    values = np.array([-1.0, 0.3, 2.0])
    x = mx.nd.array(values, dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = mx.nd.sin(x) * mx.nd.exp(x)
        (d1,) = autograd.grad(y, [x], create_graph=True)
        (d2,) = autograd.grad(d1, [x], create_graph=True)
    d2.backward()
    # (sin x e^x)''' = 2 e^x (cos x - sin x)
    want = 2 * np.exp(values) * (np.cos(values) - np.sin(values))
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-10)


def test_product_mixed_partials():
    x, y = mx.nd.array([1.0, 2.0]), mx.nd.array([3.0, 5.0])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        z = x * x * y
        (dx,) = autograd.grad(z, [x], create_graph=True)  # 2 x y
    dx.backward()
    assert x.grad.asnumpy().tolist() == [6.0, 10.0]  # 2 y
    assert y.grad.asnumpy().tolist() == [2.0, 4.0]  # 2 x


@pytest.mark.parametrize("wrt", [0, 1])
def test_product_second_order_numerically(wrt, seed):
    values = [np.random.normal(size=(2, 3)), np.random.normal(size=(1, 3))]
    check_numeric_gradient(first_gradient(lambda a, b: a * b * a, wrt), values, **TOLERANCES)


def test_dot_second_order():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(4, 3))
    head, head2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    x, w = mx.nd.array(a, dtype="float64"), mx.nd.array(b, dtype="float64")
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = mx.nd.dot(x, w, transpose_b=True)
        (dx,) = autograd.grad(y, [x], mx.nd.array(head, dtype="float64"), create_graph=True)
    np.testing.assert_allclose(dx.asnumpy(), head @ b, rtol=1e-12)
    dx.backward(mx.nd.array(head2, dtype="float64"))
    # d/dw sum(head2 * (head @ w)) = head2^T @ head, transposed for w's layout.
    np.testing.assert_allclose(w.grad.asnumpy(), (head2.T @ head).T, rtol=1e-12)


@pytest.mark.parametrize("wrt", [0, 1])
def test_dot_second_order_numerically(wrt, seed):
    values = [np.random.normal(size=(2, 3)), np.random.normal(size=(3, 4))]
    head = np.random.normal(size=(2, 4))
    check_numeric_gradient(first_gradient(mx.nd.dot, wrt, head), values, **TOLERANCES)
