"""Variable-length sequence operators: SequenceMask, SequenceLast, SequenceReverse.

Data is laid out (sequence, batch, ...) with ``axis=0`` or (batch, sequence, ...) with
``axis=1``. With ``use_sequence_length=True`` a second input holds each batch element's length;
as in MXNet 1.9.1 it may have any dtype, and fractional lengths truncate toward zero.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .infer import is_known, shape_str, unify
from .kernels import cast_scalar, into
from .params import Bool, Float, Int, Params
from .registry import Op, register


def _lengths(lengths):
    """Lengths as int64, truncated toward zero (MXNet casts them to an integer type)."""
    with np.errstate(invalid="ignore"):
        return lengths.astype(np.int64)


def _copy(xp, data, out):
    if out is None:
        return data.copy()
    xp.copyto(out, data)
    return out


class _Sequence(Op):
    """Shared parameters, inputs and inference of the sequence operators."""

    inputs = ("data", "sequence_length")
    params = Params(use_sequence_length=Bool(False), axis=Int(0))
    saves = ("sequence_length",)
    axes = (0, 1)

    def arguments(self, p):
        return self.inputs if p.use_sequence_length else self.inputs[:1]

    def check_params(self, p, lengths):
        if p.axis not in self.axes:
            supported = " and ".join(str(a) for a in self.axes)
            raise MXNetValueError(f"{self.name}: axis={p.axis} is not supported; use {supported}")
        if lengths is not None and not p.use_sequence_length:
            raise MXNetValueError(
                f"{self.name}: sequence_length was given, but use_sequence_length=False; "
                "pass use_sequence_length=True to use it"
            )

    def infer_shape(self, p, data, sequence_length=None):
        self.check_params(p, sequence_length)
        if not is_known(data):
            return None
        if len(data) < 2:
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; it needs at least 2 dimensions "
                "(sequence and batch)"
            )
        if not p.use_sequence_length:
            return (data,), (self.output_shape(p, data),)
        batch = data[1 - p.axis]
        lengths = unify(self.name, "sequence_length", sequence_length, (batch,))
        return (data, lengths), (self.output_shape(p, data),)

    def output_shape(self, p, data):
        return tuple(data)

    def infer_type(self, p, data, sequence_length=None):
        if data is None:
            return None
        if not p.use_sequence_length:
            return (data,), (data,)
        lengths = data if sequence_length is None else sequence_length
        return (data, lengths), (data,)


def _steps_by_batch(axis, ndim, steps, lengths):
    """Return ``steps`` (T,) and ``lengths`` (B,) reshaped to broadcast against data of
    ``ndim`` dimensions whose sequence axis is ``axis``."""
    trailing = (1,) * (ndim - 2)
    if axis == 0:
        return steps.reshape((-1, 1) + trailing), lengths.reshape((1, -1) + trailing)
    return steps.reshape((1, -1) + trailing), lengths.reshape((-1, 1) + trailing)


@register("SequenceMask")
class SequenceMask(_Sequence):
    """Set the steps of each sequence past its length to ``value``.

    ``data`` has shape (max_sequence_length, batch, ...) with ``axis=0`` or (batch,
    max_sequence_length, ...) with ``axis=1``. Without ``use_sequence_length`` every sequence
    has the full length and the data comes back unchanged.

    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.SequenceMask(x, mx.nd.array([1, 2]), use_sequence_length=True, value=-1)
    <BLANKLINE>
    [[ 1.  2.]
     [-1.  4.]
     [-1. -1.]]
    <NDArray 3x2 @cpu(0)>
    """

    params = Params(use_sequence_length=Bool(False), value=Float(0.0), axis=Int(0))

    def forward(self, xp, p, data, sequence_length=None, out=None):
        if not p.use_sequence_length:
            return _copy(xp, data, out)
        steps, lengths = _steps_by_batch(
            p.axis, data.ndim, xp.arange(data.shape[p.axis]), _lengths(sequence_length)
        )
        fill = cast_scalar(data.dtype, p.value)
        if out is None:
            return xp.where(steps < lengths, data, fill)
        xp.copyto(out, data)
        xp.copyto(out, fill, where=xp.broadcast_to(steps >= lengths, data.shape))
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        if not p.use_sequence_length:
            return (dy[0],)
        masked = F.SequenceMask(dy[0], inputs[1], use_sequence_length=True, value=0.0, axis=p.axis)
        return masked, None


@register("SequenceLast")
class SequenceLast(_Sequence):
    """Return the last step of each sequence: shape (batch, ...) from (sequence, batch, ...)
    (``axis=0``) or (batch, sequence, ...) (``axis=1``).

    With ``use_sequence_length`` the step taken is ``sequence_length - 1`` per batch element;
    lengths must lie in [1, max_sequence_length] (MXNet 1.9.1 reads out of bounds otherwise).

    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.SequenceLast(x, mx.nd.array([1, 3]), use_sequence_length=True)
    <BLANKLINE>
    [1. 6.]
    <NDArray 2 @cpu(0)>
    """

    def infer_shape(self, p, data, sequence_length=None):
        result = super().infer_shape(p, data, sequence_length)
        if result is not None and data[p.axis] == 0:
            raise MXNetValueError(
                f"{self.name}: data has shape {shape_str(data)}; an empty sequence (axis "
                f"{p.axis}) has no last element"
            )
        return result

    def output_shape(self, p, data):
        return tuple(data[: p.axis]) + tuple(data[p.axis + 1 :])

    def forward(self, xp, p, data, sequence_length=None, out=None):
        steps = data.shape[p.axis]
        if not p.use_sequence_length:
            return into(xp, xp.take(data, steps - 1, axis=p.axis), out)
        lengths = _lengths(sequence_length)
        if bool(((lengths < 1) | (lengths > steps)).any()):
            raise MXNetValueError(
                f"{self.name}: sequence_length holds {_outside(lengths, 1, steps)}, outside "
                f"[1, {steps}] (the data's sequence axis {p.axis} has {steps} steps)"
            )
        index = (lengths - 1).reshape((1, -1) if p.axis == 0 else (-1, 1))
        index = index.reshape(index.shape + (1,) * (data.ndim - 2))
        last = xp.take_along_axis(data, index, axis=p.axis)
        return into(xp, xp.squeeze(last, axis=p.axis), out)

    def gradient(self, p, F, inputs, outputs, dy):
        data_shape = inputs[0].shape
        steps = data_shape[p.axis]
        spread = F.expand_dims(dy[0], axis=p.axis)
        if not p.use_sequence_length:
            ndim = len(data_shape)
            begin = tuple(steps - 1 if a == p.axis else None for a in range(ndim))
            zeros = F.broadcast_to(F.zeros_like(spread), shape=data_shape)
            return (F._slice_assign(zeros, spread, begin=begin, end=(None,) * ndim),)
        lengths = inputs[1]
        # One-hot over the steps picks where each batch element's gradient goes.
        picked = F.one_hot(
            F._minus_scalar(lengths, scalar=1), depth=steps, dtype=np.dtype(dy[0].dtype).name
        )
        if p.axis == 0:
            picked = F.transpose(picked)
        picked = F.reshape(picked, shape=tuple(data_shape[:2]) + (1,) * (len(data_shape) - 2))
        return F.broadcast_mul(spread, picked), None


def _outside(lengths, low, high):
    """The first length outside [low, high], for error messages."""
    bad = lengths[(lengths < low) | (lengths > high)]
    return int(bad.reshape(-1)[0])


@register("SequenceReverse")
class SequenceReverse(_Sequence):
    """Reverse the first ``sequence_length`` steps of each sequence along axis 0.

    ``data`` has shape (max_sequence_length, batch, ...); steps past a sequence's length keep
    their place. Only ``axis=0`` is supported, as in MXNet 1.9.1. Lengths must lie in
    [0, max_sequence_length] (MXNet 1.9.1 reads out of bounds otherwise).

    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.SequenceReverse(x, mx.nd.array([2, 3]), use_sequence_length=True)
    <BLANKLINE>
    [[3. 6.]
     [1. 4.]
     [5. 2.]]
    <NDArray 3x2 @cpu(0)>
    """

    axes = (0,)

    def forward(self, xp, p, data, sequence_length=None, out=None):
        steps = data.shape[0]
        if not p.use_sequence_length:
            return into(xp, xp.flip(data, axis=0), out)
        lengths = _lengths(sequence_length)
        if bool(((lengths < 0) | (lengths > steps)).any()):
            raise MXNetValueError(
                f"{self.name}: sequence_length holds {_outside(lengths, 0, steps)}, outside "
                f"[0, {steps}] (the data has {steps} steps)"
            )
        position, lengths = _steps_by_batch(0, 2, xp.arange(steps), lengths)
        source = xp.where(position < lengths, lengths - 1 - position, position)
        source = source.reshape(source.shape + (1,) * (data.ndim - 2))
        return into(xp, xp.take_along_axis(data, source, axis=0), out)

    def gradient(self, p, F, inputs, outputs, dy):
        # Reversing twice restores the order: the operator is its own adjoint.
        if not p.use_sequence_length:
            return (F.SequenceReverse(dy[0]),)
        return F.SequenceReverse(dy[0], inputs[1], use_sequence_length=True), None
