"""The Symbol API against MXNet 1.9.1: every scenario of symbol_scenarios.py gives what real
MXNet gave (tests/fixtures/symbol_api.json, written by tools/make_symbol_api_fixture.py)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from symbol_scenarios import SCENARIOS, jsonable

import neomx as mx

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "symbol_api.json").read_text())
RECORDED = FIXTURE["api"]


@pytest.fixture(autouse=True)
def fresh_names():
    """Keep automatic names out of the process-wide counters other tests read."""
    with mx.name.NameManager():
        yield


def run(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = SCENARIOS[name](mx)
    value = jsonable(value)
    if caught:
        return {"value": value, "warnings": [str(w.message) for w in caught]}
    return value


def test_every_scenario_is_recorded():
    assert sorted(SCENARIOS) == sorted(RECORDED)


# Known gaps, each with its reason.
GAPS: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=GAPS[n], strict=True)) if n in GAPS else n
        for n in sorted(RECORDED)
    ],
)
def test_scenario_matches_mxnet(name):
    expected = RECORDED[name]
    if isinstance(expected, dict) and set(expected) == {"error", "message"}:
        with pytest.raises(Exception):  # noqa: B017 - MXNet's recorded an error of its own type
            run(name)
        return
    assert run(name) == expected


def test_symbol_has_every_mxnet_method():
    api = json.loads((Path(__file__).parents[2] / "tools" / "mxnet_api.json").read_text())
    # Subgraph backends and the NumPy interface are not part of neomx (tools/api_coverage.py).
    excused = {"as_np_ndarray", "get_backend_symbol", "optimize_for"}
    names = [n for n in api["names"]["sym.Symbol"] if not n.startswith("_") and n not in excused]
    assert [n for n in names if not hasattr(mx.sym.Symbol, n)] == []


@pytest.mark.parametrize("name", ["asnumpy", "asscalar", "backward", "detach", "wait_to_read"])
def test_ndarray_only_methods_raise(name):
    with pytest.raises(mx.base.MXNetError, match=f"{name} is not implemented for Symbol"):
        getattr(mx.sym.var("x"), name)()


# ---- behaviour MXNet 1.9.1 cannot record (its positional inference crashes) or messages ----


def _net():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def test_infer_shape_positional():
    args, outs, aux = _net().infer_shape((5, 7))
    assert args == [(5, 7), (4, 7), (4,), (5,)]
    assert outs == [(5, 4)] and aux == []


def test_infer_type_positional():
    args, outs, _ = _net().infer_type("float64")
    assert [np.dtype(t).name for t in args + outs] == ["float64"] * 5


def test_infer_shape_error_names_operator_node_and_arguments():
    fc = mx.sym.FullyConnected(mx.sym.var("a"), num_hidden=3, name="fc")
    with pytest.raises(
        mx.base.MXNetError, match=r"(?s)operator fc.*weight.*Arguments:.*a: \(2, 5\)"
    ):
        fc.infer_shape(a=(2, 5), fc_weight=(3, 4))


def test_infer_type_error_names_node():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    with pytest.raises(mx.base.MXNetError, match=r"(?s)operator _plus0.*float64.*b: float64"):
        with mx.name.NameManager():
            (a + b).infer_type(a="float32", b="float64")


def test_infer_shape_unknown_input_is_an_error():
    with pytest.raises(mx.base.MXNetError, match="zzz"):
        _net().infer_shape(zzz=(2,))


def test_infer_shape_warns_on_incomplete():
    with pytest.warns(UserWarning, match=r"Cannot decide shape.*\n\tb: \(\)"):
        assert mx.sym.dot(mx.sym.var("a"), mx.sym.var("b")).infer_shape(a=(2, 3)) == (None,) * 3


def test_compose_errors_name_the_problem():
    net = mx.sym.relu(mx.sym.var("a"))
    with pytest.raises(mx.base.MXNetError, match="zzz.*candidates.*'a'"):
        net(zzz=mx.sym.var("b"))
    with pytest.raises(mx.base.MXNetError, match="by name"):
        net(mx.sym.var("b"))


def test_variadic_inputs_are_named_by_the_operator():
    w = [mx.sym.var(f"w{i}") for i in range(4)]
    sym = mx.sym.multi_sgd_mom_update(
        *w[:3], *w[:3], num_weights=2, lrs=(0.1, 0.1), wds=(0.0, 0.0), name="u"
    )
    # mom_i are written in place: auxiliary states, as in MXNet.
    assert sym.list_auxiliary_states() == ["w2"]
    assert mx.sym.Concat(num_args=3, dim=0, name="c").list_arguments() == [
        "c_arg0",
        "c_arg1",
        "c_arg2",
    ]


def test_partial_inference_keeps_what_an_unknown_batch_does_not_change():
    data = mx.sym.var("data")
    pooled = mx.sym.Pooling(data, kernel=(2, 2), pool_type="max")
    assert pooled.infer_shape_partial(data=(0, 3, 8, 8))[1] == [(0, 3, 7, 7)]
    joined = mx.sym.Concat(data, data, dim=1)
    assert joined.infer_shape_partial(data=(0, 3, 2))[1] == [(0, 6, 2)]
    embedded = mx.sym.Embedding(data, input_dim=5, output_dim=3)
    assert embedded.infer_shape_partial(data=(0, 3)) == ([(0, 3), (5, 3)], [(0, 3, 3)], [])
