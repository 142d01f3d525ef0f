"""Factorizations and functions of stacked square matrices: potrf, potri, gelqf, syevd,
inverse, det, slogdet and sumlogdiag (``mx.nd.linalg``).

Gradients are MXNet 1.9.1's. potrf and syevd read only the lower triangle of A and, like
MXNet, return the symmetric gradient (the derivative along symmetric perturbations); potri
reads only the lower triangle of its Cholesky factor and returns a lower triangular gradient.
At a singular matrix MXNet's det and slogdet gradients are zero, and so are neomx's.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .infer import is_known, shape_str, unify
from .kernels import into, into_outputs
from .la import (
    LinalgOp,
    check_matrices,
    copy_lower_to_upper,
    lower_part,
    per_matrix_shape,
    transposed,
)
from .registry import register

_QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


class _SquareOp(LinalgOp):
    """One input A of square matrices, results of ``output_shapes``."""

    inputs = ("A",)

    def output_shapes(self, a):
        return (tuple(a),)

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        check_matrices(self.name, "A", a, square=True)
        return (a,), self.output_shapes(tuple(a))


def _zeros_if_none(F, dy, like):
    return F.zeros_like(like) if dy is None else dy


@register("_linalg_potrf", aliases=("linalg_potrf",))
class Potrf(_SquareOp):
    """Return the Cholesky factor L of each symmetric positive-definite matrix: the lower
    triangular matrix with ``A = L @ L^T``.

    Only the lower triangle of A is read. A matrix that is not positive definite raises.

    >>> mx.nd.linalg.potrf(mx.nd.array([[4., 2.], [2., 5.]])).asnumpy()
    array([[2., 0.],
           [1., 2.]], dtype=float32)
    """

    saves = ("outputs",)

    def forward(self, xp, p, a, out=None):
        try:
            factor = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError as err:
            raise MXNetValueError(
                f"{self.name}: the Cholesky factorization failed: a matrix of A "
                f"{shape_str(a.shape)} is not symmetric positive definite (only its lower "
                "triangle is read)"
            ) from err
        return into(xp, factor, out)

    def gradient(self, p, F, inputs, outputs, dy):
        factor = outputs[0]
        # MXNet's symmetric gradient dA = 0.5 L^-T copyLTU(L^T dL) L^-1.
        inner = F._linalg_trmm(factor, dy[0], transpose=True)
        mirrored = copy_lower_to_upper(F, inner, len(factor.shape))
        left = F._linalg_trsm(factor, mirrored, transpose=True)
        return (F._linalg_trsm(factor, left, rightside=True, alpha=0.5),)


@register("_linalg_potri", aliases=("linalg_potri",))
class Potri(_SquareOp):
    """Return the inverse ``(L @ L^T)^-1`` of the matrices whose Cholesky factors L (from
    ``potrf``) are given.

    Only the lower triangle of each L is read; a zero on its diagonal raises.

    >>> mx.nd.linalg.potri(mx.nd.array([[2., 0.], [1., 2.]])).asnumpy()
    array([[ 0.3125, -0.125 ],
           [-0.125 ,  0.25  ]], dtype=float32)
    """

    saves = ("A", "outputs")

    def forward(self, xp, p, a, out=None):
        try:
            inverse_factor = xp.linalg.inv(xp.tril(a))
        except np.linalg.LinAlgError as err:
            raise MXNetValueError(
                f"{self.name}: a matrix of A {shape_str(a.shape)} has a zero on its diagonal; "
                "potri expects Cholesky factors as potrf returns them"
            ) from err
        return into(xp, xp.matmul(transposed(xp, inverse_factor), inverse_factor), out)

    def gradient(self, p, F, inputs, outputs, dy):
        factor, inverse, g = inputs[0], outputs[0], dy[0]
        # dL = -tril(A^-1 (dY + dY^T) L^-T), with A^-1 the result.
        both = F._linalg_gemm(inverse, g, F._linalg_gemm2(inverse, g, transpose_b=True))
        solved = F._linalg_trsm(factor, both, rightside=True, transpose=True, alpha=-1.0)
        return (lower_part(F, solved),)


@register("_linalg_gelqf", aliases=("linalg_gelqf",))
class Gelqf(LinalgOp):
    """Return the LQ factorization ``A = L @ Q`` of each m x n matrix with m <= n: Q (m x n)
    with orthonormal rows and L (m x m) lower triangular, as two outputs (Q, L).

    The signs follow LAPACK's Householder reflections (the diagonal of L may be negative),
    as in MXNet.

    >>> q, l = mx.nd.linalg.gelqf(mx.nd.array([[3., 4.]]))
    >>> l.asnumpy()
    array([[-5.]], dtype=float32)
    """

    inputs = ("A",)
    saves = ("outputs",)

    def num_outputs(self, p):
        return 2

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        check_matrices(self.name, "A", a)
        if a[-2] > a[-1]:
            raise MXNetValueError(
                f"{self.name}: A {shape_str(a)} has more rows than columns ({a[-2]} > "
                f"{a[-1]}); the LQ factorization needs m <= n"
            )
        return (a,), (tuple(a), tuple(a[:-1]) + (a[-2],))

    def forward(self, xp, p, a, out=None):
        # A^T = Q^T L^T is the QR factorization of A^T, computed the same way by LAPACK.
        q, r = xp.linalg.qr(transposed(xp, a))
        return into_outputs(xp, (transposed(xp, q), transposed(xp, r)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        q, factor = outputs
        d_q = _zeros_if_none(F, dy[0], q)
        d_l = _zeros_if_none(F, dy[1], factor)
        # dA = L^-T (dQ + copyLTU(M) Q) with M = L^T dL - dQ Q^T.
        m = F._linalg_gemm(
            factor, d_l, F._linalg_gemm2(d_q, q, transpose_b=True), transpose_a=True, beta=-1.0
        )
        summed = F._linalg_gemm(copy_lower_to_upper(F, m, len(q.shape)), q, d_q)
        return (F._linalg_trsm(factor, summed, transpose=True),)


@register("_linalg_syevd")
class Syevd(_SquareOp):
    """Return the eigendecomposition ``A = U^T @ diag(lambda) @ U`` of each symmetric matrix,
    as two outputs (U, lambda).

    Only the lower triangle of A is read. The rows of U are the eigenvectors, the eigenvalues
    ascend, and each row of U is signed so that its entry of largest magnitude (the first
    such) is positive, as in MXNet.

    >>> u, lam = mx.nd.linalg.syevd(mx.nd.array([[2., 1.], [1., 2.]]))
    >>> lam.asnumpy()
    array([1., 3.], dtype=float32)
    """

    saves = ("outputs",)

    def num_outputs(self, p):
        return 2

    def output_shapes(self, a):
        return (a, a[:-1])

    def forward(self, xp, p, a, out=None):
        try:
            values, vectors = xp.linalg.eigh(a, UPLO="L")
        except np.linalg.LinAlgError as err:
            raise MXNetValueError(
                f"{self.name}: the eigendecomposition of a matrix of A {shape_str(a.shape)} "
                "did not converge"
            ) from err
        u = xp.array(transposed(xp, vectors))
        largest = xp.abs(u).argmax(axis=-1)[..., None]
        u *= xp.sign(xp.take_along_axis(u, largest, axis=-1))
        return into_outputs(xp, (u, values), out)

    def gradient(self, p, F, inputs, outputs, dy):
        u, values = outputs
        d_u = _zeros_if_none(F, dy[0], u)
        d_values = _zeros_if_none(F, dy[1], values)
        return (F._backward_linalg_syevd(d_u, d_values, u, values),)


@register("_backward_linalg_syevd")
class BackwardSyevd(LinalgOp):
    """Return the gradient of ``syevd`` w.r.t. A from the output gradients dU, dL and the
    outputs U, L (the eigenvalues): ``U^T @ M @ U`` with ``M_ii = dL_i`` and
    ``M_ij = (T_ij - T_ji) / (2 (L_i - L_j))``, ``T = dU @ U^T``.

    Where two eigenvalues (nearly) coincide the gradient is undefined; MXNet keeps each gap at
    least 1e-30 (float32) or 1e-100 (float64) in magnitude, and so does neomx.
    """

    inputs = ("dU", "dL", "U", "L")
    differentiable = False

    def infer_shape(self, p, d_u, d_values, u, values):
        u = unify(self.name, "U", u, d_u)
        if not is_known(u):
            return None
        check_matrices(self.name, "U", u, square=True)
        values = unify(self.name, "L", values, tuple(u[:-1]))
        d_values = unify(self.name, "dL", d_values, values)
        return (u, d_values, u, values), (u,)

    def forward(self, xp, p, d_u, d_values, u, values, out=None):
        n = u.shape[-1]
        tiny = 1e-30 if u.dtype == np.float32 else 1e-100
        t = xp.matmul(d_u, transposed(xp, u))
        gaps = values[..., :, None] - values[..., None, :]
        # Eigenvalues ascend: lambda_i - lambda_j <= 0 above the diagonal, >= 0 below.
        above = xp.asarray(np.triu(np.ones((n, n), dtype=bool), 1))
        gaps = xp.where(above, xp.minimum(gaps, -tiny), xp.maximum(gaps, tiny))
        with np.errstate(**_QUIET):
            middle = (t - transposed(xp, t)) / (2 * gaps)
        diagonal = xp.arange(n)
        middle[..., diagonal, diagonal] = d_values
        return into(xp, xp.matmul(xp.matmul(transposed(xp, u), middle), u), out)


@register("_linalg_inverse", aliases=("linalg_inverse", "_npi_inv"))
class Inverse(_SquareOp):
    """Return the inverse of each square matrix; a singular matrix raises.

    >>> mx.nd.linalg.inverse(mx.nd.array([[2., 0.], [0., 4.]])).asnumpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """

    saves = ("outputs",)

    def forward(self, xp, p, a, out=None):
        try:
            return into(xp, xp.linalg.inv(a), out)
        except np.linalg.LinAlgError as err:
            raise MXNetValueError(
                f"{self.name}: a matrix of A {shape_str(a.shape)} is singular and has no inverse"
            ) from err

    def gradient(self, p, F, inputs, outputs, dy):
        inverse = outputs[0]
        # dA = -A^-T dY A^-T
        left = F._linalg_gemm2(inverse, dy[0], transpose_a=True)
        return (F._linalg_gemm2(left, inverse, transpose_b=True, alpha=-1.0),)


def _scaled_inverse_transpose(F, a, scale, singular):
    """``scale * A^-T`` per matrix, for ``scale`` and the 0/1 flags ``singular`` of one value
    per matrix; singular matrices are inverted as identities, so their scale (zero) decides."""
    ndim = len(a.shape)
    per_matrix = tuple(a.shape[:-2]) + (1, 1)
    identity = F._linalg_makediag(F.ones_like(F._linalg_extractdiag(a)))
    flags = F.reshape(singular, shape=per_matrix)
    regular = F.elemwise_add(a, F.broadcast_mul(flags, F.elemwise_sub(identity, a)))
    inverse = F._linalg_inverse(regular)
    transposed_inverse = F.swapaxes(inverse, dim1=ndim - 2, dim2=ndim - 1)
    return F.broadcast_mul(F.reshape(scale, shape=per_matrix), transposed_inverse)


@register("_linalg_det", aliases=("linalg_det", "_npi_det"))
class Det(_SquareOp):
    """Return the determinant of each square matrix (shape (1,) for a single matrix).

    >>> mx.nd.linalg.det(mx.nd.array([[1., 2.], [3., 4.]])).asnumpy()
    array([-2.], dtype=float32)
    """

    saves = ("A", "outputs")

    def output_names(self, p):
        # MXNet's det also outputs (hidden) its LU factors, so its one output is "output0".
        return ("output0",)

    def output_shapes(self, a):
        return (per_matrix_shape(a),)

    def forward(self, xp, p, a, out=None):
        # A determinant beyond float32's range is inf, as in MXNet, without numpy's warning.
        with np.errstate(**_QUIET):
            value = xp.asarray(xp.linalg.det(a))
        return into(xp, value.reshape(per_matrix_shape(a.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        det = outputs[0]
        # dA = dy det A^-T, zero where det = 0 (MXNet's value at singular matrices).
        singular = F._equal_scalar(det, scalar=0.0)
        return (_scaled_inverse_transpose(F, inputs[0], F.elemwise_mul(dy[0], det), singular),)


@register("_linalg_slogdet", aliases=("linalg_slogdet", "_npi_slogdet"))
class Slogdet(_SquareOp):
    """Return the sign and the natural log of the absolute value of each matrix's
    determinant, as two outputs (sign, logabsdet). A singular matrix gives (0, -inf).

    >>> sign, logabsdet = mx.nd.linalg.slogdet(mx.nd.array([[-2., 0.], [0., 1.]]))
    >>> sign.asnumpy(), logabsdet.asnumpy()
    (array([-1.], dtype=float32), array([0.6931472], dtype=float32))
    """

    saves = ("A", "outputs")

    def num_outputs(self, p):
        return 2

    def output_shapes(self, a):
        return (per_matrix_shape(a),) * 2

    def forward(self, xp, p, a, out=None):
        with np.errstate(**_QUIET):
            sign, logabsdet = xp.linalg.slogdet(a)
        shape = per_matrix_shape(a.shape)
        return into_outputs(
            xp, (xp.asarray(sign).reshape(shape), xp.asarray(logabsdet).reshape(shape)), out
        )

    def gradient(self, p, F, inputs, outputs, dy):
        sign = outputs[0]
        d_log = _zeros_if_none(F, dy[1], sign)
        # The sign is piecewise constant: only logabsdet has a gradient, dy A^-T, zero at
        # singular matrices (as MXNet).
        singular = F._equal_scalar(sign, scalar=0.0)
        scale = F.elemwise_mul(d_log, F._not_equal_scalar(sign, scalar=0.0))
        return (_scaled_inverse_transpose(F, inputs[0], scale, singular),)


@register("_linalg_sumlogdiag", aliases=("linalg_sumlogdiag",))
class SumLogDiag(_SquareOp):
    """Return the sum of the natural logs of each square matrix's diagonal (shape (1,) for a
    single matrix); the log of a Cholesky factor's diagonal sums to half the log-determinant.

    >>> mx.nd.linalg.sumlogdiag(mx.nd.array([[1., 9.], [9., 1.]])).asnumpy()
    array([0.], dtype=float32)
    """

    saves = ("A",)

    def output_shapes(self, a):
        return (per_matrix_shape(a),)

    def forward(self, xp, p, a, out=None):
        with np.errstate(**_QUIET):
            total = xp.log(xp.diagonal(a, axis1=-2, axis2=-1)).sum(axis=-1)
        return into(xp, xp.asarray(total).reshape(per_matrix_shape(a.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        a = inputs[0]
        # dA = diag(dy / diag(A))
        scale = F.reshape(dy[0], shape=tuple(a.shape[:-2]) + (1,))
        return (F._linalg_makediag(F.broadcast_div(scale, F._linalg_extractdiag(a))),)
