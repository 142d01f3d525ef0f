"""Smoke tests: every script under examples/ runs to the end with tiny settings.

Each example takes flags that make it finish in seconds (fewer epochs, synthetic data); the
table below holds them. A new example fails ``test_every_example_has_a_smoke_setting`` until
it gets a row. The demo (``make demo`` = examples/digits_cnn.py) is checked end to end: the
exported files, the reload agreement and the plot.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import neomx as mx

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
TIMEOUT_S = 600

# script: (arguments, a line its output must contain). "{tmp}" is a fresh folder.
SMOKE = {
    "digits_cnn.py": (["--epochs", "1", "--out", "{tmp}", "--no-progress"], "predictions agree"),
    "transfer_learning.py": (
        ["--source-epochs", "1", "--epochs", "1", "--shots", "2", "--out", "{tmp}"],
        "fine-tuned source model",
    ),
    "model_parallel.py": (["--epochs", "1", "--synthetic"], "identical to the two-device run"),
    "cnn_image_classification.py": (["--epochs", "1"], "accuracy"),
    "lstm_language_model.py": (
        ["--seconds", "2", "--vocab", "200", "--embed", "8", "--hidden", "8", "--layers", "1"],
        "perplexity",
    ),
    "module_mlp.py": (["--epochs", "1", "--synthetic", "--out", "{tmp}"], ""),
    "seed_symbolic.py": (["--epochs", "1", "--synthetic"], ""),
    "seed_multi_device.py": (["--epochs", "1", "--synthetic"], ""),
    "hybrid_parallel.py": ([], ""),  # no tiny mode: a fixed 30 steps of a small model
}
NEEDS_SKLEARN = {"digits_cnn.py", "transfer_learning.py", "cnn_image_classification.py"}


def run_example(script, arguments, tmp_path):
    command = [sys.executable, os.path.join(EXAMPLES, script)]
    command += [a.replace("{tmp}", str(tmp_path)) for a in arguments]
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )


def test_every_example_has_a_smoke_setting():
    scripts = {name for name in os.listdir(EXAMPLES) if name.endswith(".py")}
    assert scripts - set(SMOKE) == set(), "add the new examples to SMOKE"


@pytest.mark.parametrize("script", sorted(set(SMOKE) - {"digits_cnn.py"}))
def test_example_runs(script, tmp_path):
    if not os.path.exists(os.path.join(EXAMPLES, script)):
        pytest.skip(f"{script} is not there")
    if script in NEEDS_SKLEARN:
        pytest.importorskip("sklearn")
    arguments, expected = SMOKE[script]
    done = run_example(script, arguments, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout


def test_demo_pipeline_end_to_end(tmp_path):
    """``make demo``'s script in its short mode: trains, exports, reloads, agrees, plots."""
    for module in ("sklearn", "tqdm", "matplotlib"):
        pytest.importorskip(module)
    arguments, _ = SMOKE["digits_cnn.py"]
    done = run_example("digits_cnn.py", arguments, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "test accuracy:" in out
    assert "reloaded with SymbolBlock.imports: predictions agree" in out

    symbol_file = tmp_path / "digits_lenet-symbol.json"
    params_file = tmp_path / "digits_lenet-0001.params"
    plot = tmp_path / "training_curves.png"
    assert symbol_file.is_file() and params_file.is_file()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The exported files load here too, and give ten class scores per image.
    net = mx.gluon.SymbolBlock.imports(str(symbol_file), ["data"], str(params_file))
    scores = net(mx.nd.array(np.zeros((3, 1, 8, 8), dtype=np.float32))).asnumpy()
    assert scores.shape == (3, 10) and np.isfinite(scores).all()


def test_demo_fails_below_the_required_accuracy(tmp_path):
    for module in ("sklearn", "tqdm", "matplotlib"):
        pytest.importorskip(module)
    arguments = ["--epochs", "1", "--batch-size", "512", "--lr", "1e-6", "--out", "{tmp}"]
    done = run_example("digits_cnn.py", [*arguments, "--require-accuracy", "0.99"], tmp_path)
    assert done.returncode == 1
    assert "is below the required" in done.stdout
