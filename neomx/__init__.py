"""neomx: MXNet 1.x's programming model, maintained. Use it as ``import neomx as mx``."""

from . import (
    attribute,
    autograd,
    base,
    callback,
    context,
    engine,
    gluon,
    image,
    initializer,
    io,
    kvstore,
    lr_scheduler,
    metric,
    model,
    module,
    monitor,
    name,
    ndarray,
    operator,
    ops,
    optimizer,
    profiler,
    random,
    recordio,
    symbol,
    test_utils,
    visualization,
)
from . import initializer as init
from . import kvstore as kv
from . import module as mod
from . import monitor as mon
from . import ndarray as nd
from . import symbol as sym
from . import visualization as viz
from .attribute import AttrScope
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, cpu_shared, current_context, gpu, num_gpus

__version__ = "0.1.0"

__all__ = [
    "callback",
    "io",
    "mod",
    "model",
    "module",
    "mon",
    "monitor",
    "MXNetError",
    "AttrScope",
    "attribute",
    "name",
    "sym",
    "symbol",
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
    "gluon",
    "image",
    "init",
    "initializer",
    "kv",
    "kvstore",
    "lr_scheduler",
    "metric",
    "nd",
    "ndarray",
    "num_gpus",
    "operator",
    "ops",
    "optimizer",
    "profiler",
    "random",
    "recordio",
    "test_utils",
    "visualization",
    "viz",
]
