"""Python operators on Symbols, mapped to the operators MXNet 1.9.1 uses for them.

Unlike NDArray's, Symbol's ``+`` between two Symbols is ``elemwise_add`` (no broadcasting),
and the node names follow MXNet's hints (``_plus0``, ``_mulscalar0``, ``_rpower_scalar0``),
which saved symbol files and parameter names depend on.
"""

from __future__ import annotations

from numbers import Number

import numpy as np

from ..base import MXNetTypeError
from .frontend import apply_registered
from .symbol import Symbol

__all__ = ["attach_arithmetic"]

# method: (op with a Symbol, its name hint, op with a number, hint, op with a number on the
# left, hint). None: no such form.
_BINARY = {
    "add": ("elemwise_add", "_plus", "_plus_scalar", "_plusscalar", "_plus_scalar", "_plusscalar"),
    "sub": (
        "elemwise_sub",
        "_minus",
        "_minus_scalar",
        "_minusscalar",
        "_rminus_scalar",
        "_rminusscalar",
    ),
    "mul": ("elemwise_mul", "_mul", "_mul_scalar", "_mulscalar", "_mul_scalar", "_mulscalar"),
    "truediv": (
        "elemwise_div",
        "_div",
        "_div_scalar",
        "_divscalar",
        "_rdiv_scalar",
        "_rdivscalar",
    ),
    "mod": ("_mod", "_mod", "_mod_scalar", "_modscalar", "_rmod_scalar", "_rmodscalar"),
    "pow": (
        "_power",
        "_power",
        "_power_scalar",
        "_powerscalar",
        "_rpower_scalar",
        "_rpower_scalar",
    ),
}
# Comparisons; Python turns ``1 < x`` into ``x > 1``, which is what MXNet records too.
_COMPARE = {
    "eq": "_equal",
    "ne": "_not_equal",
    "gt": "_greater",
    "ge": "_greater_equal",
    "lt": "_lesser",
    "le": "_lesser_equal",
}


def _is_number(value):
    return isinstance(value, (Number, np.generic)) and not isinstance(value, bool | np.bool_)


def _binary(method, symbol_op, symbol_hint, scalar_op, scalar_hint, reflected_op, reflected_hint):
    def forward(self, other):
        if isinstance(other, Symbol):
            return apply_registered(symbol_op, symbol_hint, [self, other])
        if _is_number(other):
            return apply_registered(scalar_op, scalar_hint, [self], {"scalar": other})
        raise MXNetTypeError(f"Symbol.__{method}__: unsupported operand {type(other).__name__}")

    def reflected(self, other):
        if _is_number(other):
            return apply_registered(reflected_op, reflected_hint, [self], {"scalar": other})
        raise MXNetTypeError(f"Symbol.__r{method}__: unsupported operand {type(other).__name__}")

    forward.__name__ = f"__{method}__"
    reflected.__name__ = f"__r{method}__"
    return forward, reflected


def _comparison(method, op_name):
    def compare(self, other):
        if isinstance(other, Symbol):
            return apply_registered(op_name, op_name, [self, other])
        if _is_number(other):
            return apply_registered(
                f"{op_name}_scalar", f"{op_name}_scalar", [self], {"scalar": other}
            )
        raise MXNetTypeError(f"Symbol.__{method}__: unsupported operand {type(other).__name__}")

    compare.__name__ = f"__{method}__"
    return compare


def _neg(self):
    return apply_registered("_mul_scalar", "_mulscalar", [self], {"scalar": -1.0})


def _abs(self):
    return apply_registered("abs", "abs", [self])


def attach_arithmetic():
    """Give Symbol its Python operators."""
    for method, names in _BINARY.items():
        forward, reflected = _binary(method, *names)
        setattr(Symbol, f"__{method}__", forward)
        setattr(Symbol, f"__r{method}__", reflected)
    Symbol.__div__ = Symbol.__truediv__
    Symbol.__rdiv__ = Symbol.__rtruediv__
    for method, op_name in _COMPARE.items():
        setattr(Symbol, f"__{method}__", _comparison(method, op_name))
    Symbol.__neg__ = _neg
    Symbol.__abs__ = _abs
    # Defining __eq__ removes the inherited hash; Symbols hash by identity as in MXNet.
    Symbol.__hash__ = object.__hash__
