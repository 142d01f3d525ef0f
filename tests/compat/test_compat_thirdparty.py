"""Third-party MXNet 1.x libraries, unmodified, under the alias, against real MXNet 1.9.1.

Each program in ``programs/`` runs with ``python -m neomx run`` and the weights and inputs that
tools/make_compat_goldens.py saved from MXNet 1.9.1; its outputs must match MXNet's. The
libraries are installed once per run with ``pip install --no-deps --target`` (thirdparty.py).
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from thirdparty import FIXTURE_DIR, PROGRAM_DIR, PROGRAMS, install

# Keys whose MXNet 1.9.1 values come from its CPU-only behaviour that neomx does not copy:
KNOWN_DIFFERENCES = {
    # GluonCV's v2 ResNet normalizes the input with a BatchNorm whose parameters are frozen
    # and whose input needs no gradient. MXNet's CPU kernel updates running statistics in the
    # backward pass, which its autograd skips for that node, so they never move (its cuDNN
    # kernel, like neomx, updates them in the forward pass). The prediction after training
    # reads those statistics; every other output, losses included, matches.
    "cifar_resnet20_v2/after_training",
}


# What the programs import at run time: the compat part of the `test` extra (pyproject.toml).
RUNTIME_MODULES = (
    "scipy", "requests", "portalocker", "yacs", "autocfg", "yaml", "IPython", "tqdm", "sklearn",
)  # fmt: skip


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory):
    """The third-party packages, installed once and shared by the xdist workers."""
    missing = [m for m in RUNTIME_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(f"install the test extra (pip install -e '.[test]'): missing {missing}")
    root = tmp_path_factory.getbasetemp().parent
    target = root / "compat-site"
    with open(root / "compat-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = target / ".installed"
        if not done.exists():
            result = install(str(target))
            if result.returncode != 0:
                pytest.fail(f"pip could not install the third-party packages:\n{result.stderr}")
            done.write_text("ok")
    return str(target)


def _run_program(name, site, out):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([site, PROGRAM_DIR, env.get("PYTHONPATH", "")])
    env["MPLBACKEND"] = "Agg"
    script = os.path.join(PROGRAM_DIR, f"{name}.py")
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "neomx", "run", script, FIXTURE_DIR, str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_mxnet(name, site_dir, tmp_path):
    out = tmp_path / "out.npz"
    result = _run_program(name, site_dir, out)
    assert result.returncode == 0, result.stderr[-4000:]
    golden = np.load(os.path.join(FIXTURE_DIR, f"{name}-golden.npz"))
    got = np.load(out)
    assert sorted(golden.files) == sorted(got.files)
    for key in golden.files:
        if key in KNOWN_DIFFERENCES:
            continue
        expected, actual = golden[key], got[key]
        if expected.dtype.kind in "fc":
            np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=key)
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=key)
