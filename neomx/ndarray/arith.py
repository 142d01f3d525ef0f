"""``mx.nd.add``, ``maximum``, ``equal`` and the other binary functions of arrays and numbers.

Each dispatches on what it is given, as MXNet 1.9.1's do: two NDArrays go to the
broadcasting operator (``broadcast_add``), an NDArray and a number to the scalar operator
(``_plus_scalar``, or its reflected form such as ``_rminus_scalar`` when the number comes
first), and two numbers are computed in Python (comparisons give 1 or 0).
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from ..base import MXNetTypeError
from ..ops.frontend import make_function
from ..ops.registry import lookup
from .ndarray import NDArray

__all__ = [
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


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, np.ndarray)


def _function(name, array_op, scalar_op, reflected_op, python, doc, arg_names=("lhs", "rhs")):
    """Build ``mx.nd.<name>(lhs, rhs)``; ``reflected_op`` serves ``number (op) array``."""
    on_arrays = make_function(lookup(array_op), array_op)
    on_scalar = make_function(lookup(scalar_op), scalar_op)
    on_reflected = make_function(lookup(reflected_op), reflected_op)

    def function(lhs, rhs):
        if isinstance(lhs, NDArray):
            if isinstance(rhs, NDArray):
                return on_arrays(lhs, rhs)
            if _is_number(rhs):
                return on_scalar(lhs, scalar=float(rhs), is_int=isinstance(rhs, int))
        elif _is_number(lhs):
            if isinstance(rhs, NDArray):
                return on_reflected(rhs, scalar=float(lhs), is_int=isinstance(lhs, int))
            if _is_number(rhs):
                return python(lhs, rhs)
        lhs_ok = isinstance(lhs, NDArray) or _is_number(lhs)
        which, value = (arg_names[1], rhs) if lhs_ok else (arg_names[0], lhs)
        raise MXNetTypeError(
            f"{name}: {which} must be an NDArray or a number, got {type(value).__name__}"
        )

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _doc(summary, example, arg_names="lhs, rhs"):
    return f"""{summary}

    Two NDArrays broadcast against each other; a number combines with every element (cast to
    the array's dtype first); two numbers give a Python number.

    Parameters
    ----------
    {arg_names} : NDArray or number
        The operands.

    Returns
    -------
    NDArray or number

    Examples
    --------
    >>> {example}
    """


def _comparison(name, op_name, reflected, test, text, example):
    """A comparison: 1 where ``test`` holds, else 0 (in the array's dtype). With the number
    first, the scalar operator's comparison flips (2 > x is x < 2)."""
    return _function(
        name,
        f"broadcast_{op_name}",
        f"_{op_name}_scalar",
        f"_{reflected}_scalar",
        lambda lhs, rhs: 1 if test(lhs, rhs) else 0,
        _doc(f"Return 1 where ``{text}`` and 0 elsewhere, element by element.", example),
    )


add = _function(
    "add",
    "broadcast_add",
    "_plus_scalar",
    "_plus_scalar",
    operator.add,
    _doc(
        "Add the arguments element by element.",
        "mx.nd.add(mx.nd.array([1, 2]), 3).asnumpy()\n    array([4., 5.], dtype=float32)",
    ),
)
subtract = _function(
    "subtract",
    "broadcast_sub",
    "_minus_scalar",
    "_rminus_scalar",
    operator.sub,
    _doc(
        "Subtract ``rhs`` from ``lhs`` element by element.",
        "mx.nd.subtract(3, mx.nd.array([1, 2])).asnumpy()\n    array([2., 1.], dtype=float32)",
    ),
)
multiply = _function(
    "multiply",
    "broadcast_mul",
    "_mul_scalar",
    "_mul_scalar",
    operator.mul,
    _doc(
        "Multiply the arguments element by element.",
        "mx.nd.multiply(mx.nd.array([1, 2]), 3).asnumpy()\n    array([3., 6.], dtype=float32)",
    ),
)
divide = _function(
    "divide",
    "broadcast_div",
    "_div_scalar",
    "_rdiv_scalar",
    operator.truediv,
    _doc(
        "Divide ``lhs`` by ``rhs`` element by element (integer arrays truncate).",
        "mx.nd.divide(1, mx.nd.array([2, 4])).asnumpy()\n    array([0.5 , 0.25], dtype=float32)",
    ),
)
true_divide = _function(
    "true_divide",
    "broadcast_div",
    "_div_scalar",
    "_rdiv_scalar",
    operator.truediv,
    _doc(
        "Divide ``lhs`` by ``rhs`` element by element (the same as ``divide``).",
        "mx.nd.true_divide(mx.nd.array([1, 2]), 4).asnumpy()\n"
        "    array([0.25, 0.5 ], dtype=float32)",
    ),
)
modulo = _function(
    "modulo",
    "broadcast_mod",
    "_mod_scalar",
    "_rmod_scalar",
    operator.mod,
    _doc(
        "Return ``lhs mod rhs`` element by element (the result has the divisor's sign).",
        "mx.nd.modulo(mx.nd.array([-3, 5]), 4).asnumpy()\n    array([1., 1.], dtype=float32)",
    ),
)
power = _function(
    "power",
    "broadcast_power",
    "_power_scalar",
    "_rpower_scalar",
    operator.pow,
    _doc(
        "Raise ``base`` to the power ``exp`` element by element.",
        "mx.nd.power(2, mx.nd.array([1, 3])).asnumpy()\n    array([2., 8.], dtype=float32)",
        "base, exp",
    ),
    arg_names=("base", "exp"),
)
maximum = _function(
    "maximum",
    "broadcast_maximum",
    "_maximum_scalar",
    "_maximum_scalar",
    lambda lhs, rhs: lhs if lhs > rhs else rhs,
    _doc(
        "Return the larger argument element by element.",
        "mx.nd.maximum(2, mx.nd.array([1, 3])).asnumpy()\n    array([2., 3.], dtype=float32)",
    ),
)
minimum = _function(
    "minimum",
    "broadcast_minimum",
    "_minimum_scalar",
    "_minimum_scalar",
    lambda lhs, rhs: lhs if lhs < rhs else rhs,
    _doc(
        "Return the smaller argument element by element.",
        "mx.nd.minimum(2, mx.nd.array([1, 3])).asnumpy()\n    array([1., 2.], dtype=float32)",
    ),
)
equal = _comparison(
    "equal",
    "equal",
    "equal",
    operator.eq,
    "lhs == rhs",
    "mx.nd.equal(mx.nd.array([1, 2]), 2).asnumpy()\n    array([0., 1.], dtype=float32)",
)
not_equal = _comparison(
    "not_equal",
    "not_equal",
    "not_equal",
    operator.ne,
    "lhs != rhs",
    "mx.nd.not_equal(mx.nd.array([1, 2]), 2).asnumpy()\n    array([1., 0.], dtype=float32)",
)
greater = _comparison(
    "greater",
    "greater",
    "lesser",
    operator.gt,
    "lhs > rhs",
    "mx.nd.greater(2, mx.nd.array([1, 2])).asnumpy()\n    array([1., 0.], dtype=float32)",
)
greater_equal = _comparison(
    "greater_equal",
    "greater_equal",
    "lesser_equal",
    operator.ge,
    "lhs >= rhs",
    "mx.nd.greater_equal(2, mx.nd.array([1, 3])).asnumpy()\n    array([1., 0.], dtype=float32)",
)
lesser = _comparison(
    "lesser",
    "lesser",
    "greater",
    operator.lt,
    "lhs < rhs",
    "mx.nd.lesser(mx.nd.array([1, 2]), 2).asnumpy()\n    array([1., 0.], dtype=float32)",
)
lesser_equal = _comparison(
    "lesser_equal",
    "lesser_equal",
    "greater_equal",
    operator.le,
    "lhs <= rhs",
    "mx.nd.lesser_equal(mx.nd.array([1, 3]), 2).asnumpy()\n    array([1., 0.], dtype=float32)",
)
logical_and = _comparison(
    "logical_and",
    "logical_and",
    "logical_and",
    lambda a, b: bool(a) and bool(b),
    "lhs and rhs",
    "mx.nd.logical_and(mx.nd.array([0, 2]), 1).asnumpy()\n    array([0., 1.], dtype=float32)",
)
logical_or = _comparison(
    "logical_or",
    "logical_or",
    "logical_or",
    lambda a, b: bool(a) or bool(b),
    "lhs or rhs",
    "mx.nd.logical_or(mx.nd.array([0, 2]), 0).asnumpy()\n    array([0., 1.], dtype=float32)",
)
logical_xor = _comparison(
    "logical_xor",
    "logical_xor",
    "logical_xor",
    lambda a, b: bool(a) != bool(b),
    "lhs xor rhs",
    "mx.nd.logical_xor(mx.nd.array([0, 2]), 1).asnumpy()\n    array([1., 0.], dtype=float32)",
)
