"""``mx.nd``: NDArray, creation functions and one function per registered operator."""

from __future__ import annotations

from ..engine import waitall
from ..ops.frontend import install_namespaces, make_function
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

_modules = install_namespaces(__name__, make_function, globals())
_internal, op, contrib, linalg, image = (
    _modules[name] for name in ("_internal", "op", "contrib", "linalg", "image")
)
# MXNet generates mx.nd.linalg's functions into mx.nd.gen_linalg; both offer the same names.
gen_linalg = linalg
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
