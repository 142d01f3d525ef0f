"""``mx.gluon.data``: datasets, samplers and the DataLoader (``vision`` holds image datasets
and transforms)."""

from __future__ import annotations

from . import batchify, dataloader, dataset, sampler
from .dataloader import DataLoader
from .dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset
from .sampler import (
    BatchSampler,
    FilterSampler,
    IntervalSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = [
    "Dataset",
    "SimpleDataset",
    "ArrayDataset",
    "RecordFileDataset",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "FilterSampler",
    "BatchSampler",
    "IntervalSampler",
    "DataLoader",
    "batchify",
    "dataloader",
    "dataset",
    "sampler",
    "vision",
]

# Last: the vision datasets build on the classes above.
from . import vision  # noqa: E402
