"""``mx.gluon.contrib.rnn``: VariationalDropoutCell and LSTMPCell."""

from . import rnn_cell
from .rnn_cell import LSTMPCell, VariationalDropoutCell

__all__ = ["VariationalDropoutCell", "LSTMPCell", "rnn_cell"]
