"""Executor gradients equal autograd's on the same graphs (the same registry gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx.graph.interpret import evaluate


def _mlp():
    x = mx.sym.var("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(x, num_hidden=5, name="fc1"), act_type="tanh")
    h = mx.sym.FullyConnected(h, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(h, name="softmax"), {"data": (4, 6)}


def _convnet():
    x = mx.sym.var("data")
    h = mx.sym.Convolution(x, kernel=(3, 3), num_filter=4, pad=(1, 1), name="conv")
    h = mx.sym.BatchNorm(h, fix_gamma=False, name="bn")
    h = mx.sym.Activation(h, act_type="relu")
    h = mx.sym.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type="max")
    h = mx.sym.Dropout(h, p=0.3, name="drop")
    h = mx.sym.FullyConnected(h, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(h, name="softmax"), {"data": (2, 2, 6, 6)}


def _multi_output():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    first = mx.sym.exp(a) * b
    second = mx.sym.sum(mx.sym.square(a), axis=1)
    return mx.sym.Group([first, second, mx.sym.sin(b)]), {"a": (3, 4), "b": (3, 4)}


def _shared_inputs():
    x, w = mx.sym.var("x"), mx.sym.var("w")
    y = x * x + mx.sym.relu(x) * w + x
    z = mx.sym.FullyConnected(y, weight=w, no_bias=True, num_hidden=4, flatten=False)
    return z + y, {"x": (4, 4), "w": (4, 4)}


def _broadcasting():
    x, b, c = mx.sym.var("x"), mx.sym.var("b"), mx.sym.var("c")
    y = mx.sym.broadcast_mul(mx.sym.broadcast_add(x, b), c)
    return mx.sym.broadcast_div(y, mx.sym.exp(c)), {"x": (2, 3, 4), "b": (1, 3, 1), "c": (4,)}


def _split_and_concat():
    x = mx.sym.var("x")
    parts = mx.sym.split(x, num_outputs=2, axis=1)
    return mx.sym.concat(parts[1] * 2, mx.sym.tanh(parts[0]), dim=1), {"x": (3, 4)}


GRAPHS = {
    "mlp": _mlp,
    "convnet": _convnet,
    "multi_output": _multi_output,
    "shared_inputs": _shared_inputs,
    "broadcasting": _broadcasting,
    "split_concat": _split_and_concat,
}


def _values(executor, rng):
    values = {}
    for name, array in executor.arg_dict.items():
        if name.endswith("label"):
            values[name] = rng.integers(0, 3, array.shape).astype(np.float32)
        else:
            values[name] = rng.standard_normal(array.shape).astype(np.float32)
    return values


def _autograd(net, values, aux, head_grads, is_train=True):
    arrays = {name: mx.nd.array(value) for name, value in values.items()}
    arrays.update({name: mx.nd.array(value) for name, value in aux.items()})
    for name, array in arrays.items():
        if name in values:
            array.attach_grad()
    with mx.autograd.record(train_mode=is_train):
        outs = evaluate(net, arrays)
    mx.autograd.backward(outs, head_grads)
    grads = {name: arrays[name].grad.asnumpy() for name in values}
    return [o.asnumpy() for o in outs], grads, {n: arrays[n].asnumpy() for n in aux}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_executor_gradients_equal_autograd(name, seed):
    net, shapes = GRAPHS[name]()
    executor = net.simple_bind(mx.cpu(), **shapes)
    rng = np.random.default_rng(seed)
    values = _values(executor, rng)
    aux = {n: rng.random(a.shape).astype(np.float32) + 0.5 for n, a in executor.aux_dict.items()}
    heads = [rng.standard_normal(o.shape).astype(np.float32) for o in executor.outputs]
    for key, value in values.items():
        executor.arg_dict[key][:] = value
    for key, value in aux.items():
        executor.aux_dict[key][:] = value
    mx.random.seed(seed)
    outs = executor.forward(is_train=True)
    executor.backward([mx.nd.array(h) for h in heads])
    mx.random.seed(seed)
    want_outs, want_grads, want_aux = _autograd(net, values, aux, [mx.nd.array(h) for h in heads])
    for got, want in zip(outs, want_outs):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    for key, want in want_grads.items():
        np.testing.assert_allclose(
            executor.grad_dict[key].asnumpy(), want, rtol=1e-4, atol=1e-5, err_msg=key
        )
    for key, want in want_aux.items():
        np.testing.assert_allclose(executor.aux_dict[key].asnumpy(), want, rtol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_unplanned_program_gives_the_same_numbers(name, seed, monkeypatch):
    from neomx.symbol import executor as executor_module

    net, shapes = GRAPHS[name]()
    results = []
    for planned in (True, False):
        monkeypatch.setattr(executor_module, "PLAN_MEMORY", planned)
        executor = net.simple_bind(mx.cpu(), **shapes)
        rng = np.random.default_rng(seed)
        for key, value in _values(executor, rng).items():
            executor.arg_dict[key][:] = value
        mx.random.seed(seed)
        outs = [o.asnumpy() for o in executor.forward(is_train=True)]
        executor.backward([mx.nd.ones(o.shape) for o in executor.outputs])
        results.append((outs, {k: g.asnumpy() for k, g in executor.grad_dict.items()}))
    (outs_a, grads_a), (outs_b, grads_b) = results
    for a, b in zip(outs_a, outs_b):
        np.testing.assert_array_equal(a, b)
    for key in grads_a:
        np.testing.assert_array_equal(grads_a[key], grads_b[key], err_msg=key)


def test_backward_twice_after_one_forward_gives_the_same_gradients(seed):
    net, shapes = _convnet()
    executor = net.simple_bind(mx.cpu(), **shapes)
    for key, value in _values(executor, np.random.default_rng(seed)).items():
        executor.arg_dict[key][:] = value
    executor.forward(is_train=True)
    executor.backward()
    first = {k: g.asnumpy() for k, g in executor.grad_dict.items()}
    executor.backward()
    for key, value in first.items():
        np.testing.assert_array_equal(executor.grad_dict[key].asnumpy(), value, err_msg=key)


def test_forward_values_are_numpy_reference():
    x = mx.sym.var("x")
    y = mx.sym.exp(x) * 2 - x
    value = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    (out,) = y.eval(x=mx.nd.array(value))
    np.testing.assert_allclose(out.asnumpy(), np.exp(value) * 2 - value, rtol=1e-6)
