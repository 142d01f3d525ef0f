"""``mx.nd``: NDArray, creation functions and one function per registered operator."""

from __future__ import annotations

import sys
import types

from .. import ops as _ops
from ..engine import waitall
from ..ops.frontend import make_function
from . import random  # noqa: F401 - mx.nd.random
from .arith import (
    add,
    divide,
    equal,
    greater,
    greater_equal,
    lesser,
    lesser_equal,
    logical_and,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    modulo,
    multiply,
    not_equal,
    power,
    subtract,
    true_divide,
)
from .creation import (
    arange,
    array,
    empty,
    eye,
    from_dlpack,
    from_numpy,
    full,
    linspace,
    ones,
    to_dlpack_for_read,
    to_dlpack_for_write,
    zeros,
)
from .helpers import concatenate, histogram, moveaxis, onehot_encode, split_v2
from .ndarray import NDArray
from .serialization import load, load_frombuffer, save

_internal = types.ModuleType(__name__ + "._internal", "Every operator, underscore names included.")
op = types.ModuleType(__name__ + ".op", "The public operators of mx.nd.")
contrib = types.ModuleType(__name__ + ".contrib", "Operators registered as _contrib_*.")
linalg = types.ModuleType(__name__ + ".linalg", "Operators registered as _linalg_*.")
image = types.ModuleType(__name__ + ".image", "Operators registered as _image_*.")
for _module in (_internal, op, contrib, linalg, image):
    sys.modules[_module.__name__] = _module
# MXNet files operators under a namespace by a name prefix: _contrib_X is mx.nd.contrib.X.
_PREFIXES = {"_contrib_": contrib, "_linalg_": linalg, "_image_": image}
# MXNet generates mx.nd.linalg's functions into mx.nd.gen_linalg; both offer the same names.
gen_linalg = linalg


def _install(module_globals):
    """Put a front-end function for every registered operator name into the namespaces."""
    for op_name, definition in _ops.REGISTRY.items():
        function = make_function(definition, op_name)
        setattr(_internal, op_name, function)
        prefix = next((pre for pre in _PREFIXES if op_name.startswith(pre)), None)
        if prefix is not None:
            setattr(_PREFIXES[prefix], op_name[len(prefix) :], function)
        elif not op_name.startswith("_"):
            setattr(op, op_name, function)
        # Gradient definitions call every operator as F.<name>, underscore names included.
        module_globals.setdefault(op_name, function)


_install(globals())
# mx.<nd|sym>.contrib.foreach / while_loop / cond: Python functions, not operators.
from . import control_flow as _control_flow  # noqa: E402

for _function in (_control_flow.foreach, _control_flow.while_loop, _control_flow.cond):
    setattr(contrib, _function.__name__, _function)
# mx.nd.contrib.adamw_update etc.: MXNet's Python wrappers of the _*adamw_update operators.
from . import contrib_update as _contrib_update  # noqa: E402

for _name in _contrib_update.__all__:
    setattr(contrib, _name, getattr(_contrib_update, _name))

__all__ = [
    "NDArray",
    "array",
    "empty",
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "from_numpy",
    "from_dlpack",
    "to_dlpack_for_read",
    "to_dlpack_for_write",
    "save",
    "load",
    "load_frombuffer",
    "waitall",
    "histogram",
    "split_v2",
    "moveaxis",
    "concatenate",
    "onehot_encode",
    "add",
    "subtract",
    "multiply",
    "divide",
    "true_divide",
    "modulo",
    "power",
    "maximum",
    "minimum",
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "lesser",
    "lesser_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
]


def Custom(*data, **kwargs):  # noqa: N802 - MXNet's name
    """Apply a Python operator registered with ``mx.operator.register`` (see ``mx.operator``)."""
    from ..operator import Custom as custom  # mx.operator sits above ndarray: import on call

    return custom(*data, **kwargs)
