"""Cases of the binary arithmetic and comparison operators (broadcast_*, elemwise_*)."""

import numpy as np

from .case import Case, ErrorCase, add, add_errors, apart, fixed, floats, ints, nonzero


def _mod(lhs, rhs):
    """MXNet's mod: the divisor's sign, and 0 where the divisor is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rhs == 0, 0, np.mod(lhs, rhs)).astype(lhs.dtype)


def _mod_pair(shape, rhs_shape, dtype="float32"):
    """lhs / rhs stays 0.2 away from integers, so mod has no jump within a numeric step."""

    def make(rng):
        rhs = rng.uniform(1.0, 2.0, size=rhs_shape) * rng.choice([-1.0, 1.0], size=rhs_shape)
        ratio = rng.integers(-3, 3, size=shape) + rng.uniform(0.2, 0.8, size=shape)
        return [(np.broadcast_to(rhs, shape) * ratio).astype(dtype), rhs.astype(dtype)]

    return make


def _positive_base(shape, rhs_shape):
    return lambda rng: [
        rng.uniform(0.5, 2.0, size=shape).astype("float32"),
        rng.uniform(-2.0, 2.0, size=rhs_shape).astype("float32"),
    ]


_ARITH = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "mod": _mod,
    "power": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
}


def _maker(name, lhs_shape, rhs_shape):
    if name == "div":
        return lambda rng: floats(lhs_shape)(rng) + nonzero(rhs_shape)(rng)
    if name == "mod":
        return _mod_pair(lhs_shape, rhs_shape)
    if name == "power":
        return _positive_base(lhs_shape, rhs_shape)
    if name in ("maximum", "minimum"):
        return apart(lhs_shape, rhs_shape)
    return floats(lhs_shape, rhs_shape)


# Integer inputs where MXNet's integer semantics show: division truncates toward zero, mod
# takes the divisor's sign, power goes through floating point (2 ** -1 == 0).
_INT_LHS = [[-7, 7, 5, -6], [9, -9, 0, 3]]
_INT_RHS = [[2, -2, 3, 4], [-4, 5, 7, -1]]
_INT_EXPONENT = [[2, 3, 0, -1], [1, 2, 3, 2]]

for _name, _reference in _ARITH.items():
    _op = f"broadcast_{_name}"
    add(
        _op,
        Case(_maker(_name, (2, 3), (2, 3)), reference=_reference, label="same-shape"),
        Case(_maker(_name, (2, 3), (1, 3)), reference=_reference, label="broadcast-rows"),
        Case(_maker(_name, (2, 3, 4), (3, 1)), reference=_reference, label="broadcast-3d"),
        Case(_maker(_name, (1,), (1,)), reference=_reference, label="one-element"),
        Case(
            fixed(_INT_LHS, _INT_EXPONENT if _name == "power" else _INT_RHS, dtype="int32"),
            label="int32",
            grad=False,
        ),
        Case(fixed([[1.5, -2.25]], [[0.5], [-3.0]], dtype="float16"), label="float16", grad=False),
        Case(fixed(np.zeros((0, 3)), np.zeros((0, 3))), label="zero-size", grad=False),
    )
    _elemwise = {
        "add": "elemwise_add",
        "sub": "elemwise_sub",
        "mul": "elemwise_mul",
        "div": "elemwise_div",
        "mod": "_mod",
        "power": "_power",
        "maximum": "_maximum",
        "minimum": "_minimum",
    }.get(_name)
    if _elemwise is not None:
        add(
            _elemwise,
            Case(_maker(_name, (2, 3), (2, 3)), reference=_reference, label="2d"),
            Case(_maker(_name, (1,), (1,)), reference=_reference, label="one-element"),
            Case(
                fixed(_INT_LHS, _INT_EXPONENT if _name == "power" else _INT_RHS, dtype="int32"),
                label="int32",
                grad=False,
            ),
        )
        add_errors(
            _elemwise,
            ErrorCase(floats((2, 3), (3, 2)), match=rf"{_elemwise}.*rhs.*\(3, 2\).*\(2, 3\)"),
        )
    add_errors(
        _op,
        ErrorCase(floats((2, 3), (4, 3)), match=rf"{_op}.*\(2, 3\).*\(4, 3\).*axis 0"),
        ErrorCase(floats((2, 3), (2, 3, 2)), match=rf"{_op}.*\(2, 3\).*\(2, 3, 2\)"),
    )

add(
    "broadcast_mod",
    Case(
        fixed([-7.5, 7.5, 5.0, 0.0], [2.0, -2.0, 0.0, 3.0]),
        reference=_mod,
        label="zero-divisor",
        grad=False,
    ),
)
add(
    "_mod",
    Case(
        fixed([-7.5, 7.5, 5.0, 0.0], [2.0, -2.0, 0.0, 3.0]),
        reference=_mod,
        label="zero-divisor",
        grad=False,
    ),
)
add(
    "_grad_add",
    Case(floats((2, 3), (2, 3)), reference=np.add, label="2d"),
    Case(floats((1,), (1,)), reference=np.add, label="one-element"),
    Case(fixed(_INT_LHS, _INT_RHS, dtype="int32"), reference=np.add, label="int32", grad=False),
)
add_errors("_grad_add", ErrorCase(floats((2, 3), (3, 2)), match=r"_grad_add.*rhs.*\(3, 2\)"))
add(
    "broadcast_mul",
    # Over 512 elements: the numeric gradient is checked along one random direction.
    Case(floats((24, 30), (1, 30)), reference=np.multiply, label="large", golden=False),
)
add(
    "broadcast_power",
    Case(fixed([[3, 7]], [[19], [5]], dtype="int64"), label="int64-large", grad=False),
)


def _compare(ufunc):
    return lambda lhs, rhs: ufunc(lhs, rhs).astype(lhs.dtype)


_COMPARE = {
    "equal": np.equal,
    "not_equal": np.not_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
    "lesser": np.less,
    "lesser_equal": np.less_equal,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
}
# Ties (and zeros, for the logical operators) make these piecewise-constant functions jump,
# so the numeric gradient is checked on inputs without them.
_TIES = fixed([[0.0, 1.0, 2.0], [-1.0, 0.0, 3.0]], [[0.0, 2.0, 2.0]])

for _name, _ufunc in _COMPARE.items():
    _reference = _compare(_ufunc)
    for _op in (f"broadcast_{_name}",) + (() if _name.startswith("logical") else (f"_{_name}",)):
        _broadcasts = _op.startswith("broadcast")
        add(
            _op,
            Case(
                apart((2, 3), (1, 3) if _broadcasts else (2, 3)),
                reference=_reference,
                label="no-ties",
            ),
            Case(
                _TIES if _broadcasts else fixed([[0.0, 1.0, 2.0]], [[0.0, 2.0, 2.0]]),
                reference=_reference,
                label="ties",
                grad=False,
            ),
            Case(fixed([[1, -2, 3]], [[1, 0, 4]], dtype="int32"), label="int32", grad=False),
            Case(fixed([1.5], [1.5]), reference=_reference, label="one-element", grad=False),
        )
        _shapes = r"\(2, 3\).*\(3, 2\)" if _broadcasts else r"rhs.*\(3, 2\).*\(2, 3\)"
        add_errors(_op, ErrorCase(floats((2, 3), (3, 2)), match=rf"{_op}.*{_shapes}"))

add(
    "broadcast_add",
    Case(ints((2, 3), (1, 3), dtype="int64"), reference=np.add, label="int64", grad=False),
    Case(fixed([[1, 2]], [[3], [4]], dtype="uint8"), reference=np.add, label="uint8", grad=False),
    Case(fixed([True, False], [True, True], dtype="bool"), label="bool", grad=False),
)
