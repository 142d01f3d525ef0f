"""Cases of the random operators (_random_*, _random_*_like, _sample_*, _sample_multinomial,
_shuffle) and of _backward_sample_multinomial.

Random operators are in ``RANDOM``: their references give only the shape and dtype a draw must
have (see case.py); their golden cases record MXNet's shapes, dtypes and errors. Distributions
are checked in tests/ndarray/test_random.py.
"""

import numpy as np

from .case import MIXED_DTYPES_OK, RANDOM, Case, ErrorCase, add, add_errors, floats, ints, none

# _random_<name>: (parameters for the "params" cases, [(bad parameters, match)]).
DISTRIBUTIONS = {
    "uniform": ({"low": -2.0, "high": 3.0}, [({"low": 2.0, "high": 1.0}, "low")]),
    "normal": ({"loc": 1.5, "scale": 2.0}, [({"scale": 0.0}, "scale"), ({"scale": -1.0}, "scale")]),
    "gamma": ({"alpha": 2.0, "beta": 0.5}, [({"alpha": -1.0}, "alpha"), ({"beta": 0.0}, "beta")]),
    "exponential": ({"lam": 2.0}, [({"lam": 0.0}, "lam")]),
    "poisson": ({"lam": 3.5}, [({"lam": -1.0}, "lam")]),
    "negative_binomial": ({"k": 3, "p": 0.4}, [({"k": -1}, "k")]),
    "generalized_negative_binomial": (
        {"mu": 2.0, "alpha": 0.3},
        [({"mu": -1.0}, "mu"), ({"alpha": -0.5}, "alpha")],
    ),
}
# _sample_<name>: the input makers of the parameter arrays (values each distribution takes).
SAMPLE_INPUTS = {
    "uniform": lambda *s: (
        lambda rng: [
            rng.uniform(-2, 0, s).astype("float32"),
            rng.uniform(1, 3, s).astype("float32"),
        ]
    ),
    "normal": lambda *s: (
        lambda rng: [
            rng.uniform(-2, 2, s).astype("float32"),
            rng.uniform(0.5, 2, s).astype("float32"),
        ]
    ),
    "gamma": lambda *s: (
        lambda rng: [
            rng.uniform(0.5, 3, s).astype("float32"),
            rng.uniform(0.5, 2, s).astype("float32"),
        ]
    ),
    "exponential": lambda *s: lambda rng: [rng.uniform(0.5, 3, s).astype("float32")],
    "poisson": lambda *s: lambda rng: [rng.uniform(0.5, 5, s).astype("float32")],
    "negative_binomial": lambda *s: (
        lambda rng: [
            rng.integers(1, 5, s).astype("float32"),
            rng.uniform(0.2, 0.8, s).astype("float32"),
        ]
    ),
    "generalized_negative_binomial": lambda *s: (
        lambda rng: [
            rng.uniform(0.5, 4, s).astype("float32"),
            rng.uniform(0.0, 0.8, s).astype("float32"),
        ]
    ),
}


def shaped(*outputs):
    """A reference giving only the shapes and dtypes of the outputs (one (shape, dtype) each)."""

    def reference(*arrays):
        arrays = [np.zeros(shape, dtype) for shape, dtype in outputs]
        return arrays[0] if len(arrays) == 1 else tuple(arrays)

    return reference


for _name, (_params, _bad) in DISTRIBUTIONS.items():
    _op = f"_random_{_name}"
    RANDOM.update({_op, f"{_op}_like", f"_sample_{_name}"})
    add(
        _op,
        Case(none(), {"shape": [2, 3]}, shaped(((2, 3), "float32")), label="2d"),
        Case(none(), {**_params, "shape": [4]}, shaped(((4,), "float32")), label="params"),
        Case(
            none(),
            {**_params, "shape": [2, 1, 3], "dtype": "float64"},
            shaped(((2, 1, 3), "float64")),
            label="float64",
        ),
        Case(
            none(), {"shape": [3], "dtype": "float16"}, shaped(((3,), "float16")), label="float16"
        ),
        Case(none(), {"shape": [1]}, shaped(((1,), "float32")), label="one-element"),
        # MXNet 1.x takes 0 for an unknown dimension and refuses; neomx draws an empty array.
        Case(none(), {"shape": [0, 3]}, shaped(((0, 3), "float32")), golden=False, label="empty"),
        *[
            Case(none(), {**bad, "shape": [2]}, label=f"bad-{match}-{i}")
            for i, (bad, match) in enumerate(_bad)
        ],
    )
    add_errors(
        _op,
        *[
            ErrorCase(none(), {**bad, "shape": [2]}, match=rf"{_op}.*{match}")
            for bad, match in _bad
        ],
        ErrorCase(none(), {}, match=rf"{_op}.*shape"),
    )
    add(
        f"{_op}_like",
        Case(floats((2, 3)), {}, shaped(((2, 3), "float32")), label="2d"),
        Case(floats((4,), dtype="float64"), _params, shaped(((4,), "float64")), label="float64"),
        Case(floats((3, 1), dtype="float16"), {}, shaped(((3, 1), "float16")), label="float16"),
        Case(floats((1,)), _params, shaped(((1,), "float32")), label="one-element"),
        Case(ints((2, 2)), {}, label="int32"),
    )
    add_errors(
        f"{_op}_like",
        ErrorCase(ints((2, 2)), {}, match=rf"{_op}_like.*float"),
        *[ErrorCase(floats((2,)), bad, match=rf"{_op}_like.*{match}") for bad, match in _bad],
    )
    _make = SAMPLE_INPUTS[_name]
    add(
        f"_sample_{_name}",
        Case(_make(2), {"shape": [3]}, shaped(((2, 3), "float32")), label="per-element"),
        Case(_make(2, 2), {"shape": [2, 3]}, shaped(((2, 2, 2, 3), "float32")), label="2d"),
        Case(_make(3), {}, shaped(((3,), "float32")), label="no-shape"),
        Case(_make(2), {"dtype": "float64"}, shaped(((2,), "float64")), label="float64"),
        Case(
            _make(1), {"shape": [1], "dtype": "float16"}, shaped(((1, 1), "float16")), label="f16"
        ),
    )
    if _name not in ("exponential", "poisson"):
        _mismatched = lambda rng: [np.ones((2, 3), "float32"), np.ones((3,), "float32")]
        add(f"_sample_{_name}", Case(_mismatched, label="mismatched-shapes"))
        add_errors(f"_sample_{_name}", ErrorCase(_mismatched, match=rf"_sample_{_name}.*shape"))


RANDOM.update({"_random_randint", "_sample_multinomial", "_shuffle"})
add(
    "_random_randint",
    Case(none(), {"low": -3, "high": 5, "shape": [2, 3]}, shaped(((2, 3), "int32")), label="2d"),
    Case(
        none(),
        {"low": 0, "high": 2**40, "shape": [4], "dtype": "int64"},
        shaped(((4,), "int64")),
        label="int64",
    ),
    Case(none(), {"low": 7, "high": 8, "shape": [1]}, shaped(((1,), "int32")), label="one-value"),
    Case(none(), {"low": 3, "high": 1, "shape": [2]}, label="low-above-high"),
)
add_errors(
    "_random_randint",
    # MXNet 1.9.1 crashes (division by zero) on low == high; neomx refuses.
    ErrorCase(none(), {"low": 3, "high": 3, "shape": [2]}, match=r"_random_randint.*low"),
    ErrorCase(none(), {"low": 3, "high": 1, "shape": [2]}, match=r"_random_randint.*low"),
    ErrorCase(none(), {"low": 0, "high": 2**40, "shape": [2]}, match=r"_random_randint.*int32"),
)


def probabilities(*shape, dtype="float32"):
    """Rows of probabilities along the last axis (each row sums to one)."""
    return lambda rng: [rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]).astype(dtype)]


add(
    "_sample_multinomial",
    Case(probabilities(2, 4), {"shape": [3]}, shaped(((2, 3), "int32")), label="rows"),
    Case(
        probabilities(2, 4),
        {"shape": [3], "get_prob": True},
        shaped(((2, 3), "int32"), ((2, 3), "float32")),
        label="get-prob",
    ),
    Case(probabilities(5), {}, shaped(((1,), "int32")), label="one-row"),
    Case(probabilities(2, 3), {}, shaped(((2,), "int32")), label="one-per-row"),
    Case(
        probabilities(2, 2, 3, dtype="float64"),
        {"shape": [2], "get_prob": True, "dtype": "float32"},
        shaped(((2, 2, 2), "float32"), ((2, 2, 2), "float64")),
        label="float64",
    ),
    Case(probabilities(3), {"dtype": "uint8"}, shaped(((1,), "uint8")), label="uint8"),
    Case(ints((2, 3)), {}, label="int-data"),
)
add_errors(
    "_sample_multinomial",
    ErrorCase(ints((2, 3)), {}, match=r"_sample_multinomial.*float"),
    ErrorCase(probabilities(3), {"dtype": "int64"}, match=r"_sample_multinomial.*dtype"),
)
add(
    "_shuffle",
    Case(floats((4, 3)), {}, shaped(((4, 3), "float32")), label="rows"),
    Case(ints((5,)), {}, shaped(((5,), "int32")), label="vector-int32"),
    Case(floats((1, 2)), {}, shaped(((1, 2), "float32")), label="one-row"),
)


def _backward_multinomial(ograd, data, sample):
    depth = data.shape[-1]
    rows = data.reshape(-1, depth)
    index = sample.reshape(rows.shape[0], -1).astype(np.int64)
    grad = np.zeros_like(rows)
    for row in range(rows.shape[0]):
        for column, category in enumerate(index[row]):
            grad[row, category] += ograd.reshape(index.shape)[row, column] / rows[row, category]
    return grad.reshape(data.shape)


def _drawn(rows, depth, draws, sample_dtype="int32"):
    def make(rng):
        data = rng.dirichlet(np.ones(depth), size=rows).astype("float32")
        sample = rng.integers(0, depth, (rows, draws)).astype(sample_dtype)
        return [rng.standard_normal((rows, draws)).astype("float32"), data, sample]

    return make


# The gradient of _sample_multinomial's log-probabilities (MXNet cannot call it directly).
MIXED_DTYPES_OK.add("_backward_sample_multinomial")
add(
    "_backward_sample_multinomial",
    Case(_drawn(2, 4, 6), {}, _backward_multinomial, grad=False, golden=False, label="rows"),
    Case(_drawn(3, 2, 1, "float32"), {}, _backward_multinomial, grad=False, golden=False),
)
