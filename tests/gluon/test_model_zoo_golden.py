"""Model-zoo nets against real MXNet 1.9.1: the same weights give MXNet's outputs, and neomx
writes the same ``.params`` bytes MXNet wrote for them.

Fixtures: tools/make_model_zoo_fixtures.py (tests/golden/model_zoo/). ResNet-18 and DenseNet-121
weights are regenerated from a seed (storing them would take tens of MB); MobileNet v2 0.25's
``.params`` file is MXNet's own.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.gluon.model_zoo import vision

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "model_zoo"
STRUCTURE = json.loads((GOLDEN / "structure.json").read_text())
META = json.loads((GOLDEN / "golden.json").read_text())
ARRAYS = np.load(GOLDEN / "golden.npz")
CLASSES = 10


def deterministic_params(names_shapes, seed):
    """The parameter values tools/make_model_zoo_fixtures.py gave MXNet (same function)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    values = {}
    for name, shape in names_shapes:
        u = rng.random(size=tuple(shape))
        if name.endswith(("running_var", "gamma")):
            array = 0.5 + u
        elif name.endswith(("running_mean", "beta", "bias")):
            array = 0.2 * (u - 0.5)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            array = (u - 0.5) * np.sqrt(12.0 / fan_in)
        values[name] = array.astype(np.float32)
    return values


def build(name):
    with mx.name.NameManager():
        return vision.get_model(name, classes=CLASSES)


def sha1_of(path):
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def check_outputs(net, name):
    data = ARRAYS[f"{name}:input"]
    expected = ARRAYS[f"{name}:output"]
    scale = float(np.abs(expected).max())
    imperative = net(mx.nd.array(data)).asnumpy()
    np.testing.assert_allclose(imperative, expected, rtol=1e-4, atol=1e-4 * scale)
    net.hybridize()
    hybrid = net(mx.nd.array(data)).asnumpy()
    np.testing.assert_allclose(hybrid, expected, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name", ["resnet18_v1", "densenet121"])
def test_seeded_weights_save_as_mxnet_and_match_outputs(name, tmp_path):
    meta = META[name]
    reference = STRUCTURE[name]
    values = deterministic_params(zip(reference["params"], reference["shapes"]), meta["seed"])
    net = build(name)
    net.initialize()
    net(mx.nd.zeros(meta["input_shape"]))
    for key, param in net.collect_params().items():
        param.set_data(mx.nd.array(values[key]))
    path = tmp_path / f"{name}.params"
    net.save_parameters(str(path))
    assert sha1_of(path) == meta["params_sha1"], "not the bytes MXNet's save_parameters wrote"

    fresh = build(name)
    fresh.load_parameters(str(path))
    check_outputs(fresh, name)


def test_mobilenet_v2_loads_mxnet_params_file(tmp_path):
    name = "mobilenetv2_0.25"
    source = GOLDEN / f"{name}.params"
    assert sha1_of(source) == META[name]["params_sha1"]
    net = build(name)
    net.load_parameters(str(source), ctx=mx.cpu())
    check_outputs(net, name)
    # Saved back by neomx, the file is byte-identical to MXNet's.
    path = tmp_path / "again.params"
    net.save_parameters(str(path))
    assert path.read_bytes() == source.read_bytes()


def test_mobilenet_v2_seeded_weights_match_the_file():
    name = "mobilenetv2_0.25"
    reference = STRUCTURE[name]
    values = deterministic_params(zip(reference["params"], reference["shapes"]), META[name]["seed"])
    net = build(name)
    net.load_parameters(str(GOLDEN / f"{name}.params"))
    for key, param in net.collect_params().items():
        np.testing.assert_array_equal(param.data().asnumpy(), values[key])
