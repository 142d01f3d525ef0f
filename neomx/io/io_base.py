"""The data-iterator protocol: ``DataDesc``, ``DataBatch`` and the ``DataIter`` base class.

Every iterator of ``mx.io`` (and ``mx.image.ImageIter``) yields ``DataBatch`` objects and
describes its inputs with ``DataDesc`` lists (``provide_data``/``provide_label``), which is
what ``Module.bind`` consumes.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..base import MXNetTypeError

__all__ = ["DataDesc", "DataBatch", "DataIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name, shape, dtype and layout of one input of a network.

    A ``DataDesc`` is a ``(name, shape)`` named tuple, so code that unpacks pairs keeps
    working; ``dtype`` and ``layout`` ride along as attributes.

    Examples
    --------
    >>> mx.io.DataDesc("data", (32, 3, 28, 28))
    DataDesc[data,(32, 3, 28, 28),<class 'numpy.float32'>,NCHW]
    >>> mx.io.DataDesc.get_batch_axis("TNC")
    1
    """

    def __new__(cls, name, shape, dtype=np.float32, layout="NCHW"):
        desc = super().__new__(cls, name, shape)
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self):
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout):
        """Return the batch axis of ``layout`` (the position of 'N'; 0 when layout is None)."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes, types):
        """Build DataDescs from ``(name, shape)`` pairs and optional ``(name, dtype)`` pairs."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        by_name = dict(types)
        return [DataDesc(name, shape, by_name[name]) for name, shape in shapes]


class DataBatch:
    """One batch: lists of data and label arrays, plus how much of it is padding.

    Parameters
    ----------
    data, label : list of NDArray
        The inputs and labels, in ``provide_data``/``provide_label`` order.
    pad : int, optional
        How many examples at the end of the batch are filler (the last batch of an epoch).
    index : array of int, optional
        The positions of the examples in the data set.
    bucket_key : optional
        The bucket this batch belongs to (``BucketingModule``).
    provide_data, provide_label : list of DataDesc, optional
        The batch's own descriptions, when they differ from the iterator's.

    Examples
    --------
    >>> print(mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.ones((2,))]))
    DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]
    """

    def __init__(
        self,
        data,
        label=None,
        pad=None,
        index=None,
        bucket_key=None,
        provide_data=None,
        provide_label=None,
    ):
        if data is not None and not isinstance(data, (list, tuple)):
            raise MXNetTypeError("DataBatch: data must be a list of NDArrays")
        if label is not None and not isinstance(label, (list, tuple)):
            raise MXNetTypeError("DataBatch: label must be a list of NDArrays")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [item.shape for item in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}"


class DataIter:
    """Base class of the data iterators.

    A subclass implements ``reset`` and either ``next`` or the four hooks ``iter_next``,
    ``getdata``, ``getlabel``, ``getpad`` (and optionally ``getindex``), and sets
    ``provide_data``/``provide_label``. Iterating yields ``DataBatch`` objects until
    ``StopIteration``; ``reset`` starts the next epoch.

    Examples
    --------
    >>> it = mx.io.NDArrayIter(mx.nd.ones((4, 2)), batch_size=2)
    >>> [batch.data[0].shape for batch in it]
    [(2, 2), (2, 2)]
    """

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the start of the data."""

    def next(self):
        """Return the next ``DataBatch``; raise ``StopIteration`` at the end of the epoch."""
        if self.iter_next():
            return DataBatch(
                data=self.getdata(),
                label=self.getlabel(),
                pad=self.getpad(),
                index=self.getindex(),
            )
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Move to the next batch; return False at the end of the epoch."""
        return False

    def getdata(self):
        """Return the data arrays of the current batch."""
        return None

    def getlabel(self):
        """Return the label arrays of the current batch."""
        return None

    def getindex(self):
        """Return the example indices of the current batch (None if unknown)."""
        return None

    def getpad(self):
        """Return the number of padding examples in the current batch."""
        return None


class PreparedBatchIter(DataIter):
    """A :class:`DataIter` whose ``iter_next`` builds the whole current batch in ``self._batch``.

    ``next`` hands that batch out as it is, and the hooks read it, so a subclass writes only
    ``reset`` and ``iter_next``.
    """

    _batch = None

    def next(self):
        if self.iter_next():
            return self._batch
        raise StopIteration

    def getdata(self):
        return self._batch.data

    def getlabel(self):
        return self._batch.label

    def getpad(self):
        return self._batch.pad

    def getindex(self):
        return self._batch.index
