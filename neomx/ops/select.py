"""Operators that select or lay out elements by other arrays or by shapes: slice_like, pick,
where, broadcast_axis, shape_array, size_array and fill_element_0index."""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .infer import is_known, normalize_axis, shape_str, unify, unify_dtype
from .kernels import into
from .params import Bool, Enum, Int, Params, Shape
from .registry import Op, register


def _as_index(indices):
    """Integer indices; float ones truncate toward zero, as MXNet's casts do."""
    with np.errstate(invalid="ignore"):
        return indices.astype(np.int64)


@register("slice_like")
class SliceLike(Op):
    """Slice ``data`` from the origin to the shape of ``shape_like``, on all axes or on
    those in ``axes``.

    Without ``axes`` both inputs must have the same number of axes. Negative axes count from
    the end of ``data``. Only the shape of ``shape_like`` matters (its dtype may differ).

    >>> mx.nd.slice_like(mx.nd.ones((3, 4)), mx.nd.zeros((2, 5)), axes=(0,)).shape
    (2, 4)
    """

    inputs = ("data", "shape_like")
    params = Params(axes=Shape((), doc="The axes to slice; empty means all of them."))
    saves = ("data",)

    def output_shape(self, p, data, like):
        if not p.axes:
            if len(data) != len(like):
                raise MXNetValueError(
                    f"{self.name}: data {shape_str(data)} and shape_like {shape_str(like)} "
                    "differ in their number of axes; pass the axes to slice"
                )
            axes = range(len(data))
        else:
            axes = [normalize_axis(self.name, a, len(data), "axes") for a in p.axes]
        out = list(data)
        for axis in axes:
            if axis >= len(like):
                raise MXNetValueError(
                    f"{self.name}: axis {axis} is out of range for shape_like {shape_str(like)}"
                )
            if like[axis] > data[axis]:
                raise MXNetValueError(
                    f"{self.name}: axis {axis} of shape_like {shape_str(like)} is larger than "
                    f"that of data {shape_str(data)}"
                )
            out[axis] = like[axis]
        return tuple(out)

    def infer_shape(self, p, data, like):
        if not is_known(data) or not is_known(like):
            return None
        return (data, like), (self.output_shape(p, tuple(data), tuple(like)),)

    def infer_type(self, p, data, like):
        return None if data is None else ((data, like), (data,))

    def forward(self, xp, p, data, like, out=None):
        shape = self.output_shape(p, data.shape, like.shape)
        return into(xp, data[tuple(slice(0, dim) for dim in shape)], out)

    def gradient(self, p, F, inputs, outputs, dy):
        data = inputs[0]
        end = tuple(dy[0].shape)
        zeros = F.zeros_like(data)
        return F._slice_assign(zeros, dy[0], begin=(0,) * len(end), end=end), None


@register("pick", aliases=("choose_element_0index",))
class Pick(Op):
    """Pick one element along ``axis`` at each position, by ``index``.

    ``index`` has the shape of ``data`` without ``axis`` (or with it as size 1); with
    ``keepdims`` the result keeps ``axis`` as size 1. Indices out of range are clipped
    (``mode='clip'``) or wrapped around (``'wrap'``); float indices truncate toward zero.

    >>> mx.nd.pick(mx.nd.array([[1, 2], [3, 4], [5, 6]]), mx.nd.array([0, 1, 0]), axis=1)
    <BLANKLINE>
    [1. 4. 5.]
    <NDArray 3 @cpu(0)>
    """

    inputs = ("data", "index")
    params = Params(
        axis=Int(-1, optional=True, doc="The axis to pick along (None is not supported)."),
        keepdims=Bool(False, doc="Keep ``axis`` in the result, as size 1."),
        mode=Enum(("clip", "wrap"), "clip", doc="How out-of-range indices are mapped."),
    )
    saves = ("index",)

    def axis(self, p, ndim):
        if p.axis is None:
            raise MXNetValueError(f"{self.name}: axis=None is not supported; pass an axis")
        return normalize_axis(self.name, p.axis, ndim)

    def shapes(self, p, data):
        """(output shape, index shapes accepted by number of axes) for ``data``."""
        data = tuple(data)
        axis = self.axis(p, len(data))
        kept = data[:axis] + (1,) + data[axis + 1 :]
        reduced = data[:axis] + data[axis + 1 :]
        # MXNet 1.x has no 0-d arrays: picking from a vector gives shape (1,) (a 0-d index
        # is accepted too).
        out = kept if p.keepdims else reduced or (1,)
        return out, {len(reduced): reduced, len(kept): kept}

    def infer_shape(self, p, data, index):
        if not is_known(data):
            return None
        out, accepted = self.shapes(p, data)
        if index is not None:
            if len(index) not in accepted:
                raise MXNetValueError(
                    f"{self.name}: index has shape {shape_str(index)}; data {shape_str(data)} "
                    f"with axis={p.axis} needs one of {sorted(accepted.values(), key=len)}"
                )
            index = unify(self.name, "index", index, accepted[len(index)])
        axis = self.axis(p, len(data))
        if data[axis] == 0 and 0 not in out:
            raise MXNetValueError(
                f"{self.name}: cannot pick along axis {p.axis} of data {shape_str(data)}: it "
                "is empty"
            )
        return (data, accepted[len(data) - 1] if index is None else index), (out,)

    def infer_type(self, p, data, index):
        return None if data is None else ((data, index), (data,))

    def forward(self, xp, p, data, index, out=None):
        axis = self.axis(p, data.ndim)
        size = data.shape[axis]
        positions = _as_index(index)
        positions = xp.clip(positions, 0, size - 1) if p.mode == "clip" else positions % size
        kept = data.shape[:axis] + (1,) + data.shape[axis + 1 :]
        picked = xp.take_along_axis(data, positions.reshape(kept), axis=axis)
        return into(xp, picked.reshape(self.shapes(p, data.shape)[0]), out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, index = inputs
        ndim = len(data.shape)
        axis = self.axis(p, ndim)
        size = data.shape[axis]
        # Work with axis kept as size 1, then scatter dy over it by a one-hot mask.
        grad = dy[0] if p.keepdims or ndim == 1 else F.expand_dims(dy[0], axis=axis)
        if size == 0:
            return F.broadcast_axis(grad, axis=axis, size=0), None
        positions = F.Cast(index, dtype="int64")  # truncates toward zero, as the forward does
        if p.mode == "clip":
            positions = F.clip(positions, a_min=0, a_max=size - 1)
        else:
            positions = F._mod_scalar(positions, scalar=size)
        mask = F.one_hot(
            F.reshape_like(positions, grad), depth=size, dtype=np.dtype(grad.dtype).name
        )
        spread = F.broadcast_mul(mask, F.expand_dims(grad, axis=-1))
        return F.squeeze(F.SwapAxis(spread, dim1=axis, dim2=ndim), axis=ndim), None


@register("where")
class Where(Op):
    """Take elements from ``x`` where ``condition`` is nonzero and from ``y`` elsewhere.

    ``x`` and ``y`` have one shape and dtype. ``condition`` has that shape too, or is a
    vector choosing whole rows (its length is ``x.shape[0]``); its dtype may differ.

    >>> cond = mx.nd.array([[0, 1], [-1, 0]])
    >>> mx.nd.where(cond, mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([[5, 6], [7, 8]]))
    <BLANKLINE>
    [[5. 2.]
     [3. 8.]]
    <NDArray 2x2 @cpu(0)>
    """

    inputs = ("condition", "x", "y")
    saves = ("condition",)

    def infer_shape(self, p, condition, x, y):
        shape = unify(self.name, "y", y, x)
        if shape is None or not is_known(shape) or condition is None:
            return None
        shape = tuple(shape)
        if len(condition) == len(shape):
            condition = unify(self.name, "condition", condition, shape)
        elif len(condition) == 1 and shape:
            condition = unify(self.name, "condition (one value per row)", condition, shape[:1])
        else:
            raise MXNetValueError(
                f"{self.name}: condition has shape {shape_str(condition)}; expected "
                f"{shape_str(shape)} (the shape of x) or {shape_str(shape[:1])} (one per row)"
            )
        return (condition, shape, shape), (shape,)

    def infer_type(self, p, condition, x, y):
        dtype = unify_dtype(self.name, ("x", "y"), (x, y))
        return None if dtype is None else ((condition, dtype, dtype), (dtype,))

    def forward(self, xp, p, condition, x, y, out=None):
        chosen = condition != 0
        if chosen.shape != x.shape:
            chosen = chosen.reshape(chosen.shape + (1,) * (x.ndim - 1))
        return into(xp, xp.where(chosen, x, y), out)

    def gradient(self, p, F, inputs, outputs, dy):
        condition = inputs[0]
        zeros = F.zeros_like(dy[0])
        return None, F.where(condition, dy[0], zeros), F.where(condition, zeros, dy[0])


@register("broadcast_axis", aliases=("broadcast_axes",))
class BroadcastAxis(Op):
    """Broadcast axes of size 1 to the sizes in ``size``.

    Negative axes count from the end (MXNet 1.9.1 refuses them).

    >>> mx.nd.broadcast_axis(mx.nd.ones((1, 2, 1)), axis=(0, 2), size=(2, 3)).shape
    (2, 2, 3)
    """

    params = Params(
        axis=Shape((), doc="The axes to broadcast; each must have size 1."),
        size=Shape((), doc="Their new sizes."),
    )
    saves = ()

    def axes(self, p, ndim):
        if len(p.axis) != len(p.size):
            raise MXNetValueError(
                f"{self.name}: axis {p.axis} and size {p.size} must have the same length"
            )
        return tuple(normalize_axis(self.name, a, ndim) for a in p.axis)

    def output_shape(self, p, data):
        out = list(data)
        for axis, given, size in zip(self.axes(p, len(data)), p.axis, p.size):
            if out[axis] != 1:
                raise MXNetValueError(
                    f"{self.name}: cannot broadcast axis {given} of size {out[axis]} (shape "
                    f"{shape_str(tuple(out))}); only axes of size 1 can be broadcast"
                )
            if size < 0:
                raise MXNetValueError(f"{self.name}: size {p.size} cannot be negative")
            out[axis] = size
        return tuple(out)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        return (data,), (self.output_shape(p, data),)

    def forward(self, xp, p, data, out=None):
        return into(xp, xp.broadcast_to(data, self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        axes = self.axes(p, len(dy[0].shape))
        if not axes:
            return (dy[0],)
        return (F.sum(dy[0], axis=axes, keepdims=True),)


class _ShapeInfo(Op):
    """An operator reporting the input's shape as int64; its gradient is zero."""

    saves = ()

    def infer_shape(self, p, data):
        # Only the number of axes must be known, not the sizes.
        return None if data is None else ((data,), (self.output_shape(data),))

    def infer_type(self, p, dtype):
        return (dtype,), (np.dtype(np.int64),)

    def output_shape(self, data):
        raise NotImplementedError

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)


@register("shape_array")
class ShapeArray(_ShapeInfo):
    """Return the shape of the input as a 1-D int64 array.

    >>> mx.nd.shape_array(mx.nd.ones((2, 3)))
    <BLANKLINE>
    [2 3]
    <NDArray 2 @cpu(0)>
    """

    def output_shape(self, data):
        return (len(data),)

    def forward(self, xp, p, data, out=None):
        return into(xp, xp.asarray(data.shape, dtype=np.int64), out)


@register("size_array")
class SizeArray(_ShapeInfo):
    """Return the number of elements of the input as a 1-element int64 array.

    >>> mx.nd.size_array(mx.nd.ones((2, 3)))
    <BLANKLINE>
    [6]
    <NDArray 1 @cpu(0)>
    """

    def output_shape(self, data):
        return (1,)

    def forward(self, xp, p, data, out=None):
        return into(xp, xp.full((1,), data.size, dtype=np.int64), out)


@register("fill_element_0index")
class FillElement0Index(Op):
    """Return the matrix ``lhs`` with ``lhs[i, rhs[i]]`` set to ``mhs[i]`` for each row i.

    ``rhs`` holds 0-based column indices (floats truncate toward zero); rows whose index is
    out of range are left as they are. Not differentiable, as in MXNet 1.9.1.

    >>> lhs = mx.nd.zeros((2, 3))
    >>> mx.nd.fill_element_0index(lhs, mx.nd.array([7, 8]), mx.nd.array([2, 0]))
    <BLANKLINE>
    [[0. 0. 7.]
     [8. 0. 0.]]
    <NDArray 2x3 @cpu(0)>
    """

    inputs = ("lhs", "mhs", "rhs")
    differentiable = False

    def infer_shape(self, p, lhs, mhs, rhs):
        if not is_known(lhs):
            return None
        if len(lhs) != 2:
            raise MXNetValueError(f"{self.name}: lhs must be a matrix, got shape {shape_str(lhs)}")
        rows = (lhs[0],)
        mhs = unify(self.name, "mhs", mhs, rows)
        rhs = unify(self.name, "rhs", rhs, rows)
        return (lhs, mhs, rhs), (lhs,)

    def forward(self, xp, p, lhs, mhs, rhs, out=None):
        result = into(xp, lhs.copy() if out is None else lhs, out)
        columns = _as_index(rhs)
        rows = xp.nonzero((columns >= 0) & (columns < lhs.shape[1]))[0]
        result[rows, columns[rows]] = mhs[rows]
        return result
