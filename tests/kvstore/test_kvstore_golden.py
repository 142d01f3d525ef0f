"""KVStore sessions replayed from real MXNet 1.9.1 (tools/make_trainer_golden.py recorded them):
sums over devices, int and str keys, lists of keys, pushpull, broadcast, optimizers on the store
and '2bit' gradient compression with its residuals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kvstore"
CASES = sorted(path.stem for path in GOLDEN.glob("*.npz"))


def load(name):
    with np.load(GOLDEN / f"{name}.npz") as data:
        arrays = {key: data[key] for key in data.files}
    return json.loads(str(arrays.pop("meta"))), arrays


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("engine", ["NaiveEngine", "ThreadedEnginePerDevice"])
def test_kvstore_session_matches_mxnet(name, engine):
    meta, arrays = load(name)
    shapes = {}
    pulled = []

    def value(ref):
        index, device = ref
        return mx.nd.array(arrays[f"in{index}"], ctx=mx.cpu(device))

    def zeros(key, devices):
        return [mx.nd.zeros(shapes[key], ctx=mx.cpu(d)) for d in devices]

    with mx.engine.engine_scope(engine):
        kv = mx.kv.create(meta["type"])
        for op in meta["ops"]:
            kind = op[0]
            if kind == "init":
                kv.init(op[1], value(op[2]))
                shapes[op[1]] = arrays[f"in{op[2][0]}"].shape
            elif kind == "broadcast":
                shapes[op[1]] = arrays[f"in{op[2][0]}"].shape
                outs = zeros(op[1], op[3])
                kv.broadcast(op[1], value(op[2]), out=outs)
                pulled.extend(outs)
            elif kind == "push":
                kv.push(op[1], [value(ref) for ref in op[2]])
            elif kind == "pull":
                outs = zeros(op[1], op[2])
                kv.pull(op[1], out=outs)
                pulled.extend(outs)
            elif kind == "pushpull":
                outs = zeros(op[1], op[3])
                kv.pushpull(op[1], [value(ref) for ref in op[2]], out=outs)
                pulled.extend(outs)
            elif kind == "pushpull_list":
                values = [[value(ref) for ref in group] for group in op[2]]
                kv.pushpull(op[1], values)
                pulled.extend(array for group in values for array in group)
            elif kind == "optimizer":
                kv.set_optimizer(mx.optimizer.create(op[1], **op[2]))
            elif kind == "compression":
                kv.set_gradient_compression(op[1])
            else:
                raise AssertionError(f"unknown op {kind}")
        results = [array.asnumpy() for array in pulled]
    assert len(results) == sum(1 for key in arrays if key.startswith("out"))
    for i, result in enumerate(results):
        np.testing.assert_allclose(
            result, arrays[f"out{i}"], rtol=1e-6, atol=1e-6, err_msg=f"out{i}"
        )
