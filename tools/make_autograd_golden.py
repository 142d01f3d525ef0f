"""Write golden autograd results from real MXNet 1.9.1 into tests/golden/autograd/.

Run it in the oracle venv (see README, "Developers")::

    /opt/mxvenv/bin/python tools/make_autograd_golden.py

It runs every scenario of tests/autograd_scenarios.py (values and gradients of composite
expressions, several heads, grad_req 'add', autograd.grad, second order, ...) through mxnet
and writes one ``<scenario>.npz`` per scenario:

    in_<name>      the inputs (float32, drawn from a generator seeded by the scenario name)
    out_<name>     MXNet's results
    mxnet_version  the oracle's version

tests/test_autograd_golden.py runs the same scenarios on neomx and compares; tests never
import mxnet.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "golden" / "autograd"


def load_scenarios():
    """Import tests/autograd_scenarios.py (numpy only) and make_golden's writer."""
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "tools"))
    scenarios = importlib.import_module("autograd_scenarios")
    if Path(scenarios.__file__).resolve().parent != ROOT / "tests":
        raise SystemExit(f"imported the wrong scenarios module: {scenarios.__file__}")
    return scenarios


def make_inputs(name, specs):
    """The scenario's inputs, the same on every run."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return {
        key: rng.uniform(low, high, size=shape).astype(np.float32)
        for key, (shape, low, high) in specs.items()
    }


def record_scenario(mx, scenarios, name):
    inputs = make_inputs(name, scenarios.INPUTS[name])
    results = scenarios.SCENARIOS[name](mx, {k: v.copy() for k, v in inputs.items()})
    record = {"mxnet_version": np.array(mx.__version__)}
    record.update({f"in_{key}": value for key, value in inputs.items()})
    record.update({f"out_{key}": value.asnumpy() for key, value in results.items()})
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the files")
    args = parser.parse_args(argv)
    import mxnet as mx

    scenarios = load_scenarios()
    from make_golden import save_npz

    args.output.mkdir(parents=True, exist_ok=True)
    for stale in args.output.glob("*.npz"):
        stale.unlink()
    for name in sorted(scenarios.SCENARIOS):
        save_npz(args.output / f"{name}.npz", record_scenario(mx, scenarios, name))
    print(f"wrote {len(scenarios.SCENARIOS)} autograd golden files to {args.output}")


if __name__ == "__main__":
    main()
