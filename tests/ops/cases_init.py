"""Cases of the creation operators (_zeros, _arange, _eye, ...), zeros_like and one_hot."""

import numpy as np

from .case import Case, ErrorCase, add, add_errors, fixed, floats, ints, none


def _const(value):
    return lambda: value


add(
    "_zeros",
    Case(none(), {"shape": [2, 3]}, _const(np.zeros((2, 3), "float32")), label="2d"),
    Case(none(), {"shape": [4], "dtype": "int32"}, _const(np.zeros(4, "int32")), label="int32"),
    Case(none(), {"shape": [1]}, _const(np.zeros(1, "float32")), label="one-element"),
    Case(none(), {"shape": [0, 3]}, label="zero-size"),
)
add(
    "_ones",
    Case(none(), {"shape": [2, 1, 3]}, _const(np.ones((2, 1, 3), "float32")), label="3d"),
    Case(
        none(), {"shape": [3], "dtype": "float16"}, _const(np.ones(3, "float16")), label="float16"
    ),
)
add(
    "_full",
    Case(
        none(), {"shape": [2, 3], "value": 2.5}, _const(np.full((2, 3), 2.5, "float32")), label="2d"
    ),
    Case(none(), {"shape": [3], "value": 2.7, "dtype": "int32"}, label="int32-truncates"),
    Case(none(), {"shape": [2], "value": 300.0, "dtype": "int8"}, label="int8-wrapping"),
    Case(none(), {"shape": [2], "value": -1.0, "dtype": "uint8"}, label="uint8-wrapping"),
)
add(
    "_arange",
    Case(none(), {"start": 5.0}, _const(np.arange(5, dtype="float32")), label="stop-only"),
    Case(
        none(),
        {"start": 1.0, "stop": 4.0, "step": 0.5},
        _const(np.arange(1, 4, 0.5, dtype="float32")),
        label="step",
    ),
    Case(
        none(),
        {"start": 5.0, "stop": 0.0, "step": -1.5},
        _const(np.array([5, 3.5, 2, 0.5], "float32")),
        label="negative-step",
    ),
    Case(
        none(),
        {"start": 0.0, "stop": 5.0, "step": 1.5, "repeat": 2},
        _const(np.repeat(np.arange(0, 5, 1.5, dtype="float32"), 2)),
        label="repeat",
    ),
    Case(
        none(),
        {"start": 0.0, "stop": 5.0, "step": 1.5, "dtype": "int32"},
        label="int32-fractional-step",
    ),
    Case(
        none(),
        {"start": 0.5, "stop": 5.0, "step": 1.0, "dtype": "int32"},
        label="int32-fractional-start",
    ),
    Case(
        none(), {"start": 0.0, "stop": 3000.0, "step": 700.0, "dtype": "float16"}, label="float16"
    ),
)
add_errors(
    "_arange",
    ErrorCase(none(), {"start": 0.0, "stop": 1.0, "step": 0.0}, match=r"_arange.*step"),
    ErrorCase(none(), {"start": 2.0, "stop": 1.0}, match=r"_arange.*empty"),
)
add(
    "_linspace",
    Case(
        none(),
        {"start": 0.0, "stop": 1.0, "num": 5},
        _const(np.linspace(0, 1, 5, dtype="float32")),
        label="endpoint",
    ),
    Case(
        none(),
        {"start": 0.0, "stop": 1.0, "num": 5, "endpoint": False},
        _const(np.linspace(0, 1, 5, endpoint=False).astype("float32")),
        label="no-endpoint",
    ),
    Case(none(), {"start": 0.0, "stop": 10.0, "num": 4, "dtype": "int32"}, label="int32"),
    Case(
        none(),
        {"start": 2.0, "stop": -1.0, "num": 1},
        _const(np.array([2.0], "float32")),
        label="one-element",
    ),
)
add(
    "_eye",
    Case(none(), {"N": 3}, _const(np.eye(3, dtype="float32")), label="square"),
    Case(
        none(),
        {"N": 3, "M": 4, "k": -1},
        _const(np.eye(3, 4, k=-1, dtype="float32")),
        label="k-below",
    ),
    Case(
        none(),
        {"N": 3, "M": 4, "k": 2, "dtype": "int32"},
        _const(np.eye(3, 4, k=2, dtype="int32")),
        label="k-above-int32",
    ),
    Case(none(), {"N": 3, "M": 4, "k": 5}, _const(np.zeros((3, 4), "float32")), label="k-outside"),
    Case(none(), {"N": 0}, label="zero-size"),
)
add_errors("_eye", ErrorCase(none(), {"N": -1}, match=r"_eye.*N"))
add_errors("_zeros", ErrorCase(none(), {"shape": [2, -3]}, match=r"_zeros.*negative"))
add_errors(
    "_full",
    ErrorCase(none(), {"shape": [2], "value": 1.0, "dtype": "float8"}, match=r"_full.*dtype"),
)

add(
    "zeros_like",
    Case(floats((2, 3)), reference=np.zeros_like, label="2d"),
    Case(ints((3,), dtype="int64"), reference=np.zeros_like, label="int64", grad=False),
)
add(
    "ones_like",
    Case(floats((2, 3, 1)), reference=np.ones_like, label="3d"),
    Case(fixed([1, 2], dtype="int8"), reference=np.ones_like, label="int8", grad=False),
)


def _one_hot(depth, on=1.0, off=0.0, dtype="float32"):
    def reference(indices):
        index = indices.astype(np.int64)
        result = np.full(indices.shape + (depth,), off, dtype=dtype)
        for position in np.ndindex(*indices.shape):
            if 0 <= index[position] < depth:
                result[position + (index[position],)] = on
        return result

    return reference


def _fractional_indices(rng):
    """Indices with fractional parts: one_hot truncates them, and a numeric step changes
    nothing, so the (zero) gradient can be checked."""
    return [
        (rng.integers(0, 4, size=(2, 3)) + rng.uniform(0.2, 0.8, size=(2, 3))).astype("float32")
    ]


add(
    "one_hot",
    Case(_fractional_indices, {"depth": 4}, _one_hot(4), label="fractional"),
    Case(fixed([-1.0, 0.0, 3.0, 5.0]), {"depth": 4}, _one_hot(4), label="out-of-range", grad=False),
    Case(
        fixed([1, 3, 2], dtype="int32"),
        {"depth": 3, "on_value": 5.5, "off_value": -1.5, "dtype": "int32"},
        label="int32-values",
        grad=False,
    ),
    Case(fixed([1.7, -0.5, 2.2]), {"depth": 3}, label="truncates", grad=False),
    Case(
        fixed([1.0, 0.0]),
        {"depth": 2, "on_value": 300.0, "dtype": "int8"},
        label="int8-wrapping",
        grad=False,
    ),
)
add_errors("one_hot", ErrorCase(floats((3,)), {"depth": 0}, match=r"one_hot.*depth"))
