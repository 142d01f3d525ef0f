"""Write golden BatchNorm / BatchNorm_v1 results from real MXNet 1.9.1 into
tests/golden/batch_norm/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_norm_golden.py

make_golden.py records one inference-mode forward and training-mode gradients, which cannot
show what BatchNorm does while training. For every scenario in ``SCENARIOS`` this binds the
operator in a Symbol (the only way MXNet's BatchNorm_v1 takes its auxiliary states) and
records, for the same inputs and head gradient:

    op, params (JSON), in0..in4     the call: data, gamma, beta, moving_mean, moving_var
    head                            the gradient of output 0 (other outputs get zeros)
    train_out<k>, train_grad<i>     a training forward (is_train=True), then backward:
                                    the visible outputs and the gradients of data, gamma, beta
    train_moving_mean/var           the auxiliary states after that forward and backward
    predict_out<k>, predict_grad<i> the same with is_train=False (forward and backward)
    predict_moving_mean/var         the auxiliary states after those (unchanged)
    mxnet_version

MXNet's CPU kernels update the moving statistics during backward; neomx updates them during
the forward, so the states after a forward and backward pass agree. tests/ops/test_batch_norm.py
replays the scenarios in neomx (with autograd); tests never import mxnet.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

import numpy as np
from make_golden import TESTS, save_npz

OUTPUT = TESTS / "golden" / "batch_norm"

# (label, op, data shape, data dtype, params). Shapes are small; the channel axis is ``axis``.
SCENARIOS = [
    ("nchw", "BatchNorm", (4, 3, 2, 2), "float32", {}),
    (
        "nchw-gamma-mean-var",
        "BatchNorm",
        (4, 3, 2, 2),
        "float32",
        {"fix_gamma": False, "output_mean_var": True},
    ),
    (
        "2d-momentum-eps",
        "BatchNorm",
        (5, 3),
        "float32",
        {"fix_gamma": False, "momentum": 0.5, "eps": 1e-5, "output_mean_var": True},
    ),
    (
        "axis-last",
        "BatchNorm",
        (2, 3, 4),
        "float32",
        {"fix_gamma": False, "axis": -1, "output_mean_var": True},
    ),
    ("axis0", "BatchNorm", (3, 2, 2), "float32", {"fix_gamma": False, "axis": 0}),
    (
        "global-stats",
        "BatchNorm",
        (4, 3, 2, 2),
        "float32",
        {"fix_gamma": False, "use_global_stats": True, "output_mean_var": True},
    ),
    ("5d", "BatchNorm", (2, 3, 2, 1, 2), "float32", {"fix_gamma": False}),
    ("larger", "BatchNorm", (8, 4, 5, 5), "float32", {"fix_gamma": False}),
    (
        "float16",
        "BatchNorm",
        (4, 3, 2, 2),
        "float16",
        {"fix_gamma": False, "output_mean_var": True},
    ),
    ("float64", "BatchNorm", (4, 3, 2), "float64", {"fix_gamma": False, "output_mean_var": True}),
    (
        "v1-nchw-mean-var",
        "BatchNorm_v1",
        (4, 3, 2, 2),
        "float32",
        {"fix_gamma": False, "output_mean_var": True},
    ),
    ("v1-2d", "BatchNorm_v1", (5, 3), "float32", {}),
    (
        "v1-global-stats",
        "BatchNorm_v1",
        (4, 3, 2, 2),
        "float32",
        {"fix_gamma": False, "use_global_stats": True},
    ),
]


def scenario_inputs(label, shape, dtype, params):
    """The inputs and head gradient of a scenario, drawn from a generator seeded by its label."""
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    param_dtype = "float32" if dtype == "float16" else dtype
    channels = shape[params.get("axis", 1) % len(shape)]
    data = (rng.standard_normal(shape) * 1.5 + 0.5).astype(dtype)
    gamma, beta, mean = (rng.uniform(-1.5, 1.5, channels).astype(param_dtype) for _ in range(3))
    var = rng.uniform(0.5, 2.0, channels).astype(param_dtype)
    head = rng.standard_normal(shape).astype(dtype)
    return [data, gamma, beta, mean, var], head


def run(mx, op, inputs, head, params, is_train):
    """Forward and backward of a bound ``op`` node; return (outputs, grads, aux after)."""
    symbol = getattr(mx.sym, op)(mx.sym.var("data"), name="bn", **params)
    names = ("data", "bn_gamma", "bn_beta")
    args = {name: mx.nd.array(value, dtype=value.dtype) for name, value in zip(names, inputs)}
    grads = {name: mx.nd.zeros(value.shape, dtype=value.dtype) for name, value in args.items()}
    aux = {
        name: mx.nd.array(value, dtype=value.dtype)
        for name, value in zip(("bn_moving_mean", "bn_moving_var"), inputs[3:])
    }
    executor = symbol.bind(mx.cpu(), args, args_grad=grads, aux_states=aux)
    outputs = executor.forward(is_train=is_train)
    heads = [mx.nd.array(head, dtype=head.dtype)]
    heads += [mx.nd.zeros(out.shape, dtype=out.dtype) for out in outputs[1:]]
    executor.backward(heads, is_train=is_train)
    return (
        [out.asnumpy() for out in outputs],
        [grads[name].asnumpy() for name in names],
        [aux[name].asnumpy() for name in ("bn_moving_mean", "bn_moving_var")],
    )


def record_scenario(mx, label, op, shape, dtype, params):
    inputs, head = scenario_inputs(label, shape, dtype, params)
    record = {
        "op": np.array(op),
        "params": np.array(json.dumps(params, sort_keys=True)),
        "head": head,
        "mxnet_version": np.array(mx.__version__),
    }
    for i, value in enumerate(inputs):
        record[f"in{i}"] = value
    for mode, is_train in (("train", True), ("predict", False)):
        outputs, grads, aux = run(mx, op, inputs, head, params, is_train)
        for k, value in enumerate(outputs):
            record[f"{mode}_out{k}"] = value
        for i, value in enumerate(grads):
            record[f"{mode}_grad{i}"] = value
        record[f"{mode}_moving_mean"], record[f"{mode}_moving_var"] = aux
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the files")
    args = parser.parse_args(argv)
    import mxnet as mx

    args.output.mkdir(parents=True, exist_ok=True)
    for stale in args.output.glob("*.npz"):
        stale.unlink()
    for label, op, shape, dtype, params in SCENARIOS:
        save_npz(args.output / f"{label}.npz", record_scenario(mx, label, op, shape, dtype, params))
    print(f"wrote {len(SCENARIOS)} golden files to {args.output}")


if __name__ == "__main__":
    main()
