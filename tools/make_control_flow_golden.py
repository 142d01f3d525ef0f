"""Write golden control-flow results from real MXNet 1.9.1 into tests/golden/control_flow/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_control_flow_golden.py

For each scenario of tests/symbol/control_flow_scenarios.py it writes ``<scenario>.npz``:

    in_<name>        the inputs
    sym_json         the Symbol's JSON as MXNet writes it
    sym_out<k>       outputs of the bound Symbol (forward, is_train=True)
    sym_grad_<name>  input gradients for the scenario's fixed head gradients
    nd_out<k>, nd_grad_<name>   the same through mx.nd.contrib under autograd
    mxnet_version    the oracle's version

tests/symbol/test_control_flow.py compares neomx with them; tests never import mxnet.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "golden" / "control_flow"


def main():
    import mxnet as mx

    sys.path.insert(0, str(ROOT / "tests" / "symbol"))
    import control_flow_scenarios as scenarios

    def bind(symbol, args, grads):
        return symbol.bind(mx.cpu(), args, args_grad=grads)

    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name in scenarios.SHAPES:
        inputs = scenarios.make_inputs(name)
        record = {"mxnet_version": np.array(mx.__version__)}
        record.update({f"in_{k}": v for k, v in inputs.items()})
        sym = scenarios.symbolic(mx, name, inputs, bind)
        record["sym_json"] = np.array(sym.pop("json"))
        record.update({f"sym_{k}": v for k, v in sym.items()})
        record.update({f"nd_{k}": v for k, v in scenarios.imperative(mx, name, inputs).items()})
        np.savez(OUTPUT / f"{name}.npz", **record)
        print("wrote", OUTPUT / f"{name}.npz")


if __name__ == "__main__":
    main()
