"""The backward operators of the control-flow operators: ``_backward_foreach``,
``_backward_while_loop``, ``_backward_cond`` (MXNet's names).

Inputs: one gradient per forward output, then the forward inputs; outputs: one gradient per
forward input. The kernel reruns the loop forwards on raw arrays, keeping each iteration's
subgraph inputs, then walks the iterations backwards through the subgraph's backward graph,
which ``neomx.graph.gradient.build_backward`` traces from the registry's gradient
definitions (as an executor does) once per distinct input shape. Everything runs on raw
arrays with the graph interpreter, never through the engine, so the kernel may run on an
engine worker; autograd and bound executors both reach it through ``Op.gradient``. The
backward operators are not differentiable again (as in MXNet).
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetError
from .control_flow import CONTROL_FLOW_OPS, _finish, _inputs_of, _truth
from .registry import REGISTRY, Op, register

__all__ = ["SubgraphGradient"]


class SubgraphGradient:
    """The backward graph of one subgraph for given input shapes and dtypes."""

    def __init__(self, graph, arrays):
        from ..graph.gradient import build_backward
        from ..graph.infer import infer_shapes, infer_types
        from ..graph.node import topo_order

        nodes = topo_order(graph._outputs)
        self.inputs = [n for n in nodes if n.op is None]
        shapes = infer_shapes(nodes, {n: a.shape for n, a in zip(self.inputs, arrays)})
        dtypes = infer_types(nodes, {n: a.dtype for n, a in zip(self.inputs, arrays)})
        backward = build_backward(list(graph._outputs), shapes, dtypes, self.inputs)
        self.heads = backward.head_grads
        self.grads = [backward.grads[n] for n in self.inputs]

    def run(self, xp, arrays, dys, run):
        """The gradients of the subgraph's inputs (zeros where none flows)."""
        feed = dict(zip(self.inputs, arrays))
        for head, dy in zip(self.heads, dys):
            if head is not None:
                feed[head] = dy
        entries = [g for g in self.grads if g is not None]
        values = iter(run(entries, feed) if entries else ())
        return [
            next(values) if g is not None else xp.zeros_like(a) for g, a in zip(self.grads, arrays)
        ]


class _Gradients:
    """SubgraphGradient per (subgraph, input shapes and dtypes), for one kernel call."""

    def __init__(self):
        self.cache = {}

    def __call__(self, graph, arrays):
        key = (id(graph), *((a.shape, a.dtype) for a in arrays))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = SubgraphGradient(graph, arrays)
        return found


def _foreach(op, xp, p, arrays, dys, run):
    (graph,) = op.graphs(p)
    inputs = _inputs_of(graph)
    n_data, n_states = len(p.in_data_locs), len(p.in_state_locs)
    data = arrays[:n_data]
    feed = [None] * len(inputs)
    for k, loc in enumerate(p.remain_locs):
        feed[loc] = arrays[n_data + n_states + k]
    states = arrays[n_data : n_data + n_states]
    history = []
    length = data[0].shape[0] if data else 0
    for t in range(length):
        for k, loc in enumerate(p.in_data_locs):
            feed[loc] = data[k][t] if data[k].ndim > 1 else data[k][t : t + 1]
        for j, loc in enumerate(p.in_state_locs):
            feed[loc] = states[j]
        history.append(list(feed))
        if t + 1 < length:
            states = run(graph._outputs[p.num_out_data :], dict(zip(inputs, feed)))
    grad_data = [xp.zeros_like(d) for d in data]
    grad_remain = [xp.zeros_like(arrays[n_data + n_states + k]) for k in range(len(p.remain_locs))]
    grad_states = list(dys[p.num_out_data :])
    gradients = _Gradients()
    for t in reversed(range(length)):
        step = history[t]
        heads = [dys[i][t] for i in range(p.num_out_data)] + grad_states
        grads = gradients(graph, step).run(xp, step, heads, run)
        for k, loc in enumerate(p.in_data_locs):
            if data[k].ndim > 1:
                grad_data[k][t] = grads[loc]
            else:
                grad_data[k][t : t + 1] = grads[loc]
        grad_states = [grads[loc] for loc in p.in_state_locs]
        for k, loc in enumerate(p.remain_locs):
            grad_remain[k] = grad_remain[k] + grads[loc]
    return grad_data + grad_states + grad_remain


def _while_loop(op, xp, p, arrays, dys, run):
    cond, func = op.graphs(p)
    cond_inputs, func_inputs = _inputs_of(cond), _inputs_of(func)
    values = list(arrays)
    positions = op.var_positions(p)
    history = []
    while len(history) < p.max_iterations:
        feed = {cond_inputs[i]: values[loc] for i, loc in enumerate(p.cond_input_locs)}
        if not _truth(op.name, run(cond._outputs, feed)[0]):
            break
        step = [values[loc] for loc in p.func_input_locs]
        history.append(step)
        results = run(func._outputs[p.num_out_data :], dict(zip(func_inputs, step)))
        for j, pos in enumerate(positions):
            values[pos] = results[j]
    grads = [xp.zeros_like(a) for a in arrays]
    grad_vars = list(dys[p.num_out_data :])
    var_of = {pos: j for j, pos in enumerate(positions)}
    gradients = _Gradients()
    for t in reversed(range(len(history))):
        step = history[t]
        heads = [dys[i][t] for i in range(p.num_out_data)] + grad_vars
        step_grads = gradients(func, step).run(xp, step, heads, run)
        # A loop variable's gradient goes to the step before; a free input's adds up.
        previous = [xp.zeros_like(g) for g in grad_vars]
        for i, loc in enumerate(p.func_input_locs):
            if loc in var_of:
                previous[var_of[loc]] = previous[var_of[loc]] + step_grads[i]
            else:
                grads[loc] = grads[loc] + step_grads[i]
        grad_vars = previous
    for j, pos in enumerate(positions):
        grads[pos] = grads[pos] + grad_vars[j]
    return grads


def _cond(op, xp, p, arrays, dys, run):
    pred, then_graph, else_graph = op.graphs(p)
    pred_inputs = _inputs_of(pred)
    feed = {pred_inputs[i]: arrays[loc] for i, loc in enumerate(p.cond_input_locs)}
    take = _truth(op.name, run(pred._outputs, feed)[0])
    graph, locs = (then_graph, p.then_input_locs) if take else (else_graph, p.else_input_locs)
    step = [arrays[loc] for loc in locs]
    step_grads = SubgraphGradient(graph, step).run(xp, step, dys, run)
    grads = [xp.zeros_like(a) for a in arrays]
    for i, loc in enumerate(locs):
        grads[loc] = grads[loc] + step_grads[i]
    return grads


_RULES = {"_foreach": _foreach, "_while_loop": _while_loop, "_cond": _cond}


class _Backward(Op):
    """The gradients of a control-flow operator's inputs."""

    variadic = True
    differentiable = False
    runtime = ("is_train",)
    forward_op = None

    def arguments(self, p):
        n = p.num_outputs + self.forward_op.n_inputs(p)
        return tuple(f"arg{i}" for i in range(n))

    def num_outputs(self, p):
        return self.forward_op.n_inputs(p)

    def infer_shape(self, p, *shapes):
        return shapes, shapes[p.num_outputs :]

    def infer_type(self, p, *dtypes):
        # The forward operator's inference checks the forward inputs (same parameters).
        try:
            self.forward_op.infer_type(p, *dtypes[p.num_outputs :])
        except MXNetError as err:
            given = ", ".join(
                f"{n}={None if d is None else np.dtype(d).name}"
                for n, d in zip(self.arguments(p), dtypes)
            )
            raise type(err)(f"{self.name}: with inputs {given}: {err}") from None
        return dtypes, dtypes[p.num_outputs :]

    def forward(self, xp, p, *arrays, out=None, is_train=True):
        from ..graph.interpret import context_of, run_arrays

        ctx = context_of(arrays[0])

        def run(entries, feed):
            return run_arrays(entries, feed, xp, ctx, is_train)

        dys, inputs = list(arrays[: p.num_outputs]), list(arrays[p.num_outputs :])
        rule = _RULES[self.forward_op.name]
        return _finish(xp, rule(self.forward_op, xp, p, inputs, dys, run), out)


def _register_backward(forward_name):
    forward_op = REGISTRY[forward_name]

    class Backward(_Backward):
        __doc__ = f"The gradients of the inputs of ``{forward_name}``."
        params = forward_op.params

    Backward.forward_op = forward_op
    Backward.__name__ = Backward.__qualname__ = f"Backward{type(forward_op).__name__}"
    register("_backward" + forward_name)(Backward)


for _name in CONTROL_FLOW_OPS:
    _register_backward(_name)
