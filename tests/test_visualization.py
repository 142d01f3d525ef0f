"""mx.viz against MXNet 1.9.1: print_summary's text and plot_network's DOT source, byte for byte.

The expected outputs come from tools/make_viz_fixtures.py (run in the MXNet venv); the graphs
and calls are in tests/fixtures/viz/graphs.py, shared by both sides.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import neomx as mx

FIXTURES = Path(__file__).parent / "fixtures" / "viz"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())["cases"]


def _load_graphs():
    spec = importlib.util.spec_from_file_location("viz_graphs", FIXTURES / "graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GRAPHS = _load_graphs()
SUMMARY_CASES = [case for case in GRAPHS.CASES if case[2] == "print_summary"]
PLOT_CASES = [case for case in GRAPHS.CASES if case[2] == "plot_network"]


def _ids(cases):
    return [case[0] for case in cases]


@pytest.mark.parametrize("case, graph, function, kwargs", SUMMARY_CASES, ids=_ids(SUMMARY_CASES))
def test_print_summary_matches_mxnet(capsys, case, graph, function, kwargs):
    mx.viz.print_summary(GRAPHS.GRAPHS[graph](mx), **kwargs)
    assert capsys.readouterr().out == EXPECTED[case]["text"]


@pytest.mark.parametrize("case, graph, function, kwargs", PLOT_CASES, ids=_ids(PLOT_CASES))
def test_plot_network_matches_mxnet(case, graph, function, kwargs):
    pytest.importorskip("graphviz")
    dot = mx.viz.plot_network(GRAPHS.GRAPHS[graph](mx), **kwargs)
    # graphviz >= 0.20 ends the source with a newline; MXNet 1.9.1 pins graphviz 0.8, which
    # does not. Everything before it is the same.
    assert dot.source.rstrip("\n") == EXPECTED[case]["text"].rstrip("\n")


def test_plot_network_returns_digraph_with_format_and_name():
    graphviz = pytest.importorskip("graphviz")
    dot = mx.viz.plot_network(GRAPHS.lenet(mx), title="lenet", save_format="svg")
    assert isinstance(dot, graphviz.Digraph)
    assert dot.name == "lenet"
    assert dot.format == "svg"


def test_print_summary_counts_lenet_params(capsys):
    mx.viz.print_summary(GRAPHS.lenet(mx), shape={"data": (1, 1, 28, 28)})
    lines = capsys.readouterr().out.splitlines()
    # conv1 520 + conv2 25050 + fc1 400500 + fc2 5010
    assert lines[-2] == "Total params: 431080"


def test_plot_network_without_graphviz_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(mx.viz.VizImportError, match=r"neomx\[viz\]") as info:
        mx.viz.plot_network(GRAPHS.mlp(mx))
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, mx.MXNetError)


def test_print_summary_does_not_need_graphviz(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    mx.viz.print_summary(GRAPHS.mlp(mx))
    assert "Total params:" in capsys.readouterr().out


@pytest.mark.parametrize("function", ["print_summary", "plot_network"])
def test_rejects_a_non_symbol(function):
    pytest.importorskip("graphviz")
    with pytest.raises(TypeError, match=f"{function}: symbol must be a Symbol"):
        getattr(mx.viz, function)("not a symbol")


@pytest.mark.parametrize("function", ["print_summary", "plot_network"])
def test_incomplete_shape_is_an_error(function):
    pytest.importorskip("graphviz")
    net = GRAPHS.multi_input(mx)
    with pytest.warns(UserWarning, match="Cannot decide shape"):
        with pytest.raises(ValueError, match=f"{function}: Input shape is incomplete"):
            getattr(mx.viz, function)(net, shape={"image": (4, 20)})


def test_plot_network_warns_about_repeated_names():
    pytest.importorskip("graphviz")
    net = mx.sym.var("x") + mx.sym.var("x")
    with pytest.warns(RuntimeWarning, match="Repeated names: x"):
        dot = mx.viz.plot_network(net)
    assert dot.source.count("\tx [label=x") == 2


def test_where_mxnet_crashes_neomx_still_prints(capsys):
    # MXNet 1.9.1 raises IndexError when a layer reads a 1-d output, and KeyError on a
    # Pooling without pool_type; neomx counts no width and labels the pooling 'max'.
    pytest.importorskip("graphviz")
    net = mx.sym.sum(mx.sym.var("data"), axis=1, name="total")
    net = mx.sym.MakeLoss(net, name="loss")
    mx.viz.print_summary(net, shape={"data": (2, 3)})
    assert "loss(MakeLoss)" in capsys.readouterr().out
    pool = mx.sym.Pooling(mx.sym.var("data"), kernel=(2, 2), name="pool")
    assert 'label="Pooling\nmax, 2x2/1"' in mx.viz.plot_network(pool).source
