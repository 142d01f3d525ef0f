"""gluon.nn layers: printing, naming, deferred shapes, errors, and per-layer behaviour that the
MXNet goldens (test_nn_golden.py) do not show."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon
from neomx.base import MXNetError

nn = gluon.nn


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: nn.Dense(10), "Dense(None -> 10, linear)"),
        (lambda: nn.Dense(10, activation="relu", in_units=5), "Dense(5 -> 10, Activation(relu))"),
        (lambda: nn.Conv2D(16, 3), "Conv2D(None -> 16, kernel_size=(3, 3), stride=(1, 1))"),
        (
            lambda: nn.Conv2D(16, 3, layout="NHWC"),
            "Conv2D(3 -> 16, kernel_size=(3, 3), stride=(1, 1))",  # MXNet reads weight.shape[1]
        ),
        (
            lambda: nn.Conv2D(16, 3, in_channels=4, groups=2),
            "Conv2D(2 -> 16, kernel_size=(3, 3), stride=(1, 1), groups=2)",
        ),
        (
            lambda: nn.Conv1D(4, 3, padding=1, dilation=2, activation="relu", use_bias=False),
            "Conv1D(None -> 4, kernel_size=(3,), stride=(1,), padding=(1,), dilation=(2,), "
            "bias=False, Activation(relu))",
        ),
        (
            lambda: nn.Conv2DTranspose(16, 3, in_channels=4, groups=2),
            "Conv2DTranspose(8 -> 4, kernel_size=(3, 3), stride=(1, 1), groups=2)",
        ),
        (
            lambda: nn.Conv3DTranspose(8, 2, strides=2, output_padding=1),
            "Conv3DTranspose(8 -> 0, kernel_size=(2, 2, 2), stride=(2, 2, 2))",
        ),
        (
            lambda: nn.BatchNorm(),
            "BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
            "in_channels=None)",
        ),
        (
            lambda: nn.InstanceNorm(),
            "InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, in_channels=0)",
        ),
        (
            lambda: nn.LayerNorm(),
            "LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=0)",
        ),
        (lambda: nn.GroupNorm(), "GroupNorm(eps=1e-05, num_groups=1, center=True, scale=True)"),
        (lambda: nn.Embedding(10, 4), "Embedding(10 -> 4, float32)"),
        (lambda: nn.Flatten(), "Flatten"),
        (lambda: nn.Activation("relu"), "Activation(relu)"),
        (lambda: nn.LeakyReLU(0.1), "LeakyReLU(0.1)"),
        (lambda: nn.PReLU(), "PReLU(\n\n)"),
        (lambda: nn.ELU(), "ELU(\n\n)"),
        (lambda: nn.Swish(), "Swish(\n\n)"),
        (lambda: nn.ReflectionPad2D(2), "ReflectionPad2D(\n\n)"),
        (lambda: nn.Dropout(0.5), "Dropout(p = 0.5, axes=())"),
        (
            lambda: nn.MaxPool2D(),
            "MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, "
            "global_pool=False, pool_type=max, layout=NCHW)",
        ),
        (
            lambda: nn.AvgPool1D(ceil_mode=True),
            "AvgPool1D(size=(2,), stride=(2,), padding=(0,), ceil_mode=True, global_pool=False, "
            "pool_type=avg, layout=NCW)",
        ),
        (
            lambda: nn.GlobalAvgPool3D(),
            "GlobalAvgPool3D(size=(1, 1, 1), stride=(1, 1, 1), padding=(0, 0, 0), ceil_mode=True, "
            "global_pool=True, pool_type=avg, layout=NCDHW)",
        ),
    ],
)
def test_repr(make, expected):
    assert repr(make()) == expected


def test_parameter_and_child_names_match_mxnet():
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(
            nn.Conv2D(4, 3, activation="relu"),
            nn.BatchNorm(),
            nn.Conv2DTranspose(2, 2),
            nn.MaxPool2D(),
            nn.Dense(3, activation="tanh"),
            nn.PReLU(),
            nn.Embedding(3, 2),
            nn.LayerNorm(),
            nn.GroupNorm(),
            nn.InstanceNorm(),
            nn.Activation("sigmoid"),
            nn.Dense(2, use_bias=False),
        )
    # As printed by MXNet 1.9.1 for the same network.
    assert list(net.collect_params().keys()) == [
        "net_conv0_weight", "net_conv0_bias", "net_batchnorm0_gamma", "net_batchnorm0_beta",
        "net_batchnorm0_running_mean", "net_batchnorm0_running_var", "net_conv1_weight",
        "net_conv1_bias", "net_dense0_weight", "net_dense0_bias", "net_prelu0_alpha",
        "net_embedding0_weight", "net_layernorm0_gamma", "net_layernorm0_beta",
        "net_groupnorm0_gamma", "net_groupnorm0_beta", "net_instancenorm0_gamma",
        "net_instancenorm0_beta", "net_dense1_weight",
    ]  # fmt: skip
    assert [child.name for child in net._children.values()] == [
        "net_conv0", "net_batchnorm0", "net_conv1", "net_pool0", "net_dense0", "net_prelu0",
        "net_embedding0", "net_layernorm0", "net_groupnorm0", "net_instancenorm0",
        "net_sigmoid0", "net_dense1",
    ]  # fmt: skip
    assert net[0].act.name == "net_conv0_relu"
    assert net[4].act.name == "net_dense0_tanh"


@pytest.mark.parametrize(
    "make, x_shape, param, before, after",
    [
        (lambda: nn.Dense(10), (3, 5), "weight", (10, 0), (10, 5)),
        (lambda: nn.Dense(10, flatten=False), (3, 2, 5), "weight", (10, 0), (10, 5)),
        (lambda: nn.Dense(10), (3, 2, 5), "weight", (10, 0), (10, 10)),
        (lambda: nn.Conv2D(4, 3), (1, 2, 5, 5), "weight", (4, 0, 3, 3), (4, 2, 3, 3)),
        (lambda: nn.Conv1DTranspose(4, 3), (1, 2, 5), "weight", (0, 4, 3), (2, 4, 3)),
        (lambda: nn.BatchNorm(), (2, 3, 4), "running_var", (0,), (3,)),
        (lambda: nn.BatchNorm(axis=-1), (2, 3, 4), "gamma", (0,), (4,)),
        (lambda: nn.InstanceNorm(axis=2), (2, 3, 4), "beta", (0,), (4,)),
        (lambda: nn.LayerNorm(axis=1), (2, 3, 4), "gamma", (0,), (3,)),
    ],
)
@pytest.mark.parametrize("hybridize", [False, True])
def test_deferred_shapes_resolved_by_first_forward(make, x_shape, param, before, after, hybridize):
    layer = make()
    layer.initialize()
    assert getattr(layer, param).shape == before
    if hybridize:
        layer.hybridize()
    layer(mx.nd.ones(x_shape))
    assert getattr(layer, param).shape == after


def test_dense_in_units_given_initializes_at_once():
    layer = nn.Dense(3, in_units=4, dtype="float64")
    layer.initialize()
    assert layer.weight.data().shape == (3, 4)
    assert layer.weight.data().dtype == np.float64


@pytest.mark.parametrize("hybridize", [False, True])
def test_wrong_input_shape_names_the_layer(hybridize):
    layer = nn.Dense(10, in_units=4)
    layer.initialize()
    if hybridize:
        layer.hybridize()
    with pytest.raises(MXNetError, match=r"dense\d+.*FullyConnected.*\(10, 4\).*\(3, 5\)"):
        layer(mx.nd.ones((3, 5)))


def test_wrong_channels_names_the_conv_layer():
    layer = nn.Conv2D(4, 3, in_channels=3)
    layer.initialize()
    with pytest.raises(ValueError, match=r"Conv2D 'conv\d+' \(Conv2D\(3 -> 4.*Convolution"):
        layer(mx.nd.ones((1, 2, 5, 5)))


def test_wrong_rank_names_the_pooling_layer():
    layer = nn.MaxPool2D()
    with pytest.raises(MXNetError, match=r"MaxPool2D 'pool\d+'.*Pooling"):
        layer(mx.nd.ones((2, 3, 4)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nn.LeakyReLU(-0.1), "alpha"),
        (lambda: nn.Conv2D(4, 3, layout="NCW"), "layout"),
        (lambda: nn.Conv2D(4, (3, 3, 3)), "kernel_size"),
        (lambda: nn.Conv1DTranspose(4, 3, output_padding=(1, 1)), "output_padding"),
        (lambda: nn.MaxPool1D(layout="NCHW"), "layout"),
        (lambda: nn.AvgPool2D(pool_size=(2, 2, 2)), "pool_size"),
        (lambda: nn.ReflectionPad2D((1, 1)), "padding"),
    ],
)
def test_bad_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_batchnorm_running_stats_are_aux_and_update_only_in_training():
    layer = nn.BatchNorm(momentum=0.5, in_channels=2)
    layer.initialize()
    assert layer.running_mean.grad_req == "null" and layer.running_var.grad_req == "null"
    assert layer.gamma.grad_req == "write" and layer.beta.grad_req == "write"
    x = mx.nd.array(np.arange(8, dtype=np.float32).reshape(4, 2))
    layer(x)  # inference: running statistics stay
    np.testing.assert_allclose(layer.running_mean.data().asnumpy(), [0, 0])
    with autograd.record():
        layer(x)
    np.testing.assert_allclose(layer.running_mean.data().asnumpy(), [1.5, 2.0])
    # MXNet 1.9.1 (CPU) keeps the biased batch variance in running_var.
    np.testing.assert_allclose(
        layer.running_var.data().asnumpy(), 0.5 + 0.5 * x.asnumpy().var(0), rtol=1e-5
    )


def test_batchnorm_center_scale_off_freeze_beta_gamma():
    layer = nn.BatchNorm(center=False, scale=False)
    assert layer.gamma.grad_req == "null" and layer.beta.grad_req == "null"


def test_batchnorm_cast_float16_keeps_float32():
    layer = nn.BatchNorm(in_channels=2)
    layer.initialize()
    layer.cast("float16")
    assert layer.gamma.data().dtype == np.float32
    layer.cast("float64")
    assert layer.gamma.data().dtype == np.float64


def test_dropout_identity_in_inference_and_scaled_in_training(seed):
    layer = nn.Dropout(0.5)
    x = mx.nd.ones((200, 50))
    np.testing.assert_array_equal(layer(x).asnumpy(), x.asnumpy())
    with autograd.record():
        y = layer(x).asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6


def test_dropout_axes_share_the_mask(seed):
    layer = nn.Dropout(0.5, axes=(1,))
    with autograd.record():
        y = layer(mx.nd.ones((20, 6, 3))).asnumpy()
    assert (y == y[:, :1, :]).all()


def test_dropout_rate_zero_is_identity_when_training():
    with autograd.record():
        y = nn.Dropout(0.0)(mx.nd.array([1.0, 2.0]))
    np.testing.assert_array_equal(y.asnumpy(), [1.0, 2.0])


def test_embedding_sparse_grad_gives_the_dense_gradient():
    grads = []
    for sparse_grad in (False, True):
        layer = nn.Embedding(5, 2, sparse_grad=sparse_grad)
        layer.initialize(mx.init.One())
        with autograd.record():
            out = layer(mx.nd.array([0, 2, 2]))
        out.backward()
        grads.append(layer.weight.grad().asnumpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[1][:, 0], [1, 0, 2, 0, 0])


def test_prelu_learns_one_slope_per_channel():
    layer = nn.PReLU(in_channels=3)
    layer.initialize()
    np.testing.assert_allclose(layer.alpha.data().asnumpy(), [0.25] * 3)
    x = mx.nd.array(-np.ones((2, 3, 2)))
    np.testing.assert_allclose(layer(x).asnumpy(), -0.25 * np.ones((2, 3, 2)))


@pytest.mark.parametrize(
    "layer, x, expected",
    [
        (nn.Swish(), [-1.0, 0.0, 2.0], [-1 / (1 + np.e), 0.0, 2 / (1 + np.exp(-2))]),
        (nn.ELU(alpha=0.5), [-1.0, 2.0], [0.5 * (np.exp(-1) - 1), 2.0]),
        (nn.LeakyReLU(0.2), [-1.0, 2.0], [-0.2, 2.0]),
        (nn.Flatten(), np.ones((2, 3, 2)), np.ones((2, 6))),
        (nn.GlobalAvgPool1D(), [[[1.0, 2.0, 6.0]]], [[[3.0]]]),
        (nn.GlobalMaxPool1D(), [[[1.0, 2.0, 6.0]]], [[[6.0]]]),
        (
            nn.ReflectionPad2D(1),
            [[[[1.0, 2, 3], [4, 5, 6]]]],
            [[[[5, 4, 5, 6, 5], [2, 1, 2, 3, 2], [5, 4, 5, 6, 5], [2, 1, 2, 3, 2]]]],
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, gluon.Block) else "",
)
def test_values(layer, x, expected):
    layer.initialize()
    np.testing.assert_allclose(layer(mx.nd.array(x)).asnumpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("count_include_pad, expected", [(True, 4 / 9), (False, 1.0)])
def test_avgpool_count_include_pad(count_include_pad, expected):
    layer = nn.AvgPool2D(3, strides=1, padding=1, count_include_pad=count_include_pad)
    out = layer(mx.nd.ones((1, 1, 3, 3))).asnumpy()
    np.testing.assert_allclose(out[0, 0, 0, 0], expected, rtol=1e-6)


@pytest.mark.parametrize("ceil_mode, size", [(False, 2), (True, 3)])
def test_pooling_ceil_mode(ceil_mode, size):
    assert nn.MaxPool1D(2, ceil_mode=ceil_mode)(mx.nd.ones((1, 1, 5))).shape == (1, 1, size)


def test_conv_transpose_output_padding_grows_output():
    layer = nn.Conv2DTranspose(2, 3, strides=2, output_padding=1, in_channels=1)
    layer.initialize()
    assert layer(mx.nd.ones((1, 1, 4, 4))).shape == (1, 2, 10, 10)


def test_sequential_of_layers_trains_hybridized_like_imperative():
    def make():
        net = nn.HybridSequential(prefix="m_")
        with net.name_scope():
            net.add(
                nn.Conv2D(3, 3, padding=1, in_channels=2),
                nn.LeakyReLU(0.1),
                nn.AvgPool2D(),
                nn.Flatten(),
                nn.Dense(4, in_units=12),
                nn.GELU(),
                nn.LayerNorm(in_channels=4),
            )
        net.initialize(mx.init.Xavier())
        return net

    rng = np.random.RandomState(0)
    x = mx.nd.array(rng.randn(2, 2, 4, 4))
    results = []
    for hybridize in (False, True):
        mx.random.seed(3)
        net = make()
        if hybridize:
            net.hybridize()
        with autograd.record():
            out = net(x)
        out.backward()
        results.append(
            [out.asnumpy()] + [p.grad().asnumpy() for p in net.collect_params().values()]
        )
    for actual, expected in zip(*results):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "module",
    [
        "neomx.gluon.nn.activations",
        "neomx.gluon.nn.basic_layers",
        "neomx.gluon.nn.norm_layers",
        "neomx.gluon.nn.conv_layers",
        "neomx.gluon.nn.pooling_layers",
        "neomx.gluon.contrib.nn.basic_layers",
        "neomx.gluon.contrib.nn.pixel_shuffle",
        "neomx.gluon.loss",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(module), extraglobs={"mx": mx}, optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0


def test_symbol_node_names_match_mxnet():
    """Traced graphs name their nodes as MXNet does, so exported JSON files line up."""
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(
            nn.Conv2D(4, 3, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(),
            nn.Dense(3, activation="tanh"), nn.PReLU(), nn.LayerNorm(), nn.GroupNorm(),
            nn.InstanceNorm(), nn.ELU(), nn.Swish(), nn.GELU(), nn.SELU(), nn.Dropout(0.5),
            nn.Flatten(), nn.Embedding(4, 2), nn.ReflectionPad2D(1), nn.LeakyReLU(0.1),
        )  # fmt: skip
    out = net(mx.sym.var("data"))
    # As listed by MXNet 1.9.1 for the same network.
    assert out.get_internals().list_outputs() == [
        "data", "net_conv0_weight", "net_conv0_bias", "net_conv0_fwd_output",
        "net_conv0_relu_fwd_output", "net_batchnorm0_gamma", "net_batchnorm0_beta",
        "net_batchnorm0_running_mean", "net_batchnorm0_running_var", "net_batchnorm0_fwd_output",
        "net_pool0_fwd_output", "net_dense0_weight", "net_dense0_bias", "net_dense0_fwd_output",
        "net_dense0_tanh_fwd_output", "net_prelu0_alpha", "net_prelu0_fwd_output",
        "net_layernorm0_gamma", "net_layernorm0_beta", "net_layernorm0_layernorm0_output",
        "net_groupnorm0_gamma", "net_groupnorm0_beta", "net_groupnorm0_groupnorm0_output",
        "net_instancenorm0_gamma", "net_instancenorm0_beta", "net_instancenorm0_fwd_output",
        "net_elu0_leakyrelu0_output", "net_swish0__mulscalar0_output", "net_swish0_fwd_output",
        "net_swish0__mul0_output", "net_gelu0_fwd_output", "net_selu0_fwd_output",
        "net_dropout0_fwd_output", "net_flatten0_flatten0_output", "net_embedding0_weight",
        "net_embedding0_fwd_output", "net_reflectionpad2d0_pad0_output",
        "net_leakyrelu0_fwd_output",
    ]  # fmt: skip


@pytest.mark.parametrize("hybridize", [False, True])
def test_conv2d_nhwc_equals_nchw(hybridize, seed):
    """MXNet's CPU build has no NHWC convolution to record; check it against NCHW instead."""
    x = np.random.randn(2, 5, 5, 3).astype(np.float32)
    channels_last = nn.Conv2D(4, 3, padding=1, layout="NHWC")
    channels_last.initialize()
    if hybridize:
        channels_last.hybridize()
    y = channels_last(mx.nd.array(x)).asnumpy()
    assert channels_last.weight.shape == (4, 3, 3, 3)
    channels_first = nn.Conv2D(4, 3, padding=1, in_channels=3)
    channels_first.initialize()
    weight = channels_last.weight.data().asnumpy().transpose(0, 3, 1, 2)
    channels_first.weight.set_data(mx.nd.array(weight))
    channels_first.bias.set_data(channels_last.bias.data())
    expected = channels_first(mx.nd.array(x.transpose(0, 3, 1, 2))).asnumpy()
    np.testing.assert_allclose(y, expected.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)
