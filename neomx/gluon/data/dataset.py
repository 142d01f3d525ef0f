"""Datasets: indexable collections of samples, and the lazy views (transform, filter, shard,
take, sample) that ``Dataset`` methods build on them."""

from __future__ import annotations

import os

from ...base import MXNetTypeError, MXNetValueError
from ...ndarray import NDArray
from .sampler import FilterSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


class Dataset:
    """Base class of datasets: subclasses define ``__getitem__`` (the i-th sample) and
    ``__len__``.

    NumPy arrays, NDArrays and lists can be used directly as datasets too.
    """

    def __getitem__(self, idx):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def filter(self, fn) -> Dataset:
        """Return the dataset of the samples for which ``fn(sample)`` is true.

        ``fn`` runs on every sample now; the kept samples are read again (and transformed
        again, for a lazily transformed dataset) each time they are fetched.

        >>> list(mx.gluon.data.SimpleDataset([1, 2, 3, 4]).filter(lambda x: x % 2))
        [1, 3]
        """
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> Dataset:
        """Return the ``index``-th of ``num_shards`` contiguous parts of this dataset.

        The first ``len(self) % num_shards`` shards hold one sample more than the others.
        Shard before shuffling, so that each worker of a distributed job sees its own samples.

        >>> list(mx.gluon.data.SimpleDataset(list(range(10))).shard(3, 0))
        [0, 1, 2, 3]
        """
        if num_shards <= 0:
            raise MXNetValueError(f"Dataset.shard: num_shards must be positive, got {num_shards}")
        if not 0 <= index < num_shards:
            raise MXNetValueError(
                f"Dataset.shard: index {index} is out of range for {num_shards} shards"
            )
        base, rest = divmod(len(self), num_shards)
        start = base * index + min(index, rest)
        length = base + (index < rest)
        return _SampledDataset(self, SequentialSampler(length, start))

    def take(self, count: int | None) -> Dataset:
        """Return the dataset of the first ``count`` samples (all of them if ``count`` is
        None or larger than the dataset).

        >>> len(mx.gluon.data.SimpleDataset([1, 2, 3]).take(2))
        2
        """
        if count is None or count > len(self):
            count = len(self)
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler: Sampler) -> Dataset:
        """Return the dataset of the samples at the indices ``sampler`` yields.

        >>> sampler = mx.gluon.data.SequentialSampler(2, start=1)
        >>> list(mx.gluon.data.SimpleDataset([5, 6, 7]).sample(sampler))
        [6, 7]
        """
        if not isinstance(sampler, Sampler):
            raise MXNetTypeError(
                f"Dataset.sample: invalid sampler type {type(sampler).__name__}; expected a "
                "gluon.data.Sampler"
            )
        return _SampledDataset(self, sampler)

    def transform(self, fn, lazy: bool = True) -> Dataset:
        """Return the dataset of ``fn(sample)`` (``fn(*sample)`` for a tuple sample).

        With ``lazy`` (the default) ``fn`` runs each time a sample is fetched, which a random
        augmentation needs; otherwise it runs on every sample now, once.

        >>> list(mx.gluon.data.SimpleDataset([1, 2]).transform(lambda x: x * 10))
        [10, 20]
        """
        transformed = _LazyTransformDataset(self, fn)
        if lazy:
            return transformed
        return SimpleDataset([transformed[i] for i in range(len(transformed))])

    def transform_first(self, fn, lazy: bool = True) -> Dataset:
        """Return the dataset whose samples have ``fn`` applied to their first element only
        (the data, leaving the label as it is); see ``transform``.

        >>> data = mx.gluon.data.SimpleDataset([(1, 'a'), (2, 'b')])
        >>> list(data.transform_first(lambda x: x * 10))
        [(10, 'a'), (20, 'b')]
        """
        return self.transform(_TransformFirst(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset around any object that has ``len()`` and ``[]`` (a list, an array...).

    >>> mx.gluon.data.SimpleDataset([4, 5])[1]
    5
    """

    def __init__(self, data):
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class _LazyTransformDataset(Dataset):
    """``fn`` applied to each sample when it is fetched."""

    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirst:
    """``fn`` applied to the first element of a sample (a class, not a closure, so that it
    pickles)."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, first, *rest):
        if rest:
            return (self._fn(first), *rest)
        return self._fn(first)


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at the indices ``sampler`` yields (read once, now)."""

    def __init__(self, dataset, sampler):
        self._dataset = dataset
        self._sampler = sampler
        self._indices = list(sampler)

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, idx):
        return self._dataset[self._indices[idx]]


class ArrayDataset(Dataset):
    """A dataset that zips dataset-like objects (arrays, lists, datasets) of equal length.

    The i-th sample is ``(x1[i], x2[i], ...)``, or ``x1[i]`` for a single input. A 1-d NDArray
    is read as a NumPy array, so that its samples are NumPy scalars (as in MXNet).

    >>> data = mx.gluon.data.ArrayDataset([1, 2, 3], ['a', 'b', 'c'])
    >>> data[1]
    (2, 'b')
    """

    def __init__(self, *args):
        if not args:
            raise MXNetValueError("ArrayDataset: needs at least 1 array")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise MXNetValueError(
                    f"ArrayDataset: all arrays must have the same length; array[0] has length "
                    f"{self._length} while array[{i}] has {len(data)}"
                )
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx):
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length


class RecordFileDataset(Dataset):
    """A dataset of the raw records (``bytes``) of a RecordIO file and its ``.idx`` index.

    Parameters
    ----------
    filename : str
        Path of the ``.rec`` file; the index is the same path ending in ``.idx``.
    """

    def __init__(self, filename: str):
        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._open()

    def _open(self) -> None:
        from ... import recordio

        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")
        self._keys = list(self._record.keys)
        self._pid = os.getpid()

    def __getitem__(self, idx):
        # NOTE: a DataLoader worker forked from this process shares the file offset of the
        # inherited file; it reopens the file so that workers do not move each other's reads.
        if os.getpid() != self._pid:
            self._open()
        return self._record.read_idx(self._keys[idx])

    def __len__(self) -> int:
        return len(self._keys)

    def __getstate__(self):
        return {"idx_file": self.idx_file, "filename": self.filename}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._open()


class _DownloadedDataset(Dataset):
    """Base of the datasets that keep their files under ``root``: subclasses define
    ``_get_data`` to fill ``_data`` and ``_label``; ``transform(data, label)`` applies to each
    sample when it is fetched."""

    def __init__(self, root: str, transform):
        self._root = os.path.expanduser(root)
        self._transform = transform
        self._data = None
        self._label = None
        os.makedirs(self._root, exist_ok=True)
        self._get_data()

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self) -> int:
        return len(self._label)

    def _get_data(self):
        raise NotImplementedError
