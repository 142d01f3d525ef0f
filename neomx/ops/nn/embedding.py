"""Embedding: look up rows of a weight matrix by integer index, and the scatter-add that is its
gradient."""

from __future__ import annotations

import numpy as np

from ...base import MXNetTypeError, MXNetValueError
from ..infer import is_known, shape_str
from ..params import Bool, DType, Int, Params
from ..registry import Op, register

__all__ = ["Embedding", "EmbeddingBackward", "clipped_indices", "scatter_add_rows"]

# MXNet 1.9.1 also lists bfloat16, which neomx has no array type for.
_WEIGHT_DTYPES = ("float16", "float32", "float64", "int32", "int64", "int8", "uint8")

# Runs of one index at least this long are summed one run at a time (a contiguous reduction
# each); shorter ones level by level (see scatter_add_rows).
_LONG_RUN = 32


def clipped_indices(xp, data, size: int):
    """``data`` as int64 row indices in [0, size): floats truncate toward zero, as MXNet's
    casts do, and out-of-range indices clip to the first or last row."""
    index = data if data.dtype == np.int64 else data.astype(np.int64)
    return xp.clip(index, 0, size - 1)


def scatter_add_rows(xp, index, rows, count: int, out=None):
    """Return a ``(count, D)`` array whose row ``i`` sums the ``rows`` (shape ``(n, D)``)
    whose ``index`` is ``i``; ``index`` holds ints in [0, count).

    NumPy's ``add.at`` is 5 to 15 times slower (measured, numpy 2.4), so on NumPy the indices
    are sorted into runs of equal ones. A long run is summed as one block. The short runs are
    added level by level: level k takes the k-th element of every run, whose indices are
    distinct, so one vectorized ``+=`` adds them all.
    """
    width = rows.shape[1]
    result = xp.zeros((count, width), rows.dtype) if out is None else out
    if out is not None:
        result.fill(0)
    if index.size == 0:
        return result
    if xp is not np:
        xp.add.at(result, index, rows)
        return result
    order = np.argsort(index)
    ordered = index[order]
    first = np.empty(index.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, index.size))
    run = np.cumsum(first) - 1
    rank = np.arange(index.size) - starts[run]
    long_runs = lengths >= _LONG_RUN
    in_short_run = ~long_runs[run]
    for level in range(int(lengths[~long_runs].max(initial=0))):
        chosen = np.flatnonzero(in_short_run & (rank == level))
        result[ordered[chosen]] += rows[order[chosen]]
    for start, length in zip(starts[long_runs], lengths[long_runs]):
        # Each index has one run. (A reduction with out= takes a much slower path.)
        result[ordered[start]] = rows[order[start : start + length]].sum(axis=0)
    return result


def _check_weight(op_name, p, weight):
    expected = (p.input_dim, p.output_dim)
    if weight is not None and is_known(weight) and tuple(weight) != expected:
        raise MXNetValueError(
            f"{op_name}: weight has shape {shape_str(weight)}; expected {shape_str(expected)} "
            f"from input_dim={p.input_dim}, output_dim={p.output_dim}"
        )
    return expected


def _check_index_type(op_name, data):
    if data is not None and np.dtype(data).kind not in "iuf":
        raise MXNetTypeError(
            f"{op_name}: data has dtype {np.dtype(data)}; indices must be integers or floats"
        )


@register("Embedding", aliases=("_npx_embedding", "_sparse_Embedding"))
class Embedding(Op):
    """Map each index in ``data`` to its row of ``weight`` (``input_dim`` x ``output_dim``);
    the result has shape ``data.shape + (output_dim,)``.

    Indices clip to [0, input_dim - 1] and float indices truncate, as in MXNet 1.9.1. The
    result has the weight's dtype; ``dtype`` gives the weight's dtype when inference has to
    choose it. Only ``weight`` gets a gradient, always dense (``sparse_grad`` is accepted;
    neomx has no row_sparse arrays).

    >>> weight = mx.nd.array([[0., 1.], [2., 3.], [4., 5.]])
    >>> mx.nd.Embedding(mx.nd.array([2, 0]), weight, input_dim=3, output_dim=2)
    <BLANKLINE>
    [[4. 5.]
     [0. 1.]]
    <NDArray 2x2 @cpu(0)>
    """

    inputs = ("data", "weight")
    params = Params(
        input_dim=Int(min=1, doc="The number of rows of weight (the vocabulary size)."),
        output_dim=Int(min=1, doc="The length of each embedding vector."),
        dtype=DType("float32", choices=_WEIGHT_DTYPES, doc="The weight's dtype."),
        sparse_grad=Bool(False, doc="Accepted; gradients are dense in neomx."),
    )
    saves = ("data",)

    def infer_shape(self, p, data, weight):
        expected = _check_weight(self.name, p, weight)
        if not is_known(data):
            return None
        return (data, expected), (tuple(data) + (p.output_dim,),)

    def infer_type(self, p, data, weight):
        _check_index_type(self.name, data)
        # MXNet: a given weight's dtype wins over the dtype parameter.
        weight = np.dtype(p.dtype) if weight is None else np.dtype(weight)
        return (data, weight), (weight,)

    def forward(self, xp, p, data, weight, out=None):
        index = clipped_indices(xp, data, p.input_dim)
        if xp is np:
            # mode="clip" (the indices are in range already): NumPy buffers out= otherwise.
            return np.take(weight, index, axis=0, out=out, mode="clip")
        return xp.take(weight, index, axis=0, out=out)

    def gradient(self, p, F, inputs, outputs, dy):
        d_weight = F._backward_Embedding(
            dy[0], inputs[0], input_dim=p.input_dim, output_dim=p.output_dim
        )
        return None, d_weight


@register("_backward_Embedding")
class EmbeddingBackward(Op):
    """The gradient of ``Embedding``'s weight: the rows of ``ograd`` (one per index of
    ``data``) summed into an ``input_dim`` x ``output_dim`` array at their (clipped) indices.
    """

    inputs = ("ograd", "data")
    params = Params(input_dim=Int(min=1), output_dim=Int(min=1))
    saves = ("data",)

    def infer_shape(self, p, ograd, data):
        if not is_known(data):
            return None
        expected = tuple(data) + (p.output_dim,)
        if ograd is not None and is_known(ograd) and tuple(ograd) != expected:
            raise MXNetValueError(
                f"{self.name}: ograd has shape {shape_str(ograd)}; expected "
                f"{shape_str(expected)} from data {shape_str(data)} and output_dim="
                f"{p.output_dim}"
            )
        return (expected, data), ((p.input_dim, p.output_dim),)

    def infer_type(self, p, ograd, data):
        _check_index_type(self.name, data)
        return None if ograd is None else ((ograd, data), (ograd,))

    def forward(self, xp, p, ograd, data, out=None):
        index = clipped_indices(xp, data, p.input_dim).reshape(-1)
        rows = ograd.reshape(-1, p.output_dim)
        return scatter_add_rows(xp, index, rows, p.input_dim, out)

    def gradient(self, p, F, inputs, outputs, dy):
        # The scatter-add is linear in ograd; its adjoint is the lookup.
        lookup = F.Embedding(inputs[1], dy[0], input_dim=p.input_dim, output_dim=p.output_dim)
        return lookup, None
