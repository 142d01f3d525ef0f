"""Cells made of other cells: stacks, the bidirectional pair, dropout and the modifiers
(zoneout, residual connections).

A modifier cell wraps a base cell: the base cell is marked ``_modified`` and may no longer be
stepped or asked for states on its own; the modifier shares its parameters and prefix.
"""

from __future__ import annotations

from ... import ndarray as nd
from ...base import MXNetError, MXNetValueError
from ..parameter import _indent
from .recurrent_cell import (
    HybridRecurrentCell,
    RecurrentCell,
    cells_begin_state,
    cells_state_info,
    get_begin_state,
)
from .sequence import format_sequence, is_tensor, mask_padded_steps, reverse_steps

__all__ = [
    "SequentialRNNCell",
    "HybridSequentialRNNCell",
    "DropoutCell",
    "ModifierCell",
    "ZoneoutCell",
    "ResidualCell",
    "BidirectionalCell",
]


class _StackMixin:
    """Stepping and unrolling a stack of cells, each feeding the next; the stack's states are
    its cells' states, concatenated in order."""

    def __repr__(self):
        lines = "\n".join(f"({i}): {_indent(repr(cell), 2)}" for i, cell in self._children.items())
        return f"{type(self).__name__}(\n{lines}\n)"

    def add(self, cell):
        """Append ``cell`` to the stack."""
        self.register_child(cell)

    def state_info(self, batch_size=0):
        return cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs):
        self._check_unmodified()
        return cells_begin_state(self._children.values(), **kwargs)

    def _step(self, inputs, states):
        self._counter += 1
        next_states = []
        position = 0
        for cell in self._children.values():
            if isinstance(cell, BidirectionalCell):
                raise MXNetError(
                    f"{type(self).__name__} '{self.name}': a BidirectionalCell cannot be "
                    "stepped; use unroll"
                )
            count = len(cell.state_info())
            inputs, cell_states = cell(inputs, states[position : position + count])
            position += count
            next_states.extend(cell_states)
        return inputs, next_states

    def unroll(
        self,
        length,
        inputs,
        begin_state=None,
        layout="NTC",
        merge_outputs=None,
        valid_length=None,
    ):
        self.reset()
        inputs, _, F, batch_size = format_sequence(length, inputs, layout, None)
        begin_state = get_begin_state(self, F, begin_state, inputs, batch_size)
        cells = list(self._children.values())
        position = 0
        next_states = []
        for i, cell in enumerate(cells):
            count = len(cell.state_info())
            inputs, states = cell.unroll(
                length,
                inputs=inputs,
                begin_state=begin_state[position : position + count],
                layout=layout,
                merge_outputs=merge_outputs if i == len(cells) - 1 else None,
                valid_length=valid_length,
            )
            position += count
            next_states.extend(states)
        return inputs, next_states

    def __getitem__(self, i):
        return self._children[str(i)]

    def __len__(self):
        return len(self._children)


class SequentialRNNCell(_StackMixin, RecurrentCell):
    """Stack cells: each one's output is the next one's input.

    Examples
    --------
    >>> stack = mx.gluon.rnn.SequentialRNNCell()
    >>> with stack.name_scope():
    ...     stack.add(mx.gluon.rnn.LSTMCell(4))
    ...     stack.add(mx.gluon.rnn.GRUCell(3))
    >>> len(stack.state_info())
    3
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def forward(self, inputs, states):
        return self._step(inputs, states)


class HybridSequentialRNNCell(_StackMixin, HybridRecurrentCell):
    """Stack hybridizable cells: each one's output is the next one's input.

    As in MXNet, stepping the stack calls its cells directly: each cell hybridizes on its
    own.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def __call__(self, inputs, states):
        return self._step(inputs, states)

    def hybrid_forward(self, F, inputs, states):
        return self._step(inputs, states)


class DropoutCell(HybridRecurrentCell):
    """Apply dropout to the input of each step; the states pass through unchanged.

    Parameters
    ----------
    rate : float
        The fraction of elements to zero (while training).
    axes : tuple of int
        Axes along which the mask is shared.

    Examples
    --------
    >>> mx.gluon.rnn.DropoutCell(0.5)
    DropoutCell(rate=0.5, axes=())
    """

    def __init__(self, rate, axes=(), prefix=None, params=None):
        super().__init__(prefix, params)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            raise MXNetValueError(f"DropoutCell: rate must be a number, got {rate!r}")
        self._rate = rate
        self._axes = axes

    def __repr__(self):
        return f"{type(self).__name__}(rate={self._rate}, axes={self._axes})"

    def _alias(self):
        return "dropout"

    def state_info(self, batch_size=0):
        return []

    def hybrid_forward(self, F, inputs, states):
        if self._rate > 0:
            inputs = F.Dropout(
                data=inputs, p=self._rate, axes=self._axes, name=f"t{self._counter}_fwd"
            )
        return inputs, states

    def unroll(
        self,
        length,
        inputs,
        begin_state=None,
        layout="NTC",
        merge_outputs=None,
        valid_length=None,
    ):
        self.reset()
        inputs, _, F, _ = format_sequence(length, inputs, layout, merge_outputs)
        if is_tensor(inputs):
            # One dropout over the whole sequence instead of one per step.
            return self.hybrid_forward(F, inputs, begin_state if begin_state else [])
        return super().unroll(
            length, inputs, begin_state=begin_state, layout=layout, merge_outputs=merge_outputs
        )


class ModifierCell(HybridRecurrentCell):
    """The base class of cells that change how another cell (``base_cell``) works.

    The base cell must afterwards be used only through the modifier.
    """

    def __init__(self, base_cell):
        if base_cell._modified:
            raise MXNetError(
                f"{type(self).__name__}: cell {base_cell.name} is already modified; a cell "
                "cannot be modified twice"
            )
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self):
        return self.base_cell.params

    def state_info(self, batch_size=0):
        return self.base_cell.state_info(batch_size)

    def begin_state(self, func=nd.zeros, **kwargs):
        # NOTE: MXNet 1.9.1 defaults func to sym.zeros here (unlike every other cell); neomx
        # makes NDArrays as the other cells do.
        self._check_unmodified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def hybrid_forward(self, F, inputs, states):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.base_cell})"


class ZoneoutCell(ModifierCell):
    """Zoneout: while training, keep each output and state element of the previous step with
    probability ``zoneout_outputs`` / ``zoneout_states`` instead of taking the new one.

    Examples
    --------
    >>> mx.gluon.rnn.ZoneoutCell(mx.gluon.rnn.GRUCell(3, prefix='gru_'), 0.5, 0.5)
    ZoneoutCell(p_out=0.5, p_state=0.5, GRUCell(None -> 9))
    """

    def __init__(self, base_cell, zoneout_outputs=0.0, zoneout_states=0.0):
        if isinstance(base_cell, BidirectionalCell):
            raise MXNetError(
                "ZoneoutCell: a BidirectionalCell cannot be stepped, so it cannot be zoned "
                "out; wrap the cells inside it instead"
            )
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def __repr__(self):
        return (
            f"{type(self).__name__}(p_out={self.zoneout_outputs}, "
            f"p_state={self.zoneout_states}, {self.base_cell})"
        )

    def _alias(self):
        return "zoneout"

    def reset(self):
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F, inputs, states):
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p, like):
            # Dropout of ones: nonzero (take the new value) with probability 1 - p in
            # training, always nonzero in prediction.
            return F.Dropout(F.ones_like(like), p=p)

        previous = self._prev_output
        if previous is None:
            previous = F.zeros_like(next_output)
        output = next_output
        if self.zoneout_outputs != 0.0:
            output = F.where(keep_new(self.zoneout_outputs, next_output), next_output, previous)
        if self.zoneout_states != 0.0:
            next_states = [
                F.where(keep_new(self.zoneout_states, new), new, old)
                for new, old in zip(next_states, states)
            ]
        self._prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """Add the input to the base cell's output (a residual connection, Wu et al. 2016).

    Examples
    --------
    >>> mx.gluon.rnn.ResidualCell(mx.gluon.rnn.GRUCell(3, prefix='gru_'))
    ResidualCell(GRUCell(None -> 9))
    """

    def __init__(self, base_cell):
        super().__init__(base_cell)

    def hybrid_forward(self, F, inputs, states):
        output, states = self.base_cell(inputs, states)
        return F.elemwise_add(output, inputs, name=f"t{self._counter}_fwd"), states

    def unroll(
        self,
        length,
        inputs,
        begin_state=None,
        layout="NTC",
        merge_outputs=None,
        valid_length=None,
    ):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length,
                inputs=inputs,
                begin_state=begin_state,
                layout=layout,
                merge_outputs=merge_outputs,
                valid_length=valid_length,
            )
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = is_tensor(outputs)
        inputs, axis, F, _ = format_sequence(length, inputs, layout, merge_outputs)
        if valid_length is not None:
            inputs = mask_padded_steps(F, inputs, length, valid_length, axis, merge_outputs)
        if merge_outputs:
            return F.elemwise_add(outputs, inputs), states
        return [F.elemwise_add(o, i) for o, i in zip(outputs, inputs)], states


class BidirectionalCell(HybridRecurrentCell):
    """Run ``l_cell`` from the first step to the last and ``r_cell`` from the last to the
    first; each step's output joins both (left first). It can only be unrolled.

    Examples
    --------
    >>> cell = mx.gluon.rnn.BidirectionalCell(mx.gluon.rnn.LSTMCell(3, prefix='l_'),
    ...                                       mx.gluon.rnn.LSTMCell(3, prefix='r_'))
    >>> cell.initialize()
    >>> out, states = cell.unroll(4, mx.nd.ones((2, 4, 5)), merge_outputs=True)
    >>> out.shape, len(states)
    ((2, 4, 6), 4)
    """

    def __init__(self, l_cell, r_cell, output_prefix="bi_"):
        super().__init__(prefix="", params=None)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")
        self._output_prefix = output_prefix

    def __call__(self, inputs, states):
        raise MXNetError("BidirectionalCell cannot be stepped; use unroll")

    def __repr__(self):
        return (
            f"{type(self).__name__}(forward={self._children['l_cell']}, "
            f"backward={self._children['r_cell']})"
        )

    def state_info(self, batch_size=0):
        return cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs):
        self._check_unmodified()
        return cells_begin_state(self._children.values(), **kwargs)

    def unroll(
        self,
        length,
        inputs,
        begin_state=None,
        layout="NTC",
        merge_outputs=None,
        valid_length=None,
    ):
        self.reset()
        inputs, axis, F, batch_size = format_sequence(length, inputs, layout, False)
        reversed_inputs = reverse_steps(inputs, length, valid_length)
        states = get_begin_state(self, F, begin_state, inputs, batch_size)
        l_cell, r_cell = self._children.values()
        split = len(l_cell.state_info(batch_size))
        l_outputs, l_states = l_cell.unroll(
            length,
            inputs=inputs,
            begin_state=states[:split],
            layout=layout,
            merge_outputs=merge_outputs,
            valid_length=valid_length,
        )
        r_outputs, r_states = r_cell.unroll(
            length,
            inputs=reversed_inputs,
            begin_state=states[split:],
            layout=layout,
            merge_outputs=False,
            valid_length=valid_length,
        )
        r_outputs = reverse_steps(r_outputs, length, valid_length)
        if merge_outputs is None:
            merge_outputs = is_tensor(l_outputs)
            l_outputs = format_sequence(None, l_outputs, layout, merge_outputs)[0]
            r_outputs = format_sequence(None, r_outputs, layout, merge_outputs)[0]
        prefix = self._output_prefix
        if merge_outputs:
            if not is_tensor(r_outputs):
                r_outputs = F.stack(*r_outputs, axis=axis)
            outputs = F.concat(l_outputs, r_outputs, dim=2, name=f"{prefix}out")
        else:
            outputs = [
                F.concat(left, right, dim=1, name=f"{prefix}t{i}")
                for i, (left, right) in enumerate(zip(l_outputs, r_outputs))
            ]
        if valid_length is not None:
            outputs = mask_padded_steps(F, outputs, length, valid_length, axis, merge_outputs)
        return outputs, l_states + r_states
