"""mx.nd.add, maximum, equal, ...: dispatch on NDArrays and numbers as MXNet 1.9.1 does."""

import operator

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetTypeError

# name -> (numpy function of two arrays, Python function of two numbers)
FUNCTIONS = {
    "add": (np.add, operator.add),
    "subtract": (np.subtract, operator.sub),
    "multiply": (np.multiply, operator.mul),
    "divide": (np.divide, operator.truediv),
    "true_divide": (np.divide, operator.truediv),
    "modulo": (np.mod, operator.mod),
    "power": (np.power, operator.pow),
    "maximum": (np.maximum, max),
    "minimum": (np.minimum, min),
    "equal": (np.equal, operator.eq),
    "not_equal": (np.not_equal, operator.ne),
    "greater": (np.greater, operator.gt),
    "greater_equal": (np.greater_equal, operator.ge),
    "lesser": (np.less, operator.lt),
    "lesser_equal": (np.less_equal, operator.le),
    "logical_and": (np.logical_and, lambda a, b: bool(a) and bool(b)),
    "logical_or": (np.logical_or, lambda a, b: bool(a) or bool(b)),
    "logical_xor": (np.logical_xor, lambda a, b: bool(a) != bool(b)),
}
NAMES = sorted(FUNCTIONS)
LHS = np.array([[0.5, 2.0, 3.0], [1.0, 0.0, 4.0]], dtype=np.float32)
RHS = np.array([[2.0], [1.5]], dtype=np.float32)


def _want(name, lhs, rhs):
    return np.asarray(FUNCTIONS[name][0](lhs, rhs)).astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_arrays_broadcast(name, ctx):
    got = getattr(mx.nd, name)(mx.nd.array(LHS, ctx=ctx), mx.nd.array(RHS, ctx=ctx))
    assert got.context == ctx
    np.testing.assert_allclose(got.asnumpy(), _want(name, LHS, RHS), rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_array_and_number(name, ctx):
    got = getattr(mx.nd, name)(mx.nd.array(LHS, ctx=ctx), 2)
    np.testing.assert_allclose(got.asnumpy(), _want(name, LHS, np.float32(2)), rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_number_and_array(name, ctx):
    # The number comes first: subtract, divide, power and the comparisons are not symmetric.
    got = getattr(mx.nd, name)(2.0, mx.nd.array(LHS + 1, ctx=ctx))
    np.testing.assert_allclose(got.asnumpy(), _want(name, np.float32(2), LHS + 1), rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_two_numbers_give_a_python_number(name):
    got = getattr(mx.nd, name)(7, 2)
    want = FUNCTIONS[name][1](7, 2)
    assert got == want
    assert type(got) is (int if isinstance(want, (bool, int)) else float)


def test_scalars_follow_the_array_dtype():
    x = mx.nd.array([1, 2, 3], dtype="int32")
    # MXNet casts the scalar to the array's dtype first: 2.7 is 2.
    assert mx.nd.add(x, 2.7).asnumpy().tolist() == [3, 4, 5]
    assert mx.nd.add(x, 2.7).dtype == np.int32
    assert mx.nd.equal(x, 2.5).asnumpy().tolist() == [0, 1, 0]
    assert mx.nd.add(x, np.int64(1)).asnumpy().tolist() == [2, 3, 4]


def test_python_results_match_mxnet():
    assert mx.nd.minimum(2.5, 0) == 0 and isinstance(mx.nd.minimum(2.5, 0), int)
    assert mx.nd.maximum(2.5, 3) == 3
    assert mx.nd.logical_and(0, 3) == 0
    assert mx.nd.logical_xor(2, 3) == 0
    assert mx.nd.modulo(-7, 3) == 2
    with pytest.raises(ZeroDivisionError):
        mx.nd.divide(2.5, 0)


@pytest.mark.parametrize(
    "lhs, rhs, which",
    [
        (mx.nd.ones((2,)), [1, 2], "rhs"),
        (mx.nd.ones((2,)), np.ones(2), "rhs"),
        ("a", mx.nd.ones((2,)), "lhs"),
        (None, 2, "lhs"),
    ],
)
def test_other_types_are_refused(lhs, rhs, which):
    with pytest.raises(MXNetTypeError, match=rf"add: {which} must be an NDArray or a number"):
        mx.nd.add(lhs, rhs)


def test_power_names_its_arguments():
    with pytest.raises(TypeError, match="power: base"):
        mx.nd.power("2", mx.nd.ones((2,)))


def test_shapes_that_do_not_broadcast_are_refused():
    with pytest.raises(mx.base.MXNetError, match=r"broadcast_maximum.*\(2, 3\).*\(4, 3\)"):
        mx.nd.maximum(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)))


def test_gradients_flow_through():
    x = mx.nd.array([1.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.maximum(2, x) + mx.nd.subtract(1, x)
    y.backward()
    assert x.grad.asnumpy().tolist() == [-1.0, 0.0]
