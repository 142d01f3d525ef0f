"""Symbol JSON: ``Symbol.tojson``/``save`` and ``mx.sym.load``/``load_json`` (FORMATS.md §2).

Writing reproduces MXNet 1.9.1's text byte for byte: its JSON writer (dmlc) indents by two
spaces per open scope, puts ``", "`` before the line break that separates items, keeps an
object or array on one line when it is a small one (a map of at most one key; an array of at
most ten plain values) and writes map keys sorted and unescaped. Reading accepts every older
variant and upgrades it as MXNet's loader does (§2.4, in neomx.symbol.json_upgrade).
"""

from __future__ import annotations

import json
import os
import warnings
import weakref

from ..base import MXNetTypeError, MXNetValueError
from ..graph.node import Node, topo_order
from ..ops.registry import REGISTRY
from .json_upgrade import LEGACY_OPS, MXNET_VERSION, upgrade
from .symbol import Symbol

__all__ = ["tojson", "save", "load", "load_json", "MXNET_VERSION"]

# A file without "mxnet_version" counts as written by MXNet 0.8.0.
_OLDEST_VERSION = 800

# Entry versions read from a file, per node: ((id of source node, output index, version), ...).
# Versions of graphs built in neomx are recomputed as MXNet assigns them when composing.
_LOADED_VERSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# ---- writing ------------------------------------------------------------------------------


class _Writer:
    """MXNet's (dmlc's) JSON writer: where it breaks lines and how it escapes strings."""

    def __init__(self):
        self.parts: list[str] = []
        self.scopes: list[list] = []  # [multi_line, items written]

    def begin(self, bracket: str, multi_line: bool) -> None:
        self.parts.append(bracket)
        self.scopes.append([multi_line, 0])

    def end(self, bracket: str) -> None:
        multi_line, count = self.scopes.pop()
        if multi_line and count:
            self.parts.append("\n" + "  " * len(self.scopes))
        self.parts.append(bracket)

    def item(self) -> None:
        scope = self.scopes[-1]
        if scope[1]:
            self.parts.append(", ")
        if scope[0]:
            self.parts.append("\n" + "  " * len(self.scopes))
        scope[1] += 1

    def key(self, key: str) -> None:
        self.item()
        # dmlc writes object keys as they are, without escaping.
        self.parts.append(f'"{key}": ')

    def string(self, text: str) -> None:
        self.parts.append('"' + text.translate(_ESCAPES) + '"')

    def number(self, value: int) -> None:
        self.parts.append(str(int(value)))

    def int_array(self, values) -> None:
        self.begin("[", len(values) > 10)
        for value in values:
            self.item()
            self.number(value)
        self.end("]")

    def entries(self, entries) -> None:
        self.begin("[", len(entries) > 10)
        for entry in entries:
            self.item()
            self.begin("[", False)
            for value in entry:
                self.item()
                self.number(value)
            self.end("]")
        self.end("]")

    def string_map(self, mapping: dict) -> None:
        self.begin("{", len(mapping) > 1)
        for key in sorted(mapping):
            self.key(key)
            self.string(str(mapping[key]))
        self.end("}")

    def text(self) -> str:
        return "".join(self.parts)


_ESCAPES = str.maketrans({"\r": "\\r", "\n": "\\n", "\\": "\\\\", "\t": "\\t", '"': '\\"'})


def _mutable_positions(node: Node) -> set[int]:
    """Inputs the node's operator writes (MXNet's FMutateInputs): aux states, optimizer states."""
    if node.op is None:
        return set()
    positions = set(node.auxiliary_positions())
    if node.op.mutates:
        names = node.op.arguments(node.p)
        positions.update(
            i for i in node.op.mutated_inputs(node.p) if names[i] not in node.op.undeclared_writes
        )
    return positions


def _entry_versions(nodes) -> dict:
    """{id(node): [version of each input entry]}, as MXNet numbers them.

    NOTE: MXNet counts, per variable, the operators composed so far that write it (BatchNorm's
    moving_mean): such an input is stored with the new count, any other use of the variable
    with the count at that time. Nodes are visited in graph order, which is the order they were
    composed in for graphs built front to back; versions read from a file are kept.
    """
    counts: dict[int, int] = {}
    versions = {}
    for node in nodes:
        stored = _LOADED_VERSIONS.get(node)
        if stored is not None and len(stored) == len(node.inputs):
            matches = all(
                (id(src), index) == saved[:2] for (src, index), saved in zip(node.inputs, stored)
            )
            if matches:
                versions[id(node)] = [saved[2] for saved in stored]
                continue
        mutable = _mutable_positions(node)
        row = []
        for position, (src, _) in enumerate(node.inputs):
            if src.op is not None:
                row.append(0)
            elif position in mutable:
                counts[id(src)] = counts.get(id(src), 0) + 1
                row.append(counts[id(src)])
            else:
                row.append(counts.get(id(src), 0))
        versions[id(node)] = row
    return versions


def _write_graph(writer: _Writer, outputs, graph_attrs) -> None:
    nodes = topo_order(outputs)
    index = {id(node): i for i, node in enumerate(nodes)}
    versions = _entry_versions(nodes)
    row_ptr = [0]
    for node in nodes:
        row_ptr.append(row_ptr[-1] + node.num_outputs())
    writer.begin("{", True)
    writer.key("nodes")
    writer.begin("[", True)
    for node in nodes:
        writer.item()
        writer.begin("{", True)
        writer.key("op")
        writer.string("null" if node.op is None else node.op.name)
        writer.key("name")
        writer.string(node.name)
        if node.attrs:
            writer.key("attrs")
            writer.string_map(node.attrs)
        writer.key("inputs")
        row = versions[id(node)]
        writer.entries([(index[id(src)], i, v) for (src, i), v in zip(node.inputs, row)])
        if node.subgraphs:
            writer.key("subgraphs")
            writer.begin("[", True)
            for subgraph in node.subgraphs:
                writer.item()
                _write_graph(writer, _outputs_of(subgraph), None)
            writer.end("]")
        writer.end("}")
    writer.end("]")
    writer.key("arg_nodes")
    writer.int_array([i for i, node in enumerate(nodes) if node.op is None])
    writer.key("node_row_ptr")
    writer.int_array(row_ptr)
    writer.key("heads")
    writer.entries([(index[id(node)], i, 0) for node, i in outputs])
    if graph_attrs:
        writer.key("attrs")
        writer.begin("{", len(graph_attrs) > 1)
        for key in sorted(graph_attrs):
            type_name, value = graph_attrs[key]
            writer.key(key)
            writer.begin("[", False)
            writer.item()
            writer.string(type_name)
            writer.item()
            writer.number(value)
            writer.end("]")
        writer.end("}")
    writer.end("}")


def _outputs_of(subgraph):
    return subgraph._outputs if isinstance(subgraph, Symbol) else list(subgraph)


def _remove_amp_cast(outputs):
    """A copy of the graph with amp_cast/amp_multicast nodes bypassed, as MXNet's
    RemoveAmpCast pass does (the heads themselves are left as they are)."""
    if not any(node.op is not None and node.op.name in _AMP_CASTS for node in topo_order(outputs)):
        return outputs
    copy = Symbol(outputs)._deep_copy()._outputs
    for node in topo_order(copy):
        rewired = []
        for src, index in node.inputs:
            if src.op is not None and src.op.name == "amp_cast":
                rewired.append(src.inputs[0])
            elif src.op is not None and src.op.name == "amp_multicast":
                rewired.append(src.inputs[index])
            else:
                rewired.append((src, index))
        node.inputs = rewired
    return copy


_AMP_CASTS = ("amp_cast", "amp_multicast")


def tojson(self, remove_amp_cast=True) -> str:
    """Return the graph as MXNet 1.9.1's symbol JSON text (the bytes ``save`` writes).

    Parameters
    ----------
    remove_amp_cast : bool, default True
        Leave out the ``amp_cast``/``amp_multicast`` nodes that mixed precision inserted.

    >>> print(mx.sym.var('x').tojson()[:40])
    {
      "nodes": [
        {
          "op": "null",
    """
    outputs = _remove_amp_cast(self._outputs) if remove_amp_cast else self._outputs
    writer = _Writer()
    _write_graph(writer, outputs, {"mxnet_version": ("int", MXNET_VERSION)})
    return writer.text()


def save(self, fname, remove_amp_cast=True) -> None:
    """Write the graph to ``fname`` as symbol JSON (atomically: a temporary file, renamed).

    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc')
    >>> net.save('fc-symbol.json')  # doctest: +SKIP
    """
    if not isinstance(fname, (str, os.PathLike)):
        raise MXNetTypeError(f"Symbol.save: fname must be a str, got {type(fname).__name__}")
    from ..ndarray.serialization import _write_atomically

    text = self.tojson(remove_amp_cast=remove_amp_cast)
    _write_atomically(os.fspath(fname), [text.encode("utf-8")])


# ---- reading ------------------------------------------------------------------------------


def load(fname) -> Symbol:
    """Load a Symbol from a symbol JSON file (``*-symbol.json``) written by MXNet or neomx.

    >>> net = mx.sym.load('model-symbol.json')  # doctest: +SKIP
    """
    if not isinstance(fname, (str, os.PathLike)):
        raise MXNetTypeError(f"sym.load: fname must be a str, got {type(fname).__name__}")
    try:
        with open(fname, "rb") as stream:
            data = stream.read()
    except OSError as err:
        from ..base import MXNetOSError

        raise MXNetOSError(f"sym.load: cannot read {os.fspath(fname)!r}: {err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MXNetValueError(f"sym.load: {os.fspath(fname)!r} is not UTF-8 text: {err}") from None
    return _load(text, f"sym.load({os.fspath(fname)!r})")


def load_json(json_str) -> Symbol:
    """Load a Symbol from symbol JSON text (what ``Symbol.tojson`` returns).

    >>> net = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4, name='fc')
    >>> mx.sym.load_json(net.tojson()).list_arguments()
    ['x', 'fc_weight', 'fc_bias']
    """
    if isinstance(json_str, (bytes, bytearray)):
        json_str = bytes(json_str).decode("utf-8")
    if not isinstance(json_str, str):
        raise MXNetTypeError(f"load_json: expected a str, got {type(json_str).__name__}")
    return _load(json_str, "load_json")


def _load(text: str, where: str) -> Symbol:
    try:
        graph = json.loads(text)
    except json.JSONDecodeError as err:
        raise MXNetValueError(f"{where}: malformed symbol JSON: {err}") from None
    if not isinstance(graph, dict):
        raise MXNetValueError(f"{where}: symbol JSON must be an object, got {type(graph).__name__}")
    version = _file_version(graph, where)
    if version > MXNET_VERSION:
        warnings.warn(
            f"{where}: the symbol was saved by MXNet version {_version_text(version)}, newer than "
            f"the {_version_text(MXNET_VERSION)} that neomx reads; it may not load correctly",
            stacklevel=3,
        )
    return Symbol(_build_graph(graph, version, where))


def _version_text(version: int) -> str:
    return f"{version // 10000}.{version // 100 % 100}.{version % 100}"


def _file_version(graph: dict, where: str) -> int:
    attrs = graph.get("attrs", {})
    if not isinstance(attrs, dict):
        raise MXNetValueError(f"{where}: 'attrs' of the graph must be an object")
    stored = attrs.get("mxnet_version")
    if stored is None:
        return _OLDEST_VERSION
    if isinstance(stored, list) and len(stored) == 2 and isinstance(stored[1], int):
        return stored[1]
    raise MXNetValueError(f"{where}: 'mxnet_version' must be [\"int\", <version>], got {stored!r}")


def _field(obj: dict, key: str, kind, where: str):
    if key not in obj:
        raise MXNetValueError(f"{where}: missing required key {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise MXNetValueError(f"{where}: {key!r} must be a {kind.__name__}, got {value!r}")
    return value


def _entry(value, count: int, where: str) -> tuple[int, int, int]:
    """An entry [node, index] or [node, index, version] checked against ``count`` nodes."""
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise MXNetValueError(f"{where}: an entry must be [node, index(, version)], got {value!r}")
    node_id, index = value[0], value[1]
    if not 0 <= node_id < count:
        raise MXNetValueError(
            f"{where}: entry {value!r} refers to node {node_id}, but there are {count}"
        )
    return node_id, index, value[2] if len(value) == 3 else 0


def _lookup_op(op_name: str, node_name: str, where: str):
    op = REGISTRY.get(op_name) or REGISTRY.get(LEGACY_OPS.get(op_name, ""))
    if op is None:
        raise MXNetValueError(
            f"{where}: node {node_name!r} uses operator {op_name!r}, which neomx does not have"
        )
    return op


def _string_attrs(record: dict, where: str) -> dict:
    """Node attributes; files before MXNet 0.9 split them into "param" and "attr"."""
    attrs = {}
    for key in ("param", "attr", "attrs"):
        values = record.get(key)
        if values is None:
            continue
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise MXNetValueError(f"{where}: {key!r} must be an object of strings, got {values!r}")
        attrs.update(values)
    return attrs


def _build_graph(graph, version: int, where: str):
    """The output entries of a graph object, upgraded from ``version`` as MXNet does."""
    if not isinstance(graph, dict):
        raise MXNetValueError(f"{where}: a graph must be a JSON object, got {graph!r}")
    records = _field(graph, "nodes", list, where)
    heads = _field(graph, "heads", list, where)
    nodes = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise MXNetValueError(f"{where}: node {i} must be an object, got {record!r}")
        name = _field(record, "name", str, f"{where}: node {i}")
        op_name = _field(record, "op", str, f"{where}: node {name!r}")
        op = None if op_name == "null" else _lookup_op(op_name, name, where)
        subgraphs = [
            Symbol(_build_graph(sub, version, f"{where}: subgraph of {name!r}"))
            for sub in record.get("subgraphs") or ()
        ]
        nodes.append(
            Node(op, name, _string_attrs(record, f"{where}: node {name!r}"), subgraphs=subgraphs)
        )
    for node, record in zip(nodes, records):
        stored = []
        for value in _field(record, "inputs", list, f"{where}: node {node.name!r}"):
            node_id, index, entry_version = _entry(
                value, len(nodes), f"{where}: node {node.name!r}"
            )
            node.inputs.append((nodes[node_id], index))
            stored.append((id(nodes[node_id]), index, entry_version))
        _LOADED_VERSIONS[node] = tuple(stored)
    outputs = []
    for value in heads:
        node_id, index, _ = _entry(value, len(nodes), f"{where}: heads")
        outputs.append((nodes[node_id], index))
    order = topo_order(outputs)
    for node, added in upgrade(order, version, where).items():
        _LOADED_VERSIONS[node] += tuple((id(variable), 0, 0) for variable in added)
    readers = [(node.name, node.inputs) for node in order] + [("heads", outputs)]
    for reader, entries in readers:
        for src, index in entries:
            if not 0 <= index < src.num_outputs():
                raise MXNetValueError(
                    f"{where}: {reader!r} reads output {index} of {src.name!r}, which has "
                    f"{src.num_outputs()} output(s)"
                )
    return outputs


def attach() -> None:
    """Make ``tojson`` and ``save`` methods of Symbol."""
    Symbol.tojson = tojson
    Symbol.save = save


attach()
