"""Write golden Trainer trajectories and KVStore results from real MXNet 1.9.1.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_trainer_golden.py

tests/golden/trainer/<case>.npz holds one Trainer run of a small MLP (fc1: 4->5 tanh, fc2:
5->3, and fc3: 5->3 added to fc2's output on even steps only, when the case says so):

    meta                 the case as JSON (optimizer, kvstore, devices, mode, ...)
    init_<name>          each parameter before training (names without the net prefix)
    x<s>, y<s>           the batch of step s (split evenly over the devices)
    w<s>_<name>          each parameter after step s (device 0's copy)
    states               save_states bytes after step meta["save_at"] (uint8), if any

tests/golden/kvstore/<case>.npz holds one scripted KVStore session:

    meta                 {"type": ..., "ops": [[op, args...], ...]} (JSON)
    in<n>                the n-th input array of the script
    out<n>               what the n-th pull wrote (device 0's copy; all copies are equal)

Tests replay both in neomx and never import mxnet.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import zlib
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

ROOT = Path(__file__).resolve().parents[1]
TRAINER_DIR = ROOT / "tests" / "golden" / "trainer"
KVSTORE_DIR = ROOT / "tests" / "golden" / "kvstore"

STEPS = 4
BATCH = 8

TRAINER_CASES = [
    {"id": "sgd-1dev", "optimizer": "sgd", "params": {"learning_rate": 0.1}, "devices": 1},
    {
        "id": "sgd-momentum-wd-1dev",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01},
        "devices": 1,
    },
    {
        "id": "adam-2dev-device",
        "optimizer": "adam",
        "params": {"learning_rate": 0.01, "wd": 0.001},
        "devices": 2,
        "kvstore": "device",
    },
    {
        "id": "sgd-2dev-local-noupdate",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1, "momentum": 0.9},
        "devices": 2,
        "kvstore": "local",
        "update_on_kvstore": False,
    },
    {
        "id": "sgd-2dev-device-kvupdate",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1, "momentum": 0.9},
        "devices": 2,
        "kvstore": "device",
        "update_on_kvstore": True,
    },
    {
        "id": "rmsprop-2dev-clip",
        "optimizer": "rmsprop",
        "params": {"learning_rate": 0.01, "clip_gradient": 0.1},
        "devices": 2,
        "kvstore": "device",
        "update_on_kvstore": False,
        "mode": "allreduce_update",
    },
    {
        "id": "sgd-lr-change",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1},
        "devices": 2,
        "kvstore": "local",
        "mode": "lr_change",
    },
    {
        "id": "stale-1dev",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1, "momentum": 0.9},
        "devices": 1,
        "branch": True,
    },
    {
        "id": "stale-2dev-noupdate",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1, "momentum": 0.9},
        "devices": 2,
        "kvstore": "device",
        "update_on_kvstore": False,
        "branch": True,
    },
    {
        "id": "stale-2dev-kvupdate",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1, "momentum": 0.9},
        "devices": 2,
        "kvstore": "device",
        "update_on_kvstore": True,
        "branch": True,
    },
    {
        "id": "2bit-2dev",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.5},
        "devices": 2,
        "kvstore": "device",
        "compression": {"type": "2bit", "threshold": 0.05},
    },
    {
        "id": "states-1dev",
        "optimizer": "adam",
        "params": {"learning_rate": 0.01},
        "devices": 1,
        "save_at": 1,
    },
    {
        "id": "states-2dev-kvupdate",
        "optimizer": "sgd",
        "params": {"learning_rate": 0.1, "momentum": 0.9},
        "devices": 2,
        "kvstore": "device",
        "save_at": 1,
    },
]


def _define_net():
    path = Path(__file__).resolve().parent.parent / "tests" / "gluon" / "trainer_net.py"
    spec = importlib.util.spec_from_file_location("trainer_net", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.define_net(gluon)


# fc2(tanh(fc1(x))), plus fc3 of the same hidden layer on even steps (with ``branch``).
Net = _define_net()


def short(name):
    return name[len("net_") :]


def run_trainer_case(case):
    rng = np.random.RandomState(zlib.crc32(case["id"].encode()))
    ctxs = [mx.cpu(i) for i in range(case["devices"])]
    net = Net(case.get("branch", False), prefix="net_")
    net.initialize(ctx=ctxs)
    params = net.collect_params()
    arrays = {}
    for name, param in params.items():
        value = rng.uniform(-0.5, 0.5, param.shape).astype(np.float32)
        param.set_data(mx.nd.array(value))
        arrays[f"init_{short(name)}"] = value
    trainer = gluon.Trainer(
        params,
        case["optimizer"],
        dict(case["params"]),
        kvstore=case.get("kvstore", "device"),
        compression_params=case.get("compression"),
        update_on_kvstore=case.get("update_on_kvstore"),
    )
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    mode = case.get("mode", "step")
    for step in range(STEPS):
        x = rng.randn(BATCH, 4).astype(np.float32)
        y = rng.randint(0, 3, BATCH).astype(np.float32)
        arrays[f"x{step}"], arrays[f"y{step}"] = x, y
        net.step = step
        xs = gluon.utils.split_and_load(mx.nd.array(x), ctxs)
        ys = gluon.utils.split_and_load(mx.nd.array(y), ctxs)
        with autograd.record():
            losses = [loss_fn(net(xi), yi) for xi, yi in zip(xs, ys)]
        for loss in losses:
            loss.backward()
        if mode == "lr_change" and step == 2:
            trainer.set_learning_rate(0.03)
        if mode == "allreduce_update":
            trainer.allreduce_grads()
            for param in params.values():
                for grad in param.list_grad():
                    grad *= 0.5
            trainer.update(BATCH)
        else:
            trainer.step(BATCH, ignore_stale_grad=case.get("branch", False))
        for name, param in params.items():
            arrays[f"w{step}_{short(name)}"] = param.data(ctxs[0]).asnumpy()
        if case.get("save_at") == step:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "trainer.states")
                trainer.save_states(path)
                arrays["states"] = np.frombuffer(open(path, "rb").read(), np.uint8)
    meta = dict(case, steps=STEPS, batch=BATCH, update_on_kvstore_used=trainer._update_on_kvstore)
    np.savez(TRAINER_DIR / f"{case['id']}.npz", meta=json.dumps(meta), **arrays)


# ---- KVStore scripts ----------------------------------------------------------------------
# Ops: ["init", key, in], ["push", key, [[in, device], ...]], ["pull", key, [device, ...]],
# ["pushpull", key, [[in, device], ...], [device, ...]], ["optimizer", name, kwargs],
# ["compression", params], ["broadcast", key, in, [device, ...]].
def kv_scripts(rng):
    def grads(shape, devices, scale=1.0):
        return [("new", shape, scale, d) for d in devices]

    scripts = {}
    for kind in ("local", "device"):
        for keys in ("int", "str"):
            k0, k1, k2, k3 = (3, 7, 8, 9) if keys == "int" else ("w3", "w7", "w8", "w9")
            # NOTE: MXNet's store aliases a summed push without an optimizer into the merge
            # buffer, which later pushes overwrite; keys pushed before set_optimizer would
            # record that bug, so the optimizer phase uses keys not pushed before.
            scripts[f"{kind}-{keys}"] = {
                "type": kind,
                "ops": [
                    ["init", k0, ("new", (2, 3), 1.0, 0)],
                    ["init", k1, ("new", (5,), 1.0, 0)],
                    ["init", k2, ("new", (2, 3), 1.0, 0)],
                    ["init", k3, ("new", (5,), 1.0, 0)],
                    ["push", k0, grads((2, 3), [0, 1])],
                    ["pull", k0, [0, 1]],
                    ["push", k1, grads((5,), [1])],
                    ["pull", k1, [0]],
                    ["pushpull", k0, grads((2, 3), [1, 0]), [1, 0]],
                    ["pushpull_list", [k0, k1], [grads((2, 3), [0, 1]), grads((5,), [0, 1])]],
                    ["pull", k1, [1]],
                    ["optimizer", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}],
                    ["push", k2, grads((2, 3), [0, 1])],
                    ["pull", k2, [0]],
                    ["push", k2, grads((2, 3), [0, 1])],
                    ["push", k3, grads((5,), [0, 1])],
                    ["pull", k2, [1]],
                    ["pull", k3, [0]],
                    ["push", k3, grads((5,), [1])],
                    ["pull", k3, [0, 1]],
                ],
            }
    scripts["device-2bit"] = {
        "type": "device",
        "ops": [
            ["compression", {"type": "2bit", "threshold": 0.5}],
            ["init", 0, ("new", (4, 9), 1.0, 0)],
            ["init", 1, ("new", (17,), 1.0, 0)],
        ]
        + [
            op
            for _ in range(4)
            for op in (
                ["push", 0, grads((4, 9), [0, 1], 0.6)],
                ["pull", 0, [0]],
                ["push", 1, grads((17,), [1, 0], 0.6)],
                ["pull", 1, [1]],
            )
        ]
        + [["push", 0, grads((4, 9), [0], 0.6)], ["pull", 0, [0]]],
    }
    scripts["device-2bit-optimizer"] = {
        "type": "device",
        "ops": [
            ["init", "a", ("new", (3, 4), 1.0, 0)],
            ["compression", {"type": "2bit", "threshold": 0.25}],
            ["optimizer", "adam", {"learning_rate": 0.05}],
        ]
        + [
            op
            for _ in range(3)
            for op in (["push", "a", grads((3, 4), [0, 1], 0.4)], ["pull", "a", [0, 1]])
        ],
    }
    scripts["device-broadcast"] = {
        "type": "device",
        "ops": [
            ["broadcast", "b", ("new", (2, 2), 1.0, 0), [0, 1]],
            ["push", "b", grads((2, 2), [1, 0])],
            ["pull", "b", [0]],
        ],
    }
    return scripts


def run_kv_script(name, script, rng):
    inputs, outputs = [], []

    def make(spec):
        _, shape, scale, device = spec
        value = (rng.randn(*shape) * scale).astype(np.float32)
        inputs.append(value)
        return [len(inputs) - 1, device], mx.nd.array(value, ctx=mx.cpu(device))

    def pull(key, devices, arrays):
        for array in arrays:
            outputs.append(array.asnumpy())
        return [key, devices]

    kv = mx.kv.create(script["type"])
    ops = []
    for op in script["ops"]:
        kind = op[0]
        if kind == "init":
            ref, array = make(op[2])
            kv.init(op[1], array)
            ops.append(["init", op[1], ref])
        elif kind == "broadcast":
            ref, array = make(op[2])
            outs = [mx.nd.zeros(array.shape, ctx=mx.cpu(d)) for d in op[3]]
            kv.broadcast(op[1], array, out=outs)
            ops.append(["broadcast", op[1], ref, pull(op[1], op[3], outs)[1]])
        elif kind == "push":
            made = [make(spec) for spec in op[2]]
            kv.push(op[1], [array for _, array in made])
            ops.append(["push", op[1], [ref for ref, _ in made]])
        elif kind == "pull":
            shape = kv_shapes[op[1]]
            outs = [mx.nd.zeros(shape, ctx=mx.cpu(d)) for d in op[2]]
            kv.pull(op[1], out=outs)
            ops.append(["pull", op[1], pull(op[1], op[2], outs)[1]])
        elif kind == "pushpull":
            made = [make(spec) for spec in op[2]]
            outs = [mx.nd.zeros(kv_shapes[op[1]], ctx=mx.cpu(d)) for d in op[3]]
            kv.pushpull(op[1], [array for _, array in made], out=outs)
            pull(op[1], op[3], outs)
            ops.append(["pushpull", op[1], [ref for ref, _ in made], op[3]])
        elif kind == "pushpull_list":
            made = [[make(spec) for spec in specs] for specs in op[2]]
            values = [[array for _, array in group] for group in made]
            kv.pushpull(op[1], values)
            for group in values:
                pull(None, None, group)
            ops.append(["pushpull_list", op[1], [[ref for ref, _ in group] for group in made]])
        elif kind == "optimizer":
            kv.set_optimizer(mx.optimizer.create(op[1], **op[2]))
            ops.append(op)
        elif kind == "compression":
            kv.set_gradient_compression(op[1])
            ops.append(op)
        if kind in ("init", "broadcast"):
            kv_shapes[op[1]] = inputs[-1].shape
    arrays = {f"in{i}": value for i, value in enumerate(inputs)}
    arrays.update({f"out{i}": value for i, value in enumerate(outputs)})
    meta = {"type": script["type"], "ops": ops}
    np.savez(KVSTORE_DIR / f"{name}.npz", meta=json.dumps(meta), **arrays)


kv_shapes = {}


def main():
    TRAINER_DIR.mkdir(parents=True, exist_ok=True)
    KVSTORE_DIR.mkdir(parents=True, exist_ok=True)
    for case in TRAINER_CASES:
        run_trainer_case(case)
        print("trainer", case["id"])
    rng = np.random.RandomState(7)
    for name, script in kv_scripts(rng).items():
        kv_shapes.clear()
        run_kv_script(name, script, rng)
        print("kvstore", name)


if __name__ == "__main__":
    main()
