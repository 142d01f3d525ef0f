"""Recurrent cells and fused layers against MXNet 1.9.1: outputs, final states and the
gradients of the input, the begin states and every parameter, imperatively and hybridized.

tools/make_rnn_golden.py recorded each case (tests/golden/gluon_rnn/*.npz) in real MXNet.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx import autograd, gluon

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "gluon_rnn"
CELL_CASES = sorted(path.stem for path in GOLDEN.glob("cell-*.npz"))
LAYER_CASES = sorted(path.stem for path in GOLDEN.glob("layer-*.npz"))
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def load(case):
    with np.load(GOLDEN / f"{case}.npz") as data:
        return {key: data[key] for key in data.files}


def build(spec):
    """The cell a spec describes (the same rules as tools/make_rnn_golden.py)."""
    name, kwargs, children = spec
    module = gluon.contrib.rnn if name.startswith("contrib.") else gluon.rnn
    cls = getattr(module, name.split(".")[-1])
    if name.endswith("SequentialRNNCell"):
        block = cls(**kwargs)
        with block.name_scope():
            for child in children:
                block.add(build(child))
        return block
    return cls(*[build(child) for child in children], **kwargs)


def flat(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def set_params(block, record):
    params = block.collect_params()
    assert list(params.keys()) == json.loads(str(record["param_names"]))
    for name, param in params.items():
        param.set_data(mx.nd.array(record[f"param:{name}"]))


def begin_states(record):
    states = []
    i = 0
    while f"state{i}" in record:
        states.append(mx.nd.array(record[f"state{i}"]))
        states[-1].attach_grad()
        i += 1
    return states


def check_run(record, block, outputs, finals, x, states):
    """Compare outputs and final states, run backward with the recorded heads, compare the
    gradients."""
    outputs, finals = flat(outputs), flat(finals)
    assert len(outputs) == sum(k.startswith("out") for k in record)
    assert len(finals) == sum(k.startswith("final") for k in record)
    terms = []
    for prefix, values in (("out", outputs), ("final", finals)):
        for i, value in enumerate(values):
            np.testing.assert_allclose(
                value.asnumpy(), record[f"{prefix}{i}"], err_msg=f"{prefix}{i}", **TOLERANCE
            )
            terms.append((value * mx.nd.array(record[f"head_{prefix}{i}"])).sum())
    return terms


def check_grads(record, block, x, states):
    np.testing.assert_allclose(x.grad.asnumpy(), record["grad_x"], err_msg="x", **TOLERANCE)
    for i, state in enumerate(states):
        np.testing.assert_allclose(
            state.grad.asnumpy(), record[f"grad_state{i}"], err_msg=f"state{i}", **TOLERANCE
        )
    for name, param in block.collect_params().items():
        np.testing.assert_allclose(
            param.grad().asnumpy(), record[f"grad_param:{name}"], err_msg=name, **TOLERANCE
        )


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("case", CELL_CASES)
def test_cell_unroll_matches_mxnet(case, hybridize):
    record = load(case)
    spec, how = json.loads(str(record["spec"]))
    block = build(spec)
    block.initialize()
    if hybridize:
        block.hybridize()
    T, layout = how["length"], how["layout"]
    axis = layout.find("T")
    valid = mx.nd.array(record["valid_length"]) if "valid_length" in record else None

    def inputs(x):
        if how["form"] == "list":
            return list(mx.nd.split(x, num_outputs=T, axis=axis, squeeze_axis=True))
        return x

    x = mx.nd.array(record["x"])
    block.unroll(T, inputs(x), layout=layout, merge_outputs=True, valid_length=valid)
    set_params(block, record)
    states = begin_states(record) if how["states"] == "given" else None
    x.attach_grad()
    with autograd.record(train_mode=how["train"]):
        outputs, finals = block.unroll(
            T,
            inputs(x),
            begin_state=states,
            layout=layout,
            merge_outputs=how["merge"],
            valid_length=valid,
        )
        if how["merge"] is not None:
            assert isinstance(outputs, mx.nd.NDArray) == how["merge"]
        terms = check_run(record, block, outputs, finals, x, states)
        loss = mx.nd.add_n(*terms)
    loss.backward()
    check_grads(record, block, x, states or [])


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("case", LAYER_CASES)
def test_fused_layer_matches_mxnet(case, hybridize):
    record = load(case)
    cls, kwargs, how = json.loads(str(record["spec"]))
    block = getattr(gluon.rnn, cls)(**kwargs)
    block.initialize()
    if hybridize:
        block.hybridize()
    x = mx.nd.array(record["x"])
    block(x)
    set_params(block, record)
    states = begin_states(record) if how["states"] else None
    x.attach_grad()
    with autograd.record(train_mode=how.get("train", True)):
        if states is None:
            outputs, finals = block(x), []
            assert isinstance(outputs, mx.nd.NDArray)
        else:
            outputs, finals = block(x, states)
        terms = check_run(record, block, outputs, finals, x, states)
        loss = mx.nd.add_n(*terms)
    loss.backward()
    check_grads(record, block, x, states or [])


@pytest.mark.parametrize("case", LAYER_CASES)
def test_fused_layer_loads_and_saves_mxnet_files(case, tmp_path):
    record = load(case)
    cls, kwargs, _ = json.loads(str(record["spec"]))
    mxnet_file = tmp_path / "mxnet.params"
    mxnet_file.write_bytes(record["params_file"].tobytes())
    block = getattr(gluon.rnn, cls)(**kwargs)
    block.load_parameters(str(mxnet_file))
    for name, param in block.collect_params().items():
        np.testing.assert_array_equal(param.data().asnumpy(), record[f"param:{name}"])
    # Saving again writes MXNet's names ('_unfused.0.l_cell.i2h_weight') and values.
    ours = tmp_path / "neomx.params"
    block.save_parameters(str(ours))
    saved, original = mx.nd.load(str(ours)), mx.nd.load(str(mxnet_file))
    assert list(saved) == list(original)
    for key, value in original.items():
        np.testing.assert_array_equal(saved[key].asnumpy(), value.asnumpy())


@pytest.mark.parametrize("case", ["cell-lstmcell", "cell-bidirectional", "cell-grucell-tnc-valid"])
def test_cell_unrolled_on_symbols_matches_mxnet(case):
    """Unroll on Symbols, bind, and get MXNet's outputs."""
    record = load(case)
    spec, how = json.loads(str(record["spec"]))
    block = build(spec)
    data = mx.sym.var("data")
    names = [f"state{i}" for i in range(len(block.state_info()))]
    states = [mx.sym.var(name) for name in names]
    valid = mx.sym.var("valid") if "valid_length" in record else None
    outputs, finals = block.unroll(
        how["length"],
        data,
        begin_state=states,
        layout=how["layout"],
        merge_outputs=True,
        valid_length=valid,
    )
    graph = mx.sym.Group([outputs, *finals])
    args = {"data": mx.nd.array(record["x"])}
    args.update({name: mx.nd.array(record[name]) for name in names})
    args.update({name: mx.nd.array(record[f"param:{name}"]) for name in block.collect_params()})
    if valid is not None:
        args["valid"] = mx.nd.array(record["valid_length"])
    results = graph.bind(mx.cpu(), args).forward()
    expected = [record["out0"]] + [record[f"final{i}"] for i in range(len(finals))]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got.asnumpy(), want, **TOLERANCE)
