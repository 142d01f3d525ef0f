"""``MNISTIter``: batches from the MNIST IDX files (``train-images-idx3-ubyte`` and friends,
optionally gzipped)."""

from __future__ import annotations

import gzip
import struct

import numpy as np

from ..base import MXNetValueError
from ..context import cpu
from ..ndarray import array
from .io_base import DataBatch, DataDesc, PreparedBatchIter

__all__ = ["MNISTIter", "read_idx"]

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (big-endian header: 0, 0, type code, ndim; then ndim u32 sizes)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise MXNetValueError(f"MNISTIter: {path!r} is not an IDX file (bad magic)")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(dims))
    body = raw[4 + 4 * ndim :]
    if len(body) < count * dtype.itemsize:
        raise MXNetValueError(f"MNISTIter: {path!r} is truncated: needs {dims} of {dtype}")
    return np.frombuffer(body, dtype, count).reshape(dims)


class MNISTIter(PreparedBatchIter):
    """Iterate over MNIST images and labels stored as IDX files.

    Images come as float32 in [0, 1) (pixel / 256, as MXNet scales them), shaped
    (batch, 1, 28, 28), or (batch, 784) with ``flat=True``. An incomplete last batch is
    dropped. ``shuffle`` permutes the examples once, with a generator seeded by ``seed``;
    ``num_parts``/``part_index`` read one contiguous part (distributed training).

    Examples
    --------
    >>> it = mx.io.MNISTIter(image='train-images-idx3-ubyte',
    ...                      label='train-labels-idx1-ubyte', batch_size=64)  # doctest: +SKIP
    """

    def __init__(
        self,
        image="./train-images-idx3-ubyte",
        label="./train-labels-idx1-ubyte",
        batch_size=128,
        shuffle=True,
        flat=False,
        seed=0,
        silent=False,
        num_parts=1,
        part_index=0,
        prefetch_buffer=4,
        dtype=None,
        data_name="data",
        label_name="softmax_label",
        **kwargs,
    ):
        super().__init__(batch_size)
        images = read_idx(image)
        labels = read_idx(label)
        if len(images) != len(labels):
            raise MXNetValueError(
                f"MNISTIter: {image!r} has {len(images)} images but {label!r} has "
                f"{len(labels)} labels"
            )
        part = np.array_split(np.arange(len(images)), num_parts)[part_index]
        images, labels = images[part], labels[part]
        order = np.arange(len(images))
        if shuffle:
            np.random.RandomState(seed).shuffle(order)
        self._order = order
        height, width = images.shape[1:3]
        shape = (height * width,) if flat else (1, height, width)
        self._images = (images.astype(np.float32) / 256.0).reshape((len(images),) + shape)
        self._labels = labels.astype(np.float32)
        self.provide_data = [DataDesc(data_name, (batch_size,) + shape)]
        self.provide_label = [DataDesc(label_name, (batch_size,))]
        self._cursor = 0
        self._batch = None

    def reset(self):
        self._cursor = 0

    def iter_next(self):
        end = self._cursor + self.batch_size
        if end > len(self._order):
            return False
        index = self._order[self._cursor : end]
        self._cursor = end
        self._batch = DataBatch(
            [array(self._images[index], ctx=cpu())],
            [array(self._labels[index], ctx=cpu())],
            pad=0,
            index=index.astype(np.uint64),
        )
        return True

    def getpad(self):
        return 0
