"""The fused recurrent operator ``RNN`` (vanilla tanh/ReLU, LSTM, GRU) and its backward kernel.

The flat ``parameters`` vector is laid out as MXNet 1.9.1 (and cuDNN) lays it out, which saved
models and the Gluon recurrent layers rely on: first every weight matrix, layer by layer and
within a layer direction by direction (left-to-right, then right-to-left), each as the i2h
weight (G*H, input), the h2h weight (G*H, R) and, with a projection, the h2r weight (P, H);
then every bias the same way, the i2h bias (G*H,) and the h2h bias (G*H,). G is the number of
gates (LSTM 4 in the order i, f, g, o; GRU 3 in the order r, z, n; vanilla 1), H the state
size, P the projection size and R the recurrent width (P with a projection, else H).

The time loops live in ``rnn_cells``; this module holds the operator definitions, shape and
dtype inference and the layer/direction bookkeeping.
"""

from __future__ import annotations

import numpy as np

from ...base import MXNetTypeError, MXNetValueError
from ..infer import is_known, shape_str, unify, unify_dtype
from ..params import Bool, Enum, Float, Int, Params
from ..registry import Op, register
from .rnn_cells import BACKWARD, FORWARD, GATES, Grads, Sweep

_PARAMS = Params(
    state_size=Int(min=1, doc="The size of the state of each layer."),
    num_layers=Int(min=1, doc="The number of stacked layers."),
    bidirectional=Bool(False, doc="Whether each layer also runs from the last step back."),
    mode=Enum(("gru", "lstm", "rnn_relu", "rnn_tanh"), doc="The kind of recurrent cell."),
    p=Float(0.0, doc="The dropout rate on each layer's output but the last's (training only)."),
    state_outputs=Bool(False, doc="Whether the final states are outputs too."),
    projection_size=Int(None, min=1, doc="The size of the LSTM's projected state (LSTMP)."),
    lstm_state_clip_min=Float(None, doc="The lower clip bound of the LSTM cell state."),
    lstm_state_clip_max=Float(None, doc="The upper clip bound of the LSTM cell state."),
    lstm_state_clip_nan=Bool(
        False, doc="Whether clipping also turns a NaN cell state into lstm_state_clip_min."
    ),
    use_sequence_length=Bool(
        False, doc="Whether the input sequence_length gives each batch element's length."
    ),
)


class Layout:
    """The sizes of one call and where each weight and kept array lives in the flat vectors."""

    def __init__(self, p, data_shape):
        self.mode = p.mode
        self.T, self.N, self.C = data_shape
        self.H = p.state_size
        self.P = p.projection_size
        self.R = self.P or self.H
        self.L = p.num_layers
        self.D = 2 if p.bidirectional else 1
        self.G = GATES[p.mode]
        self.dropout = p.p > 0 and self.L > 1

    def input_size(self, layer):
        return self.C if layer == 0 else self.D * self.R

    def parameter_items(self):
        """(layer, direction, shapes of i2h, h2h, h2r weights) then (..., biases), in order."""
        gh = self.G * self.H
        for layer in range(self.L):
            for direction in range(self.D):
                shapes = [(gh, self.input_size(layer)), (gh, self.R)]
                shapes.append((self.P, self.H) if self.P else None)
                yield layer, direction, shapes
        for layer in range(self.L):
            for direction in range(self.D):
                yield layer, direction, [(gh,), (gh,)]

    def parameter_size(self):
        return sum(
            int(np.prod(shape))
            for *_, shapes in self.parameter_items()
            for shape in shapes
            if shape
        )

    def split_parameters(self, flat):
        """Per (layer, direction) index: (i2h weight, h2h weight, h2r weight or None, i2h bias,
        h2h bias) as views into the flat vector ``flat``."""
        views = [[] for _ in range(self.L * self.D)]
        offset = 0
        for layer, direction, shapes in self.parameter_items():
            for shape in shapes:
                if shape is None:
                    views[layer * self.D + direction].append(None)
                    continue
                size = int(np.prod(shape))
                views[layer * self.D + direction].append(
                    flat[offset : offset + size].reshape(shape)
                )
                offset += size
        return [tuple(v) for v in views]

    def reserve_items(self):
        """(key, name, shape) of every array the forward pass keeps for backward."""
        T, N, H = self.T, self.N, self.H
        for layer in range(self.L):
            for direction in range(self.D):
                key = (layer, direction)
                yield key, "gates", (T, N, self.G * H)
                if self.mode == "lstm":
                    yield key, "cell", (T, N, H)
                    yield key, "tanh_cell", (T, N, H)
                    if self.P:
                        yield key, "hidden", (T, N, H)
                elif self.mode == "gru":
                    yield key, "recurrent", (T, N, self.G * H)
            if layer < self.L - 1:
                # The layer's output feeds the next layer (through the dropout mask).
                yield layer, "output", (T, N, self.D * self.R)
                if self.dropout:
                    yield layer, "mask", (T, N, self.D * self.R)
                    yield layer, "dropped", (T, N, self.D * self.R)

    def reserve_size(self):
        return sum(int(np.prod(shape)) for _, _, shape in self.reserve_items())

    def split_reserve(self, reserve):
        """{key: {name: view}} over the flat reserve vector."""
        views: dict = {}
        offset = 0
        for key, name, shape in self.reserve_items():
            size = int(np.prod(shape))
            views.setdefault(key, {})[name] = reserve[offset : offset + size].reshape(shape)
            offset += size
        return views

    def state_shapes(self):
        """Shapes of the hidden state and the LSTM cell state."""
        return (self.L * self.D, self.N, self.R), (self.L * self.D, self.N, self.H)

    def describe(self):
        text = (
            f"mode={self.mode!r}, state_size={self.H}, num_layers={self.L}, "
            f"bidirectional={self.D == 2}"
        )
        return text + (f", projection_size={self.P}" if self.P else "")


def _check_params(op_name, p):
    if not 0.0 <= p.p < 1.0:
        # MXNet 1.9.1 refuses p=1 when it runs, in training and prediction alike.
        raise MXNetValueError(f"{op_name}: p={p.p} must lie in [0, 1)")
    if p.projection_size is not None:
        if p.mode != "lstm":
            raise MXNetValueError(
                f"{op_name}: projection_size is only supported with mode='lstm', got {p.mode!r}"
            )
        if p.projection_size > p.state_size:
            raise MXNetValueError(
                f"{op_name}: projection_size={p.projection_size} must not exceed "
                f"state_size={p.state_size}"
            )
    low, high = p.lstm_state_clip_min, p.lstm_state_clip_max
    if low is not None or high is not None:
        if p.mode != "lstm":
            raise MXNetValueError(
                f"{op_name}: state clipping is only supported with mode='lstm', got {p.mode!r}"
            )
        if low is None or high is None:
            raise MXNetValueError(
                f"{op_name}: lstm_state_clip_min and lstm_state_clip_max must be given together"
            )
        if high < low:
            raise MXNetValueError(
                f"{op_name}: lstm_state_clip_max={high} is below lstm_state_clip_min={low}"
            )


def _forward_arguments(p):
    names = ("data", "parameters", "state")
    if p.mode == "lstm":
        names += ("state_cell",)
    if p.use_sequence_length:
        names += ("sequence_length",)
    return names


def _infer_inputs(op_name, p, named):
    """Check and complete the forward inputs' shapes; return (Layout, {name: shape}) or None."""
    _check_params(op_name, p)
    data = named.get("data")
    if not is_known(data):
        return None
    if len(data) != 3:
        raise MXNetValueError(
            f"{op_name}: data has shape {shape_str(data)}; expected 3 dimensions "
            "(sequence length, batch size, input size)"
        )
    layout = Layout(p, data)
    expected = (layout.parameter_size(),)
    try:
        parameters = unify(op_name, "parameters", named.get("parameters"), expected)
    except MXNetValueError:
        raise MXNetValueError(
            f"{op_name}: parameters has shape {shape_str(named['parameters'])}; expected "
            f"{shape_str(expected)} for data {shape_str(data)} with {layout.describe()}"
        ) from None
    state_shape, cell_shape = layout.state_shapes()
    shapes = {
        "data": tuple(data),
        "parameters": parameters,
        "state": unify(op_name, "state", named.get("state"), state_shape),
    }
    if p.mode == "lstm":
        shapes["state_cell"] = unify(op_name, "state_cell", named.get("state_cell"), cell_shape)
    if p.use_sequence_length:
        shapes["sequence_length"] = unify(
            op_name, "sequence_length", named.get("sequence_length"), (layout.N,)
        )
    return layout, shapes


def _visible_shapes(p, layout):
    state_shape, cell_shape = layout.state_shapes()
    shapes = [(layout.T, layout.N, layout.D * layout.R)]
    if p.state_outputs:
        shapes.append(state_shape)
        if p.mode == "lstm":
            shapes.append(cell_shape)
    return shapes


def _float_type(op_name, names, dtypes):
    """The one floating dtype of the named inputs (sequence_length may have any dtype)."""
    pairs = [(n, t) for n, t in zip(names, dtypes) if n != "sequence_length"]
    dtype = unify_dtype(op_name, [n for n, _ in pairs], [t for _, t in pairs])
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise MXNetTypeError(
            f"{op_name}: data has dtype {np.dtype(dtype).name}; only floating-point types are "
            "supported"
        )
    return dtype


def _input_types(names, dtypes, dtype):
    return tuple(
        (t if t is not None else dtype) if n == "sequence_length" else dtype
        for n, t in zip(names, dtypes)
    )


def _valid_steps(xp, op_name, layout, lengths, dtype):
    """(T, N, 1): 1 where step t lies within batch element n's sequence, else 0; or None."""
    if lengths is None:
        return None
    with np.errstate(invalid="ignore"):
        lengths = lengths.astype(np.int64)
    if layout.N and (int(lengths.min()) < 0 or int(lengths.max()) > layout.T):
        raise MXNetValueError(
            f"{op_name}: sequence_length holds lengths from {int(lengths.min())} to "
            f"{int(lengths.max())}; each must lie in [0, {layout.T}] (the data's first axis)"
        )
    steps = xp.arange(layout.T).reshape(-1, 1, 1)
    return (steps < lengths.reshape(1, -1, 1)).astype(dtype)


def _clip(p):
    if p.lstm_state_clip_min is None:
        return None
    return p.lstm_state_clip_min, p.lstm_state_clip_max, p.lstm_state_clip_nan


def _sweep(xp, p, layout, x, weights, named, saved, output, valid, layer, direction):
    """The Sweep of one layer and direction (``output`` is the whole layer's output)."""
    k = layer * layout.D + direction
    width = slice(direction * layout.R, (direction + 1) * layout.R)
    cell = named["state_cell"][k] if p.mode == "lstm" else None
    return Sweep(
        xp,
        p.mode,
        x,
        weights[k],
        named["state"][k],
        cell,
        output[:, :, width],
        saved[(layer, direction)],
        direction == 1,
        valid,
        _clip(p),
    )


@register("RNN")
class RNN(Op):
    """Apply a stack of recurrent layers (vanilla tanh/ReLU, LSTM or GRU) to a sequence.

    ``data`` has the layout (sequence length, batch size, input size); ``parameters`` is the
    flat vector of every weight and then every bias (see the module docstring for the order);
    ``state`` (and for LSTM ``state_cell``) holds the initial states, (num_layers *
    directions, batch size, state size). The output has shape (sequence length, batch size,
    directions * R), R the state size or the projection size; with ``state_outputs`` the
    final states follow it. A hidden last output keeps what the gradient needs.

    Vanilla: h' = act(W_ih x + b_ih + W_hh h + b_hh).
    LSTM: i, f, o = sigmoid(...), g = tanh(...), c' = f c + i g, h' = o tanh(c'); with
    ``projection_size`` the recurrent state and the output are r' = W_hr h'.
    GRU (cuDNN's variant): r, z = sigmoid(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h' = (1 - z) n + z h.

    With ``use_sequence_length`` each batch element stops at its length: later outputs are
    zero, the final state is the one at the last valid step, and the right-to-left direction
    starts from that step. ``p`` drops each layer's output but the last's while training.
    MXNet 1.9.1's CPU build refuses ``projection_size``, the state clip and
    ``use_sequence_length`` (cuDNN only); neomx computes them as cuDNN documents them.

    >>> data = mx.nd.ones((2, 1, 1))
    >>> weights = mx.nd.array([0.5, 1.0, 0.0, 0.0])   # i2h weight, h2h weight, biases
    >>> mx.nd.RNN(data, weights, mx.nd.zeros((1, 1, 1)), state_size=1, num_layers=1,
    ...           mode='rnn_relu')
    <BLANKLINE>
    [[[0.5]]
    <BLANKLINE>
     [[1. ]]]
    <NDArray 2x1x1 @cpu(0)>
    """

    inputs = ("data", "parameters", "state", "state_cell", "sequence_length")
    params = _PARAMS
    runtime = ("is_train", "rng")

    def arguments(self, p):
        return _forward_arguments(p)

    def num_visible_outputs(self, p):
        if not p.state_outputs:
            return 1
        return 3 if p.mode == "lstm" else 2

    def num_outputs(self, p):
        # The last, hidden output keeps what backward needs (gates, cell states, dropout masks).
        return self.num_visible_outputs(p) + 1

    def output_names(self, p):
        names = ("output", "state_output", "statecell_output")
        return names[: self.num_visible_outputs(p)] + ("reserve",)

    def infer_shape(self, p, *shapes):
        names = self.arguments(p)
        inferred = _infer_inputs(self.name, p, dict(zip(names, shapes)))
        if inferred is None:
            return None
        layout, inputs = inferred
        outputs = _visible_shapes(p, layout) + [(layout.reserve_size(),)]
        return tuple(inputs[n] for n in names), tuple(outputs)

    def infer_type(self, p, *dtypes):
        names = self.arguments(p)
        dtype = _float_type(self.name, names, dtypes)
        if dtype is None:
            return None
        return _input_types(names, dtypes, dtype), (dtype,) * self.num_outputs(p)

    def forward(self, xp, p, *inputs, out=None, is_train=False, rng=None):
        named = dict(zip(self.arguments(p), inputs))
        data = named["data"]
        layout = Layout(p, data.shape)
        shapes = _visible_shapes(p, layout) + [(layout.reserve_size(),)]
        buffers = out if out is not None else (None,) * len(shapes)
        results = [
            xp.empty(shape, dtype=data.dtype) if buffer is None else buffer
            for buffer, shape in zip(buffers, shapes)
        ]
        saved = layout.split_reserve(results[-1])
        weights = layout.split_parameters(named["parameters"])
        valid = _valid_steps(xp, self.name, layout, named.get("sequence_length"), data.dtype)
        x = data.reshape(layout.T * layout.N, layout.C)
        for layer in range(layout.L):
            last = layer == layout.L - 1
            output = results[0] if last else saved[layer]["output"]
            for direction in range(layout.D):
                sweep = _sweep(
                    xp, p, layout, x, weights, named, saved, output, valid, layer, direction
                )
                h, c = FORWARD[p.mode](sweep)
                if p.state_outputs:
                    k = layer * layout.D + direction
                    results[1][k] = h
                    if c is not None:
                        results[2][k] = c
            if not last:
                if layout.dropout:
                    output = _dropout(xp, p, output, saved[layer], is_train, rng)
                x = output.reshape(layout.T * layout.N, layout.D * layout.R)
        return tuple(results)

    def gradient(self, p, F, inputs, outputs, dy):
        visible = self.num_visible_outputs(p)
        heads = [F.zeros_like(o) if d is None else d for d, o in zip(dy[:visible], outputs)]
        grads = F._backward_RNN(*heads, *inputs, outputs[0], outputs[-1], **p._asdict())
        # No gradient flows to the sequence lengths.
        return tuple(grads) + ((None,) if p.use_sequence_length else ())


def _dropout(xp, p, output, saved, is_train, rng):
    """The next layer's input: ``output`` times a kept mask scaled by 1 / (1 - p) while
    training, the output itself (mask of ones) otherwise."""
    mask, dropped = saved["mask"], saved["dropped"]
    if is_train:
        keep = 1.0 - p.p
        mask[...] = rng.random(mask.shape) < keep
        mask *= mask.dtype.type(1.0 / keep)
    else:
        mask.fill(1)
    return xp.multiply(output, mask, out=dropped)


@register("_backward_RNN")
class BackwardRNN(Op):
    """Return the gradients of ``RNN`` w.r.t. data, parameters, state (and state_cell) by
    backpropagation through time, given the output gradients (``dy``, and with
    ``state_outputs`` ``dhy``/``dcy``), the forward inputs and its ``output`` and ``reserve``.
    """

    inputs = (
        "dy",
        "dhy",
        "dcy",
        "data",
        "parameters",
        "state",
        "state_cell",
        "sequence_length",
        "output",
        "reserve",
    )
    params = _PARAMS
    differentiable = False

    def arguments(self, p):
        heads = ("dy",)
        if p.state_outputs:
            heads += ("dhy", "dcy") if p.mode == "lstm" else ("dhy",)
        return heads + _forward_arguments(p) + ("output", "reserve")

    def num_outputs(self, p):
        return 4 if p.mode == "lstm" else 3

    def output_names(self, p):
        names = ("data_grad", "parameters_grad", "state_grad", "state_cell_grad")
        return names[: self.num_outputs(p)]

    def infer_shape(self, p, *shapes):
        names = self.arguments(p)
        named = dict(zip(names, shapes))
        inferred = _infer_inputs(self.name, p, named)
        if inferred is None:
            return None
        layout, inputs = inferred
        visible = _visible_shapes(p, layout)
        for name, shape in zip(("dy", "dhy", "dcy"), visible):
            inputs[name] = unify(self.name, name, named.get(name), shape)
        inputs["output"] = unify(self.name, "output", named.get("output"), visible[0])
        inputs["reserve"] = unify(
            self.name, "reserve", named.get("reserve"), (layout.reserve_size(),)
        )
        forward = _forward_arguments(p)
        outputs = [inputs[n] for n in forward if n != "sequence_length"]
        return tuple(inputs[n] for n in names), tuple(outputs)

    def infer_type(self, p, *dtypes):
        names = self.arguments(p)
        dtype = _float_type(self.name, names, dtypes)
        if dtype is None:
            return None
        return _input_types(names, dtypes, dtype), (dtype,) * self.num_outputs(p)

    def forward(self, xp, p, *inputs, out=None):
        named = dict(zip(self.arguments(p), inputs))
        data = named["data"]
        layout = Layout(p, data.shape)
        state_shape, cell_shape = layout.state_shapes()
        shapes = [data.shape, (layout.parameter_size(),), state_shape, cell_shape]
        buffers = out if out is not None else (None,) * self.num_outputs(p)
        d_data, d_parameters, d_state, *d_cell = [
            xp.empty(shape, dtype=data.dtype) if buffer is None else buffer
            for buffer, shape in zip(buffers, shapes)
        ]
        saved = layout.split_reserve(named["reserve"])
        weights = layout.split_parameters(named["parameters"])
        d_weights = layout.split_parameters(d_parameters)
        valid = _valid_steps(xp, self.name, layout, named.get("sequence_length"), data.dtype)
        d_layer = named["dy"]
        for layer in reversed(range(layout.L)):
            if layer == 0:
                x = data.reshape(layout.T * layout.N, layout.C)
            else:
                below = saved[layer - 1]
                x = below["dropped" if layout.dropout else "output"]
                x = x.reshape(layout.T * layout.N, layout.D * layout.R)
            output = named["output"] if layer == layout.L - 1 else saved[layer]["output"]
            d_input = None
            for direction in range(layout.D):
                k = layer * layout.D + direction
                sweep = _sweep(
                    xp, p, layout, x, weights, named, saved, output, valid, layer, direction
                )
                grads = Grads(
                    d_layer[:, :, direction * layout.R : (direction + 1) * layout.R],
                    _head_state(xp, named.get("dhy"), k, state_shape[1:], data.dtype),
                    _head_state(xp, named.get("dcy"), k, cell_shape[1:], data.dtype)
                    if d_cell
                    else None,
                    d_weights[k],
                )
                d_x = BACKWARD[p.mode](sweep, grads)
                d_input = d_x if d_input is None else xp.add(d_input, d_x, out=d_input)
                d_state[k] = grads.dh
                if d_cell:
                    d_cell[0][k] = grads.dc
            if layer > 0:
                d_layer = d_input.reshape(layout.T, layout.N, layout.D * layout.R)
                if layout.dropout:
                    d_layer *= saved[layer - 1]["mask"]
            else:
                d_data[...] = d_input.reshape(data.shape)
        return (d_data, d_parameters, d_state, *d_cell)


def _head_state(xp, heads, k, shape, dtype):
    """A writable copy of the gradient of final state ``k`` (zeros without state outputs)."""
    if heads is None:
        return xp.zeros(shape, dtype=dtype)
    return heads[k].copy()
