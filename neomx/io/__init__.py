"""``mx.io``: the data iterators of the symbolic training API.

``DataIter`` yields ``DataBatch`` objects described by ``DataDesc`` lists; ``NDArrayIter``
batches in-memory arrays; ``CSVIter``, ``LibSVMIter``, ``MNISTIter`` and ``ImageRecordIter``
read files; ``ResizeIter`` and ``PrefetchingIter`` wrap other iterators.

>>> it = mx.io.NDArrayIter(mx.nd.ones((6, 2)), mx.nd.zeros((6,)), batch_size=4)
>>> [(batch.data[0].shape, batch.pad) for batch in it]
[((4, 2), 0), ((4, 2), 2)]
"""

from .image_record_iter import ImageRecordIter
from .io_base import DataBatch, DataDesc, DataIter
from .mnist_iter import MNISTIter
from .ndarray_iter import NDArrayIter
from .text_iters import CSVIter, LibSVMIter
from .wrappers import PrefetchingIter, ResizeIter

__all__ = [
    "CSVIter",
    "DataBatch",
    "DataDesc",
    "DataIter",
    "ImageRecordIter",
    "LibSVMIter",
    "MNISTIter",
    "NDArrayIter",
    "PrefetchingIter",
    "ResizeIter",
]
