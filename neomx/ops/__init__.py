"""Operator definitions. Importing this package registers every operator."""

from . import (  # noqa: F401 - imported to register
    amp,
    binary_extra,
    elemwise,
    im2col,
    indexing,
    init,
    join,
    la,
    la_diag,
    la_factor,
    linalg,
    misc,
    multi_tensor,
    nn,
    pad,
    pdf,
    random,
    random_sample,
    ravel,
    reduce,
    roi_pooling,
    select,
    sequence,
    shape,
    sorting,
    spatial,
    transform,
    unary,
    update,
    update_adaptive,
    update_multi,
    upsampling,
)
from .registry import REGISTRY, Op, all_ops, lookup, register

__all__ = ["REGISTRY", "Op", "all_ops", "lookup", "register"]
