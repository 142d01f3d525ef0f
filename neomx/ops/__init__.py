"""Operator definitions. Importing this package registers every operator."""

from . import elemwise, indexing, init, join, nn, reduce, shape  # noqa: F401 - imported to register
from .registry import REGISTRY, Op, all_ops, lookup, register

__all__ = ["REGISTRY", "Op", "all_ops", "lookup", "register"]
