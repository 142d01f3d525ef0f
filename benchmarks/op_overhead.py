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
``$NEOMX_MXNET_PYTHON``, else ``/opt/mxvenv/bin/python`` when it exists (see ``harness.py``).
"""

from __future__ import annotations

import resource
import sys

import harness

SMALL = (4, 4)
LARGE = (1_000_000,)


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


def _minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(run, finish, repeat):
    """Return (best microseconds per call, mean minor page faults per call)."""
    number = harness.batch_size(run, finish)
    faults = _minor_faults()
    best = min(harness.run_batch(run, number, finish) for _ in range(repeat))
    return best / number * 1e6, (_minor_faults() - faults) / (number * repeat)


# ---- one framework ------------------------------------------------------------------------


def _framework(name):
    """Return (make_array(shape), add_function, finish) for a framework by name."""
    if name == "numpy":
        import numpy as np

        return (lambda shape: np.ones(shape, dtype=np.float32)), np.add, harness.no_wait
    if name == "torch":
        import torch

        # One thread, like NumPy's and neomx's adds; on a small shared machine torch's thread
        # pool can otherwise make a 1M add 50x slower than its single-threaded kernel.
        torch.set_num_threads(1)
        return (lambda shape: torch.ones(shape, dtype=torch.float32)), torch.add, harness.no_wait
    if name in ("neomx", "mxnet"):
        mx = __import__(name)
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


# ---- report -------------------------------------------------------------------------------


def collect(args):
    """Measure every available framework; return [(label, result dict or error)].

    A fresh process per framework keeps one framework's allocations (and the malloc
    thresholds they move) from changing another's page faults.
    """
    numpy = ("numpy", sys.executable, "numpy", None)
    parts = [numpy, *harness.engine_parts(harness.mxnet_python(args.mxnet_python))]
    return harness.run_parts(__file__, parts, ["--repeat", str(args.repeat)])


def _ratio(value, reference):
    return f"{value / reference:.1f}x"


def print_tables(rows):
    numpy = dict(rows)["numpy"]

    def small(result):
        plus, call = result["plus_us"], result["call_us"]
        plus_ratio, call_ratio = _ratio(plus, numpy["plus_us"]), _ratio(call, numpy["call_us"])
        return f"{plus:.2f}", plus_ratio, f"{call:.2f}", call_ratio

    def large(result):
        large_us = result["large_us"]
        return f"{large_us:.1f}", _ratio(large_us, numpy["large_us"]), f"{result['faults']:.1f}"

    print("Small add, 4x4 float32: microseconds per call (best of the batches)")
    headers = ["", "a + b", "vs numpy", "add(a, b)", "vs numpy"]
    harness.print_table(headers, harness.labelled_rows(rows, small))
    print("  add(a, b) is np.add, torch.add, mx.nd.elemwise_add")
    print()
    print("Large add, 1M float32 (c = a + b): microseconds and minor page faults per call")
    headers = ["", "us/call", "vs numpy", "faults/call"]
    harness.print_table(headers, harness.labelled_rows(rows, large))


def main(argv=None):
    args = harness.argument_parser(__doc__).parse_args(argv)
    if args.only:
        # In a subprocess of collect(): measure one framework, report it as one JSON line.
        harness.report_part(measure_framework(args.only, args.repeat))
        return
    print(harness.machine_line())
    print_tables(collect(args))


if __name__ == "__main__":
    main()
