"""FullyConnected, Convolution and Deconvolution beyond the case tables: shape inference that
fills in the weight and bias (Gluon's deferred initialisation, simple_bind), memory, workspace
chunks, layouts, larger shapes and gradients of second order."""

import tracemalloc

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.ops import REGISTRY
from neomx.ops.infer import concrete_shapes
from neomx.test_utils import assert_almost_equal

from .cases_deconv_correlation import deconvolution
from .cases_fc_conv import convolution


def _infer(op_name, params, *shapes):
    op = REGISTRY[op_name]
    return op.infer_shape(op.params.parse(op_name, params), *shapes)


# ---- shape inference: weight and bias from data -------------------------------------------


def test_fully_connected_infers_weight_and_bias_from_data():
    inferred, out = _infer("FullyConnected", {"num_hidden": 10}, (32, 1, 28, 28), None, None)
    assert inferred == ((32, 1, 28, 28), (10, 784), (10,))
    assert out == ((32, 10),)
    inferred, out = _infer(
        "FullyConnected", {"num_hidden": 4, "flatten": False, "no_bias": True}, (2, 3, 5), None
    )
    assert inferred == ((2, 3, 5), (4, 5)) and out == ((2, 3, 4),)


def test_fully_connected_unknown_batch_still_gives_the_weight():
    # Graph inference (MXNet 1.x): 0 is an unknown dimension.
    inferred, out = _infer("FullyConnected", {"num_hidden": 8}, (0, 4, 7), None, None)
    assert inferred[1:] == ((8, 28), (8,)) and out == ((0, 8),)
    assert _infer("FullyConnected", {"num_hidden": 8}, None, (8, 5), None) is None


@pytest.mark.parametrize(
    "params,data,weight,out",
    [
        ({"kernel": (3, 3), "num_filter": 8}, (2, 4, 7, 7), (8, 4, 3, 3), (2, 8, 5, 5)),
        (
            {"kernel": (3, 3, 3), "num_filter": 8, "num_group": 2, "layout": "NDHWC"},
            (2, 7, 7, 7, 4),
            (8, 3, 3, 3, 2),
            (2, 5, 5, 5, 8),
        ),
        (
            {"kernel": (3, 3), "num_filter": 8, "layout": "NHWC"},
            (2, 7, 7, 4),
            (8, 3, 3, 4),
            (2, 5, 5, 8),
        ),
        (
            {"kernel": (3,), "num_filter": 8, "dilate": (2,), "stride": (3,), "pad": (1,)},
            (0, 4, 6),
            (8, 4, 3),
            (0, 8, 2),
        ),
    ],
)
def test_convolution_infers_weight_and_bias_from_data(params, data, weight, out):
    # The shapes MXNet 1.9.1's symbol.infer_shape_partial gives for these.
    inferred, outputs = _infer("Convolution", params, data, None, None)
    assert inferred == (data, weight, (8,))
    assert outputs == (out,)


def test_convolution_partial_shapes_as_mxnet():
    params = {"kernel": (3, 3), "num_filter": 8}
    # Unknown channels leave the weight's channels unknown; unknown height the output's.
    assert _infer("Convolution", params, (2, 0, 7, 7), None, None) == (
        ((2, 0, 7, 7), (8, 0, 3, 3), (8,)),
        ((2, 8, 5, 5),),
    )
    assert _infer("Convolution", params, (2, 4, 0, 7), None, None)[1] == ((2, 8, 0, 5),)
    # A known weight tells the channels.
    assert _infer("Convolution", params, (2, 0, 7, 7), (8, 4, 3, 3), None)[0][0] == (2, 4, 7, 7)
    assert _infer("Convolution", params, None, (8, 4, 3, 3), None) is None


@pytest.mark.parametrize(
    "params,data,weight,out",
    [
        (
            {"kernel": (3, 3), "num_filter": 8, "layout": "NHWC"},
            (2, 7, 7, 4),
            (4, 3, 3, 8),
            (2, 9, 9, 8),
        ),
        (
            {"kernel": (3, 2), "num_filter": 8, "num_group": 2},
            (2, 4, 7, 7),
            (4, 4, 3, 2),
            (2, 8, 9, 8),
        ),
        (
            {"kernel": (3, 3), "num_filter": 8, "stride": (2, 2), "target_shape": (12, 13)},
            (2, 4, 6, 6),
            (4, 8, 3, 3),
            (2, 8, 12, 13),
        ),
        (
            {"kernel": (3,), "num_filter": 8, "dilate": (2,), "stride": (3,), "pad": (1,)},
            (0, 4, 6),
            (4, 8, 3),
            (0, 8, 18),
        ),
    ],
)
def test_deconvolution_infers_weight_and_bias_from_data(params, data, weight, out):
    inferred, outputs = _infer("Deconvolution", {**params, "no_bias": False}, data, None, None)
    assert inferred == (data, weight, (8,))
    assert outputs == (out,)


def test_imperative_inference_names_the_weight():
    op = REGISTRY["Convolution"]
    p = op.params.parse(op.name, {"kernel": (3, 3), "num_filter": 4})
    with pytest.raises(MXNetError, match=r"Convolution.*weight.*\(4, 3, 3, 3\)"):
        op.check_shapes(p, [(2, 3, 5, 5), (4, 2, 3, 3), (4,)])
    with concrete_shapes():
        # Existing arrays: a zero batch is a real size.
        assert op.infer_shape(p, (0, 3, 5, 5), None, None)[1] == ((0, 4, 3, 3),)


# ---- memory and workspace ----------------------------------------------------------------


def test_conv_forward_allocates_at_most_twice_the_im2col_buffer():
    batch, channels, size = 8, 16, 28
    rng = np.random.default_rng(0)
    x = mx.nd.array(rng.standard_normal((batch, channels, size, size)))
    w = mx.nd.array(rng.standard_normal((16, channels, 3, 3)))
    b = mx.nd.zeros((16,))
    columns = batch * channels * 9 * size * size * 4
    mx.cpu().empty_cache()
    tracemalloc.start()
    try:
        y = mx.nd.Convolution(x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=16)
        y.wait_to_read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 2 * columns, f"peak {peak} bytes, im2col buffer {columns} bytes"


def test_workspace_bounds_the_column_buffer():
    """workspace (MB) caps the columns: a batch that does not fit runs in chunks."""
    rng = np.random.default_rng(1)
    x = mx.nd.array(rng.standard_normal((16, 8, 32, 32)))
    w = mx.nd.array(rng.standard_normal((8, 8, 3, 3)))
    params = {"kernel": (3, 3), "pad": (1, 1), "num_filter": 8, "no_bias": True}
    whole = mx.nd.Convolution(x, w, **params).asnumpy()
    columns = 16 * 8 * 9 * 32 * 32 * 4
    mx.cpu().empty_cache()
    tracemalloc.start()
    try:
        chunked = mx.nd.Convolution(x, w, workspace=0, **params)
        chunked.wait_to_read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_almost_equal(chunked.asnumpy(), whole, rtol=1e-5, atol=1e-4)
    # One sample's columns (1/16 of the batch's) and the output.
    assert peak < columns / 4


def _run_with_gradients(op_name, values, head, **params):
    """The output and input gradients of one recorded call, as numpy arrays."""
    arrays = [mx.nd.array(v) for v in values]
    for array in arrays:
        array.attach_grad()
    with mx.autograd.record():
        out = getattr(mx.nd, op_name)(*arrays, **params)
    out.backward(mx.nd.array(head(out.shape)))
    return [out.asnumpy()] + [array.grad.asnumpy() for array in arrays]


def _ramp(shape):
    return np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)


@pytest.mark.parametrize(
    "op_name,shapes",
    [
        ("Convolution", ((5, 4, 7, 6), (6, 2, 3, 3))),
        ("Deconvolution", ((5, 4, 4, 3), (4, 3, 3, 3))),
    ],
)
def test_workspace_chunks_give_the_same_gradients(op_name, shapes):
    rng = np.random.default_rng(2)
    values = [rng.standard_normal(shape) for shape in shapes]
    params = {
        "kernel": (3, 3),
        "stride": (2, 1),
        "pad": (1, 1),
        "num_filter": 6,
        "num_group": 2,
        "no_bias": True,
    }
    whole = _run_with_gradients(op_name, values, _ramp, **params)
    chunked = _run_with_gradients(op_name, values, _ramp, workspace=0, **params)
    for got, want in zip(chunked, whole):
        assert_almost_equal(got, want, rtol=1e-5, atol=1e-5)


# ---- layouts and larger shapes ----------------------------------------------------------


@pytest.mark.parametrize("op_name", ["Convolution", "Deconvolution"])
def test_channel_last_equals_channel_first(op_name):
    rng = np.random.default_rng(4)
    values = [rng.standard_normal((2, 6, 5, 4)), rng.standard_normal((6, 3, 3, 2))]
    params = {
        "kernel": (3, 2),
        "stride": (2, 1),
        "pad": (1, 1),
        "num_filter": 6,
        "num_group": 2,
        "no_bias": True,
    }
    first = _run_with_gradients(op_name, values, _ramp, layout="NCHW", **params)

    def last(array):
        return np.moveaxis(array, 1, -1)

    def head(shape):
        return last(_ramp(first[0].shape))

    channel_last = _run_with_gradients(
        op_name, [last(v) for v in values], head, layout="NHWC", **params
    )
    for got, want in zip(channel_last, first):
        assert_almost_equal(np.moveaxis(got, -1, 1), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        {"kernel": (3, 3), "pad": (1, 1)},
        {"kernel": (5, 3), "stride": (2, 3), "dilate": (1, 2), "pad": (2, 0), "num_group": 4},
        {"kernel": (1, 1)},
    ],
)
def test_convolution_on_a_larger_shape(params):
    """Above the sizes of the case tables (several GEMM rows per thread, chunk boundaries)."""
    rng = np.random.default_rng(5)
    groups = params.get("num_group", 1)
    x = rng.standard_normal((3, 8, 17, 19)).astype(np.float32)
    w = rng.standard_normal((12, 8 // groups) + params["kernel"]).astype(np.float32)
    b = rng.standard_normal(12).astype(np.float32)
    full = {**params, "num_filter": 12}
    got = mx.nd.Convolution(mx.nd.array(x), mx.nd.array(w), mx.nd.array(b), **full)
    assert_almost_equal(got.asnumpy(), convolution(**full)(x, w, b), rtol=1e-4, atol=1e-4)


def test_deconvolution_on_a_larger_shape():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 8, 9, 7)).astype(np.float32)
    w = rng.standard_normal((8, 3, 4, 3)).astype(np.float32)
    params = {
        "kernel": (4, 3),
        "stride": (2, 3),
        "pad": (1, 1),
        "adj": (1, 2),
        "num_filter": 6,
        "num_group": 2,
    }
    got = mx.nd.Deconvolution(mx.nd.array(x), mx.nd.array(w), **params)
    assert_almost_equal(got.asnumpy(), deconvolution(**params)(x, w), rtol=1e-4, atol=1e-4)


def test_float16_accumulates_in_float32():
    """A long float16 sum rounded once: as accurate as float16 allows."""
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, (1, 64, 6, 6)).astype(np.float16)
    w = rng.uniform(0, 1, (2, 64, 3, 3)).astype(np.float16)
    data, weight = (mx.nd.array(a, dtype="float16") for a in (x, w))
    got = mx.nd.Convolution(data, weight, kernel=(3, 3), num_filter=2, no_bias=True).asnumpy()
    want = convolution(kernel=(3, 3))(x.astype(np.float64), w.astype(np.float64))
    assert got.dtype == np.float16
    assert_almost_equal(got.astype(np.float64), want, rtol=1e-3, atol=0)


# ---- second order --------------------------------------------------------------------


def test_second_order_through_convolution():
    """d/dx of sum(v * dL/dw) for L = sum(conv(x, w)**2) / 2, against central differences."""
    rng = np.random.default_rng(8)
    x0 = rng.standard_normal((2, 2, 5, 4))
    w0 = rng.standard_normal((3, 2, 3, 2))
    v = rng.standard_normal(w0.shape)
    params = {"kernel": (3, 2), "stride": (2, 1), "pad": (1, 0), "num_filter": 3, "no_bias": True}

    def weight_gradient(x_values, create_graph=False):
        x = mx.nd.array(x_values, dtype="float64")
        w = mx.nd.array(w0, dtype="float64")
        x.attach_grad()
        w.attach_grad()
        with mx.autograd.record():
            y = mx.nd.Convolution(x, w, **params)
            loss = mx.nd.sum(y * y) * 0.5
            (grad_w,) = mx.autograd.grad(loss, [w], create_graph=create_graph)
            objective = mx.nd.sum(grad_w * mx.nd.array(v, dtype="float64"))
        return x, objective

    x, objective = weight_gradient(x0, create_graph=True)
    objective.backward()
    numeric = np.zeros_like(x0)
    eps = 1e-6
    for index in np.ndindex(*x0.shape):
        step = np.zeros_like(x0)
        step[index] = eps
        up = weight_gradient(x0 + step)[1].asscalar()
        down = weight_gradient(x0 - step)[1].asscalar()
        numeric[index] = (up - down) / (2 * eps)
    assert_almost_equal(x.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-6)
