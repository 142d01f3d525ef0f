"""Time forward + backward of FullyConnected and Convolution: neomx against the equivalent
NumPy matrix products, PyTorch CPU and MXNet 1.9.1.

Workloads (float32; data, weight and bias all get gradients):

    fc    FullyConnected, batch 256, 1024 -> 1024 features, with bias
    conv  Convolution, batch 32, 64 -> 64 channels, 56 x 56, 3 x 3 kernel, pad 1, with bias

The NumPy baseline is the three matrix products that forward + backward must do, alone: for fc
``X W^T``, ``dY W`` and ``dY^T X``; for conv the same three products over the im2col matrix
(64 * 9 rows, 32 * 56 * 56 columns), without the cost of building it or of scattering the
data gradient back (neomx pays those). Every figure is the fastest call in several batches of
at least 0.2 s; neomx and the NumPy baseline alternate in one process, so both see the same
load. The neomx process also reports the peak memory one conv forward allocates (tracemalloc)
against the im2col buffer of the whole batch.

Run by hand::

    python benchmarks/nn_conv_fc.py [--repeat 5] [--rounds 3] [--threads N] [--mxnet-python PATH]

Each framework runs in a process of its own (neomx with the NumPy baseline), so thread pools
do not compete; ``--threads`` sets every library's thread count (OpenBLAS, OpenMP, PyTorch),
which keeps figures steadier on a busy machine. MXNet 1.9.1 needs NumPy 1.x, so it runs this
file under its own interpreter (``--mxnet-python``, else ``$NEOMX_MXNET_PYTHON``, else
``/opt/mxvenv/bin/python``). NOTE: on this machine MXNet's FullyConnected and PyTorch's
convolution run oneDNN kernels, which bypass OpenBLAS; neomx and the NumPy baseline use
OpenBLAS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np

DEFAULT_MXNET_PYTHON = "/opt/mxvenv/bin/python"
MIN_BATCH_S = 0.2
FC = {"batch": 256, "inputs": 1024, "hidden": 1024}
CONV = {"batch": 32, "channels": 64, "filters": 64, "size": 56, "kernel": 3, "pad": 1}
WORKLOADS = ("fc", "conv")


def flops():
    """Floating-point operations of forward + backward (three products of equal size)."""
    fc = 3 * 2 * FC["batch"] * FC["inputs"] * FC["hidden"]
    rows = CONV["batch"] * CONV["size"] ** 2
    conv = 3 * 2 * rows * CONV["channels"] * CONV["kernel"] ** 2 * CONV["filters"]
    return {"fc": fc, "conv": conv}


def inputs():
    """The same arrays for every framework: (data, weight, bias, output gradient) per workload."""
    rng = np.random.default_rng(0)
    normal = lambda *shape: rng.standard_normal(shape, dtype=np.float32)  # noqa: E731
    k, size = CONV["kernel"], CONV["size"]
    return {
        "fc": (
            normal(FC["batch"], FC["inputs"]),
            normal(FC["hidden"], FC["inputs"]) * 0.03,
            normal(FC["hidden"]),
            normal(FC["batch"], FC["hidden"]),
        ),
        "conv": (
            normal(CONV["batch"], CONV["channels"], size, size),
            normal(CONV["filters"], CONV["channels"], k, k) * 0.05,
            normal(CONV["filters"]),
            normal(CONV["batch"], CONV["filters"], size, size),
        ),
    }


def numpy_calls(data):
    """The equivalent GEMMs alone. For conv they run on an im2col matrix with the batch folded
    into its columns, (64 * 9, 32 * 56 * 56), the well-shaped form of the three products:
    ``W C``, ``dY C^T`` and ``W^T dY``."""
    x, w, _, dy = data["fc"]
    rng = np.random.default_rng(1)
    positions = CONV["batch"] * CONV["size"] ** 2
    rows = CONV["channels"] * CONV["kernel"] ** 2
    columns = rng.standard_normal((rows, positions), np.float32)
    heads = np.ascontiguousarray(data["conv"][3].transpose(1, 0, 2, 3)).reshape(-1, positions)
    matrix = data["conv"][1].reshape(CONV["filters"], rows)

    def fc():
        np.matmul(x, w.T)
        np.matmul(dy, w)
        np.matmul(dy.T, x)

    def conv():
        np.matmul(matrix, columns)
        np.matmul(heads, columns.T)
        np.matmul(matrix.T, heads)

    return {"fc": fc, "conv": conv}


def nd_layer(mx, key):
    """The layer of a workload as a function of (data, weight, bias), for neomx and MXNet."""
    if key == "fc":
        return lambda x, w, b: mx.nd.FullyConnected(x, w, b, num_hidden=FC["hidden"])
    k, pad = CONV["kernel"], CONV["pad"]
    return lambda x, w, b: mx.nd.Convolution(
        x, w, b, kernel=(k, k), pad=(pad, pad), num_filter=CONV["filters"]
    )


def nd_step(mx, key, x, w, b, dy):
    """Forward under autograd.record() and backward, for neomx and MXNet (one API)."""
    layer = nd_layer(mx, key)
    arrays = [mx.nd.array(a) for a in (x, w, b)]
    for array in arrays:
        array.attach_grad()
    head = mx.nd.array(dy)

    def step():
        with mx.autograd.record():
            out = layer(*arrays)
        out.backward(head)

    return step


def nd_calls(mx, data):
    return {key: nd_step(mx, key, *arrays) for key, arrays in data.items()}


def torch_layer(torch, key):
    if key == "fc":
        return torch.nn.functional.linear
    return lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=CONV["pad"])


def torch_step(torch, key, x, w, b, dy):
    layer = torch_layer(torch, key)
    tensors = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    head = torch.from_numpy(dy)

    def step():
        for t in tensors:
            t.grad = None
        layer(*tensors).backward(head)

    return step


def torch_calls(torch, data):
    return {key: torch_step(torch, key, *arrays) for key, arrays in data.items()}


def measure(call, finish, repeat):
    """The fastest single call, in milliseconds, over ``repeat`` batches of calls that each
    run >= MIN_BATCH_S: on a shared machine the least disturbed call is the steadiest figure."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        while time.perf_counter() - started < MIN_BATCH_S:
            start = time.perf_counter()
            call()
            finish()
            best = min(best, time.perf_counter() - start)
    return best * 1e3


def conv_forward_peak(mx, data):
    """Peak bytes traced during one conv forward (no autograd), and the batch's im2col bytes."""
    x, w, b, _ = (mx.nd.array(a) for a in data["conv"])
    layer = nd_layer(mx, "conv")
    run = lambda: layer(x, w, b).wait_to_read()  # noqa: E731
    mx.context.cpu().empty_cache()
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    columns = CONV["batch"] * CONV["channels"] * CONV["kernel"] ** 2 * CONV["size"] ** 2 * 4
    return peak, columns


def run_local(repeat, rounds):
    """neomx and the NumPy GEMMs, alternating for ``rounds`` rounds; best of each."""
    import neomx as mx

    data = inputs()
    numpy_step = numpy_calls(data)
    neomx_step = nd_calls(mx, data)
    best = {"numpy": {}, "neomx": {}}
    for _ in range(rounds):
        for key in WORKLOADS:
            for name, calls, finish in (
                ("numpy", numpy_step, lambda: None),
                ("neomx", neomx_step, mx.nd.waitall),
            ):
                value = measure(calls[key], finish, repeat)
                best[name][key] = min(best[name].get(key, float("inf")), value)
    peak, columns = conv_forward_peak(mx, data)
    best["neomx"]["conv_peak_mb"] = peak / 2**20
    best["neomx"]["conv_columns_mb"] = columns / 2**20
    return best


def run_framework(name, repeat, rounds):
    if name == "local":
        return run_local(repeat, rounds)
    data = inputs()
    if name == "mxnet":
        import mxnet as mx

        calls, finish = nd_calls(mx, data), mx.nd.waitall
    else:
        import torch

        calls, finish = torch_calls(torch, data), lambda: None
    best = {}
    for _ in range(rounds):
        for key in WORKLOADS:
            best[key] = min(best.get(key, float("inf")), measure(calls[key], finish, repeat))
    return best


def _subprocess(python, name, args):
    command = [python, __file__, "--only", name, "--repeat", str(args.repeat)]
    command += ["--rounds", str(args.rounds)]
    env = dict(os.environ)
    if args.threads:
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[variable] = str(args.threads)
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        print(f"({name} failed: {done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, help="threads of every library (default: all)")
    parser.add_argument("--mxnet-python", default=os.environ.get("NEOMX_MXNET_PYTHON"))
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only:
        print(json.dumps(run_framework(args.only, args.repeat, args.rounds)))
        return 0
    results = _subprocess(sys.executable, "local", args)
    if results is None:
        return 1
    results["torch"] = _subprocess(sys.executable, "torch", args)
    mxnet_python = args.mxnet_python or (
        DEFAULT_MXNET_PYTHON if os.path.exists(DEFAULT_MXNET_PYTHON) else None
    )
    results["mxnet"] = _subprocess(mxnet_python, "mxnet", args) if mxnet_python else None
    work = flops()
    labels = {"numpy": "NumPy GEMMs", "neomx": "neomx", "torch": "PyTorch", "mxnet": "MXNet 1.9.1"}
    threads = args.threads or "all"
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, threads: {threads}")
    print(f"forward + backward, best of {args.rounds} rounds of {args.repeat} timed batches")
    print(f"{'workload':<10}{'framework':<14}{'ms':>10}{'GFLOP/s':>10}{'x GEMMs':>10}")
    for key in WORKLOADS:
        base = results["numpy"][key]
        for name, label in labels.items():
            value = (results[name] or {}).get(key)
            if value is None:
                print(f"{key:<10}{label:<14}{'n/a':>10}")
                continue
            rate = work[key] / value / 1e6
            print(f"{key:<10}{label:<14}{value:10.1f}{rate:10.1f}{value / base:10.2f}")
    neomx = results["neomx"]
    print(
        f"conv forward peak allocation {neomx['conv_peak_mb']:.0f} MB; the batch's im2col "
        f"buffer {neomx['conv_columns_mb']:.0f} MB "
        f"({neomx['conv_peak_mb'] / neomx['conv_columns_mb']:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
