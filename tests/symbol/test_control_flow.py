"""Control flow: mx.nd.contrib / mx.sym.contrib foreach, while_loop, cond.

Imperative vs symbolic (through the graph interpreter and a bound executor) vs MXNet 1.9.1
(tests/golden/control_flow, written by tools/make_control_flow_golden.py from the scenarios
in control_flow_scenarios.py), plus numeric gradients and MXNet's return structures.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from control_flow_scenarios import SHAPES, build, imperative, reset_subgraph_names, symbolic

import neomx as mx
from neomx.base import MXNetError
from neomx.graph.interpret import evaluate

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "control_flow"
SCENARIOS = sorted(SHAPES)
# Rows of the while_loop outputs that ran (MXNet leaves the padding uninitialised).
VALID_ROWS = {"while_loop_padded": 3}


def _golden(name):
    with np.load(GOLDEN / f"{name}.npz", allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _inputs(record):
    return {key[3:]: value for key, value in record.items() if key.startswith("in_")}


def _compare(name, got, record, prefix):
    want = {k[len(prefix) :]: v for k, v in record.items() if k.startswith(prefix)}
    want.pop("json", None)
    got.pop("json", None)
    assert sorted(got) == sorted(want)
    for key, value in got.items():
        expected = want[key]
        if key.startswith("out") and name in VALID_ROWS and value.ndim == expected.ndim == 2:
            if value.shape[0] == 6:
                np.testing.assert_array_equal(value[VALID_ROWS[name] :], 0)
                value, expected = value[: VALID_ROWS[name]], expected[: VALID_ROWS[name]]
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6, err_msg=key)


def _bind(symbol, args, grads):
    return symbol.bind(mx.cpu(), args, args_grad=grads)


@pytest.mark.parametrize("name", SCENARIOS)
def test_json_matches_mxnet(name):
    ours = json.loads(build(mx, name).tojson())
    assert ours == json.loads(str(_golden(name)["sym_json"]))


@pytest.mark.parametrize("name", SCENARIOS)
def test_imperative_matches_mxnet(name):
    record = _golden(name)
    _compare(name, imperative(mx, name, _inputs(record)), record, "nd_")


@pytest.mark.parametrize("name", SCENARIOS)
def test_executor_matches_mxnet(name):
    record = _golden(name)
    _compare(name, symbolic(mx, name, _inputs(record), _bind), record, "sym_")


class _Interpreted:
    """An executor stand-in that runs the Symbol with the graph interpreter under autograd."""

    def __init__(self, symbol, args, grads):
        self.symbol, self.args, self.grads = symbol, args, grads

    def forward(self, is_train=True):
        for value in self.args.values():
            value.attach_grad()
        with mx.autograd.record(train_mode=is_train):
            self.outputs = evaluate(self.symbol, self.args)
        return self.outputs

    def backward(self, dys):
        mx.autograd.backward(self.outputs, dys)
        for key, value in self.args.items():
            value.grad.copyto(self.grads[key])


@pytest.mark.parametrize("name", SCENARIOS)
def test_interpreter_matches_mxnet(name):
    record = _golden(name)
    _compare(name, symbolic(mx, name, _inputs(record), _Interpreted), record, "sym_")


@pytest.mark.parametrize("name", SCENARIOS)
def test_json_round_trip_runs(name):
    record = _golden(name)
    loaded = mx.sym.load_json(build(mx, name).tojson())
    inputs = {k: mx.nd.array(v) for k, v in _inputs(record).items()}
    got = [o.asnumpy() for o in evaluate(loaded, inputs)]
    want = [o.asnumpy() for o in evaluate(build(mx, name), inputs)]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


# ---- numeric gradients (float64, central differences) -----------------------------------


def _numeric_check(symbol, shapes, seed=0):
    rng = np.random.default_rng(seed)
    values = {k: rng.uniform(-1, 1, size=s) for k, s in shapes.items()}
    outputs = evaluate(symbol, {k: mx.nd.array(v, dtype="float64") for k, v in values.items()})
    dys = [rng.uniform(-1, 1, size=o.shape) for o in outputs]

    def loss(vals):
        arrays = {k: mx.nd.array(v, dtype="float64") for k, v in vals.items()}
        outs = evaluate(symbol, arrays)
        return sum(float((o.asnumpy() * d).sum()) for o, d in zip(outs, dys))

    arrays = {k: mx.nd.array(v, dtype="float64") for k, v in values.items()}
    for value in arrays.values():
        value.attach_grad()
    with mx.autograd.record():
        outs = evaluate(symbol, arrays)
    mx.autograd.backward(outs, [mx.nd.array(d, dtype="float64") for d in dys])
    eps = 1e-6
    for key, value in values.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in values.items()}
            minus = {k: v.copy() for k, v in values.items()}
            plus[key][index] += eps
            minus[key][index] -= eps
            numeric[index] = (loss(plus) - loss(minus)) / (2 * eps)
        np.testing.assert_allclose(arrays[key].grad.asnumpy(), numeric, rtol=1e-5, atol=1e-7)


def test_foreach_numeric_gradient():
    def step(data, states):
        h = mx.sym.tanh(mx.sym.dot(data, mx.sym.var("w")) + states[0])
        return [mx.sym.broadcast_mul(h, data.sum())], [h]

    outs, states = mx.sym.contrib.foreach(step, mx.sym.var("x"), [mx.sym.var("h")])
    symbol = mx.sym.Group(outs + states)
    _numeric_check(symbol, {"x": (3, 2, 2), "h": (2, 2), "w": (2, 2)})


def test_while_loop_numeric_gradient():
    x = mx.sym.var("x")
    outs, loop_vars = mx.sym.contrib.while_loop(
        lambda i, s: i < 3,
        lambda i, s: (mx.sym.sin(s) * x, [i + 1, mx.sym.broadcast_mul(s, x) + 0.5]),
        [mx.sym.var("i"), mx.sym.var("s")],
        max_iterations=5,
    )
    symbol = mx.sym.Group([outs, loop_vars[1]])
    # i starts in [-1, 1): the loop runs 3 or 4 of its 5 allowed steps (output padding).
    _numeric_check(symbol, {"i": (1,), "s": (2,), "x": (2,)})


@pytest.mark.parametrize("shift", [2.0, -2.0], ids=["then", "else"])
def test_cond_numeric_gradient(shift):
    a, b = mx.sym.var("a"), mx.sym.var("b")
    out = mx.sym.contrib.cond(
        mx.sym.sum(a + shift) > mx.sym.sum(b),
        lambda: [mx.sym.exp(a) * b],
        lambda: [a * a - b],
    )
    _numeric_check(mx.sym.Group(out), {"a": (2, 2), "b": (2, 2)})


# ---- structures, shapes and errors as MXNet 1.9.1 -----------------------------------------


def test_foreach_return_structures():
    x, z = mx.sym.var("x"), mx.sym.var("z")
    out, state = mx.sym.contrib.foreach(lambda d, s: ([d * 2], s + 1), x, z)
    assert isinstance(out, list) and isinstance(state, mx.sym.Symbol)
    o, s = mx.nd.contrib.foreach(lambda d, s: ([d * 2], s + 1), mx.nd.ones((3, 2)), mx.nd.ones(2))
    assert isinstance(o, list) and o[0].shape == (3, 2)
    np.testing.assert_array_equal(s.asnumpy(), [4, 4])


def test_foreach_data_list_and_captured_output_are_cut():
    reset_subgraph_names(mx)
    with mx.name.NameManager():
        x, y, z, w = (mx.sym.var(n) for n in "xyzw")
        c = w * 5
        out, state = mx.sym.contrib.foreach(lambda d, s: (d[0] + c + d[1], s), [x, y], z)
    group = mx.sym.Group([out, state])
    assert group.list_arguments() == ["x", "y", "z", "w"]
    node = json.loads(group.tojson())["nodes"][-1]
    assert node["attrs"]["in_data_locs"] == "[0, 2]"
    assert node["attrs"]["in_state_locs"] == "[3]"
    assert node["attrs"]["remain_locs"] == "[1]"
    inner = [(n["op"], n["name"]) for n in node["subgraphs"][0]["nodes"]]
    assert ("null", "_mulscalar0_output") in inner
    assert inner[-1] == ("_copy", "identity0")
    args = {k: mx.nd.array(np.arange(6).reshape(3, 2) + i) for i, k in enumerate("xy")}
    args.update(z=mx.nd.ones(2), w=mx.nd.array([1, 2]))
    got = evaluate(group, args)
    want = args["x"].asnumpy() + args["y"].asnumpy() + np.array([5, 10])
    np.testing.assert_allclose(got[0].asnumpy(), want)
    np.testing.assert_array_equal(got[1].asnumpy(), [1, 1])


def test_nested_foreach_names_and_values():
    reset_subgraph_names(mx)

    def outer(F):
        def body(d, s):
            return F.contrib.foreach(lambda dd, ss: (dd + ss, ss * 2), d, s)

        return body

    with mx.name.NameManager():
        out, state = mx.sym.contrib.foreach(outer(mx.sym), mx.sym.var("x"), mx.sym.var("z"))
    sub = json.loads(mx.sym.Group([out, state]).tojson())["nodes"][-1]["subgraphs"][0]
    inner = sub["nodes"][2]["subgraphs"][0]["nodes"]
    assert [n["name"] for n in inner[:2]] == ["x-0-0", "z-0-0"]
    assert inner[0]["attrs"]["__subgraph_name__"] == "foreach0$foreach0"
    x = mx.nd.array(np.arange(12).reshape(2, 3, 2))
    z = mx.nd.ones(2)
    want = mx.nd.contrib.foreach(outer(mx.nd), x, z)
    got = evaluate(mx.sym.Group([out, state]), {"x": x, "z": z})
    np.testing.assert_allclose(got[0].asnumpy(), want[0].asnumpy())
    np.testing.assert_allclose(got[1].asnumpy(), want[1].asnumpy())


def test_while_loop_structures_and_padding():
    i = mx.sym.var("i")
    outs, final = mx.sym.contrib.while_loop(
        lambda i: i < 3, lambda i: (i * 10, i + 1), i, max_iterations=6
    )
    assert isinstance(outs, mx.sym.Symbol) and isinstance(final, mx.sym.Symbol)
    group = mx.sym.Group([outs, final])
    assert group.infer_shape(i=(1,))[1] == [(6, 1), (1,)]
    got = evaluate(group, {"i": mx.nd.array([0])})
    np.testing.assert_array_equal(got[0].asnumpy().ravel(), [0, 10, 20, 0, 0, 0])
    np.testing.assert_array_equal(got[1].asnumpy(), [3])
    nd_outs, nd_final = mx.nd.contrib.while_loop(
        lambda i: i < 3, lambda i: (i * 10, i + 1), mx.nd.array([0]), max_iterations=6
    )
    np.testing.assert_array_equal(nd_outs.asnumpy(), got[0].asnumpy())
    # No iteration: the outputs are [] imperatively, zeros of the inferred shape in a graph.
    nd_outs, nd_final = mx.nd.contrib.while_loop(
        lambda i: i < 3, lambda i: ([i * 10], [i + 1]), [mx.nd.array([5])], max_iterations=4
    )
    assert nd_outs == [] and isinstance(nd_final, list)
    got = evaluate(group, {"i": mx.nd.array([5])})
    np.testing.assert_array_equal(got[0].asnumpy(), np.zeros((6, 1)))
    outs, final = mx.sym.contrib.while_loop(lambda i: i < 3, lambda i: ([], [i + 1]), [i], 4)
    assert outs == [] and isinstance(final, list)


def test_cond_structures_and_shapes():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    single = mx.sym.contrib.cond(a.sum() < b.sum(), lambda: a + 1, lambda: b * 2)
    assert isinstance(single, mx.sym.Symbol)
    assert single.list_arguments() == ["a", "b"]
    assert single.infer_shape(a=(2, 3), b=(2, 3))[1] == [(2, 3)]
    pair = mx.sym.contrib.cond(a.sum() < b.sum(), lambda: [a], lambda: [b])
    assert isinstance(pair, list) and len(pair) == 1
    result = mx.nd.contrib.cond(mx.nd.array([0]), lambda: [mx.nd.ones(1)], lambda: mx.nd.zeros(1))
    assert isinstance(result, mx.nd.NDArray)


def test_errors():
    x, z = mx.sym.var("x"), mx.sym.var("z")
    with pytest.raises(MXNetError, match="data arrays have to be used"):
        mx.sym.contrib.foreach(lambda d, s: (s * 2, s), x, z)
    with pytest.raises(MXNetError, match="max_iterations"):
        mx.sym.contrib.while_loop(lambda i: i < 3, lambda i: (i, i + 1), x)
    with pytest.raises(MXNetError, match="max_iterations"):
        mx.nd.contrib.while_loop(lambda i: i < 3, lambda i: (i, i + 1), mx.nd.ones(1))
    with pytest.raises(MXNetError, match="must match"):
        mx.sym.contrib.cond(x.sum() < 1, lambda: [x, x], lambda: [x])
    with pytest.raises(MXNetError, match="exactly one element"):
        mx.nd.contrib.cond(mx.nd.ones(2), lambda: x, lambda: x)


@pytest.mark.parametrize("name", SCENARIOS)
def test_engines_agree(name, engine_type):
    record = _golden(name)
    _compare(name, symbolic(mx, name, _inputs(record), _bind), record, "sym_")
    _compare(name, symbolic(mx, name, _inputs(record), _Interpreted), record, "sym_")
