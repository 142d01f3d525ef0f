"""Matrix products: dot and batch_dot.

``dot`` follows MXNet 1.9.1's rank rules: it contracts the last axis of ``lhs`` with the
first axis of ``rhs`` (``transpose_a`` contracts the first axis of ``lhs`` instead,
``transpose_b`` the last axis of ``rhs``), and the result keeps the remaining axes of both in
order; two vectors give an array of shape (1,). ``batch_dot`` multiplies matching matrices of
two stacks of at least three dimensions. Both compute one matrix product on 2-D (or batched
3-D) views, so BLAS does the work.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, shape_str, unify_dtype
from .params import Bool, Enum, Params
from .registry import Op, register


def _product_params():
    return Params(
        transpose_a=Bool(False, doc="Use the transpose of lhs."),
        transpose_b=Bool(False, doc="Use the transpose of rhs."),
        forward_stype=Enum(
            ("default", "row_sparse", "csr"),
            None,
            doc="The storage type MXNet would give the result; neomx computes dense arrays.",
        ),
    )


def _float_type(op, p, lhs, rhs):
    dtype = unify_dtype(op.name, op.arguments(p), (lhs, rhs))
    if dtype is None:
        return None
    if np.dtype(dtype).kind != "f":
        # MXNet refuses integer products on every device.
        raise MXNetTypeError(
            f"{op.name}: supports only floating-point arrays (float16, float32, float64), "
            f"got {np.dtype(dtype).name}"
        )
    return (dtype, dtype), (dtype,)


@register("dot", aliases=("_sparse_dot",))
class Dot(Op):
    """Return the matrix product of ``lhs`` and ``rhs``.

    For N-D arrays the last axis of ``lhs`` is contracted with the first axis of ``rhs``:
    shapes (2, 3, 4) and (4, 5) give (2, 3, 5). With ``transpose_a`` the first axis of
    ``lhs`` is contracted and its other axes keep their order ((4, 2, 3) and (4, 5) give
    (2, 3, 5)); with ``transpose_b`` the last axis of ``rhs``. Two vectors give their inner
    product with shape (1,) and cannot be transposed.

    >>> mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((3,))).asnumpy()
    array([3., 3.], dtype=float32)
    """

    inputs = ("lhs", "rhs")
    params = _product_params()
    saves = ("lhs", "rhs")

    def layout(self, p, lhs, rhs):
        """The 2-D views ``(lhs rows, cols), (rhs rows, cols)`` and the output shape, or raise
        where the shapes do not multiply."""
        if len(lhs) == 0 or len(rhs) == 0:
            raise MXNetValueError(
                f"{self.name}: needs arrays of 1 or more dimensions, got lhs "
                f"{shape_str(lhs)} and rhs {shape_str(rhs)}"
            )
        if len(lhs) == 1 and len(rhs) == 1:
            if p.transpose_a or p.transpose_b:
                raise MXNetValueError(
                    f"{self.name}: cannot transpose vectors (lhs {shape_str(lhs)}, rhs "
                    f"{shape_str(rhs)}); use transpose_a=transpose_b=False"
                )
            self._check_contraction(p, lhs, rhs, lhs[0], rhs[0])
            return (1, lhs[0]), (rhs[0], 1), (1,)
        if p.transpose_a:
            lhs_view, contracted, kept = (lhs[0], math.prod(lhs[1:])), lhs[0], lhs[1:]
        else:
            lhs_view, contracted, kept = (math.prod(lhs[:-1]), lhs[-1]), lhs[-1], lhs[:-1]
        if p.transpose_b:
            rhs_view, other, rest = (math.prod(rhs[:-1]), rhs[-1]), rhs[-1], rhs[:-1]
        else:
            rhs_view, other, rest = (rhs[0], math.prod(rhs[1:])), rhs[0], rhs[1:]
        self._check_contraction(p, lhs, rhs, contracted, other)
        return lhs_view, rhs_view, tuple(kept) + tuple(rest)

    def _check_contraction(self, p, lhs, rhs, left, right):
        if left != right:
            raise MXNetValueError(
                f"{self.name}: shapes {shape_str(lhs)} and {shape_str(rhs)} do not multiply: "
                f"the contracted axes have sizes {left} and {right} "
                f"(transpose_a={p.transpose_a}, transpose_b={p.transpose_b})"
            )

    def infer_shape(self, p, lhs, rhs):
        if not (is_known(lhs) and is_known(rhs)):
            return None
        return (lhs, rhs), (self.layout(p, tuple(lhs), tuple(rhs))[2],)

    def infer_type(self, p, lhs, rhs):
        return _float_type(self, p, lhs, rhs)

    def forward(self, xp, p, lhs, rhs, out=None):
        lhs_view, rhs_view, out_shape = self.layout(p, lhs.shape, rhs.shape)
        a = lhs.reshape(lhs_view)
        b = rhs.reshape(rhs_view)
        a = a.T if p.transpose_a else a
        b = b.T if p.transpose_b else b
        if out is None:
            return xp.matmul(a, b).reshape(out_shape)
        if out.flags.c_contiguous:
            # A reshaped contiguous buffer is a view: BLAS writes the result in place.
            xp.matmul(a, b, out=out.reshape(a.shape[0], b.shape[1]))
        else:
            xp.copyto(out, xp.matmul(a, b).reshape(out_shape))
        return out

    def direct_kernel(self, xp):
        forward = self.forward
        return lambda p, lhs, rhs: forward(xp, p, lhs, rhs)

    def gradient(self, p, F, inputs, outputs, dy):
        lhs, rhs = inputs
        lhs_view, rhs_view, out_shape = self.layout(p, tuple(lhs.shape), tuple(rhs.shape))
        if 0 in lhs.shape or 0 in rhs.shape:
            # An empty sum: the gradients are zeros (and reshape's 0 code would misread them).
            return F.zeros_like(lhs), F.zeros_like(rhs)
        a = lhs if len(lhs.shape) == 2 else F.reshape(lhs, shape=lhs_view)
        b = rhs if len(rhs.shape) == 2 else F.reshape(rhs, shape=rhs_view)
        g = (
            dy[0]
            if len(out_shape) == 2
            else F.reshape(dy[0], shape=(lhs_view[p.transpose_a], rhs_view[not p.transpose_b]))
        )
        d_lhs, d_rhs = _product_gradients(F.dot, p.transpose_a, p.transpose_b, a, b, g)
        if len(lhs.shape) != 2:
            d_lhs = F.reshape_like(d_lhs, lhs)
        if len(rhs.shape) != 2:
            d_rhs = F.reshape_like(d_rhs, rhs)
        return d_lhs, d_rhs


def _product_gradients(product, transpose_a, transpose_b, a, b, g):
    """Gradients of ``C = op(a) @ op(b)`` given ``g = dL/dC``, as products of the stored
    (untransposed) arrays with transpose flags, so no transposed copy is made:
    d op(a) = g op(b)^T and d op(b) = op(a)^T g."""
    if transpose_a:
        d_a = product(b, g, transpose_a=transpose_b, transpose_b=True)
    else:
        d_a = product(g, b, transpose_b=not transpose_b)
    if transpose_b:
        d_b = product(g, a, transpose_a=True, transpose_b=transpose_a)
    else:
        d_b = product(a, g, transpose_a=not transpose_a)
    return d_a, d_b


@register("batch_dot", aliases=("_npx_batch_dot",))
class BatchDot(Op):
    """Multiply two stacks of matrices: shapes (B, M, K) and (B, K, N) give (B, M, N).

    Arrays of more than three dimensions are stacks over all leading axes, which must be
    equal in both. ``transpose_a``/``transpose_b`` transpose each matrix of ``lhs``/``rhs``.

    >>> mx.nd.batch_dot(mx.nd.ones((2, 1, 3)), mx.nd.ones((2, 3, 4))).shape
    (2, 1, 4)
    """

    inputs = ("lhs", "rhs")
    params = _product_params()
    saves = ("lhs", "rhs")

    def out_shape(self, p, lhs, rhs):
        if len(lhs) < 3 or len(lhs) != len(rhs) or lhs[:-2] != rhs[:-2]:
            raise MXNetValueError(
                f"{self.name}: needs two arrays of the same rank >= 3 with equal leading "
                f"(batch) dimensions, got lhs {shape_str(lhs)} and rhs {shape_str(rhs)}"
            )
        rows, left = (lhs[-1], lhs[-2]) if p.transpose_a else (lhs[-2], lhs[-1])
        right, cols = (rhs[-1], rhs[-2]) if p.transpose_b else (rhs[-2], rhs[-1])
        if left != right:
            raise MXNetValueError(
                f"{self.name}: shapes {shape_str(lhs)} and {shape_str(rhs)} do not multiply: "
                f"the contracted axes have sizes {left} and {right} "
                f"(transpose_a={p.transpose_a}, transpose_b={p.transpose_b})"
            )
        return tuple(lhs[:-2]) + (rows, cols)

    def infer_shape(self, p, lhs, rhs):
        if not (is_known(lhs) and is_known(rhs)):
            return None
        return (lhs, rhs), (self.out_shape(p, tuple(lhs), tuple(rhs)),)

    def infer_type(self, p, lhs, rhs):
        return _float_type(self, p, lhs, rhs)

    def forward(self, xp, p, lhs, rhs, out=None):
        a = xp.swapaxes(lhs, -1, -2) if p.transpose_a else lhs
        b = xp.swapaxes(rhs, -1, -2) if p.transpose_b else rhs
        return xp.matmul(a, b, out=out)

    def direct_kernel(self, xp):
        forward = self.forward
        return lambda p, lhs, rhs: forward(xp, p, lhs, rhs)

    def gradient(self, p, F, inputs, outputs, dy):
        lhs, rhs = inputs
        return _product_gradients(F.batch_dot, p.transpose_a, p.transpose_b, lhs, rhs, dy[0])
