"""Gluon's neural-network layers, as ``mx.gluon.nn`` in MXNet 1.9.1.

The containers and block classes (Block, HybridBlock, SymbolBlock, Sequential,
HybridSequential, Lambda, HybridLambda) live in ``gluon.block``, ``gluon.hybrid``,
``gluon.symbol_block`` and ``gluon.containers``; ``gluon.nn`` re-exports them, as MXNet's does.
"""

from ..block import Block
from ..containers import HybridLambda, HybridSequential, Lambda, Sequential
from ..hybrid import HybridBlock
from ..symbol_block import SymbolBlock
from .activations import ELU, GELU, SELU, Activation, LeakyReLU, PReLU, Swish
from .basic_layers import Dense, Dropout, Embedding, Flatten
from .conv_layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
)
from .norm_layers import BatchNorm, BatchNormReLU, GroupNorm, InstanceNorm, LayerNorm
from .pooling_layers import (
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    ReflectionPad2D,
)

__all__ = [
    "Block",
    "HybridBlock",
    "SymbolBlock",
    "Sequential",
    "HybridSequential",
    "Lambda",
    "HybridLambda",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "BatchNorm",
    "BatchNormReLU",
    "InstanceNorm",
    "LayerNorm",
    "GroupNorm",
    "Activation",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "SELU",
    "Swish",
    "GELU",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "ReflectionPad2D",
]
