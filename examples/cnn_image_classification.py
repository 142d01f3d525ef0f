"""Train a model-zoo CNN on scikit-learn's handwritten digits and print its accuracy.

The data (1797 grey 8x8 images of the digits 0-9) ships with scikit-learn, so this runs
offline in seconds to a few minutes on a laptop CPU::

    python examples/cnn_image_classification.py                      # a thin zoo ResNet
    python examples/cnn_image_classification.py --model cnn          # a plain small CNN
    python examples/cnn_image_classification.py --model mobilenetv2_0.25 --size 32 --epochs 15

``--model`` takes ``resnet`` (``vision.ResNetV1`` built from ``BasicBlockV1`` with the
thumbnail stem and three thin stages), ``cnn``, or any ``gluon.model_zoo.vision.get_model``
name (``resnet18_v1``, ``mobilenet0.25``, ...); ``--size`` upsamples the images (nearest
neighbour) for models that downsample a lot. examples/digits_cnn.py is the end-to-end LeNet
pipeline on the same data (export, reload, plots). Needs scikit-learn
(``pip install neomx[examples]``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import neomx as mx
from neomx import autograd, gluon
from neomx.gluon import nn
from neomx.gluon.model_zoo import vision


def load_digits(size, seed):
    """Return (train_x, train_y, test_x, test_y): images in NCHW float32, scaled to [0, 1]."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as err:
        raise SystemExit(
            "this example reads scikit-learn's digits: pip install scikit-learn "
            "(or neomx[examples])"
        ) from err
    digits = sklearn_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    if size != 8:
        if size % 8:
            raise SystemExit(f"--size must be a multiple of 8, got {size}")
        factor = size // 8
        images = images.repeat(factor, axis=2).repeat(factor, axis=3)
    labels = digits.target.astype(np.float32)
    order = np.random.RandomState(seed).permutation(len(labels))
    split = int(0.8 * len(labels))
    train, test = order[:split], order[split:]
    return images[train], labels[train], images[test], labels[test]


def small_cnn(classes):
    """Two conv-BN-ReLU pairs per resolution, max-pooling in between, global pooling, Dense."""
    net = nn.HybridSequential()
    with net.name_scope():
        for channels in (32, 64):
            for _ in range(2):
                net.add(nn.Conv2D(channels, kernel_size=3, padding=1, use_bias=False))
                net.add(nn.BatchNorm())
                net.add(nn.Activation("relu"))
            net.add(nn.MaxPool2D(pool_size=2))
        net.add(nn.GlobalAvgPool2D())
        net.add(nn.Dense(classes))
    return net


def build_model(name, classes):
    if name == "cnn":
        return small_cnn(classes)
    if name == "resnet":
        # A thin ResNet v1 from the zoo's building blocks: 3x3 stem, stages of 16/32/64 channels.
        return vision.ResNetV1(
            vision.BasicBlockV1, [1, 1, 1], [16, 16, 32, 64], classes=classes, thumbnail=True
        )
    return vision.get_model(name, classes=classes)


def evaluate(net, loader, ctx):
    metric = mx.metric.Accuracy()
    for data, label in loader:
        output = net(data.as_in_context(ctx))
        metric.update([label.as_in_context(ctx)], [output])
    return metric.get()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="resnet", help="resnet, cnn, or a zoo name")
    parser.add_argument("--size", type=int, default=8, help="image side after upsampling")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.002, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-hybridize", action="store_true")
    parser.add_argument("--gpu", action="store_true", help="train on gpu(0)")
    args = parser.parse_args()

    mx.random.seed(args.seed)
    np.random.seed(args.seed)
    ctx = mx.gpu(0) if args.gpu else mx.cpu()
    train_x, train_y, test_x, test_y = load_digits(args.size, args.seed)
    train_loader = gluon.data.DataLoader(
        gluon.data.ArrayDataset(train_x, train_y), batch_size=args.batch_size, shuffle=True
    )
    test_loader = gluon.data.DataLoader(
        gluon.data.ArrayDataset(test_x, test_y), batch_size=256, shuffle=False
    )
    print(f"digits: {len(train_y)} train / {len(test_y)} test images of {args.size}x{args.size}")

    net = build_model(args.model, classes=10)
    net.initialize(mx.init.Xavier(magnitude=2.0), ctx=ctx)
    if not args.no_hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": args.lr})

    start = time.time()
    for epoch in range(args.epochs):
        metric = mx.metric.Accuracy()
        total_loss, count = 0.0, 0
        for data, label in train_loader:
            data, label = data.as_in_context(ctx), label.as_in_context(ctx)
            with autograd.record():
                output = net(data)
                loss = loss_fn(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            total_loss += loss.sum().asscalar()
            count += data.shape[0]
            metric.update([label], [output])
        test_accuracy = evaluate(net, test_loader, ctx)
        print(
            f"epoch {epoch + 1:2d}: loss {total_loss / count:.4f}, train accuracy "
            f"{metric.get()[1]:.4f}, test accuracy {test_accuracy:.4f} "
            f"({time.time() - start:.1f} s)",
            flush=True,
        )
    print(f"final test accuracy: {evaluate(net, test_loader, ctx):.4f}")


if __name__ == "__main__":
    main()
