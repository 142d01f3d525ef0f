"""The base classes of recurrent cells and the helpers they share.

``RecurrentCell`` defines the cell protocol: ``cell(inputs, states)`` runs one step and
returns ``(output, new_states)``; ``state_info`` describes the states, ``begin_state`` makes
them, ``unroll`` runs the cell over a sequence and ``reset`` clears the step counters that
name the graph nodes of each step (``t0_i2h``, ``t1_i2h``...) as MXNet 1.9.1 names them.
"""

from __future__ import annotations

from ... import ndarray as nd
from ... import symbol as sym
from ...base import MXNetError
from ..block import Block
from ..hybrid import HybridBlock
from ..nn.activations import LeakyReLU
from .sequence import format_sequence, is_tensor, mask_padded_steps

__all__ = ["RecurrentCell", "HybridRecurrentCell"]

_MODIFIED_MESSAGE = (
    "{name}: this cell is wrapped by a modifier cell (e.g. ZoneoutCell); call the modifier "
    "cell instead of the base cell"
)


def _state_kwargs(func, info):
    """The keyword arguments ``func`` gets for one state.

    MXNet passes the layout hint ``__layout__`` and a ``name`` to every state maker; a
    Symbol variable keeps them as attributes, while NDArray makers (``mx.nd.random.*`` among
    them) take neither.
    """
    if func in (sym.var, sym.Variable):
        return info
    info = {k: v for k, v in info.items() if not (k.startswith("__") and k.endswith("__"))}
    if getattr(func, "__module__", "").startswith("neomx.ndarray"):
        info.pop("name", None)
    return info


def cells_state_info(cells, batch_size):
    return [info for cell in cells for info in cell.state_info(batch_size)]


def cells_begin_state(cells, **kwargs):
    return [state for cell in cells for state in cell.begin_state(**kwargs)]


def get_begin_state(cell, F, begin_state, inputs, batch_size):
    """``begin_state`` as given, or zeros (on the inputs' context) when it is None."""
    if begin_state is not None:
        return begin_state
    if F is nd:
        ctx = inputs.context if is_tensor(inputs) else inputs[0].context
        with ctx:
            return cell.begin_state(func=nd.zeros, batch_size=batch_size)
    return cell.begin_state(func=sym.zeros, batch_size=batch_size)


def apply_activation(F, inputs, activation, **kwargs):
    """Apply ``activation``: a name ('tanh', 'relu', 'sigmoid', 'softsign' or any Activation
    act_type), a ``gluon.nn.LeakyReLU`` block, or a callable taking ``(inputs, **kwargs)``."""
    named = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid, "softsign": F.softsign}
    if isinstance(activation, str):
        if activation in named:
            return named[activation](inputs, **kwargs)
        return F.Activation(inputs, act_type=activation, **kwargs)
    if isinstance(activation, LeakyReLU):
        return F.LeakyReLU(inputs, act_type="leaky", slope=activation._alpha, **kwargs)
    return activation(inputs, **kwargs)


class RecurrentCell(Block):
    """The base class of recurrent cells.

    Parameters
    ----------
    prefix : str, optional
        Prefix of the cell's Block and parameter names.
    params : ParameterDict, optional
        Share the parameters of another cell.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Reset the step counters before using the cell for another sequence."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()

    def state_info(self, batch_size=0):
        """Return one dict per state, with its ``shape`` and ``__layout__``."""
        raise NotImplementedError

    def _check_unmodified(self):
        if self._modified:
            raise MXNetError(_MODIFIED_MESSAGE.format(name=self.name))

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Return the initial states, one per ``state_info`` entry, each made by
        ``func(name=..., shape=..., **kwargs)``.

        Parameters
        ----------
        batch_size : int
            The batch size (``N``); needed for NDArrays.
        func : callable
            ``mx.nd.zeros`` (the default), ``mx.nd.ones``, ``mx.sym.zeros``, ``mx.sym.var``
            (states fed as inputs) and the like.
        **kwargs
            More arguments for ``func`` (``ctx``, ``dtype``...).

        Examples
        --------
        >>> cell = mx.gluon.rnn.LSTMCell(4)
        >>> [s.shape for s in cell.begin_state(batch_size=2)]
        [(2, 4), (2, 4)]
        """
        self._check_unmodified()
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info or {})
            info.update(kwargs)
            info["name"] = f"{self._prefix}begin_state_{self._init_counter}"
            states.append(func(**_state_kwargs(func, info)))
        return states

    def unroll(
        self,
        length,
        inputs,
        begin_state=None,
        layout="NTC",
        merge_outputs=None,
        valid_length=None,
    ):
        """Run the cell over ``length`` time steps.

        Parameters
        ----------
        length : int
            The number of steps.
        inputs : NDArray, Symbol or list of them
            One tensor of shape (batch, length, ...) for layout 'NTC' or (length, batch, ...)
            for 'TNC', or a list of ``length`` tensors of shape (batch, ...).
        begin_state : list, optional
            The initial states (zeros from ``begin_state`` when None).
        layout : {'NTC', 'TNC'}
            The layout of a single-tensor input and of a merged output.
        merge_outputs : bool, optional
            True returns one tensor, False a list of per-step outputs, None whatever is
            cheapest.
        valid_length : NDArray or Symbol, optional
            (batch,) lengths of the sequences: outputs past a sequence's length are zeros and
            its final states are the ones at its last valid step.

        Returns
        -------
        outputs : tensor or list of tensors
        states : list of tensors
            The final states, structured as ``begin_state``.

        Examples
        --------
        >>> cell = mx.gluon.rnn.GRUCell(3)
        >>> cell.initialize()
        >>> out, states = cell.unroll(5, mx.nd.ones((2, 5, 4)), merge_outputs=True)
        >>> out.shape, states[0].shape
        ((2, 5, 3), (2, 3))
        """
        self.reset()
        inputs, axis, F, batch_size = format_sequence(length, inputs, layout, False)
        states = get_begin_state(self, F, begin_state, inputs, batch_size)
        outputs, all_states = [], []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [
                F.SequenceLast(
                    F.stack(*per_step, axis=0),
                    sequence_length=valid_length,
                    use_sequence_length=True,
                    axis=0,
                )
                for per_step in zip(*all_states)
            ]
            outputs = mask_padded_steps(F, outputs, length, valid_length, axis, True)
        outputs = format_sequence(length, outputs, layout, merge_outputs)[0]
        return outputs, states

    def _get_activation(self, F, inputs, activation, **kwargs):
        return apply_activation(F, inputs, activation, **kwargs)

    def forward(self, inputs, states):
        """Run one time step: return ``(output, new_states)``."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell that can be hybridized (its step is a ``hybrid_forward``)."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError
