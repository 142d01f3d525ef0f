"""``mx.autograd.get_symbol``: the recorded computation behind an NDArray, as a Symbol."""

from __future__ import annotations

from .autograd import Variable, _variable_count
from .base import MXNetError, MXNetTypeError
from .ndarray.ndarray import NDArray
from .ops.params import REQUIRED

__all__ = ["get_symbol"]


def _attrs(op, p):
    """The parameters that differ from their defaults, as symbol JSON strings (MXNet
    records the parameters a call passed; a default passed explicitly is not told apart)."""
    from .symbol.frontend import attr_string

    attrs = {}
    for name, spec in op.params.fields.items():
        if name == "subgraphs":
            continue
        value = getattr(p, name)
        if spec.default is REQUIRED or value != spec.default:
            attrs[name] = attr_string(value)
    return attrs


def get_symbol(x):
    """Return the recorded computation that produced ``x`` as a Symbol.

    Arrays marked with ``attach_grad`` become variables named ``var<k>``, constant inputs
    ``null<k>`` and operator calls ``node_<k>``, numbered as MXNet numbers them when
    recording (constants are numbered when ``get_symbol`` runs, and one constant used
    twice gives two variables).

    >>> x = mx.nd.array([1., 2.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.relu(x * 2)
    >>> len(mx.autograd.get_symbol(y).list_arguments())
    1
    """
    from .graph.node import Node
    from .symbol.symbol import Symbol

    if not isinstance(x, NDArray):
        raise MXNetTypeError(f"get_symbol: expects an NDArray, got {type(x).__name__}")
    mark = x._ag
    if mark is None:
        raise MXNetError(
            "get_symbol: the array is not in a recorded graph; compute it inside "
            "autograd.record() from arrays with attach_grad()"
        )
    variables = {}

    def variable_entry(variable):
        if variable not in variables:
            variables[variable] = Node(None, variable.name)
        return (variables[variable], 0)

    if type(mark) is Variable:
        return Symbol([variable_entry(mark)])
    graph = {}
    for tape_node in _order(mark[0]):
        op = tape_node.op
        if not hasattr(op, "params"):
            raise MXNetError(
                f"get_symbol: the graph holds {op.name}, a custom autograd.Function, which "
                "a Symbol cannot express"
            )
        inputs = []
        for parent in tape_node.parents:
            if parent is None:
                inputs.append((Node(None, f"null{next(_variable_count)}"), 0))
            elif type(parent) is tuple:
                inputs.append((graph[parent[0]], parent[1]))
            else:
                inputs.append(variable_entry(parent))
        subgraphs = getattr(tape_node.p, "subgraphs", None)
        graph[tape_node] = Node(
            op,
            f"node_{tape_node.number}",
            _attrs(op, tape_node.p),
            tape_node.p,
            inputs,
            subgraphs.symbols if subgraphs is not None else (),
        )
    return Symbol([(graph[mark[0]], mark[1])])


def _order(head):
    """The tape nodes behind ``head``, inputs first (depth-first, inputs in order)."""
    order, seen, stack = [], {head}, [(head, 0)]
    while stack:
        node, next_parent = stack[-1]
        parents = node.parents
        if next_parent < len(parents):
            stack[-1] = (node, next_parent + 1)
            parent = parents[next_parent]
            if type(parent) is tuple and parent[0] not in seen:
                seen.add(parent[0])
                stack.append((parent[0], 0))
        else:
            stack.pop()
            order.append(node)
    return order
