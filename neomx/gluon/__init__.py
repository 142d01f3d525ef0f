"""``mx.gluon``: Parameters, Blocks and hybridization (MXNet 1.x's imperative API), with the
layers (``nn``, ``rnn``, ``contrib``), losses, data loading, the model zoo, the Trainer and
``metric`` (``mx.metric`` under Gluon's roof, as later MXNet versions place it)."""

from __future__ import annotations

from . import parameter, utils
from .block import Block, HookHandle
from .containers import HybridLambda, HybridSequential, Lambda, Sequential
from .hybrid import HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .symbol_block import SymbolBlock

# isort: split
# After the core: these build on the classes above.
from . import contrib, data, loss, metric, model_zoo, nn, rnn, trainer
from .trainer import Trainer

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
    "Trainer",
    "contrib",
    "data",
    "loss",
    "metric",
    "model_zoo",
    "nn",
    "parameter",
    "rnn",
    "trainer",
    "utils",
]
