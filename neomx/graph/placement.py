"""Model parallelism: put each node of a graph on a device and copy data between devices.

MXNet 1.9.1's rules (its PlaceDevice pass, as its executors use it; checked against MXNet):

1. A node whose ``__ctx_group__`` attribute (``mx.AttrScope(ctx_group='dev1')``) names a group
   of ``group2ctx`` runs there; a group missing from ``group2ctx`` is an error. Without
   ``group2ctx`` groups are ignored and everything runs on the default context.
2. A variable without a group lives on the default context (``simple_bind`` allocates it
   there); ``bind`` fixes each variable where its array lives (``fixed`` here).
3. Any other node without a group runs where its first placed input runs (a forward sweep);
   a node still unplaced (one with no inputs, such as ``ones``) runs where its last consumer
   in topological order runs (a backward sweep); the rest run on the default context.
4. Where a node reads an entry that lives on another device, a ``_CrossDeviceCopy`` node
   named ``<source>_<index>_copy`` is inserted, on the reader's device; one copy per
   (entry, destination device) serves every reader there. Outputs stay where they are made.
"""

from __future__ import annotations

from ..base import MXNetValueError
from ..ops.registry import lookup
from .node import Node, topo_order
from .passes import with_inputs

__all__ = ["place", "COPY_OP"]

COPY_OP = "_CrossDeviceCopy"


def _is_copy(node: Node) -> bool:
    return node.op is not None and node.op.name == COPY_OP


def _pinned_context(node: Node, fixed, group2ctx, default_ctx):
    """The device rules 1 and 2 (or ``fixed``) give the node, or None."""
    if node in fixed:
        return fixed[node]
    if _is_copy(node) and node.p.ctx is not None:
        return node.p.ctx
    group = node.attrs.get("__ctx_group__")
    if group is not None and group2ctx:
        if group not in group2ctx:
            raise MXNetValueError(
                f"placement: node '{node.name}' is in ctx_group '{group}', but group2ctx maps "
                f"only {sorted(group2ctx)}: the device assignment not found for group {group}"
            )
        return group2ctx[group]
    if node.op is None:
        return default_ctx
    return None


def _assign(nodes, fixed, group2ctx, default_ctx) -> dict:
    device: dict[int, object] = {}
    for node in nodes:
        ctx = _pinned_context(node, fixed, group2ctx, default_ctx)
        if ctx is None:
            ctx = next((device[id(src)] for src, _ in node.inputs if id(src) in device), None)
        if ctx is not None:
            device[id(node)] = ctx
    for node in reversed(nodes):
        ctx = device.get(id(node))
        if ctx is not None:
            for src, _ in node.inputs:
                device.setdefault(id(src), ctx)
    for node in nodes:
        device.setdefault(id(node), default_ctx)
    return device


def _copy_node(source: Node, index: int, src_ctx, dst_ctx) -> Node:
    op = lookup(COPY_OP)
    given = {"ctx": dst_ctx, "src_ctx": src_ctx}
    p = op.params.parse(op.name, given)
    attrs = {key: str(value) for key, value in given.items()}
    return Node(op, f"{source.name}_{index}_copy", attrs, p, [(source, index)])


def place(entries, group2ctx, default_ctx, fixed=None) -> tuple[list, dict]:
    """Place every node of the graph of ``entries``; return ``(entries, placement)``.

    Parameters
    ----------
    entries : list of (Node, int)
        The graph's outputs.
    group2ctx : dict of str to Context, or None
        Where each ``ctx_group`` runs (``simple_bind(..., group2ctx=...)``).
    default_ctx : Context
        The executor's context: where ungrouped variables and unplaceable nodes go.
    fixed : dict of Node to Context, optional
        Nodes whose device is already decided: ``bind``'s variables (where their arrays
        are), or a placed forward graph when placing the backward graph built on it.

    Returns
    -------
    entries : list of (Node, int)
        The placed graph: the input graph with ``_CrossDeviceCopy`` nodes inserted where an
        input lives on another device. Nodes keeping their inputs are shared (variables
        always are); the others are copies. A ``_CrossDeviceCopy`` has parameters ``ctx``
        (its device) and ``src_ctx`` (its input's); its gradient is a copy with the two
        swapped, so placing a backward graph (``fixed`` = the forward placement) puts it
        on the forward copy's source device.
    placement : dict of Node to Context
        The device of every node of the placed graph; a node runs there, its outputs live
        there, and every input of a node other than a ``_CrossDeviceCopy`` lives there.

    >>> with mx.AttrScope(ctx_group='dev1'):
    ...     h = mx.sym.relu(mx.sym.var('x'), name='h')
    >>> y = mx.sym.exp(h, name='y', attr={'ctx_group': 'dev2'})
    >>> entries, placement = place(y._outputs, {'dev1': mx.cpu(1), 'dev2': mx.cpu(2)}, mx.cpu())
    >>> [(node.name, placement[node]) for node in topo_order(entries)]
    [('x', cpu(1)), ('h', cpu(1)), ('h_0_copy', cpu(2)), ('y', cpu(2))]
    """
    fixed = fixed or {}
    nodes = topo_order(entries)
    device = _assign(nodes, fixed, group2ctx, default_ctx)

    mapping: dict[int, Node] = {}
    copies: dict[tuple, Node] = {}
    placement: dict[Node, object] = {}
    for node in nodes:
        ctx = device[id(node)]
        inputs = []
        for src, index in node.inputs:
            new_src = mapping[id(src)]
            src_ctx = device[id(src)]
            if src_ctx == ctx or _is_copy(node):
                inputs.append((new_src, index))
                continue
            key = (id(new_src), index, ctx)
            copy = copies.get(key)
            if copy is None:
                copy = copies[key] = _copy_node(new_src, index, src_ctx, ctx)
                placement[copy] = ctx
            inputs.append((copy, 0))
        new = with_inputs(node, inputs)
        mapping[id(node)] = new
        placement[new] = ctx
    outputs = [(mapping[id(node)], index) for node, index in entries]
    return outputs, placement
