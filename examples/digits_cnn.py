"""Train a hybridized LeNet-style CNN on scikit-learn's handwritten digits, end to end.

This is neomx's main job (``make demo`` runs it). The data are the 1,797 8x8 grey-scale digit
images that ship with scikit-learn, split 80/20 into train and test sets, the same way on every
run. The script

1. trains a small LeNet (two convolution + BatchNorm + pooling stages, two dense layers):
   ``hybridize()``, ``autograd.record()``, ``backward()``, ``Trainer.step()``, with a progress
   bar per epoch showing the loss, the accuracy and the samples per second;
2. prints the test accuracy (and, with ``--require-accuracy``, fails below it);
3. exports the trained network (``digits_lenet-symbol.json`` + ``digits_lenet-NNNN.params``,
   the files MXNet 1.x writes), reloads them with ``SymbolBlock.imports`` and checks that the
   reloaded model predicts exactly what the trained one does;
4. draws the training curves to ``training_curves.png``.

Run it from the repository root::

    python examples/digits_cnn.py [--epochs 15] [--out demo_output]
    python examples/digits_cnn.py --epochs 1        # a few seconds: the smoke test's setting

It needs the ``demo`` extra (scikit-learn, tqdm, matplotlib): ``pip install -e '.[demo]'``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import neomx as mx
from neomx import autograd, gluon
from neomx.gluon import nn

MODEL_NAME = "digits_lenet"
TEST_FRACTION = 0.2
SPLIT_SEED = 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=15, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.003, help="Adam's initial learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and shuffling")
    parser.add_argument("--out", default="demo_output", help="folder for the model and plot")
    parser.add_argument(
        "--require-accuracy",
        type=float,
        metavar="FRACTION",
        help="exit with status 1 when the test accuracy is below this (e.g. 0.97)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def require(module, package):
    """Import ``module``, or exit with one line naming the extra that provides it."""
    try:
        return __import__(module)
    except ImportError:
        sys.exit(f"digits_cnn: needs {package}; install the demo extra: pip install -e '.[demo]'")


def load_digits():
    """(train_x, train_y, test_x, test_y): images as float32 (N, 1, 8, 8) in [0, 1]."""
    require("sklearn", "scikit-learn")
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # pixel values are 0..16
    labels = digits.target.astype(np.float32)
    # Stratified with a fixed seed: every run trains and tests on the same images.
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=labels
    )
    return train_x, train_y, test_x, test_y


def lenet(classes=10):
    """LeNet for 8x8 inputs: two (conv 3x3, BatchNorm, relu, max-pool) stages, two dense layers."""
    net = nn.HybridSequential(prefix="lenet_")
    with net.name_scope():
        net.add(
            nn.Conv2D(16, kernel_size=3, padding=1),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.MaxPool2D(pool_size=2),
            nn.Conv2D(32, kernel_size=3, padding=1),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.MaxPool2D(pool_size=2),
            nn.Flatten(),
            nn.Dense(64, activation="relu"),
            nn.Dense(classes),
        )
    return net


def predict(net, images, batch_size=512):
    """The network's outputs (logits) for ``images``, as one NumPy array."""
    outputs = [
        net(mx.nd.array(images[i : i + batch_size])).asnumpy()
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs)


def train(net, data, args):
    """Train ``net``; return the history: per-epoch train loss/accuracy and test accuracy."""
    tqdm = require("tqdm", "tqdm").tqdm
    train_x, train_y, test_x, test_y = data
    dataset = gluon.data.ArrayDataset(train_x, train_y)
    loader = gluon.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True)
    steps = args.epochs * len(loader)
    schedule = mx.lr_scheduler.CosineScheduler(
        max_update=max(steps, 1), base_lr=args.lr, final_lr=args.lr / 300
    )
    trainer = gluon.Trainer(
        net.collect_params(), "adam", {"learning_rate": args.lr, "lr_scheduler": schedule}
    )
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(1, args.epochs + 1):
        total_loss = correct = seen = 0.0
        start = time.perf_counter()
        with tqdm(
            total=len(dataset),
            desc=f"epoch {epoch:2d}/{args.epochs}",
            unit="img",
            disable=args.no_progress,
            file=sys.stdout,
            leave=True,
            dynamic_ncols=True,
        ) as bar:
            for x, y in loader:
                with autograd.record():
                    out = net(x)
                    loss = loss_fn(out, y)
                loss.backward()
                trainer.step(x.shape[0])
                total_loss += loss.sum().asscalar()
                correct += (out.argmax(axis=1) == y).sum().asscalar()
                seen += x.shape[0]
                rate = seen / (time.perf_counter() - start)
                bar.set_postfix_str(
                    f"loss={total_loss / seen:.4f} acc={correct / seen:.4f} {rate:,.0f} samples/s"
                )
                bar.update(x.shape[0])
        test_acc = float((predict(net, test_x).argmax(axis=1) == test_y).mean())
        history["train_loss"].append(total_loss / seen)
        history["train_acc"].append(correct / seen)
        history["test_acc"].append(test_acc)
        if args.no_progress:
            print(
                f"epoch {epoch}: loss {total_loss / seen:.4f}, train accuracy {correct / seen:.4f}"
            )
        print(f"epoch {epoch:2d}/{args.epochs}: test accuracy {test_acc:.4f}")
    return history


def export_and_reload(net, test_x, out, epoch):
    """Export ``net``, load it back with SymbolBlock.imports, compare their predictions.

    Returns (the files written, whether the predicted classes all agree, max |logit diff|).
    """
    prefix = os.path.join(out, MODEL_NAME)
    symbol_file, params_file = net.export(prefix, epoch=epoch)
    reloaded = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file)
    ours, theirs = predict(net, test_x), predict(reloaded, test_x)
    agree = bool((ours.argmax(axis=1) == theirs.argmax(axis=1)).all())
    return (symbol_file, params_file), agree, float(np.abs(ours - theirs).max())


def plot_curves(history, path):
    """Draw the loss and the accuracies per epoch to the PNG file ``path``."""
    matplotlib = require("matplotlib", "matplotlib")
    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot as plt

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history["train_loss"], marker="o")
    left.set(title="training loss", xlabel="epoch", ylabel="softmax cross-entropy")
    right.plot(epochs, history["train_acc"], marker="o", label="train")
    right.plot(epochs, history["test_acc"], marker="s", label="test")
    right.set(title="accuracy", xlabel="epoch", ylabel="fraction correct")
    right.legend()
    for axes in (left, right):
        axes.grid(alpha=0.3)
    figure.suptitle("neomx: hybridized LeNet on scikit-learn digits")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    mx.random.seed(args.seed)
    np.random.seed(args.seed)  # the DataLoader shuffles with numpy.random

    data = load_digits()
    print(f"digits: {len(data[0])} training and {len(data[2])} test images of 8x8 pixels")
    net = lenet()
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True)  # traced once into a graph run by a cached executor

    history = train(net, data, args)
    accuracy = history["test_acc"][-1]
    print(f"test accuracy: {accuracy:.2%} ({len(data[2])} images)")

    files, agree, diff = export_and_reload(net, data[2], args.out, args.epochs)
    print(f"exported {files[0]} and {files[1]}")
    verdict = "agree" if agree else "DISAGREE"
    print(f"reloaded with SymbolBlock.imports: predictions {verdict} (max |logit diff| {diff:.2g})")

    plot = os.path.join(args.out, "training_curves.png")
    plot_curves(history, plot)
    print(f"training curves: {plot}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    print(f"next: neomx summary {os.path.join(args.out, MODEL_NAME)} --shape 1,1,8,8")

    if not agree:
        return 1
    if args.require_accuracy is not None and accuracy < args.require_accuracy:
        print(f"test accuracy {accuracy:.2%} is below the required {args.require_accuracy:.2%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
