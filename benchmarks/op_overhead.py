"""Time one elementwise add per call in neomx, NumPy, PyTorch and MXNet 1.9.1, side by side.

Two measurements:

* overhead: a 4x4 float32 add, written ``a + b`` and as a function call
  (``mx.nd.elemwise_add``, ``np.add``, ``torch.add``), in microseconds per call;
* a 1M-element float32 add: microseconds per call and minor page faults per call
  (``ru_minflt``), which show whether freed result buffers are reused or faulted in afresh.

Asynchronous engines (neomx's ThreadedEnginePerDevice, MXNet's default) are timed as N calls
followed by one ``waitall``. Each figure is the best of several timed batches (as ``timeit``
reports); page faults are averaged over all timed batches. Every framework runs in a fresh
subprocess of its own. Run by hand::

    python benchmarks/op_overhead.py [--mxnet-python PATH] [--repeat 5]

MXNet 1.9.1 needs NumPy 1.x, so it runs under its own interpreter: ``--mxnet-python``, else
``$NEOMX_MXNET_PYTHON``, else ``/opt/mxvenv/bin/python`` when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

SMALL = (4, 4)
LARGE = (1_000_000,)
DEFAULT_MXNET_PYTHON = "/opt/mxvenv/bin/python"
# A timed batch runs at least this long, so timer resolution and one-off costs do not count.
MIN_BATCH_S = 0.2


# ---- timing -------------------------------------------------------------------------------
# The two loops every framework runs, so that each pays the same Python loop overhead.


def _loop_plus(a, b, n):
    out = None
    for _ in range(n):
        out = a + b  # keeps the previous result alive until the next exists, as real code does
    return out


def _loop_call(fn, a, b, n):
    out = None
    for _ in range(n):
        out = fn(a, b)
    return out


def _batch(run, finish, number):
    """Run ``number`` calls and wait for them; return (seconds, minor page faults)."""
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    run(number)
    finish()
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults


def measure(run, finish, repeat):
    """Return (best microseconds per call, mean minor page faults per call)."""
    number = 1
    while True:  # grow the batch until it runs long enough, as timeit's autorange does
        seconds, _ = _batch(run, finish, number)
        if seconds >= MIN_BATCH_S:
            break
        number *= 2 if seconds * 4 >= MIN_BATCH_S else 10
    results = [_batch(run, finish, number) for _ in range(repeat)]
    best = min(seconds for seconds, _ in results)
    faults = sum(count for _, count in results)
    return best / number * 1e6, faults / (number * repeat)


def _no_wait():
    return None


# ---- one framework ------------------------------------------------------------------------


def _framework(name):
    """Return (make_array(shape), add_function, finish) for a framework by name."""
    if name == "numpy":
        import numpy as np

        return (lambda shape: np.ones(shape, dtype=np.float32)), np.add, _no_wait
    if name == "torch":
        import torch

        # One thread, like NumPy's and neomx's adds; on a small shared machine torch's thread
        # pool can otherwise make a 1M add 50x slower than its single-threaded kernel.
        torch.set_num_threads(1)
        return (lambda shape: torch.ones(shape, dtype=torch.float32)), torch.add, _no_wait
    if name in ("neomx", "mxnet"):
        mx = __import__("neomx" if name == "neomx" else "mxnet")
        make = lambda shape: mx.nd.ones(shape, dtype="float32")  # noqa: E731
        return make, mx.nd.elemwise_add, mx.nd.waitall
    raise ValueError(f"unknown framework {name!r}")


def measure_framework(name, repeat):
    """Time the small and large adds of one framework in this process; return a dict."""
    make, add, finish = _framework(name)
    small_a, small_b = make(SMALL), make(SMALL)
    large_a, large_b = make(LARGE), make(LARGE)
    finish()
    plus_us, _ = measure(lambda n: _loop_plus(small_a, small_b, n), finish, repeat)
    call_us, _ = measure(lambda n: _loop_call(add, small_a, small_b, n), finish, repeat)
    large_us, large_faults = measure(lambda n: _loop_plus(large_a, large_b, n), finish, repeat)
    return {"plus_us": plus_us, "call_us": call_us, "large_us": large_us, "faults": large_faults}


def measure_in_subprocess(python, name, engine, repeat):
    """Measure framework ``name`` in a fresh ``python`` running this file.

    A fresh process per framework keeps one framework's allocations (and the malloc
    thresholds they move) from changing another's page faults.
    """
    env = dict(os.environ, MXNET_ENGINE_TYPE=engine or "NaiveEngine")
    command = [python, os.path.abspath(__file__), "--worker", name, "--repeat", str(repeat)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- report -------------------------------------------------------------------------------


def _mxnet_python(given):
    if given:
        return given
    from_env = os.environ.get("NEOMX_MXNET_PYTHON")
    if from_env:
        return from_env
    return DEFAULT_MXNET_PYTHON if os.path.exists(DEFAULT_MXNET_PYTHON) else None


def collect(args):
    """Measure every available framework; return [(label, result dict or error)]."""
    here = sys.executable
    mxnet = _mxnet_python(args.mxnet_python)
    plan = [
        ("numpy", here, "numpy", None),
        ("neomx NaiveEngine", here, "neomx", "NaiveEngine"),
        ("neomx ThreadedEnginePerDevice", here, "neomx", "ThreadedEnginePerDevice"),
        ("torch CPU, 1 thread", here, "torch", None),
        ("mxnet 1.9.1 ThreadedEnginePerDevice", mxnet, "mxnet", "ThreadedEnginePerDevice"),
        ("mxnet 1.9.1 NaiveEngine", mxnet, "mxnet", "NaiveEngine"),
    ]
    rows = []
    for label, python, name, engine in plan:
        if python is None:
            rows.append((label, {"error": "no MXNet interpreter (--mxnet-python)"}))
        else:
            rows.append((label, measure_in_subprocess(python, name, engine, args.repeat)))
    return rows


def _ratio(value, reference):
    return f"{value / reference:7.1f}x"


def print_tables(rows):
    numpy = dict(rows)["numpy"]
    width = max(len(label) for label, _ in rows) + 2
    print("Small add, 4x4 float32: microseconds per call (best of the batches)")
    print(f"{'':{width}}{'a + b':>10}{'vs numpy':>10}{'add(a, b)':>12}{'vs numpy':>10}")
    for label, result in rows:
        if "error" in result:
            print(f"{label:{width}}n/a: {result['error']}")
            continue
        plus, call = result["plus_us"], result["call_us"]
        print(
            f"{label:{width}}{plus:10.2f}{_ratio(plus, numpy['plus_us']):>10}"
            f"{call:12.2f}{_ratio(call, numpy['call_us']):>10}"
        )
    print("  add(a, b) is np.add, torch.add, mx.nd.elemwise_add")
    print()
    print("Large add, 1M float32 (c = a + b): microseconds and minor page faults per call")
    print(f"{'':{width}}{'us/call':>10}{'vs numpy':>10}{'faults/call':>14}")
    for label, result in rows:
        if "error" in result:
            print(f"{label:{width}}n/a: {result['error']}")
            continue
        print(
            f"{label:{width}}{result['large_us']:10.1f}"
            f"{_ratio(result['large_us'], numpy['large_us']):>10}{result['faults']:14.1f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mxnet-python", help="interpreter with mxnet 1.9.1 installed")
    parser.add_argument("--repeat", type=int, default=5, help="timed batches per figure")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        # In a subprocess of collect(): measure one framework, report it as one JSON line.
        print(json.dumps(measure_framework(args.worker, args.repeat)))
        return
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print_tables(collect(args))


if __name__ == "__main__":
    main()
