"""Every registered operator through the harness: forward vs numpy, out=, numeric gradients,
non-contiguous inputs, both engines, and the error paths."""

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.ops import REGISTRY
from neomx.test_utils import check_numeric_gradient

from . import harness
from .case import CASES, GRADIENT_DEFINED, RANDOM

FORWARD = harness.forward_cases()
GRADIENT = harness.gradient_cases()
WITH_INPUTS = [case for case in FORWARD if len(harness.make_inputs(case, 0)) > 0]
OPERATORS = harness.operator_names()
# The first case of each operator with two or more inputs (dtype and device mixing).
BINARY = [c for c in (harness.first_case(name, 2) for name in OPERATORS) if c is not None]
UNARY = [c for c in (harness.first_case(name) for name in OPERATORS) if c is not None]

# Numeric gradients: central differences in float64 (step 1e-4).
GRAD_TOL = (1e-4, 1e-6, 1e-4)


def _ids(cases):
    return [case.id for case in cases]


# ---- coverage: a new operator is tested the moment it registers ---------------------------


def test_every_operator_has_a_case():
    missing = [name for name in OPERATORS if name not in CASES]
    assert not missing, (
        f"operators without a case table: {missing}; add cases in tests/ops/cases_<family>.py"
    )


def test_every_operator_has_a_reference_case():
    missing = [name for name in OPERATORS if harness.first_case(name) is None and name in CASES]
    assert not missing, f"operators whose cases all lack a numpy reference: {missing}"


def test_every_differentiable_operator_has_a_gradient_case():
    # Random operators are exempt: no numeric gradient of a random draw exists, and
    # tests/ndarray/test_random.py checks theirs.
    checked = {case.op for case in GRADIENT}
    missing = [
        name
        for name in OPERATORS
        if REGISTRY[name].differentiable
        and not REGISTRY[name].creates
        and name not in checked
        and name not in RANDOM
        and name not in GRADIENT_DEFINED
    ]
    assert not missing, f"differentiable operators without a gradient case: {missing}"


# ---- forward ------------------------------------------------------------------------------


@pytest.mark.parametrize("runner", sorted(harness.RUNNERS))
@pytest.mark.parametrize("case", FORWARD, ids=_ids(FORWARD))
def test_forward(case, runner, ctx, engine_type, seed):
    arrays = harness.make_inputs(case, seed)
    got = harness.RUNNERS[runner](case, arrays, ctx)
    harness.assert_outputs(case.op, got, harness.expected(case, arrays))
    assert all(g.context == ctx for g in got)


@pytest.mark.parametrize("case", FORWARD, ids=_ids(FORWARD))
def test_forward_into_out(case, ctx, engine_type, seed):
    arrays = harness.make_inputs(case, seed)
    want = harness.expected(case, arrays)
    # Start from values the result must overwrite.
    outs = [mx.nd.array(np.full(w.shape, 7, dtype=w.dtype), ctx=ctx, dtype=w.dtype) for w in want]
    returned = harness.call(
        case.op,
        harness.to_nd(arrays, ctx),
        case.params,
        ctx,
        out=outs[0] if len(outs) == 1 else outs,
    )
    assert all(r is o for r, o in zip(returned, outs))
    harness.assert_outputs(case.op, outs, want)


@pytest.mark.parametrize("case", WITH_INPUTS, ids=_ids(WITH_INPUTS))
def test_noncontiguous_inputs(case, ctx, engine_type, seed):
    arrays = harness.make_inputs(case, seed)
    views = [harness.noncontiguous(a, ctx) for a in arrays]
    got = harness.call(case.op, views, case.params, ctx)
    harness.assert_outputs(case.op, got, harness.expected(case, arrays))


# ---- random operators: the harness compares shapes and dtypes; here the values -----------

RANDOM_CASES = [case for case in FORWARD if case.op in RANDOM]


@pytest.mark.parametrize("case", RANDOM_CASES, ids=_ids(RANDOM_CASES))
def test_random_draws_follow_the_seed(case, ctx, engine_type, seed):
    """The same mx.random.seed gives the same draw, also into out= arrays."""
    arrays = harness.make_inputs(case, seed)

    def draw(out=None):
        mx.random.seed(seed)
        got = harness.call(case.op, harness.to_nd(arrays, ctx), case.params, ctx, out=out)
        return [g.asnumpy() for g in got]

    first = draw()
    for again, want in zip(draw(), first):
        np.testing.assert_array_equal(again, want)
    outs = [mx.nd.zeros(w.shape, ctx=ctx, dtype=w.dtype) for w in first]
    draw(out=outs[0] if len(outs) == 1 else outs)
    for out, want in zip(outs, first):
        np.testing.assert_array_equal(out.asnumpy(), want)


# ---- gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", GRADIENT, ids=_ids(GRADIENT))
def test_numeric_gradient(case, ctx, seed):
    arrays = [
        a.astype(np.float64) if a.dtype.kind == "f" else a for a in harness.make_inputs(case, seed)
    ]
    rtol, atol, eps = case.grad_tol or GRAD_TOL
    check_numeric_gradient(
        (case.op, case.params),
        arrays,
        numeric_eps=eps,
        rtol=rtol,
        atol=atol,
        grad_nodes=case.grad_nodes,
        ctx=ctx,
        dtype=np.float64,
    )


# ---- errors -------------------------------------------------------------------------------

ERRORS = harness.error_cases()


@pytest.mark.parametrize("error", ERRORS, ids=_ids(ERRORS))
def test_error(error, ctx, engine_type, seed):
    arrays = harness.to_nd(error.make(np.random.default_rng(seed)), ctx)
    with pytest.raises(MXNetError, match=error.match):
        harness.call(error.op, arrays, error.params, ctx)[0].wait_to_read()


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
def test_unknown_parameter(case, seed):
    arrays = harness.to_nd(harness.make_inputs(case, seed), mx.cpu())
    with pytest.raises(MXNetError, match=rf"{case.op}.*unknown parameter 'not_a_param'"):
        harness.call(case.op, arrays, {**case.params, "not_a_param": 1})


MISSING = [(c, p) for c in UNARY for p in harness.required_params(c.op)]


@pytest.mark.parametrize("case,param", MISSING, ids=[f"{c.op}-{p}" for c, p in MISSING])
def test_missing_parameter(case, param, seed):
    arrays = harness.to_nd(harness.make_inputs(case, seed), mx.cpu())
    params = {k: v for k, v in case.params.items() if k != param}
    with pytest.raises(MXNetError, match=rf"{case.op}.*'{param}'"):
        harness.call(case.op, arrays, params)


BAD = [(c, p, v) for c in UNARY for p, v in harness.bad_param_values(c.op)]


@pytest.mark.parametrize("case,param,value", BAD, ids=[f"{c.op}-{p}" for c, p, _ in BAD])
def test_bad_parameter_value(case, param, value, seed):
    arrays = harness.to_nd(harness.make_inputs(case, seed), mx.cpu())
    with pytest.raises(MXNetError, match=rf"{case.op}.*'{param}'"):
        harness.call(case.op, arrays, {**case.params, param: value})


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
def test_mixed_dtypes(case, seed):
    arrays = harness.make_inputs(case, seed)
    other = "float64" if arrays[-1].dtype != np.float64 else "float32"
    changed = arrays[:-1] + [arrays[-1].astype(other)]
    mixed = harness.to_nd(changed, mx.cpu())
    if harness.mixed_dtypes_ok(case.op):
        # The reference sees the same inputs: an output may take a mixed input's dtype (the
        # weight's, for Embedding).
        harness.assert_outputs(
            case.op, harness.call(case.op, mixed, case.params), harness.expected(case, changed)
        )
        return
    last = harness.input_names(case.op, case.params, len(arrays))[-1]
    with pytest.raises(MXNetError, match=rf"{case.op}.*{last}.*{other}"):
        harness.call(case.op, mixed, case.params)


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
def test_mixed_contexts(case, seed):
    arrays = harness.make_inputs(case, seed)
    split = harness.to_nd(arrays[:-1], mx.cpu(0)) + harness.to_nd(arrays[-1:], mx.cpu(1))
    with pytest.raises(MXNetError, match=rf"{case.op}.*cpu\(0\).*cpu\(1\)"):
        harness.call(case.op, split, case.params)


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
def test_pinned_mixes_with_cpu(case, seed):
    arrays = harness.make_inputs(case, seed)
    mixed = harness.to_nd(arrays[:1], mx.cpu_pinned(0)) + harness.to_nd(arrays[1:], mx.cpu(0))
    got = harness.call(case.op, mixed, case.params)
    harness.assert_outputs(case.op, got, harness.expected(case, arrays))
    assert all(g.context == mx.cpu(0) for g in got)
