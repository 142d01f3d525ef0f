"""Contributed recurrent cells: variational dropout (one mask for every step) and the LSTM
with a projected recurrent state (LSTMP)."""

from __future__ import annotations

from ....base import MXNetError
from ...rnn.cell_wrappers import BidirectionalCell, ModifierCell
from ...rnn.recurrent_cell import HybridRecurrentCell, get_begin_state
from ...rnn.sequence import format_sequence, is_tensor, mask_padded_steps

__all__ = ["VariationalDropoutCell", "LSTMPCell"]


class VariationalDropoutCell(ModifierCell):
    """Variational dropout (Gal and Ghahramani 2016) around ``base_cell``: the inputs, the
    first state and the outputs each get one dropout mask, drawn at the first step and used
    for every step until ``reset()`` (which ``unroll`` calls).

    Parameters
    ----------
    base_cell : RecurrentCell
        The cell to wrap.
    drop_inputs, drop_states, drop_outputs : float
        Dropout rates of the inputs, of the first state entering each step and of the
        outputs; 0 leaves that part alone.

    Examples
    --------
    >>> cell = mx.gluon.contrib.rnn.VariationalDropoutCell(
    ...     mx.gluon.rnn.LSTMCell(3, prefix='lstm_'), drop_outputs=0.5)
    >>> cell
    VariationalDropoutCell(p_out = 0.5, p_state = 0.0)
    """

    def __init__(self, base_cell, drop_inputs=0.0, drop_states=0.0, drop_outputs=0.0):
        if drop_states and isinstance(base_cell, BidirectionalCell):
            raise MXNetError(
                "VariationalDropoutCell: a BidirectionalCell cannot take state dropout; wrap "
                "the cells inside it instead"
            )
        super().__init__(base_cell)
        self.drop_inputs = drop_inputs
        self.drop_states = drop_states
        self.drop_outputs = drop_outputs
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _alias(self):
        return "vardrop"

    def reset(self):
        super().reset()
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _mask(self, F, rate, like):
        return F.Dropout(F.ones_like(like), p=rate)

    def hybrid_forward(self, F, inputs, states):
        if self.drop_states and self.drop_states_mask is None:
            self.drop_states_mask = self._mask(F, self.drop_states, states[0])
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = self._mask(F, self.drop_inputs, inputs)
        if self.drop_states:
            states = list(states)
            states[0] = states[0] * self.drop_states_mask
        if self.drop_inputs:
            inputs = inputs * self.drop_inputs_mask
        output, next_states = self.base_cell(inputs, states)
        if self.drop_outputs and self.drop_outputs_mask is None:
            self.drop_outputs_mask = self._mask(F, self.drop_outputs, output)
        if self.drop_outputs:
            output = output * self.drop_outputs_mask
        return output, next_states

    def __repr__(self):
        return f"{type(self).__name__}(p_out = {self.drop_outputs}, p_state = {self.drop_states})"

    def unroll(
        self,
        length,
        inputs,
        begin_state=None,
        layout="NTC",
        merge_outputs=None,
        valid_length=None,
    ):
        if self.drop_states:
            # The state mask applies inside every step: unroll step by step.
            return super().unroll(length, inputs, begin_state, layout, merge_outputs, valid_length)
        # Without state dropout, the masks apply to whole sequences: one Dropout over the
        # merged inputs and one over the merged outputs, shared along the time axis.
        self.reset()
        inputs, axis, F, batch_size = format_sequence(length, inputs, layout, True)
        states = get_begin_state(self, F, begin_state, inputs, batch_size)
        if self.drop_inputs:
            inputs = F.Dropout(inputs, p=self.drop_inputs, axes=(axis,))
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length, inputs, states, layout, merge_outputs=True, valid_length=valid_length
            )
        finally:
            self.base_cell._modified = True
        if self.drop_outputs:
            outputs = F.Dropout(outputs, p=self.drop_outputs, axes=(axis,))
        if merge_outputs is None:
            merge_outputs = is_tensor(outputs)
        outputs = format_sequence(length, outputs, layout, merge_outputs)[0]
        if valid_length is not None:
            outputs = mask_padded_steps(F, outputs, length, valid_length, axis, merge_outputs)
        return outputs, states


class LSTMPCell(HybridRecurrentCell):
    r"""An LSTM cell whose recurrent state is a projection of its hidden state (Sak et al.
    2014): as LSTMCell, then ``r' = W_hr h'``; the output and the first state are ``r'``.

    Parameters
    ----------
    hidden_size : int
        The size of the cell state and the hidden state.
    projection_size : int
        The size of the output and the recurrent state.
    i2h_weight_initializer, h2h_weight_initializer, h2r_weight_initializer : optional
        Initialisers of the input, recurrent and projection weights.
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer
        Zeros by default.
    input_size : int
        The input size; 0 infers it from the first input.
    prefix, params
        As for every cell (``lstmp0_`` by default).

    Examples
    --------
    >>> cell = mx.gluon.contrib.rnn.LSTMPCell(6, 3, input_size=2)
    >>> cell
    LSTMPCell(2 -> 24 -> 3)
    >>> [info['shape'] for info in cell.state_info(4)]
    [(4, 3), (4, 6)]
    """

    def __init__(
        self,
        hidden_size,
        projection_size,
        i2h_weight_initializer=None,
        h2h_weight_initializer=None,
        h2r_weight_initializer=None,
        i2h_bias_initializer="zeros",
        h2h_bias_initializer="zeros",
        input_size=0,
        prefix=None,
        params=None,
    ):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        self._projection_size = projection_size
        rows = 4 * hidden_size

        def get(name, shape, init):
            return self.params.get(name, shape=shape, init=init, allow_deferred_init=True)

        self.i2h_weight = get("i2h_weight", (rows, input_size), i2h_weight_initializer)
        self.h2h_weight = get("h2h_weight", (rows, projection_size), h2h_weight_initializer)
        self.h2r_weight = get("h2r_weight", (projection_size, hidden_size), h2r_weight_initializer)
        self.i2h_bias = get("i2h_bias", (rows,), i2h_bias_initializer)
        self.h2h_bias = get("h2h_bias", (rows,), h2h_bias_initializer)

    def state_info(self, batch_size=0):
        return [
            {"shape": (batch_size, self._projection_size), "__layout__": "NC"},
            {"shape": (batch_size, self._hidden_size), "__layout__": "NC"},
        ]

    def _alias(self):
        return "lstmp"

    def __repr__(self):
        rows, columns = self.i2h_weight.shape
        projection = self.h2r_weight.shape[0]
        return f"{type(self).__name__}({columns if columns else None} -> {rows} -> {projection})"

    def hybrid_forward(
        self, F, inputs, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias, h2h_bias
    ):
        prefix = f"t{self._counter}_"
        rows = 4 * self._hidden_size
        i2h = F.FullyConnected(
            data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=rows, name=prefix + "i2h"
        )
        h2h = F.FullyConnected(
            data=states[0], weight=h2h_weight, bias=h2h_bias, num_hidden=rows, name=prefix + "h2h"
        )
        gates = F.SliceChannel(F.elemwise_add(i2h, h2h), num_outputs=4, name=prefix + "slice")
        in_gate = F.Activation(gates[0], act_type="sigmoid", name=prefix + "i")
        forget_gate = F.Activation(gates[1], act_type="sigmoid", name=prefix + "f")
        candidate = F.Activation(gates[2], act_type="tanh", name=prefix + "c")
        out_gate = F.Activation(gates[3], act_type="sigmoid", name=prefix + "o")
        next_c = F.elemwise_add(
            F.elemwise_mul(forget_gate, states[1]),
            F.elemwise_mul(in_gate, candidate),
            name=prefix + "state",
        )
        hidden = F.elemwise_mul(
            out_gate, F.Activation(next_c, act_type="tanh"), name=prefix + "hidden"
        )
        next_r = F.FullyConnected(
            data=hidden,
            weight=h2r_weight,
            num_hidden=self._projection_size,
            no_bias=True,
            name=prefix + "out",
        )
        return next_r, [next_r, next_c]
