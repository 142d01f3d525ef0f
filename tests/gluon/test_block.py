"""Block: naming and name scopes, collect_params, save/load_parameters, hooks, apply, cast,
summary and __repr__ (golden files from tools/make_gluon_core_fixtures.py)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from gluon_core_blocks import Dense, Norm, Tower, make_net

import neomx as mx
from neomx import gluon
from neomx.base import MXNetError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "gluon_core"
NAMING = json.loads((GOLDEN / "naming.json").read_text())


def build_naming_cases():
    """The same constructions as naming() in tools/make_gluon_core_fixtures.py."""
    with mx.name.NameManager():
        a, b = Dense(2), Dense(3)
        seq = gluon.HybridSequential()
        with seq.name_scope():
            seq.add(Dense(4), Dense(5), Norm())
            inner = gluon.HybridSequential()
            with inner.name_scope():
                inner.add(Dense(6))
            seq.add(inner)
        plain = gluon.Sequential()
        plain.add(Dense(2), Dense(2))
        shared = Dense(2, params=a.params)
        named = Dense(2, prefix="mine_")
        tower = Tower()
    return locals()


def test_prefixes_and_names_match_mxnet():
    c = build_naming_cases()
    prefixes = [
        c["a"].prefix,
        c["b"].prefix,
        c["seq"].prefix,
        c["seq"][0].prefix,
        c["inner"].prefix,
        c["inner"][0].prefix,
        c["plain"][0].prefix,
        c["plain"][1].prefix,
        c["shared"].prefix,
        c["named"].prefix,
        c["tower"].prefix,
        c["tower"].head.prefix,
        c["tower"].features[1].prefix,
    ]
    assert prefixes == NAMING["prefixes"]
    assert [c["a"].name, c["seq"].name, c["tower"].head.name] == NAMING["names"]


@pytest.mark.parametrize("key", ["seq", "plain", "shared", "named", "tower"])
def test_collect_params_match_mxnet(key):
    net = build_naming_cases()[key]
    expected = NAMING[key]
    assert list(net.collect_params().keys()) == expected["collect"]
    assert sorted(net._collect_params_with_prefix().keys()) == expected["structural"]
    assert list(net.collect_params(".*weight").keys()) == expected["weights"]
    assert repr(net.collect_params()) == expected["params_repr"]


def test_repr_matches_mxnet():
    c = build_naming_cases()
    assert repr(c["seq"]) == NAMING["seq_repr"]
    assert repr(c["tower"]) == NAMING["tower_repr"]
    with mx.name.NameManager():
        a = Dense(2)
    assert [
        repr(a.weight),
        repr(gluon.Parameter("w", shape=(2, 3))),
        repr(gluon.Constant("c", mx.nd.ones((2,)))),
        repr(gluon.ParameterDict("p_")),
    ] == NAMING["param_repr"]


def test_shared_params_are_the_same_objects():
    c = build_naming_cases()
    assert c["shared"].weight is c["a"].weight
    c["a"].initialize()
    y1 = c["a"](mx.nd.ones((1, 3)))
    y2 = c["shared"](mx.nd.ones((1, 3)))
    np.testing.assert_array_equal(y1.asnumpy(), y2.asnumpy())


@pytest.mark.parametrize(
    "make, shape, key", [(make_net, (4, 5), "summary"), (Tower, (4, 5), "tower_summary")]
)
def test_summary_matches_mxnet(make, shape, key):
    net = make()
    net.initialize()
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        net.summary(mx.nd.ones(shape))
    assert stream.getvalue() == NAMING[key]
    # The hooks are removed afterwards.
    assert all(not b._forward_hooks for b in [net, *net._children.values()])


def test_summary_refuses_hybridized():
    net = make_net()
    net.initialize()
    net.hybridize()
    with pytest.raises(MXNetError, match="must not be hybridized"):
        net.summary(mx.nd.ones((2, 5)))


def test_child_registration_and_type_change():
    net = Tower()
    assert list(net._children) == ["features", "head"]
    assert list(net._reg_params) == ["scale"]
    with pytest.raises(TypeError, match="Changing attribute type"):
        net.head = 3
    with pytest.raises(ValueError, match="Children of HybridBlock must also be HybridBlock"):
        gluon.HybridSequential().add(Tower())


def test_unregistered_container_warns():
    class Holder(gluon.Block):
        def __init__(self):
            super().__init__()
            self.layers = [Dense(2)]

    with pytest.warns(UserWarning, match="unregistered container"):
        Holder().collect_params()


def test_hooks_and_handles():
    net = make_net()
    net.initialize()
    seen = []
    pre = net.register_forward_pre_hook(lambda b, args: seen.append(("pre", b.name)))
    post = net[0].register_forward_hook(lambda b, args, out: seen.append(("post", out.shape)))
    net(mx.nd.ones((2, 5)))
    assert seen == [("pre", net.name), ("post", (2, 8))]
    pre.detach()
    with post:
        pass
    net(mx.nd.ones((2, 5)))
    assert len(seen) == 2


def test_apply_visits_children_first():
    net = make_net()
    order = []
    assert net.apply(lambda b: order.append(type(b).__name__)) is net
    assert order == ["Dense", "Norm", "Dense", "HybridSequential"]


def test_cast_changes_dtypes(tmp_path):
    net = make_net()
    net.initialize()
    net(mx.nd.ones((2, 5)))
    net.cast("float64")
    for param in net.collect_params().values():
        assert param.data().dtype == np.float64
    out = net(mx.nd.ones((2, 5), dtype="float64"))
    assert out.dtype == np.float64
    net.hybridize()
    assert net(mx.nd.ones((2, 5), dtype="float64")).dtype == np.float64


# ---- save / load ----------------------------------------------------------------------------


def test_save_load_parameters_round_trip(tmp_path):
    net = make_net()
    net.initialize()
    x = mx.nd.array(np.random.rand(3, 5))
    y = net(x)
    path = str(tmp_path / "net.params")
    net.save_parameters(path)
    assert sorted(mx.nd.load(path)) == sorted(net._collect_params_with_prefix())
    other = make_net()  # other prefix: structural names still match
    other.load_parameters(path)
    np.testing.assert_allclose(other(x).asnumpy(), y.asnumpy(), rtol=1e-6)


def test_load_mxnet_saved_parameters():
    golden = np.load(GOLDEN / "mx_net.npz")
    net = make_net()
    net.load_parameters(str(GOLDEN / "mx_net.params"))
    out = net(mx.nd.array(golden["x"]))
    np.testing.assert_allclose(out.asnumpy(), golden["out"], rtol=1e-5, atol=1e-6)


def test_saved_bytes_match_mxnet(tmp_path):
    # The same values saved by neomx and by MXNet give the same file.
    net = make_net()
    net.load_parameters(str(GOLDEN / "mx_net.params"))
    path = tmp_path / "again.params"
    net.save_parameters(str(path))
    assert path.read_bytes() == (GOLDEN / "mx_net.params").read_bytes()


def test_load_missing_and_extra_say_what_to_do(tmp_path):
    net = make_net()
    net.initialize()
    net(mx.nd.ones((2, 5)))
    path = str(tmp_path / "net.params")
    net.save_parameters(path)
    bigger = gluon.HybridSequential()
    with bigger.name_scope():
        bigger.add(Dense(8, act="relu"), Norm(), Dense(3), Dense(2))
    with pytest.raises(ValueError, match=r"'3\.weight' is missing.*allow_missing=True"):
        bigger.load_parameters(path)
    bigger.load_parameters(path, allow_missing=True)
    smaller = gluon.HybridSequential()
    with smaller.name_scope():
        smaller.add(Dense(8, act="relu"), Norm())
    with pytest.raises(ValueError, match=r"'2\.\w+' .*not present in Block.*ignore_extra=True"):
        smaller.load_parameters(path)
    smaller.load_parameters(path, ignore_extra=True)
    np.testing.assert_array_equal(
        smaller[0].weight.data().asnumpy(), net[0].weight.data().asnumpy()
    )


def test_load_shape_mismatch_names_the_parameter(tmp_path):
    net = make_net()
    net.initialize()
    net(mx.nd.ones((2, 5)))
    path = str(tmp_path / "net.params")
    net.save_parameters(path)
    other = make_net()
    other.initialize()
    other(mx.nd.ones((2, 7)))
    with pytest.raises(ValueError, match="weight.*shape incompatible"):
        other.load_parameters(path)


def test_load_cast_dtype(tmp_path):
    net = make_net()
    net.load_parameters(str(GOLDEN / "mx_net.params"))
    net.cast("float64")
    path = str(tmp_path / "f64.params")
    net.save_parameters(path)
    fresh = make_net()
    fresh.initialize()
    fresh(mx.nd.ones((1, 5)))
    with pytest.raises(ValueError, match="cast_dtype=True"):
        fresh.load_parameters(path)
    fresh.load_parameters(path, cast_dtype=True)
    assert fresh[0].weight.data().dtype == np.float32
    fresh.load_parameters(path, cast_dtype=True, dtype_source="saved")
    assert fresh[0].weight.data().dtype == np.float64


def test_legacy_save_params_file_loads(tmp_path):
    net = make_net()
    net.initialize()
    net(mx.nd.ones((2, 5)))
    path = str(tmp_path / "legacy.params")
    with pytest.warns(DeprecationWarning):
        net.save_params(path)
    assert all("." not in key for key in mx.nd.load(path))
    other = make_net()
    other.load_parameters(path)  # names: prefix restored
    np.testing.assert_array_equal(other[2].bias.data().asnumpy(), net[2].bias.data().asnumpy())


def test_save_parameters_deduplicate(tmp_path):
    a = Dense(2, in_units=3)
    b = Dense(2, in_units=3, params=a.params)
    seq = gluon.HybridSequential()
    seq.add(a, b)
    seq.initialize()
    path = str(tmp_path / "dedup.params")
    seq.save_parameters(path, deduplicate=True)
    assert sorted(mx.nd.load(path)) == ["0.bias", "0.weight"]
    seq.load_parameters(path)


def test_block_with_parameters_and_children_trains():
    net = Tower()
    net.initialize(mx.init.One())
    x = mx.nd.ones((2, 5))
    with mx.autograd.record():
        y = net(x)
    y.backward()
    assert net.scale.grad().asnumpy()[0] == pytest.approx(y.asnumpy().sum())


# ---- containers and lambdas ------------------------------------------------------------------


def test_sequential_indexing_slicing_len():
    net = gluon.HybridSequential(prefix="s_")
    with net.name_scope():
        net.add(Dense(3), Dense(4), Dense(5))
    assert len(net) == 3
    assert net[1] is list(net._children.values())[1]
    part = net[1:]
    assert isinstance(part, gluon.HybridSequential) and len(part) == 2
    assert part.prefix == "s_" and part[0] is net[1]
    with pytest.warns(UserWarning, match="Consider using HybridSequential"):
        plain = gluon.Sequential()
        plain.add(Dense(2))
        plain.hybridize()


def test_sequential_passes_tuples_along():
    net = gluon.Sequential()
    net.add(gluon.Lambda(lambda x: (x, x * 2)), gluon.Lambda(lambda a, b: a + b))
    assert net(mx.nd.array([1.0])).asnumpy().tolist() == [3.0]


@pytest.mark.parametrize("hybridize", [False, True])
def test_hybrid_lambda(hybridize):
    net = gluon.HybridSequential()
    net.add(gluon.HybridLambda("tanh"), gluon.HybridLambda(lambda F, x: F.relu(x) * 2))
    net.hybridize(hybridize)
    x = mx.nd.array([-1.0, 0.5])
    np.testing.assert_allclose(net(x).asnumpy(), np.maximum(np.tanh([-1.0, 0.5]), 0) * 2, rtol=1e-6)
    assert repr(net[0]) == "HybridLambda(tanh)"
    assert repr(net[1]) == "HybridLambda(<lambda>)"


def test_lambda_errors_and_repr():
    assert repr(gluon.Lambda("sqrt")) == "Lambda(sqrt)"
    with pytest.raises(ValueError, match="not found"):
        gluon.Lambda("no_such_function")
    with pytest.raises(ValueError, match="Unrecognized function"):
        gluon.HybridLambda(3)
