"""Diagonals and triangles of stacked matrices: extractdiag, makediag, extracttrian and
maketrian (``mx.nd.linalg``).

Each pair is mutually adjoint, so each one's gradient is the other. A triangle is stored as a
vector as MXNet 1.9.1 stores it: the lower triangle row by row, the upper one column by column
(the lower triangle of the transpose, row by row). ``offset`` picks a diagonal above (> 0) or
below (< 0) the main one; a nonzero offset also decides the triangle, ``lower`` only applies
at offset 0.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..base import MXNetValueError
from .infer import is_known, shape_str
from .kernels import into
from .la import LinalgOp, check_matrices
from .params import Bool, Int, Params
from .registry import register


def _check_offset(op_name, offset, n):
    if abs(offset) >= n:
        raise MXNetValueError(
            f"{op_name}: offset={offset} leaves no elements in {n}x{n} matrices; "
            f"|offset| must be below {n}"
        )


def _check_vectors(op_name, shape):
    if len(shape) < 1:
        raise MXNetValueError(
            f"{op_name}: A must have 1 or more dimensions (vectors), got shape {shape_str(shape)}"
        )


@functools.lru_cache(maxsize=256)
def _diagonal_indices(size, offset):
    """Row and column indices of the ``offset`` diagonal of matrices of ``size`` x ``size``."""
    steps = np.arange(size - abs(offset))
    return steps + max(-offset, 0), steps + max(offset, 0)


@functools.lru_cache(maxsize=256)
def _triangle_indices(size, offset, lower):
    """Row and column indices of a triangle of ``size`` x ``size`` matrices, in MXNet's
    storage order."""
    rows, cols = np.tril_indices(size, -abs(offset))
    return (rows, cols) if offset < 0 or (offset == 0 and lower) else (cols, rows)


def _scatter(xp, values, shape, indices, out):
    """Matrices of ``shape`` holding ``values`` at ``indices`` and zeros elsewhere."""
    result = xp.zeros(shape, dtype=values.dtype) if out is None else out
    if out is not None:
        result.fill(0)
    rows, cols = (xp.asarray(i) for i in indices)
    result[..., rows, cols] = values
    return result


def _offset_params(with_lower: bool):
    fields = {
        "offset": Int(0, doc="The diagonal: 0 the main one, > 0 above it, < 0 below it."),
    }
    if with_lower:
        fields["lower"] = Bool(
            True,
            doc="At offset 0, the lower triangle (else the upper); a nonzero offset "
            "decides by its sign.",
        )
    return Params(**fields)


@register("_linalg_extractdiag", aliases=("linalg_extractdiag",))
class ExtractDiag(LinalgOp):
    """Return the ``offset`` diagonal of each square matrix, as a vector.

    >>> mx.nd.linalg.extractdiag(mx.nd.array([[1., 2.], [3., 4.]]), offset=1).asnumpy()
    array([2.], dtype=float32)
    """

    inputs = ("A",)
    params = _offset_params(with_lower=False)
    saves = ()

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        check_matrices(self.name, "A", a, square=True)
        _check_offset(self.name, p.offset, a[-1])
        return (a,), (tuple(a[:-2]) + (a[-1] - abs(p.offset),),)

    def forward(self, xp, p, a, out=None):
        return into(xp, xp.diagonal(a, p.offset, axis1=-2, axis2=-1), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._linalg_makediag(dy[0], offset=p.offset),)


@register("_linalg_makediag", aliases=("linalg_makediag",))
class MakeDiag(LinalgOp):
    """Return square matrices with the vectors of A on their ``offset`` diagonal, zeros
    elsewhere: a vector of n elements gives matrices of n + |offset| rows.

    >>> mx.nd.linalg.makediag(mx.nd.array([1., 2.])).asnumpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """

    inputs = ("A",)
    params = _offset_params(with_lower=False)
    saves = ()

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        _check_vectors(self.name, a)
        size = a[-1] + abs(p.offset)
        return (a,), (tuple(a[:-1]) + (size, size),)

    def forward(self, xp, p, a, out=None):
        size = a.shape[-1] + abs(p.offset)
        shape = a.shape[:-1] + (size, size)
        return _scatter(xp, a, shape, _diagonal_indices(size, p.offset), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._linalg_extractdiag(dy[0], offset=p.offset),)


@register("_linalg_extracttrian", aliases=("linalg_extracttrian",))
class ExtractTrian(LinalgOp):
    """Return a triangle of each square matrix as a vector: the lower one (``lower``, or
    offset < 0) row by row, else the upper one column by column.

    With ``offset`` the triangle starts at that diagonal: n x n matrices give vectors of
    m (m + 1) / 2 elements, m = n - |offset|.

    >>> a = mx.nd.array([[1., 2.], [3., 4.]])
    >>> mx.nd.linalg.extracttrian(a).asnumpy()
    array([1., 3., 4.], dtype=float32)
    >>> mx.nd.linalg.extracttrian(a, lower=False).asnumpy()
    array([1., 2., 4.], dtype=float32)
    """

    inputs = ("A",)
    params = _offset_params(with_lower=True)
    saves = ()

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        check_matrices(self.name, "A", a, square=True)
        _check_offset(self.name, p.offset, a[-1])
        size = a[-1] - abs(p.offset)
        return (a,), (tuple(a[:-2]) + (size * (size + 1) // 2,),)

    def forward(self, xp, p, a, out=None):
        rows, cols = _triangle_indices(a.shape[-1], p.offset, p.lower)
        return into(xp, a[..., xp.asarray(rows), xp.asarray(cols)], out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._linalg_maketrian(dy[0], offset=p.offset, lower=p.lower),)


@register("_linalg_maketrian", aliases=("linalg_maketrian",))
class MakeTrian(LinalgOp):
    """Return triangular matrices filled from vectors as ``extracttrian`` stores them, zeros
    elsewhere: vectors of m (m + 1) / 2 elements give matrices of m + |offset| rows.

    >>> mx.nd.linalg.maketrian(mx.nd.array([1., 2., 3.])).asnumpy()
    array([[1., 0.],
           [2., 3.]], dtype=float32)
    """

    inputs = ("A",)
    params = _offset_params(with_lower=True)
    saves = ()

    def _size(self, p, length):
        """The rows of the result for vectors of ``length`` elements, or raise."""
        m = (math.isqrt(8 * length + 1) - 1) // 2
        if m * (m + 1) // 2 != length:
            raise MXNetValueError(
                f"{self.name}: the last axis of A has {length} elements, which is not a "
                "triangular number m (m + 1) / 2 (1, 3, 6, 10, ...)"
            )
        return m + abs(p.offset)

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        _check_vectors(self.name, a)
        size = self._size(p, a[-1])
        return (a,), (tuple(a[:-1]) + (size, size),)

    def forward(self, xp, p, a, out=None):
        size = self._size(p, a.shape[-1])
        shape = a.shape[:-1] + (size, size)
        return _scatter(xp, a, shape, _triangle_indices(size, p.offset, p.lower), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._linalg_extracttrian(dy[0], offset=p.offset, lower=p.lower),)
