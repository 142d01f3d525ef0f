"""``ImageRecordIter``: batches of decoded, augmented images from a RecordIO ``.rec`` file.

Decoding and augmentation run on a pool of ``preprocess_threads`` threads (Pillow and NumPy
release the GIL while they work). The augmentations are MXNet's default set: resize of the
shorter edge, random or centre crop to ``data_shape``, random mirror, then
``(pixel - mean) / std * scale`` per channel, in NCHW float32 (RGB order).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import recordio
from ..base import MXNetValueError
from ..context import cpu
from ..image.codec import decode_to_numpy
from ..image.image import host_rng
from ..image.resize import resize_array
from ..ndarray import array
from .io_base import DataBatch, DataDesc, PreparedBatchIter

__all__ = ["ImageRecordIter"]


def _read_records(path_imgrec, path_imgidx):
    """Every record of the file, as (key, bytes) pairs."""
    if path_imgidx:
        reader = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
        try:
            return [(key, reader.read_idx(key)) for key in reader.keys]
        finally:
            reader.close()
    reader = recordio.MXRecordIO(path_imgrec, "r")
    try:
        records = []
        while True:
            item = reader.read()
            if item is None:
                return records
            records.append((len(records), item))
    finally:
        reader.close()


class ImageRecordIter(PreparedBatchIter):
    """Iterate over an image RecordIO file (made by ``im2rec`` or ``recordio.pack_img``).

    Parameters
    ----------
    path_imgrec : str
        The ``.rec`` file.
    data_shape : tuple of int
        (channels, height, width) of the output images (channels 1 or 3).
    batch_size : int
    path_imgidx : str, optional
        Its ``.idx`` file.
    label_width : int, default 1
        Labels per image; 1 gives labels of shape (batch_size,).
    shuffle : bool
        Shuffle the records at every epoch.
    rand_crop, rand_mirror : bool
        Crop at a random position (else the centre); mirror half the images.
    resize : int
        Resize the shorter edge to this first (-1: no resize).
    mean_r, mean_g, mean_b, std_r, std_g, std_b, scale : float
        Normalisation, ``(pixel - mean) / std * scale``.
    round_batch : bool, default True
        Complete the last batch with images from the start (``pad`` says how many).
    preprocess_threads : int
        Threads that decode and augment.
    num_parts, part_index : int
        Read one part of the records (distributed training).

    Examples
    --------
    >>> it = mx.io.ImageRecordIter(path_imgrec='train.rec', data_shape=(3, 224, 224),
    ...                            batch_size=32, rand_crop=True,
    ...                            rand_mirror=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        path_imgrec,
        data_shape,
        batch_size,
        path_imgidx="",
        label_width=1,
        shuffle=False,
        rand_crop=False,
        rand_mirror=False,
        resize=-1,
        mean_r=0.0,
        mean_g=0.0,
        mean_b=0.0,
        mean_a=0.0,
        std_r=1.0,
        std_g=1.0,
        std_b=1.0,
        std_a=1.0,
        scale=1.0,
        round_batch=True,
        preprocess_threads=4,
        num_parts=1,
        part_index=0,
        data_name="data",
        label_name="softmax_label",
        dtype="float32",
        seed=0,
        inter_method=1,
        max_random_scale=1.0,
        min_random_scale=1.0,
        prefetch_buffer=4,
        **kwargs,
    ):
        super().__init__(batch_size)
        data_shape = tuple(int(d) for d in data_shape)
        if len(data_shape) != 3 or data_shape[0] not in (1, 3, 4):
            raise MXNetValueError(
                f"ImageRecordIter: data_shape must be (channels, height, width) with 1, 3 or 4 "
                f"channels, got {data_shape}"
            )
        if batch_size <= 0:
            raise MXNetValueError(f"ImageRecordIter: batch_size must be positive, got {batch_size}")
        records = _read_records(path_imgrec, path_imgidx)
        if not records:
            raise MXNetValueError(f"ImageRecordIter: {path_imgrec!r} holds no records")
        self._records = [
            records[i] for i in np.array_split(np.arange(len(records)), num_parts)[part_index]
        ]
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle
        self.rand_crop = rand_crop
        self.rand_mirror = rand_mirror
        self.resize = resize
        self.inter_method = inter_method
        channels = data_shape[0]
        self._mean = np.array([mean_r, mean_g, mean_b, mean_a][:channels], np.float32)
        self._std = np.array([std_r, std_g, std_b, std_a][:channels], np.float32)
        if channels == 1:
            self._mean, self._std = self._mean[:1], self._std[:1]
        self.scale = scale
        self.round_batch = round_batch
        self.dtype = np.dtype(dtype)
        self._pool = ThreadPoolExecutor(max(1, int(preprocess_threads)))
        label_shape = (batch_size,) if label_width == 1 else (batch_size, label_width)
        self.provide_data = [DataDesc(data_name, (batch_size,) + data_shape, self.dtype.type)]
        self.provide_label = [DataDesc(label_name, label_shape)]
        self._order = np.arange(len(self._records))
        self._start = 0
        self._next_start = 0
        self._cursor = 0
        self._batch = None
        self.reset()

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)

    def reset(self):
        if self.shuffle:
            self._order = host_rng().permutation(len(self._records))
        self._start = self._next_start
        self._cursor = self._start

    def _label(self, header):
        label = np.atleast_1d(np.asarray(header.label, np.float32))
        if label.size < self.label_width:
            raise MXNetValueError(
                f"ImageRecordIter: record {header.id} has {label.size} label(s); label_width is "
                f"{self.label_width}"
            )
        return label[: self.label_width]

    def _process(self, position, flip, corner):
        key, raw = self._records[position]
        header, payload = recordio.unpack(raw)
        channels, height, width = self.data_shape
        image = decode_to_numpy(payload, "gray" if channels == 1 else "color")
        if image.ndim == 2:
            image = image[:, :, None]
        if self.resize > 0:
            short = min(image.shape[:2])
            new_h = round(image.shape[0] * self.resize / short)
            new_w = round(image.shape[1] * self.resize / short)
            image = resize_array(image, new_w, new_h, self.inter_method)
        if image.shape[0] < height or image.shape[1] < width:
            # Too small for the crop: stretch it to the output size (MXNet would fail).
            image = resize_array(
                image, max(width, image.shape[1]), max(height, image.shape[0]), self.inter_method
            )
        if image.ndim == 2:
            image = image[:, :, None]
        spare_y, spare_x = image.shape[0] - height, image.shape[1] - width
        if self.rand_crop:
            top, left = int(corner[0] * (spare_y + 1)), int(corner[1] * (spare_x + 1))
        else:
            top, left = spare_y // 2, spare_x // 2
        image = image[top : top + height, left : left + width]
        if flip:
            image = image[:, ::-1]
        chw = image.transpose(2, 0, 1).astype(np.float32)
        chw = (chw - self._mean[:, None, None]) / self._std[:, None, None] * self.scale
        return chw.astype(self.dtype, copy=False), self._label(header)

    def iter_next(self):
        count = len(self._records)
        if self._cursor >= count:
            return False
        end = min(self._cursor + self.batch_size, count)
        positions = list(range(self._cursor, end))
        pad = self.batch_size - len(positions)
        self._next_start = 0
        if pad:
            if self.round_batch:
                positions += [i % count for i in range(pad)]
                self._next_start = pad % count
            else:
                positions += [positions[-1]] * pad
        self._cursor = end
        rng = host_rng()
        flips = rng.random(len(positions)) < 0.5 if self.rand_mirror else [False] * len(positions)
        corners = rng.random((len(positions), 2))
        indices = [int(self._order[p]) for p in positions]
        results = list(self._pool.map(self._process, indices, flips, corners))
        data = np.stack([r[0] for r in results])
        label = np.stack([r[1] for r in results])
        if self.label_width == 1:
            label = label[:, 0]
        self._batch = DataBatch(
            [array(data, ctx=cpu(), dtype=self.dtype)],
            [array(label, ctx=cpu())],
            pad=pad,
            index=np.array([self._records[i][0] for i in indices], dtype=np.uint64),
        )
        return True
