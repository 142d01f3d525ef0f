"""Parameter, Constant and ParameterDict."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon
from neomx.base import MXNetError


def test_initialize_data_grad_and_ctx():
    p = gluon.Parameter("w", shape=(2, 3), init=mx.init.One())
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert p.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert [d.context for d in p.list_data()] == [mx.cpu(0), mx.cpu(1)]
    np.testing.assert_array_equal(p.data(mx.cpu(1)).asnumpy(), np.ones((2, 3)))
    assert p.grad(mx.cpu(0)).shape == (2, 3)
    assert len(p.list_grad()) == 2
    with mx.cpu(1):
        assert p.data().context == mx.cpu(1)
    with pytest.raises(MXNetError, match="was not initialized on context cpu\\(2\\)"):
        p.data(mx.cpu(2))
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize()
    p.initialize(init=mx.init.Zero(), force_reinit=True)
    assert p.data().asnumpy().sum() == 0


def test_init_priority():
    p = gluon.Parameter("w_weight", shape=(2,), init=mx.init.Constant(3.0))
    p.initialize(default_init=mx.init.One())
    assert p.data().asnumpy().tolist() == [3.0, 3.0]
    q = gluon.Parameter("q_bias", shape=(2,))
    q.initialize(init=mx.init.Constant(5.0))
    assert q.data().asnumpy().tolist() == [5.0, 5.0]
    params = gluon.ParameterDict()
    params.get("a_weight", shape=(2,), init="ones")
    params.get("a_bias", shape=(2,))
    params.initialize(mx.init.Constant(7.0))
    assert params["a_weight"].data().asnumpy().tolist() == [1.0, 1.0]
    assert params["a_bias"].data().asnumpy().tolist() == [7.0, 7.0]


def test_uninitialized_and_deferred_errors():
    p = gluon.Parameter("w", shape=(2, 3))
    with pytest.raises(MXNetError, match=r"'w' has not been initialized.*initialize\(\)"):
        p.data()
    with pytest.raises(ValueError, match="invalid shape"):
        gluon.Parameter("v", shape=(2, 0)).initialize()
    d = gluon.Parameter("d", shape=(2, 0), allow_deferred_init=True)
    d.initialize(ctx=mx.cpu(1))
    assert d.list_ctx() == [mx.cpu(1)]
    with pytest.raises(gluon.DeferredInitializationError, match="deferred"):
        d.data()
    d.shape = (2, 4)
    d._finish_deferred_init()
    assert d.data().shape == (2, 4) and d.data().context == mx.cpu(1)


def test_shape_setter_checks_compatibility():
    p = gluon.Parameter("w", shape=(2, 0))
    p.shape = (2, 5)
    with pytest.raises(ValueError, match="incompatible"):
        p.shape = (3, 5)


def test_set_data_before_and_after_init():
    p = gluon.Parameter("w", shape=(0,), allow_deferred_init=True)
    p.initialize()
    p.set_data(mx.nd.array([1.0, 2.0]))
    p._finish_deferred_init()
    assert p.data().asnumpy().tolist() == [1.0, 2.0]
    p.set_data(mx.nd.array([3.0, 4.0]))
    assert p.data().asnumpy().tolist() == [3.0, 4.0]


def test_grad_req_and_zero_grad():
    p = gluon.Parameter("w", shape=(2,), init="ones")
    p.initialize()
    x = p.data()
    with autograd.record():
        y = (x * 3).sum()
    y.backward()
    assert p.grad().asnumpy().tolist() == [3.0, 3.0]
    p.zero_grad()
    assert p.grad().asnumpy().tolist() == [0.0, 0.0]
    p.grad_req = "null"
    with pytest.raises(MXNetError, match="grad_req='null'"):
        p.grad()
    p.grad_req = "add"
    assert p.grad().shape == (2,)
    with pytest.raises(ValueError, match="grad_req"):
        p.grad_req = "sometimes"
    frozen = gluon.Parameter("f", shape=(1,), differentiable=False)
    assert frozen.grad_req == "null"


def test_reset_ctx_and_cast():
    p = gluon.Parameter("w", shape=(2,), init="ones")
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    p.reset_ctx(mx.cpu(2))
    assert p.list_ctx() == [mx.cpu(2)]
    assert p.data().asnumpy().tolist() == [1.0, 1.0]
    p.cast("float64")
    assert p.data().dtype == np.float64 and p.grad().dtype == np.float64
    with pytest.raises(ValueError, match="has not been initialized"):
        gluon.Parameter("u", shape=(1,)).reset_ctx(mx.cpu())


def test_var_attributes():
    p = gluon.Parameter("w", shape=(2, 0), lr_mult=2.0, wd_mult=0.5, init="zeros")
    v = p.var()
    assert v.name == "w"
    assert v.attr("__shape__") == "(2, 0)"
    assert v.attr("lr_mult") == "2.0" and v.attr("wd_mult") == "0.5"
    assert v.attr("__init__") == "zeros"
    assert p.var() is v


def test_constant():
    params = gluon.ParameterDict("net_")
    c = params.get_constant("c", [[1.0, 2.0]])
    assert c.name == "net_c" and c.grad_req == "null"
    with pytest.warns(UserWarning, match="does not support grad_req"):
        c.grad_req = "write"
    params.initialize(mx.init.Zero())
    np.testing.assert_array_equal(c.data().asnumpy(), [[1.0, 2.0]])
    assert params.get_constant("c") is c
    with pytest.raises(KeyError, match="No constant named"):
        params.get_constant("missing")


def test_parameter_dict_get_and_sharing():
    params = gluon.ParameterDict("blk_")
    w = params.get("weight", shape=(3, 0))
    assert params.get("weight", shape=(0, 4)) is w and w.shape == (3, 4)
    assert params.get("weight", dtype="float32") is w
    with pytest.raises(ValueError, match="does not match"):
        params.get("weight", shape=(5, 4))
    shared = gluon.ParameterDict("blk_", shared=params)
    assert shared.get("weight") is w
    assert list(shared.keys()) == ["blk_weight"]
    merged = gluon.ParameterDict()
    merged.update(params)
    with pytest.raises(ValueError, match="different Parameters with the same name"):
        merged.update({"blk_weight": gluon.Parameter("blk_weight")})


def test_parameter_dict_setattr_select_list_ctx():
    params = gluon.ParameterDict("m_")
    params.get("weight", shape=(2,))
    params.get("bias", shape=(2,))
    params.setattr("lr_mult", 0.1)
    assert all(p.lr_mult == 0.1 for p in params.values())
    assert list(params.select(".*bias")) == ["m_bias"]
    params.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert params.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    params.zero_grad()
    params.reset_ctx(mx.cpu(0))
    assert params.list_ctx() == [mx.cpu(0)]


def test_parameter_dict_save_load(tmp_path):
    params = gluon.ParameterDict("m_")
    params.get("weight", shape=(2, 2), init="ones")
    params.get("bias", shape=(2,), init="zeros")
    params.initialize()
    path = str(tmp_path / "p.params")
    params.save(path, strip_prefix="m_")
    assert sorted(mx.nd.load(path)) == ["bias", "weight"]
    with pytest.raises(ValueError, match="does not start with"):
        params.save(path, strip_prefix="other_")
    fresh = gluon.ParameterDict("m_")
    fresh.get("weight", shape=(2, 2))
    fresh.get("bias", shape=(2,))
    fresh.load(path, restore_prefix="m_")
    assert fresh["m_weight"].data().asnumpy().sum() == 4
    extra = gluon.ParameterDict("m_")
    extra.get("weight", shape=(2, 2))
    with pytest.raises(ValueError, match="'bias'.*not present.*ignore_extra"):
        extra.load(path, restore_prefix="m_")
    missing = gluon.ParameterDict("m_")
    missing.get("weight", shape=(2, 2))
    missing.get("gamma", shape=(2,))
    with pytest.raises(ValueError, match="'gamma' is missing.*allow_missing"):
        missing.load(path, restore_prefix="m_", ignore_extra=True)
    missing.load(path, restore_prefix="m_", ignore_extra=True, allow_missing=True)
    # Multi-device values are averaged when saved.
    multi = gluon.ParameterDict()
    multi.get("v", shape=(1,), init="zeros").initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    multi["v"].data(mx.cpu(1))[:] = 2.0
    multi.save(str(tmp_path / "m.params"))
    assert mx.nd.load(str(tmp_path / "m.params"))["v"].asnumpy().tolist() == [1.0]


@pytest.mark.parametrize(
    "module",
    ["parameter", "parameter_dict", "block", "hybrid", "symbol_block", "containers", "utils"],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"neomx.gluon.{module}")
    with mx.name.NameManager():
        result = doctest.testmod(mod, extraglobs={"mx": mx}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
