"""RNN beyond the operator harness (tests/ops/cases_rnn.py): dropout between layers while
training, gradients through autograd, and Gluon's positional call with sequence lengths."""

import numpy as np
import pytest

import neomx as mx
from neomx import autograd
from neomx.ops import lookup
from neomx.ops.invoke import invoke_all
from neomx.ops.nn.rnn import Layout
from neomx.test_utils import assert_almost_equal, check_numeric_gradient

from .cases_rnn import inputs, rnn_reference

T, N, C, H = 4, 3, 5, 6


def _layer_parameters(flat, mode, layer):
    """The flat vector of one layer of a two-layer, one-direction stack, as a one-layer
    stack's: its weights (from the weights block) then its biases (from the biases block)."""
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    weights = [gates * H * (C + H), gates * H * (H + H)]
    biases = 2 * gates * H
    start = sum(weights[:layer])
    bias_start = sum(weights) + layer * biases
    return np.concatenate(
        [flat[start : start + weights[layer]], flat[bias_start : bias_start + biases]]
    )


def _train(arrays, params):
    """All outputs (the reserve last) of RNN run in training mode."""
    op = lookup("RNN")
    with autograd.train_mode():
        outputs = invoke_all(
            op, [mx.nd.array(a, dtype=a.dtype) for a in arrays], op.params.parse("RNN", params)
        )
    return [o.asnumpy() for o in outputs]


def test_dropout_masks_each_layer_output_but_the_last_while_training(seed):
    mode = "gru"
    data, flat, state = inputs(mode, T, N, C, H, L=2, dtype="float64")(np.random.default_rng(seed))
    params = {"state_size": H, "num_layers": 2, "mode": mode, "p": 0.5}
    mx.random.seed(seed)
    output, reserve = _train([data, flat, state], params)
    mx.random.seed(seed)
    again, _ = _train([data, flat, state], params)
    np.testing.assert_array_equal(output, again)

    parsed = lookup("RNN").params.parse("RNN", params)
    mask = Layout(parsed, data.shape).split_reserve(reserve)[0]["mask"]
    assert set(np.unique(mask)) == {0.0, 2.0}, "kept values are scaled by 1 / (1 - p)"
    one_layer = {"state_size": H, "num_layers": 1, "mode": mode}
    below = rnn_reference(one_layer)(data, _layer_parameters(flat, mode, 0), state[:1])
    want = rnn_reference(one_layer)(below * mask, _layer_parameters(flat, mode, 1), state[1:])
    assert_almost_equal(output, want)

    predicted = mx.nd.RNN(*[mx.nd.array(a, dtype=a.dtype) for a in (data, flat, state)], **params)
    assert_almost_equal(predicted.asnumpy(), rnn_reference(params)(data, flat, state))


def test_dropout_gradient_uses_the_drawn_mask(seed):
    arrays = inputs("lstm", 3, 2, 3, 2, L=2, dtype="float64")(np.random.default_rng(seed))

    def rnn(data, parameters, state, state_cell):
        # The same draw in every call, so central differences see one function.
        mx.random.seed(seed)
        return mx.nd.RNN(
            data,
            parameters,
            state,
            state_cell,
            state_size=2,
            num_layers=2,
            mode="lstm",
            p=0.4,
            state_outputs=True,
        )

    check_numeric_gradient(rnn, arrays, numeric_eps=1e-4, rtol=1e-4, atol=1e-6, dtype=np.float64)


def test_backward_from_the_output_alone_gives_the_states_zero_heads(seed):
    arrays = inputs("lstm", 3, 2, 3, 2, D=2, dtype="float64")(np.random.default_rng(seed))

    def output(data, parameters, state, state_cell):
        return mx.nd.RNN(
            data,
            parameters,
            state,
            state_cell,
            state_size=2,
            num_layers=1,
            bidirectional=True,
            mode="lstm",
            state_outputs=True,
        )[0]

    check_numeric_gradient(output, arrays, numeric_eps=1e-4, rtol=1e-4, atol=1e-6, dtype=np.float64)


def test_gluon_passes_sequence_lengths_in_the_free_state_cell_slot(seed):
    # Gluon calls F.RNN(inputs, params, *states, sequence_length) positionally; for a GRU the
    # lengths land where an LSTM's state_cell would.
    data, flat, state, lengths = inputs("gru", T, N, C, H, lengths=[4, 1, 2])(
        np.random.default_rng(seed)
    )
    params = {"state_size": H, "num_layers": 1, "mode": "gru", "use_sequence_length": True}
    nd = [mx.nd.array(a, dtype=a.dtype) for a in (data, flat, state, lengths)]
    positional = mx.nd.RNN(*nd, **params)
    by_name = mx.nd.RNN(nd[0], nd[1], nd[2], sequence_length=nd[3], **params)
    np.testing.assert_array_equal(positional.asnumpy(), by_name.asnumpy())
    assert_almost_equal(positional.asnumpy(), rnn_reference(params)(data, flat, state, lengths))


@pytest.mark.parametrize(
    "params,inputs,outputs",
    [
        # MXNet 1.9.1's answers (mx.sym.RNN(...).infer_shape(rnn_data=(5, 3, 7))).
        (
            {"mode": "lstm", "use_sequence_length": True},
            [(5, 3, 7), (368,), (2, 3, 4), (2, 3, 4), (3,)],
            [(5, 3, 4)],
        ),
        (
            {"mode": "lstm", "bidirectional": True, "projection_size": 2, "state_outputs": True},
            [(5, 3, 7), (640,), (4, 3, 2), (4, 3, 4)],
            [(5, 3, 4), (4, 3, 2), (4, 3, 4)],
        ),
        (
            {"mode": "gru", "state_outputs": True},
            [(5, 3, 7), (276,), (2, 3, 4)],
            [(5, 3, 4), (2, 3, 4)],
        ),
    ],
)
def test_shape_inference_completes_parameters_and_states_from_data(params, inputs, outputs):
    op = lookup("RNN")
    p = op.params.parse("RNN", {"state_size": 4, "num_layers": 2, **params})
    unknown = [(5, 3, 7)] + [None] * (len(inputs) - 1)
    got_inputs, got_outputs = op.infer_shape(p, *unknown)
    assert list(got_inputs) == inputs
    # The last output is neomx's hidden reserve.
    assert list(got_outputs[: len(outputs)]) == outputs
    assert len(got_outputs) == len(outputs) + 1
