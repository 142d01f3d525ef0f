"""Model parallelism: ``group2ctx`` places groups on devices; results equal one device's."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx


def _two_group_net():
    with mx.AttrScope(ctx_group="dev1"):
        x = mx.sym.var("data")
        h = mx.sym.FullyConnected(x, num_hidden=6, name="fc1")
        h = mx.sym.Activation(h, act_type="tanh", name="act1")
    with mx.AttrScope(ctx_group="dev2"):
        h = mx.sym.FullyConnected(h, num_hidden=4, name="fc2")
        h = mx.sym.BatchNorm(h, fix_gamma=False, name="bn")
        out = mx.sym.SoftmaxOutput(h, name="softmax")
    return out


def _run(net, group2ctx, values):
    ex = net.simple_bind(mx.cpu(0), data=(5, 3), group2ctx=group2ctx)
    for name, value in values.items():
        ex.arg_dict[name][:] = value
    outs = [o.asnumpy() for o in ex.forward(is_train=True)]
    ex.backward()
    grads = {k: g.asnumpy() for k, g in ex.grad_dict.items()}
    aux = {k: a.asnumpy() for k, a in ex.aux_dict.items()}
    return ex, outs, grads, aux


@pytest.mark.parametrize("engine", ["NaiveEngine", "ThreadedEnginePerDevice"])
def test_group2ctx_over_two_cpus_equals_one_device(engine, seed):
    net = _two_group_net()
    rng = np.random.default_rng(seed)
    shapes = dict(zip(net.list_arguments(), net.infer_shape(data=(5, 3))[0]))
    values = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in shapes.items()}
    values["softmax_label"] = rng.integers(0, 4, 5).astype(np.float32)
    with mx.engine.engine_scope(engine):
        _, outs, grads, aux = _run(net, None, values)
        ex, outs2, grads2, aux2 = _run(net, {"dev1": mx.cpu(0), "dev2": mx.cpu(1)}, values)
    assert ex.arg_dict["fc2_weight"].context == mx.cpu(1)
    assert ex.arg_dict["fc1_weight"].context == mx.cpu(0)
    assert ex.outputs[0].context == mx.cpu(1)
    assert any(n.op is not None and n.op.name == "_CrossDeviceCopy" for n in ex._placement)
    np.testing.assert_allclose(outs2[0], outs[0], rtol=1e-6)
    for key in grads:
        np.testing.assert_allclose(grads2[key], grads[key], rtol=1e-5, atol=1e-6, err_msg=key)
        assert ex.grad_dict[key].context == ex.arg_dict[key].context
    for key in aux:
        np.testing.assert_allclose(aux2[key], aux[key], rtol=1e-6, err_msg=key)


def test_bind_places_variables_where_their_arrays_live():
    with mx.AttrScope(ctx_group="dev2"):
        y = mx.sym.exp(mx.sym.var("x"), name="e")
    x = mx.nd.array([0.0, 1.0], ctx=mx.cpu(1))
    ex = y.bind(
        mx.cpu(0),
        {"x": x},
        args_grad={"x": mx.nd.zeros(2, ctx=mx.cpu(1))},
        group2ctx={"dev2": mx.cpu(2)},
    )
    out = ex.forward(is_train=True)[0]
    assert out.context == mx.cpu(2)
    ex.backward(mx.nd.ones(2, ctx=mx.cpu(2)))
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), np.exp([0.0, 1.0]), rtol=1e-6)
