"""Time representative large operators in neomx, NumPy, PyTorch CPU and MXNet 1.9.1.

Each workload does the same work in every framework (float32 data):

    add        c = a + b on 4M elements
    exp        exp(a) on 4M elements
    sum        sum over axis 1 of a 2048 x 2048 array
    dot        1024 x 1024 by 1024 x 1024 matrix product
    batch_dot  32 batched 128 x 128 matrix products
    take       20000 rows gathered from a 200000 x 64 array
    topk       the 10 largest of each row of a 1000 x 1000 array (values and indices)

Run by hand::

    python benchmarks/op_overhead.py   # per-call overhead of small operations
    python benchmarks/nn_ops.py        # forward + backward of the neural-network layers
    python benchmarks/ops.py [--repeat 5] [--mxnet-python PATH]

Each framework runs in a subprocess of its own; MXNet 1.9.1 needs NumPy 1.x, so it runs this
file under its own interpreter (``--mxnet-python``, else ``$NEOMX_MXNET_PYTHON``, else
``/opt/mxvenv/bin/python``). Figures are the best of several timed batches, in milliseconds per
call (see ``harness.py``).
"""

from __future__ import annotations

import sys

import harness
import numpy as np

WORKLOADS = ("add", "exp", "sum", "dot", "batch_dot", "take", "topk")


def inputs():
    """The same input data for every framework (numpy arrays, fixed seed)."""
    rng = np.random.default_rng(0)
    floats = lambda *shape: rng.standard_normal(shape, dtype=np.float32)
    return {
        "add": (floats(4_000_000), floats(4_000_000)),
        "exp": (floats(4_000_000),),
        "sum": (floats(2048, 2048),),
        "dot": (floats(1024, 1024), floats(1024, 1024)),
        "batch_dot": (floats(32, 128, 128), floats(32, 128, 128)),
        "take": (floats(200_000, 64), rng.integers(0, 200_000, 20_000).astype(np.float32)),
        "topk": (floats(1000, 1000),),
    }


def _numpy_topk(x):
    part = np.argpartition(-x, 10, axis=1)[:, :10]
    values = np.take_along_axis(x, part, axis=1)
    order = np.argsort(-values, axis=1)
    return np.take_along_axis(values, order, axis=1), np.take_along_axis(part, order, axis=1)


def numpy_calls(data):
    return {
        "add": lambda: np.add(*data["add"]),
        "exp": lambda: np.exp(*data["exp"]),
        "sum": lambda: np.sum(data["sum"][0], axis=1),
        "dot": lambda: np.dot(*data["dot"]),
        "batch_dot": lambda: np.matmul(*data["batch_dot"]),
        "take": lambda: np.take(data["take"][0], data["take"][1].astype(np.int64), axis=0),
        "topk": lambda: _numpy_topk(data["topk"][0]),
    }


def nd_calls(mx, data):
    """The calls for neomx and for MXNet, which share the API."""
    nd = {key: [mx.nd.array(v, dtype=v.dtype) for v in values] for key, values in data.items()}
    return {
        "add": lambda: nd["add"][0] + nd["add"][1],
        "exp": lambda: mx.nd.exp(nd["exp"][0]),
        "sum": lambda: mx.nd.sum(nd["sum"][0], axis=1),
        "dot": lambda: mx.nd.dot(*nd["dot"]),
        "batch_dot": lambda: mx.nd.batch_dot(*nd["batch_dot"]),
        "take": lambda: mx.nd.take(nd["take"][0], nd["take"][1], axis=0),
        "topk": lambda: mx.nd.topk(nd["topk"][0], axis=1, k=10, ret_typ="both"),
    }


def torch_calls(torch, data):
    t = {key: [torch.from_numpy(v) for v in values] for key, values in data.items()}
    index = t["take"][1].long()
    return {
        "add": lambda: t["add"][0] + t["add"][1],
        "exp": lambda: torch.exp(t["exp"][0]),
        "sum": lambda: torch.sum(t["sum"][0], dim=1),
        "dot": lambda: torch.mm(*t["dot"]),
        "batch_dot": lambda: torch.bmm(*t["batch_dot"]),
        "take": lambda: torch.index_select(t["take"][0], 0, index),
        "topk": lambda: torch.topk(t["topk"][0], 10, dim=1),
    }


def run_framework(name, repeat):
    """Milliseconds per call of every workload, measured in this process."""
    data = inputs()
    finish = harness.no_wait
    if name == "numpy":
        calls = numpy_calls(data)
    elif name in ("neomx", "mxnet"):
        mx = __import__(name)
        calls = nd_calls(mx, data)
        finish = mx.nd.waitall
    else:
        import torch

        calls = torch_calls(torch, data)
    return {
        key: harness.best_per_call(harness.repeat_call(calls[key]), finish, repeat) * 1e3
        for key in WORKLOADS
    }


def main(argv=None):
    args = harness.argument_parser(__doc__).parse_args(argv)
    if args.only:
        harness.report_part(run_framework(args.only, args.repeat))
        return 0
    arguments = ["--repeat", str(args.repeat)]
    results = {
        name: harness.run_part(__file__, name, arguments, sys.executable)
        for name in ("numpy", "neomx", "torch")
    }
    mxnet = harness.mxnet_python(args.mxnet_python)
    results["mxnet"] = harness.run_part(__file__, "mxnet", arguments, mxnet)
    base = results["numpy"]
    print(f"{harness.machine_line()}; ms per call (x NumPy)")
    rows = []
    for key in WORKLOADS:
        row = [key]
        for result in results.values():
            value, reference = result.get(key), base.get(key)
            if value is None or reference is None:
                row.append("n/a")
            else:
                row.append(f"{value:.3f} ({value / reference:4.2f}x)")
        rows.append(row)
    harness.print_table(["workload", *results], rows)
    harness.print_errors(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
