"""MXNet's linear-algebra products: gemm, gemm2, trmm, trsm and syrk (``mx.nd.linalg``).

Every ``_linalg_*`` operator works on the last two axes and batches over the leading ones;
``gemm``/``gemm2`` can take the matrix rows from another ``axis`` (the columns stay last).
MXNet 1.9.1 computes them for float32 and float64 only. Triangular operands are read from one
triangle (``lower``); the other is ignored, as BLAS does. This module also holds the helpers
that la_factor.py and la_diag.py share: the dtype rule, shape checks and triangle handling.
"""

from __future__ import annotations

import functools

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, shape_str, unify, unify_dtype
from .kernels import into
from .linalg import _product_gradients
from .params import Bool, Float, Int, Params
from .registry import Op, register

__all__ = [
    "LinalgOp",
    "check_matrices",
    "check_batch",
    "per_matrix_shape",
    "triangle",
    "solve_triangular",
    "lower_part",
    "copy_lower_to_upper",
    "transposed",
    "scaled",
]

_QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


class LinalgOp(Op):
    """Base of the linalg family: float32/float64 inputs, every output of their dtype."""

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        if dtype is None:
            return None
        if np.dtype(dtype).name not in ("float32", "float64"):
            # MXNet 1.9.1: "This operation only supports 32-bit and 64-bit floating point".
            raise MXNetTypeError(
                f"{self.name}: supports only float32 and float64 arrays, got "
                f"{np.dtype(dtype).name}; cast with astype('float32')"
            )
        return (dtype,) * len(dtypes), (dtype,) * self.num_outputs(p)


def check_matrices(op_name: str, what: str, shape, square: bool = False) -> None:
    """Raise unless ``shape`` is a stack of matrices (2 or more axes), square if asked."""
    if len(shape) < 2:
        raise MXNetValueError(
            f"{op_name}: {what} must be a matrix or a stack of matrices (2 or more "
            f"dimensions), got shape {shape_str(shape)}"
        )
    if square and shape[-1] != shape[-2]:
        raise MXNetValueError(
            f"{op_name}: {what} must hold square matrices (its last two dimensions equal), "
            f"got shape {shape_str(shape)}"
        )


def check_batch(op_name: str, names, a, b, skip=(-2, -1)) -> None:
    """Raise unless ``a`` and ``b`` have the same rank and agree outside the axes ``skip``."""
    ndim = len(a)
    skipped = {axis % ndim for axis in skip} if ndim else set()
    if len(b) != ndim or any(a[i] != b[i] for i in range(ndim) if i not in skipped):
        raise MXNetValueError(
            f"{op_name}: {names[0]} {shape_str(a)} and {names[1]} {shape_str(b)} must have "
            "the same rank and equal dimensions outside the matrix axes"
        )


def per_matrix_shape(shape) -> tuple:
    """The shape of one value per matrix: the leading axes, or (1,) for a single matrix
    (MXNet 1.x has no 0-d arrays)."""
    return tuple(shape[:-2]) or (1,)


def transposed(xp, x):
    """Each matrix of a stack transposed (a view)."""
    return xp.swapaxes(x, -1, -2)


def triangle(xp, a, lower: bool):
    """The lower (or upper) triangle of each matrix, the rest zero."""
    return xp.tril(a) if lower else xp.triu(a)


def solve_triangular(xp, t, b, lower: bool):
    """Solve ``t @ x = b`` for stacks of triangular matrices ``t`` (zero outside the triangle).

    LAPACK's LU solve is backward stable on triangular matrices as well. It refuses exactly
    singular ones, where MXNet's BLAS trsm divides by the zero pivot and returns inf/nan; the
    substitution below does the same.
    """
    try:
        return xp.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        return _substitute(xp, t, b, lower)


def _substitute(xp, t, b, lower):
    """Forward (lower) or back (upper) substitution, vectorised over the stack and columns."""
    n = t.shape[-1]
    x = xp.array(b)
    with np.errstate(**_QUIET):
        for i in range(n) if lower else range(n - 1, -1, -1):
            known = slice(0, i) if lower else slice(i + 1, n)
            solved_part = xp.matmul(t[..., i : i + 1, known], x[..., known, :])[..., 0, :]
            x[..., i, :] = (x[..., i, :] - solved_part) / t[..., i, i : i + 1]
    return x


def scaled(xp, value, alpha: float):
    """``alpha * value`` in place on a fresh result (no pass when alpha is 1)."""
    if alpha != 1.0:
        # Overflow gives inf, as in MXNet, without numpy's warning.
        with np.errstate(**_QUIET):
            xp.multiply(value, alpha, out=value)
    return value


# ---- gradient helpers: registered operators only, so gradients differentiate again --------


def lower_part(F, x, lower: bool = True):
    """The lower (or upper) triangle of each matrix of ``x``, the rest zero."""
    return F._linalg_maketrian(F._linalg_extracttrian(x, lower=lower), lower=lower)


def copy_lower_to_upper(F, x, ndim: int):
    """The symmetric matrices that keep the lower triangle of ``x`` and mirror it above the
    diagonal (MXNet's copyLTU in its potrf and gelqf gradients)."""
    low = lower_part(F, x)
    mirrored = F.elemwise_add(low, F.swapaxes(low, dim1=ndim - 2, dim2=ndim - 1))
    return F.elemwise_sub(mirrored, F._linalg_makediag(F._linalg_extractdiag(x)))


def _scale(F, x, alpha: float):
    return x if alpha == 1.0 else F._mul_scalar(x, scalar=alpha)


# ---- gemm, gemm2 ---------------------------------------------------------------------------


def _product_params(with_c: bool):
    fields = {
        "transpose_a": Bool(False, doc="Multiply with the transpose of each matrix of A."),
        "transpose_b": Bool(False, doc="Multiply with the transpose of each matrix of B."),
        "alpha": Float(1.0, doc="The factor of the product."),
    }
    if with_c:
        fields["beta"] = Float(1.0, doc="The factor of C.")
    fields["axis"] = Int(
        -2, doc="The axis of the matrix rows (the columns are the last axis); default -2."
    )
    return Params(**fields)


def _row_axis(op_name, p, ndim):
    axis = p.axis + ndim if p.axis < 0 else p.axis
    if not 0 <= axis < ndim - 1:
        raise MXNetValueError(
            f"{op_name}: axis={p.axis} cannot be the row axis of {ndim}-dimensional inputs; "
            f"it must come before the last (column) axis, in [{-ndim}, {ndim - 2}]"
        )
    return axis


def _product_shape(op_name, p, a, b):
    """The shape of ``alpha * op(A) @ op(B)`` with the rows on ``axis``, or raise."""
    check_matrices(op_name, "A", a)
    check_matrices(op_name, "B", b)
    ndim = len(a)
    if len(b) != ndim:
        raise MXNetValueError(
            f"{op_name}: A {shape_str(a)} and B {shape_str(b)} must have the same rank"
        )
    axis = _row_axis(op_name, p, ndim)
    check_batch(op_name, ("A", "B"), a, b, skip=(axis, -1))
    rows, inner_a = (a[-1], a[axis]) if p.transpose_a else (a[axis], a[-1])
    inner_b, cols = (b[-1], b[axis]) if p.transpose_b else (b[axis], b[-1])
    if inner_a != inner_b:
        raise MXNetValueError(
            f"{op_name}: A {shape_str(a)} and B {shape_str(b)} do not multiply: the "
            f"contracted axes have sizes {inner_a} and {inner_b} (transpose_a="
            f"{p.transpose_a}, transpose_b={p.transpose_b}, axis={p.axis})"
        )
    out = list(a)
    out[axis], out[-1] = rows, cols
    return tuple(out)


def _matrix_product(xp, p, a, b):
    """``alpha * op(A) @ op(B)``, the rows on ``axis`` in the operands and the result."""
    axis = p.axis % a.ndim  # valid: inference checked it
    moved = axis != a.ndim - 2
    if moved:
        a, b = xp.moveaxis(a, axis, -2), xp.moveaxis(b, axis, -2)
    a = transposed(xp, a) if p.transpose_a else a
    b = transposed(xp, b) if p.transpose_b else b
    product = scaled(xp, xp.matmul(a, b), p.alpha)
    return xp.moveaxis(product, -2, axis) if moved else product


def _product_input_gradients(F, p, a, b, dy):
    """Gradients of ``alpha * op(A) @ op(B)``: products of dy with the other operand."""
    product = functools.partial(F._linalg_gemm2, alpha=p.alpha, axis=p.axis)
    return _product_gradients(product, p.transpose_a, p.transpose_b, a, b, dy)


@register("_linalg_gemm", aliases=("linalg_gemm",))
class Gemm(LinalgOp):
    """Return ``alpha * op(A) @ op(B) + beta * C`` for each matrix of a stack.

    ``op`` transposes where ``transpose_a``/``transpose_b`` say. The matrices are the last two
    axes, or the axes ``axis`` (rows) and -1 (columns); the other axes are batch axes and must
    agree. C has the shape of the result.

    >>> a = mx.nd.array([[1., 2.], [3., 4.]])
    >>> mx.nd.linalg.gemm(a, a, mx.nd.ones((2, 2)), alpha=2.0, beta=10.0).asnumpy()
    array([[24., 30.],
           [40., 54.]], dtype=float32)
    """

    inputs = ("A", "B", "C")
    params = _product_params(with_c=True)
    saves = ("A", "B")

    def infer_shape(self, p, a, b, c):
        if not (is_known(a) and is_known(b)):
            return None
        out = _product_shape(self.name, p, tuple(a), tuple(b))
        return (a, b, unify(self.name, "C", c, out)), (out,)

    def forward(self, xp, p, a, b, c, out=None):
        result = _matrix_product(xp, p, a, b)
        with np.errstate(**_QUIET):
            xp.add(result, c if p.beta == 1.0 else c * p.beta, out=result)
        return into(xp, result, out)

    def gradient(self, p, F, inputs, outputs, dy):
        a, b, _ = inputs
        d_a, d_b = _product_input_gradients(F, p, a, b, dy[0])
        return d_a, d_b, _scale(F, dy[0], p.beta)


@register("_linalg_gemm2", aliases=("linalg_gemm2",))
class Gemm2(LinalgOp):
    """Return ``alpha * op(A) @ op(B)`` for each matrix of a stack.

    As ``gemm`` without the C term: ``op`` transposes where ``transpose_a``/``transpose_b``
    say, and the rows may sit on ``axis`` (the columns are the last axis).

    >>> mx.nd.linalg.gemm2(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), transpose_b=True).asnumpy()
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """

    inputs = ("A", "B")
    params = _product_params(with_c=False)
    saves = ("A", "B")

    def infer_shape(self, p, a, b):
        if not (is_known(a) and is_known(b)):
            return None
        return (a, b), (_product_shape(self.name, p, tuple(a), tuple(b)),)

    def forward(self, xp, p, a, b, out=None):
        return into(xp, _matrix_product(xp, p, a, b), out)

    def direct_kernel(self, xp):
        return lambda p, a, b: _matrix_product(xp, p, a, b)

    def gradient(self, p, F, inputs, outputs, dy):
        return _product_input_gradients(F, p, inputs[0], inputs[1], dy[0])


# ---- trmm, trsm ----------------------------------------------------------------------------


def _triangular_params():
    return Params(
        transpose=Bool(False, doc="Use the transpose of each triangular matrix of A."),
        rightside=Bool(False, doc="Multiply (solve) from the right: B op(A), not op(A) B."),
        lower=Bool(True, doc="A is lower triangular (else upper); the other triangle is ignored."),
        alpha=Float(1.0, doc="The factor of the result."),
    )


def _triangular_shape(op_name, p, a, b):
    check_matrices(op_name, "A", a, square=True)
    check_matrices(op_name, "B", b)
    check_batch(op_name, ("A", "B"), a, b)
    joined = b[-1] if p.rightside else b[-2]
    if joined != a[-1]:
        side = "columns" if p.rightside else "rows"
        raise MXNetValueError(
            f"{op_name}: A {shape_str(a)} and B {shape_str(b)} do not fit: B has {joined} "
            f"{side}, A is {a[-1]}x{a[-1]} (rightside={p.rightside})"
        )
    return tuple(b)


def _op_triangle(xp, p, a):
    """op(T) for the triangle T of A, and whether op(T) is lower triangular."""
    t = triangle(xp, a, p.lower)
    return (transposed(xp, t), not p.lower) if p.transpose else (t, p.lower)


class _Triangular(LinalgOp):
    inputs = ("A", "B")
    params = _triangular_params()

    def infer_shape(self, p, a, b):
        if not (is_known(a) and is_known(b)):
            return None
        return (a, b), (_triangular_shape(self.name, p, tuple(a), tuple(b)),)


@register("_linalg_trmm", aliases=("linalg_trmm",))
class Trmm(_Triangular):
    """Return ``alpha * op(A) @ B`` (or ``alpha * B @ op(A)`` with ``rightside``) for
    triangular matrices A.

    Only the ``lower`` (or upper) triangle of A is read; ``op`` transposes when ``transpose``
    is set.

    >>> a = mx.nd.array([[1., 9.], [2., 3.]])
    >>> mx.nd.linalg.trmm(a, mx.nd.ones((2, 1))).asnumpy()
    array([[1.],
           [5.]], dtype=float32)
    """

    saves = ("A", "B")

    def forward(self, xp, p, a, b, out=None):
        t, _ = _op_triangle(xp, p, a)
        product = xp.matmul(b, t) if p.rightside else xp.matmul(t, b)
        return into(xp, scaled(xp, product, p.alpha), out)

    def gradient(self, p, F, inputs, outputs, dy):
        a, b = inputs
        g = dy[0]
        d_b = F._linalg_trmm(
            a, g, transpose=not p.transpose, rightside=p.rightside, lower=p.lower, alpha=p.alpha
        )
        # d op(A) = alpha dY B^T (left) or alpha B^T dY (right); A's gradient is its transpose
        # where op transposes, kept to A's triangle.
        if p.rightside:
            first, second = (g, b) if p.transpose else (b, g)
            d_a = F._linalg_gemm2(first, second, transpose_a=True, alpha=p.alpha)
        else:
            first, second = (b, g) if p.transpose else (g, b)
            d_a = F._linalg_gemm2(first, second, transpose_b=True, alpha=p.alpha)
        return lower_part(F, d_a, p.lower), d_b


@register("_linalg_trsm", aliases=("linalg_trsm",))
class Trsm(_Triangular):
    """Solve ``op(A) @ X = alpha * B`` (or ``X @ op(A) = alpha * B`` with ``rightside``)
    for X, with triangular matrices A.

    Only the ``lower`` (or upper) triangle of A is read; ``op`` transposes when ``transpose``
    is set. A zero on the diagonal gives inf/nan, as BLAS does.

    >>> a = mx.nd.array([[2., 9.], [1., 4.]])
    >>> mx.nd.linalg.trsm(a, mx.nd.array([[2.], [9.]])).asnumpy()
    array([[1.],
           [2.]], dtype=float32)
    """

    saves = ("A", "outputs")

    def forward(self, xp, p, a, b, out=None):
        t, lower = _op_triangle(xp, p, a)
        if p.rightside:
            # X op(T) = B  <=>  op(T)^T X^T = B^T
            solved = solve_triangular(xp, transposed(xp, t), transposed(xp, b), not lower)
            x = transposed(xp, solved)
        else:
            x = solve_triangular(xp, t, b, lower)
        return into(xp, scaled(xp, x, p.alpha), out)

    def gradient(self, p, F, inputs, outputs, dy):
        a, x = inputs[0], outputs[0]
        # G = op(A)^-T dX (left) or dX op(A)^-T (right); dB = alpha G, d op(A) = -G X^T
        # (left) or -X^T G (right), transposed back where op transposes.
        g = F._linalg_trsm(
            a, dy[0], transpose=not p.transpose, rightside=p.rightside, lower=p.lower
        )
        if p.rightside:
            first, second = (g, x) if p.transpose else (x, g)
            d_a = F._linalg_gemm2(first, second, transpose_a=True, alpha=-1.0)
        else:
            first, second = (x, g) if p.transpose else (g, x)
            d_a = F._linalg_gemm2(first, second, transpose_b=True, alpha=-1.0)
        return lower_part(F, d_a, p.lower), _scale(F, g, p.alpha)


# ---- syrk ----------------------------------------------------------------------------------


@register("_linalg_syrk", aliases=("linalg_syrk",))
class Syrk(LinalgOp):
    """Return ``alpha * A @ A^T`` (or ``alpha * A^T @ A`` with ``transpose``) for each matrix.

    >>> mx.nd.linalg.syrk(mx.nd.array([[1., 2.]]), alpha=0.5).asnumpy()
    array([[2.5]], dtype=float32)
    """

    inputs = ("A",)
    params = Params(
        transpose=Bool(False, doc="Compute A^T A instead of A A^T."),
        alpha=Float(1.0, doc="The factor of the product."),
    )
    saves = ("A",)

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        check_matrices(self.name, "A", a)
        size = a[-1] if p.transpose else a[-2]
        return (a,), (tuple(a[:-2]) + (size, size),)

    def forward(self, xp, p, a, out=None):
        at = transposed(xp, a)
        product = xp.matmul(at, a) if p.transpose else xp.matmul(a, at)
        return into(xp, scaled(xp, product, p.alpha), out)

    def gradient(self, p, F, inputs, outputs, dy):
        a, g = inputs[0], dy[0]
        # alpha (dY + dY^T) A, or alpha A (dY + dY^T) with transpose.
        if p.transpose:
            mirrored = F._linalg_gemm2(a, g, transpose_b=True, alpha=p.alpha)
            return (F._linalg_gemm(a, g, mirrored, alpha=p.alpha),)
        mirrored = F._linalg_gemm2(g, a, transpose_a=True, alpha=p.alpha)
        return (F._linalg_gemm(g, a, mirrored, alpha=p.alpha),)
