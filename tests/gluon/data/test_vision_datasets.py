"""gluon.data.vision datasets on tiny files in the original formats (IDX gz, CIFAR binary
batches, RecordIO, image folders and lists)."""

import gzip
import os
import struct

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.gluon.data import vision

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "image")


def _write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("cls", [vision.MNIST, vision.FashionMNIST])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_reads_idx_files(tmp_path, cls, train):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (3, 28, 28))
    labels = np.array([4, 0, 9])
    prefix = "train" if train else "t10k"
    _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    dataset = cls(root=str(tmp_path), train=train)
    assert len(dataset) == 3
    data, label = dataset[2]
    assert data.shape == (28, 28, 1) and data.dtype == np.uint8
    np.testing.assert_array_equal(data.asnumpy()[:, :, 0], images[2])
    assert label == 9
    scaled = cls(root=str(tmp_path), train=train, transform=lambda d, y: (d.astype("float32"), y))
    assert scaled[0][0].dtype == np.float32


def _cifar_file(path, rng, count, label_bytes):
    labels = rng.randint(0, 20, (count, label_bytes))
    images = rng.randint(0, 256, (count, 3072))
    path.write_bytes(np.concatenate([labels, images], axis=1).astype(np.uint8).tobytes())
    return labels, images.reshape(count, 3, 32, 32).transpose(0, 2, 3, 1)


def test_cifar10_reads_binary_batches(tmp_path):
    rng = np.random.RandomState(1)
    expected = [_cifar_file(tmp_path / f"data_batch_{i}.bin", rng, 2, 1) for i in range(1, 6)]
    _cifar_file(tmp_path / "test_batch.bin", rng, 3, 1)
    train = vision.CIFAR10(root=str(tmp_path))
    assert len(train) == 10
    data, label = train[3]
    np.testing.assert_array_equal(data.asnumpy(), expected[1][1][1])
    assert label == expected[1][0][1, 0]
    assert len(vision.CIFAR10(root=str(tmp_path), train=False)) == 3


@pytest.mark.parametrize("fine", [False, True])
def test_cifar100_fine_label(tmp_path, fine):
    rng = np.random.RandomState(2)
    labels, images = _cifar_file(tmp_path / "train.bin", rng, 4, 2)
    dataset = vision.CIFAR100(root=str(tmp_path), fine_label=fine)
    data, label = dataset[1]
    assert label == labels[1, int(fine)]
    np.testing.assert_array_equal(data.asnumpy(), images[1])


def test_offline_message_names_files(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:9/")
    monkeypatch.setattr(mx.gluon.utils.time, "sleep", lambda s: None)
    with pytest.raises(MXNetError, match="place the files.*train-images-idx3-ubyte.gz"):
        vision.MNIST(root=str(tmp_path))
    with pytest.raises(MXNetError, match="cifar-10-binary.tar.gz"):
        vision.CIFAR10(root=str(tmp_path))


def test_image_record_dataset():
    dataset = vision.ImageRecordDataset(os.path.join(FIXTURES, "images.rec"))
    assert len(dataset) == 4
    img, label = dataset[0]
    assert img.shape == (10, 13, 3) and label == 3.0
    gray = vision.ImageRecordDataset(os.path.join(FIXTURES, "images.rec"), flag=0)
    assert gray[2][0].shape == (6, 7, 1)
    flipped = vision.ImageRecordDataset(
        os.path.join(FIXTURES, "images.rec"), transform=lambda d, y: (d.shape, y + 1)
    )
    assert flipped[3] == ((24, 20, 3), 2.0)


def test_image_folder_and_list(tmp_path):
    src = os.path.join(FIXTURES, "src")
    for cls, names in (("cat", ["rgb.png", "big.jpg"]), ("dog", ["rgb.jpg"])):
        os.makedirs(tmp_path / "root" / cls)
        for name in names:
            with open(os.path.join(src, name), "rb") as stream:
                (tmp_path / "root" / cls / name).write_bytes(stream.read())
    (tmp_path / "root" / "dog" / "notes.txt").write_text("x")
    with pytest.warns(UserWarning, match="notes.txt"):
        dataset = vision.ImageFolderDataset(str(tmp_path / "root"))
    assert dataset.synsets == ["cat", "dog"]
    assert [label for _, label in dataset.items] == [0, 0, 1]
    img, label = dataset[2]
    assert img.shape == (10, 13, 3) and label == 1
    lst = tmp_path / "list.lst"
    lst.write_text("0\t1.000000\tcat/rgb.png\n1\t2.000000\t3.000000\tdog/rgb.jpg\n")
    listed = vision.ImageListDataset(str(tmp_path / "root"), str(lst))
    assert len(listed) == 2 and listed[0][1] == 1.0
    np.testing.assert_array_equal(listed[1][1], [2.0, 3.0])
    from_list = vision.ImageListDataset(str(tmp_path / "root"), [(5, "cat/big.jpg")], flag=0)
    assert from_list[0][0].shape == (24, 20, 1) and from_list[0][1] == 5
