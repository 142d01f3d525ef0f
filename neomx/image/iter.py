"""``mx.image.ImageIter``: batches of decoded, augmented images from a RecordIO file or from an
image list (``.lst`` file or Python list) with the images on disk."""

from __future__ import annotations

import numbers
import os

import numpy as np

from .. import ndarray as nd
from .. import recordio
from ..base import MXNetError, MXNetValueError
from ..io.io_base import DataBatch, DataDesc, DataIter
from .augmenters import CreateAugmenter
from .image import host_rng, imdecode

__all__ = ["ImageIter"]

_LAST_BATCH = ("pad", "discard", "roll_over")


class ImageIter(DataIter):
    """Iterate over images with augmentation, yielding ``DataBatch`` of NCHW float32 data.

    Parameters
    ----------
    batch_size : int
    data_shape : tuple
        (3, height, width) of each output image.
    label_width : int
        Labels per image.
    path_imgrec, path_imgidx : str
        A ``.rec`` file (and its ``.idx``, needed to shuffle or partition).
    path_imglist, imglist, path_root : str, list, str
        A ``.lst`` file or a list of ``[label(s)..., path]`` entries, with paths under
        ``path_root``.
    shuffle : bool
        Shuffle at every reset (with ``mx.random``'s CPU stream).
    part_index, num_parts : int
        Read only part ``part_index`` of ``num_parts`` equal parts.
    aug_list : list of Augmenter
        Augmenters to apply; by default ``CreateAugmenter(data_shape, **kwargs)``.
    last_batch_handle : str
        'pad' (fill the last batch from the start, report ``pad``), 'discard', or 'roll_over'
        (carry the remainder into the next epoch).

    Examples
    --------
    >>> it = mx.image.ImageIter(2, (3, 32, 32), path_imgrec='data.rec')  # doctest: +SKIP
    >>> batch = it.next()  # doctest: +SKIP
    """

    def __init__(
        self,
        batch_size,
        data_shape,
        label_width=1,
        path_imgrec=None,
        path_imglist=None,
        path_root=None,
        path_imgidx=None,
        shuffle=False,
        part_index=0,
        num_parts=1,
        aug_list=None,
        imglist=None,
        data_name="data",
        label_name="softmax_label",
        dtype="float32",
        last_batch_handle="pad",
        **kwargs,
    ):
        super().__init__(batch_size)
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise MXNetValueError("ImageIter: give path_imgrec, path_imglist or imglist")
        if dtype not in ("int32", "float32", "int64", "float64"):
            raise MXNetValueError(f"ImageIter: label dtype {dtype!r} is not supported")
        if last_batch_handle not in _LAST_BATCH:
            raise MXNetValueError(
                f"ImageIter: last_batch_handle must be one of {_LAST_BATCH}, "
                f"got {last_batch_handle!r}"
            )
        self.imgrec, self.imgidx = None, None
        if path_imgrec:
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, "r")
        self.imglist, keys = self._load_list(path_imglist, imglist, dtype)
        self.path_root = path_root
        self.check_data_shape(data_shape)
        self.provide_data = [DataDesc(data_name, (batch_size,) + tuple(data_shape))]
        label_shape = (batch_size, label_width) if label_width > 1 else (batch_size,)
        self.provide_label = [DataDesc(label_name, label_shape)]
        self.data_shape = tuple(data_shape)
        self.label_width = label_width
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq = keys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise MXNetValueError(
                    "ImageIter: shuffle or num_parts > 1 with path_imgrec needs path_imgidx"
                )
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if not 0 <= part_index < num_parts:
                raise MXNetValueError(f"ImageIter: part_index {part_index} not in [0, {num_parts})")
            part = len(self.seq) // num_parts
            self.seq = self.seq[part_index * part : (part_index + 1) * part]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self.cur = 0
        self._allow_read = True
        self._cache = None
        self.reset()

    @staticmethod
    def _load_list(path_imglist, imglist, dtype):
        """{key: (label NDArray, relative path)} and the key order, or (None, None)."""
        if path_imglist:
            entries, keys = {}, []
            with open(path_imglist) as stream:
                for line in stream:
                    fields = line.strip().split("\t")
                    if len(fields) < 3:
                        continue
                    key = int(fields[0])
                    entries[key] = (
                        nd.array(np.array(fields[1:-1], dtype=dtype), dtype=dtype),
                        fields[-1],
                    )
                    keys.append(key)
            return entries, keys
        if isinstance(imglist, list):
            entries, keys = {}, []
            for index, item in enumerate(imglist, 1):
                key = str(index)
                if len(item) > 2:
                    label = nd.array(item[:-1], dtype=dtype)
                elif isinstance(item[0], numbers.Number):
                    label = nd.array([item[0]], dtype=dtype)
                else:
                    label = nd.array(item[0], dtype=dtype)
                entries[key] = (label, item[-1])
                keys.append(key)
            return entries, keys
        return None, None

    def reset(self):
        """Start a new epoch (reshuffling when ``shuffle``)."""
        if self.seq is not None and self.shuffle:
            order = host_rng().permutation(len(self.seq))
            self.seq = [self.seq[i] for i in order]
        if self.last_batch_handle != "roll_over" or self._cache is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self):
        """Start over, dropping any rolled-over remainder."""
        self._cache = None
        self.reset()

    def next_sample(self):
        """Return (label, encoded image bytes) of the next image."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is not None:
            if self.cur >= self.num_image:
                if self.last_batch_handle != "discard":
                    self.cur = 0
                raise StopIteration
            idx = self.seq[self.cur]
            self.cur += 1
            if self.imgrec is not None:
                header, img = recordio.unpack(self.imgrec.read_idx(idx))
                label = header.label if self.imglist is None else self.imglist[idx][0]
                return label, img
            label, fname = self.imglist[idx]
            return label, self.read_image(fname)
        record = self.imgrec.read()
        if record is None:
            if self.last_batch_handle != "discard":
                self.imgrec.reset()
            raise StopIteration
        header, img = recordio.unpack(record)
        return header.label, img

    def _batchify(self, batch_data, batch_label, start=0):
        """Fill the batch from position ``start``; return how many slots are filled."""
        i = start
        try:
            while i < self.batch_size:
                label, encoded = self.next_sample()
                data = self.imdecode(encoded)
                try:
                    self.check_valid_image(data)
                except RuntimeError:
                    continue
                data = self.augmentation_transform(data)
                batch_data[i] = self.postprocess_data(data)
                batch_label[i] = label
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def next(self):
        """Return the next ``DataBatch``."""
        if self._cache is not None:
            batch_data, batch_label, filled = self._cache
        else:
            batch_data = nd.zeros(self.provide_data[0].shape)
            batch_label = nd.empty(self.provide_label[0].shape)
            filled = self._batchify(batch_data, batch_label)
        pad = self.batch_size - filled
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and self._cache is None:
                self._cache = (batch_data, batch_label, filled)
                raise StopIteration
            self._batchify(batch_data, batch_label, filled)
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache = None
        return DataBatch([batch_data], [batch_label], pad=pad)

    def check_data_shape(self, data_shape):
        """Require a (3, height, width) shape."""
        if len(data_shape) != 3:
            raise MXNetValueError(
                f"ImageIter: data_shape must be (channels, height, width), got {data_shape}"
            )
        if data_shape[0] != 3:
            raise MXNetValueError(f"ImageIter: expects 3 channels, got data_shape {data_shape}")

    def check_valid_image(self, data):
        """Raise RuntimeError for an empty image (which is then skipped)."""
        if len(data[0].shape) == 0:
            raise RuntimeError("Data shape is wrong")

    def imdecode(self, s):
        """Decode one image, naming the broken record or file in the error."""
        try:
            return imdecode(s)
        except MXNetError as err:
            if self.seq is not None:
                idx = self.seq[(self.cur % self.num_image) - 1]
            else:
                idx = self.cur - 1
            where = (
                f"filename: {self.imglist[idx][1]}" if self.imglist is not None else f"index: {idx}"
            )
            raise MXNetError(f"ImageIter: broken image {where}: {err}") from err

    def read_image(self, fname):
        """Return the bytes of the image file ``fname`` under ``path_root``."""
        with open(os.path.join(self.path_root or "", fname), "rb") as stream:
            return stream.read()

    def augmentation_transform(self, data):
        """Apply the augmenters in order."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """HWC to CHW."""
        return nd.transpose(datum, axes=(2, 0, 1))
