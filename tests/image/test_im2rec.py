"""python -m neomx.tools.im2rec: list and pack modes (MXNet tools/im2rec.py flags)."""

import os
import shutil
import subprocess
import sys

import numpy as np

import neomx as mx
from neomx.tools import im2rec

SRC = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image", "src")


def _tree(tmp_path):
    root = tmp_path / "images"
    for cls, names in (("a", ["rgb.png", "big.jpg"]), ("b", ["rgb.jpg", "gray.png"])):
        os.makedirs(root / cls)
        for name in names:
            shutil.copy(os.path.join(SRC, name), root / cls / name)
    (root / "b" / "skip.txt").write_text("x")
    return root


def test_list_recursive_and_pack(tmp_path, capsys):
    root = _tree(tmp_path)
    prefix = str(tmp_path / "data")
    im2rec.main([prefix, str(root), "--list", "--recursive", "--no-shuffle"])
    lines = (tmp_path / "data.lst").read_text().splitlines()
    assert lines == [
        "0\t0.000000\ta/big.jpg",
        "1\t0.000000\ta/rgb.png",
        "2\t1.000000\tb/gray.png",
        "3\t1.000000\tb/rgb.jpg",
    ]
    im2rec.main([prefix, str(root), "--resize", "8", "--encoding", ".png"])
    dataset = mx.gluon.data.vision.ImageRecordDataset(str(tmp_path / "data.rec"))
    assert len(dataset) == 4
    shapes = [dataset[i][0].shape for i in range(4)]
    assert shapes == [(9, 8, 3), (8, 10, 3), (8, 9, 3), (8, 10, 3)]
    assert [dataset[i][1] for i in range(4)] == [0.0, 0.0, 1.0, 1.0]
    original = mx.image.imread(os.path.join(SRC, "gray.png")).asnumpy()
    assert original.shape == (6, 7, 3)


def test_pass_through_and_shuffle_matches_mxnet_seed(tmp_path):
    root = _tree(tmp_path)
    prefix = str(tmp_path / "shuf")
    im2rec.main([prefix, str(root), "--list", "--recursive", "--train-ratio", "0.5"])
    train = (tmp_path / "shuf_train.lst").read_text().splitlines()
    val = (tmp_path / "shuf_val.lst").read_text().splitlines()
    assert len(train) == 2 and len(val) == 2
    # MXNet shuffles with random.seed(100): [0, 1, 2, 3] becomes this order.
    import random

    order = list(range(4))
    random.Random(100).shuffle(order)
    assert [int(line.split("\t")[0]) for line in train + val] == order
    im2rec.main([prefix + "_train", str(root), "--pass-through"])
    reader = mx.recordio.MXIndexedRecordIO(
        str(tmp_path / "shuf_train.idx"), str(tmp_path / "shuf_train.rec"), "r"
    )
    for line in train:
        key, _, path = line.split("\t")
        header, payload = mx.recordio.unpack(reader.read_idx(int(key)))
        assert payload == (root / path).read_bytes()
    reader.close()


def test_command_line(tmp_path):
    root = _tree(tmp_path)
    prefix = str(tmp_path / "cli")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(mx.__file__)))
    subprocess.run(
        [sys.executable, "-m", "neomx.tools.im2rec", prefix, str(root), "--list", "--recursive"],
        check=True,
        capture_output=True,
        env=env,
    )
    im2rec.main([prefix, str(root), "--quality", "90", "--num-thread", "2"])
    dataset = mx.gluon.data.vision.ImageRecordDataset(prefix + ".rec")
    assert len(dataset) == 4
    assert all(np.asarray(dataset[i][0].shape)[2] == 3 for i in range(4))
