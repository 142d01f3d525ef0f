"""Data-parallel training of a symbolic MLP over a list of devices (the seed's second code
sample, corrected to use ``mx.mod.Module``).

Each batch is split across the contexts; every device runs its slice and the KVStore sums the
gradients before one update, so the result equals training on one device. Without GPUs the
script uses ``cpu(0)`` and ``cpu(1)``, which neomx treats as distinct devices.

    python examples/seed_multi_device.py [--epochs 5] [--kvstore local]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import numpy as np

import neomx as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_symbolic import load_data, mlp  # noqa: E402


def contexts():
    """Two GPUs when present, else two CPU devices."""
    if mx.num_gpus() >= 2:
        return [mx.gpu(0), mx.gpu(1)]
    return [mx.cpu(0), mx.cpu(1)]


def train(ctx, args, data):
    train_x, train_y, test_x, test_y = data
    mx.random.seed(0)
    mod = mx.mod.Module(mlp(), context=ctx)
    mod.fit(
        mx.io.NDArrayIter(train_x, train_y, args.batch_size),
        num_epoch=args.epochs,
        kvstore=args.kvstore,
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.1, "momentum": 0.9},
        initializer=mx.init.Xavier(),
    )
    accuracy = dict(mod.score(mx.io.NDArrayIter(test_x, test_y, args.batch_size), "acc"))
    return mod, accuracy["accuracy"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--kvstore", default="local")
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = load_data(args.synthetic)
    ctx = contexts()
    parallel, accuracy = train(ctx, args, data)
    print(f"{len(ctx)} devices {ctx}: test accuracy {accuracy:.4f}")
    single, single_accuracy = train(ctx[0], args, data)
    print(f"1 device {ctx[0]}: test accuracy {single_accuracy:.4f}")
    gap = max(
        float(
            np.abs(
                parallel.get_params()[0][name].asnumpy() - single.get_params()[0][name].asnumpy()
            ).max()
        )
        for name in single.get_params()[0]
    )
    print(f"largest parameter difference between the two runs: {gap:.2e}")
    return accuracy, gap


if __name__ == "__main__":
    main()
