"""Time one training step on one device against the same step split over cpu(0) and cpu(1).

Two networks, float32, hybridized Gluon models, SGD with momentum through ``gluon.Trainer``:

* mlp: a batch of 256 (784,) -> Dense 1024 relu -> Dense 1024 relu -> Dense 10;
* resnet20: a batch of 64 CIFAR-sized (3, 32, 32) images through ResNet-20 (3 stages of 3
  basic blocks, 16/32/64 channels; built here from gluon.nn).

One step is: ``split_and_load`` the batch, forward + softmax cross-entropy under
``autograd.record()``, ``backward``, ``trainer.step``, ``waitall``. "1 device" runs the
whole batch on cpu(0); "2 devices" gives each of cpu(0) and cpu(1) half of it, the Trainer
summing gradients through a KVStore (``--kvstore``, 'device' by default). Every part runs
in a process of its own under ThreadedEnginePerDevice with one BLAS/OpenMP thread (so each
device is one core and the speed-up comes from the engine running the devices at once).
MXNet 1.9.1 runs the same script when its interpreter is there. Run by hand::

    python benchmarks/data_parallel.py [--repeat 5] [--kvstore device]
"""

from __future__ import annotations

import harness

NETWORKS = ("mlp", "resnet20")
SETUPS = (("1 device", 1), ("2 devices", 2))


def residual_block(mx, channels, stride, in_channels):
    nn = mx.gluon.nn

    class BasicBlock(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.body = nn.HybridSequential(prefix="")
                self.body.add(
                    nn.Conv2D(channels, 3, stride, 1, use_bias=False, in_channels=in_channels),
                    nn.BatchNorm(in_channels=channels),
                    nn.Activation("relu"),
                    nn.Conv2D(channels, 3, 1, 1, use_bias=False, in_channels=channels),
                    nn.BatchNorm(in_channels=channels),
                )
                self.downsample = None
                if stride != 1 or in_channels != channels:
                    self.downsample = nn.HybridSequential(prefix="")
                    self.downsample.add(
                        nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels),
                        nn.BatchNorm(in_channels=channels),
                    )

        def hybrid_forward(self, F, x):
            shortcut = x if self.downsample is None else self.downsample(x)
            return F.Activation(self.body(x) + shortcut, act_type="relu")

    return BasicBlock()


def resnet20(mx):
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, 3, 1, 1, use_bias=False, in_channels=3), nn.BatchNorm(in_channels=16))
    net.add(nn.Activation("relu"))
    in_channels = 16
    for stage, channels in enumerate((16, 32, 64)):
        for block in range(3):
            stride = 2 if stage > 0 and block == 0 else 1
            net.add(residual_block(mx, channels, stride, in_channels))
            in_channels = channels
    net.add(nn.GlobalAvgPool2D(), nn.Dense(10, in_units=64))
    return net


def mlp(mx):
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(
        nn.Dense(1024, activation="relu", in_units=784),
        nn.Dense(1024, activation="relu", in_units=1024),
        nn.Dense(10, in_units=1024),
    )
    return net


def measure(framework, network, devices, kvstore, repeat):
    import numpy as np

    if framework == "mxnet":
        import mxnet as mx
    else:
        import neomx as mx
    ctxs = [mx.cpu(i) for i in range(devices)]
    if network == "mlp":
        net, shape, batch = mlp(mx), (784,), 256
    else:
        net, shape, batch = resnet20(mx), (3, 32, 32), 64
    net.initialize(mx.init.Xavier(), ctx=ctxs)
    net.hybridize()
    trainer = mx.gluon.Trainer(
        net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9}, kvstore=kvstore
    )
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.RandomState(0)
    data = mx.nd.array(rng.randn(batch, *shape).astype(np.float32))
    label = mx.nd.array(rng.randint(0, 10, batch).astype(np.float32))

    def step():
        xs = mx.gluon.utils.split_and_load(data, ctxs)
        ys = mx.gluon.utils.split_and_load(label, ctxs)
        with mx.autograd.record():
            losses = [loss_fn(net(x), y) for x, y in zip(xs, ys)]
        mx.autograd.backward(losses)
        trainer.step(batch)

    seconds = harness.best_per_call(harness.repeat_call(step), mx.nd.waitall, repeat=repeat)
    return {"ms": seconds * 1e3}


def main():
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--kvstore", default="device", help="KVStore of the 2-device Trainer")
    args = parser.parse_args()
    if args.only:
        framework, network, devices = args.only.split(":")
        harness.report_part(measure(framework, network, int(devices), args.kvstore, args.repeat))
        return
    mxnet = harness.mxnet_python(args.mxnet_python)
    env = dict(harness.thread_env(1), MXNET_ENGINE_TYPE="ThreadedEnginePerDevice")
    arguments = ["--repeat", str(args.repeat), "--kvstore", args.kvstore]
    print(
        f"One training step, ms (best of {args.repeat}); {harness.machine_line()}; "
        f"1 BLAS thread per process, ThreadedEnginePerDevice, kvstore={args.kvstore!r}"
    )
    rows = []
    for network in NETWORKS:
        for framework, python in (("neomx", None), ("mxnet", mxnet)):
            if framework == "neomx":
                import sys

                python = sys.executable
            results = {
                devices: harness.run_part(
                    __file__, f"{framework}:{network}:{devices}", arguments, python, env
                )
                for _, devices in SETUPS
            }
            one, two = results[1], results[2]
            label = f"{network} {framework}" + (" 1.9.1" if framework == "mxnet" else "")
            if "error" in one or "error" in two:
                rows.append([label, f"n/a: {(one if 'error' in one else two)['error']}"])
                continue
            rows.append(
                [label, f"{one['ms']:.1f}", f"{two['ms']:.1f}", f"{one['ms'] / two['ms']:.2f}x"]
            )
    harness.print_table(["network", "1 device", "2 devices", "speed-up"], rows)


if __name__ == "__main__":
    main()
