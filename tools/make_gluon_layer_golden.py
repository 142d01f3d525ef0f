"""Write golden Gluon layer and loss results from real MXNet 1.9.1 into tests/golden/gluon/.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_gluon_layer_golden.py

Each case in ``LAYERS`` and ``LOSSES`` builds one block from plain data (a class name in
``gluon.nn``, ``gluon.contrib.nn`` or ``gluon.loss`` and its keyword arguments, plus optional
children added inside its name scope), initialises it with random parameters, and records:

    kind, module, cls, kwargs, children   how to build the block again (JSON strings)
    input_names                           JSON list; an entry ``None`` is passed as None
    in<i>                                 the inputs, in call order
    param:<suffix>                        parameter values, named without the block prefix
    param_names                           JSON list of the full parameter names MXNet gave
    prefix                                the block's prefix (``dense0_``)
    out                                   the output of a training-mode forward under record()
    head                                  the head gradient used for backward
    in_grad<i>                            input gradients (floating inputs only)
    param_grad:<suffix>                   parameter gradients (grad_req 'write' only)
    param_after:<suffix>                  parameter values after that forward (running stats)
    predict_out                           the output of an inference-mode forward, with the
                                          parameters as they were before training
    repr                                  repr(block) as MXNet prints it
    mxnet_version

``net_cnn.params`` and ``net_cnn.npz`` hold a small CNN saved with ``save_parameters`` and its
output, to test loading MXNet's file format. tests/gluon/ replays every case in neomx; tests
never import mxnet.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import TESTS, save_npz  # noqa: E402

OUTPUT = TESTS / "golden" / "gluon"

# Input makers: (kind, shape). "int:N" draws integers in [0, N) as float32 (MXNet index inputs
# are floats); "signed" draws -1/+1; "binary" 0/1; "prob" rows that sum to 1 along the last axis.
X = "normal"

# (id, module, class, kwargs, inputs, extra); extra may hold "children" (module, class, kwargs)
# and "train": False for layers whose training forward is random (Dropout).
LAYERS = [
    ("dense", "nn", "Dense", {"units": 5}, [(X, (3, 4))], {}),
    (
        "dense-tanh-nobias",
        "nn",
        "Dense",
        {"units": 3, "activation": "tanh", "use_bias": False},
        [(X, (2, 3, 4))],
        {},
    ),
    ("dense-noflatten", "nn", "Dense", {"units": 3, "flatten": False}, [(X, (2, 3, 4))], {}),
    (
        "dense-in-units-f64",
        "nn",
        "Dense",
        {"units": 2, "in_units": 4, "dtype": "float64"},
        [("normal64", (3, 4))],
        {},
    ),
    ("dropout-predict", "nn", "Dropout", {"rate": 0.5}, [(X, (3, 4))], {"train": False}),
    ("dropout-zero", "nn", "Dropout", {"rate": 0.0}, [(X, (3, 4))], {}),
    ("batchnorm", "nn", "BatchNorm", {}, [(X, (4, 3, 2, 2))], {}),
    (
        "batchnorm-axis-last",
        "nn",
        "BatchNorm",
        {"axis": -1, "momentum": 0.5, "epsilon": 1e-3, "center": False},
        [(X, (2, 3, 4))],
        {},
    ),
    ("batchnorm-noscale", "nn", "BatchNorm", {"scale": False}, [(X, (4, 3))], {}),
    (
        "batchnorm-global",
        "nn",
        "BatchNorm",
        {"use_global_stats": True, "in_channels": 3},
        [(X, (2, 3, 4))],
        {},
    ),
    ("batchnorm-relu", "nn", "BatchNormReLU", {"momentum": 0.8}, [(X, (4, 3, 2, 2))], {}),
    ("instancenorm", "nn", "InstanceNorm", {}, [(X, (2, 3, 4))], {}),
    ("instancenorm-scale", "nn", "InstanceNorm", {"scale": True}, [(X, (2, 3, 2, 2))], {}),
    ("instancenorm-axis2", "nn", "InstanceNorm", {"axis": 2, "scale": True}, [(X, (2, 3, 4))], {}),
    ("layernorm", "nn", "LayerNorm", {}, [(X, (2, 3, 4))], {}),
    ("layernorm-axis1", "nn", "LayerNorm", {"axis": 1, "center": False}, [(X, (2, 3, 4))], {}),
    ("groupnorm", "nn", "GroupNorm", {}, [(X, (2, 3, 4))], {}),
    ("groupnorm-2", "nn", "GroupNorm", {"num_groups": 2, "epsilon": 1e-3}, [(X, (2, 4, 3))], {}),
    ("embedding", "nn", "Embedding", {"input_dim": 6, "output_dim": 3}, [("int:6", (2, 3))], {}),
    (
        "embedding-sparse",
        "nn",
        "Embedding",
        {"input_dim": 5, "output_dim": 2, "sparse_grad": True},
        [("int:5", (4,))],
        {},
    ),
    ("flatten", "nn", "Flatten", {}, [(X, (2, 3, 4))], {}),
    ("act-relu", "nn", "Activation", {"activation": "relu"}, [(X, (3, 4))], {}),
    ("act-sigmoid", "nn", "Activation", {"activation": "sigmoid"}, [(X, (3, 4))], {}),
    ("act-tanh", "nn", "Activation", {"activation": "tanh"}, [(X, (3, 4))], {}),
    ("act-softrelu", "nn", "Activation", {"activation": "softrelu"}, [(X, (3, 4))], {}),
    ("act-softsign", "nn", "Activation", {"activation": "softsign"}, [(X, (3, 4))], {}),
    ("leakyrelu", "nn", "LeakyReLU", {"alpha": 0.1}, [(X, (3, 4))], {}),
    ("prelu", "nn", "PReLU", {}, [(X, (3, 4))], {}),
    ("prelu-channels", "nn", "PReLU", {"in_channels": 3}, [(X, (2, 3, 4))], {}),
    ("elu", "nn", "ELU", {"alpha": 0.5}, [(X, (3, 4))], {}),
    ("selu", "nn", "SELU", {}, [(X, (3, 4))], {}),
    ("swish", "nn", "Swish", {"beta": 2.0}, [(X, (3, 4))], {}),
    ("gelu", "nn", "GELU", {}, [(X, (3, 4))], {}),
    (
        "conv1d",
        "nn",
        "Conv1D",
        {"channels": 4, "kernel_size": 3, "padding": 1},
        [(X, (2, 3, 7))],
        {},
    ),
    (
        "conv1d-stride-dilate",
        "nn",
        "Conv1D",
        {"channels": 2, "kernel_size": 2, "strides": 2, "dilation": 2, "use_bias": False},
        [(X, (2, 3, 9))],
        {},
    ),
    (
        "conv2d-relu",
        "nn",
        "Conv2D",
        {"channels": 4, "kernel_size": 3, "strides": 2, "padding": 1, "activation": "relu"},
        [(X, (2, 3, 6, 6))],
        {},
    ),
    (
        "conv2d-groups",
        "nn",
        "Conv2D",
        {"channels": 4, "kernel_size": (3, 2), "groups": 2, "in_channels": 4},
        [(X, (1, 4, 5, 4))],
        {},
    ),
    ("conv3d", "nn", "Conv3D", {"channels": 2, "kernel_size": 2}, [(X, (1, 2, 3, 4, 4))], {}),
    (
        "conv1d-transpose",
        "nn",
        "Conv1DTranspose",
        {"channels": 3, "kernel_size": 3, "strides": 2, "output_padding": 1},
        [(X, (2, 2, 5))],
        {},
    ),
    (
        "conv2d-transpose",
        "nn",
        "Conv2DTranspose",
        {"channels": 3, "kernel_size": (3, 2), "strides": 2, "padding": 1, "output_padding": 1},
        [(X, (2, 2, 3, 4))],
        {},
    ),
    (
        "conv2d-transpose-groups",
        "nn",
        "Conv2DTranspose",
        {"channels": 4, "kernel_size": 2, "groups": 2, "in_channels": 4, "use_bias": False},
        [(X, (1, 4, 3, 3))],
        {},
    ),
    (
        "conv3d-transpose",
        "nn",
        "Conv3DTranspose",
        {"channels": 2, "kernel_size": 2, "strides": 2, "activation": "sigmoid"},
        [(X, (1, 2, 2, 2, 3))],
        {},
    ),
    ("maxpool1d", "nn", "MaxPool1D", {}, [(X, (2, 3, 8))], {}),
    (
        "maxpool2d-ceil",
        "nn",
        "MaxPool2D",
        {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": True},
        [(X, (2, 2, 6, 6))],
        {},
    ),
    ("maxpool2d-nhwc", "nn", "MaxPool2D", {"layout": "NHWC"}, [(X, (1, 4, 4, 3))], {}),
    ("maxpool3d", "nn", "MaxPool3D", {"strides": 1}, [(X, (1, 2, 3, 3, 3))], {}),
    ("avgpool1d", "nn", "AvgPool1D", {"pool_size": 3, "padding": 1}, [(X, (2, 3, 7))], {}),
    (
        "avgpool2d-exclude-pad",
        "nn",
        "AvgPool2D",
        {"pool_size": 3, "strides": 2, "padding": 1, "count_include_pad": False},
        [(X, (2, 2, 5, 5))],
        {},
    ),
    (
        "avgpool2d-ceil",
        "nn",
        "AvgPool2D",
        {"pool_size": 2, "ceil_mode": True},
        [(X, (1, 2, 5, 5))],
        {},
    ),
    ("avgpool3d", "nn", "AvgPool3D", {}, [(X, (1, 2, 4, 4, 2))], {}),
    ("globalmaxpool1d", "nn", "GlobalMaxPool1D", {}, [(X, (2, 3, 5))], {}),
    ("globalmaxpool2d", "nn", "GlobalMaxPool2D", {}, [(X, (2, 3, 4, 5))], {}),
    ("globalmaxpool3d", "nn", "GlobalMaxPool3D", {}, [(X, (1, 2, 3, 2, 2))], {}),
    ("globalavgpool1d", "nn", "GlobalAvgPool1D", {}, [(X, (2, 3, 5))], {}),
    ("globalavgpool2d", "nn", "GlobalAvgPool2D", {}, [(X, (2, 3, 4, 5))], {}),
    ("globalavgpool3d", "nn", "GlobalAvgPool3D", {}, [(X, (1, 2, 3, 2, 2))], {}),
    ("reflectionpad2d", "nn", "ReflectionPad2D", {"padding": 1}, [(X, (1, 2, 3, 4))], {}),
    (
        "reflectionpad2d-tuple",
        "nn",
        "ReflectionPad2D",
        {"padding": (0, 0, 0, 0, 1, 2, 2, 1)},
        [(X, (1, 2, 3, 4))],
        {},
    ),
    ("identity", "contrib.nn", "Identity", {}, [(X, (2, 3))], {}),
    ("pixelshuffle1d", "contrib.nn", "PixelShuffle1D", {"factor": 2}, [(X, (1, 4, 3))], {}),
    (
        "pixelshuffle2d",
        "contrib.nn",
        "PixelShuffle2D",
        {"factor": (2, 3)},
        [(X, (1, 12, 2, 3))],
        {},
    ),
    ("pixelshuffle3d", "contrib.nn", "PixelShuffle3D", {"factor": 2}, [(X, (1, 16, 2, 1, 2))], {}),
    ("syncbatchnorm", "contrib.nn", "SyncBatchNorm", {"num_devices": 1}, [(X, (4, 3, 2))], {}),
    (
        "hybridconcurrent",
        "contrib.nn",
        "HybridConcurrent",
        {"axis": 1},
        [(X, (2, 4))],
        {"children": [("nn", "Dense", {"units": 3}), ("contrib.nn", "Identity", {})]},
    ),
    (
        "concurrent",
        "contrib.nn",
        "Concurrent",
        {"axis": -1},
        [(X, (2, 4))],
        {"children": [("nn", "Dense", {"units": 2}), ("nn", "Activation", {"activation": "relu"})]},
    ),
    (
        "hybridsequential-cnn",
        "nn",
        "HybridSequential",
        {},
        [(X, (2, 3, 6, 6))],
        {
            "children": [
                ("nn", "Conv2D", {"channels": 4, "kernel_size": 3, "padding": 1}),
                ("nn", "BatchNorm", {}),
                ("nn", "Activation", {"activation": "relu"}),
                ("nn", "MaxPool2D", {}),
                ("nn", "Flatten", {}),
                ("nn", "Dense", {"units": 5}),
            ]
        },
    ),
]

# (id, class, kwargs, inputs). An input entry None passes None (to reach a later argument).
LOSSES = [
    ("l2", "L2Loss", {}, [(X, (3, 4)), (X, (3, 4))]),
    ("l2-sample-weight", "L2Loss", {}, [(X, (3, 4)), (X, (3, 4)), ("uniform", (3, 1))]),
    ("l2-weight", "L2Loss", {"weight": 3.0}, [(X, (3, 2, 2)), (X, (3, 4))]),
    ("l1", "L1Loss", {}, [(X, (3, 4)), (X, (3, 4))]),
    (
        "l1-sample-weight",
        "L1Loss",
        {"weight": 0.5},
        [(X, (3, 4)), (X, (3, 4)), ("uniform", (3, 4))],
    ),
    ("l1-batch-axis1", "L1Loss", {"batch_axis": 1}, [(X, (3, 4)), (X, (3, 4))]),
    ("sbce", "SigmoidBinaryCrossEntropyLoss", {}, [(X, (3, 4)), ("binary", (3, 4))]),
    (
        "sbce-from-sigmoid",
        "SigmoidBCELoss",
        {"from_sigmoid": True},
        [("uniform", (3, 4)), ("binary", (3, 4)), ("uniform", (3, 1))],
    ),
    (
        "sbce-pos-weight",
        "SigmoidBCELoss",
        {"weight": 2.0},
        [(X, (3, 4)), ("binary", (3, 4)), None, ("uniform", (4,))],
    ),
    (
        "sbce-from-sigmoid-pos-weight",
        "SigmoidBCELoss",
        {"from_sigmoid": True},
        [("uniform", (3, 4)), ("binary", (3, 4)), ("uniform", (3, 1)), ("uniform", (1, 4))],
    ),
    ("softmax-ce", "SoftmaxCrossEntropyLoss", {}, [(X, (3, 5)), ("int:5", (3,))]),
    (
        "softmax-ce-sample-weight",
        "SoftmaxCELoss",
        {"weight": 2.0},
        [(X, (3, 5)), ("int:5", (3,)), ("uniform", (3, 1))],
    ),
    ("softmax-ce-dense", "SoftmaxCELoss", {"sparse_label": False}, [(X, (3, 5)), ("prob", (3, 5))]),
    ("softmax-ce-logits", "SoftmaxCELoss", {"from_logits": True}, [(X, (3, 5)), ("int:5", (3,))]),
    ("softmax-ce-axis1", "SoftmaxCELoss", {"axis": 1}, [(X, (2, 4, 3)), ("int:4", (2, 3))]),
    ("kldiv", "KLDivLoss", {}, [(X, (3, 4)), ("prob", (3, 4))]),
    (
        "kldiv-softmax",
        "KLDivLoss",
        {"from_logits": False},
        [(X, (3, 4)), ("prob", (3, 4)), ("uniform", (3, 1))],
    ),
    ("huber", "HuberLoss", {}, [(X, (3, 4)), (X, (3, 4))]),
    ("huber-rho", "HuberLoss", {"rho": 0.5}, [(X, (3, 4)), (X, (3, 4)), ("uniform", (3, 1))]),
    ("hinge", "HingeLoss", {}, [(X, (3, 4)), ("signed", (3, 4))]),
    (
        "hinge-margin",
        "HingeLoss",
        {"margin": 2, "weight": 0.5},
        [(X, (3, 4)), ("signed", (3, 4)), ("uniform", (3, 1))],
    ),
    ("squared-hinge", "SquaredHingeLoss", {}, [(X, (3, 4)), ("signed", (3, 4))]),
    (
        "squared-hinge-sw",
        "SquaredHingeLoss",
        {"margin": 0.5},
        [(X, (3, 4)), ("signed", (3, 4)), ("uniform", (3, 4))],
    ),
    ("logistic-signed", "LogisticLoss", {}, [(X, (3, 4)), ("signed", (3, 4))]),
    (
        "logistic-binary",
        "LogisticLoss",
        {"label_format": "binary"},
        [(X, (3, 4)), ("binary", (3, 4)), ("uniform", (3, 1))],
    ),
    ("triplet", "TripletLoss", {}, [(X, (3, 4)), (X, (3, 4)), (X, (3, 4))]),
    (
        "triplet-margin",
        "TripletLoss",
        {"margin": 3, "weight": 2.0},
        [(X, (3, 4)), (X, (3, 4)), (X, (3, 4))],
    ),
    ("ctc", "CTCLoss", {}, [(X, (2, 6, 4)), ("int:3", (2, 3))]),
    (
        "ctc-tnc-lengths",
        "CTCLoss",
        {"layout": "TNC", "label_layout": "TN"},
        [(X, (6, 2, 4)), ("int:3", (3, 2)), ("const:6,5", (2,)), ("const:3,2", (2,))],
    ),
    (
        "ctc-sample-weight",
        "CTCLoss",
        {"weight": 2.0},
        [(X, (2, 5, 4)), ("int:3", (2, 2)), None, None, ("uniform", (2,))],
    ),
    ("poisson", "PoissonNLLLoss", {}, [(X, (3, 4)), ("int:4", (3, 4))]),
    (
        "poisson-full",
        "PoissonNLLLoss",
        {"from_logits": False, "compute_full": True},
        [("positive", (3, 4)), ("counts", (3, 4))],
    ),
    (
        "poisson-sample-weight",
        "PoissonNLLLoss",
        {"weight": 2.0},
        [(X, (3, 4)), ("int:4", (3, 4)), ("uniform", (3, 1))],
    ),
    ("cosine", "CosineEmbeddingLoss", {}, [(X, (3, 4)), (X, (3, 4)), ("signed", (3,))]),
    (
        "cosine-margin",
        "CosineEmbeddingLoss",
        {"margin": 0.2, "weight": 2.0},
        [(X, (4, 3)), (X, (4, 3)), ("signed", (4,)), ("uniform", (4, 1))],
    ),
    ("sdml", "SDMLLoss", {}, [(X, (4, 3)), (X, (4, 3))]),
    ("sdml-smoothing", "SDMLLoss", {"smoothing_parameter": 0.1}, [(X, (3, 2)), (X, (3, 2))]),
]

# MXNet's compute_full multiplies in place, which autograd.record() refuses: inference only.
LOSS_EXTRA = {"poisson-full": {"train": False}}


def make_input(rng, kind, shape):
    """One input array of the given kind; float32 unless the kind says otherwise."""
    if kind == "normal":
        return rng.standard_normal(shape).astype(np.float32)
    if kind == "normal64":
        return rng.standard_normal(shape)
    if kind == "uniform":
        return rng.uniform(0.1, 0.9, shape).astype(np.float32)
    if kind == "positive":
        return rng.uniform(0.5, 3.0, shape).astype(np.float32)
    if kind == "signed":
        return rng.choice([-1.0, 1.0], shape).astype(np.float32)
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(np.float32)
    if kind == "prob":
        values = rng.uniform(0.1, 1.0, shape)
        return (values / values.sum(axis=-1, keepdims=True)).astype(np.float32)
    if kind == "counts":
        # Positive counts: MXNet's compute_full gives NaN for a zero target (log(0) * 0).
        return rng.integers(1, 6, shape).astype(np.float32)
    if kind.startswith("int:"):
        return rng.integers(0, int(kind[4:]), shape).astype(np.float32)
    if kind.startswith("const:"):
        return np.array([float(v) for v in kind[6:].split(",")], np.float32).reshape(shape)
    raise ValueError(kind)


def gluon_module(mx, module):
    return {"nn": mx.gluon.nn, "contrib.nn": mx.gluon.contrib.nn, "loss": mx.gluon.loss}[module]


def build(mx, module, cls, kwargs, children):
    block = getattr(gluon_module(mx, module), cls)(**kwargs)
    if children:
        with block.name_scope():
            for child_module, child_cls, child_kwargs in children:
                block.add(getattr(gluon_module(mx, child_module), child_cls)(**child_kwargs))
    return block


def to_numpy(array):
    if array.stype != "default":
        array = array.tostype("default")
    return array.asnumpy()


def run(mx, kind, module, cls, kwargs, inputs, extra, rng):
    children = extra.get("children", [])
    block = build(mx, module, cls, kwargs, children)
    arrays = [None if spec is None else make_input(rng, *spec) for spec in inputs]
    # Every real-valued input gets a gradient (labels and sample weights included: MXNet
    # differentiates them too); integer labels, indices and lengths do not.
    floating = [
        spec is not None and spec[0] in ("normal", "normal64", "uniform", "positive", "prob")
        for spec in inputs
    ]
    record = {
        "kind": kind,
        "module": module,
        "cls": cls,
        "kwargs": json.dumps(kwargs),
        "children": json.dumps(children),
        "input_names": json.dumps([None if a is None else f"in{i}" for i, a in enumerate(arrays)]),
        "grad_inputs": json.dumps([i for i, f in enumerate(floating) if f]),
        "repr": repr(block),
        "mxnet_version": mx.__version__,
    }
    for i, array in enumerate(arrays):
        if array is not None:
            record[f"in{i}"] = array
    block.initialize(mx.init.Uniform(0.5))
    nd_inputs = [None if a is None else mx.nd.array(a, dtype=a.dtype) for a in arrays]
    block(*nd_inputs)  # resolve deferred shapes (inference mode leaves running stats alone)
    params = block.collect_params()
    prefix = block.prefix
    names = list(params.keys())
    record["param_names"] = json.dumps(names)
    record["prefix"] = prefix
    for name, param in params.items():
        # Random values, positive for variances, so every parameter shows in the results.
        low, high = (0.5, 1.5) if name.endswith("running_var") else (-0.5, 0.5)
        value = mx.nd.array(rng.uniform(low, high, param.shape), dtype=param.data().dtype)
        param.set_data(value)
        record[f"param:{name[len(prefix) :]}"] = to_numpy(value)
    record["predict_out"] = block(*nd_inputs).asnumpy()
    if extra.get("train", True):
        for i in json.loads(record["grad_inputs"]):
            nd_inputs[i].attach_grad()
        with mx.autograd.record():
            out = block(*nd_inputs)
        head = rng.standard_normal(out.shape).astype(out.dtype)
        out.backward(mx.nd.array(head, dtype=head.dtype))
        record["out"] = out.asnumpy()
        record["head"] = head
        for i in json.loads(record["grad_inputs"]):
            record[f"in_grad{i}"] = nd_inputs[i].grad.asnumpy()
        for name, param in params.items():
            suffix = name[len(prefix) :]
            if param.grad_req != "null":
                record[f"param_grad:{suffix}"] = to_numpy(param.grad())
            record[f"param_after:{suffix}"] = to_numpy(param.data())
    return record


def write_cnn_params(mx, rng):
    """A small CNN saved with save_parameters, with an input and MXNet's output for it."""
    net = build(mx, "nn", "HybridSequential", {}, LAYERS[-1][5]["children"])
    net.initialize(mx.init.Xavier())
    x = make_input(rng, "normal", (2, 3, 6, 6))
    net(mx.nd.array(x))
    for name, param in net.collect_params().items():
        if "running_var" in name:
            param.set_data(mx.nd.array(rng.uniform(0.5, 1.5, param.shape)))
        elif "running_mean" in name or "beta" in name:
            param.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, param.shape)))
    net.save_parameters(str(OUTPUT / "net_cnn.params"))
    save_npz(
        OUTPUT / "net_cnn.npz",
        {"x": x, "out": net(mx.nd.array(x)).asnumpy(), "mxnet_version": mx.__version__},
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="write just the case with this id")
    args = parser.parse_args(argv)
    import mxnet as mx

    OUTPUT.mkdir(parents=True, exist_ok=True)
    cases = [("layer", m, c, k, i, e, case_id) for case_id, m, c, k, i, e in LAYERS]
    cases += [
        ("loss", "loss", c, k, i, LOSS_EXTRA.get(case_id, {}), case_id)
        for case_id, c, k, i in LOSSES
    ]
    for index, (kind, module, cls, kwargs, inputs, extra, case_id) in enumerate(cases):
        if args.only and case_id != args.only:
            continue
        rng = np.random.default_rng(1000 + index)
        mx.random.seed(1000 + index)
        prefix = "loss-" if kind == "loss" else "nn-"
        record = run(mx, kind, module, cls, kwargs, inputs, extra, rng)
        save_npz(OUTPUT / f"{prefix}{case_id}.npz", record)
    write_cnn_params(mx, np.random.default_rng(7))
    print(f"wrote {len(cases)} cases to {OUTPUT}")


if __name__ == "__main__":
    main()
