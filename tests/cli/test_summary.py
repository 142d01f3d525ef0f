"""``neomx summary``: neomx checkpoints and MXNet-saved ones."""

from __future__ import annotations

import os

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "symbol")


def test_summary_of_a_neomx_checkpoint_uses_the_saved_shape(run_cli, saved_model):
    prefix, net = saved_model
    status, out, err = run_cli("summary", prefix)
    assert status == 0, err
    assert "input (1, 1, 8, 8)" in out
    assert "Convolution" in out and "FullyConnected" in out and "4x8x8" in out
    total = sum(p.data().size for p in net.collect_params().values())
    assert "-0002.params (epoch 2)" in out and f"{total:,} values" in out


def test_summary_of_an_mxnet_checkpoint(run_cli):
    """tests/fixtures/symbol/lenet-* were written by MXNet 1.9.1 (Module.save_checkpoint)."""
    status, out, err = run_cli(
        "summary", os.path.join(FIXTURES, "lenet-0000"), "--shape", "1,1,16,16"
    )
    assert status == 0, err
    assert "SoftmaxOutput" in out and "Total params: 56080" in out


def test_summary_without_a_shape_still_lists_the_layers(run_cli):
    status, out, err = run_cli("summary", os.path.join(FIXTURES, "mlp-symbol.json"))
    assert status == 0, err
    assert "FullyConnected" in out and "--shape" in out


def test_summary_errors(run_cli, saved_model, tmp_path):
    prefix, _ = saved_model
    for argv, message in [
        ([str(tmp_path / "absent")], "no saved model"),
        ([f"{prefix}-0007"], "-0007.params does not exist"),
        ([prefix, "--shape", "1,x"], "bad --shape"),
    ]:
        status, _, err = run_cli("summary", *argv)
        assert status == 2 and err.count("\n") == 1 and message in err, err
