"""``mx.viz``: a layer table (``print_summary``) and a Graphviz drawing (``plot_network``) of a
Symbol, the same text and the same DOT source as MXNet 1.9.1 prints and builds.

``plot_network`` needs the optional ``graphviz`` package (``pip install 'neomx[viz]'``); it only
builds the ``graphviz.Digraph``. Rendering it (``.render()``, ``.view()``) needs Graphviz's
``dot`` program, which is the user's business.
"""

from __future__ import annotations

import re
import warnings

from .base import MXNetError, MXNetTypeError, MXNetValueError
from .graph.node import topo_order
from .symbol.symbol import Symbol

__all__ = ["print_summary", "plot_network"]

# Fill colours of plot_network's boxes, by kind of layer (MXNet 1.9.1's palette).
_COLOR_INPUT = "#8dd3c7"
_COLOR_WEIGHTED = "#fb8072"  # Convolution, FullyConnected
_COLOR_ACTIVATION = "#ffffb3"
_COLOR_NORM = "#bebada"
_COLOR_POOLING = "#80b1d3"
_COLOR_RESHAPE = "#fdb462"  # Concat, Flatten, Reshape
_COLOR_SOFTMAX = "#b3de69"
_COLOR_OTHER = "#fccde5"

# Variables whose names end so are parameters, hidden from the plot with hide_weights=True.
_WEIGHT_SUFFIXES = (
    "_weight",
    "_bias",
    "_beta",
    "_gamma",
    "_moving_var",
    "_moving_mean",
    "_running_var",
    "_running_mean",
)

_DEFAULT_NODE_ATTRS = {
    "shape": "box",
    "fixedsize": "true",
    "width": "1.3",
    "height": "0.8034",
    "style": "filled",
}


class VizImportError(MXNetError, ImportError):
    """An optional package that ``mx.viz`` needs (graphviz) is not installed."""


def _op_name(node) -> str:
    """The operator name symbol JSON records: ``null`` for a variable."""
    return "null" if node.op is None else node.op.name


def _numbers(text: str) -> list[str]:
    """The integers written in a tuple parameter such as ``'(3, 3)'``, as strings."""
    return re.findall(r"\d+", text)


def _check_symbol(function: str, symbol) -> None:
    if not isinstance(symbol, Symbol):
        raise MXNetTypeError(f"{function}: symbol must be a Symbol, got {type(symbol).__name__}")


def _shape_table(function: str, symbol: Symbol, shape: dict) -> dict:
    """{internal output name: shape} of every node, from the given input shapes."""
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape(**shape)
    if out_shapes is None:
        raise MXNetValueError(
            f"{function}: Input shape is incomplete: the shapes {shape} do not determine the "
            f"shapes of every node; give the shapes of all of {symbol.list_arguments()}"
        )
    return dict(zip(internals.list_outputs(), out_shapes))


def _type_table(function: str, symbol: Symbol, dtype: dict) -> dict:
    """{internal output name: numpy scalar type} of every node, from the given input dtypes."""
    internals = symbol.get_internals()
    _, out_types, _ = internals.infer_type(**dtype)
    if out_types is None:
        raise MXNetValueError(
            f"{function}: Input type is incomplete: the dtypes {dtype} do not determine the "
            f"dtypes of every node; give the dtypes of all of {symbol.list_arguments()}"
        )
    return dict(zip(internals.list_outputs(), out_types))


def _output_key(node) -> str:
    # MXNet's viz looks a node up as '<name>_output' (a variable: its name), even for nodes
    # with several outputs; those then have no shape in the table.
    return node.name if node.op is None else node.name + "_output"


def _trailing_dims(table: dict, key: str) -> list | None:
    """The shape under ``key`` without its batch axis, or None when the table lacks it."""
    shape = table.get(key)
    return None if shape is None else list(shape[1:])


def _format_row(fields, positions) -> str:
    """One table row: field ``i`` ends at column ``positions[i]``, cut or padded to it."""
    line = ""
    for field, stop in zip(fields, positions):
        line = (line + str(field))[:stop]
        line += " " * (stop - len(line))
    return line


def _layer_params(node, input_width: int, table: dict | None) -> int:
    """The parameter count MXNet 1.9.1's print_summary shows for one layer.

    ``input_width`` is the sum of the first non-batch dimension of the previous layers (the
    channels, or the features of a 2-d input), which is what MXNet counts weights from.
    """
    attrs = node.attrs
    op = _op_name(node)
    has_bias = attrs.get("no_bias") != "True"
    if op == "Convolution":
        num_filter = int(attrs["num_filter"])
        count = input_width * num_filter // int(attrs.get("num_group", "1"))
        for size in _numbers(attrs["kernel"]):
            count *= int(size)
        return count + (num_filter if has_bias else 0)
    if op == "FullyConnected":
        return (input_width + (1 if has_bias else 0)) * int(attrs["num_hidden"])
    if op == "BatchNorm":
        # gamma and beta; the moving statistics are auxiliary states, not parameters.
        dims = _trailing_dims(table, _output_key(node)) if table is not None else None
        return 2 * int(dims[0]) if dims else 0
    if op == "Embedding":
        return int(attrs["input_dim"]) * int(attrs["output_dim"])
    return 0


def print_summary(symbol, shape=None, line_length=120, positions=(0.44, 0.64, 0.74, 1.0)):
    """Print a table of the layers of ``symbol``: output shape, parameter count, inputs.

    Parameters
    ----------
    symbol : Symbol
        The network to describe.
    shape : dict of str to tuple, optional
        Shapes of the inputs; with them the table shows each layer's output shape (without
        the batch axis) and counts the weights of Convolution, FullyConnected and BatchNorm.
    line_length : int
        Width of the table in characters.
    positions : sequence of float or int
        Where each of the four columns ends: fractions of ``line_length`` when the last one is
        at most 1, else absolute columns.

    Examples
    --------
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc')
    >>> mx.viz.print_summary(net, shape={'data': (1, 3)}, line_length=60)  # doctest: +SKIP
    """
    _check_symbol("print_summary", symbol)
    table = _shape_table("print_summary", symbol, shape) if shape is not None else None
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    nodes = topo_order(symbol._outputs)
    index = {id(node): i for i, node in enumerate(nodes)}
    # MXNet 1.9.1 takes the first head entry of the symbol JSON, [node, output, version], as a
    # set of node positions: a variable at one of those positions is shown as a layer input.
    head, head_output = symbol._outputs[0]
    heads = {index[id(head)], head_output, 0}

    print("_" * line_length)
    print(_format_row(("Layer (type)", "Output Shape", "Param #", "Previous Layer"), positions))
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node.op is None and i > 0:
            continue  # node 0 is always in heads (the version 0), so it is shown
        previous, input_width = [], 0
        for source, _ in node.inputs:
            if source.op is None and index[id(source)] not in heads:
                continue
            previous.append(source.name)
            dims = _trailing_dims(table, _output_key(source)) if table is not None else None
            if dims:
                input_width += int(dims[0])
        dims = _trailing_dims(table, _output_key(node)) if table is not None else None
        params = _layer_params(node, input_width, table)
        total += params
        name = f"{node.name}({_op_name(node)})"
        out_shape = "x".join(str(d) for d in dims or ())
        print(_format_row((name, out_shape, params, previous[0] if previous else ""), positions))
        for other in previous[1:]:
            print(_format_row(("", "", "", other), positions))
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print(f"Total params: {total}")
    print("_" * line_length)


def _import_digraph():
    try:
        from graphviz import Digraph
    except ImportError as err:
        raise VizImportError(
            "plot_network needs the graphviz Python package; install it with "
            "pip install 'neomx[viz]' (or pip install graphviz). Rendering the returned "
            "Digraph also needs Graphviz's dot program."
        ) from err
    return Digraph


def _node_style(node) -> tuple[str, str]:
    """(label, fill colour) of an operator node's box."""
    attrs = node.attrs
    op = _op_name(node)
    if op == "Convolution":
        kernel = "x".join(_numbers(attrs["kernel"]))
        stride = "x".join(_numbers(attrs["stride"])) if "stride" in attrs else "1"
        return f"Convolution\n{kernel}/{stride}, {attrs['num_filter']}", _COLOR_WEIGHTED
    if op == "FullyConnected":
        return f"FullyConnected\n{attrs['num_hidden']}", _COLOR_WEIGHTED
    if op == "BatchNorm":
        return node.name, _COLOR_NORM
    if op == "Activation":
        return f"Activation\n{attrs['act_type']}", _COLOR_ACTIVATION
    if op == "LeakyReLU":
        return f"LeakyReLU\n{attrs.get('act_type', 'Leaky')}", _COLOR_ACTIVATION
    if op == "Pooling":
        kernel = "x".join(_numbers(attrs["kernel"])) if "kernel" in attrs else "[]"
        stride = "x".join(_numbers(attrs["stride"])) if "stride" in attrs else "1"
        # NOTE: MXNet 1.9.1 fails on a Pooling without pool_type; 'max' is the default.
        return f"Pooling\n{attrs.get('pool_type', 'max')}, {kernel}/{stride}", _COLOR_POOLING
    if op in ("Concat", "Flatten", "Reshape"):
        return node.name, _COLOR_RESHAPE
    if op == "Softmax":
        return node.name, _COLOR_SOFTMAX
    if op == "Custom":
        return attrs["op_type"], _COLOR_OTHER
    return node.name, _COLOR_OTHER


def _edge_key(source, index: int, table: dict) -> str:
    """The table entry MXNet 1.9.1 labels an edge from ``source`` with."""
    if source.op is None:
        return source.name
    key = source.name + "_output"
    # MXNet uses the last output of a node with num_outputs, whichever output the edge reads.
    if "num_outputs" in source.attrs:
        key += str(int(source.attrs["num_outputs"]) - 1)
    # MXNet 1.9.1 raises KeyError for other multi-output nodes; use the output the edge reads.
    return key if key in table else source.output_name(index)


def plot_network(
    symbol,
    title="plot",
    save_format="pdf",
    shape=None,
    dtype=None,
    node_attrs=None,
    hide_weights=True,
):
    """Build a Graphviz drawing of the computation graph of ``symbol``.

    Parameters
    ----------
    symbol : Symbol
        The network to draw.
    title : str
        Name of the graph (and of the file ``render`` writes).
    save_format : str
        Output format of ``render`` (``'pdf'``, ``'png'``, ``'svg'``...).
    shape : dict of str to tuple, optional
        Input shapes; with them each edge is labelled with the shape flowing along it
        (without the batch axis).
    dtype : dict of str to dtype, optional
        Input dtypes; with them each edge label also names the dtype, as ``(float32)``.
    node_attrs : dict, optional
        Graphviz attributes for the boxes, overriding the defaults
        (e.g. ``{"shape": "oval", "fixedsize": "false"}``).
    hide_weights : bool
        Leave out the parameter variables (``*_weight``, ``*_bias``, BatchNorm's ``*_gamma``,
        ``*_beta`` and moving statistics). With False they appear as plain nodes.

    Returns
    -------
    graphviz.Digraph
        The drawing; ``.source`` is its DOT text, ``.render()``/``.view()`` need ``dot``.

    Examples
    --------
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc')
    >>> dot = mx.viz.plot_network(net, shape={'data': (1, 3)})
    >>> print(dot.source)  # doctest: +SKIP
    """
    digraph_class = _import_digraph()
    _check_symbol("plot_network", symbol)
    shapes = _shape_table("plot_network", symbol, shape) if shape is not None else None
    types = _type_table("plot_network", symbol, dtype) if dtype is not None else None
    nodes = topo_order(symbol._outputs)
    names = [node.name for node in nodes]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        warnings.warn(
            "plot_network: several nodes share a name, so the drawing may join them or show "
            f"a cycle; rename them to tell them apart. Repeated names: {','.join(repeated)}",
            RuntimeWarning,
            stacklevel=2,
        )
    base_attrs = dict(_DEFAULT_NODE_ATTRS)
    base_attrs.update(node_attrs or {})
    dot = digraph_class(name=title, format=save_format)

    hidden = set()
    for node in nodes:
        attrs = dict(base_attrs)
        if node.op is None:
            if node.name.endswith(_WEIGHT_SUFFIXES):
                # Not drawn either way; with hide_weights=False its edges still are, so
                # Graphviz draws it as a plain node.
                if hide_weights:
                    hidden.add(node.name)
                continue
            attrs["shape"] = "oval"
            label, attrs["fillcolor"] = node.name, _COLOR_INPUT
        else:
            label, attrs["fillcolor"] = _node_style(node)
        dot.node(name=node.name, label=label, **attrs)

    for node in nodes:
        if node.op is None:
            continue
        inputs = node.inputs
        if node.op.name == "_contrib_BilinearResize2D":
            inputs = inputs[:1]  # MXNet draws only its data input
        for source, index in inputs:
            if source.name in hidden:
                continue
            attrs = {"dir": "back", "arrowtail": "open", "label": ""}
            if shapes is not None:
                dims = shapes[_edge_key(source, index, shapes)][1:]
                attrs["label"] = "x".join(str(d) for d in dims)
            if types is not None:
                attrs["label"] += f"({types[_edge_key(source, index, types)].__name__})"
            dot.edge(tail_name=node.name, head_name=source.name, **attrs)
    return dot
