"""Time pooling and resizing forward + backward in neomx and PyTorch CPU (float32).

Each workload records the forward under autograd and runs backward with a ones head
gradient; times are milliseconds per call (the fastest single call, and the median). PyTorch
runs with its default thread count and with one thread (NumPy kernels are single threaded),
each framework in a fresh subprocess. Run by hand::

    python benchmarks/nn_pooling.py [--seconds 3]

On a shared machine the fastest call is the better estimate of an idle one. Set
OPENBLAS_NUM_THREADS=1 there: the matrix products of ROIAlign and AdaptiveAvgPooling2D
otherwise spin BLAS threads against the other processes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

# name: (input shape, neomx call, PyTorch call); the calls take the input array.
WORKLOADS = {
    "max 2x2/2 (32,64,56,56)": (
        (32, 64, 56, 56),
        lambda mx, x: mx.nd.Pooling(x, kernel=(2, 2), stride=(2, 2)),
        lambda F, x: F.max_pool2d(x, 2, 2),
    ),
    "max 3x3/2 pad 1 (32,64,112,112)": (
        (32, 64, 112, 112),
        lambda mx, x: mx.nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
        lambda F, x: F.max_pool2d(x, 3, 2, 1),
    ),
    "avg 3x3/1 pad 1 (32,64,28,28)": (
        (32, 64, 28, 28),
        lambda mx, x: mx.nd.Pooling(x, kernel=(3, 3), pad=(1, 1), pool_type="avg"),
        lambda F, x: F.avg_pool2d(x, 3, 1, 1),
    ),
    "global avg (32,512,7,7)": (
        (32, 512, 7, 7),
        lambda mx, x: mx.nd.Pooling(x, global_pool=True, pool_type="avg"),
        lambda F, x: F.adaptive_avg_pool2d(x, 1),
    ),
    "bilinear 64->128 (8,64,64,64)": (
        (8, 64, 64, 64),
        lambda mx, x: mx.nd.contrib.BilinearResize2D(x, height=128, width=128),
        lambda F, x: F.interpolate(x, size=(128, 128), mode="bilinear", align_corners=True),
    ),
    "adaptive avg 7x7 (32,256,20,20)": (
        (32, 256, 20, 20),
        lambda mx, x: mx.nd.contrib.AdaptiveAvgPooling2D(x, output_size=(7, 7)),
        lambda F, x: F.adaptive_avg_pool2d(x, (7, 7)),
    ),
}


def measure(call, seconds):
    """(fastest, median) milliseconds of single calls, timed one by one for ``seconds``."""
    for _ in range(3):
        call()
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 5:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3, float(np.median(times)) * 1e3


def neomx_step(shape, function):
    import neomx as mx

    data = mx.nd.array(np.random.default_rng(0).standard_normal(shape, dtype=np.float32))
    data.attach_grad()

    def step():
        with mx.autograd.record():
            out = function(mx, data)
        out.backward(mx.nd.ones(out.shape))
        data.grad.wait_to_read()

    return step


def torch_step(shape, function, threads):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    data = torch.from_numpy(np.random.default_rng(0).standard_normal(shape, dtype=np.float32))
    data.requires_grad_()

    def step():
        out = function(F, data)
        out.backward(torch.ones_like(out))
        data.grad = None

    return step


def run(framework, seconds):
    results = {}
    for name, (shape, neomx_call, torch_call) in WORKLOADS.items():
        if framework == "neomx":
            step = neomx_step(shape, neomx_call)
        else:
            threads = None if framework == "torch" else 1
            if threads is None:
                import torch

                threads = torch.get_num_threads()
            step = torch_step(shape, torch_call, threads)
        results[name] = measure(step, seconds)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per workload")
    parser.add_argument("--framework", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.framework:
        print(json.dumps(run(args.framework, args.seconds)))
        return
    table = {}
    for framework in ("neomx", "torch", "torch-1-thread"):
        command = [
            sys.executable,
            __file__,
            "--framework",
            framework,
            "--seconds",
            str(args.seconds),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        table[framework] = json.loads(done.stdout.splitlines()[-1])
    print(f"{'ms per fwd+bwd (fastest / median)':40}" + "".join(f"{f:>20}" for f in table))
    for name in WORKLOADS:
        cells = "".join(f"{table[f][name][0]:>10.1f} /{table[f][name][1]:>7.1f}" for f in table)
        print(f"{name:40}{cells}")


if __name__ == "__main__":
    main()
