"""Time normalization layers and Embedding, forward + backward, in neomx, PyTorch CPU and
MXNet 1.9.1.

Workloads (float32, training mode, one head gradient of ones-like random values):

    batch_norm      BatchNorm over (32, 64, 56, 56), channels on axis 1, gamma learned
    batch_norm_fwd  the same, forward only (training mode)
    layer_norm      LayerNorm over the last axis of (4096, 768)
    group_norm      GroupNorm, 8 groups, over (32, 64, 28, 28)
    embedding       Embedding of 8192 indices into a 10000 x 256 weight (weight gradient)

Run by hand::

    python benchmarks/norm.py [--repeat 5] [--mxnet-python PATH]

PyTorch runs twice, with one intra-op thread (like NumPy's elementwise kernels) and with its
default thread count. Figures are the best of several timed batches, in ms per step.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

DEFAULT_MXNET_PYTHON = "/opt/mxvenv/bin/python"
MIN_BATCH_S = 0.3
WORKLOADS = ("batch_norm", "batch_norm_fwd", "layer_norm", "group_norm", "embedding")
FRAMEWORKS = ("neomx", "torch-1-thread", "torch", "mxnet")


def inputs():
    """The same arrays for every framework (fixed seed)."""
    rng = np.random.default_rng(0)
    floats = lambda *shape: rng.standard_normal(shape, dtype=np.float32)  # noqa: E731
    return {
        "batch_norm": (floats(32, 64, 56, 56), floats(32, 64, 56, 56), 64),
        "layer_norm": (floats(4096, 768), floats(4096, 768), 768),
        "group_norm": (floats(32, 64, 28, 28), floats(32, 64, 28, 28), 8),
        "embedding": (rng.integers(0, 10000, 8192).astype(np.float32), floats(8192, 256)),
    }


def nd_steps(mx, data):
    """Training steps for neomx and MXNet, which share the API."""
    array = lambda v: mx.nd.array(v, dtype=v.dtype)  # noqa: E731
    steps = {}

    def make_step(call, head, arrays, trainable=None):
        """Record ``call(*arrays)`` and run backward into the ``trainable`` arrays' gradients
        (default: all)."""
        for a in arrays if trainable is None else trainable:
            a.attach_grad()

        def step():
            with mx.autograd.record():
                y = call(*arrays)
            y.backward(head)

        return step

    x, head, channels = data["batch_norm"]
    x, head = array(x), array(head)
    moving = [mx.nd.zeros(channels), mx.nd.ones(channels)]
    batch_norm = lambda x, g, b: mx.nd.BatchNorm(x, g, b, *moving, fix_gamma=False)  # noqa: E731
    arrays = [x, mx.nd.ones(channels), mx.nd.zeros(channels)]
    steps["batch_norm"] = make_step(batch_norm, head, arrays)

    def forward(arrays=tuple(arrays)):
        with mx.autograd.train_mode():
            batch_norm(*arrays)

    steps["batch_norm_fwd"] = forward
    x, head, channels = data["layer_norm"]
    arrays = [array(x), mx.nd.ones(channels), mx.nd.zeros(channels)]
    steps["layer_norm"] = make_step(mx.nd.LayerNorm, array(head), arrays)
    x, head, groups = data["group_norm"]
    group_norm = lambda x, g, b: mx.nd.GroupNorm(x, g, b, num_groups=groups)  # noqa: E731
    arrays = [array(x), mx.nd.ones(groups), mx.nd.zeros(groups)]
    steps["group_norm"] = make_step(group_norm, array(head), arrays)
    index, head = data["embedding"]
    embed = lambda i, w: mx.nd.Embedding(i, w, input_dim=10000, output_dim=256)  # noqa: E731
    weight = mx.nd.array(np.random.default_rng(1).standard_normal((10000, 256)), dtype="float32")
    steps["embedding"] = make_step(embed, array(head), [array(index), weight], [weight])
    return steps


def torch_steps(torch, data):
    steps = {}

    def make_step(module, x, head):
        def step():
            module.zero_grad(set_to_none=True)
            x.grad = None
            module(x).backward(head)

        return step

    x, head, channels = (
        torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in data["batch_norm"]
    )
    batch_norm = torch.nn.BatchNorm2d(channels, eps=1e-3, momentum=0.1)
    x.requires_grad_(True)
    steps["batch_norm"] = make_step(batch_norm, x, head)

    def forward():
        with torch.no_grad():
            batch_norm(x)

    steps["batch_norm_fwd"] = forward
    x, head, channels = (
        torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in data["layer_norm"]
    )
    x.requires_grad_(True)
    steps["layer_norm"] = make_step(torch.nn.LayerNorm(channels, eps=1e-5), x, head)
    x, head, groups = (
        torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in data["group_norm"]
    )
    x.requires_grad_(True)
    # torch's GroupNorm learns per-channel affine parameters; the normalization is the same.
    steps["group_norm"] = make_step(torch.nn.GroupNorm(groups, 64, eps=1e-5), x, head)
    index, head = data["embedding"]
    embedding = torch.nn.Embedding(10000, 256)
    index = torch.from_numpy(index).long()
    head = torch.from_numpy(head)

    def embed_step():
        embedding.zero_grad(set_to_none=True)
        embedding(index).backward(head)

    steps["embedding"] = embed_step
    return steps


def measure(call, finish, repeat):
    """Best milliseconds per call over ``repeat`` batches that each run >= MIN_BATCH_S."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            call()
        finish()
        if time.perf_counter() - start >= MIN_BATCH_S:
            break
        number *= 2
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        finish()
        best = min(best, time.perf_counter() - start)
    return best / number * 1e3


def run_framework(name, repeat):
    data = inputs()
    finish = lambda: None  # noqa: E731
    if name in ("neomx", "mxnet"):
        mx = __import__(name)
        steps = nd_steps(mx, data)
        finish = mx.nd.waitall
    else:
        import torch

        if name == "torch-1-thread":
            torch.set_num_threads(1)
        steps = torch_steps(torch, data)
    return {key: measure(steps[key], finish, repeat) for key in WORKLOADS}


def _subprocess(python, name, repeat):
    command = [python, __file__, "--only", name, "--repeat", str(repeat)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"({name} failed: {done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mxnet-python", default=os.environ.get("NEOMX_MXNET_PYTHON"))
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only:
        print(json.dumps(run_framework(args.only, args.repeat)))
        return 0
    results = {name: _subprocess(sys.executable, name, args.repeat) for name in FRAMEWORKS[:3]}
    mxnet_python = args.mxnet_python or (
        DEFAULT_MXNET_PYTHON if os.path.exists(DEFAULT_MXNET_PYTHON) else None
    )
    results["mxnet"] = _subprocess(mxnet_python, "mxnet", args.repeat) if mxnet_python else None
    base = results["neomx"]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; ms per step (x neomx)")
    print(f"{'workload':<15}" + "".join(f"{name:>20}" for name in results))
    for key in WORKLOADS:
        row = f"{key:<15}"
        for name in results:
            value = (results[name] or {}).get(key)
            row += f"{'n/a':>20}" if value is None else f"{value:12.2f} ({value / base[key]:4.2f}x)"
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
