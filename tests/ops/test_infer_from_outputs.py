"""Shape inference from a known output back to an input's unknown (0) dimensions, as MXNet
1.9.1's _rnn_param_concat and Reshape do it (expected values from MXNet 1.9.1)."""

from __future__ import annotations

import pytest

import neomx as mx
from neomx.base import MXNetError


def infer_with_output(make, in_shapes, out_shape):
    """infer_shape_partial of ``make(*variables)`` whose output meets a variable of
    ``out_shape``; return the inputs' shapes."""
    variables = [mx.sym.var(f"v{i}", shape=shape) for i, shape in enumerate(in_shapes)]
    net = mx.sym.elemwise_add(make(*variables), mx.sym.var("y", shape=out_shape))
    args, outs, _ = net.infer_shape_partial()
    assert outs == [out_shape]
    return args[: len(in_shapes)]


def rnn_param_concat(dim):
    return lambda *xs: mx.sym._internal._rnn_param_concat(*xs, dim=dim, num_args=len(xs))


@pytest.mark.parametrize(
    "in_shapes, dim, out_shape, expected",
    [
        ([(0,), (16,), (8,)], 0, (40,), [(16,), (16,), (8,)]),
        ([(16,), (8,), (0,)], 0, (40,), [(16,), (8,), (16,)]),
        # Two unknown inputs (both directions' first-layer weights) share the rest evenly.
        ([(0,), (0,), (8,)], 0, (40,), [(16,), (16,), (8,)]),
        ([(8, 0), (8, 2)], 1, (8, 5), [(8, 3), (8, 2)]),
        # The dimensions off the axis come from the output.
        ([(0, 0), (8, 2)], 1, (8, 5), [(8, 3), (8, 2)]),
        ([(0, 0), (8, 2)], 0, (14, 2), [(6, 2), (8, 2)]),
    ],
)
def test_rnn_param_concat_infers_unknown_input_from_output(in_shapes, dim, out_shape, expected):
    assert infer_with_output(rnn_param_concat(dim), in_shapes, out_shape) == expected


def test_rnn_param_concat_inputs_larger_than_output():
    with pytest.raises(MXNetError, match="_rnn_param_concat.*size 6"):
        infer_with_output(rnn_param_concat(0), [(0,), (0,), (8,)], (6,))


def test_concat_does_not_infer_backwards():
    # MXNet 1.9.1's Concat leaves the input unknown; only _rnn_param_concat fills it.
    concat = lambda *xs: mx.sym.concat(*xs, dim=0)  # noqa: E731
    assert infer_with_output(concat, [(0,), (16,)], (40,)) == [(0,), (16,)]


@pytest.mark.parametrize(
    "in_shape, spec, out_shape, expected",
    [
        ((8, 0), (-1,), (40,), (8, 5)),
        ((8, 0), (4, -1), (4, 10), (8, 5)),
        ((8, 0, 2), (0, -1), (8, 6), (8, 3, 2)),
        # Two unknown dimensions cannot be told apart: they stay unknown.
        ((0, 0), (-1,), (40,), (0, 0)),
    ],
)
def test_reshape_infers_one_unknown_input_dimension(in_shape, spec, out_shape, expected):
    reshape = lambda x: mx.sym.reshape(x, shape=spec)  # noqa: E731
    assert infer_with_output(reshape, [in_shape], out_shape) == [expected]


def test_flatten_does_not_infer_backwards():
    assert infer_with_output(mx.sym.flatten, [(8, 0)], (8, 5)) == [(8, 0)]


def test_reshape_chain_into_rnn_parameters():
    # Gluon's fused LSTM: each parameter flattened, joined, read by RNN; the first layer's
    # i2h_weight width follows from the data alone.
    data = mx.sym.var("data", shape=(5, 2, 6))
    names_shapes = [("i2h_weight", (16, 0)), ("h2h_weight", (16, 4))]
    names_shapes += [("i2h_bias", (16,)), ("h2h_bias", (16,))]
    params = [mx.sym.var(name, shape=shape) for name, shape in names_shapes]
    flat = [mx.sym.reshape(p, shape=(-1,)) for p in params]
    parameters = mx.sym._internal._rnn_param_concat(*flat, dim=0, num_args=len(flat))
    state = mx.sym.var("state", shape=(1, 2, 4))
    cell = mx.sym.var("cell", shape=(1, 2, 4))
    out = mx.sym.RNN(data, parameters, state, cell, state_size=4, num_layers=1, mode="lstm")
    args, outs, _ = out.infer_shape()
    assert dict(zip(out.list_arguments(), args))["i2h_weight"] == (16, 6)
    assert outs == [(5, 2, 4)]
