"""Write tests/compat/fixtures: weights, inputs and outputs of the third-party MXNet programs.

Run by hand in a real MXNet 1.9.1 environment, with the third-party packages and their run-time
dependencies importable there (numpy < 1.24 in that venv; the script does not install them):

    pip install --no-deps --target /tmp/compat-site gluoncv2==0.0.64 gluoncv==0.10.5.post0 \
        gluonbook==0.8.10 gluonnlp==0.10.0 mxnet-model-server==1.0.8 xfer-ml==1.1.0
    PYTHONPATH=/tmp/compat-site:/tmp/compat-deps /opt/mxvenv/bin/python tools/make_compat_goldens.py

(``/tmp/compat-deps``: tqdm, Pillow, scipy<1.12, matplotlib<3.9, requests, portalocker, yacs,
autocfg, pyyaml, ipython, packaging, scikit-learn<1.4 with joblib and threadpoolctl, built for
that numpy). Each program in tests/compat/programs runs with ``--make``: it initialises its models
at random, saves the weights and inputs into the fixture directory, and writes
``<program>-golden.npz``. The tests then run the same program under
neomx's ``mxnet`` alias with those weights and compare.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "compat"))

from thirdparty import FIXTURE_DIR, PROGRAM_DIR, PROGRAMS  # noqa: E402


def main() -> int:
    import mxnet

    if "neomx" in repr(mxnet) or mxnet.__file__ is None:
        raise SystemExit("make_compat_goldens: run this with real MXNet 1.9.1, not the alias")
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [PROGRAM_DIR, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        ),
    )
    versions = {"mxnet": mxnet.__version__, "programs": PROGRAMS}
    for name in PROGRAMS:
        script = os.path.join(PROGRAM_DIR, f"{name}.py")
        out = os.path.join(FIXTURE_DIR, f"{name}-golden.npz")
        print(f"make_compat_goldens: {name}", flush=True)
        subprocess.run([sys.executable, script, FIXTURE_DIR, out, "--make"], env=env, check=True)
    with open(os.path.join(FIXTURE_DIR, "versions.json"), "w") as handle:
        json.dump(versions, handle, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
