"""Gradients of the linalg operators beyond the harness: the symmetric gradients of potrf and
syevd, MXNet's values where a gradient is undefined, and second derivatives of the gradients
built from registered operators."""

import numpy as np
import pytest

import neomx as mx
from neomx import autograd
from neomx.base import MXNetError
from neomx.test_utils import assert_almost_equal, check_numeric_gradient

from .cases_la import triangular
from .cases_la_factor import cholesky_factors, conditioned, spd, spread_symmetric

# float64 central differences (step 1e-5), for first and second derivatives.
TOLERANCES = {"rtol": 1e-5, "atol": 1e-8, "numeric_eps": 1e-5, "dtype": np.float64}


def _symmetrized(x):
    """(X + X^T) / 2: a symmetric matrix whose every element moves with X."""
    ndim = len(x.shape)
    return (x + mx.nd.swapaxes(x, dim1=ndim - 2, dim2=ndim - 1)) * 0.5


def _values(make, seed):
    return make(np.random.default_rng(seed))[0].astype(np.float64)


# ---- potrf and syevd read the lower triangle; their gradient is symmetric ------------------

SYMMETRIC_INPUTS = {
    "potrf": lambda shape: spd(*shape),
    "syevd": lambda shape: spread_symmetric(*shape),
}


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(SYMMETRIC_INPUTS))
def test_symmetric_gradient_matches_symmetric_differences(name, shape, seed):
    """Through (X + X^T) / 2 each element of X moves A symmetrically: the numeric gradient
    w.r.t. X is the derivative along symmetric perturbations, which MXNet returns."""
    function = getattr(mx.nd.linalg, name)
    values = _values(SYMMETRIC_INPUTS[name](shape), seed)
    check_numeric_gradient(lambda x: function(_symmetrized(x)), [values], **TOLERANCES)


@pytest.mark.parametrize("name", sorted(SYMMETRIC_INPUTS))
def test_symmetric_gradient_is_symmetric(name, seed):
    values = _values(SYMMETRIC_INPUTS[name]((2, 3, 3)), seed)
    a = mx.nd.array(values, dtype="float64")
    a.attach_grad()
    with autograd.record():
        outputs = getattr(mx.nd.linalg, name)(a)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    heads = [mx.nd.array(np.random.normal(size=o.shape), dtype="float64") for o in outputs]
    autograd.backward(outputs, heads)
    grad = a.grad.asnumpy()
    assert_almost_equal(grad, np.swapaxes(grad, -1, -2), rtol=1e-10, atol=1e-12)


# ---- where the gradient is undefined: MXNet's values ---------------------------------------


@pytest.mark.parametrize("dtype,gap", [("float64", 1e-100), ("float32", 1e-30)])
def test_syevd_gradient_at_equal_eigenvalues_keeps_the_gap(dtype, gap):
    """MXNet divides by max(|lambda_i - lambda_j|, 1e-100) (1e-30 in float32)."""
    a = mx.nd.array(np.diag([2.0, 2.0, 5.0]), dtype=dtype)
    head_u = np.arange(9.0).reshape(3, 3)
    a.attach_grad()
    with autograd.record():
        u, values = mx.nd.linalg.syevd(a)
    autograd.backward([u, values], [mx.nd.array(head_u, dtype=dtype), mx.nd.ones(3, dtype=dtype)])
    # U = I, so T = dU U^T = head_u; the (0, 1) entry is (T01 - T10) / (2 (l0 - l1)).
    expected = (head_u[0, 1] - head_u[1, 0]) / (2 * -gap)
    assert_almost_equal(a.grad.asnumpy()[[0, 1], [1, 0]], np.full(2, expected), rtol=1e-6)


@pytest.mark.parametrize("name", ["det", "slogdet"])
@pytest.mark.parametrize(
    "matrix", [[[1.0, 2.0], [2.0, 4.0]], [[0.0]], [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0, 1, 0]]]
)
def test_determinant_gradient_is_zero_at_singular_matrices(name, matrix):
    a = mx.nd.array(matrix, dtype="float64")
    a.attach_grad()
    with autograd.record():
        outputs = getattr(mx.nd.linalg, name)(a)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    autograd.backward(outputs, [mx.nd.ones(o.shape, dtype="float64") for o in outputs])
    assert np.all(a.grad.asnumpy() == 0)


def test_determinant_gradient_mixes_singular_and_regular_matrices():
    regular = np.array([[2.0, 1.0], [1.0, 3.0]])
    a = mx.nd.array(np.stack([np.zeros((2, 2)), regular]), dtype="float64")
    a.attach_grad()
    with autograd.record():
        det = mx.nd.linalg.det(a)
    det.backward()
    assert_almost_equal(a.grad.asnumpy()[0], np.zeros((2, 2)))
    assert_almost_equal(a.grad.asnumpy()[1], 5.0 * np.linalg.inv(regular).T, rtol=1e-12)


# ---- second derivatives: the gradients are registered operators ----------------------------


def _first_gradient(function):
    """x_0, ... -> d/dx_0 sum(h * f(x_0, ...)) for a fixed random head h, recorded with
    create_graph=True so that it differentiates again."""
    heads = {}

    def gradient(*inputs):
        for x in inputs:
            if x.grad is None:
                x.attach_grad()
        with autograd.record():
            outputs = function(*inputs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for i, out in enumerate(outputs):
            heads.setdefault(i, np.random.default_rng(i).normal(size=out.shape))
        head_grads = [mx.nd.array(heads[i], dtype=out.dtype) for i, out in enumerate(outputs)]
        return autograd.grad(outputs, [inputs[0]], head_grads, create_graph=True)[0]

    return gradient


L = mx.nd.linalg
SECOND_ORDER = {
    "gemm2": (lambda a, b: L.gemm2(a, b, transpose_b=True, alpha=2.0), "general-2"),
    "gemm": (lambda a, b, c: L.gemm(a, b, c, transpose_a=True, beta=3.0), "general-3"),
    "trmm": (lambda a, b: L.trmm(a, b, rightside=True, lower=False), "triangular-upper"),
    "trsm": (lambda a, b: L.trsm(a, b, transpose=True, alpha=0.5), "triangular-lower"),
    "syrk": (lambda a: L.syrk(a, transpose=True), "general-1"),
    "potrf": (lambda a: L.potrf(_symmetrized(a)), "spd"),
    "potri": (L.potri, "cholesky"),
    "gelqf": (L.gelqf, "wide"),
    "inverse": (L.inverse, "conditioned"),
    "det": (L.det, "conditioned"),
    "slogdet": (L.slogdet, "conditioned"),
    "sumlogdiag": (lambda a: L.sumlogdiag(a * a), "conditioned"),
    "maketrian": (lambda a: L.maketrian(a * a, offset=1), "vector-6"),
    "extracttrian": (lambda a: L.extracttrian(a * a, lower=False), "conditioned"),
    "makediag": (lambda a: L.makediag(a * a, offset=-1), "vector-6"),
    "extractdiag": (lambda a: L.extractdiag(a * a), "conditioned"),
}
MAKERS = {
    "general-1": lambda rng: [rng.uniform(-1, 1, (2, 3, 2))],
    "general-2": lambda rng: [rng.uniform(-1, 1, (2, 2, 3)), rng.uniform(-1, 1, (2, 4, 3))],
    "general-3": lambda rng: [
        rng.uniform(-1, 1, (3, 2)),
        rng.uniform(-1, 1, (3, 2)),
        np.ones((2, 2)),
    ],
    "triangular-upper": triangular((3, 3), (2, 3), lower=False, dtype="float64"),
    "triangular-lower": triangular((2, 3, 3), (2, 3, 2), dtype="float64"),
    "spd": spd(2, 3, 3, dtype="float64"),
    "cholesky": cholesky_factors(2, 3, 3, dtype="float64"),
    "wide": conditioned(2, 2, 3, dtype="float64"),
    "conditioned": conditioned(2, 3, 3, dtype="float64"),
    "vector-6": lambda rng: [rng.uniform(-1, 1, (2, 6))],
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivative_matches_central_differences(name, seed):
    function, maker = SECOND_ORDER[name]
    arrays = [a.astype(np.float64) for a in MAKERS[maker](np.random.default_rng(seed))]
    check_numeric_gradient(_first_gradient(function), arrays, **TOLERANCES)


def test_syevd_gradient_does_not_differentiate_again():
    a = mx.nd.array(np.diag([1.0, 2.0]), dtype="float64")
    a.attach_grad()
    with autograd.record():
        u, values = mx.nd.linalg.syevd(a)
        (grad,) = autograd.grad([values], [a], create_graph=True)
    with pytest.raises(MXNetError, match="_backward_linalg_syevd.*not differentiable"):
        grad.backward()


# ---- the front ends: MXNet's names, aliases and defaults ----------------------------------


def test_aliases_are_mxnet_names():
    for name in (
        "gemm",
        "gemm2",
        "potrf",
        "potri",
        "trmm",
        "trsm",
        "syrk",
        "gelqf",
        "sumlogdiag",
        "extractdiag",
        "makediag",
        "extracttrian",
        "maketrian",
        "inverse",
        "det",
        "slogdet",
    ):
        assert callable(getattr(mx.nd, f"linalg_{name}"))
    # MXNet 1.9.1 gives syevd no linalg_ alias, and det, slogdet, inverse numpy ones.
    assert not hasattr(mx.nd, "linalg_syevd")
    for name in ("_npi_det", "_npi_slogdet", "_npi_inv"):
        assert callable(getattr(mx.nd._internal, name))


def test_parameter_defaults_are_mxnet_ones():
    a = mx.nd.array([[2.0, 1.0], [1.0, 3.0]], dtype="float64")
    c = mx.nd.ones((2, 2), dtype="float64")
    # alpha=1, beta=1, axis=-2, no transposes: A A + C.
    assert_almost_equal(L.gemm(a, a, c).asnumpy(), a.asnumpy() @ a.asnumpy() + 1)
    # lower=True, rightside=False, transpose=False: tril(A) B.
    assert_almost_equal(L.trmm(a, c).asnumpy(), np.tril(a.asnumpy()) @ np.ones((2, 2)))
    assert L.syevd(a)[1].dtype == np.float64
