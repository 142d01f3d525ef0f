"""``neomx train``: train an image classifier with Gluon, on one device or several.

    neomx train --model lenet --dataset digits --epochs 10 --hybridize --save runs/lenet
    neomx train --model resnet18_v1 --dataset cifar10 --data-dir ~/data/cifar10 \\
        --ctx "cpu(0),cpu(1)" --kvstore device --save runs/resnet
    neomx train --resume runs/lenet-0010 --epochs 15      # five more epochs

Each epoch writes the checkpoint PREFIX-symbol.json + PREFIX-NNNN.params (what MXNet's
``export`` writes, loadable by ``SymbolBlock.imports`` and MXNet itself) and the Trainer's
state PREFIX-NNNN.states.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from .common import CLIError, load_model, parse_contexts, save_model
from .datasets import DATASETS
from .datasets import load as load_dataset

HELP = "train an image classifier (LeNet, an MLP or a model-zoo network) with Gluon"
OWN_MODELS = ("lenet", "mlp")
CLASSES = 10  # every dataset of datasets.DATASETS has ten


def add_arguments(parser):
    parser.add_argument(
        "--model",
        default="lenet",
        help="lenet, mlp or a gluon.model_zoo.vision name such as resnet18_v1 (default lenet)",
    )
    parser.add_argument("--dataset", default="digits", choices=DATASETS)
    parser.add_argument(
        "--data-dir", help="folder of the dataset's files (MNIST's *-ubyte.gz, CIFAR-10's .bin)"
    )
    parser.add_argument("--epochs", type=int, default=10, help="train up to this epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.001, help="learning rate")
    parser.add_argument("--optimizer", default="adam", help="any mx.optimizer name (adam)")
    parser.add_argument("--ctx", default="cpu(0)", help="devices, e.g. 'cpu(0),cpu(1)'")
    parser.add_argument("--kvstore", default="device", help="gradient reduction: device, local")
    parser.add_argument("--hybridize", action="store_true", help="run as a cached graph")
    parser.add_argument("--save", metavar="PREFIX", help="write PREFIX-NNNN checkpoints")
    parser.add_argument(
        "--resume", metavar="PREFIX-EPOCH", help="continue from a checkpoint, e.g. runs/lenet-0003"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="use only this many samples of each split")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


# ---- the model ------------------------------------------------------------------------------


def build_model(name, classes):
    """A fresh, uninitialised network called ``name``."""
    from ..gluon import nn
    from ..gluon.model_zoo import vision

    if name == "lenet":
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
    if name == "mlp":
        net = nn.HybridSequential(prefix="mlp_")
        with net.name_scope():
            net.add(nn.Dense(128, activation="relu"), nn.Dense(64, activation="relu"))
            net.add(nn.Dense(classes))
        return net
    try:
        return vision.get_model(name, classes=classes)
    except ValueError as err:
        zoo = sorted(getattr(vision, "_models", {}))
        raise CLIError(
            f"unknown model {name!r}; choose {', '.join(OWN_MODELS)} or a model-zoo name"
            + (f" ({', '.join(zoo)})" if zoo else "")
        ) from err


# ---- training -------------------------------------------------------------------------------


def _progress(args, total, description):
    """A tqdm bar when tqdm is installed and wanted, else None."""
    if args.no_progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=description, unit="img", leave=True, file=sys.stderr)


def evaluate(net, dataset, batch_size, ctx):
    """Accuracy of ``net`` on ``dataset``."""
    from .. import gluon

    correct = seen = 0
    for x, y in gluon.data.DataLoader(dataset, batch_size=batch_size):
        predicted = net(x.as_in_context(ctx)).argmax(axis=1).asnumpy()
        correct += int((predicted == y.asnumpy()).sum())
        seen += len(predicted)
    return correct / max(seen, 1)


def train_epoch(net, loader, trainer, contexts, bar):
    """One pass over ``loader``; returns (mean loss, accuracy, samples)."""
    from .. import autograd, gluon

    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    total_loss = correct = seen = 0.0
    start = time.perf_counter()
    for x, y in loader:
        xs = gluon.utils.split_and_load(x, contexts, even_split=False)
        ys = gluon.utils.split_and_load(y, contexts, even_split=False)
        with autograd.record():
            outputs = [net(xi) for xi in xs]
            losses = [loss_fn(out, yi) for out, yi in zip(outputs, ys)]
        autograd.backward(losses)
        trainer.step(x.shape[0])
        for out, yi, loss in zip(outputs, ys, losses):
            total_loss += float(loss.sum().asscalar())
            predicted = out.argmax(axis=1).asnumpy()
            correct += float((predicted == yi.asnumpy()).sum())
        seen += x.shape[0]
        if bar is not None:
            rate = seen / (time.perf_counter() - start)
            bar.set_postfix_str(
                f"loss={total_loss / seen:.4f} acc={correct / seen:.4f} {rate:,.0f} samples/s"
            )
            bar.update(x.shape[0])
    return total_loss / max(seen, 1), correct / max(seen, 1), int(seen)


def _checkpoint_prefix(args):
    if args.resume:
        prefix, dash, epoch = args.resume.rpartition("-")
        if not dash or not epoch.isdigit():
            raise CLIError(
                f"bad --resume {args.resume!r}: write PREFIX-EPOCH, e.g. runs/lenet-0003"
            )
        return prefix, int(epoch)
    return None, 0


def run(args):
    from .. import gluon, init, random

    contexts = parse_contexts(args.ctx)
    if args.epochs < 1 or args.batch_size < 1:
        raise CLIError("--epochs and --batch-size must be at least 1")
    resume_prefix, start_epoch = _checkpoint_prefix(args)
    save_prefix = args.save or resume_prefix
    random.seed(args.seed)
    np.random.seed(args.seed)  # the DataLoader shuffles with numpy.random

    # The model first: a bad name fails before the data are read.
    if resume_prefix:
        net = load_model(f"{resume_prefix}-{start_epoch:04d}", ctx=contexts)[0]
        what = f"resumed from {resume_prefix}-{start_epoch:04d}"
    else:
        net = build_model(args.model, CLASSES)
        net.initialize(init.Xavier(), ctx=contexts)
        what = f"model {args.model}"
    data = load_dataset(args.dataset, args.data_dir, args.limit)
    if args.hybridize:
        net.hybridize(static_alloc=True)
    try:
        trainer = gluon.Trainer(
            net.collect_params(),
            args.optimizer,
            {"learning_rate": args.lr},
            kvstore=args.kvstore,
        )
    except (KeyError, ValueError) as err:  # an unknown optimizer or kvstore name
        raise CLIError(f"cannot create the Trainer: {err}") from err
    states = f"{resume_prefix}-{start_epoch:04d}.states" if resume_prefix else None
    if states and os.path.isfile(states):
        trainer.load_states(states)

    loader = gluon.data.DataLoader(
        data.train, batch_size=args.batch_size, shuffle=True, last_batch="keep"
    )
    devices = ",".join(str(c) for c in contexts)
    print(
        f"{what}, dataset {args.dataset} ({len(data.train)} train / {len(data.test)} test, "
        f"input {data.shape}), on {devices}, {args.optimizer} lr {args.lr}"
        + (", hybridized" if args.hybridize else "")
    )
    if start_epoch >= args.epochs:
        print(f"nothing to do: the checkpoint is at epoch {start_epoch} >= --epochs {args.epochs}")
    for epoch in range(start_epoch + 1, args.epochs + 1):
        started = time.perf_counter()
        bar = _progress(args, len(data.train), f"epoch {epoch}/{args.epochs}")
        try:
            loss, accuracy, seen = train_epoch(net, loader, trainer, contexts, bar)
        finally:
            if bar is not None:
                bar.close()
        seconds = time.perf_counter() - started
        test_accuracy = evaluate(net, data.test, args.batch_size, contexts[0])
        print(
            f"epoch {epoch}/{args.epochs}: loss {loss:.4f}, train accuracy {accuracy:.4f}, "
            f"test accuracy {test_accuracy:.4f} ({seen / seconds:,.0f} samples/s)"
        )
        if save_prefix:
            _, params_file = save_model(net, save_prefix, epoch, (1, *data.shape))
            trainer.save_states(f"{save_prefix}-{epoch:04d}.states")
            print(f"saved {save_prefix}-symbol.json and {params_file}")
    return 0
