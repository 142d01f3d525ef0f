"""Write golden optimizer trajectories and LR schedules from real MXNet 1.9.1.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_optimizer_golden.py

For every case of tests/optimizer/optimizer_cases.py (``CASES``) it trains two parameters for
``STEPS`` steps through ``mx.optimizer.get_updater`` and writes
tests/golden/optimizer/<id>.npz:

    meta                 the case as JSON (optimizer name, kwargs, scheduler, mode, dtype)
    init<i>              parameter i before the first step
    grad<s>_<i>          the gradient of parameter i at step s (0-based)
    weight<s>_<i>        parameter i after step s
    state<s>_<i>_<k>     the k-th state array of parameter i after step s (nested tuples
                         flattened depth first, None left out)
    noise<n>             SGLD only: the n-th noise array (MXNet's ``normal`` is replaced by
                         draws from a seeded NumPy stream, so neomx can replay them)
    states_pickle        Updater.get_states() after step PICKLE_STEP (uint8 bytes)
    updater_pickle       Updater.get_states(dump_optimizer=True) after step PICKLE_STEP

and tests/golden/optimizer/lr_scheduler.json with the learning rates of every scheduler of
``SCHEDULERS``. Tests replay them in neomx and never import mxnet.
"""

from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path

import mxnet as mx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "tests" / "golden" / "optimizer"
sys.path.insert(0, str(ROOT / "tests" / "optimizer"))

import optimizer_cases as cases  # noqa: E402


def flatten(state):
    """The NDArrays of a state, depth first, None left out."""
    if state is None:
        return []
    if isinstance(state, (tuple, list)):
        return [array for item in state for array in flatten(item)]
    return [state]


def make_scheduler(spec):
    if spec is None:
        return None
    kind, kwargs = spec
    return getattr(mx.lr_scheduler, kind)(**kwargs)


def install_noise(seed, record):
    """Replace the normal sampler SGLD calls by seeded NumPy draws, recorded in order."""
    stream = np.random.RandomState(seed)

    def normal(loc, scale, shape, dtype, ctx):
        values = loc + scale * stream.standard_normal(shape)
        array = mx.nd.array(values, dtype=dtype, ctx=ctx)
        record.append(array.asnumpy())
        return array

    mx.optimizer.optimizer.normal = normal


def run_case(spec):
    seed = zlib.crc32(spec["id"].encode())
    stream = np.random.RandomState(seed)
    dtype = spec["dtype"]
    inits = [stream.standard_normal(shape).astype(dtype) for shape in spec["shapes"]]
    grads = [
        [stream.standard_normal(shape).astype(dtype) for shape in spec["shapes"]]
        for _ in range(cases.STEPS)
    ]
    noise = []
    install_noise(seed + 1, noise)
    kwargs = dict(spec["kwargs"])
    scheduler = make_scheduler(spec["scheduler"])
    if scheduler is not None:
        kwargs["lr_scheduler"] = scheduler
    opt = mx.optimizer.create(spec["name"], param_idx2name=dict(cases.NAMES), **kwargs)
    opt.set_lr_mult(dict(cases.MULTS["lr"]))
    opt.set_wd_mult(dict(cases.MULTS["wd"]))
    updater = mx.optimizer.get_updater(opt)
    weights = [mx.nd.array(w, dtype=dtype) for w in inits]
    out = {"meta": json.dumps(spec), "mxnet_version": mx.__version__}
    for i, w in enumerate(inits):
        out[f"init{i}"] = w
    for step in range(cases.STEPS):
        grad_arrays = [mx.nd.array(g, dtype=dtype) for g in grads[step]]
        for i, g in enumerate(grads[step]):
            out[f"grad{step}_{i}"] = g
        if spec["mode"] == "updater":
            updater(list(range(len(weights))), grad_arrays, weights)
        else:
            for i, (g, w) in enumerate(zip(grad_arrays, weights)):
                updater(i, g, w)
        for i, w in enumerate(weights):
            out[f"weight{step}_{i}"] = w.asnumpy()
            for k, array in enumerate(flatten(updater.states[i])):
                out[f"state{step}_{i}_{k}"] = array.asnumpy()
        if step + 1 == cases.PICKLE_STEP:
            out["states_pickle"] = np.frombuffer(updater.get_states(), dtype=np.uint8)
            out["updater_pickle"] = np.frombuffer(
                updater.get_states(dump_optimizer=True), dtype=np.uint8
            )
    for n, values in enumerate(noise):
        out[f"noise{n}"] = values
    np.savez_compressed(OUTPUT / f"{spec['id']}.npz", **out)


def schedules():
    result = {"mxnet_version": mx.__version__}
    for name, spec in cases.SCHEDULERS.items():
        scheduler = make_scheduler(spec)
        sequence = [scheduler(n) for n in range(cases.SCHEDULE_STEPS + 1)]
        scheduler = make_scheduler(spec)
        jumps = [scheduler(n) for n in cases.SCHEDULE_JUMPS]
        result[name] = {"sequence": sequence, "jumps": jumps}
    (OUTPUT / "lr_scheduler.json").write_text(json.dumps(result, indent=1) + "\n")


def main():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    import warnings

    warnings.simplefilter("ignore")
    for spec in cases.CASES:
        run_case(spec)
        print("wrote", spec["id"])
    schedules()
    print("wrote lr_scheduler.json")


if __name__ == "__main__":
    main()
