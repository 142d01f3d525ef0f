"""Cases of the fused recurrent operator RNN (and neomx's _backward_RNN).

The reference runs every layer, direction, batch element and time step in plain Python loops
over NumPy vectors, reading the weights from the flat vector in MXNet's order: all weights
(per layer, per direction: i2h, h2h, h2r with a projection), then all biases (i2h, h2h).

MXNet 1.9.1's CPU operator refuses ``projection_size``, the LSTM state clip and
``use_sequence_length`` ("only supported for GPU with cuDNN"; its float32 oneDNN path even
runs them and silently ignores them), so those cases follow cuDNN's documented semantics and
record no golden file. Dropout (``p``) draws random masks while training, which the harness
cannot compare; tests/ops/test_rnn.py checks it.
"""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors

# neomx's _backward_RNN takes the forward's hidden reserve output; MXNet's differs.
NEOMX_ONLY.add("_backward_RNN")

GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def parameter_count(mode, C, H, L=1, D=1, P=None):
    """The length of the flat parameter vector."""
    R = P or H
    total = 0
    for layer in range(L):
        inputs = C if layer == 0 else D * R
        total += D * GATES[mode] * H * (inputs + R + 2) + (D * P * H if P else 0)
    return total


def inputs(mode, T, N, C, H, L=1, D=1, P=None, lengths=None, dtype="float32", seed=None, scale=1.0):
    """Random data, parameters and states (and fixed int32 lengths); ``seed`` fixes the draw
    whatever the harness's seed (cases whose gradient has kinks, checked once to lie far
    from the perturbations of the numeric gradient)."""

    def make(rng):
        if seed is not None:
            rng = np.random.default_rng(seed)
        R = P or H
        arrays = [
            rng.uniform(-1, 1, size=(T, N, C)),
            rng.uniform(-scale, scale, size=parameter_count(mode, C, H, L, D, P)),
            rng.uniform(-1, 1, size=(L * D, N, R)),
        ]
        if mode == "lstm":
            arrays.append(rng.uniform(-1, 1, size=(L * D, N, H)))
        arrays = [a.astype(dtype) for a in arrays]
        if lengths is not None:
            arrays.append(np.array(lengths, dtype="int32"))
        return arrays

    return make


# ---- the reference ------------------------------------------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _unpack(flat, mode, C, H, L, D, P):
    """[(i2h weight, h2h weight, h2r weight, i2h bias, h2h bias)] per layer * D + direction."""
    R = P or H
    gh = GATES[mode] * H
    position = 0

    def take(*shape):
        nonlocal position
        size = int(np.prod(shape))
        block = flat[position : position + size].reshape(shape)
        position += size
        return block

    weights = []
    for layer in range(L):
        inputs = C if layer == 0 else D * R
        for _ in range(D):
            weights.append([take(gh, inputs), take(gh, R), take(P, H) if P else None])
    for k in range(L * D):
        weights[k] += [take(gh), take(gh)]
    assert position == flat.size
    return weights


def _step(mode, x, h, c, w, clip):
    """One step of one batch element: (new recurrent state, new cell state)."""
    wi, wh, wr, bi, bh = w
    H = wi.shape[0] // GATES[mode]
    gx, gh = wi @ x + bi, wh @ h + bh
    if mode == "lstm":
        i = _sigmoid(gx[:H] + gh[:H])
        f = _sigmoid(gx[H : 2 * H] + gh[H : 2 * H])
        g = np.tanh(gx[2 * H : 3 * H] + gh[2 * H : 3 * H])
        o = _sigmoid(gx[3 * H :] + gh[3 * H :])
        c = f * c + i * g
        if clip is not None:
            low, high, stop_nan = clip
            if stop_nan:
                c = np.where(np.isnan(c), low, c)
            c = np.clip(c, low, high)
        h = o * np.tanh(c)
        return (wr @ h if wr is not None else h), c
    if mode == "gru":
        r = _sigmoid(gx[:H] + gh[:H])
        z = _sigmoid(gx[H : 2 * H] + gh[H : 2 * H])
        n = np.tanh(gx[2 * H :] + r * gh[2 * H :])
        return (1 - z) * n + z * h, None
    a = gx + gh
    return (np.tanh(a) if mode == "rnn_tanh" else np.maximum(a, 0)), None


def rnn_reference(params):
    """The numpy reference of RNN with ``params``."""
    mode, H, L = params["mode"], params["state_size"], params["num_layers"]
    D = 2 if params.get("bidirectional") else 1
    P = params.get("projection_size")
    R = P or H
    clip = None
    if params.get("lstm_state_clip_min") is not None:
        clip = (
            params["lstm_state_clip_min"],
            params["lstm_state_clip_max"],
            params.get("lstm_state_clip_nan", False),
        )

    def reference(data, flat, state, *rest):
        rest = list(rest)
        cell = rest.pop(0) if mode == "lstm" else None
        T, N, C = data.shape
        lengths = rest.pop(0).astype(int) if params.get("use_sequence_length") else [T] * N
        weights = _unpack(flat.astype(np.float64), mode, C, H, L, D, P)
        x = data.astype(np.float64)
        h_final = np.zeros((L * D, N, R))
        c_final = np.zeros((L * D, N, H))
        for layer in range(L):
            y = np.zeros((T, N, D * R))
            for direction in range(D):
                k = layer * D + direction
                for n in range(N):
                    h = state[k, n].astype(np.float64)
                    c = None if cell is None else cell[k, n].astype(np.float64)
                    steps = range(lengths[n])
                    for t in reversed(steps) if direction else steps:
                        h, c = _step(mode, x[t, n], h, c, weights[k], clip)
                        y[t, n, direction * R : (direction + 1) * R] = h
                    h_final[k, n] = h
                    if c is not None:
                        c_final[k, n] = c
            x = y
        outputs = [x]
        if params.get("state_outputs"):
            outputs.append(h_final)
            if mode == "lstm":
                outputs.append(c_final)
        outputs = [o.astype(data.dtype) for o in outputs]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    return reference


def case(
    mode,
    T=3,
    N=2,
    C=3,
    H=2,
    L=1,
    D=1,
    label="",
    golden=True,
    grad=True,
    make_options=None,
    **params,
):
    """A Case of RNN with the numpy reference."""
    params = {"state_size": H, "num_layers": L, "mode": mode, **params}
    if D == 2:
        params["bidirectional"] = True
    options = dict(make_options or {})
    return Case(
        inputs(mode, T, N, C, H, L, D, params.get("projection_size"), **options),
        params,
        rnn_reference(params),
        label=label,
        golden=golden,
        grad=grad,
    )


# ReLU has a kink at 0: its draws are fixed (every pre-activation is over 0.01 from 0).
_RELU_SEED = {"seed": 5}

_GRID = []
for _mode in ("rnn_relu", "rnn_tanh", "lstm", "gru"):
    for _layers in (1, 2):
        for _directions in (1, 2):
            for _states in (False, True):
                _label = f"{_mode}-l{_layers}-d{_directions}" + ("-states" if _states else "")
                _GRID.append(
                    case(
                        _mode,
                        L=_layers,
                        D=_directions,
                        state_outputs=_states,
                        label=_label,
                        make_options=_RELU_SEED if _mode == "rnn_relu" else None,
                    )
                )

# The CPU MXNet 1.9.1 refuses these (see the module docstring): no golden file.
_CUDNN_ONLY = [
    case("lstm", H=3, projection_size=2, state_outputs=True, label="lstm-projection", golden=False),
    case(
        "lstm",
        H=3,
        L=2,
        D=2,
        projection_size=2,
        state_outputs=True,
        label="lstm-projection-l2-d2",
        golden=False,
    ),
    case(
        "lstm",
        T=4,
        N=3,
        D=2,
        state_outputs=True,
        use_sequence_length=True,
        make_options={"lengths": [4, 2, 1]},
        label="lstm-lengths-d2",
        golden=False,
    ),
    case(
        "gru",
        T=4,
        N=3,
        L=2,
        D=2,
        state_outputs=True,
        use_sequence_length=True,
        make_options={"lengths": [1, 4, 3]},
        label="gru-lengths-l2-d2",
        golden=False,
    ),
    case(
        "rnn_tanh",
        T=4,
        N=3,
        D=2,
        use_sequence_length=True,
        make_options={"lengths": [2, 0, 4]},
        label="tanh-lengths-zero",
        golden=False,
    ),
    case(
        "lstm",
        T=4,
        N=3,
        H=3,
        L=2,
        projection_size=2,
        state_outputs=True,
        use_sequence_length=True,
        make_options={"lengths": [3, 4, 1]},
        label="lstm-projection-lengths",
        golden=False,
    ),
    # Clipping has kinks at the bounds: fixed draws, half the cell states clipped, every one
    # over 0.04 from the bounds.
    case(
        "lstm",
        N=3,
        D=2,
        state_outputs=True,
        lstm_state_clip_min=-0.2,
        lstm_state_clip_max=0.25,
        make_options={"seed": 36, "scale": 2.0},
        label="lstm-clip",
        golden=False,
    ),
    case(
        "lstm",
        state_outputs=True,
        lstm_state_clip_min=-10.0,
        lstm_state_clip_max=10.0,
        lstm_state_clip_nan=True,
        label="lstm-clip-wide",
        golden=False,
    ),
]

add(
    "RNN",
    *_GRID,
    *_CUDNN_ONLY,
    case(
        "gru", L=2, D=2, state_outputs=True, label="gru-float64", make_options={"dtype": "float64"}
    ),
    case("lstm", T=1, N=1, C=1, H=1, state_outputs=True, label="lstm-one-element"),
    case("rnn_tanh", T=5, N=4, C=6, H=7, state_outputs=True, label="tanh-larger"),
    # MXNet 1.9.1's CPU build refuses float16 ("FP16 gemm on cpu not implemented").
    case(
        "lstm",
        L=2,
        D=2,
        state_outputs=True,
        label="lstm-float16",
        golden=False,
        make_options={"dtype": "float16"},
    ),
    # Predict mode ignores p; training draws masks (test_rnn.py): no gradient, no golden.
    case("lstm", L=2, p=0.5, label="lstm-dropout-predict", grad=False, golden=False),
    # MXNet 1.x refuses zero-size inputs (0 is an unknown dimension there): no golden file.
    case("gru", T=0, state_outputs=True, label="zero-steps", golden=False),
    case("lstm", N=0, D=2, state_outputs=True, label="zero-batch", golden=False),
)


def _backward_inputs(T, N, C, H, D, state_outputs):
    """(dy[, dhy], data, parameters, state, output, reserve) of a one-layer tanh RNN, whose
    backward reads no reserve (T*N*H per direction)."""
    params = {
        "mode": "rnn_tanh",
        "state_size": H,
        "num_layers": 1,
        "bidirectional": D == 2,
        "state_outputs": state_outputs,
    }

    def make(rng):
        data, flat, state = inputs("rnn_tanh", T, N, C, H, 1, D)(rng)
        forward = rnn_reference({**params, "state_outputs": False})(data, flat, state)
        heads = [rng.standard_normal(forward.shape).astype("float32")]
        if state_outputs:
            heads.append(rng.standard_normal(state.shape).astype("float32"))
        reserve = np.zeros(D * T * N * H, dtype="float32")
        return [*heads, data, flat, state, forward, reserve]

    return make, params


def _backward_reference(params):
    """Gradients by central differences of the reference, in float64."""
    forward = rnn_reference(params)

    def reference(*arrays):
        count = 2 if params["state_outputs"] else 1
        heads, (data, flat, state) = arrays[:count], arrays[count : count + 3]
        wide = [a.astype(np.float64) for a in (data, flat, state)]

        def objective(values):
            outputs = forward(*values)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            return sum(float(np.sum(h * o)) for h, o in zip(heads, outputs))

        grads = []
        for index, value in enumerate(wide):
            grad = np.zeros(value.shape)
            for position in np.ndindex(*value.shape):
                moved = list(wide)
                values = []
                for sign in (1.0, -1.0):
                    bumped = value.copy()
                    bumped[position] += sign * 1e-6
                    moved[index] = bumped
                    values.append(objective(moved))
                grad[position] = (values[0] - values[1]) / 2e-6
            grads.append(grad.astype(data.dtype))
        return tuple(grads)

    return reference


for _d, _states in ((1, False), (2, True)):
    _make, _params = _backward_inputs(3, 2, 2, 2, _d, _states)
    add(
        "_backward_RNN",
        Case(_make, _params, _backward_reference(_params), label=f"tanh-d{_d}", golden=False),
    )

add_errors(
    "RNN",
    ErrorCase(
        inputs("lstm", 3, 2, 4, 5),
        {"state_size": 5, "num_layers": 2, "mode": "lstm"},
        match=r"RNN: parameters has shape \(220,\); expected \(460,\) for data \(3, 2, 4\) "
        r"with mode='lstm', state_size=5, num_layers=2",
    ),
    ErrorCase(
        inputs("gru", 3, 2, 4, 5, D=2),
        {"state_size": 5, "num_layers": 1, "mode": "gru"},
        match=r"RNN: parameters .*expected \(165,\).*mode='gru'",
    ),
    ErrorCase(
        inputs("lstm", 3, 2, 4, 5),
        {"state_size": 5, "num_layers": 1, "mode": "bogus"},
        match=r"RNN.*'mode'.*bogus",
    ),
    ErrorCase(
        lambda rng: [
            np.zeros((3, 2, 4), "float32"),
            np.zeros(55, "float32"),
            np.zeros((2, 2, 5), "float32"),
        ],
        {"state_size": 5, "num_layers": 1, "mode": "rnn_tanh"},
        match=r"RNN: state has shape \(2, 2, 5\); expected \(1, 2, 5\)",
    ),
    ErrorCase(
        lambda rng: [
            np.zeros((3, 4), "float32"),
            np.zeros(45, "float32"),
            np.zeros((1, 3, 5), "float32"),
        ],
        {"state_size": 5, "num_layers": 1, "mode": "rnn_tanh"},
        match=r"RNN: data has shape \(3, 4\); expected 3 dimensions",
    ),
    ErrorCase(
        inputs("gru", 3, 2, 4, 5),
        {"state_size": 5, "num_layers": 1, "mode": "gru", "projection_size": 2},
        match=r"RNN: projection_size .*mode='lstm'",
    ),
    ErrorCase(
        inputs("lstm", 3, 2, 4, 5),
        {"state_size": 5, "num_layers": 1, "mode": "lstm", "lstm_state_clip_min": -1.0},
        match=r"RNN: lstm_state_clip_min and lstm_state_clip_max must be given together",
    ),
    ErrorCase(
        inputs("lstm", 3, 2, 4, 5),
        {"state_size": 5, "num_layers": 2, "mode": "lstm", "p": 1.0},
        match=r"RNN: p=1\.0 must lie in \[0, 1\)",
    ),
    ErrorCase(
        inputs("rnn_relu", 3, 2, 4, 5, lengths=[4, 1]),
        {"state_size": 5, "num_layers": 1, "mode": "rnn_relu", "use_sequence_length": True},
        match=r"RNN: sequence_length holds lengths from 1 to 4; each must lie in \[0, 3\]",
    ),
    ErrorCase(
        lambda rng: [
            np.zeros((3, 2, 4), "int32"),
            np.zeros(55, "int32"),
            np.zeros((1, 2, 5), "int32"),
        ],
        {"state_size": 5, "num_layers": 1, "mode": "rnn_relu"},
        match=r"RNN: data has dtype int32; only floating-point",
    ),
)
