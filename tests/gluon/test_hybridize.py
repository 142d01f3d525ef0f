"""HybridBlock: deferred shape inference, hybridize (cached graph == imperative, outputs and
gradients), export / SymbolBlock.imports in both directions with MXNet 1.9.1, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gluon_core_blocks import Dense, Norm, make_net, set_params

import neomx as mx
from neomx import autograd, gluon
from neomx.base import MXNetError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "gluon_core"


class TwoInTwoOut(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = Dense(3)

    def hybrid_forward(self, F, x, pair):
        a, b = pair
        h = self.dense(x)
        return F.broadcast_add(h, a) * b, [F.relu(h), F.sum(h, axis=1)]


def run(net, inputs, head, hybridize):
    """Outputs, input gradients and parameter gradients of one recorded step."""
    net.hybridize(hybridize)
    arrays = [mx.nd.array(x) for x in inputs]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        out = net(*arrays)
        loss = (out * mx.nd.array(head)).sum()
    loss.backward()
    grads = {
        k: p.grad().asnumpy().copy()
        for k, p in net.collect_params().items()
        if p.grad_req != "null"
    }
    return out.asnumpy(), [a.grad.asnumpy() for a in arrays], grads


def test_deferred_init_resolved_at_first_forward():
    net = make_net()
    net.initialize()
    weight = net[0].weight
    assert weight.shape == (8, 0)
    with pytest.raises(gluon.DeferredInitializationError, match="first forward pass"):
        weight.data()
    net(mx.nd.ones((2, 7)))
    assert weight.shape == (8, 7)
    assert net[1].running_var.shape == (8,)
    np.testing.assert_array_equal(net[1].running_var.data().asnumpy(), np.ones(8))


def test_deferred_init_hybridized_first():
    net = make_net()
    net.initialize()
    net.hybridize()
    assert net(mx.nd.ones((3, 4))).shape == (3, 3)
    assert net[2].weight.shape == (3, 8)


def test_infer_shape_and_type():
    net = make_net()
    net.infer_shape(mx.nd.ones((2, 6)))
    assert net[0].weight.shape == (8, 6)
    net.infer_type(mx.nd.ones((2, 6)))
    assert net[0].weight.dtype == np.float32
    # As in MXNet, parameters keep their dtype: a float64 input is a type error.
    with pytest.raises(MXNetError, match="dense0_fwd.*float"):
        net.infer_type(mx.nd.ones((2, 6), dtype="float64"))


def test_deferred_init_failure_explains():
    class DotBlock(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.w = self.params.get("w", shape=(3, 0), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return F.dot(x, w, transpose_b=True)  # dot does not infer w's shape from x

    net = DotBlock()
    net.initialize()
    with pytest.raises(ValueError, match=r"Deferred initialization failed.*'dotblock\d+_w'"):
        net(mx.nd.ones((2, 5)))


def test_call_before_initialize_says_initialize():
    net = make_net()
    for hybridize in (False, True):
        net.hybridize(hybridize)
        with pytest.raises(MXNetError, match=r"not been initialized.*initialize\(\)"):
            net(mx.nd.ones((2, 5)))


@pytest.mark.parametrize("static_alloc", [False, True])
def test_hybridized_equals_imperative(seed, static_alloc):
    x = np.random.uniform(-1, 1, (4, 5)).astype("float32")
    head = np.random.uniform(-1, 1, (4, 3)).astype("float32")
    net = make_net()
    net.initialize()
    net(mx.nd.array(x))
    set_params(net, seed)
    imperative = run(net, [x], head, False)
    net.hybridize(static_alloc=static_alloc, static_shape=static_alloc)
    set_params(net, seed)  # undo the moving statistics' update
    hybrid = run(net, [x], head, True)
    np.testing.assert_allclose(hybrid[0], imperative[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hybrid[1][0], imperative[1][0], rtol=1e-5, atol=1e-6)
    for key, grad in imperative[2].items():
        np.testing.assert_allclose(hybrid[2][key], grad, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("hybridize", [False, True])
def test_matches_mxnet_outputs_and_gradients(hybridize):
    golden = np.load(GOLDEN / "mx_net.npz")
    net = make_net()
    net.load_parameters(str(GOLDEN / "mx_net.params"))
    net.hybridize(hybridize)
    np.testing.assert_allclose(
        net(mx.nd.array(golden["x"])).asnumpy(), golden["out"], rtol=1e-5, atol=1e-6
    )
    x = mx.nd.array(golden["x"])
    x.attach_grad()
    with autograd.record():
        y = net(x)
        loss = (y * mx.nd.array(golden["head"])).sum()
    loss.backward()
    np.testing.assert_allclose(y.asnumpy(), golden["train_out"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), golden["x_grad"], rtol=1e-4, atol=1e-5)
    for key, param in net._collect_params_with_prefix().items():
        if param.grad_req != "null":
            expected = golden[f"grad:{key}"]
            np.testing.assert_allclose(
                param.grad().asnumpy(), expected, rtol=1e-4, atol=1e-5, err_msg=key
            )
        else:  # BatchNorm's moving statistics after one training step
            expected = golden[f"after:{key}"]
            np.testing.assert_allclose(
                param.data().asnumpy(), expected, rtol=1e-5, atol=1e-6, err_msg=key
            )


def test_nested_inputs_and_outputs(seed):
    net = TwoInTwoOut()
    net.initialize()
    x = mx.nd.array(np.random.rand(2, 4))
    a, b = mx.nd.array(np.random.rand(2, 3)), mx.nd.array(np.random.rand(2, 3))
    expected = net(x, [a, b])
    net.hybridize()
    got = net(x, [a, b])
    # As in MXNet, the cached graph returns (nested) lists.
    assert isinstance(got, list) and isinstance(got[1], list) and len(got[1]) == 2
    np.testing.assert_allclose(got[0].asnumpy(), expected[0].asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(got[1][1].asnumpy(), expected[1][1].asnumpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="argument structure"):
        net(x, [a, b, b])


def test_shape_change_rebinds_and_grad_add():
    net = make_net()
    net.initialize()
    net.hybridize()
    for batch in (2, 5, 2):
        assert net(mx.nd.ones((batch, 5))).shape == (batch, 3)
    net.collect_params().setattr("grad_req", "add")
    net.collect_params().zero_grad()
    x = mx.nd.array(np.random.rand(3, 5))
    for _ in range(2):
        with autograd.record():
            y = net(x)
        y.backward()
    twice = net[2].bias.grad().asnumpy()
    np.testing.assert_allclose(twice, np.full(3, 6.0), rtol=1e-6)


def test_two_calls_in_one_recording_siamese(seed):
    x1 = np.random.rand(3, 5).astype("float32")
    x2 = np.random.rand(3, 5).astype("float32")
    results = []
    for hybridize in (False, True):
        net = gluon.HybridSequential()
        with net.name_scope():
            net.add(Dense(4, in_units=5, act="tanh"), Dense(2, in_units=4))
        net.initialize(mx.init.Constant(0.1))
        net.hybridize(hybridize)
        with autograd.record():
            loss = (net(mx.nd.array(x1)) * net(mx.nd.array(x2)) ** 2).sum()
        loss.backward()
        results.append([p.grad().asnumpy() for p in net.collect_params().values()])
    for hybrid, imperative in zip(results[1], results[0]):
        np.testing.assert_allclose(hybrid, imperative, rtol=1e-5, atol=1e-6)


def test_autograd_grad_through_hybridized_block():
    net = Dense(2, in_units=3)
    net.initialize(mx.init.One())
    net.hybridize()
    x = mx.nd.array([[1.0, 2.0, 3.0]])
    x.attach_grad()
    with autograd.record():
        y = net(x).sum()
    (dx,) = autograd.grad(y, [x])
    np.testing.assert_array_equal(dx.asnumpy(), [[2.0, 2.0, 2.0]])


def test_inference_does_not_touch_the_tape():
    net = make_net()
    net.initialize()
    net.hybridize()
    y = net(mx.nd.ones((2, 5)))
    assert y._ag is None
    with autograd.record():
        y = net(mx.nd.ones((2, 5)))
    assert y._ag is not None


def test_value_dependent_control_flow_error():
    class Branchy(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            if x.sum() > 0:
                return x * 2
            return x

    net = Branchy()
    assert net(mx.nd.ones((2,))).asnumpy().tolist() == [2.0, 2.0]
    net.hybridize()
    with pytest.raises(MXNetError, match=r"F\.contrib\.cond.*foreach.*while_loop"):
        net(mx.nd.ones((2,)))
    # Inside a hybridized parent, the message names the block whose code branched.
    parent = gluon.HybridSequential()
    parent.add(Dense(2), Branchy(prefix="branchy_"))
    parent.initialize()
    parent.hybridize()
    with pytest.raises(MXNetError, match=r"^Branchy 'branchy'.*F\.contrib\.cond"):
        parent(mx.nd.ones((1, 3)))


def test_value_dependent_shape_error():
    class ShapeUser(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x.reshape((x.shape[0], -1))

    net = ShapeUser()
    net.hybridize()
    with pytest.raises(MXNetError, match="hybridize"):
        net(mx.nd.ones((2, 3)))


def test_mixed_inputs_rejected():
    net = Dense(2)
    with pytest.raises(ValueError, match="mixed NDArrays and Symbols"):
        net(mx.nd.ones((1, 2)), mx.sym.var("y"))


def test_symbol_forward_builds_graph():
    net = make_net()
    out = net(mx.sym.var("data"))
    assert out.list_arguments()[:3] == [
        "data",
        f"{net.prefix}dense0_weight",
        f"{net.prefix}dense0_bias",
    ]
    assert out.list_auxiliary_states() == [
        f"{net.prefix}norm0_running_mean",
        f"{net.prefix}norm0_running_var",
    ]


# ---- export / imports ----------------------------------------------------------------------


def test_export_requires_a_hybridized_run(tmp_path):
    net = make_net()
    with pytest.raises(MXNetError, match="hybridize"):
        net.export(str(tmp_path / "m"))


def test_export_writes_arg_aux_params(tmp_path):
    net = make_net()
    net.initialize()
    net.hybridize()
    x = mx.nd.array(np.random.rand(2, 5))
    y = net(x)
    symbol_file, params_file = net.export(str(tmp_path / "model"), epoch=7)
    assert symbol_file.endswith("model-symbol.json")
    assert params_file.endswith("model-0007.params")
    keys = sorted(mx.nd.load(params_file))
    assert f"aux:{net.prefix}norm0_running_mean" in keys
    assert f"arg:{net.prefix}dense0_weight" in keys
    block = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file)
    np.testing.assert_allclose(block(x).asnumpy(), y.asnumpy(), rtol=1e-6)
    # load_parameters refuses export files (names carry the prefix), as MXNet does.
    with pytest.raises(ValueError, match="missing"):
        make_net().load_parameters(params_file)


def test_imports_mxnet_export():
    golden = np.load(GOLDEN / "mx_net.npz")
    block = gluon.SymbolBlock.imports(
        str(GOLDEN / "mx_net-symbol.json"), ["data"], str(GOLDEN / "mx_net-0000.params")
    )
    np.testing.assert_allclose(
        block(mx.nd.array(golden["x"])).asnumpy(), golden["out"], rtol=1e-5, atol=1e-6
    )
    aux = [k for k, p in block.collect_params().items() if p.grad_req == "null"]
    assert aux == ["hybridsequential0_norm0_running_mean", "hybridsequential0_norm0_running_var"]


def test_neomx_export_is_what_mxnet_loaded(tmp_path):
    # tools/make_gluon_core_fixtures.py exported this net with neomx and ran it in MXNet
    # 1.9.1 (SymbolBlock.imports); the export must still produce the same files.
    x = np.random.RandomState(0).uniform(-1, 1, size=(4, 5)).astype("float32")
    with mx.name.NameManager():
        net = make_net()
    net.initialize()
    net(mx.nd.array(x))
    set_params(net, 1)
    net.hybridize()
    out = net(mx.nd.array(x))
    net.export(str(tmp_path / "neomx_net"), 0)
    assert (tmp_path / "neomx_net-symbol.json").read_text() == (
        GOLDEN / "neomx_net-symbol.json"
    ).read_text()
    assert (tmp_path / "neomx_net-0000.params").read_bytes() == (
        GOLDEN / "neomx_net-0000.params"
    ).read_bytes()
    mxnet_out = np.load(GOLDEN / "neomx_net.npz")["out"]
    np.testing.assert_allclose(out.asnumpy(), mxnet_out, rtol=1e-5, atol=1e-6)


def test_symbol_block_from_symbols_trains(seed):
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    out = mx.sym.Activation(fc, act_type="tanh", name="act")
    block = gluon.SymbolBlock(out, data)
    assert sorted(block.collect_params()) == ["fc_bias", "fc_weight"]
    assert sorted(block._reg_params) == ["bias", "weight"]
    block.initialize()
    x = mx.nd.array(np.random.rand(2, 4))
    with autograd.record():
        y = block(x)
    y.backward()
    assert block.collect_params()["fc_weight"].grad().shape == (3, 4)
    composed = block(mx.sym.var("other"))
    assert composed.list_arguments()[0] == "other"


def test_symbol_block_shares_params():
    net = make_net()
    net.initialize()
    net(mx.nd.ones((2, 5)))
    internals = net(mx.sym.var("data")).get_internals()
    feature = internals[f"{net.prefix}dense0_act_output"]
    block = gluon.SymbolBlock(feature, mx.sym.var("data"), params=net.collect_params())
    assert block.collect_params()[f"{net.prefix}dense0_weight"] is net[0].weight
    assert block(mx.nd.ones((2, 5))).shape == (2, 8)


def test_optimize_for_runs_hybridized():
    net = make_net()
    net.initialize()
    out = net.optimize_for(mx.nd.ones((2, 5)), backend=None, static_alloc=True)
    assert out.shape == (2, 3)
    assert net._active and net._cached_op is not None


def test_norm_only_net_inference_uses_moving_stats():
    net = Norm(4)
    net.initialize()
    net.hybridize()
    x = mx.nd.array(np.random.rand(3, 4))
    np.testing.assert_allclose(net(x).asnumpy(), x.asnumpy() / np.sqrt(1 + 1e-3), rtol=1e-4)


def test_contrib_cond_hybridizes():
    # The fix the control-flow error suggests works imperatively and hybridized.
    class Cond(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.contrib.cond(x.sum() > 0, lambda: x * 2, lambda: x - 1)

    net = Cond()
    for hybridize in (False, True):
        net.hybridize(hybridize)
        assert net(mx.nd.ones((2,))).asnumpy().tolist() == [2.0, 2.0]
        assert net(-mx.nd.ones((2,))).asnumpy().tolist() == [-2.0, -2.0]
        x = mx.nd.ones((2,))
        x.attach_grad()
        with autograd.record():
            y = net(x)
        y.backward()
        assert x.grad.asnumpy().tolist() == [2.0, 2.0]
