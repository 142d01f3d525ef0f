"""``mx.sym.contrib.foreach``, ``while_loop`` and ``cond``: control flow inside a graph.

Each traces the user's Python body once, on placeholder variables, inside an ``AttrScope``
that marks every node it creates with ``__subgraph_name__`` (``foreach0``, ``cond_then0``;
``outer$inner`` when nested). The traced graph is then cut out: a node the body did not
create (something computed outside and captured by the closure) becomes a new variable named
after its output (``_mulscalar0_output``) and an input of the control-flow node, which holds
the subgraph(s) and MXNet's parameters (see neomx/ops/control_flow.py). Node inputs are
ordered as MXNet orders them, so ``list_arguments`` and the JSON match MXNet 1.9.1.
"""

from __future__ import annotations

from .. import attribute
from .. import name as _name
from ..base import MXNetValueError
from ..graph.interpret import graph_inputs
from ..graph.node import Node, topo_order
from ..ndarray.control_flow import flatten, regroup
from ..ops.control_flow import Subgraphs
from ..ops.registry import lookup
from .symbol import Symbol, Variable

__all__ = ["foreach", "while_loop", "cond"]

_SUBGRAPH_KEY = "__subgraph_name__"
_identity = []


def _unique_subgraph_name(base):
    """``foreach0``, ``foreach1``...; inside another subgraph ``<outer>$foreach0``."""
    outer = attribute.current().get().get(_SUBGRAPH_KEY, "")
    key = f"{outer}${base}" if outer else base
    counts = attribute.AttrScope._subgraph_names
    counts[key] += 1
    return f"{key}{counts[key] - 1}"


def _placeholder_name(symbol):
    node, index = symbol._outputs[0]
    return f"{node.name}-{index}"


def _single(symbol, what):
    if not isinstance(symbol, Symbol) or len(symbol._outputs) != 1:
        raise MXNetValueError(f"{what} must be Symbols with one output each")
    return symbol._outputs[0]


def _copy_of(symbol):
    if not _identity:
        from .frontend import make_symbol_function

        _identity.append(make_symbol_function(lookup("_copy"), "identity"))
    return _identity[0](symbol)


class _Traced:
    """One subgraph: the Symbol, its inputs in order, and the outer entry of each input."""

    def __init__(self, graph, outer_of, n_outputs, fmt=None):
        self.graph = graph
        self.inputs = graph_inputs(graph._outputs)
        self.outer = [outer_of[node] for node in self.inputs]
        self.n_outputs = n_outputs
        self.fmt = fmt

    def locate(self, node):
        for i, candidate in enumerate(self.inputs):
            if candidate is node:
                return i
        return -1


def _trace(base, sources, body, what):
    """Trace ``body(placeholders)`` into a subgraph; it returns ``(flat heads, fmt)``, or
    ``(flat heads, fmt, fresh_after)``.

    ``sources`` are the outer Symbols the placeholders stand for. A head that is an input
    or was not created by the body gets an ``identity`` node (a graph's inputs and outputs
    must not overlap), as does one from the same node as an earlier head when it is at or
    after position ``fresh_after`` (foreach's states).
    """
    sub_name = _unique_subgraph_name(base)
    with attribute.AttrScope(**{_SUBGRAPH_KEY: sub_name}):
        holders = [Variable(_placeholder_name(s)) for s in sources]
        heads, fmt, *rest = body(holders)
        fresh_after = rest[0] if rest else None
        for head in heads:
            _single(head, what)
        inputs = {id(n) for n in Symbol([h._outputs[0] for h in heads])._nodes() if n.op is None}
        fixed = []
        for i, head in enumerate(heads):
            node = head._outputs[0][0]
            seen = (
                fresh_after is not None
                and i >= fresh_after
                and any(h._outputs[0][0] is node for h in heads[:fresh_after])
            )
            if id(node) in inputs or node.attrs.get(_SUBGRAPH_KEY) != sub_name or seen:
                head = _copy_of(head)
            fixed.append(head._outputs[0])
    outer_of = {h._outputs[0][0]: s._outputs[0] for h, s in zip(holders, sources)}
    graph = _cut(fixed, sub_name, outer_of)
    return _Traced(graph, outer_of, len(fixed), fmt), [h._outputs[0][0] for h in holders]


def _cut(heads, sub_name, outer_of):
    """Copy the body's part of the graph behind ``heads``; entries from outside become
    variables. Fills ``outer_of`` (inner variable -> outer entry) and returns the Symbol."""
    copies, cut = {}, {}

    def convert(entry):
        node, index = entry
        if node.op is None:
            outer_of.setdefault(node, (node, 0))
            return entry
        if id(node) in copies:
            return (copies[id(node)], index)
        key = (id(node), index)
        if key not in cut:
            variable = Node(None, node.output_name(index))
            cut[key] = variable
            outer_of[variable] = entry
        return (cut[key], 0)

    for node in topo_order(heads):
        if node.op is not None and node.attrs.get(_SUBGRAPH_KEY) == sub_name:
            inputs = [convert(entry) for entry in node.inputs]
            copies[id(node)] = Node(node.op, node.name, node.attrs, node.p, inputs, node.subgraphs)
    return Symbol([convert(entry) for entry in heads])


def _make_node(op_name, inputs, params, graphs):
    """The control-flow node: MXNet's attribute strings (lists print as ``[0, 1]``) plus the
    subgraphs in the hidden ``subgraphs`` parameter."""
    op = lookup(op_name)
    params = {"num_args": len(inputs) + len(graphs), **params}
    attrs = attribute.current().get({key: str(value) for key, value in params.items()})
    p = op.params.parse(op_name, {**params, "subgraphs": Subgraphs(graphs)})
    node = Node(op, _name.current().get(None, op_name.lower()), attrs, p, inputs, graphs)
    return [Symbol([(node, i)]) for i in range(op.num_outputs(p))]


class _Inputs:
    """The control-flow node's inputs: distinct outer entries in first-seen order."""

    def __init__(self, entries=()):
        self.entries = []
        for entry in entries:
            self.entries.append(entry)

    def locate(self, entry):
        for i, (node, index) in enumerate(self.entries):
            if node is entry[0] and index == entry[1]:
                return i
        self.entries.append(entry)
        return len(self.entries) - 1


def foreach(body, data, init_states, name="foreach"):
    """Run ``body`` over slices of ``data`` along axis 0, carrying states, as one node.

    ``out, states = body(data_slice, states)``; the body is traced once. Returns the
    outputs stacked along a new axis 0 and the final states, in the structures the body
    returns (as ``mx.nd.contrib.foreach``).

    >>> step = lambda x, states: (x + states[0], [states[0] * 2])
    >>> outs, states = mx.sym.contrib.foreach(step, mx.sym.var('x'), [mx.sym.var('h')])
    >>> outs.list_arguments()
    ['x', 'h']
    """
    flat_data, data_fmt = flatten(data, Symbol, "foreach: data")
    flat_states, state_fmt = flatten(init_states, Symbol, "foreach: init_states")
    for s in flat_data + flat_states:
        _single(s, "foreach: data and init_states")
    n_data = len(flat_data)
    formats = {}

    def trace(holders):
        outs, states = body(
            regroup(holders[:n_data], data_fmt), regroup(holders[n_data:], state_fmt)
        )
        flat_outs, formats["out"] = flatten(outs, Symbol, "foreach: the body's output")
        flat_new, new_fmt = flatten(states, Symbol, "foreach: the body's states")
        if new_fmt != state_fmt:
            raise MXNetValueError(
                "foreach: the body returned states of another structure than init_states"
            )
        formats["n_out"] = len(flat_outs)
        # MXNet copies a state that comes from the same node as an output.
        return flat_outs + flat_new, None, len(flat_outs)

    traced, holders = _trace(name, flat_data + flat_states, trace, "foreach: outputs")
    locs = []
    for kind, group in (("data", holders[:n_data]), ("state", holders[n_data:])):
        positions = [traced.locate(h) for h in group]
        if -1 in positions:
            raise MXNetValueError(f"foreach: the {kind} arrays have to be used in the loop body")
        locs.append(positions)
    holder_ids = {id(h) for h in holders}
    remain_locs = [i for i, node in enumerate(traced.inputs) if id(node) not in holder_ids]
    inputs = [s._outputs[0] for s in flat_data + flat_states]
    inputs += [traced.outer[i] for i in remain_locs]
    n_out = formats["n_out"]
    params = {
        "in_data_locs": locs[0],
        "in_state_locs": locs[1],
        "num_out_data": n_out,
        "num_outputs": traced.n_outputs,
        "remain_locs": remain_locs,
    }
    outputs = _make_node("_foreach", inputs, dict(sorted(params.items())), [traced.graph])
    return regroup(outputs[:n_out], formats["out"]), regroup(outputs[n_out:], state_fmt)


def while_loop(cond, func, loop_vars, max_iterations=None, name="while_loop"):
    """Run ``func`` while ``cond`` holds, at most ``max_iterations`` times, as one node.

    ``cond(*loop_vars)`` gives a one-element Symbol; ``step_output, new_loop_vars =
    func(*loop_vars)``. Returns the step outputs stacked along a new axis 0, padded with
    zeros to ``max_iterations`` rows, and the final loop variables (a Symbol when
    ``loop_vars`` is one).

    >>> i = mx.sym.var('i')
    >>> outs, i_final = mx.sym.contrib.while_loop(
    ...     lambda i: i < 3, lambda i: (i * 10, i + 1), i, max_iterations=4)
    >>> outs.infer_shape(i=(1,))[1]
    [(4, 1)]
    """
    if max_iterations is None:
        raise MXNetValueError("while_loop: max_iterations must be given")
    single = isinstance(loop_vars, Symbol)
    flat_vars, var_fmt = flatten(loop_vars, Symbol, "while_loop: loop_vars")
    if not flat_vars:
        raise MXNetValueError("while_loop: loop_vars must hold at least one Symbol")
    for s in flat_vars:
        _single(s, "while_loop: loop_vars")

    def call(function, holders):
        return function(holders[0]) if single else function(*regroup(holders, var_fmt))

    def trace_cond(holders):
        pred = call(cond, holders)
        if not isinstance(pred, Symbol) or len(pred._outputs) != 1:
            raise MXNetValueError("while_loop: cond must return a Symbol with one output")
        return [pred], None

    formats = {}

    def trace_func(holders):
        step_output, new_vars = call(func, holders)
        flat_out, formats["out"] = flatten(step_output, Symbol, "while_loop: step output")
        flat_new, _ = flatten(new_vars, Symbol, "while_loop: loop_vars")
        if len(flat_new) != len(flat_vars):
            raise MXNetValueError(
                f"while_loop: func returned {len(flat_new)} loop variables for "
                f"{len(flat_vars)}; the number must stay the same"
            )
        formats["n_out"] = len(flat_out)
        return flat_out + flat_new, None

    cond_traced, _ = _trace(name + "_cond", flat_vars, trace_cond, "while_loop: cond")
    func_traced, func_holders = _trace(name + "_func", flat_vars, trace_func, "while_loop")
    inputs = _Inputs()
    cond_locs = [inputs.locate(entry) for entry in cond_traced.outer]
    func_locs = [inputs.locate(entry) for entry in func_traced.outer]
    var_locs = [func_traced.locate(h) for h in func_holders]
    if -1 in var_locs:
        raise MXNetValueError(
            f"while_loop: loop variable {var_locs.index(-1)} is not used by func; "
            "every loop variable must feed func"
        )
    params = {
        "cond_input_locs": cond_locs,
        "func_input_locs": func_locs,
        "func_var_locs": var_locs,
        "max_iterations": int(max_iterations),
        "num_out_data": formats["n_out"],
        "num_outputs": func_traced.n_outputs,
    }
    graphs = [cond_traced.graph, func_traced.graph]
    outputs = _make_node("_while_loop", inputs.entries, params, graphs)
    n_out = formats["n_out"]
    steps = regroup(outputs[:n_out], formats["out"]) if n_out else []
    final = outputs[n_out:]
    return steps, final[0] if single else regroup(final, var_fmt)


def cond(pred, then_func, else_func, name="cond"):
    """Run ``then_func()`` if the one-element ``pred`` holds, else ``else_func()``, as one
    node; both branches are traced and must return the same number of Symbols.

    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> out = mx.sym.contrib.cond(a.sum() < b.sum(), lambda: a + b, lambda: a - b)
    >>> out.list_arguments()
    ['a', 'b']
    """
    _single(pred, "cond: pred")
    pred_traced, _ = _trace(name + "_pred", [], lambda _: ([pred], None), "cond: pred")
    branches = []
    for branch, function in (("then", then_func), ("else", else_func)):

        def trace(_, function=function, branch=branch):
            return flatten(function(), Symbol, f"cond: the {branch} branch's output")

        branches.append(_trace(f"{name}_{branch}", [], trace, f"cond: {branch} outputs")[0])
    then_traced, else_traced = branches
    if then_traced.n_outputs != else_traced.n_outputs:
        raise MXNetValueError(
            f"cond: the then branch returns {then_traced.n_outputs} outputs and the else "
            f"branch {else_traced.n_outputs}; they must match"
        )
    inputs = _Inputs()
    params = {
        "cond_input_locs": [inputs.locate(e) for e in pred_traced.outer],
        "else_input_locs": [],
        "num_outputs": then_traced.n_outputs,
        "then_input_locs": [inputs.locate(e) for e in then_traced.outer],
    }
    params["else_input_locs"] = [inputs.locate(e) for e in else_traced.outer]
    graphs = [pred_traced.graph, then_traced.graph, else_traced.graph]
    outputs = _make_node("_cond", inputs.entries, params, graphs)
    return regroup(outputs, then_traced.fmt)
