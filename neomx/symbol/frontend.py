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
from .symbol import Symbol

__all__ = ["make_symbol_function", "create_node", "attr_string"]


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
    return Symbol([(node, i) for i in range(op.num_visible_outputs(p))])


def make_symbol_function(op, public_name: str):
    """Return the ``mx.sym.<public_name>`` closure of ``op``."""
    hint = public_name.lower()

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
        slots, p, given = bind_arguments(op, public_name, args, kwargs)
        if extra:
            attr = {**extra, **(attr or {})}
        return create_node(op, slots, p, given, name, attr, hint)

    function.__name__ = public_name
    function.__qualname__ = public_name
    function.__doc__ = op.docstring()
    function.__signature__ = op.signature()
    return function
