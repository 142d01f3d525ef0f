"""Recurrent cells: one time step at a time (``cell(x, states)``) or unrolled over a sequence.

This module holds the three basic cells (RNNCell, LSTMCell, GRUCell) and, as MXNet's
``gluon.rnn.rnn_cell`` does, re-exports the base classes (``recurrent_cell``) and the cells
made of other cells (stacks, bidirectional, dropout, zoneout, residual; ``cell_wrappers``).
Parameter names (``lstm0_i2h_weight``) and the gate order (LSTM i, f, g, o; GRU r, z, n) are
MXNet 1.9.1's, so weights move between these cells, the fused layers and MXNet.
"""

from __future__ import annotations

from .recurrent_cell import HybridRecurrentCell, RecurrentCell

__all__ = [
    "RecurrentCell",
    "HybridRecurrentCell",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
]


class _GatedCell(HybridRecurrentCell):
    """A cell with MXNet's four parameters: i2h/h2h weights (gates * hidden, in/hidden) and
    biases (gates * hidden,), with deferred input size."""

    _gates = 1

    # GRUCell takes exactly these arguments, so it keeps this constructor.
    def __init__(
        self,
        hidden_size,
        i2h_weight_initializer=None,
        h2h_weight_initializer=None,
        i2h_bias_initializer="zeros",
        h2h_bias_initializer="zeros",
        input_size=0,
        prefix=None,
        params=None,
    ):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        rows = self._gates * hidden_size
        self.i2h_weight = self.params.get(
            "i2h_weight",
            shape=(rows, input_size),
            init=i2h_weight_initializer,
            allow_deferred_init=True,
        )
        self.h2h_weight = self.params.get(
            "h2h_weight",
            shape=(rows, hidden_size),
            init=h2h_weight_initializer,
            allow_deferred_init=True,
        )
        self.i2h_bias = self.params.get(
            "i2h_bias", shape=(rows,), init=i2h_bias_initializer, allow_deferred_init=True
        )
        self.h2h_bias = self.params.get(
            "h2h_bias", shape=(rows,), init=h2h_bias_initializer, allow_deferred_init=True
        )

    def state_info(self, batch_size=0):
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def _mapping(self):
        rows, columns = self.i2h_weight.shape
        return f"{columns if columns else None} -> {rows}"

    def __repr__(self):
        return f"{type(self).__name__}({self._mapping()})"

    def _projections(self, F, inputs, hidden, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        """The input and the recurrent projections of one step, named as MXNet names them."""
        prefix = f"t{self._counter}_"
        rows = self._gates * self._hidden_size
        i2h = F.FullyConnected(
            data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=rows, name=prefix + "i2h"
        )
        h2h = F.FullyConnected(
            data=hidden, weight=h2h_weight, bias=h2h_bias, num_hidden=rows, name=prefix + "h2h"
        )
        return prefix, i2h, h2h


class RNNCell(_GatedCell):
    r"""An Elman RNN cell: ``h' = activation(W_ih x + b_ih + W_hh h + b_hh)``.

    Parameters
    ----------
    hidden_size : int
        The size of the output and the state.
    activation : str, LeakyReLU or callable
        'tanh' (default), 'relu', 'sigmoid', 'softsign', another Activation act_type, ...
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer, optional
        Initialisers of the input and recurrent weights.
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer
        Initialisers of the biases (zeros).
    input_size : int
        The input size; 0 infers it from the first input.
    prefix : str, optional
        Name prefix (``rnn0_`` by default).
    params : ParameterDict, optional
        Share another cell's parameters.

    Examples
    --------
    >>> cell = mx.gluon.rnn.RNNCell(3, input_size=2)
    >>> cell
    RNNCell(2 -> 3, tanh)
    >>> cell.initialize()
    >>> out, states = cell(mx.nd.ones((4, 2)), cell.begin_state(batch_size=4))
    >>> out.shape
    (4, 3)
    """

    _gates = 1

    def __init__(
        self,
        hidden_size,
        activation="tanh",
        i2h_weight_initializer=None,
        h2h_weight_initializer=None,
        i2h_bias_initializer="zeros",
        h2h_bias_initializer="zeros",
        input_size=0,
        prefix=None,
        params=None,
    ):
        super().__init__(
            hidden_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            input_size,
            prefix,
            params,
        )
        self._activation = activation

    def _alias(self):
        return "rnn"

    def __repr__(self):
        return f"{type(self).__name__}({self._mapping()}, {self._activation})"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix, i2h, h2h = self._projections(
            F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias
        )
        summed = F.elemwise_add(i2h, h2h, name=prefix + "plus0")
        output = self._get_activation(F, summed, self._activation, name=prefix + "out")
        return output, [output]


class LSTMCell(_GatedCell):
    r"""A long short-term memory cell.

    With the gates i, f, g, o (in that order in the weights):
    ``i, f, o = recurrent_activation(W_i* x + b_i* + W_h* h + b_h*)``,
    ``g = activation(...)``, ``c' = f * c + i * g``, ``h' = o * activation(c')``.
    The states are ``[h, c]``, each (batch, hidden_size).

    Parameters
    ----------
    hidden_size : int
        The size of the output and of both states.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer, optional
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer
        Zeros by default.
    input_size : int
        The input size; 0 infers it from the first input.
    prefix : str, optional
        Name prefix (``lstm0_`` by default).
    params : ParameterDict, optional
    activation : str
        The activation of the candidate and of the cell output ('tanh').
    recurrent_activation : str
        The activation of the gates ('sigmoid').

    Examples
    --------
    >>> cell = mx.gluon.rnn.LSTMCell(3, input_size=2)
    >>> cell
    LSTMCell(2 -> 12)
    >>> cell.initialize()
    >>> out, (h, c) = cell(mx.nd.ones((4, 2)), cell.begin_state(batch_size=4))
    >>> out.shape, c.shape
    ((4, 3), (4, 3))
    """

    _gates = 4

    def __init__(
        self,
        hidden_size,
        i2h_weight_initializer=None,
        h2h_weight_initializer=None,
        i2h_bias_initializer="zeros",
        h2h_bias_initializer="zeros",
        input_size=0,
        prefix=None,
        params=None,
        activation="tanh",
        recurrent_activation="sigmoid",
    ):
        super().__init__(
            hidden_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            input_size,
            prefix,
            params,
        )
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self):
        return "lstm"

    def state_info(self, batch_size=0):
        shape = (batch_size, self._hidden_size)
        return [{"shape": shape, "__layout__": "NC"}, {"shape": shape, "__layout__": "NC"}]

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix, i2h, h2h = self._projections(
            F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias
        )
        gates = F.SliceChannel(
            F.elemwise_add(i2h, h2h, name=prefix + "plus0"), num_outputs=4, name=prefix + "slice"
        )
        gate = self._recurrent_activation
        in_gate = self._get_activation(F, gates[0], gate, name=prefix + "i")
        forget_gate = self._get_activation(F, gates[1], gate, name=prefix + "f")
        candidate = self._get_activation(F, gates[2], self._activation, name=prefix + "c")
        out_gate = self._get_activation(F, gates[3], gate, name=prefix + "o")
        next_c = F.elemwise_add(
            F.elemwise_mul(forget_gate, states[1], name=prefix + "mul0"),
            F.elemwise_mul(in_gate, candidate, name=prefix + "mul1"),
            name=prefix + "state",
        )
        squashed = F.Activation(next_c, act_type=self._activation, name=prefix + "activation0")
        next_h = F.elemwise_mul(out_gate, squashed, name=prefix + "out")
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    r"""A gated recurrent unit cell, in cuDNN's form (the reset gate scales the recurrent
    projection after the matrix product).

    With the gates r, z, n (in that order in the weights):
    ``r, z = sigmoid(W_i* x + b_i* + W_h* h + b_h*)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Parameters
    ----------
    hidden_size : int
        The size of the output and the state.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer, optional
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer
        Zeros by default.
    input_size : int
        The input size; 0 infers it from the first input.
    prefix : str, optional
        Name prefix (``gru0_`` by default).
    params : ParameterDict, optional

    Examples
    --------
    >>> cell = mx.gluon.rnn.GRUCell(3, input_size=2)
    >>> cell
    GRUCell(2 -> 9)
    """

    _gates = 3

    def _alias(self):
        return "gru"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        previous = states[0]
        prefix, i2h, h2h = self._projections(
            F, inputs, previous, i2h_weight, h2h_weight, i2h_bias, h2h_bias
        )
        i2h_r, i2h_z, i2h_n = F.SliceChannel(i2h, num_outputs=3, name=prefix + "i2h_slice")
        h2h_r, h2h_z, h2h_n = F.SliceChannel(h2h, num_outputs=3, name=prefix + "h2h_slice")
        reset = F.Activation(
            F.elemwise_add(i2h_r, h2h_r, name=prefix + "plus0"),
            act_type="sigmoid",
            name=prefix + "r_act",
        )
        update = F.Activation(
            F.elemwise_add(i2h_z, h2h_z, name=prefix + "plus1"),
            act_type="sigmoid",
            name=prefix + "z_act",
        )
        candidate = F.Activation(
            F.elemwise_add(i2h_n, F.elemwise_mul(reset, h2h_n, name=prefix + "mul0"),
                           name=prefix + "plus2"),
            act_type="tanh",
            name=prefix + "h_act",
        )  # fmt: skip
        ones = F.ones_like(update, name=prefix + "ones_like0")
        keep_new = F.elemwise_sub(ones, update, name=prefix + "minus0")
        next_h = F.elemwise_add(
            F.elemwise_mul(keep_new, candidate, name=prefix + "mul1"),
            F.elemwise_mul(update, previous, name=prefix + "mul20"),
            name=prefix + "out",
        )
        return next_h, [next_h]


# ``mxnet.gluon.rnn.rnn_cell`` also holds the cells made of other cells.
from . import cell_wrappers  # noqa: E402
from .cell_wrappers import *  # noqa: E402, F403

__all__ += cell_wrappers.__all__
