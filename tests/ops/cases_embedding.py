"""Cases of Embedding and its weight gradient _backward_Embedding.

Indices clip to [0, input_dim - 1] and float indices truncate toward zero (MXNet 1.9.1). The
gradient cases cover both ways neomx sums rows sharing an index: long runs of one index (a
small vocabulary), short runs (mostly distinct indices), and both at once.
"""

import numpy as np

from .case import MIXED_DTYPES_OK, NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed

# The output takes the weight's dtype; indices may have any numeric dtype.
MIXED_DTYPES_OK.update({"Embedding", "_backward_Embedding"})
# neomx's _backward_Embedding takes (ograd, data); MXNet's differs.
NEOMX_ONLY.add("_backward_Embedding")


def lookup(indices, vocabulary, width, weight_dtype="float32", index_dtype="int32"):
    """Fixed indices and a random weight of ``vocabulary`` x ``width``."""

    def make(rng):
        weight = rng.standard_normal((vocabulary, width)).astype(weight_dtype)
        return [np.array(indices, dtype=index_dtype), weight]

    return make


def random_lookup(count, vocabulary, width):
    """``count`` random int32 indices into a random ``vocabulary`` x ``width`` weight."""

    def make(rng):
        indices = rng.integers(0, vocabulary, size=count).astype("int32")
        return [indices, rng.standard_normal((vocabulary, width)).astype("float32")]

    return make


def gradients(indices, vocabulary, width, ograd_dtype="float32"):
    """ograd for ``indices`` (any shape) and the indices."""

    def make(rng):
        index = np.array(indices, dtype="int32")
        ograd = rng.standard_normal(index.shape + (width,)).astype(ograd_dtype)
        return [ograd, index]

    return make


def _rows(data, input_dim):
    return np.clip(np.trunc(data.astype(np.float64)), 0, input_dim - 1).astype(np.int64)


def _embedding(input_dim):
    def reference(data, weight):
        return weight[_rows(data, input_dim)]

    return reference


def _backward_embedding(input_dim):
    def reference(ograd, data):
        width = ograd.shape[-1]
        result = np.zeros((input_dim, width), np.float64)
        np.add.at(result, _rows(data, input_dim).reshape(-1), ograd.reshape(-1, width))
        return result.astype(ograd.dtype)

    return reference


def _params(input_dim, output_dim, **extra):
    return {"input_dim": input_dim, "output_dim": output_dim, **extra}


add(
    "Embedding",
    Case(lookup([2, 0, 2, 4], 5, 3), _params(5, 3), _embedding(5), label="1d"),
    Case(lookup([[1, 3], [0, 0]], 4, 2), _params(4, 2), _embedding(4), label="2d"),
    Case(
        lookup([-3, -1, 0, 4, 5, 100], 5, 3),
        _params(5, 3),
        _embedding(5),
        label="clipped",
    ),
    # Indices get no gradient (MXNet refuses one: make_golden records a grad_error), and
    # 2.9999 moves to another row within a numeric step.
    Case(
        lookup([0.7, 1.5, 2.9999, -0.5, 3.2], 4, 2, index_dtype="float32"),
        _params(4, 2),
        _embedding(4),
        label="float-indices",
        grad_nodes=("weight",),
    ),
    Case(
        lookup([1, 2], 3, 4, "float64", "int64"),
        _params(3, 4, dtype="float64"),
        _embedding(3),
        label="float64",
    ),
    Case(
        lookup([1, 2, 1], 3, 4, "float16"),
        _params(3, 4, dtype="float16"),
        _embedding(3),
        label="float16",
    ),
    # A float64 weight with the default dtype='float32': the weight's dtype wins, as in MXNet.
    Case(lookup([0, 1], 2, 2, "float64"), _params(2, 2), _embedding(2), label="weight-dtype-wins"),
    Case(
        lookup([3, 1], 4, 2, "int32"),
        _params(4, 2, dtype="int32"),
        _embedding(4),
        label="int32-weight",
    ),
    Case(lookup([1], 2, 3), _params(2, 3, sparse_grad=True), _embedding(2), label="sparse-grad"),
    Case(random_lookup(200, 3, 4), _params(3, 4), _embedding(3), label="long-runs"),
    Case(random_lookup(60, 50, 3), _params(50, 3), _embedding(50), label="short-runs"),
    Case(
        fixed(np.zeros((0, 2), "int32"), np.ones((3, 2), "float32")),
        _params(3, 2),
        _embedding(3),
        label="zero-size",
        golden=False,
    ),
)
add_errors(
    "Embedding",
    ErrorCase(
        lookup([1], 5, 3),
        _params(4, 3),
        match=r"Embedding: weight has shape \(5, 3\); expected \(4, 3\) from input_dim=4",
    ),
    ErrorCase(lookup([1], 5, 3), _params(0, 3), match=r"Embedding.*'input_dim'"),
    ErrorCase(lookup([1], 5, 3), _params(5, 3, dtype="bool"), match=r"Embedding.*'dtype'"),
)

add(
    "_backward_Embedding",
    Case(gradients([2, 0, 2, 4], 5, 3), _params(5, 3), _backward_embedding(5), label="1d"),
    Case(
        gradients([[1, 7], [-2, 1]], 4, 2), _params(4, 2), _backward_embedding(4), label="clipped"
    ),
    Case(
        gradients([0, 1, 1, 0] * 20, 2, 3), _params(2, 3), _backward_embedding(2), label="long-runs"
    ),
    Case(
        gradients([3, 0] + [1] * 40 + [2, 0, 3, 3], 4, 2),
        _params(4, 2),
        _backward_embedding(4),
        label="long-and-short-runs",
    ),
    Case(
        gradients([1, 2], 4, 2, "float64"), _params(4, 2), _backward_embedding(4), label="float64"
    ),
    Case(
        gradients(np.zeros(0, "int32"), 3, 2),
        _params(3, 2),
        _backward_embedding(3),
        label="no-indices",
    ),
)
add_errors(
    "_backward_Embedding",
    ErrorCase(
        lambda rng: [np.ones((3, 2), "float32"), np.zeros(4, "int32")],
        _params(3, 2),
        match=r"_backward_Embedding: ograd has shape \(3, 2\); expected \(4, 2\)",
    ),
)
