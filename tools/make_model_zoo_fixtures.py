"""Write golden model-zoo fixtures from real MXNet 1.9.1 into tests/golden/model_zoo/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_model_zoo_fixtures.py

Files written:

    structure.json           for every name ``vision.get_model`` accepts (built with
                             ``classes=10``): the smallest square input it runs on, the output
                             shape there, ``collect_params()`` names (in order) with their
                             shapes, and the structural names ``save_parameters`` writes
    mobilenetv2_0.25.params  ``save_parameters`` of MobileNet v2 0.25 (classes=10), real bytes
    golden.json              for ResNet-18 v1, DenseNet-121 and MobileNet v2 0.25: input
                             shape, the seed of the parameters, the SHA-1 of MXNet's
                             ``save_parameters`` file
    golden.npz               the input and MXNet's inference output of each of the three

The weights of ResNet-18 and DenseNet-121 (tens of MB even with ``classes=10``) are not
stored: ``deterministic_params`` below makes them from a seed, MXNet saves them, and the
tests regenerate the same arrays, check that neomx writes a byte-identical ``.params`` file
(same SHA-1), and compare outputs. Tests never import mxnet.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet.gluon.model_zoo import vision

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "golden" / "model_zoo"
CLASSES = 10

MODEL_NAMES = [
    "alexnet",
    "densenet121",
    "densenet161",
    "densenet169",
    "densenet201",
    "inceptionv3",
    "mobilenet0.25",
    "mobilenet0.5",
    "mobilenet0.75",
    "mobilenet1.0",
    "mobilenetv2_0.25",
    "mobilenetv2_0.5",
    "mobilenetv2_0.75",
    "mobilenetv2_1.0",
    "resnet101_v1",
    "resnet101_v2",
    "resnet152_v1",
    "resnet152_v2",
    "resnet18_v1",
    "resnet18_v2",
    "resnet34_v1",
    "resnet34_v2",
    "resnet50_v1",
    "resnet50_v2",
    "squeezenet1.0",
    "squeezenet1.1",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]

# (model name, input shape, parameter seed); the tests read them back from golden.json.
GOLDEN = [
    ("resnet18_v1", (1, 3, 32, 32), 18),
    ("mobilenetv2_0.25", (2, 3, 32, 32), 2),
    ("densenet121", (1, 3, 221, 221), 121),
]


def deterministic_params(names_shapes, seed):
    """Make parameter values from ``seed``: uniform draws (a stable NumPy stream) scaled so
    activations stay O(1) through deep nets; BatchNorm statistics and scales stay positive.

    tests/gluon/test_model_zoo_golden.py has the same function.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    values = {}
    for name, shape in names_shapes:
        u = rng.random(size=tuple(shape))  # float64 in [0, 1)
        if name.endswith(("running_var", "gamma")):
            array = 0.5 + u
        elif name.endswith(("running_mean", "beta", "bias")):
            array = 0.2 * (u - 0.5)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            array = (u - 0.5) * np.sqrt(12.0 / fan_in)  # variance 1 / fan_in
        values[name] = array.astype(np.float32)
    return values


def build(name):
    with mx.name.NameManager():
        return vision.get_model(name, classes=CLASSES)


def runs_at(name, size):
    net = build(name)
    data = mx.sym.var("data")
    try:
        out = net(data)
        arg_shapes, out_shapes, aux_shapes = out.infer_shape(data=(1, 3, size, size))
    except mx.MXNetError:
        return None
    if out_shapes is None or tuple(out_shapes[0]) != (1, CLASSES):
        return None
    internals = out.get_internals()
    _, inner, _ = internals.infer_shape(data=(1, 3, size, size))
    if any(0 in shape for shape in inner):
        return None
    return tuple(out_shapes[0])


def smallest_size(name):
    for size in range(1, 400):
        if runs_at(name, size) is not None:
            return size
    raise RuntimeError(f"{name}: no valid input size below 400")


def structure(name):
    size = smallest_size(name)
    net = build(name)
    names = list(net.collect_params().keys())
    structural = list(net._collect_params_with_prefix().keys())
    net.initialize(mx.init.Xavier())
    out = net(mx.nd.zeros((1, 3, size, size)))
    shapes = [list(p.shape) for p in net.collect_params().values()]
    print(f"{name}: input {size}, {len(names)} parameters")
    return {
        "input_size": size,
        "output_shape": list(out.shape),
        "params": names,
        "shapes": shapes,
        "structural": structural,
    }


def golden(name, input_shape, seed):
    net = build(name)
    net.initialize()
    net(mx.nd.zeros(input_shape))  # finish deferred initialisation
    params = net.collect_params()
    values = deterministic_params([(k, p.shape) for k, p in params.items()], seed)
    for key, param in params.items():
        param.set_data(mx.nd.array(values[key]))
    data = np.random.Generator(np.random.PCG64(seed + 1)).random(input_shape).astype(np.float32)
    out = net(mx.nd.array(data)).asnumpy()
    net.hybridize()
    hybrid = net(mx.nd.array(data)).asnumpy()
    np.testing.assert_allclose(hybrid, out, rtol=1e-4, atol=1e-5)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.params"
        net.save_parameters(str(path))
        payload = path.read_bytes()
    if name == "mobilenetv2_0.25":
        (OUTPUT / f"{name}.params").write_bytes(payload)
    print(f"{name}: golden output {out.shape}, params file {len(payload)} bytes")
    meta = {"input_shape": list(input_shape), "seed": seed}
    meta["params_sha1"] = hashlib.sha1(payload).hexdigest()
    return meta, data, out


def main():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    structures = {name: structure(name) for name in MODEL_NAMES}
    with open(OUTPUT / "structure.json", "w") as stream:
        json.dump(structures, stream, indent=0, sort_keys=True)
        stream.write("\n")
    metas, arrays = {}, {}
    for name, input_shape, seed in GOLDEN:
        meta, data, out = golden(name, input_shape, seed)
        metas[name] = meta
        arrays[f"{name}:input"] = data
        arrays[f"{name}:output"] = out
    with open(OUTPUT / "golden.json", "w") as stream:
        json.dump(metas, stream, indent=1, sort_keys=True)
        stream.write("\n")
    np.savez_compressed(OUTPUT / "golden.npz", **arrays)


if __name__ == "__main__":
    main()
