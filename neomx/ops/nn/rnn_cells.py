"""The time loops of the fused RNN operator: one layer, one direction, forward and backward.

Each loop works on a ``Sweep``: the layer's input as a (T*N, input) matrix, the weights, the
initial states, the (T, N, R) output of this direction and the arrays the forward pass keeps
for the backward one (views into the operator's hidden ``reserve`` output). The input
projection of all time steps is one GEMM before the loop; the loop itself only runs the
recurrent GEMM and the gate arithmetic, each a handful of whole-array NumPy calls. Backward
runs the loop in reverse and leaves the weight gradients and the input gradient to GEMMs over
all time steps after it.

One rewrite keeps the per-step work small: sigmoid(a) = 0.5 * tanh(a / 2) + 0.5, with the
1/2 folded into copies of the sigmoid gates' weights and biases, so that one ``tanh`` call
activates every gate of a step. Backward takes the activations' slopes of all steps at once.
The LSTM loop also reorders its gates (o, i, f, g) so that the sigmoid gates, and in
backward the gates the cell state drives, are contiguous: each takes one call per step.
"""

from __future__ import annotations

from ...storage import scratch

__all__ = ["Sweep", "FORWARD", "BACKWARD", "GATES"]

# Gates per mode, in MXNet's storage order: LSTM i, f, g, o; GRU r, z, n (cuDNN's formula,
# n = tanh(W_in x + b_in + r * (W_hn h + b_hn))); vanilla RNNs one.
GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
# The sigmoid gates' positions; the other gates are tanh (ReLU for rnn_relu).
_SIGMOID_GATES = {"rnn_relu": (), "rnn_tanh": (), "lstm": (0, 1, 3), "gru": (0, 1)}
# The LSTM loop keeps its gates in the order o, i, f, g: MXNet's gates 3, 0, 1, 2.
_LSTM_ORDER = (3, 0, 1, 2)


class Sweep:
    """One direction of one layer: inputs, weights, states and the arrays kept for backward.

    Attributes
    ----------
    x : (T*N, input) layer input.
    weights : (i2h weight, h2h weight, h2r weight or None, i2h bias, h2h bias), MXNet's views
        into the flat parameter vector.
    h0, c0 : (N, R) and (N, H) initial states (c0 None but for LSTM).
    out : (T, N, R) this direction's slice of the layer output.
    saved : dict of reserve views: "gates" (T, N, G*H); LSTM "cell", "tanh_cell" and with a
        projection "hidden" (T, N, H); GRU "recurrent" (T, N, 3H), the h2h term.
    reverse : whether the direction runs from the last step to the first.
    valid : (T, N, 1) 1.0 where a step lies within its sequence, else 0.0; None when every
        sequence has the full length.
    clip : (min, max, nan) of LSTM cell-state clipping, or None.
    """

    def __init__(self, xp, mode, x, weights, h0, c0, out, saved, reverse, valid, clip):
        self.xp, self.mode = xp, mode
        self.x, self.weights, self.h0, self.c0 = x, weights, h0, c0
        self.out, self.saved = out, saved
        self.T, self.N, self.R = out.shape
        self.H = weights[1].shape[0] // GATES[mode]
        self.steps = range(self.T - 1, -1, -1) if reverse else range(self.T)
        self.reverse = reverse
        self.valid = valid
        self.padded = None if valid is None else valid == 0
        self.clip = clip

    def previous(self, sequence, first, out=None):
        """The state before each step, (T, N, K), from the states after each step (into
        ``out`` if given)."""
        xp = self.xp
        before = xp.empty_like(sequence) if out is None else out
        if self.T == 0:
            return before
        if self.reverse:
            before[-1] = first
            before[:-1] = sequence[1:]
            if self.valid is not None:
                # A reverse sweep starts at each sequence's last valid step, from ``first``.
                xp.copyto(before[:-1], first, where=self.padded[1:])
        else:
            before[0] = first
            before[1:] = sequence[:-1]
        return before


def _scaled(sweep, array):
    """A copy of ``array`` (gate rows first) with the sigmoid gates' rows halved."""
    xp, H = sweep.xp, sweep.H
    scale = xp.ones(array.shape[0], dtype=array.dtype)
    for gate in _SIGMOID_GATES[sweep.mode]:
        scale[gate * H : (gate + 1) * H] = 0.5
    return array * (scale if array.ndim == 1 else scale[:, None])


def _sigmoid_from_tanh(block):
    """Turn tanh(a / 2) into sigmoid(a), in place."""
    block *= 0.5
    block += 0.5


def _project_inputs(sweep, wi, bias):
    """Fill the gates with the input projection ``wi`` of every step: one GEMM and the bias."""
    xp = sweep.xp
    gates = sweep.saved["gates"]
    xp.matmul(sweep.x, wi.T, out=gates.reshape(sweep.T * sweep.N, gates.shape[-1]))
    gates += bias
    return gates


def _emit(sweep, t, state):
    """Finish step ``t`` whose new state is in ``sweep.out[t]``; return the state to carry.

    Within its sequence a step's state is its output; past the end the state carries over
    unchanged and the output is zero (cuDNN's padded layout)."""
    if sweep.valid is None:
        return sweep.out[t]
    sweep.xp.copyto(state, sweep.out[t], where=~sweep.padded[t])
    sweep.out[t] *= sweep.valid[t]
    return state


def _carried(sweep, h0):
    """The state buffer a masked sweep carries (a copy of ``h0``), or ``h0`` itself."""
    return h0 if sweep.valid is None else h0.copy()


def _times(xp, weight, h, buffer):
    """Return ``h @ weight.T`` as the transpose of ``weight @ h.T``, computed into ``buffer``
    (rows of weight, N).

    For the few rows of a time step, BLAS runs this orientation (many rows, few columns)
    faster: OpenBLAS's AVX-512 sgemm up to twice as fast, its AVX2 one as fast.
    """
    xp.matmul(weight, h.T, out=buffer)
    return buffer.T


# ---- forward ------------------------------------------------------------------------------


def _lstm_rows(sweep, array):
    """A copy of ``array``'s gate rows (MXNet's order i, f, g, o) in the loop's order
    o, i, f, g, the sigmoid gates' rows halved: the sigmoid gates come first, so that one
    pair of calls turns them from tanh to sigmoid, and the gates the cell state's gradient
    drives (i, f, g) come last in a row, as in MXNet's order."""
    xp, H = sweep.xp, sweep.H
    rows = xp.empty_like(array)
    for position, gate in enumerate(_LSTM_ORDER):
        block = array[gate * H : (gate + 1) * H]
        xp.multiply(block, 1.0 if gate == 2 else 0.5, out=rows[position * H : (position + 1) * H])
    return rows


def lstm_forward(sweep):
    """Run an LSTM (optionally with projection and cell clipping); return (h_T, c_T).

    The saved gates hold o, i, f, g (``_lstm_rows``), already activated.
    """
    xp, H, N = sweep.xp, sweep.H, sweep.N
    wi, wh, wr, bi, bh = sweep.weights
    gates = _project_inputs(sweep, _lstm_rows(sweep, wi), _lstm_rows(sweep, bi + bh))
    wh = _lstm_rows(sweep, wh)
    cell, tanh_cell = sweep.saved["cell"], sweep.saved["tanh_cell"]
    hidden = sweep.saved["hidden"] if wr is not None else sweep.out
    recurrent = xp.empty((4 * H, N), dtype=gates.dtype)
    product = xp.empty((N, H), dtype=gates.dtype)
    h, c = _carried(sweep, sweep.h0), sweep.c0
    for t in sweep.steps:
        z = gates[t]
        z += _times(xp, wh, h, recurrent)
        xp.tanh(z, out=z)
        _sigmoid_from_tanh(z[:, : 3 * H])
        o, i, f, g = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        c_t = cell[t]
        xp.multiply(f, c, out=c_t)
        xp.multiply(i, g, out=product)
        c_t += product
        if sweep.clip is not None:
            _clip(xp, c_t, sweep.clip)
        if sweep.valid is not None:
            xp.copyto(c_t, c, where=sweep.padded[t])
        xp.tanh(c_t, out=tanh_cell[t])
        xp.multiply(o, tanh_cell[t], out=hidden[t])
        if wr is not None:
            xp.matmul(hidden[t], wr.T, out=sweep.out[t])
        h = _emit(sweep, t, h)
        c = c_t
    return h, c


def _clip(xp, c, clip):
    low, high, stop_nan = clip
    if stop_nan:
        # fmax/fmin ignore NaN, so a NaN state becomes ``low``.
        xp.fmax(c, low, out=c)
        xp.fmin(c, high, out=c)
    else:
        xp.clip(c, low, high, out=c)


def gru_forward(sweep):
    """Run a GRU (cuDNN's variant: the reset gate scales the h2h term); return (h_T, None)."""
    xp, H, N = sweep.xp, sweep.H, sweep.N
    _, wh, _, bi, bh = sweep.weights
    gates = _project_inputs(sweep, _scaled(sweep, sweep.weights[0]), _scaled(sweep, bi))
    wh, bh = _scaled(sweep, wh), _scaled(sweep, bh)
    recurrent = sweep.saved["recurrent"]
    product = xp.empty((3 * H, N), dtype=gates.dtype)
    scratch = xp.empty((N, H), dtype=gates.dtype)
    h = _carried(sweep, sweep.h0)
    for t in sweep.steps:
        a, gh = gates[t], recurrent[t]
        xp.add(_times(xp, wh, h, product), bh, out=gh)
        reset_update = a[:, : 2 * H]
        reset_update += gh[:, : 2 * H]
        xp.tanh(reset_update, out=reset_update)
        _sigmoid_from_tanh(reset_update)
        n = a[:, 2 * H :]
        xp.multiply(a[:, :H], gh[:, 2 * H :], out=scratch)
        n += scratch
        xp.tanh(n, out=n)
        # h' = (1 - z) * n + z * h = n + z * (h - n)
        xp.subtract(h, n, out=scratch)
        scratch *= a[:, H : 2 * H]
        xp.add(n, scratch, out=sweep.out[t])
        h = _emit(sweep, t, h)
    return h, None


def vanilla_forward(sweep):
    """Run an Elman RNN with tanh or ReLU; return (h_T, None)."""
    xp = sweep.xp
    _, wh, _, bi, bh = sweep.weights
    gates = _project_inputs(sweep, sweep.weights[0], bi + bh)
    recurrent = xp.empty((sweep.H, sweep.N), dtype=gates.dtype)
    h = _carried(sweep, sweep.h0)
    for t in sweep.steps:
        h_t = sweep.out[t]
        xp.add(gates[t], _times(xp, wh, h, recurrent), out=h_t)
        if sweep.mode == "rnn_tanh":
            xp.tanh(h_t, out=h_t)
        else:
            xp.maximum(h_t, 0, out=h_t)
        h = _emit(sweep, t, h)
    return h, None


FORWARD = {
    "lstm": lstm_forward,
    "gru": gru_forward,
    "rnn_tanh": vanilla_forward,
    "rnn_relu": vanilla_forward,
}


# ---- backward -----------------------------------------------------------------------------


class Grads:
    """The gradients a backward sweep receives and produces.

    ``dout`` (T, N, R) is the gradient of this direction's output; ``dh``/``dc`` the gradients
    of the final states, replaced by those of the initial states. ``weights`` are views into
    the flat parameter gradient in MXNet's layout, as ``Sweep.weights``.
    """

    def __init__(self, dout, dh, dc, weights):
        self.dout, self.dh, self.dc, self.weights = dout, dh, dc, weights


def _head(sweep, grads, t, into):
    """The gradient of step ``t``'s state: output gradient plus the carried one, zero past the
    end of the sequence. Returns the carried part that skips a padded step (or None)."""
    xp = sweep.xp
    xp.add(grads.dout[t], grads.dh, out=into)
    if sweep.valid is None:
        return None
    into *= sweep.valid[t]
    return grads.dh * (1 - sweep.valid[t])


def _weight_gradients(sweep, grads, d_gates, d_recurrent, h_before):
    """Accumulate GEMMs over all steps into the weight and bias gradients; return the layer
    input's gradient (T*N, input). ``d_recurrent`` differs from ``d_gates`` only for GRU."""
    xp = sweep.xp
    same = d_recurrent is d_gates
    rows, width = sweep.T * sweep.N, d_gates.shape[-1]
    d_gates = d_gates.reshape(rows, width)
    d_recurrent = d_recurrent.reshape(rows, width)
    dwi, dwh, _, dbi, dbh = grads.weights
    xp.matmul(d_gates.T, sweep.x, out=dwi)
    xp.matmul(d_recurrent.T, h_before.reshape(rows, sweep.R), out=dwh)
    xp.sum(d_gates, axis=0, out=dbi)
    # LSTM and vanilla cells feed both biases the same sum; GRU's h2h part differs.
    if same:
        dbh[...] = dbi
    else:
        xp.sum(d_recurrent, axis=0, out=dbh)
    return xp.matmul(d_gates, sweep.weights[0])


def _slopes(xp, values, width, sigmoids=()):
    """The activations' derivatives at every step from their values ``values`` (..., gates *
    width): s (1 - s) in the gates listed in ``sigmoids``, 1 - y^2 (tanh) in the others."""
    slopes = xp.multiply(values, values)
    for gate in range(values.shape[-1] // width):
        block = slice(gate * width, (gate + 1) * width)
        if gate in sigmoids:
            xp.subtract(values[..., block], slopes[..., block], out=slopes[..., block])
        else:
            xp.subtract(1, slopes[..., block], out=slopes[..., block])
    return slopes


def _lstm_factors(sweep, c_before, factors, cell_factor):
    """Fill what each step's gate gradients multiply, for all steps at once.

    ``factors`` (T, N, 4H), in the loop's gate order: for o, tanh(c) o'; for i, f, g, the
    other factor of their product with the cell state's gradient: g i', c_before f', i g'
    (x' the activation's slope at x: x (1 - x) for sigmoid gates, 1 - x^2 for tanh).
    ``cell_factor`` (T, N, H): o (1 - tanh(c)^2), the hidden-to-cell slope.
    """
    xp, H = sweep.xp, sweep.H
    gates, tanh_cell = sweep.saved["gates"], sweep.saved["tanh_cell"]
    o, i, f, g = (gates[..., k * H : (k + 1) * H] for k in range(4))
    xp.multiply(gates, gates, out=factors)
    sigmoids, tanh_gate = factors[..., : 3 * H], factors[..., 3 * H :]
    xp.subtract(gates[..., : 3 * H], sigmoids, out=sigmoids)
    xp.subtract(1, tanh_gate, out=tanh_gate)
    for k, other in enumerate((tanh_cell, g, c_before, i)):
        factors[..., k * H : (k + 1) * H] *= other
    xp.multiply(tanh_cell, tanh_cell, out=cell_factor)
    xp.subtract(1, cell_factor, out=cell_factor)
    cell_factor *= o


def lstm_backward(sweep, grads):
    """Backpropagate through an LSTM sweep; return the layer input's gradient (T*N, input).

    The gate gradients are written in MXNet's order i, f, g, o, from the forward's gates in
    the loop's order o, i, f, g: the cell state's gradient drives i, f, g, the hidden
    state's o. Large temporaries come from the storage pool.
    """
    xp, H, N, T = sweep.xp, sweep.H, sweep.N, sweep.T
    _, wh, wr, _, _ = sweep.weights
    wh_t = wh.T
    gates, cell = sweep.saved["gates"], sweep.saved["cell"]
    dtype = gates.dtype
    unclipped = None
    if sweep.clip is not None:
        # d c_t is zero where the clip was active
        unclipped = ((cell > sweep.clip[0]) & (cell < sweep.clip[1])).astype(dtype)
    d_out = xp.empty((T, N, sweep.R), dtype=dtype) if wr is not None else None
    d_head = xp.empty((N, sweep.R), dtype=dtype)
    d_c = xp.empty((N, H), dtype=dtype)
    d_state = xp.empty((sweep.R, N), dtype=dtype)
    with (
        scratch(xp, gates.shape, dtype) as factors,
        scratch(xp, gates.shape, dtype) as d_gates,
        scratch(xp, cell.shape, dtype) as cell_factor,
        scratch(xp, cell.shape, dtype) as c_before,
        scratch(xp, (T, N, sweep.R), dtype) as h_before,
    ):
        _lstm_factors(sweep, sweep.previous(cell, sweep.c0, c_before), factors, cell_factor)
        for t in reversed(sweep.steps):
            head = d_out[t] if wr is not None else d_head
            skipped = _head(sweep, grads, t, head)
            d_hidden = xp.matmul(head, wr) if wr is not None else head
            da, factor = d_gates[t], factors[t]
            xp.multiply(d_hidden, cell_factor[t], out=d_c)
            if sweep.valid is None:
                d_c += grads.dc
            else:
                d_c += grads.dc * sweep.valid[t]
            if unclipped is not None:
                d_c *= unclipped[t]
            # i, f, g at once: d_c against each gate's factor
            xp.multiply(
                d_c[:, None, :],
                factor[:, H:].reshape(N, 3, H),
                out=da[:, : 3 * H].reshape(N, 3, H),
            )
            xp.multiply(d_hidden, factor[:, :H], out=da[:, 3 * H :])
            f = gates[t][:, 2 * H : 3 * H]
            if sweep.valid is None:
                xp.multiply(d_c, f, out=grads.dc)
            else:
                grads.dc *= 1 - sweep.valid[t]
                grads.dc += d_c * f
            grads.dh = _times(xp, wh_t, da, d_state)
            if skipped is not None:
                grads.dh += skipped
        if wr is not None:
            rows = T * N
            grads.weights[2][...] = xp.matmul(
                d_out.reshape(rows, sweep.R).T, sweep.saved["hidden"].reshape(rows, H)
            )
        h_before = sweep.previous(sweep.out, sweep.h0, h_before)
        return _weight_gradients(sweep, grads, d_gates, d_gates, h_before)


def gru_backward(sweep, grads):
    """Backpropagate through a GRU sweep; return the layer input's gradient (T*N, input)."""
    xp, H, N = sweep.xp, sweep.H, sweep.N
    wh = sweep.weights[1]
    gates, recurrent = sweep.saved["gates"], sweep.saved["recurrent"]
    h_before = sweep.previous(sweep.out, sweep.h0)
    slopes = _slopes(xp, gates, H, _SIGMOID_GATES["gru"])
    dtype = gates.dtype
    d_gates = xp.empty_like(gates)
    d_recurrent = xp.empty_like(gates)
    d_head = xp.empty((N, H), dtype=dtype)
    direct = xp.empty((N, H), dtype=dtype)
    d_state = xp.empty((H, N), dtype=dtype)
    for t in reversed(sweep.steps):
        skipped = _head(sweep, grads, t, d_head)
        a, dgx, dgh = gates[t], d_gates[t], d_recurrent[t]
        z, n = a[:, H : 2 * H], a[:, 2 * H :]
        d_z, d_n = dgx[:, H : 2 * H], dgx[:, 2 * H :]
        # h' = n + z (h - n): dz = dh' (h - n), dn = dh' (1 - z), dh = dh' z
        xp.subtract(h_before[t], n, out=d_z)
        d_z *= d_head
        xp.multiply(d_head, z, out=direct)
        xp.subtract(d_head, direct, out=d_n)
        d_n *= slopes[t][:, 2 * H :]
        # n = tanh(gx_n + r * gh_n): dr = dn * gh_n, d gh_n = dn * r
        xp.multiply(d_n, recurrent[t][:, 2 * H :], out=dgx[:, :H])
        dgx[:, : 2 * H] *= slopes[t][:, : 2 * H]
        dgh[:, : 2 * H] = dgx[:, : 2 * H]
        xp.multiply(d_n, a[:, :H], out=dgh[:, 2 * H :])
        grads.dh = _times(xp, wh.T, dgh, d_state)
        grads.dh += direct
        if skipped is not None:
            grads.dh += skipped
    return _weight_gradients(sweep, grads, d_gates, d_recurrent, h_before)


def vanilla_backward(sweep, grads):
    """Backpropagate through an Elman RNN sweep; return the layer input's gradient."""
    xp = sweep.xp
    wh = sweep.weights[1]
    d_gates = xp.empty_like(sweep.saved["gates"])
    d_state = xp.empty((sweep.H, sweep.N), dtype=d_gates.dtype)
    if sweep.mode == "rnn_tanh":
        slopes = _slopes(xp, sweep.out, sweep.H)
    else:
        slopes = (sweep.out > 0).astype(d_gates.dtype)
    for t in reversed(sweep.steps):
        da = d_gates[t]
        skipped = _head(sweep, grads, t, da)
        da *= slopes[t]
        grads.dh = _times(xp, wh.T, da, d_state)
        if skipped is not None:
            grads.dh += skipped
    h_before = sweep.previous(sweep.out, sweep.h0)
    return _weight_gradients(sweep, grads, d_gates, d_gates, h_before)


BACKWARD = {
    "lstm": lstm_backward,
    "gru": gru_backward,
    "rnn_tanh": vanilla_backward,
    "rnn_relu": vanilla_backward,
}
