"""Padding: the ``Pad`` operator (``pad``) with constant, edge and reflect modes."""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, shape_str
from .kernels import cast_scalar, into
from .params import Enum, Float, Params, Shape
from .registry import Op, register


@register("Pad", aliases=("pad",))
class Pad(Op):
    """Pad a 4-D or 5-D array along its spatial axes (2 and up).

    ``pad_width`` holds (before, after) widths for every axis, flattened:
    ``(before_0, after_0, ..., before_N, after_N)``; those of axes 0 and 1 must be 0.
    ``mode='constant'`` fills with ``constant_value``, ``'edge'`` repeats the edge values and
    ``'reflect'`` mirrors the array about its edges (not repeating them); reflect widths must
    be smaller than the axis. Only floating-point data can be padded, as in MXNet 1.9.1.

    >>> x = mx.nd.ones((1, 1, 2, 2))
    >>> mx.nd.pad(x, mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 1, 1)).shape
    (1, 1, 4, 4)
    """

    params = Params(
        mode=Enum(("constant", "edge", "reflect"), doc="How the padded values are chosen."),
        pad_width=Shape(doc="(before, after) widths of every axis, flattened."),
        constant_value=Float(0.0, doc="The value padded with in mode 'constant'."),
    )
    saves = ()

    def widths(self, p, data):
        """The (before, after) pairs, one per axis, after checking them against ``data``."""
        ndim = len(data)
        if ndim not in (4, 5):
            raise MXNetValueError(
                f"{self.name}: only 4-D and 5-D inputs can be padded, got shape {shape_str(data)}"
            )
        if len(p.pad_width) != 2 * ndim:
            raise MXNetValueError(
                f"{self.name}: pad_width {p.pad_width} must hold {2 * ndim} values, two per "
                f"axis of input {shape_str(data)}"
            )
        if any(w is None or w < 0 for w in p.pad_width):
            raise MXNetValueError(
                f"{self.name}: pad_width {p.pad_width} must hold non-negative widths"
            )
        if any(p.pad_width[:4]):
            raise MXNetValueError(
                f"{self.name}: pad_width {p.pad_width} pads axis 0 or 1; only axes 2 and up "
                "can be padded"
            )
        pairs = tuple(zip(p.pad_width[::2], p.pad_width[1::2]))
        for axis, ((before, after), size) in enumerate(zip(pairs, data)):
            if p.mode == "reflect" and max(before, after) >= size and before + after:
                raise MXNetValueError(
                    f"{self.name}: reflect widths ({before}, {after}) of axis {axis} must be "
                    f"smaller than its size {size} (input {shape_str(data)})"
                )
            if p.mode == "edge" and size == 0 and before + after:
                raise MXNetValueError(
                    f"{self.name}: axis {axis} of input {shape_str(data)} is empty, so it has "
                    "no edge to pad with"
                )
        return pairs

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        pairs = self.widths(p, data)
        return (data,), (tuple(d + b + a for d, (b, a) in zip(data, pairs)),)

    def infer_type(self, p, dtype):
        if dtype is None:
            return None
        if np.dtype(dtype).kind != "f":
            raise MXNetTypeError(
                f"{self.name}: only floating-point arrays can be padded, got dtype {dtype}"
            )
        return (dtype,), (dtype,)

    def forward(self, xp, p, data, out=None):
        pairs = self.widths(p, data.shape)
        if p.mode == "constant":
            value = cast_scalar(data.dtype, p.constant_value)
            return into(xp, xp.pad(data, pairs, mode="constant", constant_values=value), out)
        return into(xp, xp.pad(data, pairs, mode=p.mode), out)

    def gradient(self, p, F, inputs, outputs, dy):
        shape = tuple(inputs[0].shape)
        pairs = self.widths(p, shape)
        if p.mode == "constant":
            begin = tuple(before for before, _ in pairs)
            end = tuple(before + size for (before, _), size in zip(pairs, shape))
            return (F.slice(dy[0], begin=begin, end=end),)
        grad = dy[0]
        for axis, (before, after) in enumerate(pairs):
            if before or after:
                grad = self._fold_axis(p.mode, F, grad, axis, before, after, shape[axis])
        return (grad,)

    def _fold_axis(self, mode, F, grad, axis, before, after, size):
        """Sum the gradient of the padding of one axis back into the ``size`` values it
        copied; the result is padded with zeros (this operator) to line up with them."""
        ndim = len(grad.shape)

        def spread(part, lead, trail):
            widths = [0] * (2 * ndim)
            widths[2 * axis : 2 * axis + 2] = lead, trail
            return F.Pad(part, mode="constant", pad_width=tuple(widths))

        total = F.slice_axis(grad, axis=axis, begin=before, end=before + size)
        if before:
            front = F.slice_axis(grad, axis=axis, begin=0, end=before)
            if mode == "edge":
                front = spread(F.sum(front, axis=axis, keepdims=True), 0, size - 1)
            else:
                # Padded position j (counted from the edge) copied value j + 1.
                front = spread(F.reverse(front, axis=axis), 1, size - 1 - before)
            total = F.elemwise_add(total, front)
        if after:
            back = F.slice_axis(grad, axis=axis, begin=before + size, end=None)
            if mode == "edge":
                back = spread(F.sum(back, axis=axis, keepdims=True), size - 1, 0)
            else:
                back = spread(F.reverse(back, axis=axis), size - 1 - after, 1)
            total = F.elemwise_add(total, back)
        return total
