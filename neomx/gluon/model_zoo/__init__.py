"""Predefined and pretrained models, as ``mx.gluon.model_zoo`` in MXNet 1.9.1."""

from . import model_store, vision

__all__ = ["model_store", "vision"]
