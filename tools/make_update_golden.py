"""Write golden optimizer-update results from real MXNet 1.9.1 into tests/golden/update/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_update_golden.py

Update operators write their states in place, and an optimizer calls them again and again, so
one forward call (what make_golden.py records) says too little. For every case of an operator
in tests/ops/cases_update.py (``STEPS``) this runs three steps, each with a fresh gradient and,
where the operator returns the new weight, ``out=weight`` as MXNet's optimizers call them; it
writes one ``<op>-<label>.npz`` per case:

    op, params (JSON)      the call
    in<i>                  the inputs before the first step (in1 is the first gradient)
    grad<s>                the gradient of step s >= 1 (same shape and dtype as in1)
    out<s>, step<s>_<i>    the output of step s and every input after it
    mxnet_version          the oracle's version

tests/ops/test_update_golden.py replays the steps in neomx; tests never import mxnet.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np
from make_golden import TESTS, load_cases, mxnet_params, save_npz

OUTPUT = TESTS / "golden" / "update"
STEPS = 3


def update_cases():
    """Every case of the update operators (cases_update.py marks them not for make_golden)."""
    load_cases()
    case = sys.modules["ops.case"]
    table = sys.modules["ops.cases_update"]
    return [c for name in sorted(table.STEPS) for c in case.CASES[name]], table


def run_case(mx, case, returns_weight):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    inputs = case.make(rng)
    record = {
        "op": np.array(case.op),
        "params": np.array(json.dumps(case.params, sort_keys=True)),
        "mxnet_version": np.array(mx.__version__),
    }
    for i, value in enumerate(inputs):
        record[f"in{i}"] = value
    arrays = [mx.nd.array(value, dtype=value.dtype) for value in inputs]
    function = getattr(mx.nd, case.op)
    params = mxnet_params(case.params)
    for step in range(STEPS):
        if step:
            grad = rng.uniform(-2, 2, inputs[1].shape).astype(inputs[1].dtype)
            record[f"grad{step}"] = grad
            arrays[1] = mx.nd.array(grad, dtype=grad.dtype)
        out = arrays[0] if returns_weight else None
        record[f"out{step}"] = function(*arrays, out=out, **params).asnumpy()
        for i, array in enumerate(arrays):
            record[f"step{step}_{i}"] = array.asnumpy()
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the files")
    args = parser.parse_args(argv)
    import mxnet as mx

    cases, table = update_cases()
    args.output.mkdir(parents=True, exist_ok=True)
    for stale in args.output.glob("*.npz"):
        stale.unlink()
    for case in cases:
        record = run_case(mx, case, case.op in table.RETURNS_WEIGHT)
        save_npz(args.output / f"{case.id}.npz", record)
    print(f"wrote {len(cases)} update golden files to {args.output}")


if __name__ == "__main__":
    main()
