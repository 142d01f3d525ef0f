"""Write golden IdentityAttachKLSparseReg results from real MXNet 1.9.1 into
tests/golden/sparse_reg/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_sparse_reg_golden.py

MXNet's ``mx.nd.IdentityAttachKLSparseReg`` offers no way to pass the auxiliary state
moving_avg, so make_golden.py cannot record the layer. For every scenario in ``SCENARIOS``
this binds it in a Symbol and runs several steps, each a forward (``is_train``) and a backward
with new data and head gradient, recording:

    op, params (JSON), is_train    the scenario
    moving_avg                     the auxiliary state before the first step
    data<k>, head<k>               the inputs of step k
    out<k>, grad<k>                the output and the data gradient of step k
    moving_avg<k>                  the auxiliary state after step k's backward
    error                          MXNet's message where a backward failed (that step's data,
                                   head and out are kept; no later steps)
    mxnet_version

MXNet updates moving_avg in the backward pass without telling its engine that it writes it,
so the state is read only after ``waitall``. tests/ops/test_sparse_reg.py replays the
scenarios in neomx (with autograd); tests never import mxnet.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

import numpy as np
from make_golden import TESTS, error_message, save_npz

OUTPUT = TESTS / "golden" / "sparse_reg"

# (label, data shape, params, is_train, steps, initial moving_avg: "zeros" as simple_bind
# leaves it, or "uniform" in (0.05, 0.5)).
SCENARIOS = [
    ("2d-defaults", (4, 3), {}, True, 3, "zeros"),
    (
        "2d-params",
        (5, 4),
        {"sparseness_target": 0.3, "penalty": 0.5, "momentum": 0.5},
        True,
        3,
        "uniform",
    ),
    ("4d", (2, 3, 2, 3), {"penalty": 0.01}, True, 2, "uniform"),
    # The update happens in predict mode too.
    ("predict-mode", (4, 3), {"penalty": 0.1}, False, 2, "uniform"),
    # The backward averages over all axes but the last, which must have shape[1] units.
    ("3d-mismatch", (4, 3, 5), {}, True, 1, "uniform"),
]


def scenario_inputs(label, shape, steps, initial):
    """The initial moving_avg and each step's (data, head), drawn from a generator seeded by the
    scenario's label."""
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    if initial == "zeros":
        moving_avg = np.zeros(shape[1], "float32")
    else:
        moving_avg = rng.uniform(0.05, 0.5, shape[1]).astype("float32")
    per_step = [
        (
            rng.uniform(0.05, 0.95, shape).astype("float32"),
            rng.standard_normal(shape).astype("float32"),
        )
        for _ in range(steps)
    ]
    return moving_avg, per_step


def record_scenario(mx, label, shape, params, is_train, steps, initial):
    moving_avg, per_step = scenario_inputs(label, shape, steps, initial)
    record = {
        "op": np.array("IdentityAttachKLSparseReg"),
        "params": np.array(json.dumps(params, sort_keys=True)),
        "is_train": np.array(is_train),
        "moving_avg": moving_avg,
        "mxnet_version": np.array(mx.__version__),
    }
    symbol = mx.sym.IdentityAttachKLSparseReg(mx.sym.var("data"), name="kl", **params)
    data = mx.nd.zeros(shape)
    grad = mx.nd.zeros(shape)
    aux = mx.nd.array(moving_avg)
    executor = symbol.bind(
        mx.cpu(), {"data": data}, args_grad={"data": grad}, aux_states={"kl_moving_avg": aux}
    )
    for k, (values, head) in enumerate(per_step):
        record[f"data{k}"], record[f"head{k}"] = values, head
        data[:] = values
        out = executor.forward(is_train=is_train)[0].asnumpy()
        record[f"out{k}"] = out
        try:
            executor.backward(mx.nd.array(head), is_train=is_train)
            mx.nd.waitall()
        except mx.base.MXNetError as err:
            record["error"] = np.array(error_message(err))
            break
        record[f"grad{k}"] = grad.asnumpy()
        record[f"moving_avg{k}"] = aux.asnumpy()
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the files")
    args = parser.parse_args(argv)
    import mxnet as mx

    args.output.mkdir(parents=True, exist_ok=True)
    for stale in args.output.glob("*.npz"):
        stale.unlink()
    for label, *scenario in SCENARIOS:
        save_npz(args.output / f"{label}.npz", record_scenario(mx, label, *scenario))
    print(f"wrote {len(SCENARIOS)} golden files to {args.output}")


if __name__ == "__main__":
    main()
