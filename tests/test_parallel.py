"""Parallel training in one process gives one device's results.

- Data parallelism: ``split_and_load`` over cpu(0) and cpu(1) + a Trainer (local or device
  KVStore) trains to the weights of one device with the full batch; under the threaded engine
  each device's work runs on that device's worker, and the two workers run at once.
- Model parallelism: Blocks initialised on different devices (with ``as_in_context`` between
  them, one Trainer per device), or a Symbol placed with ``group2ctx``.
- Hybrid: model-parallel groups, each of them data-parallel.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon

STEPS = 3
BATCH = 8
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def make_data(seed, n=STEPS, image=False):
    rng = np.random.RandomState(seed)
    shape = (BATCH, 2, 6, 6) if image else (BATCH, 6)
    return [
        (rng.randn(*shape).astype(np.float32), rng.randint(0, 4, BATCH).astype(np.float32))
        for _ in range(n)
    ]


def make_net(image, hybridize):
    net = gluon.nn.HybridSequential(prefix="net_")
    with net.name_scope():
        if image:
            net.add(
                gluon.nn.Conv2D(4, 3, in_channels=2, activation="relu", prefix="conv_"),
                gluon.nn.MaxPool2D(2),
                gluon.nn.Flatten(),
            )
            net.add(gluon.nn.Dense(4, in_units=16, prefix="out_"))
        else:
            net.add(
                gluon.nn.Dense(10, in_units=6, activation="relu", prefix="fc1_"),
                gluon.nn.Dense(4, in_units=10, prefix="fc2_"),
            )
    if hybridize:
        net.hybridize()
    return net


def initial_values(net, seed):
    rng = np.random.RandomState(seed)
    return {
        name: rng.uniform(-0.4, 0.4, param.shape).astype(np.float32)
        for name, param in sorted(net.collect_params().items())
    }


def train(ctxs, data, values, image=False, hybridize=False, **trainer_args):
    net = make_net(image, hybridize)
    net.initialize(ctx=ctxs)
    for name, param in net.collect_params().items():
        param.set_data(mx.nd.array(values[name]))
    trainer = gluon.Trainer(
        net.collect_params(), "sgd", {"learning_rate": 0.2, "momentum": 0.9}, **trainer_args
    )
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for x, y in data:
        xs = gluon.utils.split_and_load(mx.nd.array(x), ctxs)
        ys = gluon.utils.split_and_load(mx.nd.array(y), ctxs)
        with autograd.record():
            losses = [loss_fn(net(xi), yi) for xi, yi in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(BATCH)
    return net


def weights(net):
    return {name: p.list_data() for name, p in sorted(net.collect_params().items())}


def assert_same(reference, net):
    for name, copies in weights(net).items():
        expected = reference[name][0].asnumpy()
        for copy in copies:
            np.testing.assert_allclose(
                copy.asnumpy(), expected, err_msg=f"{name} on {copy.context}", **TOLERANCE
            )


# ---- data parallelism --------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["NaiveEngine", "ThreadedEnginePerDevice"])
@pytest.mark.parametrize(
    "trainer_args",
    [
        {"kvstore": "local"},
        {"kvstore": "local", "update_on_kvstore": False},
        {"kvstore": "device"},
        {"kvstore": "device", "update_on_kvstore": False},
    ],
    ids=["local", "local-noupdate", "device", "device-noupdate"],
)
@pytest.mark.parametrize("image,hybridize", [(False, False), (False, True), (True, True)])
def test_data_parallel_equals_one_device(engine, trainer_args, image, hybridize):
    data = make_data(1, image=image)
    values = initial_values(make_net(image, False), 2)
    with mx.engine.engine_scope(engine):
        one = weights(train([mx.cpu(0)], data, values, image, hybridize))
        two = train([mx.cpu(0), mx.cpu(1)], data, values, image, hybridize, **trainer_args)
        assert_same(one, two)


class _PushLog:
    """Records (context, operation) of every push of the engine it wraps."""

    def __init__(self, engine):
        self.engine = engine
        self.pushes = []
        self.original = engine.push

    def __enter__(self):
        def push(fn, reads, writes, ctx, op_name="operation"):
            self.pushes.append((ctx, op_name))
            return self.original(fn, reads, writes, ctx, op_name)

        self.engine.push = push
        return self

    def __exit__(self, *exc):
        del self.engine.push


def test_data_parallel_devices_run_concurrently_on_their_workers():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    data = make_data(3)
    values = initial_values(make_net(False, False), 4)
    with mx.engine.engine_scope("ThreadedEnginePerDevice") as engine:
        net = make_net(False, False)
        net.initialize(ctx=ctxs)
        for name, param in net.collect_params().items():
            param.set_data(mx.nd.array(values[name]))
        trainer = gluon.Trainer(
            net.collect_params(), "sgd", {"learning_rate": 0.2, "momentum": 0.9}
        )
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        x, y = data[0]
        xs = gluon.utils.split_and_load(mx.nd.array(x), ctxs)
        ys = gluon.utils.split_and_load(mx.nd.array(y), ctxs)
        with _PushLog(engine) as log:
            with autograd.record():
                losses = [loss_fn(net(xi), yi) for xi, yi in zip(xs, ys)]
            autograd.backward(losses)
            # One task per device after its backward: each waits at a barrier for the other,
            # which only returns if the two device workers run at the same time.
            barrier = threading.Barrier(2, timeout=30)
            ran_on = {}

            def meet(ctx):
                ran_on[ctx] = threading.current_thread().name
                barrier.wait()

            for ctx, param in zip(ctxs, net[0].weight.list_grad()):
                engine.push(lambda ctx=ctx: meet(ctx), [param._engine_var()], [], ctx, "meet")
            trainer.step(BATCH)
            mx.nd.waitall()
        fc_devices = {ctx for ctx, op in log.pushes if op == "FullyConnected"}
        assert fc_devices == set(ctxs)
        assert ran_on == {ctx: f"neomx-engine-{ctx}" for ctx in ctxs}
        assert not barrier.broken
        reference = weights(train([mx.cpu(0)], data[:1], values))
    assert_same(reference, net)


def test_data_parallel_with_2bit_compression_trains():
    data = make_data(5, n=6)
    values = initial_values(make_net(False, False), 6)
    net = train(
        [mx.cpu(0), mx.cpu(1)],
        data,
        values,
        kvstore="device",
        compression_params={"type": "2bit", "threshold": 0.01},
    )
    for copies in weights(net).values():
        np.testing.assert_array_equal(copies[0].asnumpy(), copies[1].asnumpy())
    changed = [
        not np.allclose(copies[0].asnumpy(), values[name]) for name, copies in weights(net).items()
    ]
    assert all(changed)


# ---- model parallelism -------------------------------------------------------------------


class ToDevice(autograd.Function):
    """A copy to ``ctx`` whose gradient is copied back (what ``as_in_context`` records in
    MXNet)."""

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx

    def forward(self, x):
        self.source = x.context
        return x.copyto(self.ctx)

    def backward(self, dy):
        return dy.copyto(self.source)


COPIES = ["as_in_context", "function"]


class TwoDeviceNet(gluon.Block):
    """fc1 on one device, fc2 on another, copying the activations in between (as MXNet users
    do, with ``as_in_context``; ``copy='function'`` uses ToDevice); with ``devices=None`` all
    on the input's device."""

    def __init__(self, devices=None, copy="as_in_context", **kwargs):
        super().__init__(**kwargs)
        self.devices = devices
        self.copy = copy
        with self.name_scope():
            self.fc1 = gluon.nn.Dense(10, in_units=6, activation="tanh", prefix="fc1_")
            self.fc2 = gluon.nn.Dense(4, in_units=10, prefix="fc2_")

    def forward(self, x, slot=0):
        if self.devices is None:
            return self.fc2(self.fc1(x))
        first, second = self.devices
        hidden = self.fc1(x.as_in_context(first[slot]))
        if self.copy == "function":
            return self.fc2(ToDevice(second[slot])(hidden))
        return self.fc2(hidden.as_in_context(second[slot]))


def train_groups(groups, data, values, engine, copy):
    """Train TwoDeviceNet with fc1 on ``groups[0]`` and fc2 on ``groups[1]`` (lists of
    devices; the batch is split over the devices of a group); one Trainer per group."""
    with mx.engine.engine_scope(engine):
        net = TwoDeviceNet(groups, copy, prefix="net_")
        net.fc1.initialize(ctx=groups[0])
        net.fc2.initialize(ctx=groups[1])
        for name, param in net.collect_params().items():
            param.set_data(mx.nd.array(values[name]))
        trainers = [
            gluon.Trainer(
                block.collect_params(), "sgd", {"learning_rate": 0.2, "momentum": 0.9}, kvstore=kv
            )
            for block, kv in ((net.fc1, "device"), (net.fc2, "local"))
        ]
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        slots = len(groups[0])
        for x, y in data:
            xs = gluon.utils.split_and_load(mx.nd.array(x), [mx.cpu(0)] * slots)
            ys = gluon.utils.split_and_load(mx.nd.array(y), groups[1])
            with autograd.record():
                losses = [loss_fn(net(xi, slot), yi) for slot, (xi, yi) in enumerate(zip(xs, ys))]
            autograd.backward(losses)
            for trainer in trainers:
                trainer.step(BATCH)
        mx.nd.waitall()
    return net


def reference_weights(data, values):
    net = TwoDeviceNet(None, prefix="net_")
    net.initialize(ctx=mx.cpu(0))
    for name, param in net.collect_params().items():
        param.set_data(mx.nd.array(values[name]))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.2, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for x, y in data:
        with autograd.record():
            loss = loss_fn(net(mx.nd.array(x)), mx.nd.array(y))
        loss.backward()
        trainer.step(BATCH)
    return weights(net)


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize("engine", ["NaiveEngine", "ThreadedEnginePerDevice"])
def test_model_parallel_blocks_equal_one_device(engine, copy):
    data = make_data(7)
    values = initial_values(TwoDeviceNet(prefix="net_"), 8)
    net = train_groups([[mx.cpu(0)], [mx.cpu(1)]], data, values, engine, copy)
    assert net.fc1.weight.list_ctx() == [mx.cpu(0)]
    assert net.fc2.weight.list_ctx() == [mx.cpu(1)]
    assert_same(reference_weights(data, values), net)


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize("engine", ["NaiveEngine", "ThreadedEnginePerDevice"])
def test_hybrid_parallel_equals_one_device(engine, copy):
    """fc1 data-parallel on cpu(0), cpu(1); fc2 data-parallel on cpu(2), cpu(3)."""
    data = make_data(9)
    values = initial_values(TwoDeviceNet(prefix="net_"), 10)
    groups = [[mx.cpu(0), mx.cpu(1)], [mx.cpu(2), mx.cpu(3)]]
    net = train_groups(groups, data, values, engine, copy)
    assert net.fc2.weight.list_ctx() == groups[1]
    assert_same(reference_weights(data, values), net)


def _symbol_net():
    with mx.AttrScope(ctx_group="dev1"):
        x = mx.sym.var("data")
        h = mx.sym.FullyConnected(x, num_hidden=10, name="fc1")
        h = mx.sym.Activation(h, act_type="tanh", name="act1")
    with mx.AttrScope(ctx_group="dev2"):
        h = mx.sym.FullyConnected(h, num_hidden=4, name="fc2")
        out = mx.sym.SoftmaxOutput(h, name="softmax")
    return out


def _train_symbol(group2ctx, data, values):
    net = _symbol_net()
    ex = net.simple_bind(mx.cpu(0), data=(BATCH, 6), group2ctx=group2ctx)
    names = [n for n in net.list_arguments() if n not in ("data", "softmax_label")]
    for name in names:
        ex.arg_dict[name][:] = values[name]
    optimizer = mx.optimizer.SGD(learning_rate=0.2, momentum=0.9, rescale_grad=1.0 / BATCH)
    updater = mx.optimizer.get_updater(optimizer)
    for x, y in data:
        ex.arg_dict["data"][:] = x
        ex.arg_dict["softmax_label"][:] = y
        ex.forward(is_train=True)
        ex.backward()
        for i, name in enumerate(names):
            updater(i, ex.grad_dict[name], ex.arg_dict[name])
    return ex, names


@pytest.mark.parametrize("engine", ["NaiveEngine", "ThreadedEnginePerDevice"])
def test_model_parallel_symbol_group2ctx_trains_like_one_device(engine):
    data = make_data(11)
    rng = np.random.RandomState(12)
    shapes = dict(
        zip(_symbol_net().list_arguments(), _symbol_net().infer_shape(data=(BATCH, 6))[0])
    )
    values = {k: rng.uniform(-0.4, 0.4, s).astype(np.float32) for k, s in shapes.items()}
    with mx.engine.engine_scope(engine):
        one, names = _train_symbol(None, data, values)
        two, _ = _train_symbol({"dev1": mx.cpu(0), "dev2": mx.cpu(1)}, data, values)
        assert two.arg_dict["fc1_weight"].context == mx.cpu(0)
        assert two.arg_dict["fc2_weight"].context == mx.cpu(1)
        for name in names:
            np.testing.assert_allclose(
                two.arg_dict[name].asnumpy(),
                one.arg_dict[name].asnumpy(),
                err_msg=name,
                **TOLERANCE,
            )
