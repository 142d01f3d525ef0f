"""Upgrading symbol JSON from older MXNet versions, as MXNet 1.9.1's loader does (FORMATS.md
§2.4), and parsing the operator parameters of loaded nodes."""

from __future__ import annotations

from ..base import MXNetError, MXNetValueError
from ..graph.node import Node
from .frontend import apply_input_var_attrs

__all__ = ["MXNET_VERSION", "LEGACY_OPS", "upgrade", "parse_params"]

# major * 10000 + minor * 100 + patch of the MXNet release whose files neomx writes.
MXNET_VERSION = 10901

# NOTE: MXNet's kHiddenKeys, in its order: the upgrade of files older than 1.9.1 matches keys
# against them in this order.
HIDDEN_KEYS = (
    "ctx_group",
    "lr_mult",
    "wd_mult",
    "force_mirroring",
    "mirror_stage",
    "profiler_scope",
)

# Names MXNet 1.9.1 still accepts for old files that neomx's registry does not list (the
# CamelCase comparison names of MXNet 0.x), mapped to the registered operator.
LEGACY_OPS = {
    "_Greater_Equal": "_greater_equal",
    "_Lesser_Equal": "_lesser_equal",
    "_Not_Equal": "_not_equal",
    "_Hypot": "_hypot",
    "_HypotScalar": "_hypot_scalar",
    "_Logical_And": "_logical_and",
    "_Logical_Or": "_logical_or",
    "_Logical_Xor": "_logical_xor",
    "_LogicalAndScalar": "_logical_and_scalar",
    "_LogicalOrScalar": "_logical_or_scalar",
    "_LogicalXorScalar": "_logical_xor_scalar",
}


def upgrade(order, version: int, where: str) -> dict:
    """Parse the parameters of the nodes ``order`` (graph order) loaded from a file of MXNet
    ``version``, upgrading them first as MXNet does; return {node: variables added to it}."""
    if version < MXNET_VERSION:
        for node in order:
            _fix_hidden_keys(node, where)
    for node in order:
        parse_params(node, where)
    added = {}
    if version < 900:
        for node in order:
            variables = _add_missing_inputs(node)
            if variables:
                added[node] = variables
    if version < 904:
        for node in order:
            apply_input_var_attrs(node)
    if version < 905:
        for node in order:
            if node.op is not None and node.op.name in ("argmax", "argmin"):
                if node.attrs.get("axis") == "-1":
                    del node.attrs["axis"]
                    parse_params(node, where)
    return added


def _fix_hidden_keys(node: Node, where: str) -> None:
    """Upgrade hidden keys stored without underscores (files before 1.9.1, FORMATS.md §2.4):
    ``lr_mult`` becomes ``__lr_mult__``; ``weight_lr_mult`` on an operator moves to its
    ``weight`` variable as ``__lr_mult__``. Other keys ending in a hidden name stay."""
    moved = {}
    for key in list(node.attrs):
        for hidden in HIDDEN_KEYS:
            pos = key.rfind(hidden)
            if pos == 0 or (pos != -1 and pos == len(key) - len(hidden)):
                moved[key] = node.attrs.pop(key)
                break
    # As MXNet, parse without them first: the input names can depend on the parameters.
    parse_params(node, where)
    for key, value in moved.items():
        target = None
        for hidden in HIDDEN_KEYS:
            pos = key.rfind(hidden)
            if pos == 0 and key == hidden:
                target, key = node, f"__{hidden}__"
                break
            if pos > 1 and pos == len(key) - len(hidden):
                if node.op is not None:
                    names = node.input_names()
                    i = names.index(key[: pos - 1]) if key[: pos - 1] in names else len(names)
                    if i < len(node.inputs) and node.inputs[i][0].op is None:
                        target, key = node.inputs[i][0], f"__{hidden}__"
                break
        (target or node).attrs[key] = value


def parse_params(node: Node, where: str) -> None:
    """Set ``node.p`` from the attributes that are its operator's parameters; the others
    (``__ctx_group__``, user attributes) stay attributes only."""
    if node.op is None:
        return
    fields = node.op.params.fields
    given = {key: value for key, value in node.attrs.items() if key in fields}
    try:
        node.p = node.op.params.parse(node.op.name, given)
    except MXNetError as err:
        raise MXNetValueError(f"{where}: node {node.name!r}: {err}") from None
    if node.subgraphs:
        # Control-flow operators run their subgraphs from a hidden parameter.
        from ..ops.control_flow import attach_subgraphs

        attach_subgraphs(node)


def _add_missing_inputs(node: Node) -> list:
    """Files before MXNet 0.9 did not store auxiliary states: add the variables, named
    ``<node>_<input>`` and carrying the node's attributes, as MXNet's upgrade does."""
    if node.op is None or node.op.variadic:
        return []
    names = node.op.arguments(node.p)
    added = [Node(None, f"{node.name}_{name}", node.attrs) for name in names[len(node.inputs) :]]
    node.inputs.extend((variable, 0) for variable in added)
    return added
