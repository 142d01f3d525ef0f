"""Vision datasets: MNIST, FashionMNIST, CIFAR10/100 in their original file formats, and images
from RecordIO files, folders or lists.

The downloaded datasets look for their files under ``root`` first and use them as they are;
missing files are downloaded (with SHA-1 checks) from MXNet's dataset repository, the same URLs
as MXNet 1.9.1 (``MXNET_GLUON_REPO`` overrides the host). Without a network connection the error
names the files to put under ``root``.
"""

from __future__ import annotations

import gzip
import os
import struct
import tarfile
import warnings

import numpy as np

from .... import image, recordio
from .... import ndarray as nd
from ....base import MXNetError, MXNetValueError, env_flag
from ...utils import download
from ..dataset import Dataset, RecordFileDataset, _DownloadedDataset

__all__ = [
    "MNIST",
    "FashionMNIST",
    "CIFAR10",
    "CIFAR100",
    "ImageRecordDataset",
    "ImageFolderDataset",
    "ImageListDataset",
]

_DEFAULT_REPO = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/"


def data_dir() -> str:
    """Where datasets live by default: ``$MXNET_HOME`` or ``~/.mxnet``."""
    return env_flag("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))


def _repo_file_url(namespace: str, filename: str) -> str:
    repo = env_flag("MXNET_GLUON_REPO", _DEFAULT_REPO)
    if not repo.endswith("/"):
        repo += "/"
    return f"{repo}{namespace}/{filename}"


def _fetch(root: str, namespace: str, filename: str, sha1: str, dataset: str, names) -> str:
    """The path of ``filename`` under ``root``: used as it is when present, else downloaded."""
    path = os.path.join(root, filename)
    if os.path.exists(path):
        return path
    try:
        return download(_repo_file_url(namespace, filename), path=root, sha1_hash=sha1)
    except MXNetError as err:
        raise MXNetError(
            f"{dataset}: {filename} is not under {root} and could not be downloaded ({err}). "
            f"Offline, place the files {', '.join(names)} in {root}."
        ) from err


class MNIST(_DownloadedDataset):
    """The MNIST handwritten digits: 28x28x1 uint8 images and int32 labels.

    Parameters
    ----------
    root : str
        Folder of the ``*-idx?-ubyte.gz`` files (downloaded there when missing).
    train : bool
        The training set (60000 images) or the test set (10000).
    transform : callable
        Called as ``transform(data, label)`` on each sample.

    Examples
    --------
    >>> train = mx.gluon.data.vision.MNIST(train=True)  # doctest: +SKIP
    >>> train[0][0].shape  # doctest: +SKIP
    (28, 28, 1)
    """

    _namespace = "mnist"
    _files = {
        True: (
            ("train-images-idx3-ubyte.gz", "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d"),
            ("train-labels-idx1-ubyte.gz", "2a80914081dc54586dbdf242f9805a6b8d2a15fc"),
        ),
        False: (
            ("t10k-images-idx3-ubyte.gz", "c3a25af1f52dad7f726cce8cacb138654b760d48"),
            ("t10k-labels-idx1-ubyte.gz", "763e7fa3757d93b0cdec073cef058b2004252c17"),
        ),
    }

    def __init__(self, root=None, train=True, transform=None):
        self._train = train
        if root is None:
            root = os.path.join(data_dir(), "datasets", self._namespace)
        super().__init__(root, transform)

    def _get_data(self):
        (data_name, data_sha1), (label_name, label_sha1) = self._files[self._train]
        names = [name for name, _ in self._files[self._train]]
        namespace = "gluon/dataset/" + self._namespace
        dataset = type(self).__name__
        data_file = _fetch(self._root, namespace, data_name, data_sha1, dataset, names)
        label_file = _fetch(self._root, namespace, label_name, label_sha1, dataset, names)
        label = read_idx_file(label_file).astype(np.int32)
        data = read_idx_file(data_file)
        if data.ndim != 3 or len(data) != len(label):
            raise MXNetValueError(
                f"{dataset}: {data_file} holds images of shape {data.shape}, expected "
                f"({len(label)}, rows, cols) to match {len(label)} labels"
            )
        self._data = nd.array(data[:, :, :, None], dtype=data.dtype)
        self._label = label


def read_idx_file(path: str) -> np.ndarray:
    """Read an IDX file (the MNIST format; gzip-compressed when the name ends in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as stream:
        raw = stream.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise MXNetValueError(f"{path}: not an IDX file (bad magic {raw[:4]!r})")
    type_code, ndim = raw[2], raw[3]
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if type_code not in dtypes:
        raise MXNetValueError(f"{path}: unknown IDX element type 0x{type_code:02x}")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(dtypes[type_code])
    count = int(np.prod(shape))
    body = raw[4 + 4 * ndim :]
    if len(body) < count * dtype.itemsize:
        raise MXNetValueError(
            f"{path}: truncated IDX file: shape {shape} needs {count * dtype.itemsize} bytes, "
            f"found {len(body)}"
        )
    array = np.frombuffer(body, dtype=dtype, count=count).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28x1 uint8 images of clothes in 10 classes (MNIST's layout).

    >>> train = mx.gluon.data.vision.FashionMNIST(train=True)  # doctest: +SKIP
    """

    _namespace = "fashion-mnist"
    _files = {
        True: (
            ("train-images-idx3-ubyte.gz", "0cf37b0d40ed5169c6b3aba31069a9770ac9043d"),
            ("train-labels-idx1-ubyte.gz", "236021d52f1e40852b06a4c3008d8de8aef1e40b"),
        ),
        False: (
            ("t10k-images-idx3-ubyte.gz", "626ed6a7c06dd17c0eec72fa3be1740f146a2863"),
            ("t10k-labels-idx1-ubyte.gz", "17f9ab60e7257a1620f4ad76bbbaf857c3920701"),
        ),
    }


class CIFAR10(_DownloadedDataset):
    """CIFAR-10: 32x32x3 uint8 images in 10 classes, read from the binary batches.

    Parameters
    ----------
    root : str
        Folder of ``data_batch_{1..5}.bin`` and ``test_batch.bin`` (or of the
        ``cifar-10-binary.tar.gz`` archive, which is downloaded and unpacked when needed).
    train : bool
        The training set (50000 images) or the test set (10000).
    transform : callable
        Called as ``transform(data, label)`` on each sample.

    >>> train = mx.gluon.data.vision.CIFAR10(train=True)  # doctest: +SKIP
    """

    _namespace = "cifar10"
    _archive = ("cifar-10-binary.tar.gz", "fab780a1e191a7eda0f345501ccd62d20f7ed891")
    _train_files = (
        ("data_batch_1.bin", "aadd24acce27caa71bf4b10992e9e7b2d74c2540"),
        ("data_batch_2.bin", "c0ba65cce70568cd57b4e03e9ac8d2a5367c1795"),
        ("data_batch_3.bin", "1dd00a74ab1d17a6e7d73e185b69dbf31242f295"),
        ("data_batch_4.bin", "aab85764eb3584312d3c7f65fd2fd016e36a258e"),
        ("data_batch_5.bin", "26e2849e66a845b7f1e4614ae70f4889ae604628"),
    )
    _test_files = (("test_batch.bin", "67eb016db431130d61cd03c7ad570b013799c88c"),)
    # Bytes of labels in front of each 3072-byte image (CIFAR-100 has coarse and fine).
    _label_bytes = 1

    def __init__(self, root=None, train=True, transform=None):
        self._train = train
        if root is None:
            root = os.path.join(data_dir(), "datasets", self._namespace)
        super().__init__(root, transform)

    def _label_column(self) -> int:
        return 0

    def _read_batch(self, filename):
        record = 3072 + self._label_bytes
        with open(filename, "rb") as stream:
            raw = np.frombuffer(stream.read(), dtype=np.uint8)
        if raw.size % record:
            raise MXNetValueError(
                f"{type(self).__name__}: {filename} is {raw.size} bytes, not a multiple of the "
                f"{record}-byte record"
            )
        raw = raw.reshape(-1, record)
        images = raw[:, self._label_bytes :].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, raw[:, self._label_column()].astype(np.int32)

    def _get_data(self):
        wanted = self._train_files if self._train else self._test_files
        paths = [os.path.join(self._root, name) for name, _ in wanted]
        if not all(os.path.exists(path) for path in paths):
            self._fetch_archive([name for name, _ in wanted])
        batches = [self._read_batch(path) for path in paths]
        data = np.concatenate([images for images, _ in batches])
        label = np.concatenate([labels for _, labels in batches])
        self._data = nd.array(data, dtype=data.dtype)
        self._label = label

    def _fetch_archive(self, names):
        name, sha1 = self._archive
        archive = _fetch(
            self._root,
            "gluon/dataset/" + self._namespace,
            name,
            sha1,
            type(self).__name__,
            [name] + list(names),
        )
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if member.isfile() and os.path.basename(member.name) in _all_names(self):
                    member.name = os.path.basename(member.name)
                    tar.extract(member, self._root)


def _all_names(dataset) -> set:
    return {name for name, _ in dataset._train_files + dataset._test_files}


class CIFAR100(CIFAR10):
    """CIFAR-100: 32x32x3 uint8 images with coarse (20) or fine (100, ``fine_label=True``)
    labels, read from ``train.bin`` / ``test.bin``.

    >>> train = mx.gluon.data.vision.CIFAR100(fine_label=True)  # doctest: +SKIP
    """

    _namespace = "cifar100"
    _archive = ("cifar-100-binary.tar.gz", "a0bb982c76b83111308126cc779a992fa506b90b")
    _train_files = (("train.bin", "e207cd2e05b73b1393c74c7f5e7bea451d63e08e"),)
    _test_files = (("test.bin", "8fb6623e830365ff53cf14adec797474f5478006"),)
    _label_bytes = 2

    def __init__(self, root=None, fine_label=False, train=True, transform=None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self) -> int:
        return 1 if self._fine_label else 0


class ImageRecordDataset(RecordFileDataset):
    """Images and labels from a RecordIO file (``.rec`` + ``.idx``) of packed images.

    Parameters
    ----------
    filename : str
        Path of the ``.rec`` file.
    flag : int
        1: decode to 3 colour channels; 0: one grey channel.
    transform : callable
        Called as ``transform(image, label)``.

    >>> dataset = mx.gluon.data.vision.ImageRecordDataset('train.rec')  # doctest: +SKIP
    """

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        header, img = recordio.unpack(super().__getitem__(idx))
        decoded = image.imdecode(img, self._flag)
        if self._transform is not None:
            return self._transform(decoded, header.label)
        return decoded, header.label


_IMAGE_EXTS = (".jpg", ".jpeg", ".png")


class ImageFolderDataset(Dataset):
    """Images in class folders: ``root/<class>/<image>``; the label is the class's index in
    the sorted folder names (``synsets``).

    Parameters
    ----------
    root : str
        The folder of class folders.
    flag : int
        1: decode to 3 colour channels; 0: one grey channel.
    transform : callable
        Called as ``transform(image, label)``.

    >>> dataset = mx.gluon.data.vision.ImageFolderDataset('images/')  # doctest: +SKIP
    >>> dataset.synsets  # doctest: +SKIP
    ['cat', 'dog']
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = list(_IMAGE_EXTS)
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets = []
        self.items = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn(
                        f"Ignoring {filename} of type {ext}. Only support {', '.join(self._exts)}",
                        stacklevel=3,
                    )
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)


class ImageListDataset(Dataset):
    """Images named by a list: a ``.lst`` file (``index\\tlabel(s)\\tpath``, as im2rec writes)
    or a Python list of ``(label, path)`` / ``[label..., path]`` entries, paths under ``root``.

    Parameters
    ----------
    root : str
        Folder the image paths are relative to.
    imglist : str or list
        The ``.lst`` file, or the list.
    flag : int
        1: decode to 3 colour channels; 0: one grey channel.

    >>> dataset = mx.gluon.data.vision.ImageListDataset('.', 'train.lst')  # doctest: +SKIP
    """

    def __init__(self, root=".", imglist=None, flag=1):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self.items = []
        if isinstance(imglist, str):
            with open(os.path.expanduser(imglist)) as stream:
                for number, line in enumerate(stream, 1):
                    fields = line.strip().split("\t")
                    if fields == [""]:
                        continue
                    if len(fields) < 3:
                        raise MXNetValueError(
                            f"ImageListDataset: {imglist} line {number}: expected "
                            f"'index<TAB>label(s)<TAB>path', got {line.rstrip()!r}"
                        )
                    labels = [float(x) for x in fields[1:-1]]
                    label = labels[0] if len(labels) == 1 else np.array(labels, np.float32)
                    self.items.append((os.path.join(self._root, fields[-1]), label))
        elif isinstance(imglist, (list, tuple)):
            for entry in imglist:
                if len(entry) < 2:
                    raise MXNetValueError(
                        f"ImageListDataset: entry {entry!r} needs a label and a path"
                    )
                labels = entry[:-1]
                label = labels[0] if len(labels) == 1 else np.array(labels, np.float32)
                self.items.append((os.path.join(self._root, entry[-1]), label))
        elif imglist is not None:
            raise MXNetValueError(
                f"ImageListDataset: imglist must be a .lst path or a list, got {type(imglist)}"
            )

    def __getitem__(self, idx):
        path, label = self.items[idx]
        return image.imread(path, self._flag), label

    def __len__(self):
        return len(self.items)
