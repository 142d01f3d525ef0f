"""``mx.gluon``: Parameters, Blocks and hybridization (MXNet 1.x's imperative API).

NOTE for gluon.nn: ``Sequential``, ``HybridSequential``, ``Lambda`` and ``HybridLambda`` live
in ``neomx/gluon/containers.py``; ``gluon.nn`` re-exports them
(``from ..containers import HybridLambda, HybridSequential, Lambda, Sequential``).
"""

from __future__ import annotations

import importlib

from . import parameter, utils
from .block import Block, HookHandle
from .containers import HybridLambda, HybridSequential, Lambda, Sequential
from .hybrid import HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .symbol_block import SymbolBlock

__all__ = [
    "Block",
    "HookHandle",
    "HybridBlock",
    "SymbolBlock",
    "Parameter",
    "Constant",
    "ParameterDict",
    "DeferredInitializationError",
    "Sequential",
    "HybridSequential",
    "Lambda",
    "HybridLambda",
    "parameter",
    "utils",
]

# Subpackages written alongside this core (nn, loss, contrib, trainer, data, ...): expose each
# one that exists.
for _sub in ("nn", "loss", "contrib", "rnn", "data", "model_zoo", "trainer"):
    try:
        globals()[_sub] = importlib.import_module(f"{__name__}.{_sub}")
    except ModuleNotFoundError as _err:
        if _err.name != f"{__name__}.{_sub}":
            raise
    else:
        __all__.append(_sub)
if "trainer" in globals() and hasattr(globals()["trainer"], "Trainer"):
    Trainer = globals()["trainer"].Trainer
    __all__.append("Trainer")
