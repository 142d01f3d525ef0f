"""Iterators over text files of examples: ``CSVIter`` and ``LibSVMIter``.

Both read the whole file up front (NumPy parses it) and batch like MXNet's C++ loaders:
with ``round_batch`` the last batch is completed with examples from the start and the next
epoch begins after them; without it, the padded tail of the last batch holds stale rows.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from ..context import cpu
from ..ndarray import array
from .io_base import DataBatch, DataDesc, PreparedBatchIter

__all__ = ["CSVIter", "LibSVMIter", "RowBatcher"]


def _shape(value, what):
    shape = (value,) if isinstance(value, int) else tuple(int(d) for d in value)
    if not shape or any(d <= 0 for d in shape):
        raise MXNetValueError(f"{what} must be a non-empty shape of positive sizes, got {value}")
    return shape


class RowBatcher(PreparedBatchIter):
    """Batch in-memory rows of data and label the way MXNet's C++ iterators do."""

    def __init__(
        self,
        data,
        label,
        data_shape,
        label_shape,
        batch_size,
        round_batch,
        data_name,
        label_name,
        dtype,
    ):
        super().__init__(batch_size)
        if batch_size <= 0:
            raise MXNetValueError(f"batch_size must be positive, got {batch_size}")
        self._data = data.reshape((len(data),) + data_shape)
        # A label of shape (1,) is delivered as one value per example, as in MXNet.
        self._label_shape = () if label_shape == (1,) else label_shape
        self._label = label.reshape((len(label),) + self._label_shape)
        self.round_batch = round_batch
        self.dtype = np.dtype(dtype)
        self._data_buffer = np.zeros((batch_size,) + data_shape, self.dtype)
        self._label_buffer = np.zeros((batch_size,) + self._label_shape, self.dtype)
        self.provide_data = [DataDesc(data_name, self._data_buffer.shape, self.dtype.type)]
        self.provide_label = [DataDesc(label_name, self._label_buffer.shape, self.dtype.type)]
        self._start = 0
        self._cursor = 0
        self._next_start = 0
        self._batch = None

    @property
    def num_examples(self):
        return len(self._data)

    def reset(self):
        self._start = self._next_start
        self._cursor = self._start

    def iter_next(self):
        count = len(self._data)
        if self._cursor >= count:
            return False
        end = min(self._cursor + self.batch_size, count)
        taken = end - self._cursor
        self._data_buffer[:taken] = self._data[self._cursor : end]
        self._label_buffer[:taken] = self._label[self._cursor : end]
        index = list(range(self._cursor, end))
        pad = self.batch_size - taken
        self._next_start = 0
        if pad and self.round_batch:
            wrapped = np.arange(pad) % count
            self._data_buffer[taken:] = self._data[wrapped]
            self._label_buffer[taken:] = self._label[wrapped]
            index += wrapped.tolist()
            self._next_start = pad % count
        self._cursor = end
        self._batch = DataBatch(
            [array(self._data_buffer, ctx=cpu(), dtype=self.dtype)],
            [array(self._label_buffer, ctx=cpu(), dtype=self.dtype)],
            pad=pad,
            index=np.array(index, dtype=np.uint64),
        )
        return True


def _read_csv(path, width, what):
    values = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    if values.shape[1] != width:
        raise MXNetValueError(
            f"CSVIter: {what} {path!r} has {values.shape[1]} columns per row; the shape asks "
            f"for {width}"
        )
    return values


class CSVIter(RowBatcher):
    """Iterate over a CSV file of examples, one row per example.

    Parameters
    ----------
    data_csv : str
        The data file; each row holds ``prod(data_shape)`` numbers.
    data_shape : tuple of int
        The shape of one example.
    label_csv : str, optional
        The label file; without it every label is 0.
    label_shape : tuple of int, default (1,)
        The shape of one label; (1,) gives labels of shape (batch_size,).
    batch_size : int
    round_batch : bool, default True
        Complete the last batch with examples from the start (``pad`` says how many).
    dtype : {'float32', 'int32', 'int64'}

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), 'd.csv')
    >>> _ = open(path, 'w').write('1,2\\n3,4\\n5,6\\n')
    >>> it = mx.io.CSVIter(data_csv=path, data_shape=(2,), batch_size=2)
    >>> [b.pad for b in it]
    [0, 1]
    """

    def __init__(
        self,
        data_csv,
        data_shape,
        label_csv=None,
        label_shape=(1,),
        batch_size=1,
        round_batch=True,
        prefetch_buffer=4,
        dtype="float32",
        data_name="data",
        label_name="softmax_label",
        **kwargs,
    ):
        data_shape, label_shape = (
            _shape(data_shape, "data_shape"),
            _shape(label_shape, "label_shape"),
        )
        data = _read_csv(data_csv, int(np.prod(data_shape)), "data_csv")
        if label_csv is None:
            label = np.zeros((len(data), int(np.prod(label_shape))))
        else:
            label = _read_csv(label_csv, int(np.prod(label_shape)), "label_csv")
            if len(label) != len(data):
                raise MXNetValueError(
                    f"CSVIter: {label_csv!r} has {len(label)} rows; {data_csv!r} has {len(data)}"
                )
        super().__init__(
            data,
            label,
            data_shape,
            label_shape,
            batch_size,
            round_batch,
            data_name,
            label_name,
            dtype,
        )


def _read_libsvm(path, width, what):
    """Rows of 'label[,label...] index:value ...' as (labels, dense data)."""
    labels, rows = [], []
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if not fields:
                continue
            start = 0 if ":" in fields[0] else 1
            labels.append([float(x) for x in fields[0].split(",")] if start else [])
            row = np.zeros(width)
            for field in fields[start:]:
                index, _, value = field.partition(":")
                position = int(index)
                if not 0 <= position < width:
                    raise MXNetValueError(
                        f"LibSVMIter: {what} {path!r} line {number}: index {position} is "
                        f"outside data_shape ({width})"
                    )
                row[position] = float(value)
            rows.append(row)
    return labels, np.array(rows).reshape(len(rows), width)


class LibSVMIter(RowBatcher):
    """Iterate over a LibSVM-format file (``label index:value ...``, 0-based indices).

    MXNet returns the data as CSR arrays; neomx returns dense arrays with the same values
    until sparse storage exists. ``label_libsvm`` (a LibSVM file whose features are the
    label vector) replaces the labels at the start of each data line.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), 'd.libsvm')
    >>> _ = open(path, 'w').write('1 0:1.5 2:2\\n0 1:-1\\n')
    >>> batch = next(mx.io.LibSVMIter(data_libsvm=path, data_shape=(3,), batch_size=2))
    >>> batch.data[0].asnumpy().tolist(), batch.label[0].asnumpy().tolist()
    ([[1.5, 0.0, 2.0], [0.0, -1.0, 0.0]], [1.0, 0.0])
    """

    def __init__(
        self,
        data_libsvm,
        data_shape,
        label_libsvm=None,
        label_shape=(1,),
        batch_size=1,
        round_batch=True,
        num_parts=1,
        part_index=0,
        prefetch_buffer=4,
        dtype="float32",
        data_name="data",
        label_name="softmax_label",
        **kwargs,
    ):
        data_shape, label_shape = (
            _shape(data_shape, "data_shape"),
            _shape(label_shape, "label_shape"),
        )
        width = int(np.prod(label_shape))
        labels, data = _read_libsvm(data_libsvm, int(np.prod(data_shape)), "data_libsvm")
        if label_libsvm is not None:
            _, label = _read_libsvm(label_libsvm, width, "label_libsvm")
        else:
            if any(len(row) != width for row in labels):
                raise MXNetValueError(
                    f"LibSVMIter: {data_libsvm!r} needs {width} label(s) per line"
                )
            label = np.array(labels).reshape(len(labels), width)
        if len(label) != len(data):
            raise MXNetValueError("LibSVMIter: data and label files have different lengths")
        part = np.array_split(np.arange(len(data)), num_parts)[part_index]
        super().__init__(
            data[part],
            label[part],
            data_shape,
            label_shape,
            batch_size,
            round_batch,
            data_name,
            label_name,
            dtype,
        )
