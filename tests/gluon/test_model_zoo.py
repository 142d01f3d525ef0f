"""gluon.model_zoo.vision: every model has MXNet 1.9.1's parameter names and shapes, builds,
hybridizes and runs at its smallest input; get_model and the pretrained-weights store.

Reference structure: tests/golden/model_zoo/structure.json (tools/make_model_zoo_fixtures.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.gluon.model_zoo import model_store, vision

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "model_zoo"
STRUCTURE = json.loads((GOLDEN / "structure.json").read_text())
MODEL_NAMES = sorted(STRUCTURE)
CLASSES = 10


def build(name, **kwargs):
    with mx.name.NameManager():
        return vision.get_model(name, classes=CLASSES, **kwargs)


def test_every_mxnet_name_is_available():
    assert sorted(vision._models) == MODEL_NAMES
    assert sorted(model_store._model_sha1) == MODEL_NAMES


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_parameter_names_match_mxnet(name):
    net = build(name)
    reference = STRUCTURE[name]
    assert list(net.collect_params().keys()) == reference["params"]
    # The keys save_parameters writes (structural names such as 'features.0.weight').
    assert list(net._collect_params_with_prefix().keys()) == reference["structural"]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_forward_at_smallest_input(name):
    reference = STRUCTURE[name]
    size = reference["input_size"]
    net = build(name)
    net.initialize()
    net.hybridize()
    out = net(mx.nd.ones((1, 3, size, size)))
    assert list(out.shape) == reference["output_shape"]
    assert np.isfinite(out.asnumpy()).all()
    shapes = [list(param.shape) for param in net.collect_params().values()]
    assert shapes == reference["shapes"]


@pytest.mark.parametrize(
    "name",
    ["alexnet", "mobilenet0.25", "mobilenetv2_0.5", "resnet18_v2", "resnet50_v1", "squeezenet1.1",
     "vgg11_bn", pytest.param("inceptionv3", marks=pytest.mark.slow)],
)  # fmt: skip
def test_hybridized_matches_imperative(name):
    size = max(STRUCTURE[name]["input_size"], 32)
    batch = 2 if size < 100 else 1
    net = build(name)
    net.initialize(mx.init.Xavier())
    data = mx.nd.array(np.random.RandomState(0).uniform(size=(batch, 3, size, size)))
    imperative = net(data).asnumpy()
    net.hybridize()
    hybrid = net(data).asnumpy()
    np.testing.assert_allclose(hybrid, imperative, rtol=1e-4, atol=1e-5)


def test_thumbnail_resnet_and_too_small_input():
    net = vision.resnet18_v1(classes=10, thumbnail=True)
    net.initialize()
    assert net(mx.nd.zeros((2, 3, 32, 32))).shape == (2, 10)
    squeezenet = vision.squeezenet1_1(classes=10)
    squeezenet.initialize()
    with pytest.raises(MXNetError):
        squeezenet(mx.nd.zeros((1, 3, 64, 64))).wait_to_read()


def test_get_model_names():
    assert isinstance(vision.get_model("ResNet18_V1"), vision.ResNetV1)
    assert isinstance(vision.get_model("resnet50_v2").features[5][0], vision.BottleneckV2)
    assert isinstance(vision.get_model("mobilenetv2_0.75"), vision.MobileNetV2)
    assert isinstance(vision.get_model("squeezenet1.0"), vision.SqueezeNet)
    assert isinstance(vision.get_model("inceptionv3"), vision.Inception3)
    assert mx.gluon.model_zoo.vision.get_model is vision.get_model
    with pytest.raises(ValueError, match=r"resnet19_v1 is not supported(.|\n)*resnet18_v1"):
        vision.get_model("resnet19_v1")
    with pytest.raises(ValueError, match="Invalid number of layers"):
        vision.get_resnet(1, 19)
    with pytest.raises(ValueError, match="Invalid resnet version"):
        vision.get_resnet(3, 18)
    with pytest.raises(ValueError, match="SqueezeNet version"):
        vision.SqueezeNet("2.0")


def test_short_hash_and_default_root(monkeypatch, tmp_path):
    assert model_store.short_hash("resnet18_v1") == "a0666292"
    with pytest.raises(ValueError, match="resnet19_v1"):
        model_store.short_hash("resnet19_v1")
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    assert model_store.default_root() == str(tmp_path / "models")


# ---- pretrained weights: a real MXNet file (MobileNet v2 0.25, classes=10) under a patched hash


@pytest.fixture
def fake_store(monkeypatch, tmp_path):
    """A store holding MXNet's mobilenetv2_0.25 file (10 classes) as its pretrained weights."""
    source = GOLDEN / "mobilenetv2_0.25.params"
    sha1 = hashlib.sha1(source.read_bytes()).hexdigest()
    monkeypatch.setitem(model_store._model_sha1, "mobilenetv2_0.25", sha1)
    file_name = f"mobilenetv2_0.25-{sha1[:8]}.params"
    return source, tmp_path / "models", file_name


def test_pretrained_loads_from_root(fake_store, monkeypatch):
    source, root, file_name = fake_store
    root.mkdir()
    shutil.copy(source, root / file_name)

    def no_network(*args, **kwargs):
        raise AssertionError("a file present in root must not be downloaded")

    monkeypatch.setattr(model_store, "download", no_network)
    net = vision.get_model(
        "mobilenetv2_0.25", pretrained=True, classes=10, root=str(root), ctx=mx.cpu()
    )
    saved = mx.nd.load(str(source))
    for key, param in net._collect_params_with_prefix().items():
        np.testing.assert_array_equal(param.data().asnumpy(), saved[key].asnumpy())
    assert net(mx.nd.zeros((1, 3, 32, 32))).shape == (1, 10)


def test_pretrained_downloads_zip_from_repo(fake_store, monkeypatch, tmp_path, capsys):
    source, root, file_name = fake_store
    repo = tmp_path / "repo"
    (repo / "gluon" / "models").mkdir(parents=True)
    archive = repo / "gluon" / "models" / file_name.replace(".params", ".zip")
    with zipfile.ZipFile(archive, "w") as stream:
        stream.write(source, file_name)
    monkeypatch.setenv("MXNET_GLUON_REPO", repo.as_uri())  # no trailing '/': added
    path = model_store.get_model_file("mobilenetv2_0.25", root=str(root))
    assert path == str(root / file_name)
    assert Path(path).read_bytes() == source.read_bytes()
    assert sorted(p.name for p in root.iterdir()) == [file_name]  # no temporary left behind
    model_store.purge(str(root))
    assert list(root.iterdir()) == []


def test_pretrained_offline_says_where_to_put_the_file(fake_store, monkeypatch, caplog):
    _, root, file_name = fake_store
    root.mkdir()
    (root / file_name).write_bytes(b"corrupt")  # wrong SHA-1: fetched again

    def offline(url, path=None, **kwargs):
        raise MXNetError(f"download: could not fetch {url}: no network")

    monkeypatch.setattr(model_store, "download", offline)
    with caplog.at_level(logging.WARNING), pytest.raises(MXNetError) as info:
        vision.mobilenet_v2_0_25(pretrained=True, classes=10, root=str(root))
    message = str(info.value)
    assert file_name in message and str(root) in message and "MXNET_HOME" in message
    assert "gluon/models/" + file_name.replace(".params", ".zip") in message
    assert "Mismatch" in caplog.text


def test_pretrained_name_of_each_family(monkeypatch):
    asked = []

    def record(name, root=None):
        asked.append(name)
        raise MXNetError("stop")

    monkeypatch.setattr(model_store, "get_model_file", record)
    names = ["vgg16_bn", "vgg19", "mobilenet0.5", "mobilenet1.0", "mobilenetv2_0.75",
             "squeezenet1.1", "inceptionv3", "densenet161", "resnet152_v2", "alexnet"]  # fmt: skip
    for name in names:
        with pytest.raises(MXNetError, match="stop"):
            vision.get_model(name, pretrained=True)
        assert asked[-1] == name


def test_pretrained_file_in_legacy_format(fake_store, monkeypatch):
    """Files written by ``save_params`` (names without the net's prefix) load as well."""
    source, root, _ = fake_store
    net = build("mobilenetv2_0.25")
    net.load_parameters(str(source))
    root.mkdir()
    legacy = root / "legacy.params"
    prefix = net.prefix
    mx.nd.save(str(legacy), {k[len(prefix) :]: p.data() for k, p in net.collect_params().items()})
    sha1 = hashlib.sha1(legacy.read_bytes()).hexdigest()
    monkeypatch.setitem(model_store._model_sha1, "mobilenetv2_0.25", sha1)
    legacy.rename(root / f"mobilenetv2_0.25-{sha1[:8]}.params")
    loaded = vision.get_model("mobilenetv2_0.25", pretrained=True, classes=10, root=str(root))
    for (key, expected), param in zip(
        net.collect_params().items(), loaded.collect_params().values()
    ):
        np.testing.assert_array_equal(param.data().asnumpy(), expected.data().asnumpy(), key)
