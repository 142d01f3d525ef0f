"""Time forward + backward of the main neural-network layers in neomx, against NumPy's matrix
products, PyTorch CPU and MXNet 1.9.1.

Workloads (float32; every input that has a gradient in training gets one):

    fc          FullyConnected, batch 256, 1024 -> 1024 features, with bias
    conv        Convolution, batch 32, 64 -> 64 channels, 56 x 56, 3 x 3 kernel, pad 1, bias
    max 2x2/2   Pooling, max, 2 x 2 kernel, stride 2, on (32, 64, 56, 56)
    max 3x3/2   Pooling, max, 3 x 3 kernel, stride 2, pad 1, on (32, 64, 56, 56)
    avg 3x3/1   Pooling, avg, 3 x 3 kernel, stride 1, pad 1 (padding counted), same input
    batch_norm  BatchNorm in training mode on (32, 64, 56, 56), gamma and beta learned
    softmax     softmax over the last axis of (256, 1000)
    lstm        the fused RNN operator in LSTM mode (PyTorch: nn.LSTM), 2 layers, sequence 35,
                batch 32, input and state size 256; the loss sums outputs and final states

neomx and MXNet record the forward under ``autograd.record()`` and run backward with a given
head gradient; PyTorch does the same with torch.nn.functional. The NumPy column, for fc and
conv only, runs the matrix products the layer needs (see ``gemm_reference.py``): for conv that
includes the im2col and col2im rearrangements, so it is what an eager NumPy convolution can
reach; the "conv GEMMs" row compares the same neomx conv with the three products alone, on
columns made beforehand (the BLAS floor). The ratio compares neomx with that NumPy baseline
for fc and conv and with PyTorch for the rest; GFLOP/s counts the matrix products of
forward + backward (three of equal size).

The neomx process also measures, with tracemalloc, the peak memory one conv forward (no
autograd) allocates, as a multiple of the im2col buffer of the whole batch.

Run by hand, from any folder::

    python benchmarks/nn_ops.py [--repeat 5] [--threads N] [--mxnet-python PATH] [--quick]

Each framework runs in a process of its own (see ``harness.py``); MXNet 1.9.1 runs under its
own interpreter, and its column reads n/a where there is none. ``--threads`` sets every
library's thread pool (OpenBLAS, OpenMP, MKL), which steadies figures on a busy machine;
``--quick`` times one call of each workload, a smoke test of the script.
NOTE: MXNet's FullyConnected and PyTorch's convolution run oneDNN kernels, not OpenBLAS.
"""

from __future__ import annotations

import sys
import tracemalloc

import harness
import numpy as np

FC = {"batch": 256, "inputs": 1024, "hidden": 1024}
CONV = {"batch": 32, "channels": 64, "filters": 64, "size": 56, "kernel": 3, "pad": 1}
IMAGES = (32, 64, 56, 56)  # the input of pooling and BatchNorm
SOFTMAX = (256, 1000)
LSTM = {"steps": 35, "batch": 32, "inputs": 256, "hidden": 256, "layers": 2}
# Pooling workloads: (pool type, kernel, stride, pad), square.
POOLS = {
    "max 2x2/2": ("max", 2, 2, 0),
    "max 3x3/2 pad 1": ("max", 3, 2, 1),
    "avg 3x3/1 pad 1": ("avg", 3, 1, 1),
}
# "conv GEMMs": neomx's conv time against the three products alone (no im2col/col2im).
CONV_GEMMS = "conv GEMMs"
WORKLOADS = ("fc", "conv", CONV_GEMMS, *POOLS, "batch_norm", "softmax", "lstm")
GEMM_WORKLOADS = ("fc", "conv", CONV_GEMMS)  # those with a NumPy baseline
FRAMEWORKS = {"neomx": "neomx", "numpy": "NumPy", "torch": "PyTorch", "mxnet": "MXNet 1.9.1"}


def flops():
    """Floating-point operations of the matrix products of forward + backward."""
    fc = 3 * 2 * FC["batch"] * FC["inputs"] * FC["hidden"]
    positions = CONV["batch"] * CONV["size"] ** 2
    conv = 3 * 2 * positions * CONV["channels"] * CONV["kernel"] ** 2 * CONV["filters"]
    gates, hidden = 4 * LSTM["hidden"], LSTM["hidden"]
    # Per step and layer, the gates take [input, state] times a (4 H) x (input + H) weight.
    widths = LSTM["inputs"] + hidden + (LSTM["layers"] - 1) * (hidden + hidden)
    lstm = 3 * 2 * LSTM["steps"] * LSTM["batch"] * gates * widths
    return {"fc": fc, "conv": conv, CONV_GEMMS: conv, "lstm": lstm}


def _lstm_parameter_count():
    gates, hidden = 4 * LSTM["hidden"], LSTM["hidden"]
    first = gates * (LSTM["inputs"] + hidden + 2)
    return first + (LSTM["layers"] - 1) * gates * (hidden + hidden + 2)


def inputs():
    """The same arrays for every framework: the layer's inputs, then the head gradient (None
    where the layer's result is a scalar loss), per workload."""
    rng = np.random.default_rng(0)
    normal = lambda *shape: rng.standard_normal(shape, dtype=np.float32)
    size, kernel, filters = CONV["size"], CONV["kernel"], CONV["filters"]
    images = normal(*IMAGES)
    data = {
        "fc": (
            normal(FC["batch"], FC["inputs"]),
            normal(FC["hidden"], FC["inputs"]) * 0.03,
            normal(FC["hidden"]),
            normal(FC["batch"], FC["hidden"]),
        ),
        "conv": (
            normal(CONV["batch"], CONV["channels"], size, size),
            normal(filters, CONV["channels"], kernel, kernel) * 0.05,
            normal(filters),
            normal(CONV["batch"], filters, size, size),
        ),
        "batch_norm": (images, normal(IMAGES[1]), normal(IMAGES[1]), normal(*IMAGES)),
        "softmax": (normal(*SOFTMAX), normal(*SOFTMAX)),
    }
    for key, (_, kernel, stride, pad) in POOLS.items():
        pooled = [(side + 2 * pad - kernel) // stride + 1 for side in IMAGES[2:]]
        data[key] = (images, normal(*IMAGES[:2], *pooled))
    states = np.zeros((LSTM["layers"], LSTM["batch"], LSTM["hidden"]), np.float32)
    parameters = rng.uniform(-0.06, 0.06, _lstm_parameter_count()).astype(np.float32)
    sequence = normal(LSTM["steps"], LSTM["batch"], LSTM["inputs"])
    data["lstm"] = (sequence, parameters, states, states.copy(), None)
    return data


# ---- the frameworks -----------------------------------------------------------------------


def nd_layers(mx):
    """Each workload's layer as a function of its inputs, for neomx and MXNet (one API)."""
    moving = (mx.nd.zeros(IMAGES[1]), mx.nd.ones(IMAGES[1]))  # BatchNorm's running statistics
    kernel, pad = (CONV["kernel"],) * 2, (CONV["pad"],) * 2

    rnn = {"state_size": LSTM["hidden"], "num_layers": LSTM["layers"], "mode": "lstm"}

    def lstm(sequence, parameters, state, cell):
        out, state, cell = mx.nd.RNN(sequence, parameters, state, cell, state_outputs=True, **rnn)
        return out.sum() + state.sum() + cell.sum()

    def pool(pool_type, kernel, stride, pad):
        square = lambda n: (n, n)
        return lambda x: mx.nd.Pooling(
            x, kernel=square(kernel), stride=square(stride), pad=square(pad), pool_type=pool_type
        )

    layers = {
        "fc": lambda x, w, b: mx.nd.FullyConnected(x, w, b, num_hidden=FC["hidden"]),
        "conv": lambda x, w, b: mx.nd.Convolution(
            x, w, b, kernel=kernel, pad=pad, num_filter=CONV["filters"]
        ),
        "batch_norm": lambda x, g, b: mx.nd.BatchNorm(x, g, b, *moving, fix_gamma=False),
        "softmax": lambda x: mx.nd.softmax(x, axis=-1),
        "lstm": lstm,
    }
    return {**layers, **{key: pool(*spec) for key, spec in POOLS.items()}}


def nd_steps(mx, data):
    """One forward (recorded, so in training mode) + backward call per workload."""

    def step_of(layer, *arrays):
        *arrays, head = [None if a is None else mx.nd.array(a, dtype="float32") for a in arrays]
        for array in arrays:
            array.attach_grad()

        def step():
            with mx.autograd.record():
                out = layer(*arrays)
            out.backward(head)

        return step

    return {key: step_of(layer, *data[key]) for key, layer in nd_layers(mx).items()}


def torch_steps(torch, data):
    F = torch.nn.functional
    moving = (torch.zeros(IMAGES[1]), torch.ones(IMAGES[1]))
    # nn.LSTM keeps its own weights (as many as the flat parameter vector the others get).
    lstm = torch.nn.LSTM(LSTM["inputs"], LSTM["hidden"], LSTM["layers"])

    def run_lstm(sequence, _parameters, state, cell):
        out, (state, cell) = lstm(sequence, (state, cell))
        return out.sum() + state.sum() + cell.sum()

    def pool(pool_type, kernel, stride, pad):
        function = F.max_pool2d if pool_type == "max" else F.avg_pool2d
        return lambda x: function(x, kernel, stride, pad)

    layers = {
        "fc": F.linear,
        "conv": lambda x, w, b: F.conv2d(x, w, b, padding=CONV["pad"]),
        "batch_norm": lambda x, g, b: F.batch_norm(x, *moving, g, b, training=True, eps=1e-3),
        "softmax": lambda x: torch.softmax(x, dim=-1),
        "lstm": run_lstm,
        **{key: pool(*spec) for key, spec in POOLS.items()},
    }

    def step_of(key, *arrays):
        *tensors, head = [None if a is None else torch.from_numpy(a) for a in arrays]
        leaves = [t.requires_grad_() for t in tensors]
        leaves += list(lstm.parameters()) if key == "lstm" else []

        def step():
            for leaf in leaves:
                leaf.grad = None  # as neomx writes its gradients afresh each step
            layers[key](*tensors).backward(head)

        return step

    return {key: step_of(key, *data[key]) for key in layers}


def conv_forward_peak(mx, data):
    """Peak bytes tracemalloc sees during one conv forward (no autograd), and the bytes of
    the batch's im2col buffer."""
    x, w, b, _ = (mx.nd.array(a) for a in data["conv"])
    layer = nd_layers(mx)["conv"]
    mx.context.cpu().empty_cache()
    tracemalloc.start()
    layer(x, w, b).wait_to_read()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    columns = CONV["batch"] * CONV["channels"] * CONV["kernel"] ** 2 * CONV["size"] ** 2 * 4
    return peak, columns


def run_framework(name, repeat, quick):
    """Milliseconds per forward + backward of every workload, measured in this process."""
    data = inputs()
    finish = harness.no_wait
    if name == "numpy":
        import gemm_reference

        fc, conv = data["fc"], data["conv"]
        steps = {
            "fc": gemm_reference.fc_step(fc[0], fc[1], fc[3]),
            "conv": gemm_reference.conv_step(conv[0], conv[1], conv[3], CONV["pad"]),
            CONV_GEMMS: gemm_reference.conv_gemm_step(conv[0], conv[1], conv[3], CONV["pad"]),
        }
    elif name in ("neomx", "mxnet"):
        mx = __import__(name)
        steps, finish = nd_steps(mx, data), mx.nd.waitall
    else:
        import torch

        steps = torch_steps(torch, data)
    min_batch_s = 0 if quick else harness.MIN_BATCH_S
    result = {
        key: harness.best_per_call(harness.repeat_call(step), finish, repeat, min_batch_s) * 1e3
        for key, step in steps.items()
    }
    if name == "neomx":
        result["conv_peak"], result["conv_columns"] = conv_forward_peak(mx, data)
    return result


# ---- report -------------------------------------------------------------------------------


def _row(key, results, work):
    """The table row of one workload: times, GFLOP/s, and neomx's ratio to the reference."""
    times = {name: results[name].get(key) for name in FRAMEWORKS}
    if key == CONV_GEMMS:
        times.update({name: results[name].get("conv") for name in FRAMEWORKS if name != "numpy"})
    reference = "numpy" if key in GEMM_WORKLOADS else "torch"
    cells = [key]
    for name, value in times.items():
        if value is not None:
            cells.append(f"{value:.2f}")
        else:
            cells.append("-" if name == "numpy" and key not in GEMM_WORKLOADS else "n/a")
    for name in ("neomx", reference):
        known = key in work and times[name] is not None
        cells.append(f"{work[key] / times[name] / 1e6:.1f}" if known else "-")
    if times["neomx"] is None or times[reference] is None:
        return [*cells, "n/a"]
    return [*cells, f"{times['neomx'] / times[reference]:.2f}x {FRAMEWORKS[reference]}"]


def main(argv=None):
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--threads", type=int, help="threads of every library (default: all)")
    parser.add_argument("--quick", action="store_true", help="time one call per workload")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    if args.only:
        harness.report_part(run_framework(args.only, repeat, args.quick))
        return 0
    env = harness.thread_env(args.threads)
    mxnet = harness.mxnet_python(args.mxnet_python)
    parts = [(name, mxnet if name == "mxnet" else sys.executable, name, env) for name in FRAMEWORKS]
    arguments = ["--repeat", str(repeat)] + (["--quick"] if args.quick else [])
    results = dict(harness.run_parts(__file__, parts, arguments))
    print(f"{harness.machine_line()}, threads: {args.threads or 'all'}")
    print(
        f"forward + backward, float32: ms per call, best of {repeat} timed batches; "
        "ratio: neomx time / reference time"
    )
    work = flops()
    headers = ["workload", *FRAMEWORKS.values(), "neomx GFLOP/s", "ref GFLOP/s", "neomx / ref"]
    harness.print_table(headers, [_row(key, results, work) for key in WORKLOADS])
    harness.print_errors(results, FRAMEWORKS)
    neomx = results["neomx"]
    if "conv_peak" in neomx:
        peak, columns = neomx["conv_peak"] / 2**20, neomx["conv_columns"] / 2**20
        print(
            f"neomx conv forward: peak allocation {peak:.0f} MiB, {peak / columns:.2f}x the "
            f"batch's im2col buffer ({columns:.0f} MiB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
