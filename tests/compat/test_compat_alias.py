"""The ``mxnet`` alias: import forms, submodules, versions, shared classes, pickling."""

from __future__ import annotations

import importlib
import os
import pickle
import sys

import numpy as np
import pytest

import neomx
import neomx.compat as compat

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


@pytest.fixture
def alias():
    """The alias installed for one test, removed after it."""
    module = compat.install_mxnet_alias()
    yield module
    compat.uninstall_mxnet_alias()


def test_import_forms(alias):
    import mxnet
    import mxnet as mx
    import mxnet.ndarray as F
    from mxnet import gluon, nd
    from mxnet.gluon import nn

    assert mx is mxnet is alias
    assert nd is neomx.nd and F is neomx.ndarray and gluon is neomx.gluon and nn is neomx.gluon.nn
    assert mx.sym is neomx.symbol and mx.mod is neomx.module and mx.init is neomx.initializer


@pytest.mark.parametrize(
    "name, target",
    [
        ("mxnet.ndarray.contrib", "neomx.ndarray.contrib"),
        ("mxnet.symbol.contrib", "neomx.symbol.contrib"),
        ("mxnet.contrib.ndarray", "neomx.ndarray.contrib"),
        ("mxnet.contrib.symbol", "neomx.symbol.contrib"),
        ("mxnet.gluon.model_zoo.vision", "neomx.gluon.model_zoo.vision"),
        ("mxnet.gluon.data.vision.transforms", "neomx.gluon.data.vision.transforms"),
        ("mxnet.gluon.contrib.nn", "neomx.gluon.contrib.nn"),
        ("mxnet.test_utils", "neomx.test_utils"),
        ("mxnet.executor", "neomx.symbol.executor"),
        ("mxnet.io", "neomx.io"),
        ("mxnet.kvstore", "neomx.kvstore"),
        ("mxnet.optimizer", "neomx.optimizer"),
        ("mxnet.profiler", "neomx.profiler"),
        ("mxnet.operator", "neomx.operator"),
        ("mxnet.runtime", "neomx.compat.runtime"),
        ("mxnet.libinfo", "neomx.compat.libinfo"),
        ("mxnet.util", "neomx.compat.util"),
        ("mxnet.registry", "neomx.compat.registry"),
        ("mxnet.contrib.text", "neomx.compat.text"),
        ("mxnet.contrib.text.vocab", "neomx.compat.text.vocab"),
        ("mxnet.contrib.amp", "neomx.compat.amp"),
        ("mxnet.notebook.callback", "neomx.compat.notebook_callback"),
    ],
)
def test_submodules(alias, name, target):
    assert importlib.import_module(name) is importlib.import_module(target)
    assert importlib.import_module(target).__name__ == target  # neomx's modules keep their names


@pytest.mark.parametrize(
    "attribute",
    ["base", "context", "name", "attribute", "engine", "random", "autograd", "metric",
     "lr_scheduler", "image", "recordio", "visualization", "model", "callback", "monitor",
     "runtime", "util", "libinfo", "profiler", "operator", "contrib", "notebook"],
)  # fmt: skip
def test_lazy_attributes(alias, attribute):
    assert getattr(alias, attribute).__name__.startswith("neomx.")


def test_versions(alias):
    assert alias.__version__ == "1.9.1" and alias.libinfo.__version__ == "1.9.1"
    assert neomx.__version__ != "1.9.1"
    major, minor = (int(v) for v in alias.__version__.split(".")[:2])
    assert (1, 4) <= (major, minor) < (2, 0)


def test_base_names(alias):
    from mxnet.base import MXNetError, _Null, integer_types, numeric_types, py_str, string_types

    assert MXNetError is neomx.base.MXNetError and _Null is neomx.base._Null
    assert isinstance("x", string_types) and isinstance(3, integer_types)
    assert isinstance(np.float32(1), numeric_types) and py_str("a") == "a"
    assert alias.context.num_gpus() == neomx.num_gpus()


def test_features_truthful(alias):
    features = alias.runtime.Features()
    assert features.is_enabled("CUDA") == (neomx.num_gpus() > 0)
    assert not features.is_enabled("CUDNN") and not features.is_enabled("MKLDNN")
    assert list(features)[:2] == ["CUDA", "CUDNN"]
    with pytest.raises(RuntimeError, match="unknown"):
        features.is_enabled("NOT_A_FEATURE")


def test_util_np_semantics_refused(alias):
    assert alias.util.is_np_array() is False and alias.is_np_shape() is False
    assert alias.util.use_np(len) is len
    with pytest.raises(neomx.base.MXNetNotImplementedError, match="NumPy semantics"):
        alias.util.set_np()


def test_unsupported_parts_explain(alias):
    with pytest.raises(ImportError, match="NumPy-compatible interface"):
        from mxnet import np  # noqa: F401
    with pytest.raises(ModuleNotFoundError):
        import mxnet.no_such_module  # noqa: F401


def test_isinstance_across_names(alias):
    import mxnet as mx

    a = mx.nd.ones((2,))
    assert isinstance(a, neomx.nd.NDArray) and isinstance(neomx.nd.zeros(1), mx.nd.NDArray)
    assert mx.nd.NDArray is neomx.ndarray.ndarray.NDArray
    assert isinstance(mx.gluon.nn.Dense(2), neomx.gluon.Block)
    assert isinstance(mx.sym.var("x"), neomx.sym.Symbol)


def test_pickle_under_alias_loads_without_it(alias):
    import mxnet as mx

    data = pickle.dumps(mx.nd.array([[1, 2], [3, 4]]))
    assert b"neomx" in data and b"mxnet" not in data
    compat.uninstall_mxnet_alias()
    assert "mxnet" not in sys.modules
    assert pickle.loads(data).asnumpy().tolist() == [[1, 2], [3, 4]]


def test_pickle_from_real_mxnet(alias):
    # Made by MXNet 1.9.1: pickle.dumps([mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([7], 'int32')])
    with open(os.path.join(FIXTURES, "mxnet_pickle.pkl"), "rb") as handle:
        matrix, vector = pickle.load(handle)
    assert isinstance(matrix, neomx.nd.NDArray)
    assert matrix.asnumpy().tolist() == [[1, 2], [3, 4]] and vector.dtype == np.int32


def test_uninstall_removes_everything():
    compat.install_mxnet_alias()
    import mxnet.gluon.nn  # noqa: F401

    compat.uninstall_mxnet_alias()
    assert not compat.is_installed()
    assert not [name for name in sys.modules if name.split(".")[0] == "mxnet"]
    with pytest.raises(ModuleNotFoundError):
        import mxnet  # noqa: F401
    assert neomx.gluon.nn.__spec__.name == "neomx.gluon.nn"


def test_install_refuses_a_real_mxnet(monkeypatch):
    import types

    monkeypatch.setitem(sys.modules, "mxnet", types.ModuleType("mxnet"))
    with pytest.raises(ImportError, match="real 'mxnet'"):
        compat.install_mxnet_alias()
