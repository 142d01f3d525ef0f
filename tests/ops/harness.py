"""The operator harness: runs the case tables (``cases_*.py``) through neomx.

A runner computes a case's outputs one way; ``RUNNERS`` holds them all and every forward
check runs under each. Today there is the imperative ``nd`` runner.
TODO(neomx): add a "sym" runner (bind a Symbol, run the Executor) and a "hybrid" runner
(hybridized HybridBlock == imperative), issue: symbol; and second-order gradient checks for
ops that claim them, issue: autograd.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

import neomx as mx
from neomx.ndarray import NDArray
from neomx.ops import REGISTRY
from neomx.ops.params import REQUIRED
from neomx.test_utils import assert_almost_equal

from .case import CASES, ERRORS, MIXED_DTYPES_OK, RANDOM, Case


def load_tables() -> None:
    """Import every ``cases_*.py`` table next to this module (each registers its cases)."""
    for path in sorted(Path(__file__).parent.glob("cases_*.py")):
        importlib.import_module(f"{__package__}.{path.stem}")


load_tables()


def operator_names() -> list[str]:
    """Every registered operator, by its own name (aliases left out)."""
    return sorted({op.name for op in REGISTRY.values()})


def all_cases() -> list[Case]:
    return [case for name in sorted(CASES) for case in CASES[name]]


def forward_cases() -> list[Case]:
    """Cases with a numpy reference."""
    return [case for case in all_cases() if case.reference is not None]


def gradient_cases() -> list[Case]:
    """Cases of differentiable operators whose gradient is checked numerically (not random
    operators: differences of independent draws say nothing about a gradient)."""
    return [
        case
        for case in all_cases()
        if case.grad
        and REGISTRY[case.op].differentiable
        and not REGISTRY[case.op].creates
        and case.op not in RANDOM
    ]


def error_cases():
    return [error for name in sorted(ERRORS) for error in ERRORS[name]]


def first_case(op_name: str, min_inputs: int = 0):
    """The first case of an operator with a reference and at least ``min_inputs`` inputs."""
    rng = np.random.default_rng(0)
    for case in CASES.get(op_name, ()):
        if case.reference is not None and len(case.make(rng)) >= min_inputs:
            return case
    return None


def make_inputs(case: Case, seed: int) -> list[np.ndarray]:
    return case.make(np.random.default_rng(seed))


def to_nd(arrays, ctx) -> list[NDArray]:
    return [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]


def noncontiguous(array: np.ndarray, ctx) -> NDArray:
    """An NDArray over a non-contiguous view holding ``array``'s values: a transposed view
    when the last two axes allow, else every other element of a larger buffer."""
    if array.ndim >= 2 and array.shape[-1] > 1 and array.shape[-2] > 1:
        view = np.ascontiguousarray(np.swapaxes(array, -1, -2)).swapaxes(-1, -2)
    else:
        buffer = np.zeros(array.shape + (2,), dtype=array.dtype)
        buffer[..., 0] = array
        view = buffer[..., 0]
    assert array.size <= 1 or not view.flags.c_contiguous
    return NDArray._wrap(view, ctx)


def call(op_name: str, arrays, params: dict, ctx=None, out=None) -> list[NDArray]:
    """Call ``mx.nd.<op_name>`` (through the generated front end) and return a list."""
    kwargs = dict(params)
    if REGISTRY[op_name].creates and ctx is not None:
        kwargs["ctx"] = ctx
    if out is not None:
        kwargs["out"] = out
    result = getattr(mx.nd._internal, op_name)(*arrays, **kwargs)
    return result if isinstance(result, list) else [result]


def run_nd(case: Case, arrays, ctx) -> list[NDArray]:
    """The imperative runner."""
    return call(case.op, to_nd(arrays, ctx), case.params, ctx)


RUNNERS = {"nd": run_nd}


def expected(case: Case, arrays) -> list[np.ndarray]:
    want = case.reference(*arrays)
    return [np.asarray(w) for w in want] if isinstance(want, (tuple, list)) else [np.asarray(want)]


def assert_outputs(op_name: str, got, want, rtol=None, atol=None) -> None:
    """Outputs equal the reference in number, dtype, shape and values (per-dtype tolerance);
    for random operators in number, dtype and shape only."""
    assert len(got) == len(want), f"{op_name}: {len(got)} outputs, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        values = g.asnumpy() if isinstance(g, NDArray) else g
        assert values.dtype == w.dtype, f"{op_name} output {i}: dtype {values.dtype} != {w.dtype}"
        assert values.shape == w.shape, f"{op_name} output {i}: shape {values.shape} != {w.shape}"
        if op_name in RANDOM:
            continue
        assert_almost_equal(
            values,
            w,
            rtol,
            atol,
            names=(f"{op_name}[{i}]", "reference"),
            equal_nan=True,
            use_broadcast=False,
        )


def required_params(op_name: str) -> list[str]:
    """Parameters without a default, except ``num_args`` (the front end counts the inputs)."""
    fields = REGISTRY[op_name].params.fields
    return [n for n, spec in fields.items() if spec.default is REQUIRED and n != "num_args"]


# A value each parameter type rejects, by the type's class name.
BAD_VALUES = {
    "Int": "not-an-int",
    "Float": "not-a-float",
    "Bool": "maybe",
    "Shape": "not-a-shape",
    "Enum": "not-a-choice",
    "DType": "float8",
    "Ctx": "tpu(0)",
    "FloatTuple": "not-a-tuple",
}


def bad_param_values(op_name: str) -> list[tuple[str, str]]:
    """(parameter, rejected value) for every parameter whose type validates its values."""
    fields = REGISTRY[op_name].params.fields
    return [
        (name, BAD_VALUES[type(spec).__name__])
        for name, spec in fields.items()
        if type(spec).__name__ in BAD_VALUES and name != "num_args"
    ]


def mixed_dtypes_ok(op_name: str) -> bool:
    return op_name in MIXED_DTYPES_OK


def input_names(op_name: str, params: dict, count: int) -> tuple[str, ...]:
    op = REGISTRY[op_name]
    if op.variadic and "num_args" in op.params.names and "num_args" not in params:
        # The front end counts the inputs.
        params = {**params, "num_args": count}
    return op.arguments(op.params.parse(op.name, params))
