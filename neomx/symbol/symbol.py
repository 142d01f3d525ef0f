"""``Symbol``: a handle on some outputs of a dataflow graph of registered operators.

A Symbol holds a list of entries ``(node, index)`` (neomx.graph.node). Operators applied to
Symbols add nodes (neomx.symbol.frontend); nothing runs until the graph is bound to devices
(``bind``/``simple_bind``) or evaluated (``eval``).
"""

from __future__ import annotations

import warnings

from .. import attribute
from ..base import (
    MXNetError,
    MXNetIndexError,
    MXNetNotImplementedError,
    MXNetTypeError,
    MXNetValueError,
    dtype_flag,
)
from ..graph.infer import infer_shapes, infer_types
from ..graph.node import Node, topo_order, variables

__all__ = ["Symbol", "Variable", "var", "Group"]


class Symbol:
    """Some outputs of a dataflow graph; build with ``mx.sym.var`` and ``mx.sym.<operator>``.

    >>> x = mx.sym.var('x')
    >>> y = mx.sym.FullyConnected(x, num_hidden=4, name='fc')
    >>> y.list_arguments()
    ['x', 'fc_weight', 'fc_bias']
    """

    __slots__ = ("_outputs", "__weakref__")
    # NumPy must hand ``array + symbol`` to Symbol.__radd__.
    __array_priority__ = 1000.0

    def __init__(self, outputs):
        self._outputs = list(outputs)

    # ---- identity ---------------------------------------------------------------------

    @property
    def name(self):
        """The node name when every output comes from one node; None for a group."""
        nodes = {id(node) for node, _ in self._outputs}
        if len(nodes) != 1:
            return None
        return self._outputs[0][0].name

    @property
    def handle(self):
        """This Symbol (MXNet code passes ``sym.handle`` around as an opaque token)."""
        return self

    def __repr__(self):
        name = self.name
        if name is not None:
            return f"<Symbol {name}>"
        return f"<Symbol group [{', '.join(node.name for node, _ in self._outputs)}]>"

    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (Symbol([entry]) for entry in self._outputs)

    def __getitem__(self, index):
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise MXNetValueError(f"Symbol: no output named {index!r}; outputs are {names}")
            if len(matches) > 1:
                raise MXNetValueError(f"Symbol: more than one output is named {index!r}")
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not isinstance(index, int):
            raise MXNetTypeError(
                f"Symbol: index must be an int, a str or a slice, got {type(index).__name__}"
            )
        if not -len(self._outputs) <= index < len(self._outputs):
            raise MXNetIndexError(
                f"Symbol: index {index} is out of range for {len(self._outputs)} output(s)"
            )
        return Symbol([self._outputs[index]])

    def __bool__(self):
        raise MXNetTypeError("Symbol: the truth value of a Symbol is undefined")

    def __hash__(self):
        return id(self)

    def __copy__(self):
        return self._deep_copy()

    def __deepcopy__(self, memo):
        return self._deep_copy()

    def copy(self):
        """Not available on Symbols, as in MXNet (use ``copy.deepcopy`` or ``__copy__``)."""
        _ndarray_only("copy")

    def asnumpy(self):
        """Not available on Symbols (NDArray only), as in MXNet."""
        _ndarray_only("asnumpy")

    def asscalar(self):
        """Not available on Symbols (NDArray only), as in MXNet."""
        _ndarray_only("asscalar")

    def as_in_context(self):
        """Not available on Symbols (NDArray only), as in MXNet."""
        _ndarray_only("as_in_context")

    def backward(self):
        """Not available on Symbols: bind an executor and call its ``backward``."""
        _ndarray_only("backward")

    def detach(self):
        """Not available on Symbols (NDArray only), as in MXNet."""
        _ndarray_only("detach")

    def wait_to_read(self):
        """Not available on Symbols (NDArray only), as in MXNet."""
        _ndarray_only("wait_to_read")

    def gradient(self, wrt):
        """Not implemented in MXNet 1.x either: bind an executor and call its ``backward``."""
        raise MXNetNotImplementedError(
            "Symbol.gradient is not implemented (as in MXNet 1.9.1); bind the Symbol and use "
            "the executor's backward"
        )

    def as_nd_ndarray(self):
        """Return this Symbol (already a legacy, non-NumPy Symbol)."""
        return self

    def _deep_copy(self):
        """Copy the graph: new nodes with the same operators, names and attributes."""
        mapping = {}
        for node in topo_order(self._outputs):
            clone = Node(node.op, node.name, node.attrs, node.p, subgraphs=node.subgraphs)
            clone.inputs = [(mapping[src], index) for src, index in node.inputs]
            mapping[node] = clone
        return Symbol([(mapping[node], index) for node, index in self._outputs])

    # ---- structure ----------------------------------------------------------------------

    def _nodes(self):
        return topo_order(self._outputs)

    def list_arguments(self):
        """Names of the arguments (inputs that are not auxiliary states), in graph order."""
        return [node.name for node in variables(self._nodes())[0]]

    def list_auxiliary_states(self):
        """Names of the auxiliary states (BatchNorm's moving statistics), in graph order."""
        return [node.name for node in variables(self._nodes())[1]]

    def list_inputs(self):
        """Names of all variables, arguments and auxiliary states, in graph order."""
        return [node.name for node in self._nodes() if node.op is None]

    def list_outputs(self):
        """Names of the outputs: ``<node>_output`` for operators, the name for variables."""
        return [node.output_name(index) for node, index in self._outputs]

    def get_internals(self):
        """Return a Symbol of every node's visible outputs, variables included, in graph order.

        >>> net = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='fc')
        >>> net.get_internals().list_outputs()
        ['x', 'fc_weight', 'fc_bias', 'fc_output']
        """
        entries = []
        for node in self._nodes():
            entries.extend((node, i) for i in range(node.num_visible_outputs()))
        return Symbol(entries)

    def get_children(self):
        """Return the inputs of this Symbol's nodes as one Symbol, or None when there are none
        (variables)."""
        entries, seen = [], set()
        for node, _ in self._outputs:
            if id(node) not in seen:
                seen.add(id(node))
                entries.extend(node.inputs)
        return Symbol(entries) if entries else None

    # ---- attributes ---------------------------------------------------------------------

    def attr(self, key):
        """Return the attribute ``key`` of this Symbol's node (None when unset)."""
        if self.name is None:
            raise MXNetValueError("attr: the Symbol must be the outputs of one node")
        attrs = self._outputs[0][0].attrs
        value = attrs.get(key)
        return value if value is not None else attrs.get(attribute.hidden_key(key))

    def list_attr(self, recursive=False):
        """Return this node's attributes (``recursive`` is deprecated: use ``attr_dict``).

        Hidden attributes appear twice, as stored (``__lr_mult__``) and plain (``lr_mult``).
        """
        if recursive:
            raise MXNetValueError(
                "list_attr: recursive=True is deprecated in MXNet 1.x; use attr_dict()"
            )
        if self.name is None:
            raise MXNetValueError("list_attr: the Symbol must be the outputs of one node")
        return _visible_attrs(self._outputs[0][0].attrs)

    def attr_dict(self):
        """Return {node name: attributes} for every node with attributes."""
        result = {}
        for node in self._nodes():
            if node.attrs:
                result[node.name] = _visible_attrs(node.attrs)
        return result

    def _set_attr(self, **kwargs):
        """Set string attributes on this Symbol's node."""
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise MXNetValueError(f"_set_attr: attribute {key!r} must be a string")
            for node, _ in self._outputs:
                node.attrs[attribute.hidden_key(key)] = value

    # ---- composition --------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        """Return a copy with variables replaced: positionally in ``list_arguments`` order or
        by name (``net(data=other)``)."""
        result = self._deep_copy()
        result._compose(*args, **kwargs)
        return result

    def _compose(self, *args, name=None, **kwargs):
        """Replace variables of this graph in place, as ``__call__`` does on a copy."""
        args_nodes = variables(self._nodes())[0]
        substitute = {}
        if args:
            # MXNet 1.9.1 composes a built graph by keyword only.
            raise MXNetTypeError(
                "compose: a Symbol's inputs are replaced by name only, e.g. net(data=other); "
                f"got {len(args)} positional argument(s)"
            )
        by_name = {node.name: node for node in args_nodes}
        for key, value in kwargs.items():
            if key not in by_name:
                raise MXNetValueError(
                    f"compose: keyword argument {key!r} is not an argument of the Symbol; "
                    f"candidates are {list(by_name)}"
                )
            substitute[by_name[key]] = _single_entry(value, key)
        if name is not None and len(self._outputs) == 1:
            self._outputs[0][0].name = name
        if not substitute:
            return
        for node in self._nodes():
            node.inputs = [
                substitute.get(src, (src, index)) if src.op is None else (src, index)
                for src, index in node.inputs
            ]
        self._outputs = [
            substitute.get(node, (node, index)) if node.op is None else (node, index)
            for node, index in self._outputs
        ]

    # ---- inference ----------------------------------------------------------------------

    def _given(self, what, args, kwargs, convert):
        nodes = self._nodes()
        arg_nodes = variables(nodes)[0]
        given = {}
        if args and kwargs:
            raise MXNetTypeError(f"{what}: give the inputs positionally or by name, not both")
        for node, value in zip(arg_nodes, args):
            if value is not None:
                given[node] = convert(value)
        by_name = {node.name: node for node in nodes if node.op is None}
        for key, value in kwargs.items():
            if key not in by_name:
                raise MXNetValueError(
                    f"{what}: {key!r} is not an input of the Symbol; inputs are {list(by_name)}"
                )
            if value is not None:
                given[by_name[key]] = convert(value)
        return nodes, given

    def _infer_shape(self, partial, args, kwargs):
        nodes, given = self._given("infer_shape", args, kwargs, _as_shape)
        table = _with_arguments("infer_shape", given, infer_shapes, nodes)
        arg_nodes, aux_nodes = variables(nodes)
        arg_shapes = [table.get((n, 0)) for n in arg_nodes]
        aux_shapes = [table.get((n, 0)) for n in aux_nodes]
        out_shapes = [table.get(entry) for entry in self._outputs]
        complete = all(_known(s) for s in arg_shapes + aux_shapes + out_shapes)
        if partial:
            unknown = ()
            return (
                [s if s is not None else unknown for s in arg_shapes],
                [s if s is not None else unknown for s in out_shapes],
                [s if s is not None else unknown for s in aux_shapes],
            )
        if not complete:
            missing = "".join(
                f"\n\t{n.name}: {s if s is not None else ()}"
                for n, s in zip(arg_nodes, arg_shapes)
                if not _known(s)
            )
            warnings.warn(
                "Cannot decide shape for the following arguments (0s in shape means unknown "
                f"dimensions). Consider providing them as input:{missing}",
                stacklevel=3,
            )
            return None, None, None
        return arg_shapes, out_shapes, aux_shapes

    def infer_shape(self, *args, **kwargs):
        """Infer the shapes of arguments, outputs and auxiliary states from given input shapes.

        Returns ``(arg_shapes, out_shapes, aux_shapes)``, or three Nones (with a warning)
        when the given shapes do not determine every shape.

        >>> net = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4)
        >>> net.infer_shape(x=(2, 3))
        ([(2, 3), (4, 3), (4,)], [(2, 4)], [])
        """
        return self._infer_shape(False, args, kwargs)

    def infer_shape_partial(self, *args, **kwargs):
        """As ``infer_shape``, but return what is known, unknown shapes as ``()``."""
        return self._infer_shape(True, args, kwargs)

    def _infer_type(self, partial, args, kwargs):
        nodes, given = self._given("infer_type", args, kwargs, _as_dtype)
        table = _with_arguments("infer_type", given, infer_types, nodes)
        arg_nodes, aux_nodes = variables(nodes)
        arg_types = [table.get((n, 0)) for n in arg_nodes]
        aux_types = [table.get((n, 0)) for n in aux_nodes]
        out_types = [table.get(entry) for entry in self._outputs]
        if not partial and any(t is None for t in arg_types + aux_types + out_types):
            missing = "".join(
                f"\n\t{n.name}: None" for n, t in zip(arg_nodes, arg_types) if t is None
            )
            warnings.warn(
                "Cannot decide type for the following arguments. Consider providing them as "
                f"input:{missing}",
                stacklevel=3,
            )
            return None, None, None
        to_type = lambda t: None if t is None else t.type  # noqa: E731
        return (
            [to_type(t) for t in arg_types],
            [to_type(t) for t in out_types],
            [to_type(t) for t in aux_types],
        )

    def infer_type(self, *args, **kwargs):
        """Infer the dtypes of arguments, outputs and auxiliary states from given input dtypes.

        >>> net = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4)
        >>> [t.__name__ for t in net.infer_type(x='float64')[1]]
        ['float64']
        """
        return self._infer_type(False, args, kwargs)

    def infer_type_partial(self, *args, **kwargs):
        """As ``infer_type``, but return what is known (None for unknown dtypes)."""
        return self._infer_type(True, args, kwargs)

    # ---- text ---------------------------------------------------------------------------

    def debug_str(self):
        """Return a readable listing of the graph's nodes, their inputs and attributes."""
        lines = ["Symbol Outputs:"]
        lines += [f"\toutput[{i}]={n.name}({k})" for i, (n, k) in enumerate(self._outputs)]
        nodes = self._nodes()
        # A variable's version counts the operators that write it (auxiliary states).
        written = {id(n.inputs[i][0]) for n in nodes for i in n.auxiliary_positions()}
        for node in nodes:
            if node.op is None:
                lines.append(f"Variable:{node.name}")
                continue
            lines.append("-" * 20)
            lines.append(f"Op:{node.op.name}, Name={node.name}")
            lines.append("Inputs:")
            for i, (src, index) in enumerate(node.inputs):
                version = ""
                if src.op is None:
                    version = f" version={int(id(src) in written)}"
                lines.append(f"\targ[{i}]={src.name}({index}){version}")
            if node.attrs:
                lines.append("Attrs:")
                lines.extend(f"\t{key}={value}" for key, value in sorted(node.attrs.items()))
        return "\n".join(lines) + "\n"


def _with_arguments(what, given, infer, nodes):
    """Run ``infer``; on failure add the given inputs to the message, as MXNet does."""
    try:
        return infer(nodes, given)
    except MXNetError as err:
        listed = "".join(f"\n  {node.name}: {value}" for node, value in given.items())
        raise type(err)(f"{err}\n{what} error. Arguments:{listed}") from err


def _ndarray_only(name):
    raise MXNetNotImplementedError(
        f"Function {name} is not implemented for Symbol and only available in NDArray."
    )


def _visible_attrs(attrs):
    shown = {}
    for key, value in attrs.items():
        shown[key] = value
        if key.startswith("__") and key.endswith("__") and key[2:-2] in attribute.HIDDEN_KEYS:
            shown[key[2:-2]] = value
    return shown


def _known(shape):
    return shape is not None and 0 not in shape


def _as_shape(value):
    if isinstance(value, int):
        return (value,)
    try:
        return tuple(int(d) for d in value)
    except TypeError:
        raise MXNetTypeError(
            f"infer_shape: a shape must be a tuple of ints, got {value!r}"
        ) from None


def _as_dtype(value):
    from ..base import dtype_np

    return dtype_np(value, where="infer_type")


def _single_entry(value, what):
    if not isinstance(value, Symbol):
        raise MXNetTypeError(f"compose: {what} must be a Symbol, got {type(value).__name__}")
    if len(value._outputs) != 1:
        raise MXNetValueError(
            f"compose: {what} has {len(value._outputs)} outputs; a Symbol with one output is needed"
        )
    return value._outputs[0]


def Variable(  # noqa: N802 - MXNet's name
    name,
    attr=None,
    shape=None,
    lr_mult=None,
    wd_mult=None,
    dtype=None,
    init=None,
    stype=None,
    **kwargs,
):
    """Create a variable: a named input of a graph (data, or a parameter to learn).

    Parameters
    ----------
    name : str
        The variable's name.
    attr : dict of str to str, optional
        Extra attributes.
    shape : tuple of int, optional
        Its shape (0 for an unknown dimension), used by shape inference.
    lr_mult, wd_mult : float, optional
        Learning-rate and weight-decay multipliers for optimizers.
    dtype : str or numpy dtype, optional
        Its dtype, used by type inference.
    init : Initializer or str, optional
        How ``Module`` initialises it.
    stype : str, optional
        Storage type ('default'; sparse types are accepted as attributes).
    **kwargs
        More attributes, each named ``__key__``.

    >>> mx.sym.var('x', shape=(2, 3)).infer_shape()[0]
    [(2, 3)]
    """
    if not isinstance(name, str):
        raise MXNetTypeError(f"Variable: name must be a str, got {type(name).__name__}")
    attrs = attribute.current().get(
        {attribute.hidden_key(k): _attr_string(k, v) for k, v in (attr or {}).items()}
    )
    if shape is not None:
        _as_shape(shape)  # validate; MXNet stores the value as given ("3", "(2, 3)")
        attrs["__shape__"] = str(shape)
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(dtype_flag(dtype))
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str(_STORAGE_TYPES.get(stype, stype))
    for key, value in kwargs.items():
        if not (key.startswith("__") and key.endswith("__")):
            raise MXNetValueError(
                f"Variable: attribute {key!r} must be of the form __{key}__ (double underscores)"
            )
        attrs[key] = str(value)
    return Symbol([(Node(None, name, attrs), 0)])


var = Variable

# MXNet's storage-type codes: default, row_sparse, csr.
_STORAGE_TYPES = {"default": 0, "row_sparse": 1, "csr": 2}


def _attr_string(key, value):
    if not isinstance(value, str):
        raise MXNetValueError(f"attribute {key!r} must be a string, got {type(value).__name__}")
    return value


def Group(symbols):  # noqa: N802 - MXNet's name
    """Return one Symbol with the outputs of all ``symbols``, in order.

    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> mx.sym.Group([a + b, a * b]).list_outputs()
    ['_plus0_output', '_mul0_output']
    """
    if not symbols or not all(isinstance(s, Symbol) for s in symbols):
        raise MXNetTypeError("Group: expects a non-empty list of Symbols")
    return Symbol([entry for s in symbols for entry in s._outputs])
