"""gluon.contrib.nn.SyncBatchNorm across devices: the batch split over cpu(0) and cpu(1) under
ThreadedEnginePerDevice gives what BatchNorm gives on the whole batch on one device."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon
from neomx.base import MXNetError
from neomx.ops.nn import sync_batch_norm

SyncBatchNorm = gluon.contrib.nn.SyncBatchNorm
THREADED = "ThreadedEnginePerDevice"


def _train_step(layer, parts, ograds, contexts, hybridize):
    """One recorded forward and backward of ``layer`` on each device's part of the batch;
    returns the outputs and data gradients concatenated, the gamma and beta gradients summed
    over the devices (as a KVStore would), and each device's running statistics."""
    layer.initialize(ctx=contexts)
    channels = parts[0].shape[1]
    layer.gamma.set_data(mx.nd.array(np.linspace(0.5, 2.0, channels)))
    layer.beta.set_data(mx.nd.array(np.linspace(-0.3, 0.3, channels)))
    if hybridize:
        layer.hybridize()
    datas = [mx.nd.array(part, ctx=c) for part, c in zip(parts, contexts)]
    for data in datas:
        data.attach_grad()
    with autograd.record():
        outs = [layer(data) for data in datas]
    autograd.backward(outs, [mx.nd.array(g, ctx=c) for g, c in zip(ograds, contexts)])
    return {
        "out": np.concatenate([out.asnumpy() for out in outs]),
        "data_grad": np.concatenate([data.grad.asnumpy() for data in datas]),
        "gamma_grad": sum(layer.gamma.grad(c).asnumpy() for c in contexts),
        "beta_grad": sum(layer.beta.grad(c).asnumpy() for c in contexts),
        "running_mean": [layer.running_mean.data(c).asnumpy() for c in contexts],
        "running_var": [layer.running_var.data(c).asnumpy() for c in contexts],
    }


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("shape", [(4, 3), (6, 2, 5), (4, 3, 2, 2)], ids=str)
def test_two_devices_equal_batch_norm_on_the_whole_batch(shape, hybridize, seed):
    data = (np.random.randn(*shape) * 1.5 + 0.5).astype(np.float32)
    ograd = np.random.randn(*shape).astype(np.float32)
    channels = shape[1]
    expected = _train_step(
        gluon.nn.BatchNorm(in_channels=channels), [data], [ograd], [mx.cpu(0)], hybridize
    )
    contexts = [mx.cpu(0), mx.cpu(1)]
    with mx.engine.engine_scope(THREADED):
        got = _train_step(
            SyncBatchNorm(in_channels=channels, num_devices=2),
            np.split(data, 2),
            np.split(ograd, 2),
            contexts,
            hybridize,
        )
    for name in ("out", "data_grad", "gamma_grad", "beta_grad"):
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-5, err_msg=name)
    for name in ("running_mean", "running_var"):
        for stats in got[name]:
            np.testing.assert_allclose(stats, expected[name][0], rtol=1e-5, atol=1e-6)


def test_inference_uses_the_running_statistics_without_meeting():
    # Outside training no statistics are shared: NaiveEngine is fine with ndev > 1.
    layer = SyncBatchNorm(in_channels=2, num_devices=2)
    layer.initialize()
    x = mx.nd.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(layer(x).asnumpy(), x.asnumpy() / np.sqrt(1 + 1e-5), rtol=1e-6)


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_naive_engine_with_several_devices_raises(hybridize):
    layer = SyncBatchNorm(in_channels=3, num_devices=2)
    layer.initialize()
    if hybridize:
        layer.hybridize()
    with mx.engine.engine_scope("NaiveEngine"):
        with pytest.raises(MXNetError, match=r"ndev=2.*MXNET_ENGINE_TYPE=ThreadedEnginePerDevice"):
            with autograd.record():
                layer(mx.nd.ones((2, 3)))


def test_missing_device_times_out_with_an_error(monkeypatch):
    # Both calls on cpu(0) run one after another on its worker: neither finds its partner.
    monkeypatch.setattr(sync_batch_norm, "TIMEOUT_S", 0.1)
    layer = SyncBatchNorm(in_channels=3, num_devices=2)
    layer.initialize()
    with mx.engine.engine_scope(THREADED):
        with autograd.record():
            out = layer(mx.nd.ones((2, 3)))
        with pytest.raises(MXNetError, match=r"key 'syncbatchnorm\d+_': waited 0.1 s"):
            out.asnumpy()


@pytest.mark.parametrize("engine", ["NaiveEngine", THREADED])
def test_one_device_is_batch_norm(engine, seed):
    data = np.random.randn(4, 3, 2).astype(np.float32)
    ograd = np.random.randn(4, 3, 2).astype(np.float32)
    expected = _train_step(gluon.nn.BatchNorm(in_channels=3), [data], [ograd], [mx.cpu()], False)
    with mx.engine.engine_scope(engine):
        got = _train_step(
            SyncBatchNorm(in_channels=3, num_devices=1), [data], [ograd], [mx.cpu()], False
        )
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-6, err_msg=name)


def test_operator_outputs_mean_and_variance():
    # MXNet's _contrib_SyncBatchNorm returns the variance where BatchNorm returns 1/std.
    x = mx.nd.array([[1.0, 2.0], [3.0, 6.0]])
    ones, zeros = mx.nd.ones(2), mx.nd.zeros(2)
    with autograd.train_mode():
        _, mean, var = mx.nd.contrib.SyncBatchNorm(
            x, ones, zeros, zeros, ones, output_mean_var=True, ndev=1, key="k"
        )
    np.testing.assert_allclose(mean.asnumpy(), [2.0, 4.0])
    np.testing.assert_allclose(var.asnumpy(), [1.0, 4.0])
