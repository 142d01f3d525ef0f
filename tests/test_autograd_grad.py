"""autograd.grad: gradients returned as a list for chosen variables, .grad untouched, and
MXNet 1.9.1's errors for variables it cannot differentiate with respect to."""

import pytest

import neomx as mx
from neomx import autograd
from neomx.base import MXNetError


def _variable(values, grad_req="write"):
    x = mx.nd.array(values)
    x.attach_grad(grad_req)
    return x


def _lists(arrays):
    return [a.asnumpy().tolist() for a in arrays]


def test_grad_returns_a_list_and_leaves_grad_alone():
    x, w = _variable([1.0, 2.0]), _variable([3.0, 4.0])
    with autograd.record():
        y = x * w
    grads = autograd.grad(y, [x, w], retain_graph=True)
    assert isinstance(grads, list)
    assert _lists(grads) == [[3.0, 4.0], [1.0, 2.0]]
    # A single variable still gives a list, as in MXNet.
    assert _lists(autograd.grad([y], x)) == [[3.0, 4.0]]
    assert x.grad.asnumpy().tolist() == [0.0, 0.0]


def test_grad_for_some_variables_only():
    x, w = _variable([1.0, 2.0]), _variable([3.0, 4.0])
    with autograd.record():
        y = x * w
    assert _lists(autograd.grad(y, [w])) == [[1.0, 2.0]]


def test_grad_with_head_gradients_and_several_heads():
    x = _variable([1.0, 2.0])
    with autograd.record():
        a, b = x * x, x * 3
    grads = autograd.grad([a, b], [x], head_grads=[mx.nd.array([3.0, 4.0]), None])
    assert _lists(grads) == [[9.0, 19.0]]


def test_grad_frees_the_graph_unless_retained():
    # retain_graph defaults to create_graph, as in MXNet.
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    autograd.grad(y, [x])
    with pytest.raises(MXNetError, match="freed"):
        autograd.grad(y, [x])
    with autograd.record():
        y = x * x
    autograd.grad(y, [x], create_graph=True)
    assert _lists(autograd.grad(y, [x])) == [[2.0, 4.0]]


def test_grad_of_a_variable_without_a_gradient_path_is_zero():
    x, w = _variable([1.5, 2.5]), _variable([1.0, 2.0])
    with autograd.record():
        y = mx.nd.floor(x) * w
    assert _lists(autograd.grad(y, [x, w])) == [[0.0, 0.0], [1.0, 2.0]]


def test_grad_errors_name_the_variable():
    x, z = _variable([1.0, 2.0]), _variable([1.0, 2.0])
    plain, null = mx.nd.array([1.0, 2.0]), _variable([1.0, 2.0], "null")
    with autograd.record():
        y = x * plain * null
    # MXNet 1.9.1: "Cannot differentiate with respect to the 2-th variable because it is
    # unreachable from the outputs" / "... because it does not require gradient".
    with pytest.raises(MXNetError, match=r"variables\[1\].*unreachable"):
        autograd.grad(y, [x, z], retain_graph=True)
    with pytest.raises(MXNetError, match=r"variables\[0\] does not require a gradient"):
        autograd.grad(y, [plain], retain_graph=True)
    with pytest.raises(MXNetError, match=r"variables\[1\] does not require a gradient"):
        autograd.grad(y, [x, null], retain_graph=True)
    # Nothing was computed or freed by the failed calls.
    assert _lists(autograd.grad(y, [x])) == [[1.0, 4.0]]


def test_grad_of_a_head_that_is_the_variable():
    x = _variable([1.0, 2.0])
    assert _lists(autograd.grad(x, [x])) == [[1.0, 1.0]]


def test_create_graph_records_the_gradient():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x * x
        (dx,) = autograd.grad(y, [x], create_graph=True)
    assert dx.asnumpy().tolist() == [3.0, 12.0]
    dx.backward()
    assert x.grad.asnumpy().tolist() == [6.0, 12.0]


def test_without_create_graph_the_gradient_is_a_constant():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x * x
        (dx,) = autograd.grad(y, [x])
        z = dx * x
    z.backward()
    assert x.grad.asnumpy().tolist() == [3.0, 12.0]
