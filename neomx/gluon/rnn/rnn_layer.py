"""The fused recurrent layers RNN, LSTM and GRU: a whole stack of layers (and directions) in
one call of the ``RNN`` operator.

Each layer ``l`` and direction (``l`` left-to-right, ``r`` right-to-left) owns the parameters
``{d}{l}_i2h_weight``, ``{d}{l}_h2h_weight``, ``{d}{l}_i2h_bias``, ``{d}{l}_h2h_bias`` (and
with a projection ``{d}{l}_h2r_weight``), named and shaped as in MXNet 1.9.1. Every forward
joins them with ``_rnn_param_concat`` into the flat vector the operator reads: every weight
first (layer by layer, direction by direction, i2h then h2h then h2r), then every bias.
"""

from __future__ import annotations

import re

from ... import ndarray as nd
from ... import symbol as sym
from ...base import MXNetValueError
from ...ndarray.ndarray import NDArray
from ..hybrid import HybridBlock
from ..nn.layer_errors import call_op
from .recurrent_cell import _state_kwargs

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_PARAM_NAME = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


class _RNNLayer(HybridBlock):
    """The fused layers' shared machinery; RNN, LSTM and GRU pick the mode and the states."""

    def __init__(
        self,
        hidden_size,
        num_layers,
        layout,
        dropout,
        bidirectional,
        input_size,
        i2h_weight_initializer,
        h2h_weight_initializer,
        i2h_bias_initializer,
        h2h_bias_initializer,
        mode,
        dtype,
        projection_size=None,
        h2r_weight_initializer=None,
        lstm_state_clip_min=None,
        lstm_state_clip_max=None,
        lstm_state_clip_nan=False,
        use_sequence_length=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        name = type(self).__name__
        if layout not in ("TNC", "NTC"):
            raise MXNetValueError(f"{name}: layout must be 'TNC' or 'NTC', got {layout!r}")
        if not 0 <= dropout < 1:
            raise MXNetValueError(f"{name}: dropout={dropout} must lie in [0, 1)")
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._h2r_weight_initializer = h2r_weight_initializer
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self.skip_states = None
        self._traced_skip_states = None
        self._gates = _GATES[mode]

        rows = self._gates * hidden_size
        recurrent = self._projection_size or hidden_size
        width = input_size
        for layer in range(num_layers):
            for direction in "lr"[: self._dir]:
                key = f"{direction}{layer}_"
                self._register_param(key + "i2h_weight", (rows, width), i2h_weight_initializer)
                self._register_param(key + "h2h_weight", (rows, recurrent), h2h_weight_initializer)
                self._register_param(key + "i2h_bias", (rows,), i2h_bias_initializer)
                self._register_param(key + "h2h_bias", (rows,), h2h_bias_initializer)
                if self._projection_size:
                    self._register_param(
                        key + "h2r_weight",
                        (self._projection_size, hidden_size),
                        h2r_weight_initializer,
                    )
            width = recurrent * self._dir

    def _register_param(self, name, shape, init):
        param = self.params.get(
            name, shape=shape, init=init, allow_deferred_init=True, dtype=self._dtype
        )
        setattr(self, name, param)
        return param

    def __repr__(self):
        rows, columns = self.l0_i2h_weight.shape
        text = f"{type(self).__name__}({columns if columns else None} -> {rows // self._gates}"
        text += f", {self._layout}"
        if self._num_layers != 1:
            text += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            text += f", dropout={self._dropout}"
        if self._dir == 2:
            text += ", bidirectional"
        return text + ")"

    def _collect_params_with_prefix(self, prefix=""):
        # MXNet 1.9.1 saves the fused layers under the names of the cell stack they replaced
        # ('_unfused.0.l_cell.i2h_weight', or '_unfused.0.i2h_weight' one-directional), so
        # save_parameters files move both ways only with the same names.
        if prefix:
            prefix += "."
        bidirectional = self._dir == 2
        found = {}
        for key, value in self._reg_params.items():
            direction, layer, kind, what = _PARAM_NAME.match(key).groups()
            cell = f"{direction}_cell." if bidirectional else ""
            found[f"{prefix}_unfused.{layer}.{cell}{kind}_{what}"] = value
        for name, child in self._children.items():
            found.update(child._collect_params_with_prefix(prefix + name))
        return found

    def state_info(self, batch_size=0):
        # RNN and GRU carry the hidden state alone; LSTM adds the cell state.
        return [self._state_shape(batch_size, self._hidden_size)]

    def _state_shape(self, batch_size, size):
        return {
            "shape": (self._num_layers * self._dir, batch_size, size),
            "__layout__": "LNC",
            "dtype": self._dtype,
        }

    def cast(self, dtype):
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Return the initial states, each made by ``func(name=..., shape=..., **kwargs)``.

        Parameters
        ----------
        batch_size : int
            The batch size (``N``); needed for NDArrays.
        func : callable
            ``mx.nd.zeros`` (the default), ``mx.sym.zeros``, ``mx.sym.var``...
        **kwargs
            More arguments for ``func`` (``ctx``, ``dtype``...).

        Examples
        --------
        >>> layer = mx.gluon.rnn.LSTM(4, num_layers=2)
        >>> [s.shape for s in layer.begin_state(batch_size=3)]
        [(2, 3, 4), (2, 3, 4)]
        """
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info = dict(info or {})
            info.update(kwargs)
            info["name"] = f"{self.prefix}h0_{i}"
            states.append(func(**_state_kwargs(func, info)))
        return states

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        """Run the layer: return the output, or ``(output, final states)`` when ``states``
        was given."""
        self.skip_states = states is None
        if states is None:
            if isinstance(inputs, NDArray):
                batch_size = inputs.shape[self._layout.find("N")]
                states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
            else:
                states = self.begin_state(0, func=sym.zeros)
        if isinstance(states, (NDArray, sym.Symbol)):
            states = [states]
        # The graph returns the states only when they were given (as in MXNet 1.9.1, so
        # that export writes the same outputs); MXNet's hybridized layer then keeps the choice
        # of its first call, neomx traces again when the choice changes.
        if self._traced_skip_states not in (None, self.skip_states):
            self._clear_cached_op()
        self._traced_skip_states = self.skip_states
        if self._use_sequence_length:
            return super().__call__(inputs, states, sequence_length, **kwargs)
        return super().__call__(inputs, states, **kwargs)

    def hybrid_forward(self, F, inputs, states, sequence_length=None, **params):
        if F is nd:
            batch_size = inputs.shape[self._layout.find("N")]
            for state, info in zip(states, self.state_info(batch_size)):
                if state.shape != info["shape"]:
                    raise MXNetValueError(
                        f"{type(self).__name__} '{self.name}': a recurrent state has shape "
                        f"{state.shape}; expected {info['shape']}"
                    )
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        kinds = ("i2h", "h2h", "h2r") if self._projection_size else ("i2h", "h2h")
        order = [
            f"{direction}{layer}_{kind}_{what}"
            for what in ("weight", "bias")
            for layer in range(self._num_layers)
            for direction in "lr"[: self._dir]
            for kind in kinds
            if not (kind == "h2r" and what == "bias")
        ]
        flat = [F.reshape(params[name], shape=(-1,)) for name in order]
        parameters = F._internal._rnn_param_concat(*flat, dim=0)
        extra = [sequence_length] if self._use_sequence_length else []
        rnn = call_op(
            self,
            F.RNN,
            inputs,
            parameters,
            *states,
            *extra,
            use_sequence_length=self._use_sequence_length,
            state_size=self._hidden_size,
            projection_size=self._projection_size,
            num_layers=self._num_layers,
            bidirectional=self._dir == 2,
            p=self._dropout,
            state_outputs=True,
            mode=self._mode,
            lstm_state_clip_min=self._lstm_state_clip_min,
            lstm_state_clip_max=self._lstm_state_clip_max,
            lstm_state_clip_nan=self._lstm_state_clip_nan,
        )
        outputs = rnn[0]
        states = [rnn[1], rnn[2]] if self._mode == "lstm" else [rnn[1]]
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs if self.skip_states else (outputs, states)


_SHARED_DOC = """
    Parameters
    ----------
    hidden_size : int
        The size of the hidden state.
    num_layers : int
        The number of stacked layers.
    layout : {'TNC', 'NTC'}
        The layout of the input and output (T time, N batch, C features).
    dropout : float
        The dropout rate on each layer's output but the last's (while training).
    bidirectional : bool
        Whether each layer also runs from the last step back (outputs twice as wide).
    input_size : int
        The input size; 0 infers it from the first input.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer, optional
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer
        Zeros by default.
    dtype : str
        The parameters' and the default states' dtype.
    prefix, params
        As for every Block.

    Call it as ``layer(inputs)`` for the output alone, or ``layer(inputs, states)`` for
    ``(output, final states)``; the states have shape (num_layers * directions, batch, size).
"""


class RNN(_RNNLayer):
    """A stack of Elman RNN layers with a ReLU or tanh activation, fused into one operator."""

    __doc__ += (
        _SHARED_DOC
        + """    activation : {'relu', 'tanh'}
        The activation ('relu' by default).

    Examples
    --------
    >>> layer = mx.gluon.rnn.RNN(5, num_layers=2)
    >>> layer.initialize()
    >>> layer(mx.nd.ones((3, 2, 4))).shape
    (3, 2, 5)
    """
    )

    def __init__(
        self,
        hidden_size,
        num_layers=1,
        activation="relu",
        layout="TNC",
        dropout=0,
        bidirectional=False,
        i2h_weight_initializer=None,
        h2h_weight_initializer=None,
        i2h_bias_initializer="zeros",
        h2h_bias_initializer="zeros",
        input_size=0,
        dtype="float32",
        **kwargs,
    ):
        if activation not in ("relu", "tanh"):
            raise MXNetValueError(f"RNN: activation must be 'relu' or 'tanh', got {activation!r}")
        super().__init__(
            hidden_size,
            num_layers,
            layout,
            dropout,
            bidirectional,
            input_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            "rnn_" + activation,
            dtype,
            **kwargs,
        )


class LSTM(_RNNLayer):
    """A stack of LSTM layers fused into one operator (gates i, f, g, o)."""

    __doc__ += (
        _SHARED_DOC
        + """    projection_size : int, optional
        Project each step's hidden state to this size (LSTMP); the recurrent state and the
        output then have this size.
    h2r_weight_initializer : str or Initializer, optional
        Initialiser of the projection weights.
    state_clip_min, state_clip_max : float, optional
        Clip the cell state into [min, max] after every step.
    state_clip_nan : bool
        Whether clipping also turns a NaN cell state into ``state_clip_min``.

    The states are ``[h, c]``.

    Examples
    --------
    >>> layer = mx.gluon.rnn.LSTM(5, num_layers=2, layout='NTC')
    >>> layer.initialize()
    >>> out, (h, c) = layer(mx.nd.ones((2, 3, 4)), layer.begin_state(batch_size=2))
    >>> out.shape, h.shape
    ((2, 3, 5), (2, 2, 5))
    """
    )

    def __init__(
        self,
        hidden_size,
        num_layers=1,
        layout="TNC",
        dropout=0,
        bidirectional=False,
        input_size=0,
        i2h_weight_initializer=None,
        h2h_weight_initializer=None,
        i2h_bias_initializer="zeros",
        h2h_bias_initializer="zeros",
        projection_size=None,
        h2r_weight_initializer=None,
        state_clip_min=None,
        state_clip_max=None,
        state_clip_nan=False,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(
            hidden_size,
            num_layers,
            layout,
            dropout,
            bidirectional,
            input_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            "lstm",
            dtype,
            projection_size,
            h2r_weight_initializer,
            state_clip_min,
            state_clip_max,
            state_clip_nan,
            **kwargs,
        )

    def state_info(self, batch_size=0):
        hidden = self._projection_size or self._hidden_size
        return [
            self._state_shape(batch_size, hidden),
            self._state_shape(batch_size, self._hidden_size),
        ]


class GRU(_RNNLayer):
    """A stack of GRU layers fused into one operator (cuDNN's GRU, gates r, z, n)."""

    __doc__ += (
        _SHARED_DOC
        + """
    Examples
    --------
    >>> layer = mx.gluon.rnn.GRU(5, bidirectional=True)
    >>> layer.initialize()
    >>> layer(mx.nd.ones((3, 2, 4))).shape
    (3, 2, 10)
    """
    )

    def __init__(
        self,
        hidden_size,
        num_layers=1,
        layout="TNC",
        dropout=0,
        bidirectional=False,
        input_size=0,
        i2h_weight_initializer=None,
        h2h_weight_initializer=None,
        i2h_bias_initializer="zeros",
        h2h_bias_initializer="zeros",
        dtype="float32",
        **kwargs,
    ):
        super().__init__(
            hidden_size,
            num_layers,
            layout,
            dropout,
            bidirectional,
            input_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            "gru",
            dtype,
            **kwargs,
        )
