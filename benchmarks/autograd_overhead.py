"""Time autograd's overhead per small operation in neomx, PyTorch and MXNet 1.9.1, side by side.

The workload is a chain of 4x4 float32 operations, ``x = x * b + c`` repeated (two operations
per step), starting from an array that requires a gradient. Per operation, in microseconds:

* plain: the chain without recording (what recording adds to);
* recorded: the chain under ``autograd.record()`` (PyTorch: with ``requires_grad``);
* backward: ``backward()`` of the chain's result, i.e. (record + backward) - record;
* and the backward's share of recording plus backward.

Asynchronous engines (MXNet's default) are timed up to a ``waitall``. Each figure is the best of
several timed batches (as ``timeit`` reports). Every framework runs in a fresh subprocess of its
own. Run by hand::

    python benchmarks/autograd_overhead.py [--mxnet-python PATH] [--repeat 5] [--steps 50]

MXNet 1.9.1 needs NumPy 1.x, so it runs under its own interpreter: ``--mxnet-python``, else
``$NEOMX_MXNET_PYTHON``, else ``/opt/mxvenv/bin/python`` when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SHAPE = (4, 4)
DEFAULT_MXNET_PYTHON = "/opt/mxvenv/bin/python"
# A timed batch runs at least this long, so timer resolution and one-off costs do not count.
MIN_BATCH_S = 0.2


def measure(run, repeat):
    """Best seconds per call of ``run()`` over ``repeat`` batches (batch size as timeit's)."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            run()
        if time.perf_counter() - start >= MIN_BATCH_S:
            break
        number *= 10
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            run()
        best = min(best, time.perf_counter() - start)
    return best / number


# ---- one framework ------------------------------------------------------------------------


def _mxnet_like(name):
    """(record, backward, finish, a, b, c) for neomx or mxnet."""
    mx = __import__(name)
    a, b, c = (mx.nd.ones(SHAPE, dtype="float32") * v for v in (1.0, 0.5, 0.25))
    a.attach_grad()

    def backward(y):
        y.backward()
        a.grad.wait_to_read()

    return mx.autograd.record, backward, mx.nd.waitall, a, b, c


def _torch():
    import contextlib

    import torch

    # One thread, as neomx's and MXNet's small kernels run.
    torch.set_num_threads(1)
    a = torch.ones(SHAPE, dtype=torch.float32, requires_grad=True)
    b, c = torch.full(SHAPE, 0.5), torch.full(SHAPE, 0.25)

    def backward(y):
        y.backward(torch.ones_like(y))

    plain = torch.ones(SHAPE, dtype=torch.float32)
    # PyTorch records whenever an input requires a gradient; its "plain" chain starts from
    # an array that does not.
    return contextlib.nullcontext, backward, lambda: None, (a, plain), b, c


def measure_framework(name, steps, repeat):
    """Microseconds per operation of the three workloads in this process; return a dict."""
    if name == "torch":
        record, backward, finish, (a, plain), b, c = _torch()
    else:
        record, backward, finish, a, b, c = _mxnet_like(name)
        plain = a

    def chain(x):
        for _ in range(steps):
            x = x * b + c
        return x

    def run_plain():
        chain(plain)
        finish()

    def run_record():
        with record():
            chain(a)
        finish()

    def run_both():
        with record():
            y = chain(a)
        backward(y)
        finish()

    ops = 2 * steps
    plain_s = measure(run_plain, repeat)
    record_s = measure(run_record, repeat)
    both_s = measure(run_both, repeat)
    return {
        "plain_us": plain_s / ops * 1e6,
        "record_us": record_s / ops * 1e6,
        "backward_us": (both_s - record_s) / ops * 1e6,
    }


def measure_in_subprocess(python, name, engine, args):
    env = dict(os.environ, MXNET_ENGINE_TYPE=engine or "NaiveEngine")
    command = [
        python,
        os.path.abspath(__file__),
        "--worker",
        name,
        "--repeat",
        str(args.repeat),
        "--steps",
        str(args.steps),
    ]
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
    here = sys.executable
    mxnet = _mxnet_python(args.mxnet_python)
    plan = [
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
            rows.append((label, measure_in_subprocess(python, name, engine, args)))
    return rows


def print_table(rows, steps):
    width = max(len(label) for label, _ in rows) + 2
    print(f"Chain of {2 * steps} ops (x = x * b + c), 4x4 float32: microseconds per operation")
    header = ("plain", "recorded", "+record", "backward", "bwd share")
    print(f"{'':{width}}" + "".join(f"{h:>11}" for h in header))
    for label, result in rows:
        if "error" in result:
            print(f"{label:{width}}n/a: {result['error']}")
            continue
        plain, recorded, back = result["plain_us"], result["record_us"], result["backward_us"]
        share = back / (recorded + back)
        cells = (plain, recorded, recorded - plain, back)
        print(f"{label:{width}}" + "".join(f"{v:11.2f}" for v in cells) + f"{share:>11.0%}")
    print("  +record: recorded - plain, what recording adds; bwd share: backward / (recorded +")
    print("  backward). PyTorch's plain chain starts from a tensor without requires_grad.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mxnet-python", help="interpreter with mxnet 1.9.1 installed")
    parser.add_argument("--repeat", type=int, default=5, help="timed batches per figure")
    parser.add_argument("--steps", type=int, default=50, help="steps of the chain (2 ops each)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        # In a subprocess of collect(): measure one framework, report it as one JSON line.
        print(json.dumps(measure_framework(args.worker, args.steps, args.repeat)))
        return
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print_table(collect(args), args.steps)


if __name__ == "__main__":
    main()
