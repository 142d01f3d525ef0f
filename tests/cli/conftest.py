"""Fixtures of the command-line tests: a small saved model, made without training."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx.cli.common import save_model
from neomx.gluon import nn

INPUT_SHAPE = (1, 1, 8, 8)


@pytest.fixture
def run_cli(capsys):
    """Run ``neomx ARGS...`` in this process; return (exit status, stdout, stderr)."""
    from neomx.cli import main

    def run(*argv):
        status = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def saved_model(tmp_path):
    """The checkpoint prefix of a small LeNet-like model saved at epoch 2, and the model."""
    mx.random.seed(0)
    net = nn.HybridSequential(prefix="tiny_")
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1, activation="relu"), nn.MaxPool2D(2))
        net.add(nn.BatchNorm(), nn.Flatten(), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    net(mx.nd.zeros(INPUT_SHAPE))
    prefix = str(tmp_path / "tiny")
    save_model(net, prefix, 2, INPUT_SHAPE)
    return prefix, net


@pytest.fixture
def make_batch():
    """``make_batch(n)``: n random inputs of the saved model."""

    def make(count):
        rng = np.random.default_rng(0)
        return rng.random((count, *INPUT_SHAPE[1:]), dtype=np.float32)

    return make
