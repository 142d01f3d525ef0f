"""neomx against MXNet 1.9.1's recorded answers (tests/golden/ops, written by
tools/make_golden.py): forward outputs, errors and input gradients, per-dtype tolerances."""

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.ops import REGISTRY
from neomx.ops.gradient import input_gradients
from neomx.ops.invoke import invoke_all
from neomx.test_utils import assert_almost_equal

from . import harness
from .case import NEOMX_ONLY, RANDOM

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "ops"
FILES = sorted(GOLDEN.glob("*.npz"))

# Where neomx deliberately differs from MXNet 1.9.1 (each is listed in the report of the
# change that found it). The test fails if neomx starts to agree, so the list stays true.
_ZERO_SIZE = (
    "MXNet 1.x refuses zero-size inputs here (0 is an unknown dimension in its shape "
    "inference); neomx computes them as NumPy does, as the tensor-operator issue asks"
)
KNOWN_DIFFERENCES = {
    "transpose-negative-axes": "MXNet 1.9.1 rejects negative axes in transpose; neomx "
    "accepts them, as numpy and MXNet's later numpy interface do",
    "_zeros-zero-size": _ZERO_SIZE,
    "broadcast_add-bool": "MXNet's broadcast_add rejects bool arrays; neomx adds them as "
    "numpy does (logical or)",
    **{
        f"broadcast_{name}-zero-size": _ZERO_SIZE
        for name in ("add", "sub", "mul", "div", "mod", "power", "maximum", "minimum")
    },
    **{
        f"{name}-zero-size": _ZERO_SIZE
        for name in (
            "squeeze", "SwapAxis", "reverse", "repeat", "Pad", "depth_to_space",
            "space_to_depth", "diag", "pick", "where", "broadcast_axis", "amp_cast",
            "amp_multicast",
        )
    },
    **{
        f"{name}-negative-axis": f"MXNet 1.9.1 rejects negative axes in {name}; neomx "
        "accepts them, as numpy does"
        for name in ("reverse", "broadcast_axis")
    },
    **{
        f"{name}-zero-size": _ZERO_SIZE
        for name in (
            "sum", "mean", "prod", "nansum", "nanprod", "max", "min", "norm", "moments",
            "argmax", "argmin", "argsort", "sort", "topk", "broadcast_hypot", "add_n",
            "smooth_l1",
        )
    },
    **{
        f"{name}-empty-reduction": _ZERO_SIZE
        for name in ("sum", "mean", "prod", "nansum", "nanprod")
    },
    **{
        f"{name}-zeros": f"MXNet 1.9.1's {name} gradient divides the product by x, giving NaN "
        "at zeros; neomx gives the product of the other elements there"
        for name in ("prod", "nanprod")
    },
    "norm-zero-norm": "MXNet 1.9.1's L2 norm gradient x / norm is NaN where the norm is 0; "
    "neomx gives 0 there",
    "broadcast_hypot-zeros": "MXNet 1.9.1's hypot gradient x / hypot is NaN where both "
    "arguments are 0; neomx gives 0 there",
    "_hypot_scalar-zeros": "MXNet 1.9.1's hypot gradient x / hypot is NaN where both "
    "arguments are 0; neomx gives 0 there",
    "norm-int32": "MXNet 1.9.1 computes integer L2 norms with a scaled algorithm that "
    "truncates every step (4 for the norm of [1, -2, 2, 3, 0, -4]); neomx computes in float64 "
    "and truncates once (5)",
    "norm-out-dtype": "MXNet 1.9.1's norm fails at run time whenever out_dtype differs from "
    "the input dtype (its shape inference gives out_dtype); neomx returns out_dtype",
    **{
        f"{name}-float16": f"MXNet 1.9.1's {name} refuses float16; neomx sorts it"
        for name in ("sort", "argsort")
    },
    **{
        f"{name}-{label}": "MXNet 1.9.1's sorts compare NaN as neither smaller nor larger and "
        "leave it at arbitrary places; neomx orders NaN as the largest value, as argmax does"
        for name, label in (
            ("sort", "nan"), ("sort", "nan-descending"), ("argsort", "nan"),
            ("argsort", "nan-descending"), ("topk", "nan"), ("topk", "nan-ascending"),
        )
    },
    **{
        f"Pooling-{kind}-same-1d": "MXNet 1.9.1's parameter check reads pad[1] and pad[2] of "
        "a 1-D pad, so every 1-D pooling_convention='same' call fails; neomx pools as MXNet's "
        "kernels would (ceil(width / stride) windows, the last ones cut at the end)"
        for kind in ("max", "avg")
    },
    "Pooling-avg-full-float32": "MXNet 1.9.1's float32 (oneDNN) backward of 'full' average "
    "pooling divides a window cut at the data's end by the whole kernel, while its forward "
    "divides by the part inside; neomx's gradient is that of its forward (as MXNet's float64)",
    **{
        f"fill_element_0index-{dtype}": "MXNet 1.9.1's fill_element_0index reads its inputs "
        f"as float32 whatever their dtype and fails on {dtype}; neomx fills any dtype"
        for dtype in ("float64", "int32")
    },
    **{
        f"_contrib_{name}-float64-mxnet": f"MXNet 1.9.1 runs {name} only on float32 on the "
        "CPU; neomx also computes float16 and float64"
        for name in (
            "MultiBoxPrior", "MultiBoxTarget", "MultiBoxDetection",
            "interleaved_matmul_selfatt_qk",
        )
    },
    "LeakyReLU-selu": "MXNet 1.9.1's selu gradient below 0 is scale * (y + alpha), y the "
    "already scaled output; neomx gives the derivative scale * alpha * exp(x) = y + scale * alpha",
    "LeakyReLU-selu-float64": "MXNet 1.9.1's selu gradient below 0 is scale * (y + alpha); "
    "neomx gives the derivative y + scale * alpha",
    "SoftmaxActivation-instance-3d": "MXNet 1.9.1's SoftmaxActivation backward reduces along "
    "axis 1 while its instance-mode forward runs along the last axis; neomx's gradient is that "
    "of its forward",
    "SoftmaxActivation-float64": "MXNet 1.9.1's SoftmaxActivation fails on float64 on the CPU; "
    "neomx computes it",
    "CTCLoss-float64": "MXNet 1.9.1's CTCLoss fails on float64 on the CPU; neomx computes it",
    "Crop-float64": "MXNet 1.9.1's Crop takes only float32; neomx crops any dtype",
    "_image_flip_left_right-uint8": "MXNet 1.9.1's image flip kernel scrambles the pixels "
    "(and leaves some zero); neomx mirrors the image",
    "_image_flip_top_bottom-uint8-5x2": "MXNet 1.9.1's image flip kernel scrambles the pixels "
    "of some shapes (and leaves some zero); neomx flips the image",
    "_image_random_saturation-uint8": "MXNet 1.9.1's saturation kernel blends RGB pixels with "
    "0.114 * blue instead of their grey level; neomx blends with the grey level, as MXNet "
    "documents",
    "_image_random_hue-one-channel": "MXNet 1.9.1's hue kernel returns zeros for one-channel "
    "images; neomx returns a grey image unchanged (it has no hue)",
}


def _load(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _indexed(record, prefix):
    values = []
    while f"{prefix}{len(values)}" in record:
        values.append(record[f"{prefix}{len(values)}"])
    return values


def _marks(path):
    reason = KNOWN_DIFFERENCES.get(path.stem)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


CASES = [pytest.param(path, id=path.stem, marks=_marks(path)) for path in FILES]


def test_golden_files_match_the_case_tables():
    """Every golden case has a file and every file a case: else rerun tools/make_golden.py."""
    wanted = {c.id for c in harness.all_cases() if c.golden and c.op not in NEOMX_ONLY}
    have = {path.stem for path in FILES}
    assert not wanted - have, f"missing golden files (run tools/make_golden.py): {wanted - have}"
    assert not have - wanted, f"golden files without a case: {have - wanted}"


@pytest.mark.parametrize("path", CASES)
def test_golden(path):
    record = _load(path)
    op_name = str(record["op"])
    params = json.loads(str(record["params"]))
    inputs = harness.to_nd(_indexed(record, "in"), mx.cpu())
    if "error" in record:
        with pytest.raises(MXNetError):
            harness.call(op_name, inputs, params)[0].wait_to_read()
        return
    outputs = harness.call(op_name, inputs, params)
    harness.assert_outputs(op_name, outputs, _indexed(record, "out"))
    heads = _indexed(record, "head")
    # MXNet's gradients of a random operator belong to its own draws (test_random.py checks
    # neomx's); assert_outputs compared only the shapes and dtypes of those draws.
    if not heads or op_name in RANDOM:
        return
    op = REGISTRY[op_name]
    if op.variadic and "num_args" in op.params.names:
        params = {"num_args": len(inputs), **params}
    parsed = op.params.parse(op.name, params)
    # The gradient also reads hidden outputs (a dropout mask), which get no head gradient.
    outputs = invoke_all(op, inputs, parsed)
    dys = [mx.nd.array(h, dtype=h.dtype) for h in heads] + [None] * (len(outputs) - len(heads))
    grads = input_gradients(op, parsed, inputs, outputs, dys, mx.nd)
    for i, grad in enumerate(grads):
        if f"grad{i}" not in record:
            continue
        want = record[f"grad{i}"]
        got = np.zeros(want.shape, want.dtype) if grad is None else grad.asnumpy()
        assert got.dtype == want.dtype, f"{op_name} grad{i}: dtype {got.dtype} != {want.dtype}"
        assert_almost_equal(
            got, want, names=(f"{op_name} grad{i}", "mxnet"), equal_nan=True, use_broadcast=False
        )
