"""Reductions: sum (the rest of the family comes with the tensor-operator library) and the
reduction that returns broadcast gradients to their input shapes."""

from __future__ import annotations

from .infer import is_known, normalize_axis
from .params import Bool, OptShape, Params
from .registry import Op, register


def reduce_axes(op_name, ndim, axis, exclude):
    """The axes a reduction over ``axis`` (None = all; ``exclude`` = all others) covers."""
    if not axis:
        # MXNet: no axis reduces everything; exclude=True with an empty axis too.
        return tuple(range(ndim))
    axes = tuple(sorted({normalize_axis(op_name, a, ndim) for a in axis}))
    if exclude:
        axes = tuple(a for a in range(ndim) if a not in axes)
    return axes


@register("sum", aliases=("sum_axis",))
class Sum(Op):
    """Sum over ``axis`` (all axes when None; every other axis with ``exclude=True``)."""

    params = Params(axis=OptShape(), keepdims=Bool(False), exclude=Bool(False))

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        return (data,), (self._out_shape(p, data),)

    def _out_shape(self, p, data):
        axes = reduce_axes(self.name, len(data), p.axis, p.exclude)
        if p.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(data))
        # MXNet 1.x has no 0-d arrays: a full reduction gives shape (1,).
        return tuple(d for i, d in enumerate(data) if i not in axes) or (1,)

    def forward(self, xp, p, data, out=None):
        axes = reduce_axes(self.name, data.ndim, p.axis, p.exclude)
        result = xp.sum(data, axis=axes, keepdims=p.keepdims, dtype=data.dtype)
        result = result.reshape(self._out_shape(p, data.shape))
        if out is None:
            return result
        xp.copyto(out, result)
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        axes = reduce_axes(self.name, len(x.shape), p.axis, p.exclude)
        kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        return (F.broadcast_like(F.reshape(dy[0], shape=kept), x),)


@register("_broadcast_backward")
class BroadcastBackward(Op):
    """Sum ``data`` down to the shape of ``like`` (the gradient of a broadcast)."""

    inputs = ("data", "like")

    def infer_shape(self, p, data, like):
        if like is None or not is_known(like):
            return None
        return (data, like), (like,)

    def infer_type(self, p, data, like):
        return (data, like), (data,)

    def forward(self, xp, p, data, like, out=None):
        target = like.shape
        extra = data.ndim - len(target)
        axes = tuple(range(extra)) + tuple(
            extra + i for i, d in enumerate(target) if d == 1 and data.shape[extra + i] != 1
        )
        result = xp.sum(data, axis=axes, dtype=data.dtype).reshape(target) if axes else data
        if out is None:
            return result if axes else result.copy()
        xp.copyto(out, result)
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        grad = dy[0]
        # broadcast_like needs equal ndim: restore the leading axes the reduction removed.
        for _ in range(len(inputs[0].shape) - len(inputs[1].shape)):
            grad = F.expand_dims(grad, axis=0)
        return F.broadcast_like(grad, inputs[0]), None
