"""autograd.Function: user forward/backward on NDArrays inside recorded graphs."""

import numpy as np
import pytest

import neomx as mx
from neomx import autograd
from neomx.base import MXNetError
from neomx.test_utils import check_numeric_gradient


class Sigmoid(autograd.Function):
    """1 / (1 + exp(-x)), keeping its output for backward."""

    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class ProductAndSum(autograd.Function):
    """Two inputs, two outputs: (a * b, a + b)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b, a + b

    def backward(self, d_product, d_sum):
        a, b = self.saved_tensors
        return d_product * b + d_sum, d_product * a + d_sum


def _variable(values):
    x = mx.nd.array(values)
    x.attach_grad()
    return x


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_function_between_builtin_operators():
    values = np.array([-1.0, 0.5, 2.0])
    x = _variable(values)
    with autograd.record():
        y = Sigmoid()(x * 2) * 3
    y.backward()
    s = _sigmoid(2 * values)
    np.testing.assert_allclose(y.asnumpy(), 3 * s, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * s * (1 - s), rtol=1e-5)


def test_function_agrees_with_numeric_gradients(seed):
    values = np.random.normal(size=(2, 3))
    check_numeric_gradient(lambda x: Sigmoid()(mx.nd.exp(x)), [values])
    check_numeric_gradient(
        lambda a, b: ProductAndSum()(a, b), [values, np.random.normal(size=(2, 3))]
    )


def test_several_outputs_and_an_output_without_gradient():
    a, b = _variable([1.0, 2.0]), _variable([3.0, 4.0])
    with autograd.record():
        product, total = ProductAndSum()(a, b)
    product.backward()  # total gets no gradient: its backward sees zeros for it
    assert a.grad.asnumpy().tolist() == [3.0, 4.0]
    assert b.grad.asnumpy().tolist() == [1.0, 2.0]
    with autograd.record():
        outputs = ProductAndSum()(a, b)
    assert isinstance(outputs, tuple)
    autograd.backward(list(outputs))
    assert a.grad.asnumpy().tolist() == [4.0, 5.0]


def test_function_outside_record_just_computes():
    x = _variable([0.0])
    y = Sigmoid()(x)
    assert y.asnumpy().tolist() == [0.5]
    with pytest.raises(MXNetError, match="not in a recorded graph"):
        y.backward()


def test_a_function_is_called_once():
    # MXNet 1.9.1 raises AssertionError("Each Function instance can only be called once").
    f = Sigmoid()
    f(mx.nd.ones(2))
    with pytest.raises(MXNetError, match="Sigmoid.*only once"):
        f(mx.nd.ones(2))


def test_flags_seen_by_forward_and_backward():
    seen = {}

    class Spy(autograd.Function):
        def forward(self, x):
            seen["forward"] = (autograd.is_recording(), autograd.is_training())
            return x * 1

        def backward(self, dy):
            seen["backward"] = (autograd.is_recording(), autograd.is_training())
            return dy

    x = _variable([1.0])
    # As MXNet 1.9.1: neither is recorded; forward sees record()'s training flag, backward
    # the train_mode of the backward call.
    for record_train, backward_train in [(True, False), (False, True)]:
        with autograd.record(train_mode=record_train):
            y = Spy()(x)
        y.backward(train_mode=backward_train)
        assert seen == {"forward": (False, record_train), "backward": (False, backward_train)}


def test_returning_an_input_does_not_rewire_it():
    class Identity(autograd.Function):
        def forward(self, x):
            return x

        def backward(self, dy):
            return dy * 2

    x = _variable([1.0, 2.0])
    with autograd.record():
        y = Identity()(x)
        z = y * x
    z.backward()
    # dz/dx = y (x's own path) + x * 2 (through the Function's backward).
    assert x.grad.asnumpy().tolist() == [3.0, 6.0]
    assert x.grad is not None and y is not x


def test_backward_results_are_checked():
    class Wrong(autograd.Function):
        def __init__(self, result):
            super().__init__()
            self.result = result

        def forward(self, a, b):
            return a * b

        def backward(self, dy):
            return self.result(dy)

    a, b = _variable([1.0, 2.0]), _variable([3.0, 4.0])
    cases = [
        (lambda dy: dy, "returned 1 gradient"),
        (lambda dy: (dy, mx.nd.ones(3)), r"gradient 1 must be an NDArray of .* \(2,\)"),
        (lambda dy: (dy, np.ones(2)), "gradient 1 must be an NDArray"),
    ]
    for result, message in cases:
        with autograd.record():
            y = Wrong(result)(a, b)
        with pytest.raises(MXNetError, match=f"Wrong.*{message}"):
            y.backward()


def test_inputs_must_be_ndarrays():
    with pytest.raises(MXNetError, match="Sigmoid: input 0 must be an NDArray"):
        Sigmoid()(1.0)


def test_backward_of_a_function_is_not_recorded():
    # As in MXNet 1.9.1, differentiating a Function's gradient again is not possible.
    x = _variable([1.0])
    with autograd.record():
        y = Sigmoid()(x)
        (dx,) = autograd.grad(y, [x], create_graph=True)
    with pytest.raises(MXNetError, match="not in a recorded graph"):
        dx.backward()
