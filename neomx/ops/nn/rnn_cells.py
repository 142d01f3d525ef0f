"""The time loops of the fused RNN operator: one layer, one direction, forward and backward.

Each loop works on a ``Sweep``: the layer's input as a (T*N, input) matrix, the weights, the
initial states, the (T, N, R) output of this direction and the arrays the forward pass keeps
for the backward one (views into the operator's hidden ``reserve`` output). The input
projection of all time steps is one GEMM before the loop; the loop itself only runs the
recurrent GEMM and the gate arithmetic, each a handful of whole-array NumPy calls. Backward
runs the loop in reverse and leaves the weight gradients and the input gradient to GEMMs over
all time steps after it.

Two rewrites keep the per-step work small without changing the results' meaning:
- sigmoid(a) = 0.5 * tanh(a / 2) + 0.5, with the 1/2 folded into scaled copies of the sigmoid
  gates' weights and biases, so one ``tanh`` call activates every gate of a step;
- LSTM gates run in the order i, f, o, g (MXNet stores i, f, g, o) so that the three sigmoid
  gates are adjacent; weights are permuted on the way in and weight gradients on the way out.
"""

from __future__ import annotations

__all__ = ["Sweep", "FORWARD", "BACKWARD", "GATES"]

# Gates per mode, in MXNet's storage order: LSTM i, f, g, o; GRU r, z, n (cuDNN's formula,
# n = tanh(W_in x + b_in + r * (W_hn h + b_hn))); vanilla RNNs one.
GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
# How many leading gates (in computation order) are sigmoids.
_SIGMOID_GATES = {"rnn_relu": 0, "rnn_tanh": 0, "lstm": 3, "gru": 2}
# LSTM computation order i, f, o, g as indices into MXNet's i, f, g, o (its own inverse).
_LSTM_ORDER = [0, 1, 3, 2]


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

    def previous(self, sequence, first):
        """The state before each step, (T, N, K), from the states after each step."""
        xp = self.xp
        before = xp.empty_like(sequence)
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


def permute_gates(mode, array, H):
    """Rows of an LSTM weight, bias or gradient between MXNet's and the computation's gate
    order (the permutation is its own inverse); other modes keep their order (no copy)."""
    if mode != "lstm":
        return array
    return array.reshape((4, H) + array.shape[1:])[_LSTM_ORDER].reshape(array.shape)


def _scaled(sweep, array):
    """``array`` (gate rows first) in computation order with the sigmoid rows halved."""
    xp, H = sweep.xp, sweep.H
    rows = permute_gates(sweep.mode, array, H)
    count = _SIGMOID_GATES[sweep.mode] * H
    if count == 0:
        return rows
    scale = xp.ones(rows.shape[0], dtype=rows.dtype)
    scale[:count] = 0.5
    return rows * (scale if rows.ndim == 1 else scale[:, None])


def _project_inputs(sweep, bias):
    """Fill the gates with the input projection of every step: one GEMM and the bias."""
    xp = sweep.xp
    wi = _scaled(sweep, sweep.weights[0])
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


# ---- forward ------------------------------------------------------------------------------


def lstm_forward(sweep):
    """Run an LSTM (optionally with projection and cell clipping); return (h_T, c_T)."""
    xp, H, N = sweep.xp, sweep.H, sweep.N
    wi, wh, wr, bi, bh = sweep.weights
    gates = _project_inputs(sweep, _scaled(sweep, bi + bh))
    wh_t = _scaled(sweep, wh).T
    cell, tanh_cell = sweep.saved["cell"], sweep.saved["tanh_cell"]
    hidden = sweep.saved["hidden"] if wr is not None else sweep.out
    recurrent = xp.empty((N, 4 * H), dtype=gates.dtype)
    product = xp.empty((N, H), dtype=gates.dtype)
    h, c = _carried(sweep, sweep.h0), sweep.c0
    for t in sweep.steps:
        z = gates[t]
        xp.matmul(h, wh_t, out=recurrent)
        z += recurrent
        xp.tanh(z, out=z)
        sigmoids = z[:, : 3 * H]
        sigmoids *= 0.5
        sigmoids += 0.5
        c_t = cell[t]
        xp.multiply(z[:, H : 2 * H], c, out=c_t)
        xp.multiply(z[:, :H], z[:, 3 * H :], out=product)
        c_t += product
        if sweep.clip is not None:
            _clip(xp, c_t, sweep.clip)
        if sweep.valid is not None:
            xp.copyto(c_t, c, where=sweep.padded[t])
        xp.tanh(c_t, out=tanh_cell[t])
        xp.multiply(z[:, 2 * H : 3 * H], tanh_cell[t], out=hidden[t])
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
    wi, wh, _, bi, bh = sweep.weights
    gates = _project_inputs(sweep, _scaled(sweep, bi))
    wh_t, bh = _scaled(sweep, wh).T, _scaled(sweep, bh)
    recurrent = sweep.saved["recurrent"]
    scratch = xp.empty((N, H), dtype=gates.dtype)
    h = _carried(sweep, sweep.h0)
    for t in sweep.steps:
        a, gh = gates[t], recurrent[t]
        xp.matmul(h, wh_t, out=gh)
        gh += bh
        reset_update = a[:, : 2 * H]
        reset_update += gh[:, : 2 * H]
        xp.tanh(reset_update, out=reset_update)
        reset_update *= 0.5
        reset_update += 0.5
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
    wi, wh, _, bi, bh = sweep.weights
    gates = _project_inputs(sweep, bi + bh)
    recurrent = xp.empty((sweep.N, sweep.H), dtype=gates.dtype)
    h = _carried(sweep, sweep.h0)
    for t in sweep.steps:
        h_t = sweep.out[t]
        xp.matmul(h, wh.T, out=recurrent)
        xp.add(gates[t], recurrent, out=h_t)
        if sweep.mode == "rnn_tanh":
            xp.tanh(h_t, out=h_t)
        else:
            xp.maximum(h_t, 0, out=h_t)
        h = _emit(sweep, t, h)
    return h, None


FORWARD = {"lstm": lstm_forward, "gru": gru_forward, "rnn_tanh": vanilla_forward,
           "rnn_relu": vanilla_forward}


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
    xp, mode, H = sweep.xp, sweep.mode, sweep.H
    rows, width = sweep.T * sweep.N, d_gates.shape[-1]
    d_gates = d_gates.reshape(rows, width)
    d_recurrent = d_recurrent.reshape(rows, width)
    dwi, dwh, _, dbi, dbh = grads.weights
    dwi[...] = permute_gates(mode, xp.matmul(d_gates.T, sweep.x), H)
    dwh[...] = permute_gates(mode, xp.matmul(d_recurrent.T, h_before.reshape(rows, sweep.R)), H)
    dbi[...] = permute_gates(mode, d_gates.sum(axis=0), H)
    dbh[...] = permute_gates(mode, d_recurrent.sum(axis=0), H)
    return xp.matmul(d_gates, permute_gates(mode, sweep.weights[0], H))


def lstm_backward(sweep, grads):
    """Backpropagate through an LSTM sweep; return the layer input's gradient (T*N, input)."""
    xp, H, N, T = sweep.xp, sweep.H, sweep.N, sweep.T
    _, wh, wr, _, _ = sweep.weights
    wh = permute_gates("lstm", wh, H)
    gates, cell, tanh_cell = sweep.saved["gates"], sweep.saved["cell"], sweep.saved["tanh_cell"]
    c_before = sweep.previous(cell, sweep.c0)
    dtype = gates.dtype
    d_gates = xp.empty_like(gates)
    d_out = xp.empty((T, N, sweep.R), dtype=dtype) if wr is not None else None
    d_head = xp.empty((N, sweep.R), dtype=dtype)
    d_c = xp.empty((N, H), dtype=dtype)
    square = xp.empty((N, H), dtype=dtype)
    slope = xp.empty((N, 4 * H), dtype=dtype)
    for t in reversed(sweep.steps):
        head = d_out[t] if wr is not None else d_head
        skipped = _head(sweep, grads, t, head)
        d_hidden = xp.matmul(head, wr) if wr is not None else head
        z, da, tc = gates[t], d_gates[t], tanh_cell[t]
        i, f, o, g = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        xp.multiply(d_hidden, tc, out=da[:, 2 * H : 3 * H])
        # d c_t = carried + d h * o * (1 - tanh(c_t)^2), zero where the clip was active
        xp.multiply(d_hidden, o, out=d_c)
        xp.multiply(tc, tc, out=square)
        xp.subtract(1, square, out=square)
        d_c *= square
        if sweep.valid is None:
            d_c += grads.dc
        else:
            d_c += grads.dc * sweep.valid[t]
        if sweep.clip is not None:
            d_c *= (cell[t] > sweep.clip[0]) & (cell[t] < sweep.clip[1])
        xp.multiply(d_c, g, out=da[:, :H])
        xp.multiply(d_c, c_before[t], out=da[:, H : 2 * H])
        xp.multiply(d_c, i, out=da[:, 3 * H :])
        if sweep.valid is None:
            xp.multiply(d_c, f, out=grads.dc)
        else:
            grads.dc *= 1 - sweep.valid[t]
            grads.dc += d_c * f
        # activation slopes: s (1 - s) for the sigmoids, 1 - g^2 for g
        xp.multiply(z, z, out=slope)
        xp.subtract(z[:, : 3 * H], slope[:, : 3 * H], out=slope[:, : 3 * H])
        xp.subtract(1, slope[:, 3 * H :], out=slope[:, 3 * H :])
        da *= slope
        xp.matmul(da, wh, out=grads.dh)
        if skipped is not None:
            grads.dh += skipped
    h_before = sweep.previous(sweep.out, sweep.h0)
    if wr is not None:
        rows = T * N
        grads.weights[2][...] = xp.matmul(
            d_out.reshape(rows, sweep.R).T, sweep.saved["hidden"].reshape(rows, H)
        )
    return _weight_gradients(sweep, grads, d_gates, d_gates, h_before)


def gru_backward(sweep, grads):
    """Backpropagate through a GRU sweep; return the layer input's gradient (T*N, input)."""
    xp, H, N = sweep.xp, sweep.H, sweep.N
    wh = sweep.weights[1]
    gates, recurrent = sweep.saved["gates"], sweep.saved["recurrent"]
    h_before = sweep.previous(sweep.out, sweep.h0)
    dtype = gates.dtype
    d_gates = xp.empty_like(gates)
    d_recurrent = xp.empty_like(gates)
    d_head = xp.empty((N, H), dtype=dtype)
    direct = xp.empty((N, H), dtype=dtype)
    slope = xp.empty((N, 2 * H), dtype=dtype)
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
        xp.multiply(n, n, out=slope[:, :H])
        xp.subtract(1, slope[:, :H], out=slope[:, :H])
        d_n *= slope[:, :H]
        # n = tanh(gx_n + r * gh_n): dr = dn * gh_n, d gh_n = dn * r
        xp.multiply(d_n, recurrent[t][:, 2 * H :], out=dgx[:, :H])
        reset_update = a[:, : 2 * H]
        xp.multiply(reset_update, reset_update, out=slope)
        xp.subtract(reset_update, slope, out=slope)
        dgx[:, : 2 * H] *= slope
        dgh[:, : 2 * H] = dgx[:, : 2 * H]
        xp.multiply(d_n, a[:, :H], out=dgh[:, 2 * H :])
        xp.matmul(dgh, wh, out=grads.dh)
        grads.dh += direct
        if skipped is not None:
            grads.dh += skipped
    return _weight_gradients(sweep, grads, d_gates, d_recurrent, h_before)


def vanilla_backward(sweep, grads):
    """Backpropagate through an Elman RNN sweep; return the layer input's gradient."""
    xp = sweep.xp
    wh = sweep.weights[1]
    d_gates = xp.empty_like(sweep.saved["gates"])
    for t in reversed(sweep.steps):
        da, h_t = d_gates[t], sweep.out[t]
        skipped = _head(sweep, grads, t, da)
        if sweep.mode == "rnn_tanh":
            da *= 1 - h_t * h_t
        else:
            da *= h_t > 0
        xp.matmul(da, wh, out=grads.dh)
        if skipped is not None:
            grads.dh += skipped
    h_before = sweep.previous(sweep.out, sweep.h0)
    return _weight_gradients(sweep, grads, d_gates, d_gates, h_before)


BACKWARD = {"lstm": lstm_backward, "gru": gru_backward, "rnn_tanh": vanilla_backward,
            "rnn_relu": vanilla_backward}
