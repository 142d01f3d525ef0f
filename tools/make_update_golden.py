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

The multi-tensor updates (tests/ops/cases_update_multi.py, ``MULTI``) take several weights
and gradients per call, so their files, in tests/golden/update_multi/, name inputs by
position: ``grad<s>_<i>`` is the fresh gradient for input i at step s, ``out<s>_<k>`` the k-th
new weight (each call passes ``out=`` the weights), ``step<s>_<i>`` every input after step s.

The AdamW updates (tests/ops/cases_update_adamw.py, ``ADAMW``) take their gradient scale as
a last input, rescale_grad; their files, in tests/golden/update_adamw/, are laid out as the
multi-tensor ones (single-tensor AdamW too), and their cases include skipped steps
(rescale_grad 0, NaN or infinite).

tests/ops/test_update_golden.py, test_update_multi.py and test_update_adamw.py replay the
steps in neomx; tests never import mxnet.
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
OUTPUT_MULTI = TESTS / "golden" / "update_multi"
OUTPUT_ADAMW = TESTS / "golden" / "update_adamw"
STEPS = 3


def update_cases():
    """Every case of the update operators (cases_update.py marks them not for make_golden)."""
    load_cases()
    case = sys.modules["ops.case"]
    table = sys.modules["ops.cases_update"]
    return [c for name in sorted(table.STEPS) for c in case.CASES[name]], table


def multi_cases():
    """Every recorded case of the multi-tensor updates, and their table."""
    load_cases()
    case = sys.modules["ops.case"]
    table = sys.modules["ops.cases_update_multi"]
    cases = [c for name in sorted(table.MULTI) for c in case.CASES[name]]
    return [c for c in cases if c.id not in table.NOT_RECORDED], table


def adamw_cases():
    """Every case of the AdamW updates, and their table."""
    load_cases()
    case = sys.modules["ops.case"]
    table = sys.modules["ops.cases_update_adamw"]
    return [c for name in sorted(table.ADAMW) for c in case.CASES[name]], table


def start(mx, case):
    """The case's generator (seeded by its id), inputs, record header and MXNet arrays."""
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
    return rng, inputs, record, arrays


def run_case(mx, case, returns_weight):
    rng, inputs, record, arrays = start(mx, case)
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


def run_multi_case(mx, case, table):
    rng, inputs, record, arrays = start(mx, case)
    count = case.params.get("num_weights", 1)
    grads = table.positions(case.op, count, "grad")
    weights = table.positions(case.op, count, "weight")
    # The AdamW operators are underscore names, only in mx.nd._internal.
    function = getattr(mx.nd, case.op, None) or getattr(mx.nd._internal, case.op)
    params = mxnet_params(case.params)
    for step in range(STEPS):
        if step:
            for i in grads:
                grad = rng.uniform(-2, 2, inputs[i].shape).astype(inputs[i].dtype)
                record[f"grad{step}_{i}"] = grad
                arrays[i] = mx.nd.array(grad, dtype=grad.dtype)
        # MXNet 1.9.1 cannot infer these operators' output shapes: out= is required.
        outs = [arrays[i] for i in weights]
        result = function(*arrays, out=outs if count > 1 else outs[0], **params)
        for k, value in enumerate(result if isinstance(result, list) else [result]):
            record[f"out{step}_{k}"] = value.asnumpy()
        for i, array in enumerate(arrays):
            record[f"step{step}_{i}"] = array.asnumpy()
    return record


def rewrite(output, records):
    """Replace the .npz files in ``output`` by ``records`` (case id -> record)."""
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("*.npz"):
        stale.unlink()
    for name, record in records.items():
        save_npz(output / f"{name}.npz", record)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the files")
    parser.add_argument(
        "--output-multi",
        type=Path,
        default=OUTPUT_MULTI,
        help="where to write the multi-tensor updates' files",
    )
    parser.add_argument(
        "--output-adamw",
        type=Path,
        default=OUTPUT_ADAMW,
        help="where to write the AdamW updates' files",
    )
    args = parser.parse_args(argv)
    import mxnet as mx

    cases, table = update_cases()
    rewrite(
        args.output,
        {case.id: run_case(mx, case, case.op in table.RETURNS_WEIGHT) for case in cases},
    )
    print(f"wrote {len(cases)} update golden files to {args.output}")
    cases, table = multi_cases()
    rewrite(args.output_multi, {case.id: run_multi_case(mx, case, table) for case in cases})
    print(f"wrote {len(cases)} multi-tensor update golden files to {args.output_multi}")
    cases, table = adamw_cases()
    rewrite(args.output_adamw, {case.id: run_multi_case(mx, case, table) for case in cases})
    print(f"wrote {len(cases)} AdamW update golden files to {args.output_adamw}")


if __name__ == "__main__":
    main()
