"""Operators that move elements without computing on them: squeeze, SwapAxis, reverse, repeat,
depth_to_space, space_to_depth and diag (Pad lives in pad.py)."""

from __future__ import annotations

from ..base import MXNetValueError
from .infer import normalize_axis, shape_str
from .kernels import into
from .params import Int, OptShape, Params, Shape
from .registry import register
from .shape import _KnownInput


@register("squeeze")
class Squeeze(_KnownInput):
    """Remove axes of size 1: all of them, or those listed in ``axis``.

    Unlike ``numpy.squeeze`` the result keeps at least one axis, as in MXNet 1.9.1:
    squeezing shape (1, 1) gives shape (1,) (a 0-d input stays 0-d).

    >>> mx.nd.squeeze(mx.nd.ones((1, 2, 1))).shape
    (2,)
    """

    params = Params(axis=OptShape(doc="The axes to remove; each must have size 1."))
    saves = ()

    def removed_axes(self, p, data):
        """The sorted axes that the call removes."""
        if p.axis is None:
            return tuple(i for i, dim in enumerate(data) if dim == 1)
        axes = []
        for axis in p.axis:
            index = normalize_axis(self.name, axis, len(data))
            if index in axes:
                raise MXNetValueError(f"{self.name}: axis {p.axis} names axis {index} twice")
            if data[index] != 1:
                raise MXNetValueError(
                    f"{self.name}: cannot squeeze axis {axis} of input {shape_str(data)}: its "
                    f"size is {data[index]}, not 1"
                )
            axes.append(index)
        return tuple(sorted(axes))

    def output_shape(self, p, data):
        removed = self.removed_axes(p, data)
        kept = tuple(dim for i, dim in enumerate(data) if i not in removed)
        # MXNet 1.x has no 0-d results: removing every axis leaves shape (1,).
        return kept if kept or not data else (1,)

    def forward(self, xp, p, data, out=None):
        return into(xp, data.reshape(self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        shape = tuple(inputs[0].shape)
        removed = self.removed_axes(p, shape)
        grad = dy[0]
        if len(removed) == len(shape):
            # The (1,) result stands for the last axis; restore the others in front of it.
            removed = removed[:-1]
        for axis in removed:
            grad = F.expand_dims(grad, axis=axis)
        return (grad,)


@register("SwapAxis", aliases=("swapaxes",))
class SwapAxis(_KnownInput):
    """Interchange two axes of the array.

    >>> mx.nd.swapaxes(mx.nd.ones((2, 3, 4)), dim1=0, dim2=2).shape
    (4, 3, 2)
    """

    params = Params(
        dim1=Int(0, doc="The first axis to swap."), dim2=Int(0, doc="The second axis to swap.")
    )
    saves = ()

    def axes(self, p, ndim):
        return (
            normalize_axis(self.name, p.dim1, ndim, "dim1"),
            normalize_axis(self.name, p.dim2, ndim, "dim2"),
        )

    def output_shape(self, p, data):
        first, second = self.axes(p, len(data))
        shape = list(data)
        shape[first], shape[second] = shape[second], shape[first]
        return tuple(shape)

    def forward(self, xp, p, data, out=None):
        first, second = self.axes(p, data.ndim)
        return into(xp, xp.swapaxes(data, first, second), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.SwapAxis(dy[0], dim1=p.dim1, dim2=p.dim2),)


@register("reverse", aliases=("flip",))
class Reverse(_KnownInput):
    """Reverse the order of the elements along each axis in ``axis``.

    An axis listed twice is reversed twice (left as it is), as in MXNet 1.9.1. Negative axes
    count from the end (MXNet 1.9.1 refuses them).

    >>> mx.nd.flip(mx.nd.array([[1, 2], [3, 4]]), axis=1)
    <BLANKLINE>
    [[2. 1.]
     [4. 3.]]
    <NDArray 2x2 @cpu(0)>
    """

    params = Params(axis=Shape(doc="The axes to reverse."))
    saves = ()

    def reversed_axes(self, p, ndim):
        counts = [0] * ndim
        for axis in p.axis:
            counts[normalize_axis(self.name, axis, ndim)] += 1
        return tuple(i for i, count in enumerate(counts) if count % 2)

    def output_shape(self, p, data):
        self.reversed_axes(p, len(data))
        return data

    def forward(self, xp, p, data, out=None):
        axes = self.reversed_axes(p, data.ndim)
        if not axes:
            return into(xp, data.copy() if out is None else data, out)
        return into(xp, xp.flip(data, axis=axes), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.reverse(dy[0], axis=p.axis),)


@register("repeat")
class Repeat(_KnownInput):
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened array when
    ``axis`` is None).

    As in MXNet 1.9.1, ``repeats=0`` gives an empty array of shape (0,) whatever the axis.

    >>> mx.nd.repeat(mx.nd.array([[1, 2], [3, 4]]), repeats=2, axis=1)
    <BLANKLINE>
    [[1. 1. 2. 2.]
     [3. 3. 4. 4.]]
    <NDArray 2x4 @cpu(0)>
    """

    params = Params(
        repeats=Int(doc="How many times each element is repeated."),
        axis=Int(None, doc="The axis to repeat along; None repeats the flattened array."),
    )

    def output_shape(self, p, data):
        if p.repeats < 0:
            raise MXNetValueError(f"{self.name}: repeats={p.repeats} cannot be negative")
        if p.axis is None:
            size = 1
            for dim in data:
                size *= dim
            return (size * p.repeats,)
        axis = normalize_axis(self.name, p.axis, len(data))
        if p.repeats == 0:
            return (0,)
        return data[:axis] + (data[axis] * p.repeats,) + data[axis + 1 :]

    def forward(self, xp, p, data, out=None):
        shape = self.output_shape(p, data.shape)
        return into(xp, xp.repeat(data, p.repeats, axis=p.axis).reshape(shape), out)

    def gradient(self, p, F, inputs, outputs, dy):
        data = inputs[0]
        shape = tuple(data.shape)
        # Reshape reads a 0 in its shape as "copy this dimension", so empty arrays go apart.
        if p.repeats == 0 or 0 in shape:
            return (F.zeros_like(data),)
        if p.axis is None:
            summed = F.sum(F.reshape(dy[0], shape=(-1, p.repeats)), axis=1)
            return (F.reshape_like(summed, data),)
        axis = p.axis % len(shape)
        split = shape[: axis + 1] + (p.repeats,) + shape[axis + 1 :]
        return (F.sum(F.reshape(dy[0], shape=split), axis=axis + 1),)


def _check_blocks(op_name, data):
    if len(data) != 4:
        raise MXNetValueError(
            f"{op_name}: expected a 4-D input (N, C, H, W), got shape {shape_str(data)}"
        )


@register("depth_to_space")
class DepthToSpace(_KnownInput):
    """Move blocks of channels into spatial blocks: (N, C, H, W) becomes
    (N, C / block_size**2, H * block_size, W * block_size).

    The channels split as (block_size, block_size, C / block_size**2), in that order (the
    "DCR" layout).

    >>> mx.nd.depth_to_space(mx.nd.ones((1, 4, 2, 3)), block_size=2).shape
    (1, 1, 4, 6)
    """

    params = Params(block_size=Int(min=1, doc="The side of the square blocks moved."))
    saves = ()

    def output_shape(self, p, data):
        _check_blocks(self.name, data)
        n, c, h, w = data
        b = p.block_size
        if c % (b * b):
            raise MXNetValueError(
                f"{self.name}: the channels ({c}) of input {shape_str(data)} must be a "
                f"multiple of block_size**2 = {b * b}"
            )
        return (n, c // (b * b), h * b, w * b)

    def forward(self, xp, p, data, out=None):
        n, c, h, w = data.shape
        b = p.block_size
        blocks = data.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
        return into(xp, blocks.reshape(self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.space_to_depth(dy[0], block_size=p.block_size),)


@register("space_to_depth")
class SpaceToDepth(_KnownInput):
    """Move spatial blocks into channels: (N, C, H, W) becomes
    (N, C * block_size**2, H / block_size, W / block_size); the inverse of depth_to_space.

    >>> mx.nd.space_to_depth(mx.nd.ones((1, 1, 4, 6)), block_size=2).shape
    (1, 4, 2, 3)
    """

    params = Params(block_size=Int(min=1, doc="The side of the square blocks moved."))
    saves = ()

    def output_shape(self, p, data):
        _check_blocks(self.name, data)
        n, c, h, w = data
        b = p.block_size
        if h % b or w % b:
            raise MXNetValueError(
                f"{self.name}: the height and width of input {shape_str(data)} must be "
                f"multiples of block_size={b}"
            )
        return (n, c * b * b, h // b, w // b)

    def forward(self, xp, p, data, out=None):
        n, c, h, w = data.shape
        b = p.block_size
        blocks = data.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
        return into(xp, blocks.reshape(self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.depth_to_space(dy[0], block_size=p.block_size),)


@register("diag")
class Diag(_KnownInput):
    """Extract a diagonal, or build a diagonal matrix from a vector.

    A 1-D input becomes a square matrix with the input on diagonal ``k``. Otherwise the
    diagonal ``k`` of the planes spanned by ``axis1`` and ``axis2`` is taken: those axes are
    removed and a last axis holds the diagonal (as ``numpy.diagonal``).

    >>> mx.nd.diag(mx.nd.array([[1, 2], [3, 4]]), k=1)
    <BLANKLINE>
    [2.]
    <NDArray 1 @cpu(0)>
    """

    params = Params(
        k=Int(0, doc="The diagonal: 0 the main one, > 0 above it, < 0 below it."),
        axis1=Int(0, doc="The first axis of the planes (ignored for 1-D input)."),
        axis2=Int(1, doc="The second axis of the planes (ignored for 1-D input)."),
    )
    saves = ("data",)

    def plane(self, p, data):
        """(axis1, axis2, diagonal length) for an input of two or more axes."""
        ndim = len(data)
        first = normalize_axis(self.name, p.axis1, ndim, "axis1")
        second = normalize_axis(self.name, p.axis2, ndim, "axis2")
        if first == second:
            raise MXNetValueError(
                f"{self.name}: axis1={p.axis1} and axis2={p.axis2} name the same axis"
            )
        rows, cols = data[first], data[second]
        length = min(rows, cols - p.k) if p.k >= 0 else min(rows + p.k, cols)
        if length < 0:
            raise MXNetValueError(
                f"{self.name}: diagonal k={p.k} does not exist in planes of shape "
                f"({rows}, {cols}) of input {shape_str(data)}"
            )
        return first, second, length

    def output_shape(self, p, data):
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: the input must have at least one axis")
        if len(data) == 1:
            side = data[0] + abs(p.k)
            return (side, side)
        first, second, length = self.plane(p, data)
        return tuple(d for i, d in enumerate(data) if i not in (first, second)) + (length,)

    def forward(self, xp, p, data, out=None):
        if data.ndim == 1:
            return into(xp, xp.diag(data, p.k), out)
        first, second, _ = self.plane(p, data.shape)
        return into(xp, xp.diagonal(data, p.k, first, second), out)

    def gradient(self, p, F, inputs, outputs, dy):
        data = inputs[0]
        shape = tuple(data.shape)
        if len(shape) == 1:
            return (F.diag(dy[0], k=p.k),)
        first, second, length = self.plane(p, shape)
        if length == 0:
            return (F.zeros_like(data),)
        # Move the plane to the end and flatten it: the diagonal is then a strided slice,
        # so the gradient is dy written into that slice of zeros.
        others = tuple(i for i in range(len(shape)) if i not in (first, second))
        order = others + (first, second)
        cols = shape[second]
        start = p.k if p.k >= 0 else -p.k * cols
        stop = start + (length - 1) * (cols + 1) + 1
        zeros = F.zeros_like(F.transpose(data, axes=order))
        flat = F.reshape(zeros, shape=(0,) * len(others) + (-3,))
        lead = (None,) * len(others)
        filled = F._slice_assign(
            flat, dy[0], begin=lead + (start,), end=lead + (stop,), step=lead + (cols + 1,)
        )
        inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
        return (F.transpose(F.reshape_like(filled, zeros), axes=inverse),)
