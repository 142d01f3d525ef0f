"""Hybrid parallelism in one process: a model split over two device groups (model
parallelism), each group data-parallel over two devices.

The encoder (two Dense layers) lives on cpu(0) and cpu(1); the classifier on cpu(2) and
cpu(3). Each half of a batch goes through encoder copy i and classifier copy i; one Trainer
per group sums the gradients of its copies through a KVStore and keeps them in sync. The
script trains on a synthetic 4-class problem and checks that the result equals training the
same model on one device with the whole batch. Run it with::

    MXNET_ENGINE_TYPE=ThreadedEnginePerDevice python examples/hybrid_parallel.py
"""

from __future__ import annotations

import numpy as np

import neomx as mx
from neomx import autograd, gluon

BATCH = 32
STEPS = 30
ENCODER = [mx.cpu(0), mx.cpu(1)]
CLASSIFIER = [mx.cpu(2), mx.cpu(3)]


class ToDevice(autograd.Function):
    """Copy to ``ctx``; the gradient is copied back.

    NOTE: MXNet users write ``x.as_in_context(ctx)``, which neomx does not differentiate
    across devices yet (tests/test_parallel.py has the strict xfail); this does the same.
    """

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx

    def forward(self, x):
        self.source = x.context
        return x.copyto(self.ctx)

    def backward(self, dy):
        return dy.copyto(self.source)


def build():
    encoder = gluon.nn.HybridSequential(prefix="encoder_")
    with encoder.name_scope():
        encoder.add(gluon.nn.Dense(32, in_units=8, activation="relu"))
        encoder.add(gluon.nn.Dense(16, in_units=32, activation="relu"))
    classifier = gluon.nn.Dense(4, in_units=16, prefix="classifier_")
    return encoder, classifier


def synthetic_batches(rng):
    centers = rng.randn(4, 8) * 2
    for _ in range(STEPS):
        labels = rng.randint(0, 4, BATCH)
        data = centers[labels] + rng.randn(BATCH, 8)
        yield data.astype(np.float32), labels.astype(np.float32)


def train(groups, initial, seed=0):
    """Train with the encoder on ``groups[0]`` and the classifier on ``groups[1]`` (equal-length
    lists of devices; slot i of the batch uses device i of each group)."""
    encoder, classifier = build()
    encoder.initialize(ctx=groups[0])
    classifier.initialize(ctx=groups[1])
    for block in (encoder, classifier):
        for name, param in block.collect_params().items():
            param.set_data(mx.nd.array(initial[name]))
    trainers = [
        gluon.Trainer(block.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
        for block in (encoder, classifier)
    ]
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.RandomState(seed)
    for data, labels in synthetic_batches(rng):
        xs = gluon.utils.split_and_load(mx.nd.array(data), groups[0])
        ys = gluon.utils.split_and_load(mx.nd.array(labels), groups[1])
        with autograd.record():
            losses = []
            for slot, (x, y) in enumerate(zip(xs, ys)):
                hidden = encoder(x)
                hidden = hidden if groups[0] == groups[1] else ToDevice(groups[1][slot])(hidden)
                losses.append(loss_fn(classifier(hidden), y))
        autograd.backward(losses)
        for trainer in trainers:
            trainer.step(BATCH)
    loss = sum(float(part.sum().asscalar()) for part in losses) / BATCH
    return encoder, classifier, loss


def main():
    encoder, classifier = build()
    initial = {}
    for block in (encoder, classifier):
        block.initialize(mx.init.Xavier())
        for name, param in block.collect_params().items():
            initial[name] = param.data().asnumpy()
    print(f"engine: {mx.engine.get_engine().name}")
    parallel = train([ENCODER, CLASSIFIER], initial)
    single = train([[mx.cpu(0)], [mx.cpu(0)]], initial)
    print(f"final loss: hybrid parallel {parallel[2]:.4f}, one device {single[2]:.4f}")
    worst = 0.0
    for mine, reference in zip(parallel[:2], single[:2]):
        for (name, param), ref in zip(
            mine.collect_params().items(), reference.collect_params().values()
        ):
            copies = [c.asnumpy() for c in param.list_data()]
            worst = max(worst, *(float(np.abs(c - ref.data().asnumpy()).max()) for c in copies))
            print(f"{name:28s} on {param.list_ctx()}")
    print(f"largest weight difference from one device: {worst:.2e}")
    assert worst < 1e-4, "hybrid-parallel training diverged from one device"


if __name__ == "__main__":
    main()
