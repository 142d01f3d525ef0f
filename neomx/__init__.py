"""neomx: MXNet 1.x's programming model, maintained. Use it as ``import neomx as mx``."""

from . import autograd, base, context, engine, ndarray, ops, random, test_utils
from . import ndarray as nd
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, cpu_shared, current_context, gpu, num_gpus

__version__ = "0.1.0"

__all__ = [
    "MXNetError",
    "autograd",
    "Context",
    "base",
    "context",
    "cpu",
    "cpu_pinned",
    "cpu_shared",
    "current_context",
    "engine",
    "gpu",
    "nd",
    "ndarray",
    "num_gpus",
    "ops",
    "random",
    "test_utils",
]
