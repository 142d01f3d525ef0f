"""mx.autograd.get_symbol: the recorded computation as a Symbol, named as MXNet 1.9.1 names
it (checked against the oracle: variables var<k>/null<k>, operators node_<k>)."""

import re

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.graph.interpret import evaluate


def _number(name, prefix):
    match = re.fullmatch(prefix + r"(\d+)", name)
    assert match, name
    return int(match.group(1))


def test_structure_and_values():
    x = mx.nd.array([[1, 2], [3, 4]])
    w = mx.nd.array([[1, 0], [0, 2]])
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.dot(x, w) + x * 2
        z = mx.nd.relu(y).sum(axis=1)
    symbol = mx.autograd.get_symbol(z)
    args = symbol.list_arguments()
    assert _number(args[1], "var") == _number(args[0], "var") + 1
    nodes = [node for node in symbol._nodes() if node.op is not None]
    assert [node.op.name for node in nodes] == [
        "dot",
        "_mul_scalar",
        "broadcast_add",
        "relu",
        "sum",
    ]
    numbers = [_number(node.name, "node_") for node in nodes]
    assert numbers == list(range(numbers[0], numbers[0] + 5))
    assert symbol.list_outputs() == [f"node_{numbers[-1]}_output"]
    assert nodes[1].attrs == {"scalar": "2.0"}
    got = evaluate(symbol, {args[0]: x, args[1]: w})[0]
    np.testing.assert_allclose(got.asnumpy(), z.asnumpy())


def test_constants_multi_output_and_hidden_outputs():
    x = mx.nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    c = mx.nd.array([5, 6])
    with mx.autograd.record():
        q = x * 3 + c
        r = mx.nd.split(x, num_outputs=2, axis=1)[1]
        k = mx.nd.Dropout(x, p=0.5)
    symbol = mx.autograd.get_symbol(q)
    var_name, const_name = symbol.list_arguments()
    assert var_name.startswith("var") and const_name.startswith("null")
    got = evaluate(symbol, {var_name: x, const_name: c})[0]
    np.testing.assert_allclose(got.asnumpy(), q.asnumpy())
    split = mx.autograd.get_symbol(r)
    assert split.list_outputs()[0].endswith("_output1")
    np.testing.assert_allclose(
        evaluate(split, {split.list_arguments()[0]: x})[0].asnumpy(), r.asnumpy()
    )
    dropout = mx.autograd.get_symbol(k)
    assert dropout._outputs[0][0].num_outputs() == 2
    assert dropout.infer_shape(**{dropout.list_arguments()[0]: (2, 2)})[1] == [(2, 2)]


def test_json_round_trip():
    x = mx.nd.array([1.0, -2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.exp(mx.nd.clip(x, -1, 2)) * x
    symbol = mx.sym.load_json(mx.autograd.get_symbol(y).tojson())
    got = evaluate(symbol, {symbol.list_arguments()[0]: x})[0]
    np.testing.assert_allclose(got.asnumpy(), y.asnumpy(), rtol=1e-6)


def test_variable_and_errors():
    x = mx.nd.ones(2)
    with pytest.raises(MXNetError, match="not in a recorded graph"):
        mx.autograd.get_symbol(x)
    x.attach_grad()
    assert mx.autograd.get_symbol(x).list_arguments()[0].startswith("var")

    class Twice(mx.autograd.Function):
        def forward(self, a):
            return a * 2

        def backward(self, dy):
            return dy * 2

    with mx.autograd.record():
        y = Twice()(x)
    with pytest.raises(MXNetError, match="custom autograd.Function"):
        mx.autograd.get_symbol(y)


def test_control_flow_node():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    symbol = mx.sym.contrib.foreach(
        lambda d, s: (d * s[0], [s[0] + d]), mx.sym.var("data"), [mx.sym.var("h")]
    )
    graph = mx.sym.Group([symbol[0], symbol[1][0]])
    h = mx.nd.ones(2)
    with mx.autograd.record():
        outs = evaluate(graph, {"data": x, "h": h})
    recorded = mx.autograd.get_symbol(outs[0])
    node = recorded._outputs[0][0]
    assert node.op.name == "_foreach" and len(node.subgraphs) == 1
    assert node.attrs["in_data_locs"] == "(0,)"
    names = recorded.list_arguments()
    got = evaluate(recorded, {names[0]: x, names[1]: h})[0]
    np.testing.assert_allclose(got.asnumpy(), outs[0].asnumpy())
