"""Executor API: bind / simple_bind / eval, grad_req, aux states, reshape, errors (MXNet 1.9.1)."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError


def _fc(num_hidden=3):
    return mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=num_hidden, name="fc")


def _args(value=1.0):
    return {
        "x": mx.nd.ones((2, 4)) * value,
        "fc_weight": mx.nd.ones((3, 4)),
        "fc_bias": mx.nd.ones(3),
    }


def test_bind_with_dict_and_list_share_the_given_arrays():
    args = _args()
    ex = _fc().bind(mx.cpu(), args)
    assert ex.arg_dict["x"] is args["x"]
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), np.full((2, 3), 5.0))
    ex2 = _fc().bind(mx.cpu(), [args["x"], args["fc_weight"], args["fc_bias"]])
    assert ex2.arg_arrays[1] is args["fc_weight"]
    assert ex.grad_arrays == [None, None, None]


def test_outputs_stay_valid_and_are_overwritten_by_the_next_forward():
    args = _args()
    ex = _fc().bind(mx.cpu(), args)
    out = ex.forward()[0]
    assert ex.outputs[0] is out
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 5.0))
    ex.forward(x=mx.nd.ones((2, 4)) * 2)
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 9.0))
    ex.forward(x=np.zeros((2, 4), np.float32))
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 1.0))
    assert list(ex.output_dict) == ["fc_output"]


def test_simple_bind_allocates_zeros_with_inferred_shapes_and_dtypes():
    ex = _fc().simple_bind(mx.cpu(), x=(2, 4), type_dict={"x": "float64"})
    assert [a.shape for a in ex.arg_arrays] == [(2, 4), (3, 4), (3,)]
    assert ex.arg_dict["fc_weight"].dtype == np.float64
    assert [g.shape for g in ex.grad_arrays] == [(2, 4), (3, 4), (3,)]
    assert ex.outputs[0].dtype == np.float64


def test_simple_bind_without_shapes_names_the_arguments():
    with pytest.raises(MXNetError, match="x.*fc_weight"):
        _fc().simple_bind(mx.cpu())


def test_bind_errors_name_the_argument():
    with pytest.raises(MXNetError, match="fc_weight.*missing in `args`"):
        _fc().bind(mx.cpu(), {"x": mx.nd.zeros((2, 4))})
    with pytest.raises(MXNetError, match="Length of args"):
        _fc().bind(mx.cpu(), [mx.nd.zeros((2, 4))])
    bad = dict(_args(), fc_weight=mx.nd.zeros((3, 5)))
    with pytest.raises(MXNetError, match="fc"):
        _fc().bind(mx.cpu(), bad)
    with pytest.raises(TypeError, match="list of NDArrays"):
        _fc().bind(mx.cpu(), dict(_args(), fc_bias=[1, 2, 3]))
    with pytest.raises(ValueError, match="grad_req must be in"):
        _fc().bind(mx.cpu(), _args(), args_grad=_args(), grad_req="sometimes")
    bn = mx.sym.BatchNorm(mx.sym.var("x"), name="bn")
    with pytest.raises(MXNetError, match="bn_moving_var.*aux_states"):
        bn.bind(
            mx.cpu(),
            {"x": mx.nd.zeros((2, 4)), "bn_gamma": mx.nd.ones(4), "bn_beta": mx.nd.zeros(4)},
            aux_states={"bn_moving_mean": mx.nd.zeros(4)},
        )


def test_forward_keyword_errors():
    ex = _fc().bind(mx.cpu(), _args())
    with pytest.raises(MXNetError, match="Shape not match! Argument x"):
        ex.forward(x=mx.nd.zeros((3, 4)))
    with pytest.raises(TypeError, match="Unknown argument foo"):
        ex.forward(foo=mx.nd.zeros((2, 4)))


def test_backward_without_head_gradient_for_a_non_loss_output_raises():
    ex = _fc().simple_bind(mx.cpu(), x=(2, 4))
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match="head_gradient is required"):
        ex.backward()
    with pytest.raises(TypeError):
        ex.backward(np.ones((2, 3)))
    with pytest.raises(MXNetError, match="shape"):
        ex.backward(mx.nd.ones((2, 5)))


def test_loss_output_ignores_head_gradients_and_label_gets_zeros():
    net = mx.sym.SoftmaxOutput(_fc(), name="sm")
    ex = net.simple_bind(mx.cpu(), x=(2, 4))
    ex.arg_dict["fc_weight"][:] = 0.1
    ex.arg_dict["sm_label"][:] = 1
    ex.grad_dict["sm_label"][:] = 7
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_array_equal(ex.grad_dict["sm_label"].asnumpy(), [0, 0])
    np.testing.assert_allclose(ex.grad_dict["fc_bias"].asnumpy(), [2 / 3, -4 / 3, 2 / 3], rtol=1e-6)


@pytest.mark.parametrize("grad_req", ["write", "add", "null"])
def test_grad_req(grad_req):
    grads = {k: mx.nd.ones(v.shape) for k, v in _args().items()}
    ex = _fc().bind(mx.cpu(), _args(), args_grad=grads, grad_req=grad_req)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 3)))
    expected = {"write": [2.0] * 3, "add": [3.0] * 3, "null": [1.0] * 3}[grad_req]
    np.testing.assert_array_equal(grads["fc_bias"].asnumpy(), expected)
    ex.backward(mx.nd.ones((2, 3)))
    if grad_req == "add":
        np.testing.assert_array_equal(grads["fc_bias"].asnumpy(), [5.0] * 3)


def test_grad_req_dict_leaves_the_rest_null_and_partial_args_grad():
    grads = {k: mx.nd.ones(v.shape) for k, v in _args().items()}
    ex = _fc().bind(mx.cpu(), _args(), args_grad=grads, grad_req={"fc_weight": "write"})
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((2, 3))])
    np.testing.assert_array_equal(grads["fc_weight"].asnumpy(), np.full((3, 4), 2.0))
    np.testing.assert_array_equal(grads["fc_bias"].asnumpy(), [1.0] * 3)
    ex = _fc().bind(mx.cpu(), _args(), args_grad={"fc_bias": mx.nd.zeros(3)})
    assert ex.grad_arrays[0] is None and ex.grad_arrays[2] is not None
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 3)))
    np.testing.assert_array_equal(ex.grad_dict["fc_bias"].asnumpy(), [2.0] * 3)


def test_batchnorm_moving_stats_update_only_in_training_forward():
    net = mx.sym.BatchNorm(mx.sym.var("x"), momentum=0.5, name="bn")
    ex = net.simple_bind(mx.cpu(), x=(4, 2))
    ex.aux_dict["bn_moving_var"][:] = 1
    ex.arg_dict["x"][:] = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.float32)
    ex.forward(is_train=False)
    np.testing.assert_array_equal(ex.aux_dict["bn_moving_mean"].asnumpy(), [0, 0])
    ex.forward(is_train=True)
    np.testing.assert_allclose(ex.aux_dict["bn_moving_mean"].asnumpy(), [2.0, 2.5])
    np.testing.assert_allclose(ex.aux_dict["bn_moving_var"].asnumpy(), [3.0, 3.0])


def test_variable_and_repeated_outputs_get_their_own_arrays():
    x = mx.sym.var("x")
    y = mx.sym.relu(x, name="r")
    ex = mx.sym.Group([x, y, y]).bind(
        mx.cpu(), {"x": mx.nd.array([-1.0, 2.0])}, args_grad={"x": mx.nd.zeros(2)}
    )
    outs = ex.forward(is_train=True)
    assert outs[0] is not ex.arg_dict["x"] and outs[1] is not outs[2]
    np.testing.assert_array_equal(outs[2].asnumpy(), [0, 2])
    ex.backward([mx.nd.ones(2), mx.nd.ones(2), mx.nd.ones(2) * 2])
    np.testing.assert_array_equal(ex.grad_dict["x"].asnumpy(), [1, 4])
    with pytest.raises(ValueError, match="Duplicate names"):
        _ = ex.output_dict


def test_reshape_shares_parameters_and_checks_sizes():
    net = mx.sym.FullyConnected(_fc(), num_hidden=2, name="fc2")
    ex = net.simple_bind(mx.cpu(), x=(4, 4))
    ex.arg_dict["fc_weight"][:] = 0.5
    small = ex.reshape(x=(2, 4))
    assert small.arg_dict["fc_weight"] is ex.arg_dict["fc_weight"]
    assert small.arg_dict["x"].shape == (2, 4)
    small.arg_dict["x"][:] = 1
    np.testing.assert_array_equal(ex.arg_dict["x"].asnumpy()[:2], np.ones((2, 4)))
    assert small.forward()[0].shape == (2, 2)
    with pytest.raises(MXNetError, match="larger than original"):
        ex.reshape(x=(5, 4))
    big = ex.reshape(allow_up_sizing=True, x=(5, 4))
    assert big.arg_dict["x"].shape == (5, 4)
    with pytest.raises(MXNetError, match="unspecified arg: x"):
        ex.reshape(fc_weight=(3, 2))
    assert ex.reshape(partial_shaping=True, x=(4, 2)).arg_dict["fc_weight"].shape == (3, 2)


def test_copy_params_from():
    ex = mx.sym.BatchNorm(_fc(), name="bn").simple_bind(mx.cpu(), x=(2, 4))
    ex.copy_params_from(
        {"fc_bias": mx.nd.ones(3, dtype="float64") * 2}, {"bn_moving_var": mx.nd.ones(3) * 3}
    )
    np.testing.assert_array_equal(ex.arg_dict["fc_bias"].asnumpy(), [2, 2, 2])
    assert ex.arg_dict["fc_bias"].dtype == np.float32
    np.testing.assert_array_equal(ex.aux_dict["bn_moving_var"].asnumpy(), [3, 3, 3])
    with pytest.raises(ValueError, match='Find name "foo"'):
        ex.copy_params_from({"foo": mx.nd.ones(3)})
    ex.copy_params_from({"foo": mx.nd.ones(3)}, allow_extra_params=True)


def test_monitor_callback_sees_outputs_and_gradients():
    net = mx.sym.SoftmaxOutput(mx.sym.Activation(_fc(), act_type="relu", name="act"), name="sm")
    ex = net.simple_bind(mx.cpu(), x=(2, 4))
    seen = []
    ex.set_monitor_callback(lambda name, array: seen.append((name, array.shape)))
    ex.forward(is_train=True)
    ex.backward()
    names = [name for name, _ in seen]
    assert names[:3] == ["fc_output", "act_output", "sm_output"]
    assert "fc_backward_output1" in names and "sm_backward_output" in names
    seen.clear()
    ex.set_monitor_callback(lambda name, array: seen.append(name), monitor_all=True)
    ex.forward()
    assert "fc_weight" in seen and "fc_output" in seen


def test_eval_and_debug_str():
    x = mx.sym.var("x")
    (out,) = (x * 3).eval(ctx=mx.cpu(), x=mx.nd.ones(2))
    np.testing.assert_array_equal(out.asnumpy(), [3, 3])
    text = _fc().simple_bind(mx.cpu(), x=(2, 4)).debug_str()
    assert "Op:FullyConnected, Name=fc" in text and "Backward" in text and "MB" in text


def test_executor_under_both_engines(engine_type):
    net = mx.sym.SoftmaxOutput(_fc(), name="sm")
    ex = net.simple_bind(mx.cpu(), x=(2, 4))
    ex.arg_dict["fc_weight"][:] = 0.1
    ex.arg_dict["x"][:] = 1
    out = ex.forward(is_train=True)[0]
    ex.backward()
    np.testing.assert_allclose(out.asnumpy(), np.full((2, 3), 1 / 3), rtol=1e-6)
    np.testing.assert_allclose(ex.grad_dict["fc_bias"].asnumpy(), [-4 / 3, 2 / 3, 2 / 3], rtol=1e-6)


def test_a_failing_kernel_names_the_node():
    x = mx.sym.var("x")
    y = mx.sym.take(x, mx.sym.var("i"), mode="raise", name="pick")
    ex = y.bind(mx.cpu(), {"x": mx.nd.ones((2, 2)), "i": mx.nd.array([5])})
    with pytest.raises(MXNetError, match="pick"):
        ex.forward()[0].asnumpy()


def test_simple_bind_shares_arrays_with_another_executor_and_a_buffer():
    first = _fc().simple_bind(mx.cpu(), x=(2, 4))
    second = _fc().simple_bind(
        mx.cpu(), x=(2, 4), shared_arg_names=["fc_weight"], shared_exec=first
    )
    assert second.arg_dict["fc_weight"] is first.arg_dict["fc_weight"]
    assert second.grad_dict["fc_weight"] is first.grad_dict["fc_weight"]
    assert second.arg_dict["fc_bias"] is not first.arg_dict["fc_bias"]
    buffer = {}
    third = _fc().simple_bind(mx.cpu(), x=(2, 4), shared_buffer=buffer)
    assert buffer["x"] is third.arg_dict["x"]
    fourth = _fc().simple_bind(mx.cpu(), x=(2, 4), shared_buffer=buffer)
    assert fourth.arg_dict["x"] is third.arg_dict["x"]


def test_dropout_is_identity_outside_training():
    net = mx.sym.Dropout(mx.sym.var("x"), p=0.5)
    ex = net.simple_bind(mx.cpu(), x=(50,))
    ex.arg_dict["x"][:] = 1
    np.testing.assert_array_equal(ex.forward(is_train=False)[0].asnumpy(), np.ones(50))
    ex.backward(mx.nd.ones(50))
    np.testing.assert_array_equal(ex.grad_dict["x"].asnumpy(), np.ones(50))
    trained = ex.forward(is_train=True)[0].asnumpy()
    assert set(np.unique(trained)) <= {0.0, 2.0} and 0.0 in trained
    ex.backward(mx.nd.ones(50))
    np.testing.assert_array_equal(ex.grad_dict["x"].asnumpy(), trained)
