"""``mx.sym``: build dataflow graphs of the registered operators (declarative programming).

Every operator of the registry is ``mx.sym.<name>`` (underscore names in ``mx.sym._internal``,
``_contrib_X`` as ``mx.sym.contrib.X``, ``_linalg_X`` as ``mx.sym.linalg.X``).
"""

from __future__ import annotations

import sys
import types

from .. import ops as _ops
from ..ndarray.ndarray import _FLUENT, _FLUENT_OPS
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

_internal = types.ModuleType(__name__ + "._internal", "Every operator, underscore names included.")
op = types.ModuleType(__name__ + ".op", "The public operators of mx.sym.")
contrib = types.ModuleType(__name__ + ".contrib", "Operators registered as _contrib_*.")
linalg = types.ModuleType(__name__ + ".linalg", "Operators registered as _linalg_*.")
image = types.ModuleType(__name__ + ".image", "Operators registered as _image_*.")
for _module in (_internal, op, contrib, linalg, image):
    sys.modules[_module.__name__] = _module
_PREFIXES = {"_contrib_": contrib, "_linalg_": linalg, "_image_": image}
symbol = sys.modules[__name__]


def _install(module_globals):
    for op_name, definition in _ops.REGISTRY.items():
        function = make_symbol_function(definition, op_name)
        setattr(_internal, op_name, function)
        prefix = next((pre for pre in _PREFIXES if op_name.startswith(pre)), None)
        if prefix is not None:
            # MXNet names these nodes after the short name: mx.sym.linalg.gemm2 -> gemm20.
            short = op_name[len(prefix) :]
            setattr(_PREFIXES[prefix], short, make_symbol_function(definition, op_name, short))
        elif not op_name.startswith("_"):
            setattr(op, op_name, function)
        module_globals.setdefault(op_name, function)


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


_install(globals())
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
