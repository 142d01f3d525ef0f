"""Time softmax forward + backward on a (256, 1000) float32 batch in neomx and PyTorch CPU.

Workloads, in microseconds per call (the fastest single call, and the median):

    fwd+bwd     softmax recorded by autograd, then backward with a given head gradient
    fwd         softmax alone
    kernels     neomx only: its forward and backward kernels called directly (no autograd)
    tiny        the same fwd+bwd on a 4 x 4 batch: the framework's fixed cost per operator

PyTorch runs twice, with its default thread count and with one thread (NumPy is single
threaded). Each framework runs in a fresh subprocess. Run by hand::

    python benchmarks/nn_softmax.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

SHAPE = (256, 1000)


def measure(call, seconds):
    """(fastest, median) microseconds of single calls, timed one by one for ``seconds``.

    The fastest call estimates the time on an idle machine: on a shared one, batches average
    in the other processes' load, while some single calls still run undisturbed.
    """
    for _ in range(20):
        call()
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times) * 1e6, float(np.median(times)) * 1e6


def inputs(shape):
    rng = np.random.default_rng(0)
    return tuple(rng.standard_normal(shape, dtype=np.float32) for _ in range(2))


def neomx_calls():
    import neomx as mx
    from neomx.ops import REGISTRY

    def step_of(shape):
        data, head = (mx.nd.array(a) for a in inputs(shape))
        data.attach_grad()

        def step():
            with mx.autograd.record():
                out = mx.nd.softmax(data)
            out.backward(head)
            data.grad.wait_to_read()

        return step, data

    step, data = step_of(SHAPE)
    tiny, _ = step_of((4, 4))
    forward_op, backward_op = REGISTRY["softmax"], REGISTRY["_backward_softmax"]
    p = forward_op.params.default("softmax")
    x, head = inputs(SHAPE)
    out, grad = np.empty_like(x), np.empty_like(x)

    def kernels():
        forward_op.forward(np, p, x, out=out)
        backward_op.forward(np, p, head, out, out=grad)

    return {
        "fwd+bwd": step,
        "fwd": lambda: mx.nd.softmax(data).wait_to_read(),
        "kernels": kernels,
        "tiny": tiny,
    }


def torch_calls(threads):
    import torch

    if threads:
        torch.set_num_threads(threads)

    def step_of(shape):
        data, head = (torch.from_numpy(a) for a in inputs(shape))
        data.requires_grad_(True)

        def step():
            torch.softmax(data, dim=-1).backward(head)

        return step, data

    step, data = step_of(SHAPE)
    tiny, _ = step_of((4, 4))

    def forward():
        with torch.no_grad():
            torch.softmax(data, dim=-1)

    return {"fwd+bwd": step, "fwd": forward, "tiny": tiny}


def run(name, seconds):
    if name == "neomx":
        calls = neomx_calls()
    else:
        calls = torch_calls(1 if name == "torch-1-thread" else None)
    return {key: measure(call, seconds) for key, call in calls.items()}


def _subprocess(name, seconds):
    command = [sys.executable, __file__, "--only", name, "--seconds", str(seconds)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"({name} failed: {done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="timing per workload")
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only:
        print(json.dumps(run(args.only, args.seconds)))
        return 0
    names = ("neomx", "torch", "torch-1-thread")
    results = {name: _subprocess(name, args.seconds) or {} for name in names}
    print(
        f"softmax on {SHAPE} float32, {os.cpu_count()} CPUs; microseconds per call, "
        "fastest (median)"
    )
    print(f"{'workload':<10}" + "".join(f"{name:>20}" for name in names))
    for key in ("fwd+bwd", "fwd", "kernels", "tiny"):
        row = f"{key:<10}"
        for name in names:
            value = results[name].get(key)
            row += f"{'-':>20}" if value is None else f"{value[0]:11.1f} ({value[1]:6.1f})"
        print(row)
    for name in ("torch", "torch-1-thread"):
        if results[name].get("fwd+bwd") and results["neomx"].get("fwd+bwd"):
            ratio = results["neomx"]["fwd+bwd"][0] / results[name]["fwd+bwd"][0]
            print(f"neomx / {name} (fwd+bwd, fastest): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
