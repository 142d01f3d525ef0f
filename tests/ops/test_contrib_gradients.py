"""Gradients of the contrib operators that no numeric check can cover, through autograd:
box_iou, MultiBoxTarget and MultiBoxDetection pass zero back (as MXNet 1.9.1 does) and box_nms
copies row gradients whatever the formats; and a whole self-attention block built from the
interleaved matmuls against the same block written with batch_dot."""

import numpy as np

import neomx as mx
from neomx.test_utils import assert_almost_equal


def _attached(ctx, *arrays):
    nds = [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]
    for nd in nds:
        nd.attach_grad()
    return nds


def _backward_with_ones(outputs):
    outputs = outputs if isinstance(outputs, list) else [outputs]
    mx.autograd.backward(outputs, head_grads=[mx.nd.ones_like(o) for o in outputs])


def test_box_iou_passes_zero_gradients(ctx):
    lhs, rhs = _attached(
        ctx, np.array([[0, 0, 2, 2], [1, 1, 3, 3]], "float32"), np.array([[1, 1, 2, 2]], "float32")
    )
    with mx.autograd.record():
        overlap = mx.nd.contrib.box_iou(lhs, rhs)
    _backward_with_ones(overlap)
    assert overlap.asnumpy().max() > 0
    assert not lhs.grad.asnumpy().any() and not rhs.grad.asnumpy().any()


def test_multibox_target_and_detection_pass_zero_gradients(ctx):
    anchor = np.array([[[0, 0, 0.5, 0.5], [0.5, 0.5, 1, 1], [0, 0, 1, 1]]], "float32")
    label = np.array([[[1, 0.1, 0.1, 0.5, 0.5], [-1, -1, -1, -1, -1]]], "float32")
    cls_pred = np.random.default_rng(0).normal(size=(1, 3, 3)).astype("float32")
    inputs = _attached(ctx, anchor, label, cls_pred)
    with mx.autograd.record():
        targets = mx.nd.contrib.MultiBoxTarget(*inputs)
    _backward_with_ones(targets)
    assert targets[1].asnumpy().any()
    assert all(not x.grad.asnumpy().any() for x in inputs)

    probs = np.array([[[0.2, 0.3, 0.1], [0.8, 0.7, 0.9]]], "float32")
    loc = np.full((1, 12), 0.1, "float32")
    inputs = _attached(ctx, probs, loc, anchor)
    with mx.autograd.record():
        detections = mx.nd.contrib.MultiBoxDetection(*inputs)
    _backward_with_ones(detections)
    assert (detections.asnumpy()[0, :, 0] >= 0).any()
    assert all(not x.grad.asnumpy().any() for x in inputs)


def test_box_nms_gradient_copies_rows_across_formats(ctx):
    rows = np.array(
        [[0, 0.5, 0.1, 0.1, 0.2, 0.2], [1, 0.4, 0.1, 0.1, 0.2, 0.2], [2, 0.6, 0.5, 0.5, 0.7, 0.8]],
        "float32",
    )
    head = np.arange(18, dtype="float32").reshape(3, 6)
    (data,) = _attached(ctx, rows)
    with mx.autograd.record():
        kept = mx.nd.contrib.box_nms(data, in_format="center", out_format="corner")
    kept.backward(mx.nd.array(head, ctx=ctx))
    # Output rows: box 2, box 0, padding; box 1 is suppressed (MXNet 1.9.1's answer).
    want = np.zeros_like(rows)
    want[2], want[0] = head[0], head[1]
    assert_almost_equal(data.grad.asnumpy(), want)


def test_box_nms_gradient_with_batch_axes(ctx):
    rng = np.random.default_rng(1)
    rows = rng.uniform(size=(2, 3, 4, 6)).astype("float32")
    head = rng.normal(size=rows.shape).astype("float32")
    (data,) = _attached(ctx, rows)
    with mx.autograd.record():
        kept = mx.nd.contrib.box_nms(data, overlap_thresh=0.1)
    kept.backward(mx.nd.array(head, ctx=ctx))
    out, grad = kept.asnumpy(), data.grad.asnumpy()
    for index in np.ndindex(2, 3):
        for j, row in enumerate(out[index]):
            if row[0] == -1 and row[1] == -1:
                continue
            source = int(np.nonzero((rows[index] == row).all(axis=1))[0][0])
            assert_almost_equal(grad[index][source], head[index][j])
    assert np.count_nonzero(grad.any(axis=-1)) == np.count_nonzero((out != -1).any(axis=-1))


def test_self_attention_block_matches_batch_dot(ctx):
    """softmax(q k^T / sqrt(d)) v with the interleaved operators equals the same block with
    reshapes and batch_dot, forward and backward."""
    seq, batch, heads, dim = 5, 2, 3, 4
    rng = np.random.default_rng(2)
    qkv_value = rng.normal(size=(seq, batch, heads * 3 * dim))
    head = rng.normal(size=(seq, batch, heads * dim))

    def interleaved(qkv):
        scores = mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=heads)
        return mx.nd.contrib.interleaved_matmul_selfatt_valatt(
            qkv, mx.nd.softmax(scores, axis=-1), heads=heads
        )

    def plain(qkv):
        split = mx.nd.reshape(qkv, shape=(seq, batch, heads, 3, dim))
        parts = [
            mx.nd.reshape(
                mx.nd.transpose(mx.nd.slice_axis(split, axis=3, begin=i, end=i + 1),
                                axes=(1, 2, 0, 3, 4)),
                shape=(batch * heads, seq, dim),
            )
            for i in range(3)
        ]  # fmt: skip
        scores = mx.nd.batch_dot(parts[0], parts[1], transpose_b=True) / np.sqrt(dim)
        out = mx.nd.batch_dot(mx.nd.softmax(scores, axis=-1), parts[2])
        out = mx.nd.transpose(mx.nd.reshape(out, shape=(batch, heads, seq, dim)), axes=(2, 0, 1, 3))
        return mx.nd.reshape(out, shape=(seq, batch, heads * dim))

    results = []
    for block in (interleaved, plain):
        (qkv,) = _attached(ctx, qkv_value)
        with mx.autograd.record():
            out = block(qkv)
        out.backward(mx.nd.array(head, ctx=ctx, dtype="float64"))
        results.append((out.asnumpy(), qkv.grad.asnumpy()))
    assert_almost_equal(results[0][0], results[1][0])
    assert_almost_equal(results[0][1], results[1][1])


def test_div_sqrt_dim_differentiates_twice(ctx):
    (data,) = _attached(ctx, np.random.default_rng(3).normal(size=(2, 9)))
    with mx.autograd.record():
        out = mx.nd.contrib.div_sqrt_dim(data)
        (grad,) = mx.autograd.grad(mx.nd.sum(out * out), [data], create_graph=True)
        total = mx.nd.sum(grad)
    total.backward()
    # d/dx sum(2 x / 9) = 2 / 9 everywhere.
    assert_almost_equal(data.grad.asnumpy(), np.full((2, 9), 2 / 9))
