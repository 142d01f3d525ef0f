"""Write golden results of Gluon's recurrent cells and fused layers from real MXNet 1.9.1 into
tests/golden/gluon_rnn/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_rnn_golden.py

Each case builds a block from a JSON spec (see ``build``), resolves its deferred shapes with
one forward, sets every parameter to random values, and then runs one forward and backward
under ``autograd.record``. A record holds:

    spec                  JSON: how to build the block and call it (see CELLS and LAYERS)
    param_names           JSON list of the full parameter names MXNet gave
    param:<name>          parameter values
    x                     the input (one array; "list" cases split it along the time axis)
    valid_length          (cells with valid lengths)
    state<i>              the begin states passed in (absent when the case passes None)
    out<i>                the outputs (one merged tensor, or one per step)
    final<i>              the final states
    head_out<i>, head_final<i>   the head gradients of the outputs and final states
    grad_x, grad_state<i>, grad_param:<name>   the gradients
    params_file           (layers) the bytes of save_parameters, as uint8
    mxnet_version

tests/gluon/test_rnn_golden.py replays each case in neomx; tests never import mxnet.
"""

from __future__ import annotations

import json
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import TESTS, save_npz  # noqa: E402

OUTPUT = TESTS / "golden" / "gluon_rnn"


def cell(cls, children=(), **kwargs):
    return [cls, kwargs, list(children)]


def lstm(prefix, hidden=3, **kwargs):
    return cell("LSTMCell", hidden_size=hidden, prefix=prefix, **kwargs)


def gru(prefix, hidden=3, **kwargs):
    return cell("GRUCell", hidden_size=hidden, prefix=prefix, **kwargs)


# id -> (cell spec, call): call has length, batch, input size, layout, merge, input form
# ("tensor" or "list"), states ("given" random begin states or None for zeros), valid lengths
# (or None) and train (False records in predict mode, for cells with random dropout masks).
def call(length=3, batch=2, size=4, layout="NTC", merge=True, form="tensor", states="given",
         valid=None, train=True):  # fmt: skip
    return {
        "length": length,
        "batch": batch,
        "size": size,
        "layout": layout,
        "merge": merge,
        "form": form,
        "states": states,
        "valid": valid,
        "train": train,
    }


CELLS = {
    "rnncell-tanh": (cell("RNNCell", hidden_size=3, prefix="rnn_"), call()),
    "rnncell-relu-tnc-list": (
        cell("RNNCell", hidden_size=3, activation="relu", prefix="rnn_"),
        call(layout="TNC", merge=False, form="list"),
    ),
    "rnncell-sigmoid-zeros": (
        cell("RNNCell", hidden_size=3, activation="softrelu", prefix="rnn_"),
        call(states=None, merge=None),
    ),
    "lstmcell": (lstm("lstm_"), call()),
    "lstmcell-tnc-split": (lstm("lstm_", 5), call(layout="TNC", merge=False, length=4)),
    "lstmcell-softsign": (
        lstm("lstm_", activation="softsign", recurrent_activation="sigmoid"),
        call(),
    ),
    "lstmcell-valid-length": (lstm("lstm_"), call(length=4, batch=3, valid=[4, 2, 1])),
    "grucell": (gru("gru_"), call()),
    "grucell-tnc-valid": (gru("gru_"), call(layout="TNC", batch=3, valid=[1, 3, 2])),
    "sequential": (
        cell(
            "SequentialRNNCell",
            [lstm("l0_"), cell("DropoutCell", rate=0.5), gru("l1_", 2)],
            prefix="stack_",
        ),
        call(train=False),
    ),
    "hybridsequential": (
        cell("HybridSequentialRNNCell", [lstm("l0_"), gru("l1_", 2)], prefix="stack_"),
        call(layout="TNC", merge=False),
    ),
    "bidirectional": (
        cell("BidirectionalCell", [lstm("l_"), lstm("r_")]),
        call(),
    ),
    "bidirectional-valid-list": (
        cell("BidirectionalCell", [gru("l_"), gru("r_", 2)]),
        call(batch=3, valid=[3, 1, 2], merge=False, form="list"),
    ),
    "zoneout-predict": (
        cell("ZoneoutCell", [gru("gru_")], zoneout_outputs=0.5, zoneout_states=0.5),
        call(train=False),
    ),
    "residual": (cell("ResidualCell", [gru("gru_", 4)]), call()),
    "residual-valid-split": (
        cell("ResidualCell", [lstm("lstm_", 4)]),
        call(batch=3, valid=[2, 3, 1], merge=False),
    ),
    "dropoutcell-zero": (cell("DropoutCell", rate=0.0), call(states=None)),
    "vardrop-states-predict": (
        cell(
            "contrib.VariationalDropoutCell",
            [lstm("lstm_")],
            drop_inputs=0.5,
            drop_states=0.5,
            drop_outputs=0.5,
        ),
        call(train=False),
    ),
    "vardrop-merged-predict": (
        cell("contrib.VariationalDropoutCell", [gru("gru_")], drop_inputs=0.5, drop_outputs=0.5),
        call(train=False, merge=False),
    ),
    "lstmpcell": (
        cell("contrib.LSTMPCell", hidden_size=5, projection_size=3, prefix="lstmp_"),
        call(),
    ),
}

# id -> (class, kwargs, call): call has length, batch, input size, states (True: pass random
# begin states and get the final ones back) and train.
LAYERS = {
    "lstm-2l": ("LSTM", {"hidden_size": 3, "num_layers": 2}, {"states": True}),
    "lstm-2l-bi-ntc": (
        "LSTM",
        {"hidden_size": 3, "num_layers": 2, "bidirectional": True, "layout": "NTC"},
        {"states": True},
    ),
    "lstm-1l-nostates": ("LSTM", {"hidden_size": 4}, {"states": False}),
    "lstm-2l-dropout-predict": (
        "LSTM",
        {"hidden_size": 3, "num_layers": 2, "dropout": 0.5, "input_size": 4},
        {"states": True, "train": False},
    ),
    "gru-2l": ("GRU", {"hidden_size": 3, "num_layers": 2}, {"states": True}),
    "gru-2l-bi": (
        "GRU",
        {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
        {"states": True},
    ),
    "rnn-relu-2l": ("RNN", {"hidden_size": 3, "num_layers": 2}, {"states": True}),
    "rnn-tanh-2l-bi-ntc": (
        "RNN",
        {
            "hidden_size": 3,
            "num_layers": 2,
            "activation": "tanh",
            "bidirectional": True,
            "layout": "NTC",
        },
        {"states": True},
    ),
}


def build(gluon, spec):
    """The cell a spec describes: [class, kwargs, children]; a 'contrib.' class comes from
    gluon.contrib.rnn. Stacks add their children inside their name scope; Bidirectional and
    the modifiers take theirs as arguments."""
    name, kwargs, children = spec
    module = gluon.contrib.rnn if name.startswith("contrib.") else gluon.rnn
    cls = getattr(module, name.split(".")[-1])
    if name.endswith("SequentialRNNCell"):
        block = cls(**kwargs)
        with block.name_scope():
            for child in children:
                block.add(build(gluon, child))
        return block
    return cls(*[build(gluon, child) for child in children], **kwargs)


def flat(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def randomize(mx, block, rng, record):
    params = block.collect_params()
    record["param_names"] = json.dumps(list(params.keys()))
    for name, param in params.items():
        value = rng.normal(0, 0.5, param.shape).astype(np.float32)
        param.set_data(mx.nd.array(value))
        record[f"param:{name}"] = value


def backward(mx, outputs, finals, rng, record):
    heads = []
    for prefix, values in (("out", outputs), ("final", finals)):
        for i, value in enumerate(values):
            record[f"{prefix}{i}"] = value.asnumpy()
            head = rng.normal(size=value.shape).astype(np.float32)
            record[f"head_{prefix}{i}"] = head
            heads.append((value, head))
    return heads


def run_cell(mx, case_id, spec, how):
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    block = build(mx.gluon, spec)
    block.initialize()
    T, N, C = how["length"], how["batch"], how["size"]
    shape = (N, T, C) if how["layout"] == "NTC" else (T, N, C)
    x = mx.nd.array(rng.normal(size=shape).astype(np.float32))
    record = {"spec": json.dumps([spec, how]), "x": x.asnumpy()}
    valid = None
    if how["valid"] is not None:
        valid = mx.nd.array(how["valid"])
        record["valid_length"] = np.asarray(how["valid"], dtype=np.float32)
    axis = how["layout"].find("T")

    def inputs(x):
        if how["form"] == "list":
            return list(mx.nd.split(x, num_outputs=T, axis=axis, squeeze_axis=True))
        return x

    block.unroll(T, inputs(x), layout=how["layout"], merge_outputs=True, valid_length=valid)
    randomize(mx, block, rng, record)
    states = None
    if how["states"] == "given":
        states = []
        for i, info in enumerate(block.state_info(N)):
            value = rng.normal(size=info["shape"]).astype(np.float32)
            record[f"state{i}"] = value
            states.append(mx.nd.array(value))
            states[-1].attach_grad()
    x.attach_grad()
    params = block.collect_params()
    with mx.autograd.record(train_mode=how["train"]):
        outputs, finals = block.unroll(
            T,
            inputs(x),
            begin_state=states,
            layout=how["layout"],
            merge_outputs=how["merge"],
            valid_length=valid,
        )
        heads = backward(mx, flat(outputs), flat(finals), rng, record)
        loss = mx.nd.add_n(*[(value * mx.nd.array(head)).sum() for value, head in heads])
    loss.backward()
    record["grad_x"] = x.grad.asnumpy()
    for i, state in enumerate(states or []):
        record[f"grad_state{i}"] = state.grad.asnumpy()
    for name, param in params.items():
        record[f"grad_param:{name}"] = param.grad().asnumpy()
    return record


def run_layer(mx, case_id, cls, kwargs, how):
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    block = getattr(mx.gluon.rnn, cls)(**kwargs)
    block.initialize()
    T, N, C = 4, 2, 5
    layout = kwargs.get("layout", "TNC")
    shape = (N, T, C) if layout == "NTC" else (T, N, C)
    if "input_size" in kwargs:
        shape = shape[:2] + (kwargs["input_size"],)
    x = mx.nd.array(rng.normal(size=shape).astype(np.float32))
    record = {"spec": json.dumps([cls, kwargs, how]), "x": x.asnumpy()}
    block(x)
    randomize(mx, block, rng, record)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "layer.params"
        block.save_parameters(str(path))
        record["params_file"] = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    states = None
    if how["states"]:
        states = []
        for i, info in enumerate(block.state_info(N)):
            value = rng.normal(size=info["shape"]).astype(np.float32)
            record[f"state{i}"] = value
            states.append(mx.nd.array(value))
            states[-1].attach_grad()
    x.attach_grad()
    with mx.autograd.record(train_mode=how.get("train", True)):
        if states is None:
            outputs, finals = block(x), []
        else:
            outputs, finals = block(x, states)
        heads = backward(mx, flat(outputs), flat(finals), rng, record)
        loss = mx.nd.add_n(*[(value * mx.nd.array(head)).sum() for value, head in heads])
    loss.backward()
    record["grad_x"] = x.grad.asnumpy()
    for i, state in enumerate(states or []):
        record[f"grad_state{i}"] = state.grad.asnumpy()
    for name, param in block.collect_params().items():
        record[f"grad_param:{name}"] = param.grad().asnumpy()
    return record


def main():
    import mxnet as mx

    OUTPUT.mkdir(parents=True, exist_ok=True)
    for path in OUTPUT.glob("*.npz"):
        path.unlink()
    count = 0
    for case_id, (spec, how) in CELLS.items():
        mx.random.seed(0)
        with mx.name.NameManager():  # fresh counters: 'lstm0_', as in a new process
            record = run_cell(mx, case_id, spec, how)
        record["mxnet_version"] = mx.__version__
        save_npz(OUTPUT / f"cell-{case_id}.npz", record)
        count += 1
    for case_id, (cls, kwargs, how) in LAYERS.items():
        mx.random.seed(0)
        with mx.name.NameManager():
            record = run_layer(mx, case_id, cls, kwargs, how)
        record["mxnet_version"] = mx.__version__
        save_npz(OUTPUT / f"layer-{case_id}.npz", record)
        count += 1
    print(f"wrote {count} cases to {OUTPUT}")


if __name__ == "__main__":
    main()
