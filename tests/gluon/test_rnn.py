"""gluon.rnn and gluon.contrib.rnn beyond the MXNet goldens: states, names, errors, the fused
layers' options (projection, clipping, sequence lengths, dtype, dropout), consistency between
the fused layers and the cells, hybridization and export."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon
from neomx.base import MXNetError
from neomx.gluon import rnn
from neomx.gluon.contrib.rnn import LSTMPCell, VariationalDropoutCell


def random(*shape, dtype="float32"):
    return mx.nd.array(np.random.uniform(-1, 1, shape), dtype=dtype)


def close(a, b, **kwargs):
    np.testing.assert_allclose(
        a.asnumpy() if hasattr(a, "asnumpy") else a,
        b.asnumpy() if hasattr(b, "asnumpy") else b,
        **({"rtol": 1e-5, "atol": 1e-6} | kwargs),
    )


# ---- cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, names, shapes",
    [
        (lambda: rnn.RNNCell(3), ["rnn0_begin_state_0"], [(2, 3)]),
        (lambda: rnn.LSTMCell(3), ["lstm0_begin_state_0", "lstm0_begin_state_1"], [(2, 3)] * 2),
        (lambda: rnn.GRUCell(3), ["gru0_begin_state_0"], [(2, 3)]),
        (lambda: LSTMPCell(5, 3), ["lstmp0_begin_state_0", "lstmp0_begin_state_1"],
         [(2, 3), (2, 5)]),
    ],
)  # fmt: skip
def test_begin_state_names_and_shapes(make, names, shapes):
    cell = make()
    states = cell.begin_state(batch_size=2)
    assert [s.shape for s in states] == shapes
    assert all(float(s.abs().sum().asscalar()) == 0 for s in states)
    symbols = cell.begin_state(func=mx.sym.var)
    # The counter goes on from the NDArray call, as in MXNet.
    assert [s.name for s in symbols] == [n[:-1] + str(int(n[-1]) + len(names)) for n in names]
    assert symbols[0].attr("__layout__") == "NC"
    ones = cell.begin_state(batch_size=2, func=mx.nd.ones, dtype="float64")
    assert ones[0].dtype == np.float64 and float(ones[0].sum().asscalar()) == ones[0].size


def test_cell_param_names_and_repr():
    cell = rnn.LSTMCell(4, input_size=3)
    assert list(cell.collect_params()) == [
        "lstm0_i2h_weight",
        "lstm0_h2h_weight",
        "lstm0_i2h_bias",
        "lstm0_h2h_bias",
    ]
    assert repr(cell) == "LSTMCell(3 -> 16)"
    assert repr(rnn.RNNCell(2, activation="relu")) == "RNNCell(None -> 2, relu)"
    assert repr(rnn.DropoutCell(0.25)) == "DropoutCell(rate=0.25, axes=())"
    stack = rnn.SequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.GRUCell(2))
    assert list(stack.collect_params())[0] == "sequentialrnncell0_gru0_i2h_weight"
    assert repr(stack).startswith("SequentialRNNCell(\n(0): GRUCell(None -> 6)")
    assert len(stack) == 1 and stack[0] is stack._children["0"]


def test_step_by_step_equals_unroll():
    cell = rnn.LSTMCell(3)
    cell.initialize()
    x = random(2, 4, 5)
    states = cell.begin_state(batch_size=2)
    steps = []
    for t in range(4):
        out, states = cell(x[:, t, :], states)
        steps.append(out)
    merged, final = cell.unroll(4, x, layout="NTC", merge_outputs=True)
    close(mx.nd.stack(*steps, axis=1), merged)
    close(states[1], final[1])


def test_unroll_output_forms():
    cell = rnn.GRUCell(3)
    cell.initialize()
    x = random(4, 2, 5)  # TNC
    outs, _ = cell.unroll(4, x, layout="TNC", merge_outputs=False)
    assert isinstance(outs, list) and len(outs) == 4 and outs[0].shape == (2, 3)
    merged, _ = cell.unroll(4, x, layout="TNC", merge_outputs=True)
    assert merged.shape == (4, 2, 3)
    close(merged[1], outs[1])
    listed, _ = cell.unroll(4, [x[t] for t in range(4)], layout="NTC", merge_outputs=True)
    assert listed.shape == (2, 4, 3)
    close(listed[:, 2], outs[2])


def test_unroll_valid_length_keeps_last_valid_state():
    cell = rnn.RNNCell(3)
    cell.initialize()
    x = random(2, 4, 5)
    valid = mx.nd.array([2, 4])
    outputs, states = cell.unroll(4, x, merge_outputs=True, valid_length=valid)
    short, short_states = cell.unroll(2, x[:1, :2], merge_outputs=True)
    close(outputs[0, :2], short[0])
    assert float(outputs[0, 2:].abs().sum().asscalar()) == 0
    close(states[0][0], short_states[0][0])


def test_unroll_errors():
    cell = rnn.LSTMCell(3)
    cell.initialize()
    with pytest.raises(MXNetError, match="layout"):
        cell.unroll(2, random(2, 2, 3), layout="NCT")
    with pytest.raises(MXNetError, match="length=3"):
        cell.unroll(3, random(2, 2, 3), merge_outputs=False)
    with pytest.raises(MXNetError, match="inputs=None"):
        cell.unroll(3, None)


def test_modified_cell_cannot_be_used_directly():
    base = rnn.GRUCell(3)
    zoneout = rnn.ZoneoutCell(base, 0.5, 0.5)
    with pytest.raises(MXNetError, match="modifier"):
        base.begin_state(batch_size=2)
    with pytest.raises(MXNetError, match="already modified"):
        rnn.ResidualCell(base)
    assert [s.shape for s in zoneout.begin_state(batch_size=2)] == [(2, 3)]
    assert zoneout.params is base.params
    assert zoneout.prefix == "gru0_zoneout"
    with pytest.raises(MXNetError, match="Bidirectional"):
        rnn.ZoneoutCell(rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2)))


def test_bidirectional_cannot_step():
    cell = rnn.BidirectionalCell(rnn.LSTMCell(2), rnn.LSTMCell(2))
    with pytest.raises(MXNetError, match="unroll"):
        cell(random(2, 3), cell.begin_state(batch_size=2))
    stack = rnn.SequentialRNNCell()
    stack.add(rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2)))
    with pytest.raises(MXNetError, match="unroll"):
        stack(random(2, 3), stack.begin_state(batch_size=2))


def test_reset_clears_counters_and_masks():
    cell = VariationalDropoutCell(rnn.GRUCell(3), drop_inputs=0.5, drop_states=0.5)
    cell.initialize()
    x = random(2, 3)
    with autograd.record():
        cell(x, cell.begin_state(batch_size=2))
        mask = cell.drop_inputs_mask
        cell(x, cell.begin_state(batch_size=2))
    assert cell.drop_inputs_mask is mask  # one mask for every step
    assert cell._counter == 1 and cell.base_cell._counter == 1
    cell.reset()
    assert cell.drop_inputs_mask is None and cell._counter == -1
    assert cell.base_cell._counter == -1


def test_variational_dropout_shares_the_mask_over_time():
    mx.random.seed(3)
    cell = VariationalDropoutCell(rnn.ResidualCell(rnn.RNNCell(4, activation="relu")),
                                  drop_outputs=0.5)  # fmt: skip
    cell.initialize(mx.init.Zero())
    x = mx.nd.ones((3, 5, 4))
    with autograd.record():
        outputs, _ = cell.unroll(5, x, merge_outputs=True)
    # Zero weights: the output is the (dropped-out) input, with one mask for all steps.
    pattern = outputs.asnumpy() != 0
    assert (pattern == pattern[:, :1]).all()
    assert 0 < pattern.mean() < 1


def test_zoneout_training_mixes_old_and_new():
    mx.random.seed(1)
    cell = rnn.ZoneoutCell(rnn.RNNCell(50), zoneout_outputs=0.5)
    cell.initialize(mx.init.One())
    with autograd.record():
        outputs, _ = cell.unroll(2, mx.nd.ones((4, 2, 3)), merge_outputs=True)
    first = outputs[:, 0].asnumpy()
    # Zoned-out units keep the previous output, 0 at the first step.
    assert 0.2 < (first == 0).mean() < 0.8


def test_dropout_cell_unroll_on_merged_input():
    cell = rnn.DropoutCell(0.5)
    x = mx.nd.ones((2, 3, 4))
    out, states = cell.unroll(3, x, merge_outputs=True)
    close(out, x)  # prediction mode: identity
    assert states == []


def test_hybridized_cell_matches_imperative():
    stack = rnn.HybridSequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.LSTMCell(3))
        stack.add(rnn.ResidualCell(rnn.GRUCell(3)))
    stack.initialize()
    x = random(2, 4, 5)
    expected, expected_states = stack.unroll(4, x, merge_outputs=True)
    stack.hybridize()
    got, got_states = stack.unroll(4, x, merge_outputs=True)
    close(got, expected)
    for a, b in zip(got_states, expected_states):
        close(a, b)


def test_cell_activation_leaky_relu_and_callable():
    cell = rnn.RNNCell(3, activation=gluon.nn.LeakyReLU(0.1), input_size=2)
    cell.initialize(mx.init.One())
    out, _ = cell(-mx.nd.ones((1, 2)), cell.begin_state(batch_size=1))
    close(out, np.full((1, 3), -0.2))
    cell = rnn.RNNCell(3, activation=lambda x, **kw: x * 2, input_size=2)
    cell.initialize(mx.init.One())
    out, _ = cell(mx.nd.ones((1, 2)), cell.begin_state(batch_size=1))
    close(out, np.full((1, 3), 4.0))


# ---- fused layers --------------------------------------------------------------------------


def test_layer_param_names_shapes_and_repr():
    layer = rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3, projection_size=2)
    names = list(layer.collect_params())
    assert names[:5] == [
        "lstm0_l0_i2h_weight",
        "lstm0_l0_h2h_weight",
        "lstm0_l0_i2h_bias",
        "lstm0_l0_h2h_bias",
        "lstm0_l0_h2r_weight",
    ]
    assert layer.l1_i2h_weight.shape == (16, 4)  # 2 directions x projection 2
    assert layer.r0_h2h_weight.shape == (16, 2)
    assert repr(layer) == "LSTM(3 -> 4, TNC, num_layers=2, bidirectional)"
    assert repr(rnn.GRU(5, dropout=0.5, layout="NTC")) == "GRU(None -> 5, NTC, dropout=0.5)"
    assert [s.shape for s in layer.begin_state(batch_size=7)] == [(4, 7, 2), (4, 7, 4)]
    assert layer.begin_state(func=mx.sym.var)[1].name == "lstm0_h0_1"


@pytest.mark.parametrize("cls", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_layer_with_and_without_states(cls):
    layer = cls(3, num_layers=2)
    layer.initialize()
    x = random(4, 2, 5)
    out = layer(x)
    assert isinstance(out, mx.nd.NDArray) and out.shape == (4, 2, 3)
    assert layer.l0_i2h_weight.shape[1] == 5  # deferred input size
    out2, states = layer(x, layer.begin_state(batch_size=2))
    close(out, out2)
    assert [s.shape for s in states] == [(2, 2, 3)] * len(layer.state_info())
    # Hybridized, each call still decides whether the states come back.
    layer.hybridize()
    close(layer(x), out)
    out3, states3 = layer(x, layer.begin_state(batch_size=2))
    close(out3, out)
    close(states3[0], states[0])


def test_layer_single_state_may_be_an_array():
    layer = rnn.GRU(3, input_size=2)
    layer.initialize()
    out, states = layer(random(3, 2, 2), mx.nd.zeros((1, 2, 3)))
    assert out.shape == (3, 2, 3) and states[0].shape == (1, 2, 3)


def test_layer_state_shape_error_names_the_layer():
    layer = rnn.LSTM(3, input_size=2)
    layer.initialize()
    with pytest.raises(MXNetError, match=r"LSTM 'lstm0'.*\(1, 4, 3\)"):
        layer(random(3, 2, 2), [mx.nd.zeros((1, 4, 3)), mx.nd.zeros((1, 4, 3))])
    with pytest.raises(MXNetError, match="layout"):
        rnn.LSTM(3, layout="NCT")
    with pytest.raises(MXNetError, match="activation"):
        rnn.RNN(3, activation="sigmoid")


def test_fused_lstm_projection_equals_lstmp_cells():
    """The fused LSTM with projection_size (which MXNet 1.9.1 runs only on cuDNN) computes
    what a stack of LSTMPCells computes with the same weights."""
    layer = rnn.LSTM(5, num_layers=2, projection_size=3, input_size=4, layout="NTC")
    layer.initialize(mx.init.Uniform(0.5))
    stack = rnn.SequentialRNNCell()
    for i, size in enumerate((4, 3)):
        stack.add(LSTMPCell(5, 3, input_size=size, prefix=f"l{i}_"))
    stack.initialize()
    for i in range(2):
        for kind in ("i2h_weight", "h2h_weight", "h2r_weight", "i2h_bias", "h2h_bias"):
            stack[i].params.get(kind).set_data(getattr(layer, f"l{i}_{kind}").data())
    x = random(2, 6, 4)
    begin = [random(2, 2, 3), random(2, 2, 5)]
    out, (h, c) = layer(x, begin)
    cell_begin = [begin[0][0], begin[1][0], begin[0][1], begin[1][1]]
    expected, finals = stack.unroll(6, x, cell_begin, layout="NTC", merge_outputs=True)
    close(out, expected, rtol=1e-4, atol=1e-5)
    close(h[1], finals[2], rtol=1e-4, atol=1e-5)
    close(c[0], finals[1], rtol=1e-4, atol=1e-5)


def test_fused_lstm_state_clip():
    layer = rnn.LSTM(4, input_size=3, state_clip_min=-0.2, state_clip_max=0.1)
    layer.initialize(mx.init.Uniform(2.0))
    _, (_, c) = layer(random(5, 2, 3) * 10, layer.begin_state(batch_size=2))
    assert c.asnumpy().max() <= 0.1 + 1e-7 and c.asnumpy().min() >= -0.2 - 1e-7


def test_fused_layer_sequence_length():
    layer = rnn.GRU(3, input_size=2, use_sequence_length=True, bidirectional=True)
    layer.initialize(mx.init.Uniform(0.5))
    x = random(5, 2, 2)
    out, states = layer(x, layer.begin_state(batch_size=2), mx.nd.array([2, 5]))
    short, short_states = layer(x[:2, :1], layer.begin_state(batch_size=1), mx.nd.array([2]))
    close(out[:2, :1], short, rtol=1e-5)
    assert float(out[2:, 0].abs().sum().asscalar()) == 0
    close(states[0][:, :1], short_states[0], rtol=1e-5)


def test_fused_layer_float64_and_cast():
    layer = rnn.LSTM(3, input_size=2, dtype="float64")
    layer.initialize()
    out = layer(random(3, 2, 2, dtype="float64"))
    assert out.dtype == np.float64
    assert layer.begin_state(batch_size=2)[0].dtype == np.float64
    layer.cast("float32")
    assert layer(random(3, 2, 2)).dtype == np.float32
    assert layer.begin_state(batch_size=2)[0].dtype == np.float32


def test_fused_layer_dropout_only_in_training():
    layer = rnn.LSTM(20, num_layers=2, dropout=0.5, input_size=4)
    layer.initialize(mx.init.Uniform(0.5))
    x = random(3, 2, 4)
    predicted = layer(x)
    close(layer(x), predicted)
    with autograd.record():
        trained = layer(x)
    assert not np.allclose(trained.asnumpy(), predicted.asnumpy())


def test_layer_inside_hybridized_network_trains():
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Embedding(10, 4))
        net.add(rnn.LSTM(5, num_layers=2, layout="NTC", input_size=4))
        net.add(gluon.nn.Dense(10, flatten=False))
    net.initialize()
    tokens = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    expected = net(tokens)
    net.hybridize()
    close(net(tokens), expected, rtol=1e-5)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    with autograd.record():
        loss = loss_fn(net(tokens), tokens)
    loss.backward()
    grad = net[1].l0_i2h_weight.grad()
    assert grad.shape == (20, 4) and float(grad.abs().sum().asscalar()) > 0


def test_layer_export_and_import(tmp_path):
    layer = rnn.GRU(3, num_layers=2, bidirectional=True, input_size=2)
    layer.initialize()
    layer.hybridize()
    x = random(4, 2, 2)
    expected = layer(x)
    symbol_file, params_file = layer.export(str(tmp_path / "gru"))
    # As in MXNet, the zero begin states are the graph's second input; the output is alone.
    loaded = gluon.SymbolBlock.imports(symbol_file, ["data0", "data1"], params_file)
    close(loaded(x, mx.nd.zeros((4, 2, 3))), expected)


def test_layer_save_load_roundtrip(tmp_path):
    layer = rnn.LSTM(3, num_layers=2, input_size=2)
    layer.initialize()
    layer.save_parameters(str(tmp_path / "a.params"))
    assert "_unfused.1.h2h_bias" in mx.nd.load(str(tmp_path / "a.params"))
    other = rnn.LSTM(3, num_layers=2, input_size=2)
    other.load_parameters(str(tmp_path / "a.params"))
    close(other.l1_h2h_weight.data(), layer.l1_h2h_weight.data())


def test_symbol_node_names_match_mxnet():
    """Unrolled cells and the fused layers name their graph nodes as MXNet 1.9.1 does."""
    layer = rnn.LSTM(3, num_layers=2, layout="NTC", prefix="lstm1_")
    out = layer(mx.sym.var("data"))
    reshapes = [
        name
        for i, param in enumerate(["l0_i2h_weight", "l0_h2h_weight", "l1_i2h_weight",
                                   "l1_h2h_weight", "l0_i2h_bias", "l0_h2h_bias",
                                   "l1_i2h_bias", "l1_h2h_bias"])
        for name in (f"lstm1_{param}", f"lstm1_reshape{i}_output")
    ]  # fmt: skip
    assert out.get_internals().list_outputs() == [
        "data", "lstm1_swapaxes0_output", *reshapes, "lstm1__rnn_param_concat0_output",
        "lstm1_h0_0_output", "lstm1_h0_1_output", "lstm1_rnn0_output",
        "lstm1_rnn0_state_output", "lstm1_rnn0_statecell_output", "lstm1_swapaxes1_output",
    ]  # fmt: skip
    cell = rnn.GRUCell(3, prefix="gru_")
    outputs, states = cell.unroll(1, mx.sym.var("data"), layout="TNC", merge_outputs=False)
    assert mx.sym.Group(outputs + states).get_internals().list_outputs() == [
        "data", "split0_output0", "gru_i2h_weight", "gru_i2h_bias", "gru_t0_i2h_output",
        "gru_t0_i2h_slice_output0", "gru_t0_i2h_slice_output1", "gru_t0_i2h_slice_output2",
        "gru_begin_state_0_output", "gru_h2h_weight", "gru_h2h_bias", "gru_t0_h2h_output",
        "gru_t0_h2h_slice_output0", "gru_t0_h2h_slice_output1", "gru_t0_h2h_slice_output2",
        "gru_t0_plus1_output", "gru_t0_z_act_output", "gru_t0_ones_like0_output",
        "gru_t0_minus0_output", "gru_t0_plus0_output", "gru_t0_r_act_output",
        "gru_t0_mul0_output", "gru_t0_plus2_output", "gru_t0_h_act_output",
        "gru_t0_mul1_output", "gru_t0_mul20_output", "gru_t0_out_output",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "module",
    [
        "neomx.gluon.rnn.recurrent_cell",
        "neomx.gluon.rnn.rnn_cell",
        "neomx.gluon.rnn.cell_wrappers",
        "neomx.gluon.rnn.rnn_layer",
        "neomx.gluon.contrib.rnn.rnn_cell",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(module), extraglobs={"mx": mx}, optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0


@pytest.mark.slow
def test_language_model_example_runs(tmp_path):
    """examples/lstm_language_model.py trains for a few seconds and reports perplexities."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "lstm_language_model.py"
    done = subprocess.run(
        [sys.executable, str(script), "--seconds", "3", "--hidden", "32", "--embed", "16"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "validation perplexity" in done.stdout and "batches in" in done.stdout
