"""Cases of the control-flow operators (_foreach, _while_loop, _cond) and their backward
operators, called directly with subgraphs traced by mx.sym.contrib.

Their parameters hold Symbols, so these cases need neomx and exist only there (MXNet cannot
call the operators imperatively; tests/symbol/test_control_flow.py compares the front ends
with MXNet). Where neomx does not import (make_golden in the MXNet venv) nothing registers.
"""

import numpy as np

from .case import MIXED_DTYPES_OK, NEOMX_ONLY, Case, add, floats

try:
    import neomx as mx
except ImportError:  # the MXNet venv of tools/make_golden.py
    mx = None

T, N, MAX_IT = 3, 2, 4


def _params(symbol):
    """The parameters of the control-flow node behind ``symbol`` (subgraphs included)."""
    return dict(symbol._outputs[0][0].p._asdict())


def _foreach_params():
    w = mx.sym.var("w")
    outs, states = mx.sym.contrib.foreach(
        lambda d, s: (d * w + s[0], [s[0] * w + d]), mx.sym.var("data"), [mx.sym.var("s")]
    )
    return _params(outs)


def _foreach_reference(data, s, w):
    outs = []
    for d in data:
        outs.append(d * w + s)
        s = s * w + d
    return np.stack(outs), s


def _while_params():
    outs, _ = mx.sym.contrib.while_loop(
        lambda i, s: i < 3,
        lambda i, s: ([s * 2], [i + 1, s + 1]),
        [mx.sym.var("i"), mx.sym.var("s")],
        max_iterations=MAX_IT,
    )
    return _params(outs[0])


def _while_inputs(rng):
    return [np.array([0.5], np.float32), rng.uniform(-1, 1, size=(N,)).astype(np.float32)]


def _while_reference(i, s):
    outs = np.zeros((MAX_IT, N), s.dtype)
    n = 0
    while n < MAX_IT and i[0] < 3:
        outs[n] = s * 2
        i, s, n = i + 1, s + 1, n + 1
    return outs, i, s


def _cond_params():
    # The condition is an input (p): the node's inputs are p, a, b.
    a, b = mx.sym.var("a"), mx.sym.var("b")
    return _params(mx.sym.contrib.cond(mx.sym.var("p"), lambda: a * b, lambda: a - b))


def _cond_reference(p, a, b):
    return a * b if p[0] else a - b


def _foreach_backward_reference(dy_out, dy_s, data, s, w):
    # out_t = d_t * w + s_t, s_{t+1} = s_t * w + d_t.
    states = [s]
    for d in data:
        states.append(states[-1] * w + d)
    grad_data, grad_w = np.zeros_like(data), np.zeros_like(w)
    grad_s = dy_s
    for t in reversed(range(len(data))):
        grad_data[t] = dy_out[t] * w + grad_s
        grad_w = grad_w + dy_out[t] * data[t] + grad_s * states[t]
        grad_s = dy_out[t] + grad_s * w
    return grad_data, grad_s, grad_w


def _while_backward_reference(dy_out, dy_i, dy_s, i, s):
    steps = sum(1 for k in range(MAX_IT) if i[0] + k < 3)
    return dy_i.astype(i.dtype), (dy_out[:steps].sum(axis=0) * 2 + dy_s).astype(s.dtype)


def _cond_backward_reference(dy, p, a, b):
    if p[0]:
        return np.zeros_like(p), dy * b, dy * a
    return np.zeros_like(p), dy, -dy


def _positive(shape):
    return lambda rng: [rng.uniform(0.5, 1.5, size=shape).astype(np.float32)]


if mx is not None:
    NEOMX_ONLY.update(
        {"_foreach", "_while_loop", "_cond"}
        | {"_backward_foreach", "_backward_while_loop", "_backward_cond"}
    )
    # The loop variables of a while_loop may differ in dtype (nothing mixes i and s here).
    MIXED_DTYPES_OK.update({"_while_loop", "_backward_while_loop"})
    foreach_params, while_params, cond_params = _foreach_params(), _while_params(), _cond_params()

    def _cond_inputs(pred):
        def make(rng):
            return [np.array([pred], np.float32)] + floats((N, 2), (N, 2))(rng)

        return make

    def _while_backward_inputs(rng):
        dys = floats((MAX_IT, N), (1,), (N,))(rng)
        return dys + _while_inputs(rng)

    add(
        "_foreach",
        Case(floats((T, N), (N,), (N,)), foreach_params, _foreach_reference, label="rnn-like"),
    )
    add("_while_loop", Case(_while_inputs, while_params, _while_reference, label="padded"))
    add(
        "_cond",
        # The condition is not differentiable: a step off 0 would change the branch.
        Case(_cond_inputs(1), cond_params, _cond_reference, "then", grad_nodes=("arg1", "arg2")),
        Case(_cond_inputs(0), cond_params, _cond_reference, "else", grad_nodes=("arg1", "arg2")),
    )
    add(
        "_backward_foreach",
        Case(
            floats((T, N), (N,), (T, N), (N,), (N,)),
            foreach_params,
            _foreach_backward_reference,
            label="rnn-like",
        ),
    )
    add(
        "_backward_while_loop",
        Case(_while_backward_inputs, while_params, _while_backward_reference, label="padded"),
    )
    add(
        "_backward_cond",
        Case(
            lambda rng: floats((N, 2))(rng) + _cond_inputs(1)(rng),
            cond_params,
            _cond_backward_reference,
            label="then",
        ),
        Case(
            lambda rng: floats((N, 2))(rng) + _cond_inputs(0)(rng),
            cond_params,
            _cond_backward_reference,
            label="else",
        ),
    )
