"""Cases of the attention operators: the four _contrib_interleaved_matmul_* (and their
backward operators), _contrib_div_sqrt_dim and _contrib_arange_like (attention masks and
positions).

The references slice each head's query, key and value out of the interleaved last axis by
offset (head h of self-attention: query at [3hD, 3hD + D), key and value after it) and
multiply head by head. MXNet 1.9.1 runs the interleaved matmuls only on float32 on the CPU.
"""

import math

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed, floats, ints

# neomx's backward operators take (ograd, *forward inputs); MXNet's differ.
NEOMX_ONLY.update(
    f"_backward_interleaved_matmul_{name}"
    for name in ("selfatt_qk", "selfatt_valatt", "encdec_qk", "encdec_valatt")
)


def _part(array, heads, parts, head, part):
    """The (seq, batch, dim) slice of ``part`` of ``head`` in an interleaved projection."""
    dim = array.shape[2] // (heads * parts)
    start = (head * parts + part) * dim
    return array[:, :, start : start + dim].astype(np.float64)


def _place(shape, heads, parts, values):
    """A zero interleaved array with ``values[(head, part)]`` (seq, batch, dim) placed."""
    out = np.zeros(shape)
    dim = shape[2] // (heads * parts)
    for (head, part), value in values.items():
        start = (head * parts + part) * dim
        out[:, :, start : start + dim] = value
    return out


def _scores(query, key):
    """(seq_q, batch, dim) x (seq_k, batch, dim) -> (batch, seq_q, seq_k) / sqrt(dim)."""
    return np.einsum("qbd,kbd->bqk", query, key) / math.sqrt(query.shape[2])


def _stack_heads(per_head):
    """Per-head (batch, q, k) maps to MXNet's (batch * heads, q, k), batch-major."""
    batch, rows, cols = per_head[0].shape
    return np.stack(per_head, axis=1).reshape(batch * len(per_head), rows, cols)


def _head_maps(attention, heads, head):
    return attention.reshape(-1, heads, *attention.shape[1:])[:, head].astype(np.float64)


def selfatt_qk(heads):
    def reference(qkv):
        maps = [
            _scores(_part(qkv, heads, 3, h, 0), _part(qkv, heads, 3, h, 1)) for h in range(heads)
        ]
        return _stack_heads(maps).astype(qkv.dtype)

    return reference


def selfatt_valatt(heads):
    def reference(qkv, attention):
        outs = [
            np.einsum("bqk,kbd->qbd", _head_maps(attention, heads, h), _part(qkv, heads, 3, h, 2))
            for h in range(heads)
        ]
        return np.concatenate(outs, axis=2).astype(qkv.dtype)

    return reference


def encdec_qk(heads):
    def reference(queries, keys_values):
        maps = [
            _scores(_part(queries, heads, 1, h, 0), _part(keys_values, heads, 2, h, 0))
            for h in range(heads)
        ]
        return _stack_heads(maps).astype(queries.dtype)

    return reference


def encdec_valatt(heads):
    def reference(keys_values, attention):
        outs = [
            np.einsum(
                "bqk,kbd->qbd", _head_maps(attention, heads, h), _part(keys_values, heads, 2, h, 1)
            )
            for h in range(heads)
        ]
        return np.concatenate(outs, axis=2).astype(keys_values.dtype)

    return reference


def selfatt_qk_backward(heads):
    def reference(ograd, qkv):
        placed = {}
        for h in range(heads):
            query, key = _part(qkv, heads, 3, h, 0), _part(qkv, heads, 3, h, 1)
            g = _head_maps(ograd, heads, h) / math.sqrt(query.shape[2])
            placed[h, 0] = np.einsum("bqk,kbd->qbd", g, key)
            placed[h, 1] = np.einsum("bqk,qbd->kbd", g, query)
        return _place(qkv.shape, heads, 3, placed).astype(qkv.dtype)

    return reference


def selfatt_valatt_backward(heads):
    def reference(ograd, qkv, attention):
        placed, d_maps = {}, []
        dim = qkv.shape[2] // (3 * heads)
        for h in range(heads):
            g = ograd[:, :, h * dim : (h + 1) * dim].astype(np.float64)
            value = _part(qkv, heads, 3, h, 2)
            placed[h, 2] = np.einsum("bqk,qbd->kbd", _head_maps(attention, heads, h), g)
            d_maps.append(np.einsum("qbd,kbd->bqk", g, value))
        return (
            _place(qkv.shape, heads, 3, placed).astype(qkv.dtype),
            _stack_heads(d_maps).astype(qkv.dtype),
        )

    return reference


def encdec_qk_backward(heads):
    def reference(ograd, queries, keys_values):
        d_queries, placed = [], {}
        for h in range(heads):
            query, key = _part(queries, heads, 1, h, 0), _part(keys_values, heads, 2, h, 0)
            g = _head_maps(ograd, heads, h) / math.sqrt(query.shape[2])
            d_queries.append(np.einsum("bqk,kbd->qbd", g, key))
            placed[h, 0] = np.einsum("bqk,qbd->kbd", g, query)
        return (
            np.concatenate(d_queries, axis=2).astype(queries.dtype),
            _place(keys_values.shape, heads, 2, placed).astype(queries.dtype),
        )

    return reference


def encdec_valatt_backward(heads):
    def reference(ograd, keys_values, attention):
        placed, d_maps = {}, []
        dim = keys_values.shape[2] // (2 * heads)
        for h in range(heads):
            g = ograd[:, :, h * dim : (h + 1) * dim].astype(np.float64)
            value = _part(keys_values, heads, 2, h, 1)
            placed[h, 1] = np.einsum("bqk,qbd->kbd", _head_maps(attention, heads, h), g)
            d_maps.append(np.einsum("qbd,kbd->bqk", g, value))
        return (
            _place(keys_values.shape, heads, 2, placed).astype(keys_values.dtype),
            _stack_heads(d_maps).astype(keys_values.dtype),
        )

    return reference


def _case(make, heads, reference, label, golden=True):
    return Case(make, {"heads": heads}, reference(heads), label=label, golden=golden)


# seq, batch, heads, dim.
add(
    "_contrib_interleaved_matmul_selfatt_qk",
    _case(floats((4, 2, 3 * 2 * 3)), 2, selfatt_qk, "2-heads"),
    _case(floats((5, 3, 3 * 1 * 4)), 1, selfatt_qk, "1-head"),
    _case(floats((3, 1, 3 * 4 * 2)), 4, selfatt_qk, "4-heads"),
    _case(floats((1, 1, 3)), 1, selfatt_qk, "one-element"),
    _case(floats((4, 2, 12), dtype="float64"), 2, selfatt_qk, "float64", golden=False),
    _case(floats((4, 2, 12), dtype="float16"), 2, selfatt_qk, "float16", golden=False),
    _case(floats((0, 2, 12)), 2, selfatt_qk, "zero-size", golden=False),
    # MXNet's error, recorded: float64 on the CPU.
    Case(floats((4, 2, 12), dtype="float64"), {"heads": 2}, label="float64-mxnet", grad=False),
)
add_errors(
    "_contrib_interleaved_matmul_selfatt_qk",
    ErrorCase(floats((4, 2, 14)), {"heads": 3},
              match=r"_contrib_interleaved_matmul_selfatt_qk.*\(4, 2, 14\).*heads=3 \* 3"),
    ErrorCase(floats((4, 30)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_selfatt_qk.*\(4, 30\).*3 dimensions"),
    ErrorCase(floats((4, 2, 12)), {"heads": 0},
              match=r"_contrib_interleaved_matmul_selfatt_qk.*'heads'"),
    ErrorCase(ints((4, 2, 12)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_selfatt_qk.*int32"),
)  # fmt: skip


def _with_attention(seq, batch, heads, dim, dtype="float32"):
    return floats((seq, batch, 3 * heads * dim), (batch * heads, seq, seq), dtype=dtype)


add(
    "_contrib_interleaved_matmul_selfatt_valatt",
    _case(_with_attention(4, 2, 2, 3), 2, selfatt_valatt, "2-heads"),
    _case(_with_attention(5, 3, 1, 4), 1, selfatt_valatt, "1-head"),
    _case(_with_attention(3, 1, 4, 2), 4, selfatt_valatt, "4-heads"),
    _case(_with_attention(1, 1, 1, 1), 1, selfatt_valatt, "one-element"),
    _case(_with_attention(4, 2, 2, 3, "float64"), 2, selfatt_valatt, "float64", golden=False),
)
add_errors(
    "_contrib_interleaved_matmul_selfatt_valatt",
    ErrorCase(floats((4, 2, 12), (4, 4, 3)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_selfatt_valatt.*attention.*\(4, 4, 3\)"),
    ErrorCase(floats((4, 2, 12), (4, 4)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_selfatt_valatt.*attention.*\(4, 4\)"),
    ErrorCase(floats((4, 2, 12), (2, 4, 4)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_selfatt_valatt.*\(2, 4, 4\).*\(4, 4, 4\)"),
    ErrorCase(floats((4, 2, 13), (4, 4, 4)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_selfatt_valatt.*queries_keys_values"),
)  # fmt: skip


def _encdec(query_seq, key_seq, batch, heads, dim, dtype="float32"):
    return floats((query_seq, batch, heads * dim), (key_seq, batch, 2 * heads * dim), dtype=dtype)


add(
    "_contrib_interleaved_matmul_encdec_qk",
    _case(_encdec(3, 4, 2, 2, 3), 2, encdec_qk, "2-heads"),
    _case(_encdec(5, 2, 3, 1, 4), 1, encdec_qk, "1-head"),
    _case(_encdec(2, 3, 1, 4, 2), 4, encdec_qk, "4-heads"),
    _case(_encdec(1, 1, 1, 1, 1), 1, encdec_qk, "one-element"),
    _case(_encdec(3, 4, 2, 2, 3, "float64"), 2, encdec_qk, "float64", golden=False),
)
add_errors(
    "_contrib_interleaved_matmul_encdec_qk",
    ErrorCase(floats((3, 2, 6), (4, 2, 10)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_encdec_qk.*keys_values.*\(4, 2, 10\)"),
    ErrorCase(floats((3, 2, 6), (4, 3, 12)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_encdec_qk.*keys_values.*\(4, 3, 12\)"),
    ErrorCase(floats((3, 2, 5), (4, 2, 10)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_encdec_qk.*queries.*\(3, 2, 5\)"),
)  # fmt: skip


def _kv_attention(query_seq, key_seq, batch, heads, dim, dtype="float32"):
    return floats(
        (key_seq, batch, 2 * heads * dim), (batch * heads, query_seq, key_seq), dtype=dtype
    )


add(
    "_contrib_interleaved_matmul_encdec_valatt",
    _case(_kv_attention(3, 4, 2, 2, 3), 2, encdec_valatt, "2-heads"),
    _case(_kv_attention(5, 2, 3, 1, 4), 1, encdec_valatt, "1-head"),
    _case(_kv_attention(2, 3, 1, 4, 2), 4, encdec_valatt, "4-heads"),
    _case(_kv_attention(1, 1, 1, 1, 1), 1, encdec_valatt, "one-element"),
    _case(_kv_attention(3, 4, 2, 2, 3, "float64"), 2, encdec_valatt, "float64", golden=False),
)
add_errors(
    "_contrib_interleaved_matmul_encdec_valatt",
    ErrorCase(floats((4, 2, 12), (4, 3, 3)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_encdec_valatt.*attention.*\(4, 3, 3\)"),
    ErrorCase(floats((4, 2, 11), (4, 3, 4)), {"heads": 2},
              match=r"_contrib_interleaved_matmul_encdec_valatt.*keys_values.*\(4, 2, 11\)"),
)  # fmt: skip

add(
    "_backward_interleaved_matmul_selfatt_qk",
    _case(floats((4, 4, 4), (4, 2, 12)), 2, selfatt_qk_backward, "2-heads"),
    _case(floats((3, 5, 5), (5, 3, 12)), 1, selfatt_qk_backward, "1-head"),
)
add(
    "_backward_interleaved_matmul_selfatt_valatt",
    _case(floats((4, 2, 6), (4, 2, 18), (4, 4, 4)), 2, selfatt_valatt_backward, "2-heads"),
    _case(floats((5, 3, 4), (5, 3, 12), (3, 5, 5)), 1, selfatt_valatt_backward, "1-head"),
)
add(
    "_backward_interleaved_matmul_encdec_qk",
    _case(floats((4, 3, 4), (3, 2, 6), (4, 2, 12)), 2, encdec_qk_backward, "2-heads"),
    _case(floats((3, 5, 2), (5, 3, 4), (2, 3, 8)), 1, encdec_qk_backward, "1-head"),
)
add(
    "_backward_interleaved_matmul_encdec_valatt",
    _case(floats((3, 2, 6), (4, 2, 12), (4, 3, 4)), 2, encdec_valatt_backward, "2-heads"),
    _case(floats((5, 3, 4), (2, 3, 8), (3, 5, 2)), 1, encdec_valatt_backward, "1-head"),
)
add_errors(
    "_backward_interleaved_matmul_selfatt_qk",
    ErrorCase(floats((4, 4, 3), (4, 2, 12)), {"heads": 2},
              match=r"_backward_interleaved_matmul_selfatt_qk.*ograd.*\(4, 4, 3\)"),
)  # fmt: skip


# ---- div_sqrt_dim --------------------------------------------------------------------------


def div_sqrt_dim(data):
    root = math.sqrt(data.shape[-1])
    if data.dtype.kind == "f":
        return (data / data.dtype.type(root)).astype(data.dtype)
    # Integers divide by the truncated root, truncating toward zero (C's division).
    return np.trunc(data / int(root)).astype(data.dtype)


add(
    "_contrib_div_sqrt_dim",
    Case(floats((2, 3)), reference=div_sqrt_dim, label="2d"),
    Case(floats((2, 2, 5)), reference=div_sqrt_dim, label="3d"),
    Case(floats((4,)), reference=div_sqrt_dim, label="1d"),
    Case(floats((3, 1)), reference=div_sqrt_dim, label="last-axis-1"),
    Case(floats((2, 9), dtype="float64"), reference=div_sqrt_dim, label="float64"),
    Case(floats((2, 3), dtype="float16"), reference=div_sqrt_dim, label="float16"),
    Case(ints((3, 9)), reference=div_sqrt_dim, label="int32", grad=False),
    Case(floats((2, 0)), reference=div_sqrt_dim, label="zero-size", golden=False),
)
add_errors(
    "_contrib_div_sqrt_dim",
    ErrorCase(fixed(1.5, dtype="float32"), match=r"_contrib_div_sqrt_dim.*at least 1 dimension"),
)


# ---- arange_like ---------------------------------------------------------------------------


def arange_like(start=0.0, step=1.0, repeat=1, axis=None):
    def reference(data):
        shape = data.shape if axis is None else (data.shape[axis],)
        count = int(np.prod(shape))
        if data.dtype in (np.float32, np.float64):
            kind = data.dtype.type
            values = [kind(start) + kind(i // repeat) * kind(step) for i in range(count)]
        else:
            # float16 and integers: whole start and step, integers wrapping around.
            values = [int(start) + (i // repeat) * int(step) for i in range(count)]
            values = np.array(values, dtype=np.int64)
        return np.array(values).astype(data.dtype).reshape(shape)

    return reference


def _arange(make, label, golden=True, **params):
    grad = make(np.random.default_rng(0))[0].dtype.kind == "f"
    return Case(make, params, arange_like(**params), label=label, grad=grad, golden=golden)


add(
    "_contrib_arange_like",
    _arange(floats((2, 3)), "default"),
    _arange(floats((2, 3)), "start-step-repeat", start=1.5, step=0.5, repeat=2),
    _arange(floats((2, 3, 4)), "axis", axis=1),
    _arange(floats((2, 3)), "negative-axis-repeat", axis=-2, repeat=2),
    _arange(floats((7,)), "float32-rounding", start=0.1, step=0.1),
    _arange(floats((6,)), "float32-large", start=1e8, step=1.0),
    _arange(floats((6,), dtype="float64"), "float64", start=0.1, step=0.1),
    _arange(floats((6,), dtype="float16"), "float16-whole", start=2.5, step=0.5),
    _arange(floats((6,), dtype="float16"), "float16-negative", start=-2.5, step=-1.5),
    _arange(ints((2, 5)), "int32", start=-3.7, step=1.5),
    _arange(ints((6,), dtype="int8"), "int8-wraps", start=120.0, step=3.0),
    _arange(ints((6,), dtype="uint8"), "uint8-wraps", start=-1.0),
    _arange(floats((2, 3)), "step-0", step=0.0),
    _arange(floats((0, 3)), "zero-size", golden=False),
)
add_errors(
    "_contrib_arange_like",
    ErrorCase(floats((2, 3)), {"axis": 2}, match=r"_contrib_arange_like.*axis=2"),
    ErrorCase(floats((2, 3)), {"repeat": 0}, match=r"_contrib_arange_like.*'repeat'"),
)
