"""``mx.sym``: build dataflow graphs of the registered operators (declarative programming).

Every operator of the registry is ``mx.sym.<name>`` (underscore names in ``mx.sym._internal``,
``_contrib_X`` as ``mx.sym.contrib.X``, ``_linalg_X`` as ``mx.sym.linalg.X``).
"""

from __future__ import annotations

import sys

from .. import ops as _ops
from ..ndarray.ndarray import _FLUENT, _FLUENT_OPS
from ..ops.frontend import install_namespaces
from .arith import attach_arithmetic
from .binding import attach_executor_methods
from .creation import (
    arange,
    eye,
    full,
    histogram,
    hypot,
    linspace,
    maximum,
    minimum,
    ones,
    pow,  # noqa: A004 - MXNet's name
    power,
    split_v2,
    zeros,
)
from .frontend import make_symbol_function
from .json import load, load_json
from .symbol import Group, Symbol, Variable, var

symbol = sys.modules[__name__]


def _fluent(function, method_name):
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = method_name
    method.__doc__ = f"Call ``mx.sym.{function.__name__}`` with this Symbol as its first input."
    return method


def _attach_fluent():
    names = {name: name for name in (*_FLUENT, "reshape", "broadcast_to", "astype")}
    names.update(_FLUENT_OPS)
    names["astype"] = "Cast"
    for method_name, op_name in names.items():
        if op_name in _ops.REGISTRY and not hasattr(Symbol, method_name):
            function = make_symbol_function(_ops.REGISTRY[op_name], op_name)
            setattr(Symbol, method_name, _fluent(function, method_name))


# MXNet names the nodes of prefixed namespaces after the short name: mx.sym.linalg.gemm2 -> gemm20.
_modules = install_namespaces(__name__, make_symbol_function, globals(), make_symbol_function)
_internal, op, contrib, linalg, image = (
    _modules[name] for name in ("_internal", "op", "contrib", "linalg", "image")
)
# mx.<nd|sym>.contrib.foreach / while_loop / cond: Python functions, not operators.
from . import control_flow as _control_flow  # noqa: E402
from . import random  # noqa: E402 - needs the operators installed

for _function in (_control_flow.foreach, _control_flow.while_loop, _control_flow.cond):
    setattr(contrib, _function.__name__, _function)
# mx.sym.contrib.adamw_update etc.: MXNet's Python wrappers of the _*adamw_update operators.
from . import contrib_update as _contrib_update  # noqa: E402

for _name in _contrib_update.__all__:
    setattr(contrib, _name, getattr(_contrib_update, _name))
attach_arithmetic()
_attach_fluent()
attach_executor_methods()

__all__ = [
    "Symbol",
    "Variable",
    "var",
    "Group",
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "pow",
    "power",
    "maximum",
    "minimum",
    "hypot",
    "histogram",
    "split_v2",
    "random",
    "load",
    "load_json",
    "op",
    "contrib",
    "linalg",
]
