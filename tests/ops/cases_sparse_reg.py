"""Cases of IdentityAttachKLSparseReg and its backward operator (neomx/ops/nn/sparse_reg.py).

The layer is the identity; its gradient is defined (the head gradient plus a penalty) and
updates the auxiliary state moving_avg, so no numeric check applies. MXNet's ``mx.nd`` function
cannot pass moving_avg, so make_golden.py cannot record these calls: tools/
make_sparse_reg_golden.py records MXNet through a bound Symbol instead and
tests/ops/test_sparse_reg.py replays it, with the reference below.
"""

import numpy as np

from .case import GRADIENT_DEFINED, NEOMX_ONLY, Case, ErrorCase, add, add_errors

GRADIENT_DEFINED.add("IdentityAttachKLSparseReg")
# neomx's backward operator takes (ograd, data, moving_avg) and writes moving_avg.
NEOMX_ONLY.add("_backward_IdentityAttachKLSparseReg")

SPARSE_REG_DEFAULTS = {"sparseness_target": 0.1, "penalty": 0.001, "momentum": 0.9}


def sparse_reg_inputs(shape, dtype="float32", head=False):
    """Activations in (0.05, 0.95) and a moving average in (0.05, 0.5) of shape[1] units;
    with ``head``, a head gradient first (the backward operator's inputs)."""

    def make(rng):
        data = rng.uniform(0.05, 0.95, size=shape).astype(dtype)
        moving_avg = rng.uniform(0.05, 0.5, size=shape[1:2]).astype(dtype)
        if not head:
            return [data, moving_avg]
        return [rng.standard_normal(shape).astype(dtype), data, moving_avg]

    return make


def sparse_reg_step(ograd, data, moving_avg, **params):
    """One backward pass, as MXNet 1.9.1: (data gradient, moving_avg after it).

    The average runs over all axes but the last; then the penalty's gradient
    ``penalty * (-rho / m + (1 - rho) / (1 - m))`` of the updated (stored) average m is added.
    """
    p = {**SPARSE_REG_DEFAULTS, **params}
    momentum, target, penalty = (
        float(np.float32(p[k])) for k in ("momentum", "sparseness_target", "penalty")
    )
    mean = data.astype(np.float64).reshape(-1, data.shape[-1]).mean(axis=0)
    updated = (moving_avg * momentum + mean * (1 - momentum)).astype(moving_avg.dtype)
    m = updated.astype(np.float64)
    slope = penalty * (-target / m + (1 - target) / (1 - m))
    return (ograd + slope.astype(ograd.dtype)).astype(ograd.dtype), updated


def _identity(data, moving_avg):
    return data.copy()


_PARAMS = {"sparseness_target": 0.3, "penalty": 0.5, "momentum": 0.5}
add(
    "IdentityAttachKLSparseReg",
    Case(sparse_reg_inputs((4, 3)), {}, _identity, label="2d", grad=False, golden=False),
    Case(sparse_reg_inputs((5, 4)), _PARAMS, _identity, label="params", grad=False, golden=False),
    Case(sparse_reg_inputs((2, 3, 2, 3)), {}, _identity, label="4d", grad=False, golden=False),
    # As in MXNet, the forward takes any shape; only the backward needs data.shape[-1] units.
    Case(
        sparse_reg_inputs((2, 3, 5)),
        {},
        _identity,
        label="3d-forward-only",
        grad=False,
        golden=False,
    ),
    Case(
        sparse_reg_inputs((3, 2), "float64"),
        {},
        _identity,
        label="float64",
        grad=False,
        golden=False,
    ),
    Case(sparse_reg_inputs((0, 3)), {}, _identity, label="zero-size", grad=False, golden=False),
)
add_errors(
    "IdentityAttachKLSparseReg",
    ErrorCase(sparse_reg_inputs((4,)), match=r"IdentityAttachKLSparseReg.*2 axes.*\(4,\)"),
    ErrorCase(
        lambda rng: [np.full((4, 3), 0.5, "float32"), np.zeros(4, "float32")],
        match=r"IdentityAttachKLSparseReg.*moving_avg.*\(4,\).*\(3,\)",
    ),
    ErrorCase(
        lambda rng: [np.ones((4, 3), "int32"), np.zeros(3, "int32")],
        match=r"IdentityAttachKLSparseReg.*floating.*int32",
    ),
)


def _backward_reference(params):
    return lambda ograd, data, moving_avg: sparse_reg_step(ograd, data, moving_avg, **params)[0]


for _label, _shape, _params in (
    ("2d", (4, 3), {}),
    ("params", (5, 4), _PARAMS),
    ("4d", (2, 3, 2, 3), {}),
    ("one-row", (1, 2), {"momentum": 0.0}),
):
    add(
        "_backward_IdentityAttachKLSparseReg",
        Case(
            sparse_reg_inputs(_shape, head=True),
            _params,
            _backward_reference(_params),
            label=_label,
        ),
    )
add_errors(
    "_backward_IdentityAttachKLSparseReg",
    ErrorCase(
        sparse_reg_inputs((4, 3, 5), head=True),
        match=r"_backward_IdentityAttachKLSparseReg.*\(4, 3, 5\).*last.*length 5.*\(3,\)",
    ),
)
