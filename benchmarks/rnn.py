"""Time a fused LSTM's forward + backward in neomx, PyTorch (and MXNet 1.9.1), CPU.

The workload is the issue's: 2 LSTM layers, sequence length 35, batch 32, input and state
size 256, float32; one step records the forward (outputs and final states), sums them and
runs backward to the data, the weights and the initial states. Each framework runs in
subprocesses of its own, alternating for ``--rounds`` rounds so that load from other processes
hits them alike; the report gives the best and the median step over all rounds, in wall-clock
time and in CPU time (which other processes' load distorts less). Run by hand::

    python benchmarks/rnn.py [--threads 1] [--rounds 5] [--steps 10] [--mxnet-python PATH]

BLAS and PyTorch use ``--threads`` threads. MXNet 1.9.1 needs NumPy 1.x, so it runs under its
own interpreter: ``--mxnet-python``, else ``$NEOMX_MXNET_PYTHON``, else
``/opt/mxvenv/bin/python`` when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

T, N, C, H, LAYERS = 35, 32, 256, 256, 2
DEFAULT_MXNET_PYTHON = "/opt/mxvenv/bin/python"


def _parameter_count():
    gates = 4 * H
    return gates * (C + H + 2) + (LAYERS - 1) * gates * (H + H + 2)


def _mxnet_like_step(name):
    import numpy as np

    mx = __import__(name)
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal((T, N, C)),
        rng.uniform(-0.06, 0.06, _parameter_count()),
        np.zeros((LAYERS, N, H)),
        np.zeros((LAYERS, N, H)),
    ]
    data, parameters, state, cell = (mx.nd.array(a, dtype="float32") for a in arrays)
    for array in (data, parameters, state, cell):
        array.attach_grad()

    def step():
        with mx.autograd.record():
            y, h, c = mx.nd.RNN(
                data,
                parameters,
                state,
                cell,
                state_size=H,
                num_layers=LAYERS,
                mode="lstm",
                state_outputs=True,
            )
            loss = y.sum() + h.sum() + c.sum()
        loss.backward()
        mx.nd.waitall()

    return step


def _torch_step(threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(C, H, LAYERS)
    data = torch.randn(T, N, C, requires_grad=True)
    state = torch.zeros(LAYERS, N, H, requires_grad=True)
    cell = torch.zeros(LAYERS, N, H, requires_grad=True)

    def step():
        y, (h, c) = lstm(data, (state, cell))
        (y.sum() + h.sum() + c.sum()).backward()

    return step


def worker(name, threads, steps):
    """(wall, CPU) milliseconds of ``steps`` timed steps (after 3 warm-up steps)."""
    step = _torch_step(threads) if name == "torch" else _mxnet_like_step(name)
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        times.append(((time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3))
    return times


def run_worker(python, name, args):
    threads = str(args.threads)
    env = dict(
        os.environ,
        OPENBLAS_NUM_THREADS=threads,
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
        MXNET_ENGINE_TYPE="NaiveEngine",
    )
    command = [
        python,
        os.path.abspath(__file__),
        "--worker",
        name,
        "--threads",
        threads,
        "--steps",
        str(args.steps),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise SystemExit(f"{name}: {lines[-1] if lines else done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per round")
    parser.add_argument("--mxnet-python", help="interpreter with mxnet 1.9.1 installed")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.steps)))
        return
    mxnet = args.mxnet_python or os.environ.get("NEOMX_MXNET_PYTHON")
    if mxnet is None and os.path.exists(DEFAULT_MXNET_PYTHON):
        mxnet = DEFAULT_MXNET_PYTHON
    plan = [("neomx", sys.executable), ("torch", sys.executable)]
    if mxnet:
        plan.append(("mxnet", mxnet))
    times = {name: [] for name, _ in plan}
    for _ in range(args.rounds):
        for name, python in plan:
            times[name] += run_worker(python, name, args)
    print(
        f"LSTM {LAYERS} layers, T={T} N={N} C={C} H={H} float32, forward + backward, "
        f"{args.threads} thread(s): ms per step, wall clock and CPU time (all threads)"
    )
    for column, kind in ((0, "wall"), (1, "CPU ")):
        best_torch = min(t[column] for t in times["torch"])
        for name, values in times.items():
            values = [t[column] for t in values]
            best = min(values)
            print(
                f"  {kind} {name:6} best {best:7.1f}  median {statistics.median(values):7.1f}"
                f"  best / torch's best {best / best_torch:5.2f}"
            )


if __name__ == "__main__":
    main()
