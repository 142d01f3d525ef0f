"""Gathering and scattering by index arrays: ``take``, ``gather_nd``, ``scatter_nd``,
``_scatter_set_nd`` and the backward operators their gradients use.

Index arrays may have any dtype; as in MXNet, floating-point indices are truncated toward zero.
``NDArray.__getitem__``/``__setitem__`` build their advanced indexing on these operators.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetIndexError, MXNetValueError
from .infer import is_known, normalize_axis, shape_str
from .kernels import into
from .params import Enum, Int, Params, Shape
from .registry import Op, register


def _as_index(xp, indices):
    """Integer indices; float ones truncate toward zero, as MXNet's casts do."""
    if indices.dtype == np.int64:
        return indices
    with np.errstate(invalid="ignore"):
        return indices.astype(np.int64)




def _zeroed(xp, shape, dtype, out):
    """A zero array of ``shape`` (``out`` cleared when given)."""
    if out is None:
        return xp.zeros(shape, dtype=dtype)
    out.fill(0)
    return out


def _gathered_shape(op_name, data, indices):
    """``indices[1:] + data[M:]`` for indices of shape (M, ...); raise when M does not fit."""
    if len(indices) < 2:
        raise MXNetValueError(
            f"{op_name}: indices {shape_str(indices)} must have at least 2 dimensions "
            "(M, ...), M indexing the leading axes of data"
        )
    if indices[0] > len(data):
        raise MXNetValueError(
            f"{op_name}: indices {shape_str(indices)} index {indices[0]} axes, but data "
            f"{shape_str(data)} has only {len(data)}"
        )
    return tuple(indices[1:]) + tuple(data[indices[0] :])


@register("gather_nd")
class GatherND(Op):
    """Gather elements or slices of ``data`` at the coordinates in ``indices``.

    ``indices`` of shape (M, Y0, ..., Yk) holds M coordinates per output position; the
    output has shape (Y0, ..., Yk) + data.shape[M:]. Negative coordinates count from the end.

    >>> mx.nd.gather_nd(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([[1, 0], [0, 1]]))
    <BLANKLINE>
    [3. 2.]
    <NDArray 2 @cpu(0)>
    """

    inputs = ("data", "indices")
    saves = ("indices",)

    def infer_shape(self, p, data, indices):
        if not is_known(data) or not is_known(indices):
            return None
        return (data, indices), (_gathered_shape(self.name, data, indices),)

    def infer_type(self, p, data, indices):
        return None if data is None else ((data, indices), (data,))

    def forward(self, xp, p, data, indices, out=None):
        index = tuple(_as_index(xp, indices))
        try:
            result = data[index]
        except IndexError as err:
            raise MXNetIndexError(f"{self.name}: {err}") from None
        return into(xp, result, out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, indices = inputs
        return F._backward_gather_nd(dy[0], indices, shape=data.shape), None


class _IntoShape(Op):
    """An operator writing ``data`` at ``indices`` of a new array of ``shape``."""

    inputs = ("data", "indices")
    params = Params(shape=Shape())
    saves = ("indices",)

    def infer_shape(self, p, data, indices):
        if not is_known(indices):
            return None
        expected = _gathered_shape(self.name, p.shape, indices)
        if data is not None and tuple(data) != expected:
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; indices {shape_str(indices)} "
                f"and shape {p.shape} need {shape_str(expected)}"
            )
        return (expected, indices), (p.shape,)

    def infer_type(self, p, data, indices):
        return None if data is None else ((data, indices), (data,))

    def gradient(self, p, F, inputs, outputs, dy):
        return F.gather_nd(dy[0], inputs[1]), None


@register("_backward_gather_nd")
class BackwardGatherND(_IntoShape):
    """Sum ``data`` into a zero array of ``shape`` at the coordinates in ``indices``.

    Repeated coordinates accumulate; negative ones count from the end (as in ``gather_nd``,
    whose gradient this is).
    """

    def forward(self, xp, p, data, indices, out=None):
        result = _zeroed(xp, p.shape, data.dtype, out)
        try:
            xp.add.at(result, tuple(_as_index(xp, indices)), data)
        except IndexError as err:
            raise MXNetIndexError(f"{self.name}: {err}") from None
        return result


@register("scatter_nd")
class ScatterND(_IntoShape):
    """Write ``data`` into a zero array of ``shape`` at the coordinates in ``indices``.

    The inverse layout of ``gather_nd``, with its index rules: negative coordinates count from
    the end, others out of range are an error (MXNet 1.9.1 writes out of bounds for negative
    ones). With repeated coordinates one of the values is kept.
    """

    def forward(self, xp, p, data, indices, out=None):
        result = _zeroed(xp, p.shape, data.dtype, out)
        _scatter(self.name, result, data, _as_index(xp, indices))
        return result


def _scatter(op_name, target, values, index):
    """``target[index] = values``; raise for a coordinate outside [-dim, dim)."""
    try:
        target[tuple(index)] = values
    except IndexError as err:
        raise MXNetIndexError(f"{op_name}: {err}") from None


@register("_scatter_set_nd")
class ScatterSetND(Op):
    """Return ``lhs`` with the elements at the coordinates in ``indices`` set to ``rhs``.

    ``scatter_nd`` that keeps the other elements of ``lhs`` (same index rules). MXNet runs it
    in place (``out=lhs``), which is how ``x[index_array] = value`` uses it.
    """

    inputs = ("lhs", "rhs", "indices")
    params = Params(shape=Shape())
    saves = ("indices",)

    def infer_shape(self, p, lhs, rhs, indices):
        if not is_known(indices):
            return None
        if lhs is not None and tuple(lhs) != tuple(p.shape):
            raise MXNetValueError(
                f"{self.name}: lhs has shape {shape_str(lhs)}, but shape={p.shape}"
            )
        expected = _gathered_shape(self.name, p.shape, indices)
        if rhs is not None and tuple(rhs) != expected:
            raise MXNetValueError(
                f"{self.name}: rhs has shape {shape_str(rhs)}; indices {shape_str(indices)} "
                f"into lhs {shape_str(p.shape)} select {shape_str(expected)}"
            )
        return (p.shape, expected, indices), (p.shape,)

    def infer_type(self, p, lhs, rhs, indices):
        dtype = lhs if lhs is not None else rhs
        return None if dtype is None else ((dtype, dtype, indices), (dtype,))

    def forward(self, xp, p, lhs, rhs, indices, out=None):
        if out is None:
            out = lhs.copy()
        elif out is not lhs:
            xp.copyto(out, lhs)
        _scatter(self.name, out, rhs, _as_index(xp, indices))
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        indices = inputs[2]
        d_rhs = F.gather_nd(dy[0], indices)
        d_lhs = F._scatter_set_nd(dy[0], F.zeros_like(d_rhs), indices, shape=p.shape)
        return d_lhs, d_rhs, None


_MODES = ("clip", "raise", "wrap")


def _take_index(op_name, xp, indices, size, mode):
    """Map ``indices`` into [0, size) by ``mode``: clip, wrap around, or raise."""
    index = _as_index(xp, indices)
    if mode == "clip":
        return xp.clip(index, 0, size - 1)
    if mode == "wrap":
        return xp.mod(index, size)
    bad = (index < 0) | (index >= size)
    if bool(bad.any()):
        first = int(index[bad].reshape(-1)[0])
        raise MXNetIndexError(
            f"{op_name}: index {first} is out of bounds for an axis of size {size} "
            "(mode='raise')"
        )
    return index


@register("take")
class Take(Op):
    """Take the slices of ``a`` at ``indices`` along ``axis``.

    The output has shape a.shape[:axis] + indices.shape + a.shape[axis+1:]. Out-of-range
    indices are clipped (``mode='clip'``, the default), wrapped around (``'wrap'``) or an
    error (``'raise'``, which also refuses negative indices, as MXNet 1.9.1 does).

    >>> mx.nd.take(mx.nd.array([[1, 2], [3, 4], [5, 6]]), mx.nd.array([2, 0]))
    <BLANKLINE>
    [[5. 6.]
     [1. 2.]]
    <NDArray 2x2 @cpu(0)>
    """

    inputs = ("a", "indices")
    params = Params(axis=Int(0), mode=Enum(_MODES, "clip"))
    saves = ("indices",)

    def infer_shape(self, p, a, indices):
        if not is_known(a) or not is_known(indices):
            return None
        axis = normalize_axis(self.name, p.axis, len(a))
        return (a, indices), (tuple(a[:axis]) + tuple(indices) + tuple(a[axis + 1 :]),)

    def infer_type(self, p, a, indices):
        return None if a is None else ((a, indices), (a,))

    def forward(self, xp, p, a, indices, out=None):
        axis = p.axis % a.ndim
        if p.mode in ("clip", "wrap") and a.shape[axis] > 0:
            # The array module clips or wraps while gathering: no extra pass over the indices.
            return xp.take(a, _as_index(xp, indices), axis=axis, mode=p.mode, out=out)
        index = _take_index(self.name, xp, indices, a.shape[axis], p.mode)
        return into(xp, xp.take(a, index, axis=axis), out)

    def gradient(self, p, F, inputs, outputs, dy):
        a, indices = inputs
        return F._backward_take(dy[0], indices, axis=p.axis, mode=p.mode, shape=a.shape), None


@register("_backward_take")
class BackwardTake(Op):
    """Sum the slices of ``ograd`` into a zero array of ``shape`` at ``indices`` along
    ``axis`` (the gradient of ``take``; indices are mapped by ``mode`` as there)."""

    inputs = ("ograd", "indices")
    params = Params(axis=Int(0), mode=Enum(_MODES, "clip"), shape=Shape())
    saves = ("indices",)

    def infer_shape(self, p, ograd, indices):
        if not is_known(indices):
            return None
        return ((Take.infer_shape(self, p, p.shape, indices)[1][0], indices), (p.shape,))

    def infer_type(self, p, ograd, indices):
        return None if ograd is None else ((ograd, indices), (ograd,))

    def forward(self, xp, p, ograd, indices, out=None):
        axis = p.axis % len(p.shape)
        index = _take_index(self.name, xp, indices, p.shape[axis], p.mode)
        result = _zeroed(xp, p.shape, ograd.dtype, out)
        # Move the taken axis to the front so that one add.at over axis 0 does the sum.
        front = xp.moveaxis(result, axis, 0)
        grads = xp.moveaxis(
            ograd.reshape(p.shape[:axis] + (index.size,) + p.shape[axis + 1 :]), axis, 0
        )
        xp.add.at(front, index.reshape(-1), grads)
        return result

    def gradient(self, p, F, inputs, outputs, dy):
        return F.take(dy[0], inputs[1], axis=p.axis, mode=p.mode), None
