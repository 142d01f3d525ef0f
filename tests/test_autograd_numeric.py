"""check_numeric_gradient on Python functions of NDArrays, differentiated by autograd."""

import numpy as np
import pytest

import neomx as mx
from neomx import autograd
from neomx.base import MXNetError
from neomx.test_utils import check_numeric_gradient


class _Scaled(autograd.Function):
    """x * factor with a backward that claims ``claimed`` instead (to test the checker)."""

    def __init__(self, factor, claimed):
        super().__init__()
        self.factor, self.claimed = factor, claimed

    def forward(self, x):
        return x * self.factor

    def backward(self, dy):
        return dy * self.claimed


def test_function_of_positional_inputs(seed):
    x, w = np.random.normal(size=(2, 3)), np.random.uniform(0.5, 1.5, size=(1, 3))
    check_numeric_gradient(lambda x, w: mx.nd.log(mx.nd.exp(x) * w + 1), [x, w])
    check_numeric_gradient(mx.nd.exp, [x])


def test_function_of_named_inputs_and_grad_nodes(seed):
    x, w = np.random.normal(size=(2, 3)), np.random.normal(size=(2, 3))

    def f(x, w):
        return x * w * w

    check_numeric_gradient(f, {"w": w, "x": x}, grad_nodes=["w"])
    check_numeric_gradient(f, [x, w], grad_nodes={"x": "write", "w": "null"})


def test_function_with_several_outputs_and_constant_ones(seed):
    x = np.random.normal(size=(3,))
    check_numeric_gradient(lambda x: [x * x, mx.nd.ones(3), mx.nd.exp(x)], [x])


def test_wrong_gradients_are_reported(seed):
    x = np.random.normal(size=(2, 3))
    check_numeric_gradient(lambda x: _Scaled(2.0, 2.0)(x), [x])
    with pytest.raises(AssertionError, match=r"NUMERICAL_x=.*BACKWARD_x="):
        check_numeric_gradient(lambda x: _Scaled(2.0, 3.0)(x), [x])
    large = np.random.normal(size=(30, 30))
    with pytest.raises(AssertionError, match="NUMERICAL_direction_x"):
        check_numeric_gradient(lambda x: _Scaled(2.0, 2.5)(x), [large])


def test_integer_inputs_are_held_fixed(seed):
    x = np.random.normal(size=(4, 3))
    indices = np.array([3, 0, 0])
    check_numeric_gradient(
        lambda x, i: mx.nd.take(x, i), [x, indices], dtype=np.float64, rtol=1e-5, atol=1e-8
    )


def test_use_forward_train_sets_the_training_flag(seed):
    seen = []

    def f(x):
        seen.append(autograd.is_training())
        return mx.nd.Dropout(x, p=0.0) * 2

    x = np.random.normal(size=(2, 2))
    check_numeric_gradient(f, [x])
    assert set(seen) == {True}
    seen.clear()
    check_numeric_gradient(f, [x], use_forward_train=False)
    assert set(seen) == {False}
    # Dropout in predict mode is the identity: its gradient checks at any p.
    check_numeric_gradient(lambda x: mx.nd.Dropout(x, p=0.5), [x], use_forward_train=False)


def test_function_errors():
    with pytest.raises(MXNetError, match="<lambda> must return an NDArray"):
        check_numeric_gradient(lambda x: x.asnumpy(), [np.ones(2)])
    with pytest.raises(MXNetError, match="no input 'y'"):
        check_numeric_gradient(lambda x: x * 2, [np.ones(2)], grad_nodes=["y"])
