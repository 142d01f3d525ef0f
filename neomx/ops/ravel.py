"""Index arithmetic: ``_ravel_multi_index`` and ``_unravel_index``, and the legacy per-row
pickers ``batch_take`` and ``_onehot_encode``.

As elsewhere in MXNet, index arrays may have any dtype and floating-point ones truncate
toward zero.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetValueError
from .indexing import _as_index
from .infer import is_known, shape_str, unify_dtype
from .kernels import into
from .params import OptShape, Params
from .registry import Op, register

_SHAPE = OptShape(doc="The shape the indices refer to; its first dimension may be -1.")


def _target_shape(op_name, shape):
    """The ``shape`` parameter, which MXNet declares optional but needs."""
    if not shape:
        raise MXNetValueError(f"{op_name}: parameter 'shape' is required and must not be empty")
    if 0 in shape:
        raise MXNetValueError(f"{op_name}: shape {shape} has a zero dimension")
    return shape


def _strides(shape):
    """Row-major strides of ``shape``, computed literally: MXNet lets a -1 dimension in, and
    it then scales the strides of the axes before it."""
    strides = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    return strides


@register("_ravel_multi_index", aliases=("ravel_multi_index",))
class RavelMultiIndex(Op):
    """Convert a batch of multi-indices (one per column) into flat indices for ``shape``.

    ``data`` has shape (len(shape), N); the output has shape (N,) and data's dtype. The
    leading dimension of ``shape`` may be -1 (it does not enter the result). Indices are
    not checked against ``shape``.

    >>> mx.nd.ravel_multi_index(mx.nd.array([[3, 6, 6], [4, 5, 1]]), shape=(7, 6))
    <BLANKLINE>
    [22. 41. 37.]
    <NDArray 3 @cpu(0)>
    """

    params = Params(shape=_SHAPE)
    saves = ()

    def infer_shape(self, p, data):
        shape = _target_shape(self.name, p.shape)
        if not is_known(data):
            return None
        if len(data) != 2 or data[0] != len(shape):
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; expected ({len(shape)}, N): "
                f"one row per axis of shape {shape}"
            )
        return (data,), ((data[1],),)

    def forward(self, xp, p, data, out=None):
        index = _as_index(xp, data)
        flat = xp.zeros(data.shape[1], dtype=np.int64)
        for row, stride in zip(index, _strides(p.shape)):
            flat += row * stride
        return into(xp, flat.astype(data.dtype), out)

    def gradient(self, p, F, inputs, outputs, dy):
        # MXNet: indices carry no gradient; zeros flow back.
        return (F.zeros_like(inputs[0]),)


@register("_unravel_index", aliases=("unravel_index",))
class UnravelIndex(Op):
    """Convert flat indices into multi-indices for ``shape`` (one per column of the output).

    The output has shape (len(shape),) + data.shape and data's dtype. As in MXNet, the
    arithmetic is C's (remainders take the sign of the index) and the first coordinate is
    whatever is left after dividing by the other dimensions, so indices past the end give a
    first coordinate beyond ``shape[0]``; ``shape[0]`` may be -1.

    >>> mx.nd.unravel_index(mx.nd.array([22, 41, 37]), shape=(7, 6))
    <BLANKLINE>
    [[3. 6. 6.]
     [4. 5. 1.]]
    <NDArray 2x3 @cpu(0)>
    """

    params = Params(shape=_SHAPE)
    saves = ()

    def infer_shape(self, p, data):
        shape = _target_shape(self.name, p.shape)
        if not is_known(data):
            return None
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: data must have at least one dimension")
        return (data,), ((len(shape),) + tuple(data),)

    def forward(self, xp, p, data, out=None):
        rest = _as_index(xp, data)
        coordinates = [None] * len(p.shape)
        for axis in range(len(p.shape) - 1, 0, -1):
            remainder = xp.fmod(rest, p.shape[axis])
            coordinates[axis] = remainder
            rest = (rest - remainder) // p.shape[axis]
        coordinates[0] = rest
        return into(xp, xp.stack(coordinates).astype(data.dtype), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.zeros_like(inputs[0]),)


@register("batch_take")
class BatchTake(Op):
    """Take one element per row: ``output[i] = a[i, indices[i]]`` (deprecated: use ``pick``).

    ``a`` of shape (..., n) counts as rows of length n; ``indices`` holds one index per row
    (any shape of that size, which is the output's shape). Out-of-range indices are clipped
    to [0, n-1].

    >>> mx.nd.batch_take(mx.nd.array([[1, 2], [3, 4], [5, 6]]), mx.nd.array([0, 1, 0]))
    <BLANKLINE>
    [1. 4. 5.]
    <NDArray 3 @cpu(0)>
    """

    inputs = ("a", "indices")
    differentiable = False

    def infer_shape(self, p, a, indices):
        if not is_known(a) or not is_known(indices):
            return None
        if len(a) < 2:
            raise MXNetValueError(
                f"{self.name}: a has shape {shape_str(a)}; it needs at least 2 dimensions"
            )
        rows = math.prod(a[:-1])
        if math.prod(indices) != rows:
            raise MXNetValueError(
                f"{self.name}: indices has shape {shape_str(indices)}; it needs one index per "
                f"row of a {shape_str(a)}, {rows} in all"
            )
        return (a, indices), (indices,)

    def infer_type(self, p, a, indices):
        return None if a is None else ((a, indices), (a,))

    def forward(self, xp, p, a, indices, out=None):
        rows = a.reshape(-1, a.shape[-1])
        index = xp.clip(_as_index(xp, indices).reshape(-1), 0, a.shape[-1] - 1)
        picked = rows[xp.arange(rows.shape[0]), index]
        return into(xp, picked.reshape(indices.shape), out)


@register("_onehot_encode")
class OnehotEncode(Op):
    """Write the one-hot rows of ``lhs`` into an array shaped like ``rhs`` (legacy).

    Row i of the output is 1 at column ``lhs[i]`` and 0 elsewhere; an index outside
    [0, rhs.shape[1]) leaves its row all zero. ``mx.nd.onehot_encode(indices, out)`` calls it
    with ``out`` as both ``rhs`` and the output; prefer ``one_hot``.
    """

    inputs = ("lhs", "rhs")
    differentiable = False

    def infer_shape(self, p, lhs, rhs):
        if not is_known(lhs) or not is_known(rhs):
            return None
        if len(lhs) != 1 or len(rhs) != 2 or lhs[0] != rhs[0]:
            raise MXNetValueError(
                f"{self.name}: lhs {shape_str(lhs)} must be 1-d with one index per row of the "
                f"2-d rhs {shape_str(rhs)}"
            )
        return (lhs, rhs), (rhs,)

    def infer_type(self, p, lhs, rhs):
        dtype = unify_dtype(self.name, ("lhs", "rhs"), (lhs, rhs))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, lhs, rhs, out=None):
        result = xp.zeros(rhs.shape, dtype=rhs.dtype)
        index = _as_index(xp, lhs)
        valid = (index >= 0) & (index < rhs.shape[1])
        result[xp.arange(rhs.shape[0])[valid], index[valid]] = 1
        return into(xp, result, out)
