"""Every differentiable operator through autograd: record the nd call, backward with a random
head gradient, compare with central differences. The cases are the operator harness's
(tests/ops/cases_*.py), so a new operator is covered the moment it has a case. Unlike the
harness's own gradient check, this goes through the tape: what ``Op.saves`` keeps, hidden
outputs and the reduction of broadcast gradients."""

import numpy as np
import pytest
from ops import harness

from neomx.ops import REGISTRY
from neomx.test_utils import check_numeric_gradient

CASES = harness.gradient_cases()
# Central differences in float64 (step 1e-4), as in the harness.
GRAD_TOL = (1e-4, 1e-6, 1e-4)


def _recorded_call(case, names):
    """The nd call of the case as a function of its inputs by name (grad_nodes uses them)."""

    def call(**inputs):
        return harness.call(case.op, [inputs[name] for name in names], case.params)

    call.__name__ = case.op
    return call


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_autograd_matches_numeric_gradient(case, ctx, seed):
    arrays = [
        a.astype(np.float64) if a.dtype.kind == "f" else a for a in harness.make_inputs(case, seed)
    ]
    names = harness.input_names(case.op, case.params, len(arrays))
    rtol, atol, eps = case.grad_tol or GRAD_TOL
    grad_nodes = case.grad_nodes
    states = REGISTRY[case.op].auxiliary
    if grad_nodes is None and states:
        # Auxiliary states (BatchNorm's moving statistics) are written by the call: like
        # Gluon's aux parameters (grad_req 'null') they carry no gradient buffer.
        grad_nodes = [n for n, a in zip(names, arrays) if a.dtype.kind == "f" and n not in states]
    check_numeric_gradient(
        _recorded_call(case, names),
        dict(zip(names, arrays)),
        numeric_eps=eps,
        rtol=rtol,
        atol=atol,
        grad_nodes=grad_nodes,
        ctx=ctx,
        dtype=np.float64,
    )
