"""``mx.sym.<operator>``: the Symbol front ends of the registered operators.

Calling one adds a node to the graph. Inputs not given become variables named
``<node>_<input>`` (``fc1_weight``), carrying the node's attributes as MXNet's do; node names
come from ``mx.name`` (``fullyconnected0``) and attributes from ``mx.AttrScope``.
"""

from __future__ import annotations

import numpy as np

from .. import attribute
from .. import name as _name
from ..base import MXNetTypeError, MXNetValueError
from ..context import Context
from ..graph.node import Node
from ..ops.frontend import bind_arguments
from ..ops.registry import REGISTRY
from .symbol import Symbol

__all__ = [
    "make_symbol_function",
    "create_node",
    "apply_registered",
    "attr_string",
    "apply_input_var_attrs",
]

# MXNet's FSetInputVarAttrOnCompose: operators that give the variable at input position i an
# initializer when composed, unless it already has one (kept in symbol JSON as "__init__").
_NORM_STATS = {3: '["zero", {}]', 4: '["one", {}]'}
_INPUT_VAR_INIT = {
    "BatchNorm": _NORM_STATS,
    "BatchNorm_v1": _NORM_STATS,
    "_contrib_SyncBatchNorm": _NORM_STATS,
    "_contrib_BatchNormWithReLU": _NORM_STATS,
    "LeakyReLU": {1: '["Constant", {"value": 0.25}]'},
    "UpSampling": {1: '["bilinear", {}]'},
    "IdentityAttachKLSparseReg": {1: '["zero", {}]'},
}


def apply_input_var_attrs(node) -> None:
    """Give ``node``'s variable inputs the initializers its operator sets on compose."""
    inits = _INPUT_VAR_INIT.get(node.op.name) if node.op is not None else None
    if not inits:
        return
    for position, init in inits.items():
        if position < len(node.inputs):
            source = node.inputs[position][0]
            if source.op is None and "__init__" not in source.attrs:
                source.attrs["__init__"] = init


def attr_string(value) -> str:
    """A parameter value as MXNet writes it in symbol JSON (``str()`` of the Python value)."""
    if isinstance(value, str):
        return value
    if isinstance(value, type) or isinstance(value, np.dtype):
        return np.dtype(value).name
    if isinstance(value, Context):
        return str(value)
    if isinstance(value, list):
        value = tuple(value)
    return str(value)


def create_node(op, slots, p, given, name, attr, hint):
    """Add a node running ``op`` on ``slots`` ([(input name, Symbol or None)]); missing
    inputs become new variables. Return the Symbol of its visible outputs."""
    attrs = {key: attr_string(value) for key, value in given.items()}
    user = {}
    for key, value in (attr or {}).items():
        if not isinstance(value, str):
            raise MXNetValueError(
                f"{op.name}: attribute {key!r} must be a string, got {type(value).__name__}"
            )
        user[attribute.hidden_key(key)] = value
    attrs.update(attribute.current().get(user))
    node_name = _name.current().get(name, hint)
    inputs = []
    for key, value in slots:
        if value is None:
            # MXNet gives an implicit variable the attributes of the node it feeds.
            inputs.append((Node(None, f"{node_name}_{key}", attrs), 0))
            continue
        if not isinstance(value, Symbol):
            raise MXNetTypeError(
                f"{op.name}: input '{key}' must be a Symbol, got {type(value).__name__}"
            )
        if len(value._outputs) != 1:
            raise MXNetValueError(
                f"{op.name}: input '{key}' is a Symbol with {len(value._outputs)} outputs; "
                "an operator input needs exactly one (pick one with sym[i])"
            )
        inputs.append(value._outputs[0])
    node = Node(op, node_name, attrs, p, inputs)
    apply_input_var_attrs(node)
    return Symbol([(node, i) for i in range(op.num_visible_outputs(p))])


def _variadic_slots(op, p, slots):
    """Name a variadic operator's inputs by its own input names (``weight_0``, ``grad_0``) and
    add the missing ones, which become variables: ``mx.sym.Concat(num_args=2, name='c')``
    reads ``c_arg0`` and ``c_arg1`` as in MXNet."""
    wanted = op.arguments(p)
    if len(slots) > len(wanted):
        return slots
    values = [value for _, value in slots]
    return list(zip(wanted, values + [None] * (len(wanted) - len(values))))


def _named_inputs(op, args, kwargs):
    """The Symbol inputs of a call by input name (positional ones take the names in order)."""
    named = dict(zip(op.inputs, args[: len(op.inputs)]))
    named.update((key, kwargs[key]) for key in op.inputs if key in kwargs)
    return {key: value for key, value in named.items() if value is not None}


def _slots_by_name(wanted, named):
    """Place inputs by name, as MXNet composes Symbols (``BatchNorm(x, moving_mean=m)`` leaves
    gamma and beta to new variables). Inputs the parameters do not use (an RNN's state_cell
    for a GRU) fill the remaining slots in order, as bind_arguments does for NDArrays."""
    values = dict(named)
    slots = [(key, values.pop(key, None)) for key in wanted]
    rest = list(values.values())
    slots = [(key, rest.pop(0) if value is None and rest else value) for key, value in slots]
    return slots + [(None, value) for value in rest]


def apply_registered(op_name, hint, inputs=(), params=None, name=None, attr=None):
    """Add a node of the registered operator ``op_name`` on ``inputs`` (Symbols in argument
    order) with the parameter values ``params``, named from ``hint`` unless ``name``."""
    op = REGISTRY[op_name]
    given = dict(params or {})
    p = op.params.parse(op.name, given)
    return create_node(op, list(zip(op.arguments(p), inputs)), p, given, name, attr, hint)


def make_symbol_function(op, public_name: str, hint: str | None = None):
    """Return the ``mx.sym.<public_name>`` closure of ``op``; unnamed nodes are named after
    ``hint`` (default: the lowercased name), as ``mx.sym.linalg.gemm2`` names ``gemm20``."""
    hint = (hint or public_name).lower()

    def function(*args, name=None, attr=None, out=None, **kwargs):
        if out is not None:
            raise MXNetTypeError(f"{public_name}: out= is not supported for Symbols")
        extra = {}
        for key in list(kwargs):
            if key in attribute.HIDDEN_KEYS or (key.startswith("__") and key.endswith("__")):
                extra[attribute.hidden_key(key)] = attr_string(kwargs.pop(key))
        for i, value in enumerate(args if op.variadic else args[: len(op.inputs)]):
            if value is not None and not isinstance(value, Symbol):
                raise MXNetTypeError(
                    f"{public_name}: positional argument {i} must be a Symbol, got "
                    f"{type(value).__name__} (pass parameters by keyword)"
                )
        named = None if op.variadic else _named_inputs(op, args, kwargs)
        slots, p, given = bind_arguments(op, public_name, args, kwargs)
        if op.variadic:
            slots = _variadic_slots(op, p, slots)
        elif named:
            slots = _slots_by_name(op.arguments(p), named)
        if extra:
            attr = {**extra, **(attr or {})}
        return create_node(op, slots, p, given, name, attr, hint)

    function.__name__ = public_name
    function.__qualname__ = public_name
    function.__doc__ = op.docstring()
    function.__signature__ = op.signature()
    return function
