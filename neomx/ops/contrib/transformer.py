"""Multi-head attention building blocks: div_sqrt_dim and the interleaved matmuls of
MXNet 1.9.1's fused transformer (GluonNLP's BERT and Transformer use them).

The interleaved layout packs the projections of all heads along the last axis, head by head:
self-attention's (seq, batch, heads * 3 * dim) holds for each head its query, key and value
vectors one after another, encoder-decoder attention's keys_values (seq, batch,
heads * 2 * dim) its key and value. Attention maps are (batch * heads, query_seq, key_seq),
batch-major. Each product is one batched matmul on strided views, so BLAS does the work;
each gradient is a dedicated backward operator of two matmuls.
"""

from __future__ import annotations

import math

import numpy as np

from ...base import MXNetTypeError, MXNetValueError
from ..infer import is_known, shape_str, unify
from ..kernels import into, into_outputs
from ..params import Int, Params
from ..registry import Op, lookup, register
from ..spatial import float_type

_HEADS = Params(heads=Int(min=1, doc="The number of attention heads."))


def _head_size(op_name, what, shape, heads, parts):
    """The per-head size of a (seq, batch, heads * parts * dim) projection, or raise."""
    if len(shape) != 3:
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(shape)}; expected 3 dimensions "
            "(seq_length, batch, projection)"
        )
    if shape[2] % (heads * parts):
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(shape)}; its last dimension must be "
            f"heads={heads} * {parts} * head size"
        )
    return shape[2] // (heads * parts)


def _check_attention(op_name, shape, expected):
    if tuple(shape) != tuple(expected):
        raise MXNetValueError(
            f"{op_name}: attention has shape {shape_str(shape)}; expected {shape_str(expected)} "
            "(batch * heads, query_length, key_length)"
        )


def _projections(array, heads, parts):
    """The ``parts`` projections of (seq, batch, heads * parts * dim) as views
    (batch, heads, seq, dim)."""
    seq, batch, width = array.shape
    split = array.reshape(seq, batch, heads, parts, width // (heads * parts))
    return [split[:, :, :, part].transpose(1, 2, 0, 3) for part in range(parts)]


def _maps(array, heads):
    """Attention maps (batch * heads, q, k) as (batch, heads, q, k)."""
    return array.reshape(array.shape[0] // heads, heads, array.shape[1], array.shape[2])


def _merge_heads(per_head):
    """(batch, heads, seq, dim) back to the (seq, batch, heads * dim) layout."""
    batch, heads, seq, dim = per_head.shape
    return per_head.transpose(2, 0, 1, 3).reshape(seq, batch, heads * dim)


def _interleave(xp, dtype, parts, placed):
    """A zero (seq, batch, heads * parts * dim) gradient holding ``placed[part]`` (batch,
    heads, seq, dim) arrays at their parts."""
    batch, heads, seq, dim = next(iter(placed.values())).shape
    grad = xp.zeros((seq, batch, heads, parts, dim), dtype=dtype)
    for part, values in placed.items():
        grad[:, :, :, part] = values.transpose(2, 0, 1, 3)
    return grad.reshape(seq, batch, heads * parts * dim)


def _scale(dim, dtype):
    """MXNet scales query-key products by 1 / sqrt(head size); heads of size 0 have empty
    products, which any scale leaves 0."""
    return np.dtype(dtype).type(1.0 / math.sqrt(max(dim, 1)))


def _float_types(op, p, dtypes, outputs):
    dtype = float_type(op, p, dtypes)
    return None if dtype is None else ((dtype,) * len(dtypes), (dtype,) * outputs)


# ---- forward operators ---------------------------------------------------------------------


@register("_contrib_interleaved_matmul_selfatt_qk")
class InterleavedSelfAttentionQK(Op):
    """Return the scaled query-key products of self-attention.

    ``queries_keys_values`` (seq, batch, heads * 3 * dim) holds, per head, the query, key and
    value projections one after another. The output (batch * heads, seq, seq) is
    ``q @ k.T / sqrt(dim)`` for every batch and head (batch-major).

    >>> qkv = mx.nd.ones((2, 1, 6))
    >>> mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=1).shape
    (1, 2, 2)
    """

    inputs = ("queries_keys_values",)
    params = _HEADS
    saves = ("queries_keys_values",)

    def infer_shape(self, p, qkv):
        if not is_known(qkv):
            return None
        _head_size(self.name, "queries_keys_values", qkv, p.heads, 3)
        return (qkv,), ((qkv[1] * p.heads, qkv[0], qkv[0]),)

    def infer_type(self, p, qkv):
        return _float_types(self, p, (qkv,), 1)

    def forward(self, xp, p, qkv, out=None):
        query, key, _ = _projections(qkv, p.heads, 3)
        scores = xp.matmul(query, key.swapaxes(-1, -2))
        scores *= _scale(query.shape[-1], qkv.dtype)
        seq, batch = qkv.shape[:2]
        return into(xp, scores.reshape(batch * p.heads, seq, seq), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._backward_interleaved_matmul_selfatt_qk(dy[0], inputs[0], heads=p.heads),)


@register("_contrib_interleaved_matmul_selfatt_valatt")
class InterleavedSelfAttentionValAtt(Op):
    """Return the attention-weighted values of self-attention.

    ``queries_keys_values`` (seq, batch, heads * 3 * dim) is interleaved as for
    interleaved_matmul_selfatt_qk; ``attention`` (batch * heads, seq, seq) holds the weights.
    The output (seq, batch, heads * dim) is ``attention @ v`` with the heads side by side.
    """

    inputs = ("queries_keys_values", "attention")
    params = _HEADS
    saves = ("queries_keys_values", "attention")

    def infer_shape(self, p, qkv, attention):
        if not is_known(qkv):
            return None
        dim = _head_size(self.name, "queries_keys_values", qkv, p.heads, 3)
        seq, batch = qkv[0], qkv[1]
        if is_known(attention):
            _check_attention(self.name, attention, (batch * p.heads, seq, seq))
        return (qkv, (batch * p.heads, seq, seq)), ((seq, batch, p.heads * dim),)

    def infer_type(self, p, qkv, attention):
        return _float_types(self, p, (qkv, attention), 1)

    def forward(self, xp, p, qkv, attention, out=None):
        value = _projections(qkv, p.heads, 3)[2]
        return into(xp, _merge_heads(xp.matmul(_maps(attention, p.heads), value)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        d_qkv, d_attention = F._backward_interleaved_matmul_selfatt_valatt(
            dy[0], *inputs, heads=p.heads
        )
        return d_qkv, d_attention


@register("_contrib_interleaved_matmul_encdec_qk")
class InterleavedEncDecQK(Op):
    """Return the scaled query-key products of encoder-decoder attention.

    ``queries`` (query_seq, batch, heads * dim) holds the queries of all heads;
    ``keys_values`` (key_seq, batch, heads * 2 * dim) per head the key and value projections.
    The output (batch * heads, query_seq, key_seq) is ``q @ k.T / sqrt(dim)``.
    """

    inputs = ("queries", "keys_values")
    params = _HEADS
    saves = ("queries", "keys_values")

    def infer_shape(self, p, queries, keys_values):
        if not (is_known(queries) and is_known(keys_values)):
            return None
        dim = _head_size(self.name, "queries", queries, p.heads, 1)
        _head_size(self.name, "keys_values", keys_values, p.heads, 2)
        if keys_values[1] != queries[1] or keys_values[2] != 2 * queries[2]:
            raise MXNetValueError(
                f"{self.name}: keys_values has shape {shape_str(keys_values)}; expected "
                f"(key_length, {queries[1]}, {2 * p.heads * dim}) for queries "
                f"{shape_str(queries)}"
            )
        return (queries, keys_values), ((queries[1] * p.heads, queries[0], keys_values[0]),)

    def infer_type(self, p, queries, keys_values):
        return _float_types(self, p, (queries, keys_values), 1)

    def forward(self, xp, p, queries, keys_values, out=None):
        (query,) = _projections(queries, p.heads, 1)
        key = _projections(keys_values, p.heads, 2)[0]
        scores = xp.matmul(query, key.swapaxes(-1, -2))
        scores *= _scale(query.shape[-1], queries.dtype)
        shape = (queries.shape[1] * p.heads, queries.shape[0], keys_values.shape[0])
        return into(xp, scores.reshape(shape), out)

    def gradient(self, p, F, inputs, outputs, dy):
        d_queries, d_keys_values = F._backward_interleaved_matmul_encdec_qk(
            dy[0], *inputs, heads=p.heads
        )
        return d_queries, d_keys_values


@register("_contrib_interleaved_matmul_encdec_valatt")
class InterleavedEncDecValAtt(Op):
    """Return the attention-weighted values of encoder-decoder attention.

    ``keys_values`` (key_seq, batch, heads * 2 * dim) is interleaved as for
    interleaved_matmul_encdec_qk; ``attention`` (batch * heads, query_seq, key_seq) holds the
    weights. The output (query_seq, batch, heads * dim) is ``attention @ v``.
    """

    inputs = ("keys_values", "attention")
    params = _HEADS
    saves = ("keys_values", "attention")

    def infer_shape(self, p, keys_values, attention):
        if not (is_known(keys_values) and is_known(attention)):
            return None
        dim = _head_size(self.name, "keys_values", keys_values, p.heads, 2)
        seq, batch = keys_values[0], keys_values[1]
        query_seq = attention[1] if len(attention) == 3 else 0
        _check_attention(self.name, attention, (batch * p.heads, query_seq, seq))
        return (keys_values, attention), ((query_seq, batch, p.heads * dim),)

    def infer_type(self, p, keys_values, attention):
        return _float_types(self, p, (keys_values, attention), 1)

    def forward(self, xp, p, keys_values, attention, out=None):
        value = _projections(keys_values, p.heads, 2)[1]
        return into(xp, _merge_heads(xp.matmul(_maps(attention, p.heads), value)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        d_keys_values, d_attention = F._backward_interleaved_matmul_encdec_valatt(
            dy[0], *inputs, heads=p.heads
        )
        return d_keys_values, d_attention


# ---- backward operators --------------------------------------------------------------------


class _Backward(Op):
    """A gradient of an interleaved matmul: inputs (ograd, *forward inputs), outputs the
    forward inputs' gradients. Not differentiable again, as in MXNet 1.9.1."""

    params = _HEADS
    differentiable = False
    forward_op = ""

    def num_outputs(self, p):
        return len(self.inputs) - 1

    def infer_shape(self, p, ograd, *shapes):
        forward = lookup(self.forward_op)
        result = forward.infer_shape(p, *shapes)
        if result is None:
            return None
        inputs, (out,) = result
        ograd = unify(self.name, "ograd", ograd, out)
        return (ograd, *inputs), tuple(inputs)

    def infer_type(self, p, *dtypes):
        return _float_types(self, p, dtypes, len(dtypes) - 1)


@register("_backward_interleaved_matmul_selfatt_qk")
class BackwardSelfAttentionQK(_Backward):
    """Return the gradient of interleaved_matmul_selfatt_qk w.r.t. queries_keys_values."""

    inputs = ("ograd", "queries_keys_values")
    forward_op = "_contrib_interleaved_matmul_selfatt_qk"

    def forward(self, xp, p, ograd, qkv, out=None):
        query, key, _ = _projections(qkv, p.heads, 3)
        scaled = _maps(ograd, p.heads) * _scale(query.shape[-1], qkv.dtype)
        placed = {0: xp.matmul(scaled, key), 1: xp.matmul(scaled.swapaxes(-1, -2), query)}
        return into(xp, _interleave(xp, qkv.dtype, 3, placed), out)


@register("_backward_interleaved_matmul_selfatt_valatt")
class BackwardSelfAttentionValAtt(_Backward):
    """Return the gradients of interleaved_matmul_selfatt_valatt w.r.t. queries_keys_values
    and attention."""

    inputs = ("ograd", "queries_keys_values", "attention")
    forward_op = "_contrib_interleaved_matmul_selfatt_valatt"

    def forward(self, xp, p, ograd, qkv, attention, out=None):
        value = _projections(qkv, p.heads, 3)[2]
        (grad_heads,) = _projections(ograd, p.heads, 1)
        d_value = xp.matmul(_maps(attention, p.heads).swapaxes(-1, -2), grad_heads)
        d_attention = xp.matmul(grad_heads, value.swapaxes(-1, -2)).reshape(attention.shape)
        return into_outputs(xp, (_interleave(xp, qkv.dtype, 3, {2: d_value}), d_attention), out)


@register("_backward_interleaved_matmul_encdec_qk")
class BackwardEncDecQK(_Backward):
    """Return the gradients of interleaved_matmul_encdec_qk w.r.t. queries and keys_values."""

    inputs = ("ograd", "queries", "keys_values")
    forward_op = "_contrib_interleaved_matmul_encdec_qk"

    def forward(self, xp, p, ograd, queries, keys_values, out=None):
        (query,) = _projections(queries, p.heads, 1)
        key = _projections(keys_values, p.heads, 2)[0]
        scaled = _maps(ograd, p.heads) * _scale(query.shape[-1], queries.dtype)
        d_queries = _merge_heads(xp.matmul(scaled, key))
        d_key = xp.matmul(scaled.swapaxes(-1, -2), query)
        return into_outputs(xp, (d_queries, _interleave(xp, keys_values.dtype, 2, {0: d_key})), out)


@register("_backward_interleaved_matmul_encdec_valatt")
class BackwardEncDecValAtt(_Backward):
    """Return the gradients of interleaved_matmul_encdec_valatt w.r.t. keys_values and
    attention."""

    inputs = ("ograd", "keys_values", "attention")
    forward_op = "_contrib_interleaved_matmul_encdec_valatt"

    def forward(self, xp, p, ograd, keys_values, attention, out=None):
        value = _projections(keys_values, p.heads, 2)[1]
        (grad_heads,) = _projections(ograd, p.heads, 1)
        d_value = xp.matmul(_maps(attention, p.heads).swapaxes(-1, -2), grad_heads)
        d_attention = xp.matmul(grad_heads, value.swapaxes(-1, -2)).reshape(attention.shape)
        return into_outputs(
            xp, (_interleave(xp, keys_values.dtype, 2, {1: d_value}), d_attention), out
        )


# ---- div_sqrt_dim --------------------------------------------------------------------------


@register("_contrib_div_sqrt_dim")
class DivSqrtDim(Op):
    """Divide ``data`` by the square root of its last dimension's size.

    Attention scales query-key products so. For integer arrays the square root is truncated
    to an integer and the division truncates toward zero, as in MXNet 1.9.1.

    >>> mx.nd.contrib.div_sqrt_dim(mx.nd.ones((1, 4)))
    <BLANKLINE>
    [[0.5 0.5 0.5 0.5]]
    <NDArray 1x4 @cpu(0)>
    """

    saves = ()

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: data must have at least 1 dimension, got ()")
        return (data,), (data,)

    def infer_type(self, p, data):
        if data is not None and np.dtype(data).kind not in "fiu":
            raise MXNetTypeError(f"{self.name}: data has unsupported dtype {np.dtype(data).name}")
        return None if data is None else ((data,), (data,))

    def forward(self, xp, p, data, out=None):
        root = math.sqrt(data.shape[-1])
        if data.dtype.kind == "f":
            return xp.divide(data, data.dtype.type(root), out=out)
        divisor = max(int(root), 1)
        quotient = xp.abs(data) // data.dtype.type(divisor)
        return into(xp, xp.where(data < 0, -quotient, quotient).astype(data.dtype), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._contrib_div_sqrt_dim(dy[0]),)
