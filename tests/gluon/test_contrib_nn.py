"""gluon.contrib.nn: Concurrent, HybridConcurrent, Identity, SparseEmbedding, SyncBatchNorm,
PixelShuffle1D/2D/3D (their MXNet goldens run in test_nn_golden.py)."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon

nn = gluon.nn
cnn = gluon.contrib.nn


def test_hybrid_concurrent_names_repr_and_output():
    net = cnn.HybridConcurrent(axis=1, prefix="cat_")
    with net.name_scope():
        net.add(nn.Dense(2, in_units=3), cnn.Identity())
    assert list(net.collect_params().keys()) == ["cat_dense0_weight", "cat_dense0_bias"]
    assert repr(net) == (
        "HybridConcurrent(\n  (0): Dense(3 -> 2, linear)\n  (1): Identity(\n  \n  )\n)"
    )
    net.initialize(mx.init.One())
    x = mx.nd.array([[1.0, 2.0, 3.0]])
    expected = [[6.0, 6.0, 1.0, 2.0, 3.0]]
    np.testing.assert_allclose(net(x).asnumpy(), expected)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected)


def test_concurrent_runs_non_hybrid_children():
    net = cnn.Concurrent()
    with net.name_scope():
        net.add(nn.Lambda(lambda x: x * 2), cnn.Identity())
    out = net(mx.nd.array([[1.0], [2.0]]))
    np.testing.assert_allclose(out.asnumpy(), [[2.0, 1.0], [4.0, 2.0]])


def test_sparse_embedding_matches_embedding():
    sparse = cnn.SparseEmbedding(6, 3)
    dense = nn.Embedding(6, 3)
    assert repr(sparse) == "SparseEmbedding(6 -> 3, float32)"
    assert sparse.weight._grad_stype == "row_sparse" and sparse.weight.stype == "row_sparse"
    for layer in (sparse, dense):
        layer.initialize(mx.init.Constant(0.5))
    x = mx.nd.array([[0, 5], [5, 1]])
    grads = []
    for layer in (sparse, dense):
        with autograd.record():
            out = layer(x)
        out.backward()
        grads.append((out.asnumpy(), layer.weight.grad().asnumpy()))
    for actual, expected in zip(*grads):
        np.testing.assert_array_equal(actual, expected)


def test_sync_batch_norm_is_batch_norm_on_one_device(seed):
    sync = cnn.SyncBatchNorm(num_devices=1, in_channels=3)
    plain = nn.BatchNorm(in_channels=3)
    assert repr(sync).startswith(
        "SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
        "ndev=1, key='syncbatchnorm"
    )
    x = mx.nd.array(np.random.randn(4, 3, 2))
    outputs = []
    for layer in (sync, plain):
        layer.initialize()
        with autograd.record():
            out = layer(x)
        outputs.append((out.asnumpy(), layer.running_mean.data().asnumpy()))
    for actual, expected in zip(*outputs):
        np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_sync_batch_norm_warns_without_num_devices():
    with pytest.warns(UserWarning, match="num_devices"):
        layer = cnn.SyncBatchNorm()
    assert "ndev=1" in repr(layer) or mx.num_gpus() > 1


@pytest.mark.parametrize(
    "layer, in_shape, out_shape",
    [
        (cnn.PixelShuffle1D(3), (2, 6, 4), (2, 2, 12)),
        (cnn.PixelShuffle2D(2), (1, 8, 2, 3), (1, 2, 4, 6)),
        (cnn.PixelShuffle2D((1, 3)), (1, 6, 2, 2), (1, 2, 2, 6)),
        (cnn.PixelShuffle3D((1, 2, 3)), (1, 12, 2, 1, 2), (1, 2, 2, 2, 6)),
    ],
    ids=repr,
)
@pytest.mark.parametrize("hybridize", [False, True])
def test_pixel_shuffle_moves_channels_into_space(layer, in_shape, out_shape, hybridize):
    if hybridize:
        layer.hybridize()
    x = np.arange(np.prod(in_shape), dtype=np.float32).reshape(in_shape)
    out = layer(mx.nd.array(x)).asnumpy()
    assert out.shape == out_shape
    # The reference: split channels as (C, f1, f2, ...), interleave each factor after its axis.
    factors = (layer._factor,) if hasattr(layer, "_factor") else layer._factors
    n, c = in_shape[0], in_shape[1] // int(np.prod(factors))
    spatial = in_shape[2:]
    ndim = len(factors)
    y = x.reshape((n, c, *factors, *spatial))
    order = [0, 1] + [axis for i in range(ndim) for axis in (2 + ndim + i, 2 + i)]
    np.testing.assert_array_equal(out, y.transpose(order).reshape(out_shape))


def test_pixel_shuffle_repr_and_bad_factor():
    assert repr(cnn.PixelShuffle1D(3)) == "PixelShuffle1D(3)"
    assert repr(cnn.PixelShuffle2D(2)) == "PixelShuffle2D((2, 2))"
    assert repr(cnn.PixelShuffle3D((1, 2, 3))) == "PixelShuffle3D((1, 2, 3))"
    with pytest.raises(ValueError, match="PixelShuffle2D"):
        cnn.PixelShuffle2D((1, 2, 3))


def test_identity_passes_gradient():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = cnn.Identity()(x) * 3
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 3.0])
