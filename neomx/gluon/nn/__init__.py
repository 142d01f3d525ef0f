"""Gluon's neural-network layers, as ``mx.gluon.nn`` in MXNet 1.9.1.

The containers and block classes (Block, HybridBlock, SymbolBlock, Sequential,
HybridSequential, Lambda, HybridLambda) live in ``gluon.block``, ``gluon.hybrid``,
``gluon.symbol_block`` and ``gluon.containers``; ``gluon.nn`` re-exports them, as MXNet's does.
"""

from ..block import Block
from ..containers import HybridLambda, HybridSequential, Lambda, Sequential
from ..hybrid import HybridBlock
from ..symbol_block import SymbolBlock
from . import activations, basic_layers, conv_layers, norm_layers, pooling_layers
from .activations import *  # noqa: F403
from .basic_layers import *  # noqa: F403
from .conv_layers import *  # noqa: F403
from .norm_layers import *  # noqa: F403
from .pooling_layers import *  # noqa: F403

# Each layer module's ``__all__`` lists its public layers; this one adds the re-exports above.
__all__ = [
    "Block",
    "HybridBlock",
    "SymbolBlock",
    "Sequential",
    "HybridSequential",
    "Lambda",
    "HybridLambda",
    *basic_layers.__all__,
    *norm_layers.__all__,
    *activations.__all__,
    *conv_layers.__all__,
    *pooling_layers.__all__,
]
