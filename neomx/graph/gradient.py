"""The symbolic backward graph: the registry's gradient definitions traced into graph nodes.

An executor knows every shape and dtype when it binds, so it runs each operator's
``gradient(p, F, inputs, outputs, dy)`` once with ``F`` a tracing namespace: ``F.dot(a, b)``
adds a ``dot`` node whose inputs are the entries ``a`` and ``b`` stand for and returns a value
carrying the inferred shape and dtype. The result is one graph of registry operators, forward
and backward together, that the executor plans and runs as a program. The gradients are the
very definitions autograd applies (``neomx.ops.gradient.input_gradients``, broadcast reduction
included), so the two agree.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetError, MXNetTypeError
from ..ops.frontend import bind_arguments
from ..ops.gradient import input_gradients
from ..ops.registry import REGISTRY
from .node import Node, topo_order

__all__ = ["Traced", "Tracer", "Backward", "build_backward"]


class Traced:
    """A value of the graph being built: an entry with its concrete shape and dtype.

    It offers what gradient definitions may read of an array (``shape``, ``dtype``,
    ``ndim``, ``size``), never its values.
    """

    __slots__ = ("entry", "shape", "np_dtype")

    def __init__(self, entry, shape, np_dtype):
        self.entry = entry
        self.shape = tuple(shape)
        self.np_dtype = np.dtype(np_dtype)

    @property
    def dtype(self):
        # As NDArray.dtype: the scalar type (np.float32), not the np.dtype.
        return self.np_dtype.type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    def __repr__(self):
        node, index = self.entry
        return f"<Traced {node.output_name(index)} {self.shape} {self.np_dtype}>"


class Tracer:
    """The ``F`` a gradient definition runs with: ``F.<operator>(...)`` adds graph nodes.

    ``shapes`` and ``dtypes`` ({entry: value}) receive the shape and dtype of every output
    of a node added; ``nodes`` lists the nodes in the order they were added (a topological
    order). New nodes are named ``<prefix><operator><count>``.
    """

    def __init__(self, shapes, dtypes, prefix="backward_"):
        self.shapes = shapes
        self.dtypes = dtypes
        self.nodes: list[Node] = []
        self.prefix = prefix
        self.attrs: dict = {}
        self._functions: dict = {}

    def value(self, entry) -> Traced:
        """The traced value of an existing entry."""
        return Traced(entry, self.shapes[entry], self.dtypes[entry])

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        function = self._functions.get(name)
        if function is None:
            op = REGISTRY.get(name)
            if op is None:
                raise AttributeError(f"no operator named {name!r} is registered")

            def function(*args, **kwargs):
                return self.call(op, name, args, kwargs)

            self._functions[name] = function
        return function

    def call(self, op, public_name, args, kwargs):
        """Add a node running ``op``; return its visible output(s) as Traced values."""
        slots, p, given = bind_arguments(op, public_name, list(args), dict(kwargs))
        inputs = []
        for key, value in slots:
            if not isinstance(value, Traced):
                raise MXNetTypeError(
                    f"{public_name}: input '{key}' of a traced gradient must be a graph value, "
                    f"got {type(value).__name__}"
                )
            inputs.append(value)
        shapes = [x.shape for x in inputs]
        dtypes = [x.np_dtype for x in inputs]
        out_shapes = op.check_shapes(p, shapes)
        out_types = op.infer_type(p, *dtypes)[1]
        from ..symbol.frontend import attr_string

        attrs = {key: attr_string(value) for key, value in given.items()}
        attrs.update(self.attrs)
        node = Node(
            op,
            f"{self.prefix}{public_name}{len(self.nodes)}",
            attrs,
            p,
            [x.entry for x in inputs],
        )
        self.nodes.append(node)
        results = []
        for i, (shape, dtype) in enumerate(zip(out_shapes, out_types)):
            entry = (node, i)
            self.shapes[entry] = tuple(shape)
            self.dtypes[entry] = np.dtype(dtype)
            results.append(Traced(entry, shape, dtype))
        visible = op.num_visible_outputs(p)
        return results[0] if visible == 1 else results[:visible]


class Backward:
    """What ``build_backward`` made.

    Attributes
    ----------
    head_grads : list of (Node or None)
        One variable per forward output that a gradient flows from (None for the rest).
    grads : dict
        {argument Node: entry of its gradient, or None where no gradient reaches it}.
    labels : dict
        {entry: name} for the input gradients of each forward node, named as MXNet's
        monitor names them (``fc_backward_output1``).
    nodes : list of Node
        The nodes added, in a topological order.
    """

    def __init__(self, head_grads, grads, labels, nodes):
        self.head_grads = head_grads
        self.grads = grads
        self.labels = labels
        self.nodes = nodes


def _needed_nodes(nodes, wanted):
    """The forward nodes through which a gradient flows from a wanted variable."""
    needed = set()
    for node in nodes:
        if node.op is None:
            if node in wanted:
                needed.add(node)
        elif any(src in needed for src, _ in node.inputs):
            needed.add(node)
    return needed


def _sum(F, values):
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return F.elemwise_add(values[0], values[1])
    return F.add_n(*values)


def build_backward(outputs, shapes, dtypes, wanted) -> Backward:
    """Trace the backward graph of the forward graph ending at ``outputs``.

    ``shapes``/``dtypes`` map every forward entry to its shape and dtype (and receive the
    new entries'); ``wanted`` are the argument variable Nodes that need a gradient.
    """
    nodes = topo_order(outputs)
    needed = _needed_nodes(nodes, set(wanted))
    F = Tracer(shapes, dtypes)
    pending: dict = {}
    head_grads = []
    for k, entry in enumerate(outputs):
        if entry[0] not in needed:
            head_grads.append(None)
            continue
        head = Node(None, f"_head_grad_{k}")
        shapes[(head, 0)] = shapes[entry]
        dtypes[(head, 0)] = dtypes[entry]
        head_grads.append(head)
        pending.setdefault(entry, []).append(F.value((head, 0)))
    labels = {}
    for node in reversed(nodes):
        if node.op is None or node not in needed:
            continue
        n_out = node.num_outputs()
        gathered = [pending.pop((node, i), None) for i in range(n_out)]
        if all(g is None for g in gathered):
            continue
        dys = [None if g is None else _sum(F, g) for g in gathered]
        outs = [F.value((node, i)) for i in range(n_out)]
        # As autograd (_fill_visible): visible outputs without a gradient get zeros.
        for i in range(node.num_visible_outputs()):
            if dys[i] is None:
                dys[i] = F.zeros_like(outs[i])
        ins = [F.value(entry) for entry in node.inputs]
        F.prefix = f"{node.name}_backward_"
        # As MXNet, a gradient runs in its forward node's ctx_group (model parallelism).
        group = node.attrs.get("__ctx_group__")
        F.attrs = {} if group is None else {"__ctx_group__": group}
        try:
            in_grads = input_gradients(node.op, node.p, ins, outs, dys, F)
        except MXNetError as err:
            raise type(err)(f"backward of {node.op.name} '{node.name}': {err}") from err
        single = sum(g is not None for g in in_grads) == 1
        for i, (entry, grad) in enumerate(zip(node.inputs, in_grads)):
            if grad is None or entry[0] not in needed:
                continue
            if not isinstance(grad, Traced):
                raise MXNetError(
                    f"backward of {node.op.name} '{node.name}': gradient {i} is a "
                    f"{type(grad).__name__}, not a graph value"
                )
            labels.setdefault(
                grad.entry, f"{node.name}_backward_output" + ("" if single else str(i))
            )
            pending.setdefault(entry, []).append(grad)
    grads = {}
    for variable in wanted:
        values = pending.pop((variable, 0), None)
        grads[variable] = None if values is None else _sum(F, values).entry
    return Backward(head_grads, grads, labels, F.nodes)
