"""``NDArrayIter``: batches over in-memory arrays (NDArray or NumPy), with MXNet 1.9.1's
handling of the last, incomplete batch ('pad', 'discard', 'roll_over')."""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..ndarray import NDArray, array, concat, tile
from .io_base import DataBatch, DataDesc, DataIter

__all__ = ["NDArrayIter", "init_data"]

_LAST_BATCH = ("pad", "discard", "roll_over")


def init_data(data, allow_empty, default_name):
    """``data`` (an array, a list or a dict of them) as a sorted list of (name, NDArray).

    One array, or a list of one, is named ``default_name``; a longer list gets the names
    ``_0_<default_name>``, ``_1_<default_name>``...; a dict keeps its names. MXNet sorts the
    pairs by name, and so does this.
    """
    if data is None:
        if not allow_empty:
            raise MXNetValueError("NDArrayIter: data must be given")
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise MXNetValueError("NDArrayIter: data must not be an empty list")
        if len(data) == 1:
            data = {default_name: data[0]}
        else:
            data = {f"_{i}_{default_name}": value for i, value in enumerate(data)}
    if not isinstance(data, dict):
        raise MXNetTypeError(
            "Input must be NDArray, numpy.ndarray, a list of them or dict with them as values"
        )
    pairs = []
    for name, value in data.items():
        if not isinstance(value, NDArray):
            try:
                value = array(value)
            except Exception as err:
                raise MXNetTypeError(
                    f"Invalid type '{type(value)}' for {name}, should be NDArray or numpy.ndarray"
                ) from err
        pairs.append((name, value))
    return sorted(pairs, key=lambda pair: pair[0])


class NDArrayIter(DataIter):
    """Iterate over arrays in batches along the batch axis.

    Parameters
    ----------
    data : array, list of arrays or dict of str to array
        The inputs (NDArray or anything ``mx.nd.array`` accepts).
    label : same kinds as data, optional
        The labels.
    batch_size : int
        Examples per batch.
    shuffle : bool
        Shuffle the examples (with NumPy's global generator) at every ``reset``.
    last_batch_handle : {'pad', 'discard', 'roll_over'}
        'pad' fills the last batch up with examples from the start (``batch.pad`` says how
        many); 'discard' drops it; 'roll_over' keeps it for the first batch of the next epoch.
    data_name, label_name : str
        The names given to single (unnamed) data and label arrays.
    layout : str
        The layout; the batch axis is where 'N' is.

    Examples
    --------
    >>> it = mx.io.NDArrayIter(mx.nd.arange(10).reshape((5, 2)), batch_size=2)
    >>> [(b.data[0].shape, b.pad) for b in it]
    [((2, 2), 0), ((2, 2), 0), ((2, 2), 1)]
    """

    def __init__(
        self,
        data,
        label=None,
        batch_size=1,
        shuffle=False,
        last_batch_handle="pad",
        data_name="data",
        label_name="softmax_label",
        layout="NCHW",
    ):
        super().__init__(batch_size)
        if last_batch_handle not in _LAST_BATCH:
            raise MXNetValueError(
                f"NDArrayIter: last_batch_handle must be one of {_LAST_BATCH}, "
                f"got {last_batch_handle!r}"
            )
        self.data = init_data(data, allow_empty=False, default_name=data_name)
        self.label = init_data(label, allow_empty=True, default_name=label_name)
        self.layout = layout
        axis = self._axis
        self.num_data = self.data[0][1].shape[axis]
        for name, value in self.data + self.label:
            if value.shape[axis] != self.num_data:
                raise MXNetValueError(
                    f"NDArrayIter: {name} has {value.shape[axis]} examples along axis {axis}; "
                    f"{self.data[0][0]} has {self.num_data}"
                )
        self.idx = np.arange(self.num_data)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.cursor = -batch_size
        self._cache_data = None
        self._cache_label = None
        self.reset()
        self.data_list = [value for _, value in self.data] + [value for _, value in self.label]
        self.num_source = len(self.data_list)

    @property
    def _axis(self):
        return self.layout.find("N")

    def _describe(self, pairs):
        axis = self._axis
        return [
            DataDesc(
                name,
                tuple(value.shape[:axis]) + (self.batch_size,) + tuple(value.shape[axis + 1 :]),
                value.dtype,
                layout=self.layout,
            )
            for name, value in pairs
        ]

    @property
    def provide_data(self):
        """DataDescs of the data arrays, with the batch size on the batch axis."""
        return self._describe(self.data)

    @property
    def provide_label(self):
        """DataDescs of the label arrays, with the batch size on the batch axis."""
        return self._describe(self.label)

    def hard_reset(self):
        """Start over, dropping any examples kept by 'roll_over'."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self):
        if self.shuffle:
            self._shuffle_data()
        if (
            self.last_batch_handle == "roll_over"
            and self.num_data - self.batch_size < self.cursor < self.num_data
        ):
            # The examples left over last epoch open the next one: start that much earlier.
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self):
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self._axis] != self.batch_size:
            # An incomplete last batch ('discard', 'roll_over'): keep it for roll_over.
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _slice(self, source, start=None, end=None):
        start = 0 if start is None else start
        if end is None:
            end = source[0][1].shape[self._axis] if source else 0
        return [value.slice_axis(axis=self._axis, begin=start, end=end) for _, value in source]

    def _concat(self, first, second):
        if not first or not second:
            return first if first else second
        return [concat(a, b, dim=self._axis) for a, b in zip(first, second)]

    def _tile(self, arrays, repeats):
        result = []
        for value in arrays:
            reps = [1] * value.ndim
            reps[0] = repeats
            result.append(tile(value, reps=tuple(reps)))
        return result

    def _batchify(self, source):
        if self.cursor >= self.num_data:
            raise MXNetValueError("NDArrayIter: the iterator is exhausted; call reset()")
        end = self.cursor + self.batch_size
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            cached = self._cache_data if self._cache_data is not None else self._cache_label
            if cached is None:
                raise MXNetValueError("NDArrayIter: roll_over has no cached examples")
            rest = self._slice(source, end=end)
            if self._cache_data is not None:
                self._cache_data = None
            else:
                self._cache_label = None
            return self._concat(cached, rest)
        if self.last_batch_handle == "pad" and end > self.num_data:
            pad = end - self.num_data
            first = self._slice(source, start=self.cursor)
            if pad > self.num_data:
                # A batch larger than the data set: repeat the whole set, then a part.
                second = self._tile(self._slice(source, end=self.num_data), pad // self.num_data)
                if pad % self.num_data:
                    second = self._concat(second, self._slice(source, end=pad % self.num_data))
            else:
                second = self._slice(source, end=pad)
            return self._concat(first, second)
        return self._slice(source, self.cursor, min(end, self.num_data))

    def getdata(self):
        return self._batchify(self.data)

    def getlabel(self):
        return self._batchify(self.label)

    def getpad(self):
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self):
        # NOTE: like MXNet, the permutation is drawn from NumPy's global generator and
        # applied to the already shuffled arrays, so seeded runs match MXNet's order.
        np.random.shuffle(self.idx)
        self.data = [(name, _take(value, self.idx)) for name, value in self.data]
        self.label = [(name, _take(value, self.idx)) for name, value in self.label]


def _take(value, index):
    return array(value.asnumpy()[index], ctx=value.context, dtype=value.dtype)
