"""Record MXNet 1.9.1's ``mx.viz`` output into tests/fixtures/viz/expected.json.

Run it in the oracle venv (MXNet 1.9.1 plus the graphviz package)::

    /opt/mxvenv/bin/python tools/make_viz_fixtures.py

The graphs and calls live in tests/fixtures/viz/graphs.py, which imports only ``mx`` and
numpy, so tests/test_visualization.py runs the same code on neomx. For ``print_summary`` the
fixture holds the printed text; for ``plot_network`` the Digraph's DOT source. A call that
raises records the exception's type name instead. Tests never import mxnet.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import warnings
from pathlib import Path

import graphviz
import mxnet as mx

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "viz"


def load_graphs():
    spec = importlib.util.spec_from_file_location("viz_graphs", FIXTURES / "graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_case(graphs, graph, function, kwargs):
    # Fresh name counters per case, as each neomx test gets (tests/conftest.py).
    with mx.name.NameManager():
        symbol = graphs.GRAPHS[graph](mx)
    stdout = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stdout):
        warnings.simplefilter("always")
        try:
            result = getattr(mx.viz, function)(symbol, **kwargs)
        except Exception as err:  # noqa: BLE001 - recorded for the test to compare
            return {"error": type(err).__name__, "message": str(err)}
    record = {"warnings": sorted({type(w.message).__name__ for w in caught})}
    record["text"] = stdout.getvalue() if function == "print_summary" else result.source
    return record


def main():
    graphs = load_graphs()
    expected = {
        "mxnet": mx.__version__,
        "graphviz": graphviz.__version__,
        "cases": {
            case: run_case(graphs, graph, function, kwargs)
            for case, graph, function, kwargs in graphs.CASES
        },
    }
    path = FIXTURES / "expected.json"
    path.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(expected['cases'])} cases to {path}")


if __name__ == "__main__":
    main()
