"""``neomx train``: datasets, models, devices, checkpoints and resuming, and its errors."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import pytest

import neomx as mx
from neomx.cli.common import input_shape


def write_idx(path, array):
    """Write ``array`` (uint8) as a gzip-compressed IDX file, MNIST's format."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_dir(tmp_path):
    """A folder holding a 24-image MNIST in the real file names."""
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (24, 28, 28)))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, 24))
    return tmp_path


def test_train_mlp_on_mnist_files_saves_checkpoints(run_cli, mnist_dir, tmp_path):
    prefix = tmp_path / "runs" / "mlp"
    status, out, err = run_cli(
        "train", "--model", "mlp", "--dataset", "mnist", "--data-dir", mnist_dir,
        "--epochs", "2", "--batch-size", "8", "--save", prefix, "--no-progress",
    )  # fmt: skip
    assert status == 0, err
    assert "epoch 2/2" in out and "test accuracy" in out
    for name in ("-symbol.json", "-0001.params", "-0002.params", "-0002.states"):
        assert os.path.isfile(f"{prefix}{name}"), name
    assert input_shape(mx.sym.load(f"{prefix}-symbol.json")) == (0, 1, 28, 28)


def test_train_on_two_devices_then_resume(run_cli, mnist_dir, tmp_path):
    prefix = tmp_path / "lenet"
    status, out, err = run_cli(
        "train", "--dataset", "mnist", "--data-dir", mnist_dir, "--epochs", "1",
        "--batch-size", "8", "--ctx", "cpu(0),cpu(1)", "--kvstore", "device", "--hybridize",
        "--optimizer", "sgd", "--lr", "0.1", "--save", prefix, "--no-progress",
    )  # fmt: skip
    assert status == 0, err
    assert "on cpu(0),cpu(1)" in out and "hybridized" in out
    status, out, err = run_cli(
        "train", "--dataset", "mnist", "--data-dir", mnist_dir, "--epochs", "2",
        "--batch-size", "8", "--resume", f"{prefix}-0001", "--optimizer", "sgd", "--no-progress",
    )  # fmt: skip
    assert status == 0, err
    assert "resumed from" in out and "epoch 2/2" in out and "epoch 1/" not in out
    assert os.path.isfile(f"{prefix}-0002.params")  # --save defaults to the resumed prefix


def test_train_digits(run_cli):
    pytest.importorskip("sklearn")
    status, out, err = run_cli("train", "--epochs", "1", "--limit", "64", "--no-progress")
    assert status == 0, err
    assert "dataset digits (64 train / 64 test, input (1, 8, 8))" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "nonet"], "unknown model 'nonet'"),
        (["--ctx", "cpu(0);cpu(1)"], "bad --ctx"),
        (["--ctx", "gpu(7)"], "gpu(7) requested"),
        (["--dataset", "mnist", "--data-dir", "/no/such/folder"], "no such folder"),
        (["--resume", "nowhere/model-0003"], "no saved model"),
        (["--resume", "model"], "bad --resume"),
        (["--epochs", "0"], "at least 1"),
        (["--optimizer", "nosuchopt", "--limit", "8"], "nosuchopt"),
    ],
)
def test_train_errors_are_one_line(run_cli, argv, message):
    if "--limit" in argv:
        pytest.importorskip("sklearn")
    status, out, err = run_cli("train", *argv, "--no-progress")
    assert status == 2
    assert err.startswith("neomx train: error: ") and err.count("\n") == 1
    assert message in err


def test_train_dataset_choice_is_checked(run_cli, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("train", "--dataset", "imagenet")
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
