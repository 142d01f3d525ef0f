"""The third-party MXNet 1.x programs the compat tests run, and how to install them.

Each is installed with ``pip install --no-deps --target``: their metadata either asks for
``mxnet`` (which must not come in) or pins packages that do not exist for Python 3.11
(gluonbook wants ``jupyter``; GluonCV wants ``opencv-python``, which it needs only for image
files). What they import at run time is in the ``test`` extra of pyproject.toml.
"""

from __future__ import annotations

import os
import subprocess
import sys

# program (tests/compat/programs/<name>.py) -> the distributions it runs.
PROGRAMS = {
    "vision_gluoncv2": ["gluoncv2==0.0.64"],
    "vision_gluoncv": ["gluoncv==0.10.5.post0"],
    "nlp_gluonbook": ["gluonbook==0.8.10"],
    "nlp_gluonnlp": ["gluonnlp==0.10.0"],
    "module_mms": ["mxnet-model-server==1.0.8"],
    "module_xfer": ["xfer-ml==1.1.0"],
}

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM_DIR = os.path.join(HERE, "programs")
FIXTURE_DIR = os.path.join(HERE, "fixtures")


def install(target: str, python: str = sys.executable) -> subprocess.CompletedProcess:
    """``pip install --no-deps --target target`` every distribution of ``PROGRAMS``."""
    distributions = sorted({d for dists in PROGRAMS.values() for d in dists})
    return subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", target, *distributions],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
