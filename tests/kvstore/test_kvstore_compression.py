"""'2bit' gradient compression: MXNet's packed codes and its error feedback."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx.kvstore.compression import (
    GradientCompression,
    compressed_size,
    dequantize_2bit,
    quantize_2bit,
)


def test_packed_layout():
    # MXNet: 16 codes per float32 word, four per byte, the first value in the top two bits;
    # 11 = +threshold, 10 = -threshold, 00 = 0.
    grad = np.array([1.0, -1.0, 0.0, 0.2] + [0.0] * 12 + [-2.0], np.float32)
    residual = np.zeros_like(grad)
    codes = quantize_2bit(grad, residual, 0.5)
    assert codes.dtype == np.float32 and codes.size == compressed_size(17) == 2
    assert codes.view(np.uint8).tolist() == [0b11100000, 0, 0, 0, 0b10000000, 0, 0, 0]
    np.testing.assert_allclose(
        residual, np.float32([0.5, -0.5, 0.0, 0.2] + [0.0] * 12 + [-1.5]), rtol=0, atol=0
    )
    expected = [0.5, -0.5, 0.0, 0.0] + [0.0] * 12 + [-0.5]
    np.testing.assert_array_equal(dequantize_2bit(codes, 17, 0.5), expected)


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_roundtrip_matches_store_compression(size, seed):
    rng = np.random.RandomState(seed)
    threshold = 0.3
    residual = np.zeros(size, np.float32)
    compression = GradientCompression({"type": "2bit", "threshold": threshold})
    for _ in range(3):
        grad = (rng.randn(size) * 0.4).astype(np.float32)
        codes = quantize_2bit(grad, residual, threshold)
        sent = compression.compress("k", 0, mx.nd.array(grad)).asnumpy()
        np.testing.assert_array_equal(dequantize_2bit(codes, size, threshold), sent)
        stored = compression._residuals[("k", 0)].asnumpy()
        np.testing.assert_array_equal(stored, residual)


def test_error_feedback_sends_everything_eventually():
    compression = GradientCompression({"type": "2bit", "threshold": 0.5})
    grad = mx.nd.array([0.2, -0.3, 0.05])
    total = np.zeros(3, np.float32)
    for _ in range(20):
        total += compression.compress(0, 0, grad).asnumpy()
    left = compression._residuals[(0, 0)].asnumpy()
    np.testing.assert_allclose(total + left, 20 * grad.asnumpy(), rtol=1e-5)
    assert np.all(np.abs(left) < 0.5)


def test_residuals_are_per_key_and_device():
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 1.0})
    kv.init(0, mx.nd.zeros((2,)))
    out = mx.nd.zeros((2,))
    # Each device's 0.6 stays in its residual until the second push passes the threshold.
    for expected in ([0.0, 0.0], [2.0, 2.0], [0.0, 0.0]):
        kv.push(0, [mx.nd.full((2,), 0.6, ctx=mx.cpu(0)), mx.nd.full((2,), 0.6, ctx=mx.cpu(1))])
        kv.pull(0, out=out)
        assert out.asnumpy().tolist() == expected
    assert kv._compression._residuals[(0, 1)].context == mx.cpu(1)


def test_bad_inputs():
    with pytest.raises(ValueError, match="expected a dict"):
        GradientCompression("2bit")
    with pytest.raises(mx.MXNetError, match="residual must be float32 of 3"):
        quantize_2bit(np.zeros(3, np.float32), np.zeros(2, np.float32), 0.5)
    with pytest.raises(mx.MXNetError, match="hold at most 16"):
        dequantize_2bit(np.zeros(1, np.float32), 17, 0.5)
