"""Time one Gluon training step, hybridized and imperative, against PyTorch CPU and MXNet 1.9.1.

Two networks, float32, softmax cross-entropy loss, forward + backward + SGD update:

* mlp: batch 128 of 784 features -> Dense 512 relu -> Dense 512 relu -> Dense 10;
* resnet20: batch 32 of 3 x 32 x 32 images, the CIFAR ResNet-20 (3 stages of 3 basic blocks,
  16/32/64 channels, BatchNorm, global average pooling, Dense 10).

neomx and MXNet run the same Gluon code (``F`` is mx.nd imperatively, mx.sym once hybridized),
each step ``autograd.record()`` + ``backward()`` + ``Trainer.step``; PyTorch runs the same
architecture with torch.nn and torch.optim.SGD. Each figure is the best of several timed
batches (benchmarks/harness.py), in milliseconds per step. Run by hand::

    python benchmarks/gluon.py [--repeat 5] [--threads N] [--mxnet-python PATH]
"""

from __future__ import annotations

import sys

import harness
import numpy as np

WORKLOADS = {"mlp": (128, (784,)), "resnet20": (32, (3, 32, 32))}
MODES = ("imperative", "hybridized")


def batch(key):
    size, shape = WORKLOADS[key]
    rng = np.random.default_rng(0)
    data = rng.standard_normal((size, *shape), dtype=np.float32)
    label = rng.integers(0, 10, size).astype(np.float32)
    return data, label


# ---- neomx and MXNet: the same Gluon code ----------------------------------------------------


def gluon_net(mx, key):
    nn = mx.gluon.nn
    if key == "mlp":
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(512, activation="relu"), nn.Dense(512, activation="relu"))
            net.add(nn.Dense(10))
        return net

    class Block(mx.gluon.HybridBlock):
        def __init__(self, channels, stride, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.body = nn.HybridSequential()
                self.body.add(nn.Conv2D(channels, 3, stride, 1, use_bias=False), nn.BatchNorm())
                self.body.add(nn.Activation("relu"), nn.Conv2D(channels, 3, 1, 1, use_bias=False))
                self.body.add(nn.BatchNorm())
                self.down = None
                if stride != 1:
                    self.down = nn.HybridSequential()
                    self.down.add(nn.Conv2D(channels, 1, stride, use_bias=False), nn.BatchNorm())

        def hybrid_forward(self, F, x):
            shortcut = x if self.down is None else self.down(x)
            return F.Activation(self.body(x) + shortcut, act_type="relu")

    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, 3, 1, 1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"))
        for stage, channels in enumerate((16, 32, 64)):
            for index in range(3):
                net.add(Block(channels, 2 if stage > 0 and index == 0 else 1))
        net.add(nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


def gluon_steps(mx, hybridize):
    steps = {}
    for key in WORKLOADS:
        data, label = batch(key)
        x, y = mx.nd.array(data), mx.nd.array(label)
        net = gluon_net(mx, key)
        net.initialize(mx.init.Xavier())
        if hybridize:
            net.hybridize(static_alloc=True, static_shape=True)
        loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})

        def step(net=net, x=x, y=y, loss_fn=loss_fn, trainer=trainer):
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])

        steps[key] = step
    return steps, mx.nd.waitall


# ---- PyTorch -----------------------------------------------------------------------------


def torch_steps(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
            )
            self.down = None
            if stride != 1:
                self.down = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            shortcut = x if self.down is None else self.down(x)
            return torch.relu(self.body(x) + shortcut)

    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for stage, channels in enumerate((16, 32, 64)):
        for index in range(3):
            layers.append(Block(cin, channels, 2 if stage > 0 and index == 0 else 1))
            cin = channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    nets = {
        "mlp": nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
        ),
        "resnet20": nn.Sequential(*layers),
    }
    steps = {}
    for key, net in nets.items():
        data, label = batch(key)
        x, y = torch.from_numpy(data), torch.from_numpy(label).long()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()

        def step(net=net, x=x, y=y, optimizer=optimizer, loss_fn=loss_fn):
            optimizer.zero_grad()
            loss_fn(net(x), y).backward()
            optimizer.step()

        steps[key] = step
    return steps, harness.no_wait


def run_framework(name, repeat):
    """{workload: ms per step} for 'neomx'/'mxnet' (both modes) or 'torch'."""
    result = {}
    if name == "torch":
        import torch

        steps, finish = torch_steps(torch)
        for key, step in steps.items():
            result[key] = harness.best_per_call(harness.repeat_call(step), finish, repeat) * 1e3
        return result
    mx = __import__(name)
    for mode in MODES:
        steps, finish = gluon_steps(mx, mode == "hybridized")
        for key, step in steps.items():
            seconds = harness.best_per_call(harness.repeat_call(step), finish, repeat)
            result[f"{key} {mode}"] = seconds * 1e3
    return result


def main(argv=None):
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--threads", type=int, help="threads of every library (default: all)")
    args = parser.parse_args(argv)
    if args.only:
        harness.report_part(run_framework(args.only, args.repeat))
        return 0
    env = harness.thread_env(args.threads)
    mxnet = harness.mxnet_python(args.mxnet_python)
    parts = [
        ("neomx", sys.executable, "neomx", env),
        ("torch", sys.executable, "torch", env),
        ("mxnet", mxnet, "mxnet", env),
    ]
    results = dict(harness.run_parts(__file__, parts, ["--repeat", str(args.repeat)]))
    print(f"{harness.machine_line()}, threads: {args.threads or 'all'}")
    print("one training step (forward, backward, SGD update), float32: ms per step")
    headers = ["workload", "neomx", "PyTorch", "MXNet 1.9.1", "neomx / PyTorch", "neomx / MXNet"]
    rows = []
    for key in WORKLOADS:
        for mode in MODES:
            label = f"{key} {mode}"
            ours = results["neomx"].get(label)
            torch_ms = results["torch"].get(key)
            theirs = results["mxnet"].get(label)
            cells = [label]
            for value in (ours, torch_ms, theirs):
                cells.append("n/a" if value is None else f"{value:.2f}")
            for value in (torch_ms, theirs):
                cells.append("n/a" if None in (ours, value) else f"{ours / value:.2f}x")
            rows.append(cells)
    harness.print_table(headers, rows)
    harness.print_errors(results)
    neomx = results["neomx"]
    for key in WORKLOADS:
        imperative, hybrid = neomx.get(f"{key} imperative"), neomx.get(f"{key} hybridized")
        if imperative and hybrid:
            print(f"neomx {key}: hybridized is {imperative / hybrid:.2f}x the speed of imperative")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
