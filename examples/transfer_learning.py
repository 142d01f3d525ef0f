"""Transfer learning from a saved model: reuse a trained network's features for a new task.

The recipe MXNet users know: load a checkpoint with ``SymbolBlock.imports``, cut the graph at
an inner layer (``symbol.get_internals()``), wrap that as a new ``SymbolBlock`` sharing the
trained parameters, freeze them (``grad_req = 'null'``) and train only a new output layer.

Source task: the digits 0-4 of scikit-learn's digits. Target task: the digits 5-9, with only
``--shots`` labelled images per class. The script trains (or, with ``--source PREFIX``, loads)
the source model, then reports the accuracy on the target test images of

* a new Dense head on the frozen features of the source model (only the head trains),
* the source model fine-tuned with a new head (everything trains, from the source weights),
* the same LeNet trained from scratch on the same few images.

On data this small and this simple the three end up close (fine-tuning and scratch at about
93% with 10 shots, the frozen head lower: features learnt on 0-4 only partly describe 5-9);
the point here is the mechanics, which carry over unchanged to a model-zoo network.

    python examples/transfer_learning.py [--shots 10]
    python examples/transfer_learning.py --source demo_output/digits_lenet   # after make demo
    python examples/transfer_learning.py --source-epochs 1 --epochs 1       # a quick run
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import neomx as mx
from neomx import autograd, gluon
from neomx.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_cnn import lenet, load_digits, predict  # noqa: E402


def fit(net, x, y, epochs, lr, batch_size=32, params=None):
    """Train ``params`` (default: all of ``net``'s) on (x, y) with Adam."""
    trainer = gluon.Trainer(params or net.collect_params(), "adam", {"learning_rate": lr})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            data, label = mx.nd.array(x[index]), mx.nd.array(y[index])
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(len(index))


def accuracy(net, x, y):
    return float((predict(net, x).argmax(axis=1) == y).mean())


def source_model(args, data):
    """The checkpoint prefix of a model trained on the digits 0-4 (trained here unless given)."""
    if args.source:
        return args.source
    train_x, train_y, test_x, test_y = data
    keep = train_y < 5
    net = lenet(classes=5)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    fit(net, train_x[keep], train_y[keep], args.source_epochs, lr=0.003)
    held_out = test_y < 5
    source_accuracy = accuracy(net, test_x[held_out], test_y[held_out])
    print(f"source model (digits 0-4): test accuracy {source_accuracy:.4f}")
    prefix = os.path.join(args.out, "source_lenet")
    os.makedirs(args.out, exist_ok=True)
    net.export(prefix, epoch=args.source_epochs)
    return f"{prefix}-{args.source_epochs:04d}"


def feature_extractor(checkpoint, layer=None, frozen=True):
    """A SymbolBlock computing an inner layer of the saved model, with its trained weights.

    ``layer`` names an output of ``symbol.get_internals()``; by default the input of the last
    layer (for a classifier: the features its output layer reads).
    """
    prefix, epoch = checkpoint.rsplit("-", 1)
    model = gluon.SymbolBlock.imports(
        f"{prefix}-symbol.json", ["data"], f"{prefix}-{int(epoch):04d}.params"
    )
    symbol = mx.sym.load(f"{prefix}-symbol.json")
    internals = symbol.get_internals()
    outputs = [name for name in internals.list_outputs() if name.endswith("_output")]
    if layer is None:
        layer = outputs[-2]  # the last output is the model's own; the one before feeds it
    features = gluon.SymbolBlock(
        internals[layer], mx.sym.var("data"), params=model.collect_params()
    )
    if frozen:
        print(f"features: {layer} of {prefix}-symbol.json")
        for param in features.collect_params().values():
            param.grad_req = "null"  # only the new head learns
    return features


def with_new_head(features, classes):
    """``features`` followed by a new, initialised Dense output layer; returns (net, head)."""
    head = nn.Dense(classes)
    head.initialize(mx.init.Xavier())
    net = nn.HybridSequential()
    net.add(features, head)
    net.hybridize()
    return net, head


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", help="checkpoint PREFIX-EPOCH or PREFIX of a trained model")
    parser.add_argument("--layer", help="inner output to take the features from")
    parser.add_argument("--source-epochs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=40, help="epochs on the few target images")
    parser.add_argument("--shots", type=int, default=10, help="labelled images per new class")
    parser.add_argument("--out", default="transfer_output")
    args = parser.parse_args(argv)
    mx.random.seed(0)
    data = load_digits()
    train_x, train_y, test_x, test_y = data

    checkpoint = source_model(args, data)
    if "-" not in os.path.basename(checkpoint) or not checkpoint.rsplit("-", 1)[1].isdigit():
        checkpoint = f"{checkpoint}-0000"  # PREFIX alone: MXNet's default epoch

    # The target task: digits 5-9 relabelled 0-4, a few images each.
    rng = np.random.default_rng(0)
    shots = np.concatenate(
        [
            rng.choice(np.flatnonzero(train_y == digit), args.shots, replace=False)
            for digit in range(5, 10)
        ]
    )
    few_x, few_y = train_x[shots], train_y[shots] - 5
    target = test_y >= 5
    target_x, target_y = test_x[target], test_y[target] - 5
    print(f"target task: digits 5-9, {len(few_x)} training images, {len(target_x)} test images")

    # 1. Frozen features, new head: only the head's weights are trained.
    net, head = with_new_head(feature_extractor(checkpoint, args.layer), 5)
    fit(net, few_x, few_y, args.epochs, lr=0.01, params=head.collect_params())
    frozen = accuracy(net, target_x, target_y)

    # 2. Fine-tuning: start from the source weights, train everything (gently).
    net, _ = with_new_head(feature_extractor(checkpoint, args.layer, frozen=False), 5)
    fit(net, few_x, few_y, args.epochs, lr=0.001)
    fine_tuned = accuracy(net, target_x, target_y)

    # 3. The baseline: the same LeNet from scratch on the same few images.
    scratch = lenet(classes=5)
    scratch.initialize(mx.init.Xavier())
    scratch.hybridize()
    fit(scratch, few_x, few_y, args.epochs, lr=0.003)
    baseline = accuracy(scratch, target_x, target_y)

    print(f"new head on frozen features: test accuracy {frozen:.4f}")
    print(f"fine-tuned source model:     test accuracy {fine_tuned:.4f}")
    print(f"same LeNet from scratch:     test accuracy {baseline:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
