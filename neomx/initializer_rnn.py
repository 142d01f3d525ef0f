"""The recurrent-layer initializers of ``mx.init``: LSTMBias and FusedRNN."""

from __future__ import annotations

import numpy as np

from .base import MXNetValueError
from .initializer_base import InitDesc, Initializer, create, register
from .ndarray import array as _array

__all__ = ["LSTMBias", "FusedRNN"]


@register
class LSTMBias(Initializer):
    """Fill an LSTM bias with zeros, except the forget gate's quarter (the second).

    Parameters
    ----------
    forget_bias : float, default 1.0
        The forget gate's bias (Jozefowicz et al., 2015, recommend 1.0).

    >>> b = mx.nd.zeros((8,))
    >>> attrs = {"__init__": mx.init.LSTMBias(2.0).dumps()}  # as mx.sym.var(init=...) sets it
    >>> mx.init.Xavier()(mx.init.InitDesc("lstm_i2h_bias", attrs), b)
    >>> b.asnumpy()
    array([0., 0., 2., 2., 0., 0., 0., 0.], dtype=float32)
    """

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        # The gates are stacked as input, forget, cell, output.
        num_hidden = arr.shape[0] // 4
        arr[num_hidden : 2 * num_hidden] = self.forget_bias


# The gates of each mode, in the fused layout's order, as they appear in the unpacked names.
_GATES = {
    "rnn_relu": ("",),
    "rnn_tanh": ("",),
    "lstm": ("_i", "_f", "_c", "_o"),
    "gru": ("_r", "_z", "_o"),
}


def fused_layout(mode, num_hidden, num_layers, bidirectional, num_input):
    """The pieces of a fused RNN parameter vector, in order, as ``(name, shape)``.

    All weights come first (per layer and direction: the input-to-hidden weight of each gate,
    then the hidden-to-hidden ones), then all biases in the same order. Names are the unpacked
    names of MXNet's FusedRNNCell without a prefix, e.g. ``'l0_i2h_f_bias'``.
    """
    gates = _GATES[mode]
    directions = ("l", "r") if bidirectional else ("l",)
    h = num_hidden
    pieces = []
    for layer in range(num_layers):
        layer_input = num_input if layer == 0 else len(directions) * h
        for direction in directions:
            pieces += [(f"{direction}{layer}_i2h{g}_weight", (h, layer_input)) for g in gates]
            pieces += [(f"{direction}{layer}_h2h{g}_weight", (h, h)) for g in gates]
    for layer in range(num_layers):
        for direction in directions:
            pieces += [(f"{direction}{layer}_i2h{g}_bias", (h,)) for g in gates]
            pieces += [(f"{direction}{layer}_h2h{g}_bias", (h,)) for g in gates]
    return pieces


@register
class FusedRNN(Initializer):
    """Fill the single parameter vector of a fused (cuDNN-layout) RNN layer piece by piece.

    Each weight and bias in the vector is initialized as a parameter of its own (named like
    ``'l0_i2h_i_weight'``), by ``init`` or, without it, by the global initializer; an LSTM's
    forget-gate biases are set to ``forget_bias``.

    Parameters
    ----------
    init : Initializer, str or None
        The initializer of the pieces (or its JSON); None uses the global initializer.
    num_hidden, num_layers : int
        As given to the RNN layer.
    mode : {'rnn_relu', 'rnn_tanh', 'lstm', 'gru'}
    bidirectional : bool, default False
    forget_bias : float, default 1.0

    >>> mx.init.FusedRNN(None, 4, 1, "gru").dumps()  # doctest: +NORMALIZE_WHITESPACE
    '["fusedrnn", {"init": null, "num_hidden": 4, "num_layers": 1, "mode": "gru",
      "bidirectional": false, "forget_bias": 1.0}]'
    """

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            init = create(init)
        super().__init__(
            init=init.dumps() if init is not None else None,
            num_hidden=num_hidden,
            num_layers=num_layers,
            mode=mode,
            bidirectional=bidirectional,
            forget_bias=forget_bias,
        )
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _layout(self, name, size):
        """The pieces of a vector of ``size`` elements, checked against the layer's sizes."""
        if self._mode not in _GATES:
            raise MXNetValueError(
                f"FusedRNN: mode must be one of {tuple(_GATES)}, got {self._mode!r}"
            )
        gates = len(_GATES[self._mode])
        directions = 2 if self._bidirectional else 1
        h, layers = self._num_hidden, self._num_layers
        # Solve the vector's length for the layer's input size, as MXNet's FusedRNNCell does.
        num_input = size // directions // h // gates - (layers - 1) * (h + directions * h + 2)
        num_input -= h + 2
        pieces = fused_layout(self._mode, h, layers, self._bidirectional, max(num_input, 0))
        expected = sum(int(np.prod(shape)) for _, shape in pieces)
        if num_input < 1 or expected != size:
            raise MXNetValueError(
                f"FusedRNN: {name!r} has {size} elements, which is no fused {self._mode} "
                f"parameter vector with num_hidden={h}, num_layers={layers}, "
                f"bidirectional={self._bidirectional}"
            )
        return pieces

    def _init_weight(self, desc, arr):
        global_init = getattr(desc, "global_init", None)
        if self._init is None and global_init is None:
            raise MXNetValueError(
                f"FusedRNN: {desc!r} has no init and no global initializer to fall back on; "
                "call it with mx.init.InitDesc(name, global_init=...) or give init"
            )
        pieces = self._layout(desc, arr.size)
        flat = arr.asnumpy().reshape(-1)
        filled = np.empty_like(flat)
        offset = 0
        for name, shape in pieces:
            size = int(np.prod(shape))
            piece = _array(
                flat[offset : offset + size].reshape(shape), ctx=arr.context, dtype=arr.dtype
            )
            piece_desc = InitDesc(name, global_init=global_init)
            if self._mode == "lstm" and name.endswith("_f_bias"):
                piece[:] = self._forget_bias
            elif self._init is None:
                global_init(piece_desc, piece)
            else:
                self._init(piece_desc, piece)
            filled[offset : offset + size] = piece.asnumpy().reshape(-1)
            offset += size
        arr[:] = filled.reshape(arr.shape)
