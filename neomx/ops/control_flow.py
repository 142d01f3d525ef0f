"""Control-flow operators: ``_foreach``, ``_while_loop`` and ``_cond`` (MXNet 1.9.1's).

A node of one of these runs Symbols (its subgraphs) instead of a fixed kernel. The symbol
front ends (neomx/symbol/control_flow.py) trace the user's Python body once into a subgraph
and write MXNet's parameters: ``num_args`` (inputs plus subgraphs, as MXNet counts the
graphs as inputs), ``num_outputs``, and ``*_locs`` lists that say which subgraph input each
node input feeds. The subgraphs themselves travel in the hidden parameter ``subgraphs``
(never written to JSON attributes; symbol JSON stores them in the node's "subgraphs" list,
and a loader hands them back with ``attach_subgraphs``).

Forward: the kernel runs the subgraph once per iteration with the graph interpreter on raw
arrays (``neomx.graph.interpret.run_arrays``): no engine, no tape, so it is safe wherever
the kernel itself runs.

Gradient: ``gradient`` emits one call of the registered backward operator
(``_backward_foreach``..., neomx/ops/control_flow_backward.py), whose kernel reruns the
loop and backpropagates through the subgraph's traced backward graph on raw arrays. The
same path serves autograd (F = mx.nd) and bound executors (F = the graph tracer).
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetError, MXNetValueError
from .params import Any, Int, Params, Shape
from .registry import Op, register

__all__ = ["Subgraphs", "attach_subgraphs", "CONTROL_FLOW_OPS"]

CONTROL_FLOW_OPS = ("_foreach", "_while_loop", "_cond")


class Subgraphs:
    """The Symbols a control-flow node runs, as one hashable parameter value (compared by
    identity: Symbols overload ``==``)."""

    __slots__ = ("symbols",)

    def __init__(self, symbols):
        self.symbols = tuple(symbols)

    def __repr__(self):
        return f"<{len(self.symbols)} subgraph(s)>"


def attach_subgraphs(node):
    """Put ``node.subgraphs`` into the node's parameters (after loading symbol JSON)."""
    if node.op is not None and node.op.name in CONTROL_FLOW_OPS and node.subgraphs:
        node.p = node.p._replace(subgraphs=Subgraphs(node.subgraphs))
    return node


def _inputs_of(symbol):
    from ..graph.interpret import graph_inputs

    return graph_inputs(symbol._outputs)


def _infer_subgraph(symbol, values, kind):
    """Run shape (kind 'shape') or dtype inference inside ``symbol`` with ``values`` for its
    inputs; return (input values, output values), None where unknown."""
    from ..graph.infer import infer_shapes, infer_types
    from ..graph.node import topo_order

    nodes = topo_order(symbol._outputs)
    inputs = [n for n in nodes if n.op is None]
    given = {n: v for n, v in zip(inputs, values) if v is not None}
    table = (infer_shapes if kind == "shape" else infer_types)(nodes, given)
    return [table.get((n, 0)) for n in inputs], [table.get(e) for e in symbol._outputs]


def _step(value, kind):
    """A per-iteration slice's shape from the whole array's (``data[t]``: 1-D gives (1,))."""
    if kind != "shape" or value is None:
        return value
    return tuple(value[1:]) if len(value) > 1 else (1,)


def _finish(xp, results, out):
    """Return the results, written into the ``out`` buffers where there are some (the
    executor's planned memory; None entries are outputs left to allocate)."""
    if out is not None:
        outs = (out,) if len(results) == 1 else tuple(out)
        written = []
        for buf, value in zip(outs, results):
            if buf is not None:
                xp.copyto(buf, value, casting="unsafe")
                value = buf
            written.append(value)
        results = written
    return results[0] if len(results) == 1 else tuple(results)


def _truth(op_name, value):
    if value.size != 1:
        raise MXNetValueError(
            f"{op_name}: the condition must have exactly one element, got shape {value.shape}"
        )
    return bool(value.reshape(-1)[0])


class _ControlFlow(Op):
    variadic = True
    runtime = ("is_train",)
    n_subgraphs = 1

    def n_inputs(self, p):
        return p.num_args - self.n_subgraphs

    def arguments(self, p):
        return tuple(f"arg{i}" for i in range(self.n_inputs(p)))

    def num_outputs(self, p):
        return p.num_outputs

    def graphs(self, p):
        if p.subgraphs is None:
            raise MXNetError(
                f"{self.name}: the node carries no subgraphs; a node loaded from JSON needs "
                "neomx.ops.control_flow.attach_subgraphs(node)"
            )
        return p.subgraphs.symbols

    def infer_shape(self, p, *shapes):
        if p.subgraphs is None:
            return None
        return self.flow(p, list(shapes), "shape")

    def infer_type(self, p, *dtypes):
        if p.subgraphs is None:
            return None
        try:
            return self.flow(p, list(dtypes), "type")
        except MXNetError as err:
            given = ", ".join(
                f"{n}={None if d is None else np.dtype(d).name}"
                for n, d in zip(self.arguments(p), dtypes)
            )
            raise type(err)(f"{self.name}: with inputs {given}: {err}") from None

    def forward(self, xp, p, *arrays, out=None, is_train=False):
        from ..graph.interpret import context_of, run_arrays

        ctx = context_of(arrays[0]) if arrays else None

        def run(symbol, feed):
            return run_arrays(symbol._outputs, feed, xp, ctx, is_train)

        return _finish(xp, self.run_raw(xp, p, list(arrays), run), out)

    def gradient(self, p, F, inputs, outputs, dy):
        # The backward operator (neomx/ops/control_flow_backward.py) reruns the loop.
        dy = [d if d is not None else F.zeros_like(o) for d, o in zip(dy, outputs)]
        result = getattr(F, "_backward" + self.name)(*dy, *inputs, **p._asdict())
        return [result] if len(inputs) == 1 else list(result)


def _zeros_like_step(xp, shape, dtype, op_name):
    if shape is None or dtype is None:
        raise MXNetError(
            f"{op_name}: cannot determine the shape of an output that no iteration produced"
        )
    return xp.zeros(shape, dtype)


@register("_foreach")
class Foreach(_ControlFlow):
    """Run a subgraph over slices of the data along axis 0, carrying states
    (``mx.sym.contrib.foreach``)."""

    params = Params(
        num_args=Int(min=1),
        num_outputs=Int(min=0),
        num_out_data=Int(min=0),
        in_state_locs=Shape(),
        in_data_locs=Shape(),
        remain_locs=Shape(),
        subgraphs=Any(None),
    )

    def flow(self, p, values, kind):
        (graph,) = self.graphs(p)
        n_data, n_states = len(p.in_data_locs), len(p.in_state_locs)
        inner = [None] * len(_inputs_of(graph))
        for k, loc in enumerate(p.in_data_locs):
            inner[loc] = _step(values[k], kind)
        for k, loc in enumerate(p.in_state_locs):
            inner[loc] = values[n_data + k]
        for k, loc in enumerate(p.remain_locs):
            inner[loc] = values[n_data + n_states + k]
        ins, outs = _infer_subgraph(graph, inner, kind)
        # A state's shape may be learned from its new value (the loop carries it).
        grew = False
        for j, loc in enumerate(p.in_state_locs):
            if ins[loc] is None and outs[p.num_out_data + j] is not None:
                inner[loc], grew = outs[p.num_out_data + j], True
        if grew:
            ins, outs = _infer_subgraph(graph, inner, kind)
        length = None
        if kind == "shape":
            length = next((v[0] for v in values[:n_data] if v is not None), None)

        def whole(value):
            if kind != "shape":
                return value
            return None if value is None or length is None else (length, *value)

        new_values = list(values)
        for k, loc in enumerate(p.in_data_locs):
            if values[k] is None:
                new_values[k] = whole(ins[loc])
        for k, loc in enumerate(p.in_state_locs):
            new_values[n_data + k] = ins[loc]
        for k, loc in enumerate(p.remain_locs):
            new_values[n_data + n_states + k] = ins[loc]
        out_values = [whole(v) for v in outs[: p.num_out_data]]
        out_values += [
            outs[p.num_out_data + j] if outs[p.num_out_data + j] is not None else ins[loc]
            for j, loc in enumerate(p.in_state_locs)
        ]
        return new_values, out_values

    def run_raw(self, xp, p, arrays, run):
        (graph,) = self.graphs(p)
        inputs = _inputs_of(graph)
        n_data, n_states = len(p.in_data_locs), len(p.in_state_locs)
        data = arrays[:n_data]
        states = arrays[n_data : n_data + n_states]
        feed = {inputs[loc]: arrays[n_data + n_states + k] for k, loc in enumerate(p.remain_locs)}
        steps = []
        for t in range(data[0].shape[0] if data else 0):
            for k, loc in enumerate(p.in_data_locs):
                feed[inputs[loc]] = data[k][t] if data[k].ndim > 1 else data[k][t : t + 1]
            for j, loc in enumerate(p.in_state_locs):
                feed[inputs[loc]] = states[j]
            results = run(graph, feed)
            steps.append(results[: p.num_out_data])
            states = results[p.num_out_data :]
        if steps:
            outs = [xp.stack([step[i] for step in steps]) for i in range(p.num_out_data)]
        else:
            shapes, dtypes = self._out_meta(p, arrays)
            outs = [
                _zeros_like_step(xp, shapes[i], dtypes[i], self.name) for i in range(p.num_out_data)
            ]
        return outs + list(states)

    def _out_meta(self, p, arrays):
        from .infer import concrete_shapes

        with concrete_shapes():
            shapes = self.flow(p, [a.shape for a in arrays], "shape")[1]
        dtypes = self.flow(p, [a.dtype for a in arrays], "type")[1]
        return shapes, dtypes


@register("_while_loop")
class WhileLoop(_ControlFlow):
    """Run a subgraph while a condition subgraph holds, at most ``max_iterations`` times;
    per-step outputs are stacked and padded with zeros to ``max_iterations`` rows
    (``mx.sym.contrib.while_loop``)."""

    n_subgraphs = 2
    params = Params(
        num_args=Int(min=1),
        num_outputs=Int(min=0),
        num_out_data=Int(min=0),
        max_iterations=Int(min=0),
        cond_input_locs=Shape(),
        func_input_locs=Shape(),
        func_var_locs=Shape(),
        subgraphs=Any(None),
    )

    def var_positions(self, p):
        """The node-input position of each loop variable."""
        return [p.func_input_locs[loc] for loc in p.func_var_locs]

    def flow(self, p, values, kind):
        cond, func = self.graphs(p)
        positions = self.var_positions(p)
        new_values = list(values)
        inner = [values[loc] for loc in p.func_input_locs]
        ins, outs = _infer_subgraph(func, inner, kind)
        for j, loc in enumerate(p.func_var_locs):
            if ins[loc] is None and outs[p.num_out_data + j] is not None:
                inner[loc] = outs[p.num_out_data + j]
                ins, outs = _infer_subgraph(func, inner, kind)
        for i, loc in enumerate(p.func_input_locs):
            new_values[loc] = ins[i]
        cond_ins, _ = _infer_subgraph(cond, [new_values[loc] for loc in p.cond_input_locs], kind)
        for i, loc in enumerate(p.cond_input_locs):
            if new_values[loc] is None:
                new_values[loc] = cond_ins[i]
        steps = outs[: p.num_out_data]
        if kind == "shape":
            steps = [None if s is None else (p.max_iterations, *s) for s in steps]
        out_values = steps + [new_values[pos] for pos in positions]
        return new_values, out_values

    def run_raw(self, xp, p, arrays, run):
        cond, func = self.graphs(p)
        cond_inputs, func_inputs = _inputs_of(cond), _inputs_of(func)
        values = list(arrays)
        positions = self.var_positions(p)
        steps = []
        while len(steps) < p.max_iterations:
            feed = {cond_inputs[i]: values[loc] for i, loc in enumerate(p.cond_input_locs)}
            if not _truth(self.name, run(cond, feed)[0]):
                break
            feed = {func_inputs[i]: values[loc] for i, loc in enumerate(p.func_input_locs)}
            results = run(func, feed)
            steps.append(results[: p.num_out_data])
            for j, pos in enumerate(positions):
                values[pos] = results[p.num_out_data + j]
        outs = []
        if p.num_out_data:
            from .infer import concrete_shapes

            with concrete_shapes():
                shapes = self.flow(p, [a.shape for a in arrays], "shape")[1]
            dtypes = self.flow(p, [a.dtype for a in arrays], "type")[1]
        for i in range(p.num_out_data):
            padded = _zeros_like_step(xp, shapes[i], dtypes[i], self.name)
            for t, step in enumerate(steps):
                padded[t] = step[i]
            outs.append(padded)
        return outs + [values[pos] for pos in positions]


def pad_steps(steps, count, max_iterations):
    """Stack per-step NDArrays along a new axis 0 and pad with zeros to ``max_iterations``
    rows (an empty list when no step ran: nothing gives the shapes)."""
    from .. import ndarray as nd

    if not steps:
        return []
    outs = []
    for i in range(count):
        stacked = nd.stack(*[step[i] for step in steps])
        if len(steps) < max_iterations:
            first = steps[0][i]
            pad = nd.zeros(
                (max_iterations - len(steps), *first.shape), ctx=first.context, dtype=first.dtype
            )
            stacked = nd.concat(stacked, pad, dim=0)
        outs.append(stacked)
    return outs


@register("_cond")
class Cond(_ControlFlow):
    """Run one of two subgraphs, chosen by a condition subgraph (``mx.sym.contrib.cond``)."""

    n_subgraphs = 3
    params = Params(
        num_args=Int(min=1),
        num_outputs=Int(min=0),
        cond_input_locs=Shape(),
        then_input_locs=Shape(),
        else_input_locs=Shape(),
        subgraphs=Any(None),
    )

    def flow(self, p, values, kind):
        _, then_graph, else_graph = self.graphs(p)
        new_values = list(values)
        merged = [None] * p.num_outputs
        for graph, locs in ((then_graph, p.then_input_locs), (else_graph, p.else_input_locs)):
            ins, outs = _infer_subgraph(graph, [new_values[loc] for loc in locs], kind)
            for i, loc in enumerate(locs):
                if new_values[loc] is None:
                    new_values[loc] = ins[i]
            merged = [m if m is not None else o for m, o in zip(merged, outs)]
        return new_values, merged

    def run_raw(self, xp, p, arrays, run):
        pred, then_graph, else_graph = self.graphs(p)
        pred_inputs = _inputs_of(pred)
        feed = {pred_inputs[i]: arrays[loc] for i, loc in enumerate(p.cond_input_locs)}
        take = _truth(self.name, run(pred, feed)[0])
        graph, locs = (then_graph, p.then_input_locs) if take else (else_graph, p.else_input_locs)
        inputs = _inputs_of(graph)
        return run(graph, {inputs[i]: arrays[loc] for i, loc in enumerate(locs)})
