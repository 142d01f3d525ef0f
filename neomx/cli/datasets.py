"""The image-classification datasets ``neomx train`` knows, as Gluon datasets.

Every dataset yields (CHW float32 image in [0, 1], label) samples, so any model sees the same
kind of input whatever the source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .common import CLIError, require

# Same split as examples/digits_cnn.py: stratified 80/20, fixed seed.
DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0


@dataclass
class ImageData:
    """A train/test pair of datasets of (image, label) with image shape ``shape`` (C, H, W)."""

    train: object
    test: object
    shape: tuple
    classes: int


def digits(limit=None):
    """scikit-learn's 1,797 8x8 handwritten digits (installed, nothing to download)."""
    from .. import gluon

    require("sklearn", "demo", "scikit-learn")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)[:, None]
    labels = data.target.astype(np.float32)
    train_x, test_x, train_y, test_y = train_test_split(
        images,
        labels,
        test_size=DIGITS_TEST_FRACTION,
        random_state=DIGITS_SPLIT_SEED,
        stratify=labels,
    )
    if limit:
        train_x, train_y, test_x, test_y = (a[:limit] for a in (train_x, train_y, test_x, test_y))
    return ImageData(
        gluon.data.ArrayDataset(train_x, train_y),
        gluon.data.ArrayDataset(test_x, test_y),
        (1, 8, 8),
        10,
    )


def _vision(name, data_dir, limit):
    """MNIST, Fashion-MNIST or CIFAR-10 read from ``data_dir`` by gluon.data.vision."""
    from .. import gluon
    from ..gluon.data.vision import transforms

    classes = {
        "mnist": gluon.data.vision.MNIST,
        "fashion-mnist": gluon.data.vision.FashionMNIST,
        "cifar10": gluon.data.vision.CIFAR10,
    }[name]
    if data_dir is not None and not os.path.isdir(data_dir):
        raise CLIError(f"--data-dir {data_dir}: no such folder")
    splits = [classes(root=data_dir, train=train) for train in (True, False)]
    if limit:
        splits = [
            gluon.data.SimpleDataset([d[i] for i in range(min(limit, len(d)))]) for d in splits
        ]
    to_tensor = transforms.ToTensor()  # HWC uint8 -> CHW float32 in [0, 1]
    train, test = (split.transform_first(to_tensor) for split in splits)
    shape = tuple(train[0][0].shape)
    return ImageData(train, test, shape, 10)


DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")


def load(name, data_dir=None, limit=None):
    """The ImageData of the dataset ``name`` (one of DATASETS)."""
    if name == "digits":
        return digits(limit)
    if name in DATASETS:
        return _vision(name, data_dir, limit)
    raise CLIError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
