"""The Module API step by step: bind, init, forward/backward/update, a monitor, checkpoints.

python examples/module_mlp.py [--epochs 3] [--out module_output]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import neomx as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_symbolic import load_data, mlp  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="module_output")
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.makedirs(args.out, exist_ok=True)
    train_x, train_y, test_x, test_y = load_data(args.synthetic)
    train = mx.io.NDArrayIter(train_x, train_y, 50, shuffle=True)
    mod = mx.mod.Module(mlp())
    mod.bind(data_shapes=train.provide_data, label_shapes=train.provide_label)
    mod.init_params(initializer=mx.init.Xavier())
    mod.init_optimizer(optimizer="adam", optimizer_params={"learning_rate": 0.01})
    metric = mx.metric.create("acc")
    monitor = mx.monitor.Monitor(interval=20, pattern="fc3_.*")
    mod.install_monitor(monitor)
    for epoch in range(args.epochs):
        train.reset()
        metric.reset()
        for batch in train:
            monitor.tic()
            mod.forward(batch, is_train=True)
            mod.backward()
            mod.update()
            mod.update_metric(metric, batch.label)
            monitor.toc_print()
        print(f"epoch {epoch}: train {metric.get()}")
    prefix = os.path.join(args.out, "mlp")
    mod.save_checkpoint(prefix, args.epochs)
    loaded = mx.mod.Module.load(prefix, args.epochs)
    test = mx.io.NDArrayIter(test_x, test_y, 50)
    loaded.bind(data_shapes=test.provide_data, label_shapes=test.provide_label, for_training=False)
    accuracy = dict(loaded.score(test, "acc"))["accuracy"]
    print(f"reloaded checkpoint: test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
