"""The Module examples run end to end with tiny settings."""

from __future__ import annotations

import os
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.fixture
def examples_path():
    sys.path.insert(0, EXAMPLES)
    yield
    sys.path.remove(EXAMPLES)


def test_seed_symbolic(examples_path):
    import seed_symbolic

    assert seed_symbolic.main(["--epochs", "3", "--synthetic"]) > 0.9


def test_seed_multi_device(examples_path):
    import seed_multi_device

    accuracy, gap = seed_multi_device.main(["--epochs", "2", "--synthetic"])
    assert accuracy > 0.8 and gap < 1e-4


def test_module_mlp(examples_path, tmp_path):
    import module_mlp

    assert module_mlp.main(["--epochs", "2", "--synthetic", "--out", str(tmp_path)]) > 0.8
