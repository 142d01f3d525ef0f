"""Control-flow scenarios run by both MXNet 1.9.1 (tools/make_control_flow_golden.py) and
neomx (tests/symbol/test_control_flow.py). NumPy only here; ``mx`` is passed in.

Each scenario builds a Symbol with ``mx.sym.contrib.*`` (fresh names), binds it with the
given inputs, runs forward and backward with fixed head gradients, and returns its JSON,
outputs and input gradients. ``imperative`` does the same with ``mx.nd.contrib.*`` under
autograd.
"""

from __future__ import annotations

import numpy as np

SHAPES = {
    "foreach_rnn": {"data": (4, 2, 5), "h0": (2, 3), "fc_weight": (3, 5), "fc_bias": (3,)},
    "while_loop_padded": {"i": (1,), "s": (2,), "x": (2,)},
    "cond_then": {"a": (2, 3), "b": (2, 3)},
    "cond_else": {"a": (2, 3), "b": (2, 3)},
}


def make_inputs(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    inputs = {k: rng.uniform(-1, 1, size=s).astype(np.float32) for k, s in SHAPES[name].items()}
    if name == "while_loop_padded":
        inputs["i"] = np.array([1.0], np.float32)
    if name == "cond_then":
        inputs["b"] += 2
    if name == "cond_else":
        inputs["a"] += 2
    return inputs


def reset_subgraph_names(mx):
    """Start the subgraph counters afresh (``foreach0``...), in either library."""
    mx.attribute.AttrScope._subgraph_names.clear()


def rnn_step(F, w, b):
    def step(data, states):
        h = F.tanh(F.FullyConnected(data, w, b, num_hidden=3, name="fc") + states[0])
        return h * 2, [h]

    return step


def while_body(F, x):
    def func(i, s):
        return [F.broadcast_mul(s, i), i * 1], [i + 1, F.broadcast_add(s * x, i)]

    return func


def build(mx, name):
    """The scenario's Symbol (a Group of all its outputs)."""
    sym = mx.sym
    reset_subgraph_names(mx)
    with mx.name.NameManager():
        if name == "foreach_rnn":
            w, b = sym.var("fc_weight"), sym.var("fc_bias")
            outs, states = sym.contrib.foreach(
                rnn_step(sym, w, b), sym.var("data"), [sym.var("h0")]
            )
            return sym.Group([outs, states[0]])
        if name == "while_loop_padded":
            x = sym.var("x")
            outs, loop_vars = sym.contrib.while_loop(
                lambda i, s: i < 4,
                while_body(sym, x),
                [sym.var("i"), sym.var("s")],
                max_iterations=6,
            )
            return sym.Group(outs + loop_vars)
        a, b = sym.var("a"), sym.var("b")
        outs = sym.contrib.cond(
            sym.sum(a) < sym.sum(b), lambda: [a * b + 1, sym.sin(a)], lambda: [a - b * 2, b * b]
        )
        return sym.Group(outs)


def head_grads(name, shapes):
    rng = np.random.default_rng(7 + len(name))
    return [rng.uniform(-1, 1, size=s).astype(np.float32) for s in shapes]


def symbolic(mx, name, inputs, bind):
    """Build, bind (``bind(symbol, args, grads)`` returns an executor), run forward and
    backward; return {"json", "out<k>", "grad_<arg>"}."""
    symbol = build(mx, name)
    args = {k: mx.nd.array(v) for k, v in inputs.items()}
    grads = {k: mx.nd.zeros(v.shape) for k, v in inputs.items()}
    executor = bind(symbol, args, grads)
    outputs = executor.forward(is_train=True)
    result = {"json": symbol.tojson()}
    result.update({f"out{k}": o.asnumpy() for k, o in enumerate(outputs)})
    dys = head_grads(name, [o.shape for o in outputs])
    executor.backward([mx.nd.array(d) for d in dys])
    result.update({f"grad_{k}": g.asnumpy() for k, g in grads.items()})
    return result


def imperative(mx, name, inputs):
    """The same computation with mx.nd.contrib under autograd: {"out<k>", "grad_<arg>"}."""
    nd = mx.nd
    args = {k: nd.array(v) for k, v in inputs.items()}
    for value in args.values():
        value.attach_grad()
    with mx.autograd.record():
        if name == "foreach_rnn":
            step = rnn_step(nd, args["fc_weight"], args["fc_bias"])
            outs, states = nd.contrib.foreach(step, args["data"], [args["h0"]])
            outputs = [outs, states[0]]
        elif name == "while_loop_padded":
            x = args["x"]
            outs, loop_vars = nd.contrib.while_loop(
                lambda i, s: i < 4,
                while_body(nd, x),
                [args["i"], args["s"]],
                max_iterations=6,
            )
            outputs = outs + loop_vars
        else:
            a, b = args["a"], args["b"]
            outputs = nd.contrib.cond(
                nd.sum(a) < nd.sum(b), lambda: [a * b + 1, nd.sin(a)], lambda: [a - b * 2, b * b]
            )
    dys = head_grads(name, [o.shape for o in outputs])
    mx.autograd.backward(outputs, [nd.array(d) for d in dys])
    result = {f"out{k}": o.asnumpy() for k, o in enumerate(outputs)}
    result.update({f"grad_{k}": v.grad.asnumpy() for k, v in args.items()})
    return result
