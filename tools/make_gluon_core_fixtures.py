"""Write golden Gluon-core fixtures from real MXNet 1.9.1 into tests/golden/gluon_core/, and
check that models exported by neomx load in MXNet.

Run it in the oracle venv (it runs neomx itself through /opt/devvenv/bin/python)::

    /opt/mxvenv/bin/python tools/make_gluon_core_fixtures.py

Files written:

    naming.json              parameter names, structural names and prefixes of small nets
                             built from the HybridBlocks below (same code in the tests)
    mx_net.params            save_parameters of an MXNet net (structural names)
    mx_net-symbol.json,
    mx_net-0000.params       export of the same net
    mx_net.npz               its input, inference and training outputs, gradients, and the
                             moving statistics after one training step
    neomx_net-symbol.json,
    neomx_net-0000.params    export of the same net by neomx (deterministic parameters)
    neomx_net.npz            MXNet's outputs after SymbolBlock.imports of neomx's export

tests/gluon/test_hybridize.py and test_block.py replay them; tests never import mxnet.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "golden" / "gluon_core"
NEOMX_PYTHON = "/opt/devvenv/bin/python"

# ---- the blocks: tests/gluon/gluon_core_builders.py, built here on MXNet --------------------


def _load_blocks():
    path = ROOT / "tests" / "gluon" / "gluon_core_builders.py"
    spec = importlib.util.spec_from_file_location("gluon_core_builders", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.define_blocks(mx)


_blocks = _load_blocks()
Dense, Norm, Tower = _blocks.Dense, _blocks.Norm, _blocks.Tower
make_net, set_params = _blocks.make_net, _blocks.set_params


def summary_text(make, shape):
    net = make()
    net.initialize()
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        net.summary(mx.nd.ones(shape))
    return stream.getvalue()


# ---- naming ----------------------------------------------------------------------------------


def naming():
    cases = {}
    with mx.name.NameManager():
        a, b = Dense(2), Dense(3)
        seq = gluon.nn.HybridSequential()
        with seq.name_scope():
            seq.add(Dense(4), Dense(5), Norm())
            inner = gluon.nn.HybridSequential()
            with inner.name_scope():
                inner.add(Dense(6))
            seq.add(inner)
        plain = gluon.nn.Sequential()
        plain.add(Dense(2), Dense(2))  # made outside the name scope: top-level names
        shared = Dense(2, params=a.params)
        named = Dense(2, prefix="mine_")
        tower = Tower()
        cases["prefixes"] = [
            a.prefix,
            b.prefix,
            seq.prefix,
            seq[0].prefix,
            inner.prefix,
            inner[0].prefix,
            plain[0].prefix,
            plain[1].prefix,
            shared.prefix,
            named.prefix,
            tower.prefix,
            tower.head.prefix,
            tower.features[1].prefix,
        ]
        cases["names"] = [a.name, seq.name, tower.head.name]
        for key, net in (
            ("seq", seq),
            ("plain", plain),
            ("shared", shared),
            ("named", named),
            ("tower", tower),
        ):
            cases[key] = {
                "collect": list(net.collect_params().keys()),
                "structural": sorted(net._collect_params_with_prefix().keys()),
                "weights": list(net.collect_params(".*weight").keys()),
                "params_repr": repr(net.collect_params()),
            }
        cases["seq_repr"] = repr(seq)
        cases["tower_repr"] = repr(tower)
        cases["summary"] = summary_text(make_net, (4, 5))
        cases["tower_summary"] = summary_text(Tower, (4, 5))
        cases["param_repr"] = [
            repr(a.weight),
            repr(gluon.Parameter("w", shape=(2, 3))),
            repr(gluon.Constant("c", mx.nd.ones((2,)))),
            repr(gluon.ParameterDict("p_")),
        ]
    return cases


# ---- an MXNet model for neomx to load --------------------------------------------------------


def mx_model():
    with mx.name.NameManager():
        net = make_net()
    net.initialize()
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(4, 5)).astype("float32")
    net(mx.nd.array(x))
    set_params(net, 1)
    net.save_parameters(str(OUTPUT / "mx_net.params"))
    head = rng.uniform(-1, 1, size=(4, 3)).astype("float32")
    out = net(mx.nd.array(x)).asnumpy()
    net.hybridize()
    net(mx.nd.array(x))
    net.export(str(OUTPUT / "mx_net"), 0)
    xin = mx.nd.array(x)
    xin.attach_grad()
    with autograd.record():
        y = net(xin)
        loss = (y * mx.nd.array(head)).sum()
    loss.backward()
    arrays = {
        "x": x,
        "head": head,
        "out": out,
        "train_out": y.asnumpy(),
        "x_grad": xin.grad.asnumpy(),
    }
    for key, param in net._collect_params_with_prefix().items():
        if param.grad_req != "null":
            arrays[f"grad:{key}"] = param.grad().asnumpy()
        else:
            arrays[f"after:{key}"] = param.data().asnumpy()
    np.savez(OUTPUT / "mx_net.npz", **arrays)


# ---- neomx's export, loaded by MXNet ---------------------------------------------------------

NEOMX_EXPORT = """
import sys
import numpy as np
import neomx as mx
sys.path.insert(0, {tests!r})
from gluon_core_blocks import make_net, set_params
with mx.name.NameManager():
    net = make_net()
net.initialize()
x = np.random.RandomState(0).uniform(-1, 1, size=(4, 5)).astype("float32")
net(mx.nd.array(x))
set_params(net, 1)
net.hybridize()
out = net(mx.nd.array(x)).asnumpy()
net.export({path!r}, 0)
np.save({path!r} + "-out.npy", out)
"""


def neomx_export():
    path = str(OUTPUT / "neomx_net")
    code = NEOMX_EXPORT.format(tests=str(ROOT / "tests" / "gluon"), path=path)
    subprocess.run([NEOMX_PYTHON, "-c", code], check=True, cwd=str(ROOT))
    neomx_out = np.load(path + "-out.npy")
    Path(path + "-out.npy").unlink()
    block = gluon.SymbolBlock.imports(path + "-symbol.json", ["data"], path + "-0000.params")
    x = np.random.RandomState(0).uniform(-1, 1, size=(4, 5)).astype("float32")
    out = block(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(out, neomx_out, rtol=1e-5, atol=1e-6)
    np.savez(OUTPUT / "neomx_net.npz", x=x, out=out)
    print("neomx export loads in MXNet 1.9.1: outputs agree")


def main():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    (OUTPUT / "naming.json").write_text(json.dumps(naming(), indent=1) + "\n")
    mx_model()
    if "--no-neomx" not in sys.argv:
        neomx_export()
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
