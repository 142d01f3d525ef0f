"""Cases of the linalg factorizations and matrix functions: potrf, potri, gelqf, syevd,
inverse, det, slogdet, sumlogdiag (and neomx's _backward_linalg_syevd).

Inputs are built well conditioned for every seed: SPD matrices X X^T + n I for potrf,
Cholesky factors with diagonals in [1, 2) for potri, matrices with singular values in
[0.5, 2) for inverse/det/slogdet/gelqf, symmetric matrices with eigenvalue gaps over 0.5 for
syevd.

Numeric gradients of potrf and syevd: both read only the lower triangle of A, and MXNet (so
neomx) returns the symmetric gradient G, the derivative along symmetric perturbations. The
harness's central differences move one element at a time, which gives tril(G + G^T) - diag(G)
instead, so their cases of n > 1 skip the harness's check (``grad=False``) and
tests/ops/test_la_gradients.py checks them through ``(X + X^T) / 2``; 1x1 cases check them
here. The golden files pin MXNet's convention.
"""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed, floats, ints

# neomx's _backward_linalg_syevd takes (dU, dL, U, L); MXNet's differs.
NEOMX_ONLY.add("_backward_linalg_syevd")

# The reason potrf/syevd cases of n > 1 skip the harness's element-wise numeric gradient.
SYMMETRIC = "symmetric-gradient-see-test_la_gradients"


def _swap(x):
    return np.swapaxes(x, -1, -2)


def _orthonormal(rng, shape):
    """Matrices with orthonormal columns, of ``shape`` (..., n, k), k <= n."""
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    return q


def spd(*shape, dtype="float32", noise_above=False):
    """Symmetric positive-definite matrices X X^T + n I; with ``noise_above`` the strict upper
    triangle holds large noise (potrf reads only the lower one)."""

    def make(rng):
        n = shape[-1]
        x = rng.uniform(-1, 1, size=shape)
        a = x @ _swap(x) + n * np.eye(n)
        if noise_above:
            a = np.tril(a) + np.triu(rng.uniform(-9, 9, size=shape), 1)
        return [a.astype(dtype)]

    return make


def cholesky_factors(*shape, dtype="float32", noise_above=False):
    """Lower triangular matrices with diagonals in [1, 2) and small entries below."""

    def make(rng):
        n = shape[-1]
        factor = np.tril(rng.uniform(-0.5, 0.5, size=shape), -1)
        factor = factor + rng.uniform(1, 2, size=shape[:-1])[..., None] * np.eye(n)
        if noise_above:
            factor = factor + np.triu(rng.uniform(-9, 9, size=shape), 1)
        return [factor.astype(dtype)]

    return make


def conditioned(*shape, dtype="float32"):
    """m x n matrices (m <= n) U diag(s) V^T with singular values s in [0.5, 2) and random
    orthonormal U, V: well conditioned, determinants of either sign."""

    def make(rng):
        m, n = shape[-2:]
        u = _orthonormal(rng, shape[:-2] + (m, m))
        v = _orthonormal(rng, shape[:-2] + (n, m))
        s = rng.uniform(0.5, 2, size=shape[:-2] + (m,))
        return [((u * s[..., None, :]) @ _swap(v)).astype(dtype)]

    return make


def spread_symmetric(*shape, dtype="float32", noise_above=False):
    """Symmetric matrices Q diag(l) Q^T with eigenvalues l at least 0.6 apart."""

    def make(rng):
        n = shape[-1]
        q = _orthonormal(rng, shape)
        values = np.arange(n) - n / 2 + rng.uniform(-0.2, 0.2, size=shape[:-1])
        a = (q * values[..., None, :]) @ _swap(q)
        if noise_above:
            a = np.tril(a) + np.triu(rng.uniform(-9, 9, size=shape), 1)
        return [a.astype(dtype)]

    return make


def positive_diagonal(*shape, dtype="float32"):
    """Matrices with diagonals in [0.5, 2) and anything off the diagonal."""

    def make(rng):
        a = rng.uniform(-1, 1, size=shape)
        steps = np.arange(shape[-1])
        a[..., steps, steps] = rng.uniform(0.5, 2, size=shape[:-1])
        return [a.astype(dtype)]

    return make


def _per_matrix(values, a):
    """One value per matrix: MXNet 1.x gives a single matrix's value shape (1,)."""
    return np.asarray(values, dtype=a.dtype).reshape(a.shape[:-2] or (1,))


def _signed_rows(u):
    """Each row signed so that its first entry of largest magnitude is positive (MXNet)."""
    signed = u.copy()
    for index in np.ndindex(*u.shape[:-1]):
        row = signed[index]
        if row[np.argmax(np.abs(row))] < 0:
            signed[index] = -row
    return signed


# ---- potrf, potri --------------------------------------------------------------------------


def _potrf(a):
    return np.linalg.cholesky(np.tril(a) + np.tril(a, -1).swapaxes(-1, -2)).astype(a.dtype)


def _potri(factor):
    lower = np.tril(factor).astype(np.float64)
    return np.linalg.inv(lower @ _swap(lower)).astype(factor.dtype)


add(
    "_linalg_potrf",
    Case(spd(3, 3), reference=_potrf, label="3x3", grad=False),
    Case(spd(2, 4, 4, noise_above=True), reference=_potrf, label="batch-noise-above", grad=False),
    Case(spd(2, 1, 2, 2, dtype="float64"), reference=_potrf, label="4d-float64", grad=False),
    Case(spd(1, 1), reference=_potrf, label="one-element"),
    Case(spd(3, 1, 1, dtype="float64"), reference=_potrf, label="batch-one-element"),
    Case(fixed([[4.0]], dtype="float16"), label="float16-refused", grad=False),
    Case(fixed([[4]], dtype="int32"), label="int32-refused", grad=False),
)
add_errors(
    "_linalg_potrf",
    ErrorCase(fixed([[1.0, 2.0], [2.0, 1.0]], dtype="float32"), match=r"_linalg_potrf.*positive"),
    ErrorCase(fixed([[[1.0, 0], [0, 1]], [[-1, 0], [0, 1]]], dtype="float32"), match="positive"),
    ErrorCase(floats((2, 3)), match=r"_linalg_potrf.*square.*\(2, 3\)"),
    ErrorCase(floats((3,)), match=r"_linalg_potrf.*matrix.*\(3,\)"),
    ErrorCase(ints((2, 2)), match=r"_linalg_potrf.*float32 and float64.*int32"),
)
add(
    "_linalg_potri",
    Case(cholesky_factors(3, 3), reference=_potri, label="3x3"),
    Case(cholesky_factors(2, 3, 3, noise_above=True), reference=_potri, label="noise-above"),
    Case(cholesky_factors(2, 1, 2, 2, dtype="float64"), reference=_potri, label="4d-float64"),
    Case(cholesky_factors(1, 1), reference=_potri, label="one-element"),
    Case(fixed([[2]], dtype="int32"), label="int32-refused", grad=False),
)
add_errors(
    "_linalg_potri",
    ErrorCase(fixed([[1.0, 0.0], [1.0, 0.0]], dtype="float32"), match=r"_linalg_potri.*zero"),
    ErrorCase(floats((2, 3)), match=r"_linalg_potri.*square.*\(2, 3\)"),
)


# ---- gelqf ---------------------------------------------------------------------------------


def _gelqf(a):
    # The LQ factorization of A is the transposed QR factorization of A^T (both Householder).
    q, r = np.linalg.qr(_swap(a).astype(np.float64))
    return _swap(q).astype(a.dtype), _swap(r).astype(a.dtype)


add(
    "_linalg_gelqf",
    Case(conditioned(2, 4), reference=_gelqf, label="wide"),
    Case(conditioned(3, 3), reference=_gelqf, label="square"),
    Case(conditioned(2, 2, 3, dtype="float64"), reference=_gelqf, label="batch-float64"),
    Case(conditioned(2, 1, 2, 3), reference=_gelqf, label="4d"),
    Case(conditioned(1, 1), reference=_gelqf, label="one-element"),
    # LAPACK reflects a row whose first entry is negative to a positive diagonal of L.
    Case(fixed([[-2.0, 1.0]], dtype="float64"), reference=_gelqf, label="negative"),
    Case(fixed([[1]], dtype="int32"), label="int32-refused", grad=False),
)
add_errors(
    "_linalg_gelqf",
    ErrorCase(floats((3, 2)), match=r"_linalg_gelqf.*\(3, 2\).*more rows than columns"),
    ErrorCase(floats((3,)), match=r"_linalg_gelqf.*matrix.*\(3,\)"),
)


# ---- syevd ---------------------------------------------------------------------------------


def _syevd(a):
    values, vectors = np.linalg.eigh(a.astype(np.float64), UPLO="L")
    return _signed_rows(_swap(vectors)).astype(a.dtype), values.astype(a.dtype)


add(
    "_linalg_syevd",
    Case(spread_symmetric(3, 3), reference=_syevd, label="3x3", grad=False),
    Case(
        spread_symmetric(2, 4, 4, noise_above=True),
        reference=_syevd,
        label="batch-noise-above",
        grad=False,
    ),
    Case(spread_symmetric(2, 1, 2, 2, dtype="float64"), reference=_syevd, label="4d", grad=False),
    Case(spread_symmetric(1, 1), reference=_syevd, label="one-element"),
    Case(spread_symmetric(3, 1, 1, dtype="float64"), reference=_syevd, label="batch-one-element"),
    # Eigenvectors (1, 1) and (1, -1) / sqrt(2): the first entry of largest magnitude decides.
    Case(
        fixed([[0.0, 1.0], [1.0, 0.0]], dtype="float64"),
        reference=_syevd,
        label="tied-magnitudes",
        grad=False,
    ),
    Case(fixed([[1]], dtype="int32"), label="int32-refused", grad=False),
)
add_errors(
    "_linalg_syevd",
    ErrorCase(floats((2, 3)), match=r"_linalg_syevd.*square.*\(2, 3\)"),
    ErrorCase(floats((3,)), match=r"_linalg_syevd.*matrix.*\(3,\)"),
)


def syevd_heads(*shape, dtype="float32"):
    """(dU, dL, U, L): random output gradients and syevd's outputs for a spread matrix."""

    def make(rng):
        (a,) = spread_symmetric(*shape, dtype="float64")(rng)
        u, values = _syevd(a)
        d_u = rng.uniform(-1, 1, size=u.shape)
        d_values = rng.uniform(-1, 1, size=values.shape)
        return [x.astype(dtype) for x in (d_u, d_values, u, values)]

    return make


def _syevd_backward(d_u, d_values, u, values):
    """U^T M U, M_ii = dL_i, M_ij = (T_ij - T_ji) / (2 (L_i - L_j)), T = dU U^T."""
    grad = np.zeros(u.shape)
    for index in np.ndindex(*u.shape[:-2]):
        t = d_u[index] @ u[index].T
        lam = values[index]
        n = len(lam)
        middle = np.diag(d_values[index]).astype(np.float64)
        for i in range(n):
            for j in range(n):
                if i != j:
                    middle[i, j] = (t[i, j] - t[j, i]) / (2 * (lam[i] - lam[j]))
        grad[index] = u[index].T @ middle @ u[index]
    return grad.astype(u.dtype)


add(
    "_backward_linalg_syevd",
    Case(syevd_heads(3, 3), reference=_syevd_backward, label="3x3"),
    Case(syevd_heads(2, 2, 2, dtype="float64"), reference=_syevd_backward, label="batch"),
    Case(syevd_heads(1, 1), reference=_syevd_backward, label="one-element"),
)


# ---- inverse, det, slogdet, sumlogdiag -----------------------------------------------------


def _inverse(a):
    return np.linalg.inv(a.astype(np.float64)).astype(a.dtype)


def _det(a):
    return _per_matrix(np.linalg.det(a.astype(np.float64)), a)


def _slogdet(a):
    sign, logabsdet = np.linalg.slogdet(a.astype(np.float64))
    return _per_matrix(sign, a), _per_matrix(logabsdet, a)


def _sumlogdiag(a):
    with np.errstate(invalid="ignore"):
        logs = np.log(np.diagonal(a, axis1=-2, axis2=-1).astype(np.float64))
    return _per_matrix(logs.sum(-1), a)


for _op, _reference in (
    ("_linalg_inverse", _inverse),
    ("_linalg_det", _det),
    ("_linalg_slogdet", _slogdet),
):
    add(
        _op,
        Case(conditioned(3, 3), reference=_reference, label="3x3"),
        Case(conditioned(2, 4, 4), reference=_reference, label="batch"),
        Case(conditioned(2, 1, 2, 2, dtype="float64"), reference=_reference, label="4d-float64"),
        Case(conditioned(1, 1), reference=_reference, label="one-element"),
        Case(conditioned(3, 1, 1), reference=_reference, label="batch-one-element"),
        Case(fixed([[1.0]], dtype="float16"), label="float16-refused", grad=False),
        Case(fixed([[1]], dtype="int32"), label="int32-refused", grad=False),
        # MXNet 1.x refuses zero-size arrays; neomx computes them as numpy does.
        Case(conditioned(0, 2, 2), reference=_reference, label="zero-batch", golden=False),
    )
    add_errors(
        _op,
        ErrorCase(floats((2, 3)), match=rf"{_op}.*square.*\(2, 3\)"),
        ErrorCase(floats((3,)), match=rf"{_op}.*matrix.*\(3,\)"),
        ErrorCase(ints((2, 2)), match=rf"{_op}.*float32 and float64.*int32"),
    )

# Singular matrices: det 0 and slogdet (0, -inf), and MXNet's gradient there is zero (the
# numeric one is not: the gradient of det is the cofactor matrix).
_SINGULAR = fixed([[[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]]], dtype="float64")
add(
    "_linalg_det",
    Case(_SINGULAR, reference=_det, label="singular", grad=False),
)
add(
    "_linalg_slogdet",
    Case(_SINGULAR, reference=_slogdet, label="singular", grad=False),
)
add_errors(
    "_linalg_inverse",
    ErrorCase(fixed([[1.0, 2.0], [2.0, 4.0]], dtype="float32"), match=r"_linalg_inverse.*singular"),
)
add(
    "_linalg_sumlogdiag",
    Case(positive_diagonal(3, 3), reference=_sumlogdiag, label="3x3"),
    Case(positive_diagonal(2, 3, 3, dtype="float64"), reference=_sumlogdiag, label="batch"),
    Case(positive_diagonal(2, 1, 2, 2), reference=_sumlogdiag, label="4d"),
    Case(positive_diagonal(1, 1), reference=_sumlogdiag, label="one-element"),
    # The log of a negative diagonal entry is NaN, not an error.
    Case(
        fixed([[-1.0, 0.0], [0.0, 2.0]], dtype="float32"),
        reference=_sumlogdiag,
        label="negative",
        grad=False,
    ),
    Case(fixed([[1]], dtype="int32"), label="int32-refused", grad=False),
)
add_errors(
    "_linalg_sumlogdiag",
    ErrorCase(floats((2, 3)), match=r"_linalg_sumlogdiag.*square.*\(2, 3\)"),
    ErrorCase(floats((3,)), match=r"_linalg_sumlogdiag.*matrix.*\(3,\)"),
)
