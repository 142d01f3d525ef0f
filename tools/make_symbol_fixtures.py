"""Write the symbol JSON fixtures of tests/symbol/test_json.py with real MXNet 1.9.1.

Run with the MXNet venv: ``/opt/mxvenv/bin/python tools/make_symbol_fixtures.py``. Output goes
to tests/fixtures/symbol/:

json_cases.json
    {case: {"json": MXNet's tojson(), "arguments", "outputs", "auxiliary_states"}} for each
    builder in json_cases.py (built inside a fresh NameManager); cases in KEEP_AMP also have
    "json_keep_amp" = tojson(remove_amp_cast=False).
legacy.json
    {case: {"source": hand-written JSON in an older MXNet layout, "json": MXNet's tojson()
    after load_json(source), "arguments", "outputs", "auxiliary_states", "attr_dict"}}.
<model>-symbol.json, <model>-0000.params
    mx.model.save_checkpoint of the models ``mlp``, ``lenet`` and ``resnet`` (small random
    parameters, nonzero moving statistics).
<model>-io.npz
    One batch through MXNet's executor (simple_bind on cpu, grad_req="write"), float32:
    ``data``, ``softmax_label`` (the inputs); ``predict:<output>`` (forward(is_train=False));
    ``train:<output>`` (forward(is_train=True)); ``grad:<argument>`` for every argument, data
    and label included (backward() after the training forward); ``aux:<name>`` the auxiliary
    states after the training forward. ``<output>`` is a list_outputs() name, e.g.
    ``softmax_output``. Parameters are in the .params file (``arg:``/``aux:`` keys).
ops_sweep.json.gz
    {operator: {"kwargs", "json"}}: ``mx.sym.<operator>(name="n", **kwargs)`` for every
    operator MXNet can build from parameters alone (required parameters taken from a table of
    guesses), with all inputs left to implicit variables; gzip-compressed JSON.
models.json
    {model: {"arguments", "outputs", "auxiliary_states", "input_shapes" ({name: shape}),
    "arg_shapes", "out_shapes", "aux_shapes" (infer_shape(**input_shapes)), "params" (the
    keys of the .params file)}}.

The inputs are kept small (MLP on 64 features, LeNet on 1x16x16, batch 2) so that all files
together stay around half a megabyte.
"""

from __future__ import annotations

import ctypes
import gzip
import importlib.util
import json
import os
import re
import sys

import mxnet as mx
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "symbol")


def load_cases():
    path = os.path.join(OUT, "json_cases.py")
    spec = importlib.util.spec_from_file_location("json_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def describe(sym):
    return {
        "arguments": sym.list_arguments(),
        "outputs": sym.list_outputs(),
        "auxiliary_states": sym.list_auxiliary_states(),
    }


def write_json_cases(cases):
    table = {}
    for name, build in cases.CASES.items():
        with mx.name.NameManager():
            sym = build(mx)
        entry = {"json": sym.tojson(), **describe(sym)}
        if name in cases.KEEP_AMP:
            entry["json_keep_amp"] = sym.tojson(remove_amp_cast=False)
        table[name] = entry
    dump(table, "json_cases.json")


# ---- older layouts ----------------------------------------------------------------------


def v08_node(op, name, inputs, param=None, attr=None):
    """A node as MXNet 0.8 wrote it: "param" and "attr", 2-element entries."""
    node = {"op": op, "param": param or {}, "name": name, "inputs": inputs}
    node["backward_source_id"] = -1
    if attr:
        node["attr"] = attr
    return node


def legacy_sources():
    conv = {
        "cudnn_tune": "off",
        "dilate": "(1,1)",
        "kernel": "(3,3)",
        "no_bias": "False",
        "num_filter": "4",
        "num_group": "1",
        "pad": "(1,1)",
        "stride": "(1,1)",
        "workspace": "512",
    }
    v08 = {
        "nodes": [
            v08_node("null", "data", [], attr={"ctx_group": "stage1"}),
            v08_node("null", "conv1_weight", [], attr={"lr_mult": "2.0", "wd_mult": "0.0"}),
            v08_node("null", "conv1_bias", []),
            v08_node("Convolution", "conv1", [[0, 0], [1, 0], [2, 0]], conv, {"bias_lr_mult": "3"}),
            v08_node("null", "bn1_gamma", []),
            v08_node("null", "bn1_beta", []),
            # Before 0.9 the moving statistics were not stored: the upgrade adds them.
            v08_node(
                "BatchNorm",
                "bn1",
                [[3, 0], [4, 0], [5, 0]],
                {
                    "eps": "0.001",
                    "fix_gamma": "True",
                    "momentum": "0.9",
                    "use_global_stats": "False",
                },
                {"ctx_group": "stage1"},
            ),
            v08_node("Activation", "relu1", [[6, 0]], {"act_type": "relu"}),
            v08_node(
                "Pooling",
                "pool1",
                [[7, 0]],
                {"kernel": "(2,2)", "pad": "(0,0)", "pool_type": "avg", "stride": "(2,2)"},
            ),
            v08_node("_MulScalar", "_mulscalar0", [[8, 0]], {"scalar": "2"}),
            v08_node("ElementWiseSum", "sum0", [[8, 0], [9, 0]], {"num_args": "2"}),
            v08_node("Flatten", "flatten0", [[10, 0]]),
            v08_node("null", "fc1_weight", []),
            v08_node("null", "fc1_bias", []),
            v08_node(
                "FullyConnected",
                "fc1",
                [[11, 0], [12, 0], [13, 0]],
                {"no_bias": "False", "num_hidden": "10"},
                {"weight_lr_mult": "0.5", "wd_mult": "0.1"},
            ),
            v08_node("null", "softmax_label", []),
            v08_node(
                "SoftmaxOutput",
                "softmax",
                [[14, 0], [15, 0]],
                {
                    "grad_scale": "1",
                    "ignore_label": "-1",
                    "multi_output": "False",
                    "use_ignore": "False",
                },
            ),
        ],
        "arg_nodes": [0, 1, 2, 4, 5, 12, 13, 15],
        "heads": [[16, 0]],
    }
    v093 = {
        "nodes": [
            {"op": "null", "name": "x", "inputs": []},
            {"op": "null", "name": "bn_gamma", "inputs": []},
            {"op": "null", "name": "bn_beta", "inputs": []},
            {"op": "null", "name": "bn_moving_mean", "inputs": []},
            {"op": "null", "name": "bn_moving_var", "inputs": []},
            {
                "op": "BatchNorm",
                "name": "bn",
                "attr": {"fix_gamma": "False"},
                "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 1], [4, 0, 1]],
            },
            {"op": "argmax", "name": "am", "attr": {"axis": "-1"}, "inputs": [[5, 0, 0]]},
            {"op": "argmin", "name": "an", "attr": {"axis": "1"}, "inputs": [[5, 0, 0]]},
            {"op": "_Plus", "name": "_plus0", "inputs": [[6, 0, 0], [7, 0, 0]]},
            {"op": "_Not_Equal", "name": "ne", "inputs": [[8, 0, 0], [0, 0, 0]]},
            {"op": "_Greater_Equal", "name": "ge", "inputs": [[8, 0, 0], [0, 0, 0]]},
        ],
        "arg_nodes": [0, 1, 2, 3, 4],
        "node_row_ptr": [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13],
        "heads": [[9, 0, 0], [10, 0, 0], [5, 1, 0]],
        "attrs": {"mxnet_version": ["int", 903]},
    }
    v100 = {
        "nodes": [
            {"op": "null", "name": "data", "attrs": {"lr_mult": "0.5"}, "inputs": []},
            {"op": "null", "name": "w", "inputs": []},
            {
                "op": "FullyConnected",
                "name": "fc",
                "attrs": {
                    "num_hidden": "3",
                    "no_bias": "True",
                    "weight_wd_mult": "0.25",
                    "ctx_group": "dev2",
                    "lr_mult": "0.3",
                },
                "inputs": [[0, 0, 0], [1, 0, 0]],
            },
        ],
        "arg_nodes": [0, 1],
        "node_row_ptr": [0, 1, 2, 3],
        "heads": [[2, 0, 0]],
        "attrs": {"mxnet_version": ["int", 10000]},
    }
    # 1.9.1's layout without node_row_ptr, 2-element entries, and the keys in another order.
    minimal = {
        "heads": [[2, 0]],
        "arg_nodes": [0, 1],
        "nodes": [
            {"name": "a", "op": "null", "inputs": []},
            {"name": "b", "op": "null", "inputs": [], "attrs": {"__shape__": "(2, 3)"}},
            {"inputs": [[0, 0], [1, 0]], "name": "add", "op": "elemwise_add"},
        ],
        "attrs": {"mxnet_version": ["int", 10901]},
    }
    return {
        "v0.8.0": json.dumps(v08, indent=2),
        "v0.9.3": json.dumps(v093, indent=2),
        "v1.0.0": json.dumps(v100, indent=2),
        "minimal_v1.9.1": json.dumps(minimal),
    }


def write_legacy():
    table = {}
    for name, source in legacy_sources().items():
        sym = mx.sym.load_json(source)
        table[name] = {
            "source": source,
            "json": sym.tojson(),
            **describe(sym),
            "attr_dict": sym.attr_dict(),
        }
    dump(table, "legacy.json")


# ---- one node per operator ----------------------------------------------------------------

# Operator families left out of the sweep: backward, NumPy-interface, subgraph/quantization
# (some of them crash MXNet when built without inputs).
SWEEP_SKIP_PREFIXES = (
    "_backward",
    "_np",
    "_sg_",
    "_image",
    "_contrib_quantize",
    "_contrib_intgemm",
    "_contrib_mrcnn",
    "_contrib_dgl",
    "_contrib_calibrate",
    "_contrib_requantize",
    "_contrib_dequantize",
)
SWEEP_GUESSES = {
    "num_hidden": 2, "kernel": (1, 1), "num_filter": 2, "key": "k", "scale": 2,
    "sample_type": "nearest", "shape": (2,), "state_size": 2, "num_layers": 1, "mode": "lstm",
    "input_dim": 2, "output_dim": 2, "num_outputs": 2, "act_type": "relu",
    "pooled_size": (1, 1), "spatial_scale": 1.0, "depth": 2, "axis": 0,
    "transform_type": "affine", "sampler_type": "bilinear", "k": 1, "scalar": 1.5,
    "reps": (2,), "repeats": 2, "dtype": "float32", "lhs_begin": 0, "size": (2, 2),
    "a_min": 0.0, "a_max": 1.0, "begin": (0,), "end": (1,), "target_shape": (2, 2),
    "block_size": 2, "lr": 0.1, "sizes": (1.0,), "ratios": (1.0,), "max_displacement": 1,
    "output_size": 2, "num_group": 1, "stop": 3.0, "start": 0.0, "num": 3, "N": 2,
    "height": 2, "width": 2, "indices": (1,), "sections": 2, "op_type": "x",
    "lower_bound": 0.0, "upper_bound": 1.0,
}  # fmt: skip


def canonical_op_names():
    """MXNet's canonical operator names (aliases resolved through the C API)."""
    from mxnet.base import _LIB, check_call, py_str

    size, names = ctypes.c_uint(), ctypes.POINTER(ctypes.c_char_p)()
    check_call(_LIB.MXListAllOpNames(ctypes.byref(size), ctypes.byref(names)))
    # Copy the names first: NNGetOpInfo reuses the buffer they are returned in.
    all_names = [names[i] for i in range(size.value)]
    canonical = set()
    for name in all_names:
        handle, real = ctypes.c_void_p(), ctypes.c_char_p()
        check_call(_LIB.NNGetOpHandle(name, ctypes.byref(handle)))
        info = [ctypes.c_char_p(), ctypes.c_uint(), ctypes.POINTER(ctypes.c_char_p)()]
        more = [ctypes.POINTER(ctypes.c_char_p)(), ctypes.POINTER(ctypes.c_char_p)()]
        check_call(
            _LIB.NNGetOpInfo(
                handle,
                ctypes.byref(real),
                ctypes.byref(info[0]),
                ctypes.byref(info[1]),
                ctypes.byref(info[2]),
                ctypes.byref(more[0]),
                ctypes.byref(more[1]),
                ctypes.byref(ctypes.c_char_p()),
            )
        )
        canonical.add(py_str(real.value))
    return sorted(canonical)


def build_one(function):
    """Build ``function(name="n")``, adding guessed required parameters; (kwargs, Symbol)."""
    kwargs = {}
    for _ in range(40):
        try:
            with mx.name.NameManager():
                return kwargs, function(name="n", **kwargs)
        except mx.base.MXNetError as err:
            message = str(err)
            required = re.search(r"Required parameter (\w+) of", message)
            if required and required.group(1) in SWEEP_GUESSES and required.group(1) not in kwargs:
                kwargs[required.group(1)] = SWEEP_GUESSES[required.group(1)]
                continue
            unknown = re.search(r"Cannot find argument '(\w+)'", message)
            if unknown and unknown.group(1) in kwargs:
                del kwargs[unknown.group(1)]
                continue
            return None
        except Exception:  # noqa: BLE001 - Python-side validation of the guesses
            return None
    return None


def write_op_sweep():
    table = {}
    for name in canonical_op_names():
        if name.startswith(SWEEP_SKIP_PREFIXES) or "quantized" in name or "mkldnn" in name:
            continue
        function = (
            getattr(mx.sym._internal, name, None)
            or getattr(mx.sym.op, name, None)
            or getattr(mx.sym.contrib, name.replace("_contrib_", ""), None)
        )
        built = build_one(function) if function is not None else None
        if built is None:
            continue
        kwargs, sym = built
        table[name] = {"kwargs": kwargs, "json": sym.tojson()}
    with gzip.open(os.path.join(OUT, "ops_sweep.json.gz"), "wt", encoding="utf-8") as stream:
        json.dump(table, stream, sort_keys=True)


# ---- models -----------------------------------------------------------------------------


def mlp():
    data = mx.sym.var("data")
    h = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    h = mx.sym.FullyConnected(h, num_hidden=64, name="fc2")
    h = mx.sym.Activation(h, act_type="relu", name="relu2")
    h = mx.sym.FullyConnected(h, num_hidden=10, name="fc3")
    return mx.sym.SoftmaxOutput(h, name="softmax"), (2, 64)


def lenet():
    data = mx.sym.var("data")
    h = mx.sym.Convolution(data, kernel=(5, 5), num_filter=20, name="conv1")
    h = mx.sym.Activation(h, act_type="tanh", name="tanh1")
    h = mx.sym.Pooling(h, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool1")
    h = mx.sym.Convolution(h, kernel=(5, 5), num_filter=50, name="conv2")
    h = mx.sym.Activation(h, act_type="tanh", name="tanh2")
    h = mx.sym.Pooling(h, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool2")
    h = mx.sym.Flatten(h, name="flatten")
    h = mx.sym.FullyConnected(h, num_hidden=500, name="fc1")
    h = mx.sym.Activation(h, act_type="tanh", name="tanh3")
    h = mx.sym.FullyConnected(h, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(h, name="softmax"), (2, 1, 16, 16)


def conv_bn(x, name, channels, kernel=(3, 3), pad=(1, 1), relu=True):
    h = mx.sym.Convolution(
        x, kernel=kernel, pad=pad, num_filter=channels, no_bias=True, name=f"{name}_conv"
    )
    h = mx.sym.BatchNorm(h, fix_gamma=False, eps=2e-5, momentum=0.9, name=f"{name}_bn")
    return mx.sym.Activation(h, act_type="relu", name=f"{name}_relu") if relu else h


def resnet():
    data = mx.sym.var("data")
    stem = conv_bn(data, "stem", 8)
    body = conv_bn(stem, "unit1a", 8)
    body = conv_bn(body, "unit1b", 8, relu=False)
    h = mx.sym.elemwise_add(body, stem, name="unit1_sum")
    h = mx.sym.Activation(h, act_type="relu", name="unit1_relu")
    h = mx.sym.Pooling(h, global_pool=True, kernel=(1, 1), pool_type="avg", name="pool")
    h = mx.sym.Flatten(h, name="flatten")
    h = mx.sym.FullyConnected(h, num_hidden=10, name="fc")
    return mx.sym.SoftmaxOutput(h, name="softmax"), (2, 3, 8, 8)


def random_params(sym, shapes, rng):
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    args, auxs = {}, {}
    for name, shape in zip(sym.list_arguments(), arg_shapes):
        if name in shapes:
            continue
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        scale = 1.0 / np.sqrt(fan_in) if name.endswith("weight") else 0.1
        value = rng.normal(0, scale, shape)
        if name.endswith("gamma"):
            value = 1.0 + 0.1 * rng.normal(size=shape)
        args[name] = mx.nd.array(value.astype(np.float32))
    for name, shape in zip(sym.list_auxiliary_states(), aux_shapes):
        if name.endswith("moving_var"):
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0, 0.2, shape)
        auxs[name] = mx.nd.array(value.astype(np.float32))
    return args, auxs


def write_model(name, build, rng):
    sym, data_shape = build()
    prefix = os.path.join(OUT, name)
    shapes = {"data": data_shape, "softmax_label": (data_shape[0],)}
    args, auxs = random_params(sym, shapes, rng)
    mx.model.save_checkpoint(prefix, 0, sym, args, auxs)
    data = rng.normal(size=data_shape).astype(np.float32)
    label = rng.integers(0, 10, size=(data_shape[0],)).astype(np.float32)

    exe = sym.simple_bind(mx.cpu(), grad_req="write", **shapes)
    for key, value in args.items():
        value.copyto(exe.arg_dict[key])
    for key, value in auxs.items():
        value.copyto(exe.aux_dict[key])
    exe.arg_dict["data"][:] = data
    exe.arg_dict["softmax_label"][:] = label
    arrays = {"data": data, "softmax_label": label}
    outputs = sym.list_outputs()
    exe.forward(is_train=False)
    arrays.update({f"predict:{o}": v.asnumpy() for o, v in zip(outputs, exe.outputs)})
    exe.forward(is_train=True)
    arrays.update({f"train:{o}": v.asnumpy() for o, v in zip(outputs, exe.outputs)})
    exe.backward()
    arrays.update({f"grad:{k}": v.asnumpy() for k, v in exe.grad_dict.items()})
    arrays.update({f"aux:{k}": v.asnumpy() for k, v in exe.aux_dict.items()})
    np.savez(prefix + "-io.npz", **arrays)

    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
    saved = mx.nd.load(prefix + "-0000.params")
    return {
        **describe(sym),
        "input_shapes": shapes,
        "arg_shapes": arg_shapes,
        "out_shapes": out_shapes,
        "aux_shapes": aux_shapes,
        "params": sorted(saved),
    }


def dump(table, filename):
    with open(os.path.join(OUT, filename), "w", encoding="utf-8") as stream:
        json.dump(table, stream, indent=1, sort_keys=True, ensure_ascii=False)
        stream.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = load_cases()
    write_json_cases(cases)
    write_legacy()
    write_op_sweep()
    rng = np.random.default_rng(20240601)
    models = {name: write_model(name, build, rng) for name, build in MODELS.items()}
    dump(models, "models.json")
    print(f"wrote fixtures to {OUT}", file=sys.stderr)


MODELS = {"mlp": mlp, "lenet": lenet, "resnet": resnet}

if __name__ == "__main__":
    main()
