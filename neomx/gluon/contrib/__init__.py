"""Gluon's contributed layers, as ``mx.gluon.contrib`` in MXNet 1.9.1 (``contrib.nn``)."""

from . import nn

__all__ = ["nn"]
