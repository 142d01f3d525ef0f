"""Deferred initialisation of the fused RNN layers created without ``input_size``: inside a
hybridized parent the first layer's ``i2h_weight`` width is inferred backwards through the
graph (RNN -> _rnn_param_concat -> reshape), as in MXNet 1.9.1."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon
from neomx.gluon import rnn

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def make_net(kind, hidden, embed, **kwargs):
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Embedding(10, embed))
        net.add(getattr(rnn, kind)(hidden, layout="NTC", **kwargs))
        net.add(gluon.nn.Dense(3))
    return net


def run(net, tokens):
    with autograd.record():
        out = net(tokens)
        loss = (out * out).sum()
    loss.backward()
    grads = {name: p.grad().asnumpy().copy() for name, p in net.collect_params().items()}
    return out.asnumpy(), grads


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize(
    "options",
    [{}, {"bidirectional": True}, {"num_layers": 2}, {"num_layers": 2, "bidirectional": True}],
    ids=["one", "bidirectional", "two_layers", "two_layers_bidirectional"],
)
def test_fused_layer_in_hybridized_parent_without_input_size(kind, options, seed):
    hidden, embed = 4, 6
    net = make_net(kind, hidden, embed, **options)
    net.initialize(mx.init.Uniform(0.5))
    net.hybridize()
    tokens = mx.nd.array(np.random.randint(0, 10, (2, 5)))
    out, grads = run(net, tokens)
    assert out.shape == (2, 3)

    layer = net[1]
    directions = 2 if options.get("bidirectional") else 1
    rows = GATES[kind] * hidden
    for layer_index in range(options.get("num_layers", 1)):
        width = embed if layer_index == 0 else hidden * directions
        for direction in "lr"[:directions]:
            weight = getattr(layer, f"{direction}{layer_index}_i2h_weight")
            assert weight.shape == (rows, width)

    # The same parameters, run imperatively.
    net.hybridize(False)
    out_imperative, grads_imperative = run(net, tokens)
    np.testing.assert_allclose(out, out_imperative, rtol=1e-5, atol=1e-6)
    assert grads.keys() == grads_imperative.keys()
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, grads_imperative[name], rtol=1e-4, atol=1e-5)


def test_lstm_with_projection_in_hybridized_parent(seed):
    net = make_net("LSTM", 5, 6, projection_size=3, bidirectional=True)
    net.initialize()
    net.hybridize()
    out = net(mx.nd.array(np.random.randint(0, 10, (2, 4))))
    assert out.shape == (2, 3)
    assert net[1].l0_i2h_weight.shape == (20, 6)
    assert net[1].r0_i2h_weight.shape == (20, 6)


@pytest.mark.parametrize("hybridize", [False, True])
def test_standalone_layer_without_input_size(hybridize, seed):
    layer = rnn.GRU(4, num_layers=2, bidirectional=True, layout="NTC")
    layer.initialize()
    if hybridize:
        layer.hybridize()
    states = layer.begin_state(batch_size=2)
    out, new_states = layer(mx.nd.array(np.random.uniform(-1, 1, (2, 5, 7))), states)
    assert out.shape == (2, 5, 8)
    assert new_states[0].shape == (4, 2, 4)
    assert layer.l0_i2h_weight.shape == (12, 7)
    assert layer.l1_i2h_weight.shape == (12, 8)
