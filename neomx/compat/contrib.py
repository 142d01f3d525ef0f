"""``mxnet.contrib`` under the alias: its submodules, each imported on first use.

``ndarray``/``symbol`` are neomx's ``nd.contrib``/``sym.contrib``; ``autograd`` is MXNet's early
autograd API; ``text`` the vocabulary and embedding helpers. MXNet's ``onnx``, ``quantization``,
``amp``, ``tensorrt``, ``tensorboard`` and ``svrg_optimization`` are not part of neomx.
"""

from __future__ import annotations

import importlib

# A package under the alias: ``import mxnet.contrib.text`` is resolved by the alias finder.
__path__: list = []

_SUBMODULES = {
    "ndarray": "neomx.ndarray.contrib",
    "nd": "neomx.ndarray.contrib",
    "symbol": "neomx.symbol.contrib",
    "sym": "neomx.symbol.contrib",
    "autograd": "neomx.compat.contrib_autograd",
    "text": "neomx.compat.text",
    "amp": "neomx.compat.amp",
}


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(_SUBMODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mxnet.contrib' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
