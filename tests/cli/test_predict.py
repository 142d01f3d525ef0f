"""``neomx predict``: .npy batches, images, MXNet-saved models, and its errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

import neomx as mx

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "symbol")


def test_predict_npy_batch_matches_the_model(run_cli, saved_model, tmp_path, make_batch):
    prefix, net = saved_model
    batch = make_batch(5)
    np.save(tmp_path / "batch.npy", batch)
    out_file = tmp_path / "probabilities.npy"
    status, out, err = run_cli(
        "predict", prefix, "--input", tmp_path / "batch.npy", "--output", out_file
    )
    assert status == 0, err
    expected = mx.nd.softmax(net(mx.nd.array(batch))).asnumpy()
    np.testing.assert_allclose(np.load(out_file), expected, rtol=1e-5, atol=1e-6)
    for index, best in enumerate(expected.argmax(axis=1)):
        assert f"{index}: class {best} " in out


def test_predict_single_sample_gets_a_batch_axis(run_cli, saved_model, tmp_path, make_batch):
    prefix, _ = saved_model
    np.save(tmp_path / "one.npy", make_batch(1)[0])
    status, out, err = run_cli("predict", prefix, "--input", tmp_path / "one.npy", "--top-k", "2")
    assert status == 0, err
    assert "(1, 1, 8, 8)" in out and out.count("(0.") == 2


def test_predict_image(run_cli, saved_model, tmp_path):
    pil = pytest.importorskip("PIL.Image")
    prefix, _ = saved_model
    pil.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16)).save(tmp_path / "digit.png")
    status, out, err = run_cli("predict", prefix, "--input", tmp_path / "digit.png")
    assert status == 0, err
    assert "0: class" in out and "(1, 1, 8, 8)" in out


def test_predict_with_an_mxnet_model(run_cli, tmp_path):
    """MXNet 1.9.1's LeNet (SoftmaxOutput head, softmax_label input) and its recorded output."""
    recorded = np.load(os.path.join(FIXTURES, "lenet-io.npz"))
    np.save(tmp_path / "x.npy", recorded["data"])
    out_file = tmp_path / "p.npy"
    status, out, err = run_cli(
        "predict", os.path.join(FIXTURES, "lenet"), "--input", tmp_path / "x.npy",
        "--output", out_file,
    )  # fmt: skip
    assert status == 0, err
    expected = recorded["predict:softmax_output"]
    np.testing.assert_allclose(np.load(out_file), expected, rtol=1e-4, atol=1e-5)


def test_predict_errors(run_cli, saved_model, tmp_path, make_batch):
    prefix, _ = saved_model
    np.save(tmp_path / "bad.npy", np.zeros((2, 3)))
    (tmp_path / "notes.npy").write_text("not an array")
    np.save(tmp_path / "ok.npy", make_batch(1))
    mxnet_lenet = os.path.join(FIXTURES, "lenet")
    (tmp_path / "img.png").write_bytes(b"")
    cases = [
        ([prefix, "--input", tmp_path / "absent.npy"], "no such file"),
        ([tmp_path / "nomodel", "--input", tmp_path / "ok.npy"], "no saved model"),
        ([prefix, "--input", tmp_path / "bad.npy"], "the model takes"),
        ([prefix, "--input", tmp_path / "notes.npy"], "not a NumPy .npy array"),
        ([prefix, "--input", tmp_path / "ok.npy", "--ctx", "gpu(5)"], "bad --ctx"),
        ([mxnet_lenet, "--input", tmp_path / "img.png"], "give --shape"),
    ]
    for argv, message in cases:
        status, _, err = run_cli("predict", *argv)
        assert status == 2, (argv, err)
        assert err.startswith("neomx predict: error: ") and err.count("\n") == 1, err
        assert message in err, err
