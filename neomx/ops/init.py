"""Operators that create arrays: _zeros, _ones, _full, _arange, _linspace, _eye, zeros_like,
ones_like, one_hot."""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetValueError
from .infer import is_known
from .kernels import cast_scalar
from .params import Bool, Ctx, DType, Float, Int, Params, Shape
from .registry import Op, register


class _Create(Op):
    """An operator without inputs: shape, dtype and device come from its parameters."""

    inputs = ()
    creates = True
    differentiable = False

    def infer_shape(self, p):
        return (), (self.output_shape(p),)

    def infer_type(self, p):
        return (), (np.dtype(p.dtype),)

    def output_shape(self, p):
        if any(d < 0 for d in p.shape):
            raise MXNetValueError(f"{self.name}: shape {p.shape} has a negative dimension")
        return p.shape


def _fill(xp, shape, dtype, value, out):
    value = cast_scalar(dtype, value)
    if out is None:
        return xp.full(shape, value, dtype=dtype)
    out.fill(value)
    return out


@register("_zeros")
class Zeros(_Create):
    """Return an array of zeros."""

    params = Params(shape=Shape(()), ctx=Ctx(None), dtype=DType("float32"))

    def forward(self, xp, p, out=None):
        return _fill(xp, p.shape, p.dtype, 0, out)


@register("_ones")
class Ones(_Create):
    """Return an array of ones."""

    params = Params(shape=Shape(()), ctx=Ctx(None), dtype=DType("float32"))

    def forward(self, xp, p, out=None):
        return _fill(xp, p.shape, p.dtype, 1, out)


@register("_full")
class Full(_Create):
    """Return an array filled with ``value``."""

    params = Params(shape=Shape(()), ctx=Ctx(None), dtype=DType("float32"), value=Float())

    def forward(self, xp, p, out=None):
        return _fill(xp, p.shape, p.dtype, p.value, out)


@register("_arange")
class Arange(_Create):
    """Return evenly spaced values in [start, stop), each repeated ``repeat`` times."""

    params = Params(
        start=Float(),
        stop=Float(None),
        step=Float(1.0),
        repeat=Int(1, min=1),
        infer_range=Bool(False),
        ctx=Ctx(None),
        dtype=DType("float32"),
    )

    def _bounds(self, p):
        start, stop = (0.0, p.start) if p.stop is None else (p.start, p.stop)
        if p.step == 0:
            raise MXNetValueError(f"{self.name}: step cannot be 0")
        return start, stop

    def output_shape(self, p):
        start, stop = self._bounds(p)
        count = max(0, math.ceil((stop - start) / p.step))
        if count == 0:
            raise MXNetValueError(
                f"{self.name}: start={start}, stop={stop}, step={p.step} gives an empty range"
            )
        return (count * p.repeat,)

    def forward(self, xp, p, out=None):
        start, _ = self._bounds(p)
        count = self.output_shape(p)[0] // p.repeat
        step = p.step
        if np.dtype(p.dtype).kind in "iu":
            # MXNet casts start and step to an integer dtype before stepping (the count comes
            # from the float values): arange(0, 5, 1.5, dtype='int32') is [0, 1, 2, 3].
            start, step = int(start), int(step)
        # MXNet computes start + i * step in double precision, then casts.
        values = (start + xp.arange(count, dtype="float64") * step).astype(p.dtype)
        if p.repeat > 1:
            values = xp.repeat(values, p.repeat)
        if out is None:
            return values
        xp.copyto(out, values)
        return out


@register("_linspace")
class Linspace(_Create):
    """Return ``num`` evenly spaced values from start to stop (stop included if endpoint)."""

    params = Params(
        start=Float(),
        stop=Float(),
        step=Float(1.0),
        repeat=Int(1),
        infer_range=Bool(False),
        ctx=Ctx(None),
        dtype=DType("float32"),
        num=Int(min=0),
        endpoint=Bool(True),
    )

    def output_shape(self, p):
        return (p.num,)

    def forward(self, xp, p, out=None):
        values = xp.linspace(p.start, p.stop, p.num, endpoint=p.endpoint, dtype="float64")
        if out is None:
            return values.astype(p.dtype)
        xp.copyto(out, values, casting="unsafe")
        return out


@register("_eye")
class Eye(_Create):
    """Return an N x M array with ones on diagonal ``k`` (M=0 means M=N)."""

    params = Params(
        N=Int(min=0), M=Int(0, min=0), k=Int(0), ctx=Ctx(None), dtype=DType("float32")
    )

    def output_shape(self, p):
        return (p.N, p.M or p.N)

    def forward(self, xp, p, out=None):
        values = xp.eye(p.N, p.M or p.N, k=p.k, dtype=p.dtype)
        if out is None:
            return values
        xp.copyto(out, values)
        return out


class _Like(Op):
    fill = 0

    def forward(self, xp, p, data, out=None):
        return _fill(xp, data.shape, data.dtype, self.fill, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)


@register("zeros_like")
class ZerosLike(_Like):
    """Return an array of zeros with the shape and dtype of the input."""

    fill = 0


@register("ones_like")
class OnesLike(_Like):
    """Return an array of ones with the shape and dtype of the input."""

    fill = 1


@register("one_hot")
class OneHot(Op):
    """Return the one-hot encoding of integer ``indices`` along a new last axis of ``depth``.

    Indices outside [0, depth) give a row of ``off_value``.
    """

    inputs = ("indices",)
    params = Params(
        depth=Int(min=1), on_value=Float(1.0), off_value=Float(0.0), dtype=DType("float32")
    )

    def infer_shape(self, p, indices):
        if not is_known(indices):
            return None
        return (indices,), (tuple(indices) + (p.depth,),)

    def infer_type(self, p, indices):
        return (indices,), (np.dtype(p.dtype),)

    def forward(self, xp, p, indices, out=None):
        result = _fill(xp, tuple(indices.shape) + (p.depth,), p.dtype, p.off_value, out)
        index = indices.astype("int64")
        valid = (index >= 0) & (index < p.depth)
        flat = result.reshape(-1, p.depth)
        rows = xp.nonzero(valid.reshape(-1))[0]
        flat[rows, index.reshape(-1)[rows]] = cast_scalar(p.dtype, p.on_value)
        return result

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)
