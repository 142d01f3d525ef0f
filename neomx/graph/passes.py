"""Graph passes: pure functions from a graph's output entries to a new graph.

A graph is the list of its output entries ``(node, index)``; its nodes are what those reach
(``topo_order``). No pass changes a node it is given: a node whose inputs change is copied
(same op, name, attributes, parameters and subgraphs), and a node that keeps its inputs is
shared with the input graph. So variables keep their identity, and an executor can map them
to its arrays before and after a pass.

``optimize`` is what an executor runs before it plans memory: dead-node elimination, then
common-subexpression elimination (MXNet 1.9.1 runs the latter at bind time too, unless
``MXNET_ELIMINATE_COMMON_EXPR=0``). ``fold_constants`` evaluates the variable-free parts once.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import dtype_flag
from ..ops.registry import lookup
from .node import Node, topo_order

__all__ = [
    "eliminate_dead_nodes",
    "eliminate_common_subexpressions",
    "fold_constants",
    "optimize",
    "with_inputs",
]


def with_inputs(node: Node, inputs) -> Node:
    """``node`` itself when ``inputs`` are its inputs, else a copy of it reading ``inputs``."""
    if len(inputs) == len(node.inputs) and all(
        new[0] is old[0] and new[1] == old[1] for new, old in zip(inputs, node.inputs)
    ):
        return node
    return Node(node.op, node.name, node.attrs, node.p, inputs, node.subgraphs)


def _user_attrs(node: Node) -> dict:
    """The attributes that are not the operator's parameters (``__ctx_group__``, ...)."""
    if node.op is None:
        return dict(node.attrs)
    names = node.op.params.names
    return {key: value for key, value in node.attrs.items() if key not in names}


# ---- dead nodes -------------------------------------------------------------------------


def eliminate_dead_nodes(entries) -> list:
    """Return the graph of ``entries`` with only the nodes the outputs depend on.

    A graph holds exactly the nodes its outputs reach through inputs (``topo_order``), so no
    node of the result is dead: a node that a pass disconnects (CSE's merged twins, folded
    constants) is gone from the graph the pass returns. This returns a new list of the same
    entries, sharing every node; the nodes of the graph are ``topo_order(result)``.

    >>> x = mx.sym.var('x')
    >>> entries = eliminate_dead_nodes(mx.sym.relu(x, name='r')._outputs)
    >>> [node.name for node in topo_order(entries)]
    ['x', 'r']
    """
    return [(node, index) for node, index in entries]


# ---- common subexpressions --------------------------------------------------------------


def _mergeable(node: Node) -> bool:
    """Whether two such nodes on the same inputs must give the same values."""
    op = node.op
    if op is None or node.subgraphs:
        return False
    # Random draws differ per node; ops writing their inputs (optimizer updates) or keeping
    # state across calls (BatchNorm's moving statistics) have effects besides their outputs.
    return "rng" not in op.runtime and not op.mutates and not op.auxiliary


def _freeze(value):
    """A hashable stand-in for a parameter value that compares as the value does."""
    if isinstance(value, float):
        # 0.0 == -0.0, yet ``x * -0.0`` differs from ``x * 0.0`` in the sign of zeros.
        return ("float", value, math.copysign(1.0, value))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _freeze(v)) for key, v in value.items()))
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, value.tobytes())
    try:
        hash(value)
    except TypeError:
        return ("repr", type(value).__name__, repr(value))
    return value


def _signature(node: Node, inputs) -> tuple:
    params = () if node.p is None else _freeze(tuple(node.p))
    attrs = tuple(sorted(_user_attrs(node).items()))
    return (id(node.op), params, attrs, tuple((id(src), index) for src, index in inputs))


def eliminate_common_subexpressions(entries) -> list:
    """Return the graph of ``entries`` with each repeated computation done once.

    Two nodes merge when they run the same operator with equal parsed parameters (compared as
    values: ``axis=1`` and ``axis=(1,)`` agree), the same attributes besides the parameters,
    and the same input entries (after merging their inputs). The first in topological order
    stays, with its name. Never merged: variables, random operators (``"rng"`` in
    ``op.runtime``), operators that write inputs (``op.mutates``) or keep auxiliary state,
    and nodes with subgraphs. As in MXNet 1.9.1, where outputs become the same entry, each
    repeat is given its own ``_copy`` node named ``<node>_<k>_copy`` (k = 0, 1, ...), so
    every output stays a distinct array.

    >>> x = mx.sym.var('x')
    >>> y = mx.sym.elemwise_add(mx.sym.relu(x, name='a'), mx.sym.relu(x, name='b'), name='s')
    >>> entries = eliminate_common_subexpressions(y._outputs)
    >>> [node.name for node in topo_order(entries)]
    ['x', 'a', 's']
    """
    mapping: dict[int, Node] = {}
    first: dict[tuple, Node] = {}
    for node in topo_order(entries):
        inputs = [(mapping[id(src)], index) for src, index in node.inputs]
        key = _signature(node, inputs) if _mergeable(node) else None
        twin = first.get(key) if key is not None else None
        if twin is not None:
            mapping[id(node)] = twin
            continue
        new = with_inputs(node, inputs)
        mapping[id(node)] = new
        if key is not None:
            first[key] = new
    outputs = [(mapping[id(node)], index) for node, index in entries]
    return _distinct_outputs(outputs)


def _distinct_outputs(outputs) -> list:
    copy_op = lookup("_copy")
    copy_p = copy_op.params.parse(copy_op.name, {})
    repeats: dict[tuple, int] = {}
    result = []
    for node, index in outputs:
        key = (id(node), index)
        if key not in repeats:
            repeats[key] = 0
            result.append((node, index))
            continue
        name = f"{node.name}_{repeats[key]}_copy"
        repeats[key] += 1
        result.append((Node(copy_op, name, {}, copy_p, [(node, index)]), 0))
    return result


# ---- constants ----------------------------------------------------------------------------


def _foldable(node: Node) -> bool:
    """Whether the node's value is a function of its inputs and parameters alone."""
    op = node.op
    # "is_train" too: Dropout-like values differ between training and inference.
    return not (op.runtime or op.mutates or op.auxiliary or node.subgraphs)


def _const_name(node: Node, index: int, taken: set) -> str:
    base = f"{node.name}_{index}_const"
    name, count = base, 0
    while name in taken:
        count += 1
        name = f"{base}{count}"
    taken.add(name)
    return name


def fold_constants(entries, ctx=None) -> tuple[list, dict]:
    """Evaluate the parts of the graph that depend on no variable; return
    ``(entries, constants)``.

    A node is constant when it is not a variable, all its inputs are constant, and its value
    depends only on them and its parameters: no random draws, no training flag, no written
    inputs or auxiliary state, no subgraphs. Each output of a constant node that a
    non-constant node reads, or that is a graph output, is computed once (imperatively, on
    ``ctx``, default the current context) and replaced by a new variable node named
    ``<node>_<index>_const``. ``constants`` maps those variables to their NDArray values; an
    executor binds them as fixed inputs (no gradient). The new variables carry ``__shape__``
    and ``__dtype__`` (so graph inference knows them) and the folded node's own attributes
    such as ``__ctx_group__`` (so placement keeps them in their group).

    >>> x = mx.sym.var('x')
    >>> y = x + mx.sym.ones((2, 3)) * 2
    >>> entries, constants = fold_constants(y._outputs)
    >>> [value.asnumpy().tolist() for value in constants.values()]
    [[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]
    """
    from .. import autograd
    from ..context import current_context
    from ..ops.invoke import invoke_all

    nodes = topo_order(entries)
    constant: set[int] = set()
    for node in nodes:
        if node.op is not None and _foldable(node):
            if all(id(src) in constant for src, _ in node.inputs):
                constant.add(id(node))
    if not constant:
        return list(entries), {}

    values: dict[int, list] = {}
    ctx = ctx or current_context()
    with autograd.pause(), ctx:
        for node in nodes:
            if id(node) in constant:
                arrays = [values[id(src)][index] for src, index in node.inputs]
                values[id(node)] = invoke_all(node.op, arrays, node.p)

    taken = {node.name for node in nodes if node.op is None}
    folded: dict[tuple, Node] = {}
    constants: dict[Node, object] = {}

    def variable_for(node, index):
        key = (id(node), index)
        if key not in folded:
            value = values[id(node)][index]
            attrs = _user_attrs(node)
            attrs["__shape__"] = str(tuple(value.shape))
            attrs["__dtype__"] = str(dtype_flag(value.dtype))
            variable = Node(None, _const_name(node, index, taken), attrs)
            folded[key] = variable
            constants[variable] = value
        return folded[key]

    mapping: dict[int, Node] = {}
    for node in nodes:
        if id(node) in constant:
            continue
        inputs = [
            (variable_for(src, index), 0) if id(src) in constant else (mapping[id(src)], index)
            for src, index in node.inputs
        ]
        mapping[id(node)] = with_inputs(node, inputs)
    outputs = [
        (variable_for(node, index), 0) if id(node) in constant else (mapping[id(node)], index)
        for node, index in entries
    ]
    return outputs, constants


# ---- the standard pipeline --------------------------------------------------------------


def optimize(entries) -> list:
    """Return the graph an executor runs: ``eliminate_dead_nodes`` then
    ``eliminate_common_subexpressions``. Values are unchanged; variables keep identity.

    >>> x = mx.sym.var('x')
    >>> y = mx.sym.exp(x) * mx.sym.exp(x)
    >>> len(topo_order(optimize(y._outputs)))
    3
    """
    return eliminate_common_subexpressions(eliminate_dead_nodes(entries))
