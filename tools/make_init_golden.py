"""Write golden ``mx.init`` results from real MXNet 1.9.1 into tests/golden/initializer/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_init_golden.py

It records only what is deterministic (random initializers are tested by their statistics):

    strings.json   dumps() of constructed initializers, dumps() after create() of each string,
                   and the name-dispatch table: for each parameter name, which hook of the base
                   class MXNet calls, once through InitDesc and once through the legacy
                   ``init(str, arr)`` call (``"ValueError"`` where MXNet raises one)
    values.npz     arrays filled by deterministic initializers (Zero, One, Constant, Bilinear,
                   LSTMBias, FusedRNN with deterministic parts, the ``__init__`` attribute,
                   Constant(0.5)'s value per parameter name)
    load.params    an MXNet-written parameter file with ``arg:``/``aux:`` prefixes, for Load

tests/test_initializer.py replays the same cases in neomx; tests never import mxnet.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import mxnet as mx
import numpy as np

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "initializer"

# The hooks of the base class that the name dispatch can pick.
HOOKS = (
    "_init_weight",
    "_init_bias",
    "_init_gamma",
    "_init_beta",
    "_init_zero",
    "_init_one",
    "_init_bilinear",
    "_init_loc_bias",
    "_init_quantized_weight",
    "_init_quantized_bias",
)

DISPATCH_NAMES = [
    "fc_weight",
    "fc_bias",
    "bn_gamma",
    "bn_beta",
    "bn_moving_mean",
    "bn_moving_var",
    "bn_moving_inv_var",
    "x_moving_avg",
    "q_min",
    "q_max",
    "fc_weight_quantize",
    "fc_bias_quantize",
    "upsampling0_weight",
    "upsampling_bias",
    "upsampling",
    "stn_loc_weight",
    "stn_loc_bias",
    "stn_loc",
    "data",
    "foo",
    "weight",
    "bias",
    "WEIGHT",
    "fc_weights",
    "gamma_x",
    "my_min_max",
    "minimum",
    "",
]

# Constructors whose dumps() is recorded: (label, class name, args, kwargs).
DUMPS_CASES = [
    ("zero", "Zero", [], {}),
    ("one", "One", [], {}),
    ("constant-int", "Constant", [2], {}),
    ("constant-float", "Constant", [2.5], {}),
    ("uniform", "Uniform", [], {}),
    ("uniform-0.1", "Uniform", [0.1], {}),
    ("normal", "Normal", [], {}),
    ("normal-0.5", "Normal", [0.5], {}),
    ("orthogonal", "Orthogonal", [], {}),
    ("orthogonal-normal", "Orthogonal", [2.0, "normal"], {}),
    ("xavier", "Xavier", [], {}),
    (
        "xavier-gaussian-in",
        "Xavier",
        [],
        {"rnd_type": "gaussian", "factor_type": "in", "magnitude": 2.34},
    ),
    ("xavier-kwargs-order", "Xavier", [], {"magnitude": 2, "factor_type": "out"}),
    ("msraprelu", "MSRAPrelu", [], {}),
    ("msraprelu-in", "MSRAPrelu", ["in", 0.1], {}),
    ("bilinear", "Bilinear", [], {}),
    ("lstmbias", "LSTMBias", [], {}),
    ("lstmbias-0.5", "LSTMBias", [0.5], {}),
]

CREATE_STRINGS = [
    "zeros",
    "ones",
    "Zero",
    "xavier",
    "Xavier",
    "msraprelu",
    "lstmbias",
    "bilinear",
    '["xavier", {"rnd_type": "gaussian", "factor_type": "out", "magnitude": 2}]',
    '["constant", {"value": 3}]',
    '["normal", {"sigma": 0.2}]',
    '{"initializer": "uniform", "scale": 0.3}',
    '["msraprelu", {"factor_type": "in", "slope": 0.5}]',
]

# (label, parameter name, its "__init__" attribute), filled by Uniform() as the global init.
ATTR_INIT_CASES = [
    ["bias-one", "fc_bias", '["one", {}]'],
    ["data-constant", "data", '["constant", {"value": 3}]'],
    ["weight-zero", "fc_weight", '["zero", {}]'],
    ["gamma-lstmbias", "lstm_gamma", '["lstmbias", {"forget_bias": 5}]'],
    ["moving-mean-zero", "bn_moving_mean", '["zero", {}]'],
    ["moving-var-one", "bn_moving_var", '["one", {}]'],
]

BILINEAR_SHAPES = [(1, 1, 4, 4), (2, 3, 3, 3), (1, 2, 5, 7), (1, 1, 1, 1), (3, 1, 4, 6)]
LSTM_BIAS_SHAPES = [(8,), (12,), (10,), (3,)]

# (label, init args, mode, num_hidden, num_layers, bidirectional, forget_bias, num_input)
FUSED_CASES = [
    ("lstm-constant", ("constant", 0.5), "lstm", 2, 1, False, 2.0, 3),
    ("gru-bi-2layer-global", None, "gru", 2, 2, True, 1.0, 3),
    ("rnn_tanh-one", ("one",), "rnn_tanh", 3, 1, False, 1.0, 2),
    ("lstm-bi-global", None, "lstm", 1, 2, True, 0.25, 2),
    ("rnn_relu-bi-2layer-constant", ("constant", -0.5), "rnn_relu", 2, 2, True, 1.0, 4),
]


def fused_size(mode, h, layers, bidirectional, num_input):
    """The length of a fused RNN parameter vector."""
    gates = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]
    b = 2 if bidirectional else 1
    return (num_input + h + 2) * h * gates * b + (layers - 1) * gates * h * (h + b * h + 2) * b


class Probe(mx.init.Initializer):
    """Records which hook the dispatch called instead of filling the array."""

    def __init__(self):
        super().__init__()
        self.called = None


def _make_hook(hook):
    def record(self, _name, _arr):
        self.called = hook

    return record


for _hook in HOOKS:
    setattr(Probe, _hook, _make_hook(_hook))


def dispatch_table():
    table = {"initdesc": {}, "legacy": {}}
    for name in DISPATCH_NAMES:
        for path in table:
            probe = Probe()
            arr = mx.nd.zeros((6,))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    probe(mx.init.InitDesc(name) if path == "initdesc" else name, arr)
                table[path][name] = probe.called
            except ValueError:
                table[path][name] = "ValueError"
    return table


def value_table(values):
    """Constant(0.5) on each name: what the default hooks write (and which names raise)."""
    errors = {"initdesc": [], "legacy": []}
    for name in DISPATCH_NAMES:
        if name.endswith("weight_quantize"):
            continue  # random
        shape = (1, 1, 4, 4) if name.startswith("upsampling") else (6,)
        for path in errors:
            arr = mx.nd.full(shape, -9.0)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    init = mx.init.Constant(0.5)
                    init(mx.init.InitDesc(name) if path == "initdesc" else name, arr)
                values[f"names/{path}/{name}"] = arr.asnumpy()
            except (ValueError, IndexError, AssertionError) as err:
                errors[path].append([name, type(err).__name__])
    return errors


def main():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    strings = {"mxnet_version": mx.__version__}
    # The constructor calls travel with their results, so the tests replay exactly these.
    strings["dumps_cases"] = [
        [label, cls, args, kwargs, getattr(mx.init, cls)(*args, **kwargs).dumps()]
        for label, cls, args, kwargs in DUMPS_CASES
    ]
    strings["dumps"] = {}
    constant = mx.init.Constant(mx.nd.array([[0.1, 0.2], [0.3, 0.4]]))
    strings["dumps"]["constant-ndarray"] = constant.dumps()
    constant = mx.init.Constant(np.array([1.5, 2.5], dtype="float32"))
    strings["dumps"]["constant-numpy"] = constant.dumps()
    strings["create"] = {s: mx.init.create(s).dumps() for s in CREATE_STRINGS}
    strings["create_kwargs"] = {
        "xavier-magnitude": mx.init.create("xavier", magnitude=2).dumps(),
        "initializer-kwarg": mx.init.create(initializer="normal", sigma=0.3).dumps(),
        "dict": mx.init.create({"initializer": "orthogonal", "scale": 0.5}).dumps(),
    }
    strings["dumps"]["fusedrnn"] = mx.init.FusedRNN(
        mx.init.Xavier(), 4, 2, "lstm", True, 1.5
    ).dumps()
    strings["dumps"]["fusedrnn-none"] = mx.init.FusedRNN(None, 3, 1, "gru").dumps()
    strings["registry"] = sorted(mx.registry.get_registry(mx.init.Initializer))
    strings["dispatch_names"] = DISPATCH_NAMES
    strings["dispatch"] = dispatch_table()

    values = {}
    strings["value_errors"] = value_table(values)
    for shape in BILINEAR_SHAPES:
        arr = mx.nd.zeros(shape)
        mx.init.Bilinear()(mx.init.InitDesc("up_weight"), arr)
        values[f"bilinear/{'x'.join(map(str, shape))}"] = arr.asnumpy()
    arr = mx.nd.zeros((1, 2, 5, 5), dtype="float64")
    mx.init.Bilinear()(mx.init.InitDesc("up_weight"), arr)
    values["bilinear/1x2x5x5-float64"] = arr.asnumpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = mx.nd.zeros((2, 1, 4, 4))
        mx.init.Xavier()("upsampling0_weight", arr)  # legacy: bilinear for upsampling names
        values["legacy-upsampling/2x1x4x4"] = arr.asnumpy()
        arr = mx.nd.zeros((6,))
        mx.init.Xavier()("stn_loc_bias", arr)
        values["legacy-stn-loc-bias"] = arr.asnumpy()
    for shape in LSTM_BIAS_SHAPES:
        arr = mx.nd.zeros(shape)
        mx.init.LSTMBias(0.75)(mx.init.InitDesc("lstm_i2h_bias"), arr)
        values[f"lstmbias/{shape[0]}"] = arr.asnumpy()
    strings["attr_init_cases"] = ATTR_INIT_CASES
    for label, desc, attr_init in ATTR_INIT_CASES:
        arr = mx.nd.full((8,), -1.0)
        mx.init.Uniform()(mx.init.InitDesc(desc, {"__init__": attr_init}), arr)
        values[f"attr-init/{label}"] = arr.asnumpy()
    arr = mx.nd.zeros((2, 2))
    mx.init.create('["constant", {"value": [[1, 2], [3, 4]]}]')(mx.init.InitDesc("w_weight"), arr)
    values["constant-list"] = arr.asnumpy()
    strings["fused_cases"] = FUSED_CASES
    for label, init_args, mode, h, layers, bidirectional, forget_bias, num_input in FUSED_CASES:
        inner = None if init_args is None else mx.init.create(*init_args)
        size = fused_size(mode, h, layers, bidirectional, num_input)
        arr = mx.nd.full((size,), -1.0)
        init = mx.init.FusedRNN(inner, h, layers, mode, bidirectional, forget_bias)
        global_init = mx.init.Constant(0.25)
        init(mx.init.InitDesc("rnn_weight", global_init=global_init), arr)
        values[f"fusedrnn/{label}"] = arr.asnumpy()
        if inner is None:
            # How a FusedRNNCell's "parameters" variable gets it: the __init__ attribute.
            arr = mx.nd.full((size,), -1.0)
            desc = mx.init.InitDesc("rnn_parameters", {"__init__": init.dumps()})
            global_init(desc, arr)
            values[f"fusedrnn-attr/{label}"] = arr.asnumpy()

    np.savez(OUTPUT / "values.npz", **values)
    (OUTPUT / "strings.json").write_text(json.dumps(strings, indent=1, sort_keys=True) + "\n")

    params = {
        "arg:fc_weight": mx.nd.array(np.arange(6, dtype="float32").reshape(2, 3)),
        "arg:fc_bias": mx.nd.array([0.5, -0.5]),
        "aux:bn_moving_mean": mx.nd.array([1.0, 2.0, 3.0]),
        "plain": mx.nd.array([7.0]),
    }
    mx.nd.save(str(OUTPUT / "load.params"), params)
    print(f"wrote {len(values)} arrays and {len(strings)} string tables to {OUTPUT}")


if __name__ == "__main__":
    main()
