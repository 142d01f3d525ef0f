"""attach_grad, .grad, detach, backward and mark_variables with MXNet 1.9.1's semantics:
grad_req write/add/null, several heads, head gradients, retain_graph, and the errors."""

import numpy as np
import pytest

import neomx as mx
from neomx import autograd
from neomx.base import MXNetError


def _variable(values, grad_req="write", dtype="float32", ctx=None):
    x = mx.nd.array(values, dtype=dtype, ctx=ctx)
    x.attach_grad(grad_req)
    return x


def _grad(x):
    return x.grad.asnumpy().tolist()


# ---- attach_grad and .grad ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32"])
def test_attach_grad_gives_zeros_of_the_arrays_dtype_and_context(dtype):
    x = mx.nd.array([[1, 2, 3]], dtype=dtype, ctx=mx.cpu(1))
    assert x.grad is None
    x.attach_grad()
    assert x.grad.dtype == np.dtype(dtype).type
    assert x.grad.context == mx.cpu(1)
    assert x.grad.shape == (1, 3)
    assert x.grad.asnumpy().tolist() == [[0, 0, 0]]


def test_gradient_on_another_context():
    x = _variable([1.0, 2.0], ctx=mx.cpu(1))
    with autograd.record():
        y = x * x
    y.backward()
    assert x.grad.context == mx.cpu(1)
    assert _grad(x) == [2.0, 4.0]


def test_attach_grad_rejects_unknown_requests():
    x = mx.nd.array([1.0])
    with pytest.raises(MXNetError, match="grad_req.*'sum'"):
        x.attach_grad("sum")
    with pytest.raises(MXNetError, match="stype"):
        x.attach_grad(stype="row_sparse")


def test_attach_grad_again_gives_a_new_buffer_and_the_old_graph_keeps_the_old_one():
    # As MXNet 1.9.1: a graph recorded before the second attach_grad writes the old buffer.
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    old = x.grad
    x.attach_grad()
    assert x.grad is not old
    y.backward()
    assert old.asnumpy().tolist() == [2.0, 4.0]
    assert _grad(x) == [0.0, 0.0]


def test_attach_grad_inside_record():
    x = mx.nd.array([1.0, 2.0])
    with autograd.record():
        x.attach_grad()
        y = x * x
    y.backward()
    assert _grad(x) == [2.0, 4.0]


def test_attach_grad_on_a_recorded_array_makes_it_a_leaf():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
        y.attach_grad()
        z = y * 3
    z.backward()
    assert _grad(y) == [3.0, 3.0]
    assert _grad(x) == [0.0, 0.0]


# ---- grad_req -----------------------------------------------------------------------------


def _square_backward(x):
    with autograd.record():
        y = x * x
    y.backward()


def test_write_overwrites():
    x = _variable([1.0, 2.0])
    _square_backward(x)
    _square_backward(x)
    assert _grad(x) == [2.0, 4.0]


def test_add_accumulates_across_backward_calls():
    x = _variable([1.0, 2.0], "add")
    _square_backward(x)
    _square_backward(x)
    assert _grad(x) == [4.0, 8.0]
    x.grad[:] = 0
    _square_backward(x)
    assert _grad(x) == [2.0, 4.0]


def test_null_is_not_written_and_backward_with_only_null_variables_fails():
    x, w = _variable([1.0, 2.0], "null"), _variable([3.0, 4.0])
    with autograd.record():
        y = x * w
    y.backward()
    assert _grad(x) == [0.0, 0.0]
    assert _grad(w) == [1.0, 2.0]
    with autograd.record():
        y = x * x
    # MXNet 1.9.1: "There are no inputs in computation graph that require gradients."
    with pytest.raises(MXNetError, match="no array .* requires a gradient"):
        y.backward()


def test_write_stores_zero_where_no_gradient_flows():
    # As MXNet 1.9.1: floor's gradient is zero, so x.grad becomes 0 with 'write' ...
    x, w = _variable([1.5, 2.5]), _variable([1.0, 2.0])
    with autograd.record():
        y = x * w
    y.backward()
    with autograd.record():
        y = mx.nd.floor(x) * w
    y.backward()
    assert _grad(x) == [0.0, 0.0]
    assert _grad(w) == [1.0, 2.0]
    # ... and stays as it was with 'add'.
    x.attach_grad("add")
    x.grad[:] = 5
    with autograd.record():
        y = mx.nd.floor(x) * w
    y.backward()
    assert _grad(x) == [5.0, 5.0]


def test_an_unreachable_variable_is_left_alone():
    x, z = _variable([1.0, 2.0]), _variable([1.0, 2.0])
    z.grad[:] = 7
    with autograd.record():
        y = x * 2
    y.backward()
    assert _grad(z) == [7.0, 7.0]


# ---- heads and head gradients -------------------------------------------------------------


def test_a_variable_used_twice_gets_the_sum():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x + x
    y.backward()
    assert _grad(x) == [3.0, 5.0]


def test_shared_intermediate():
    x = _variable([1.0, 2.0])
    with autograd.record():
        h = x * 3
        y = h * h + h
    y.backward()
    assert _grad(x) == [2 * 3 * 3.0 + 3, 2 * 3 * 6.0 + 3]


def test_several_heads_add_up():
    x = _variable([1.0, 2.0])
    with autograd.record():
        a, b = x * x, x * 3
    autograd.backward([a, b])
    assert _grad(x) == [5.0, 7.0]


def test_several_heads_with_head_gradients():
    x = _variable([1.0, 2.0])
    with autograd.record():
        a, b = x * x, x * 3
    autograd.backward([a, b], [mx.nd.array([1.0, 10.0]), mx.nd.array([2.0, 2.0])])
    assert _grad(x) == [8.0, 46.0]
    with autograd.record():
        a, b = x * x, x * 3
    # None stands for ones, as in MXNet.
    autograd.backward([a, b], [None, mx.nd.array([2.0, 2.0])])
    assert _grad(x) == [8.0, 10.0]


def test_single_head_and_head_gradient_need_no_list():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    autograd.backward(y, mx.nd.array([3.0, 4.0]))
    assert _grad(x) == [6.0, 16.0]
    with autograd.record():
        y = x * x
    y.backward(mx.nd.array([1.0, 0.5]))
    assert _grad(x) == [2.0, 2.0]


def test_a_variable_can_be_a_head():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    autograd.backward([y, x])
    assert _grad(x) == [3.0, 5.0]
    x.backward()
    assert _grad(x) == [1.0, 1.0]


def test_the_same_head_twice_counts_twice():
    # MXNet 1.9.1 counts a repeated head once; neomx adds the heads' gradients as given.
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    autograd.backward([y, y])
    assert _grad(x) == [4.0, 8.0]


def test_integer_head():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x.astype("int32")
    y.backward()
    assert _grad(x) == [1.0, 1.0]


def test_zero_size():
    x = _variable(np.zeros((0, 3)))
    with autograd.record():
        y = x * 2
    y.backward()
    assert x.grad.shape == (0, 3)


def test_head_gradient_errors():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    with pytest.raises(MXNetError, match=r"head_grads\[0\].*shape \(2,\)"):
        y.backward(mx.nd.ones(3))
    with pytest.raises(MXNetError, match="2 head gradients for 1 heads"):
        autograd.backward([y], [mx.nd.ones(2), mx.nd.ones(2)])
    with pytest.raises(MXNetError, match=r"head_grads\[0\]"):
        y.backward(np.ones(2))


# ---- what cannot be differentiated --------------------------------------------------------


def test_backward_twice_needs_retain_graph():
    x = _variable([1.0, 2.0], "add")
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert _grad(x) == [4.0, 8.0]
    with pytest.raises(MXNetError, match="freed.*retain_graph=True"):
        y.backward()


def test_a_freed_intermediate_cannot_be_differentiated_again():
    x = _variable([1.0, 2.0])
    with autograd.record():
        h = x * x
        a, b = h * 2, h * 3
    a.backward()
    with pytest.raises(MXNetError, match="freed"):
        b.backward()


@pytest.mark.parametrize("where", ["never-recorded", "outside-record", "detached", "paused"])
def test_backward_of_an_array_not_on_the_tape(where):
    x = _variable([1.0, 2.0])
    if where == "never-recorded":
        y = mx.nd.array([1.0, 2.0])
    elif where == "outside-record":
        y = x * 3
    else:
        with autograd.record():
            y = (x * 3).detach() if where == "detached" else x * 1
            if where == "paused":
                with autograd.pause():
                    y = y * 3
    with pytest.raises(MXNetError, match=r"heads\[0\] is not in a recorded graph"):
        y.backward()


def test_detach_shares_data_but_not_the_graph():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
        z = y.detach() * x
    z.backward()
    assert _grad(x) == [1.0, 4.0]
    d = x.detach()
    assert d.grad is None
    d[:] = 5
    assert x.asnumpy().tolist() == [5.0, 5.0]


def test_backward_inside_record_is_not_recorded():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
        y.backward()
        z = x.grad * 1
    assert _grad(x) == [2.0, 4.0]
    with pytest.raises(MXNetError, match="not in a recorded graph"):
        z.backward()


@pytest.mark.parametrize("size", [3, 40000])
def test_engines(engine_type, size):
    values = np.random.uniform(1, 2, size)
    x = _variable(values)
    with autograd.record():
        y = mx.nd.exp(x) * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.exp(values) * (1 + values), rtol=1e-5)


# ---- mark_variables -----------------------------------------------------------------------


def test_mark_variables_with_own_buffers_and_requests():
    x, w = mx.nd.array([1.0, 2.0]), mx.nd.array([3.0, 4.0])
    gx, gw = mx.nd.zeros(2), mx.nd.ones(2)
    autograd.mark_variables([x, w], [gx, gw], ["write", "add"])
    for _ in range(2):
        with autograd.record():
            y = x * w
        y.backward()
    assert x.grad is gx and w.grad is gw
    assert gx.asnumpy().tolist() == [3.0, 4.0]
    assert gw.asnumpy().tolist() == [3.0, 5.0]


def test_mark_variables_takes_one_array_and_one_request():
    x, gx = mx.nd.array([1.0, 2.0]), mx.nd.zeros(2)
    autograd.mark_variables(x, gx, "add")
    _square_backward(x)
    _square_backward(x)
    assert gx.asnumpy().tolist() == [4.0, 8.0]


def test_mark_variables_errors():
    x = mx.nd.array([1.0, 2.0])
    with pytest.raises(MXNetError, match="equal lengths"):
        autograd.mark_variables([x], [mx.nd.zeros(2), mx.nd.zeros(2)])
    with pytest.raises(MXNetError, match="'write', 'add' or 'null'"):
        autograd.mark_variables([x], [mx.nd.zeros(2)], "accumulate")
    with pytest.raises(MXNetError, match=r"gradients\[0\] has shape \(3,\)"):
        autograd.mark_variables([x], [mx.nd.zeros(3)])
    with pytest.raises(MXNetError, match="must be NDArrays"):
        autograd.mark_variables([x], [np.zeros(2)])


# ---- only what is wanted is computed ------------------------------------------------------


class _Counted(autograd.Function):
    """The identity, counting its backward calls in ``calls``."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def forward(self, x):
        return x * 1

    def backward(self, dy):
        self.calls.append(1)
        return dy


def test_branches_leading_to_no_wanted_variable_are_skipped():
    calls = []
    frozen, w = _variable([1.0, 2.0], "null"), _variable([3.0, 4.0])
    with autograd.record():
        y = _Counted(calls)(frozen * 2) * w
    y.backward()
    assert calls == []
    assert _grad(w) == [2.0, 4.0]
    x = _variable([5.0, 6.0])
    with autograd.record():
        y = _Counted(calls)(x) * w
    # grad() differentiates towards the variables asked for only.
    assert autograd.grad(y, [w])[0].asnumpy().tolist() == [5.0, 6.0]
    assert calls == []
