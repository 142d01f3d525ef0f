"""Gluon's contributed blocks, as ``mx.gluon.contrib`` in MXNet 1.9.1: ``contrib.nn`` layers and
``contrib.rnn`` cells."""

from . import nn, rnn

__all__ = ["nn", "rnn"]
