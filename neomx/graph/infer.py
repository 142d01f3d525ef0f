"""Shape and dtype inference over a whole graph, forwards and backwards.

Each operator's own ``infer_shape``/``infer_type`` runs on what is known of its inputs and
outputs (0 dimensions and None are unknown, as in MXNet 1.x); whatever it fills in flows to
neighbouring nodes, in repeated sweeps until nothing changes. A conflict raises an MXNetError
that names the node, as MXNet's "Error in operator ..." messages do.
"""

from __future__ import annotations

import ast

from ..base import MXNetError, dtype_from_flag, dtype_np
from ..ops.infer import concrete_shapes, shape_str

__all__ = ["infer_shapes", "infer_types", "variable_shape", "variable_dtype"]

_MAX_SWEEPS = 32


def variable_shape(node):
    """The shape a variable's ``__shape__`` attribute declares, or None."""
    text = node.attrs.get("__shape__")
    if text is None:
        return None
    value = ast.literal_eval(text)
    return tuple(int(d) for d in (value if isinstance(value, (tuple, list)) else (value,)))


def variable_dtype(node):
    """The dtype a variable's ``__dtype__`` attribute (an mshadow type flag) declares."""
    text = node.attrs.get("__dtype__")
    return None if text is None else dtype_from_flag(int(text))


def _merge_shape(node, what, old, new):
    if new is None or old == new:
        return old, False
    if old is None:
        return tuple(new), True
    if len(old) == len(new):
        merged = []
        for have, want in zip(old, new):
            if have == want or want == 0:
                merged.append(have)
            elif have == 0:
                merged.append(want)
            else:
                break
        else:
            merged = tuple(merged)
            return merged, merged != old
    raise MXNetError(
        f"Error in operator {node.name}: Shape inconsistent, {what}: provided = "
        f"{shape_str(old)}, inferred shape = {shape_str(new)}"
    )


def _merge_dtype(node, what, old, new):
    # NOTE: not ``old == new``: NumPy takes None for float64 there.
    if new is None:
        return old, False
    if old is None:
        return new, True
    if old == new:
        return old, False
    raise MXNetError(
        f"Error in operator {node.name}: dtype inconsistent, {what}: provided = {old}, "
        f"inferred = {new}"
    )


def _sweep(nodes, table, infer, merge):
    """Run every operator's inference once; return whether anything new was learned."""
    changed = False
    for node in nodes:
        if node.op is None:
            continue
        ins = [table.get(entry) for entry in node.inputs]
        outs = [table.get((node, i)) for i in range(node.num_outputs())]
        try:
            result = infer(node, ins, outs)
        except MXNetError as err:
            if str(err).startswith("Error in operator"):
                raise
            raise type(err)(f"Error in operator {node.name}: {err}") from err
        if result is None:
            continue
        in_values, out_values = result
        names = node.input_names()
        for i, (entry, value) in enumerate(zip(node.inputs, in_values)):
            label = f"input {names[i] if i < len(names) else i} ({entry[0].output_name(entry[1])})"
            table[entry], grew = merge(node, label, table.get(entry), value)
            changed |= grew
        for i, value in enumerate(out_values):
            entry = (node, i)
            table[entry], grew = merge(node, f"output {i}", table.get(entry), value)
            changed |= grew
    return changed


def _fixpoint(nodes, table, infer, merge):
    for sweep in range(_MAX_SWEEPS):
        # Alternate directions: forward sweeps carry shapes to outputs, backward ones carry
        # what an operator infers of its inputs (FullyConnected's weight) to earlier nodes.
        order = nodes if sweep % 2 == 0 else list(reversed(nodes))
        if not _sweep(order, table, infer, merge) and sweep > 0:
            break
    return table


def _shape_rule(node, shapes, out_shapes):
    result = None
    if any(s is not None for s in shapes) or not node.op.inputs:
        result = node.op.infer_shape(node.p, *shapes)
        if result is None and any(s is not None and 0 in s for s in shapes):
            result = _infer_around_unknown_dims(node, shapes)
    if any(s is not None for s in out_shapes):
        result = _infer_from_outputs(node, shapes, out_shapes, result)
    return result


def _infer_from_outputs(node, shapes, out_shapes, result):
    """Add what the operator infers of its inputs from known outputs to ``result``."""
    outs = list(out_shapes)
    if result is not None:
        shapes = [_fill(s, r) for s, r in zip(shapes, result[0])]
        outs = [_fill(s, r) for s, r in zip(outs, result[1])]
    inferred = node.op.infer_shape_from_outputs(node.p, shapes, outs)
    if inferred is None:
        return result
    return inferred, (() if result is None else result[1])


def _fill(shape, other):
    """``shape`` with its unknown dimensions taken from ``other`` where that can be known."""
    if shape is None or other is None or len(shape) != len(other):
        return other if shape is None else shape
    return tuple(d if d else o for d, o in zip(shape, other))


# Two sizes no real dimension has: stand-ins for unknown (0) dimensions.
_STAND_INS = (1_000_003, 1_000_033)


def _infer_around_unknown_dims(node, shapes):
    """Partial inference for operators that want fully known inputs (FullyConnected with an
    unknown batch size, say): infer twice with the unknown dimensions set to two different
    stand-in sizes; what comes out the same both times is known, the rest stays 0, as MXNet
    1.9.1's partial inference gives (0, 4) for FullyConnected(num_hidden=4) on (0, 7)."""
    runs = []
    for size in _STAND_INS:
        filled = [None if s is None else tuple(size if d == 0 else d for d in s) for s in shapes]
        try:
            with concrete_shapes():
                result = node.op.infer_shape(node.p, *filled)
        except MXNetError:
            return None
        if result is None:
            return None
        runs.append(result)
    (ins_a, outs_a), (ins_b, outs_b) = runs
    return (
        [_agreed(a, b) for a, b in zip(ins_a, ins_b)],
        [_agreed(a, b) for a, b in zip(outs_a, outs_b)],
    )


def _agreed(first, second):
    if first is None or second is None or len(first) != len(second):
        return None
    return tuple(a if a == b else 0 for a, b in zip(first, second))


def _type_rule(node, dtypes, out_dtypes):
    return node.op.infer_type(node.p, *dtypes)


def infer_shapes(nodes, given):
    """Return {entry: shape or None} for every entry of ``nodes`` (a topological order).

    ``given`` maps variable nodes to the shapes the caller provides; variables' ``__shape__``
    attributes count too. Unknown dimensions stay 0.
    """
    table = {}
    for node in nodes:
        if node.op is None:
            # As in MXNet 1.9.1, a shape the caller gives replaces the declared __shape__.
            shape = given.get(node)
            if shape is None:
                shape = variable_shape(node)
            if shape is not None:
                table[(node, 0)] = tuple(shape)
    return _fixpoint(nodes, table, _shape_rule, _merge_shape)


def infer_types(nodes, given):
    """Return {entry: numpy dtype or None}; ``given`` maps variable nodes to dtypes."""
    table = {}
    for node in nodes:
        if node.op is None:
            dtype = given.get(node)
            dtype = variable_dtype(node) if dtype is None else dtype_np(dtype)
            if dtype is not None:
                table[(node, 0)] = dtype
    return _fixpoint(nodes, table, _type_rule, _merge_dtype)
