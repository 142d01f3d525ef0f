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
``$NEOMX_MXNET_PYTHON``, else ``/opt/mxvenv/bin/python`` when it exists (see ``harness.py``).
"""

from __future__ import annotations

import harness

SHAPE = (4, 4)


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
    plain_s, record_s, both_s = (
        harness.best_per_call(harness.repeat_call(run), repeat=repeat)
        for run in (run_plain, run_record, run_both)
    )
    return {
        "plain_us": plain_s / ops * 1e6,
        "record_us": record_s / ops * 1e6,
        "backward_us": (both_s - record_s) / ops * 1e6,
    }


# ---- report -------------------------------------------------------------------------------


def collect(args):
    arguments = ["--repeat", str(args.repeat), "--steps", str(args.steps)]
    parts = harness.engine_parts(harness.mxnet_python(args.mxnet_python))
    return harness.run_parts(__file__, parts, arguments)


def _cells(result):
    plain, recorded, back = result["plain_us"], result["record_us"], result["backward_us"]
    share = back / (recorded + back)
    return [f"{v:.2f}" for v in (plain, recorded, recorded - plain, back)] + [f"{share:.0%}"]


def print_table(rows, steps):
    print(f"Chain of {2 * steps} ops (x = x * b + c), 4x4 float32: microseconds per operation")
    headers = ["", "plain", "recorded", "+record", "backward", "bwd share"]
    harness.print_table(headers, harness.labelled_rows(rows, _cells))
    print("  +record: recorded - plain, what recording adds; bwd share: backward / (recorded +")
    print("  backward). PyTorch's plain chain starts from a tensor without requires_grad.")


def main(argv=None):
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--steps", type=int, default=50, help="steps of the chain (2 ops each)")
    args = parser.parse_args(argv)
    if args.only:
        # In a subprocess of collect(): measure one framework, report it as one JSON line.
        harness.report_part(measure_framework(args.only, args.steps, args.repeat))
        return
    print(harness.machine_line())
    print_table(collect(args), args.steps)


if __name__ == "__main__":
    main()
