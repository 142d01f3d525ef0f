"""Write golden operator results from real MXNet 1.9.1 into tests/golden/ops/.

Run it in the oracle venv (see README, "Developers")::

    /opt/mxvenv/bin/python tools/make_golden.py

It reads the operator case tables (tests/ops/cases_*.py, numpy only), runs every case marked
``golden`` through ``mxnet.nd`` and, for floating inputs, ``mxnet.autograd`` with a random head
gradient, and writes one ``<op>-<label>.npz`` per case:

    op, params (JSON), in<i>, out<i>, head<i>, grad<i>   the call and MXNet's answers
    error          MXNet's message where the forward call failed (no outputs then)
    grad_error     MXNet's message where backward failed (no gradients then)
    mxnet_version  the oracle's version

Inputs are drawn from a generator seeded by the case id, so unchanged cases rewrite identical
files. tests/ops/test_golden.py compares neomx with them; tests never import mxnet.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
OUTPUT = TESTS / "golden" / "ops"
# The oracle's CPU build runs these through oneDNN (MKLDNN), which refuses float16 and float64
# ("unknown type for MKLDNN"), rounds float-to-int casts and crashes on some dtype mixes.
# MXNet's own kernels (also those of its GPU builds) define the operators, so these record
# with oneDNN switched off.
WITHOUT_ONEDNN = {"amp_cast", "amp_multicast"}


def load_cases():
    """Import the case tables as the package ``ops`` (tests/ops); return (cases, neomx_only)."""
    sys.path.insert(0, str(TESTS))
    package = importlib.import_module("ops")
    if Path(package.__file__).resolve().parent != TESTS / "ops":
        raise SystemExit(f"imported the wrong 'ops' package: {package.__file__}")
    case = importlib.import_module("ops.case")
    for path in sorted((TESTS / "ops").glob("cases_*.py")):
        importlib.import_module(f"ops.{path.stem}")
    cases = [c for name in sorted(case.CASES) for c in case.CASES[name]]
    return [c for c in cases if c.golden and c.op not in case.NEOMX_ONLY]


def mxnet_function(mx, op_name):
    function = getattr(mx.nd, op_name, None) or getattr(mx.nd._internal, op_name, None)
    if function is None and op_name.startswith("_random_"):
        # MXNet files _random_X_like only under mx.nd.random, as X_like.
        function = getattr(mx.nd.random, op_name[len("_random_"):], None)
    if function is None and op_name.startswith("_linalg_"):
        # Likewise _linalg_X: only mx.nd.linalg.X.
        function = getattr(mx.nd.linalg, op_name[len("_linalg_"):], None)
    if function is None and op_name.startswith("_contrib_"):
        # And _contrib_X: only mx.nd.contrib.X.
        function = getattr(mx.nd.contrib, op_name[len("_contrib_"):], None)
    if function is None and op_name.startswith("_image_"):
        # And _image_X: only mx.nd.image.X.
        function = getattr(mx.nd.image, op_name[len("_image_"):], None)
    if function is None:
        raise SystemExit(f"mxnet has no operator {op_name!r}")
    return function


def mxnet_params(params):
    """MXNet parses tuple attributes; JSON gave lists."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def error_message(error):
    """The informative line of an MXNet error, which follows a long C++ trace."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for marker in ("MXNetError:", "failed"):
        found = [line for line in lines if marker in line]
        if found:
            return found[-1]
    return lines[-1] if lines else type(error).__name__


def run_case(mx, case):
    """Return the npz record of one case."""
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    inputs = case.make(rng)
    record = {
        "op": np.array(case.op),
        "params": np.array(json.dumps(case.params, sort_keys=True)),
        "mxnet_version": np.array(mx.__version__),
    }
    for i, value in enumerate(inputs):
        record[f"in{i}"] = value
    function = mxnet_function(mx, case.op)
    params = mxnet_params(case.params)
    arrays = [mx.nd.array(value, dtype=value.dtype) for value in inputs]
    try:
        outputs = function(*arrays, **params)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        values = [out.asnumpy() for out in outputs]
    except mx.base.MXNetError as err:
        record["error"] = np.array(error_message(err))
        return record
    for i, value in enumerate(values):
        record[f"out{i}"] = value
    floating = [i for i, value in enumerate(inputs) if value.dtype.kind == "f"]
    # Backward through a zero-size output leaves MXNet's storage broken for later calls
    # ("Check failed: delay_alloc"), so those get no gradients.
    if floating and all(value.dtype.kind == "f" and value.size for value in values):
        record.update(gradients(mx, function, params, arrays, floating, values, rng))
    return record


def gradients(mx, function, params, arrays, floating, values, rng):
    """Input gradients of the floating inputs for a random head gradient, by mxnet.autograd."""
    heads = [rng.standard_normal(value.shape).astype(value.dtype) for value in values]
    try:
        for i in floating:
            arrays[i].attach_grad()
        with mx.autograd.record():
            outputs = function(*arrays, **params)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        mx.autograd.backward(outputs, head_grads=[mx.nd.array(h, dtype=h.dtype) for h in heads])
        grads = {f"grad{i}": arrays[i].grad.asnumpy() for i in floating}
    except mx.base.MXNetError as err:
        return {"grad_error": np.array(error_message(err))}
    record = {f"head{i}": head for i, head in enumerate(heads)}
    record.update(grads)
    return record


def save_npz(path, record):
    """Write an .npz that ``numpy.load`` reads, with fixed timestamps: unchanged cases give
    byte-identical files, so regenerating shows only real changes in version control."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in record.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w") as stream:
                np.lib.format.write_array(stream, np.asanyarray(value), allow_pickle=False)


def write_op(op_name, output):
    """Record every golden case of one operator; return (cases written, MXNet errors)."""
    if op_name in WITHOUT_ONEDNN:
        os.environ["MXNET_MKLDNN_ENABLED"] = "0"
        os.environ["MXNET_STORAGE_FALLBACK_LOG_VERBOSE"] = "0"
    import mxnet as mx

    cases = [case for case in load_cases() if case.op == op_name]
    errors = 0
    for case in cases:
        record = run_case(mx, case)
        errors += "error" in record
        save_npz(output / f"{case.id}.npz", record)
    return len(cases), errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the files")
    parser.add_argument("--op", help="record only this operator (in this process)")
    args = parser.parse_args(argv)
    if args.op:
        print(*write_op(args.op, args.output))
        return
    args.output.mkdir(parents=True, exist_ok=True)
    for stale in args.output.glob("*.npz"):
        stale.unlink()
    # One process per operator: after a zero-size array MXNet's storage can fail later,
    # unrelated calls ("Check failed: delay_alloc"), so no operator sees another's state.
    ops = sorted({case.op for case in load_cases()})

    def record(op_name):
        command = [sys.executable, __file__, "--op", op_name, "--output", str(args.output)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{op_name}: make_golden failed:\n{done.stderr}")
        return [int(n) for n in done.stdout.split()[-2:]]

    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        counts = list(pool.map(record, ops))
    written, errors = (sum(column) for column in zip(*counts))
    print(
        f"wrote {written} golden files for {len(ops)} operators to {args.output} "
        f"({errors} record an MXNet error)"
    )


if __name__ == "__main__":
    main()
