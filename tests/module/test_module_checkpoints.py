"""Checkpoints cross between MXNet 1.9.1 and neomx (fixtures by tools/make_module_fixtures.py)."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import neomx as mx

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "module")


def _predict(mod, data):
    it = mx.io.NDArrayIter(data, np.zeros(len(data)), batch_size=4)
    return mod.predict(it).asnumpy()


def test_mxnet_checkpoint_predicts_the_same_with_module_load():
    saved = np.load(os.path.join(FIXTURES, "mxnet_mlp-predictions.npz"))
    mod = mx.mod.Module.load(os.path.join(FIXTURES, "mxnet_mlp"), 3)
    mod.bind(
        data_shapes=[("data", (4, 6))], label_shapes=[("softmax_label", (4,))], for_training=False
    )
    np.testing.assert_allclose(_predict(mod, saved["data"]), saved["prob"], rtol=1e-5, atol=1e-6)


def test_mxnet_checkpoint_predicts_the_same_with_load_checkpoint():
    saved = np.load(os.path.join(FIXTURES, "mxnet_mlp-predictions.npz"))
    sym, args, auxs = mx.model.load_checkpoint(os.path.join(FIXTURES, "mxnet_mlp"), 3)
    assert sorted(auxs) == ["bn1_moving_mean", "bn1_moving_var"]
    args = dict(args, data=mx.nd.array(saved["data"]), softmax_label=mx.nd.zeros((10,)))
    out = sym.bind(mx.cpu(), args, aux_states=auxs).forward(is_train=False)[0]
    np.testing.assert_allclose(out.asnumpy(), saved["prob"], rtol=1e-5, atol=1e-6)


def test_neomx_checkpoint_loaded_in_mxnet():
    with open(os.path.join(FIXTURES, "neomx_in_mxnet.json")) as handle:
        verdict = json.load(handle)
    assert verdict["ok"], verdict["max_abs_diff"]
    saved = np.load(os.path.join(FIXTURES, "neomx_mlp-predictions.npz"))
    np.testing.assert_allclose(np.array(verdict["mxnet_prob"]), saved["prob"], atol=1e-5)


def test_neomx_writes_the_bytes_mxnet_accepted(tmp_path):
    """Saving the verified checkpoint again gives byte-identical files."""
    prefix = os.path.join(FIXTURES, "neomx_mlp")
    mod = mx.mod.Module.load(prefix, 2)
    mod.bind(data_shapes=[("data", (4, 6))], label_shapes=[("softmax_label", (4,))])
    out = str(tmp_path / "again")
    mod.save_checkpoint(out, 2)
    for suffix in ("-0002.params", "-symbol.json"):
        with open(prefix + suffix, "rb") as a, open(out + suffix, "rb") as b:
            assert a.read() == b.read(), suffix


def test_module_load_with_optimizer_states_resumes(tmp_path):
    prefix = str(tmp_path / "m")
    shutil.copy(os.path.join(FIXTURES, "mxnet_mlp-symbol.json"), prefix + "-symbol.json")
    shutil.copy(os.path.join(FIXTURES, "mxnet_mlp-0003.params"), prefix + "-0003.params")
    saved = np.load(os.path.join(FIXTURES, "mxnet_mlp-predictions.npz"))
    mod = mx.mod.Module.load(prefix, 3)
    mod.bind(data_shapes=[("data", (4, 6))], label_shapes=[("softmax_label", (4,))])
    mod.init_optimizer(optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    batch = mx.io.DataBatch([mx.nd.array(saved["data"][:4])], [mx.nd.array([0, 1, 2, 0])])
    mod.forward_backward(batch)
    mod.update()
    mod.save_checkpoint(prefix, 4, save_optimizer_states=True)
    again = mx.mod.Module.load(prefix, 4, load_optimizer_states=True)
    again.bind(data_shapes=[("data", (4, 6))], label_shapes=[("softmax_label", (4,))])
    again.init_optimizer(optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    for module in (mod, again):
        module.forward_backward(batch)
        module.update()
    first, second = mod.get_params()[0], again.get_params()[0]
    for name in first:
        np.testing.assert_allclose(first[name].asnumpy(), second[name].asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("missing", ["fc2_bias"])
def test_init_params_reports_missing_values(missing):
    sym, args, auxs = mx.model.load_checkpoint(os.path.join(FIXTURES, "mxnet_mlp"), 3)
    del args[missing]
    mod = mx.mod.Module(sym)
    mod.bind(data_shapes=[("data", (4, 6))], label_shapes=[("softmax_label", (4,))])
    with pytest.raises(mx.MXNetError, match=missing):
        mod.init_params(arg_params=args, aux_params=auxs)
    mod.init_params(
        arg_params=args, aux_params=auxs, allow_missing=True, initializer=mx.init.Zero()
    )
    assert mod.get_params()[0][missing].asnumpy().sum() == 0
