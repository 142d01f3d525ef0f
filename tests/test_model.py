"""mx.model checkpoints: MXNet's file names and arg:/aux: keys."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import neomx as mx


def _net():
    data = mx.sym.var("data")
    net = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=3, name="fc"), name="bn")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def test_save_and_load_checkpoint(tmp_path, caplog):
    prefix = str(tmp_path / "net")
    args = {
        "fc_weight": mx.nd.ones((3, 2)),
        "fc_bias": mx.nd.zeros(3),
        "bn_gamma": mx.nd.ones(3),
        "bn_beta": mx.nd.zeros(3),
    }
    auxs = {"bn_moving_mean": mx.nd.ones(3) * 2, "bn_moving_var": mx.nd.ones(3)}
    with caplog.at_level(logging.INFO):
        mx.model.save_checkpoint(prefix, 12, _net(), args, auxs)
    assert caplog.records[-1].getMessage() == f'Saved checkpoint to "{prefix}-0012.params"'
    raw = mx.nd.load(f"{prefix}-0012.params")
    assert sorted(raw) == sorted([f"arg:{k}" for k in args] + [f"aux:{k}" for k in auxs])
    sym, loaded_args, loaded_auxs = mx.model.load_checkpoint(prefix, 12)
    assert sym.list_arguments() == _net().list_arguments()
    assert sorted(loaded_args) == sorted(args) and sorted(loaded_auxs) == sorted(auxs)
    np.testing.assert_array_equal(loaded_auxs["bn_moving_mean"].asnumpy(), [2, 2, 2])


def test_save_checkpoint_without_symbol_and_missing_file(tmp_path):
    prefix = str(tmp_path / "p")
    mx.model.save_checkpoint(prefix, 1, None, {"w": mx.nd.ones(2, ctx=mx.cpu(1))}, None)
    assert not (tmp_path / "p-symbol.json").exists()
    args, auxs = mx.model.load_params(prefix, 1)
    assert list(args) == ["w"] and auxs == {} and args["w"].context == mx.cpu()
    with pytest.raises(ValueError, match="p-0002.params"):
        mx.model.load_params(prefix, 2)


def test_create_kvstore_rules():
    store, on_store = mx.model.create_kvstore("local", 1, {"w": mx.nd.ones(2)})
    assert store is None and on_store is False
    store, on_store = mx.model.create_kvstore("local", 2, {"w": mx.nd.ones(2)})
    assert store is not None and store.type == "local"
    assert mx.model.create_kvstore(None, 2, {})[0] is None
    with pytest.raises(TypeError):
        mx.model.create_kvstore(3, 2, {})
