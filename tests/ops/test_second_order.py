"""Second derivatives through autograd: an operator's gradient, recorded with
``create_graph=True``, is differentiated again and compared with the analytic result.

Also the operators whose gradient is defined rather than derived (BlockGrad, make_loss), which
no numeric check can cover.
"""

import numpy as np
import pytest

import neomx as mx
from neomx.test_utils import assert_almost_equal


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name, function of an NDArray, input range, f', f''
_ELEMENTWISE = [
    ("sin", mx.nd.sin, (-3, 3), np.cos, lambda x: -np.sin(x)),
    ("cos", mx.nd.cos, (-3, 3), lambda x: -np.sin(x), lambda x: -np.cos(x)),
    ("exp", mx.nd.exp, (-2, 2), np.exp, np.exp),
    ("log", mx.nd.log, (0.5, 3), lambda x: 1 / x, lambda x: -1 / x**2),
    (
        "tanh",
        mx.nd.tanh,
        (-2, 2),
        lambda x: 1 - np.tanh(x) ** 2,
        lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
    ),
    (
        "sigmoid",
        mx.nd.sigmoid,
        (-4, 4),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)),
    ),
    ("relu", mx.nd.relu, (-2, 2), lambda x: (x > 0).astype(x.dtype), np.zeros_like),
    ("sqrt", mx.nd.sqrt, (0.5, 3), lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x**-1.5),
    ("square", mx.nd.square, (-2, 2), lambda x: 2 * x, lambda x: np.full_like(x, 2.0)),
    ("reciprocal", mx.nd.reciprocal, (0.5, 3), lambda x: -1 / x**2, lambda x: 2 / x**3),
    ("arctan", mx.nd.arctan, (-2, 2), lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2),
    (
        "erf",
        mx.nd.erf,
        (-2, 2),
        lambda x: 2 / np.sqrt(np.pi) * np.exp(-(x**2)),
        lambda x: -4 * x / np.sqrt(np.pi) * np.exp(-(x**2)),
    ),
    (
        "softsign",
        mx.nd.softsign,
        (-2, 2),
        lambda x: 1 / (1 + np.abs(x)) ** 2,
        lambda x: -2 * np.sign(x) / (1 + np.abs(x)) ** 3,
    ),
    (
        "cube",
        lambda x: mx.nd.broadcast_mul(x, mx.nd.broadcast_mul(x, x)),
        (-2, 2),
        lambda x: 3 * x**2,
        lambda x: 6 * x,
    ),
]


def _away_from_zero(values):
    """Keep values at least 0.1 from 0 (relu and softsign kink there)."""
    return np.where(np.abs(values) < 0.1, values + 0.2, values)


@pytest.mark.parametrize(
    "function,domain,first,second",
    [case[1:] for case in _ELEMENTWISE],
    ids=[case[0] for case in _ELEMENTWISE],
)
def test_elementwise_second_derivative(function, domain, first, second, seed):
    values = _away_from_zero(np.random.uniform(*domain, size=(2, 3)))
    x = mx.nd.array(values, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        (dx,) = mx.autograd.grad(function(x), [x], create_graph=True)
    dx.backward()
    assert_almost_equal(dx.asnumpy(), first(values), rtol=1e-10, atol=1e-12)
    # The gradient of sum(f'(x)) is f''(x) element by element.
    assert_almost_equal(x.grad.asnumpy(), second(values), rtol=1e-10, atol=1e-12)


def test_broadcast_mul_mixed_second_derivative(seed):
    """d/dw sum(h * d/dx sum(g * x * w)) for x (2, 3) and w (1, 3): sum over rows of g * h."""
    x_values, heads, outer = (np.random.normal(size=(2, 3)) for _ in range(3))
    x = mx.nd.array(x_values, dtype="float64")
    w = mx.nd.array(np.random.normal(size=(1, 3)), dtype="float64")
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.broadcast_mul(x, w)
        (dx,) = mx.autograd.grad(
            y, [x], head_grads=mx.nd.array(heads, dtype="float64"), create_graph=True
        )
    dx.backward(mx.nd.array(outer, dtype="float64"))
    assert_almost_equal(dx.asnumpy(), heads * w.asnumpy(), rtol=1e-12, atol=1e-12)
    assert_almost_equal(
        w.grad.asnumpy(), np.sum(heads * outer, axis=0, keepdims=True), rtol=1e-12, atol=1e-12
    )
    assert_almost_equal(x.grad.asnumpy(), np.zeros((2, 3)), atol=1e-12)


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_dot_second_derivative(transpose_a, transpose_b, seed):
    """C = op(A) op(B); dA from a head H, then the gradient of sum(W * dA) for B."""
    a_values = np.random.normal(size=(3, 2) if transpose_a else (2, 3))
    b_values = np.random.normal(size=(4, 3) if transpose_b else (3, 4))
    heads = np.random.normal(size=(2, 4))
    outer = np.random.normal(size=a_values.shape)
    a = mx.nd.array(a_values, dtype="float64")
    b = mx.nd.array(b_values, dtype="float64")
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        c = mx.nd.dot(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
        (da,) = mx.autograd.grad(
            c, [a], head_grads=mx.nd.array(heads, dtype="float64"), create_graph=True
        )
    da.backward(mx.nd.array(outer, dtype="float64"))
    op_b = b_values.T if transpose_b else b_values
    d_op_a = heads @ op_b.T
    assert_almost_equal(da.asnumpy(), d_op_a.T if transpose_a else d_op_a, rtol=1e-12, atol=1e-12)
    # With W = outer in op(A)'s layout the objective is sum(W * H op(B)^T), whose gradient
    # for op(B) is W^T H.
    outer_aligned = outer.T if transpose_a else outer
    d_op_b = outer_aligned.T @ heads
    assert_almost_equal(
        b.grad.asnumpy(), d_op_b.T if transpose_b else d_op_b, rtol=1e-12, atol=1e-12
    )


def test_nd_dot_second_derivative(seed):
    """N-D dot (reshaped to matrices inside its gradient) differentiates twice."""
    a = mx.nd.array(np.random.normal(size=(2, 2, 3)), dtype="float64")
    b = mx.nd.array(np.random.normal(size=(3, 2)), dtype="float64")
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        (da,) = mx.autograd.grad(mx.nd.dot(a, b), [a], create_graph=True)
    da.backward()
    # da[i, j, k] = sum_n b[k, n]; d/db sum(da) counts each b[k, n] once per (i, j).
    assert_almost_equal(b.grad.asnumpy(), np.full((3, 2), 4.0), rtol=1e-12)


@pytest.mark.parametrize("name", ["BlockGrad", "stop_gradient"])
def test_block_grad_stops_gradients(name):
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x + getattr(mx.nd, name)(x * 5)
    y.backward()
    assert_almost_equal(x.grad.asnumpy(), np.array([2.0, 4.0, 6.0]))


def test_make_loss_gradient_is_ones():
    """As in MXNet, make_loss ignores the head gradient: its input's gradient is ones."""
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.make_loss(x * 2)
    y.backward(mx.nd.array([[5.0, 6.0], [7.0, 8.0]]))
    assert_almost_equal(x.grad.asnumpy(), np.full((2, 2), 2.0))
