"""Train an MLP with the symbolic Module API on CPU (the seed's first code sample, corrected).

The seed handed a Symbol to a Gluon Trainer; symbolic networks are trained with
``mx.mod.Module`` instead. The data are scikit-learn's handwritten digits when scikit-learn
is installed, else a synthetic separable problem of the same shape.

    python examples/seed_symbolic.py [--epochs 10] [--synthetic]
"""

from __future__ import annotations

import argparse
import logging

import numpy as np

import neomx as mx


def load_data(synthetic):
    """(train_x, train_y, test_x, test_y): 64 features, 10 classes."""
    if not synthetic:
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            synthetic = True
    if synthetic:
        rng = np.random.RandomState(0)
        centres = rng.randn(10, 64) * 3
        labels = rng.randint(0, 10, 1797)
        # Scaled to unit size like the digits' pixels: SGD at this learning rate stays stable.
        features = (centres[labels] + rng.randn(1797, 64)) / 3
    else:
        digits = load_digits()
        features, labels = digits.data / 16.0, digits.target
    order = np.random.RandomState(42).permutation(len(labels))
    features, labels = features[order].astype(np.float32), labels[order].astype(np.float32)
    split = int(0.8 * len(labels))
    return features[:split], labels[:split], features[split:], labels[split:]


def mlp():
    """data -> 128 relu -> 64 relu -> 10 softmax."""
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.FullyConnected(net, num_hidden=64, name="fc2")
    net = mx.sym.Activation(net, act_type="relu", name="relu2")
    net = mx.sym.FullyConnected(net, num_hidden=10, name="fc3")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--synthetic", action="store_true", help="do not use scikit-learn")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    mx.random.seed(0)
    np.random.seed(0)  # NDArrayIter shuffles with NumPy's global generator, as MXNet's does
    train_x, train_y, test_x, test_y = load_data(args.synthetic)
    train = mx.io.NDArrayIter(train_x, train_y, args.batch_size, shuffle=True)
    test = mx.io.NDArrayIter(test_x, test_y, args.batch_size)
    mod = mx.mod.Module(mlp(), context=mx.cpu())
    mod.fit(
        train,
        eval_data=test,
        num_epoch=args.epochs,
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.1, "momentum": 0.9},
        initializer=mx.init.Xavier(),
        batch_end_callback=mx.callback.Speedometer(args.batch_size, 20),
    )
    accuracy = dict(mod.score(test, "acc"))["accuracy"]
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
