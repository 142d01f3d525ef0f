"""Reductions over axes: sum, mean, prod, nansum, nanprod, max, min, norm and moments, plus
the reduction that returns broadcast gradients to their input shapes.

As in MXNet 1.9.1, results keep the input's dtype: integers accumulate (and wrap) in their own
type and ``mean`` truncates toward zero; float16 accumulates in float32. A reduction over
every axis returns shape (1,), since MXNet 1.x has no 0-d arrays.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetValueError
from .elemwise import _truncated_divide
from .infer import is_known, normalize_axis, shape_str
from .kernels import into
from .params import Bool, DType, Int, OptShape, Params
from .registry import Op, register

# Overflow to inf, 0/0 in an empty mean and NaN inputs are results here, not warnings.
_QUIET = {"over": "ignore", "invalid": "ignore", "divide": "ignore"}


def reduce_axes(op_name, ndim, axis, exclude):
    """The axes a reduction over ``axis`` (None = all; ``exclude`` = all others) covers."""
    if not axis:
        # MXNet: no axis reduces everything; exclude=True with an empty axis too.
        return tuple(range(ndim))
    normalized = [normalize_axis(op_name, a, ndim) for a in axis]
    if len(set(normalized)) != len(normalized):
        raise MXNetValueError(
            f"{op_name}: axis={tuple(axis)} names an axis twice (for {ndim} dimension(s))"
        )
    axes = tuple(sorted(normalized))
    if exclude:
        axes = tuple(a for a in range(ndim) if a not in axes)
    return axes


def kept_shape(shape, axes):
    """``shape`` with the reduced axes set to 1 (``keepdims``; what a gradient broadcasts
    back from)."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def reduced_shape(shape, axes, keepdims):
    """The shape left after reducing ``axes`` (size 1 with ``keepdims``; (1,) if none left)."""
    if keepdims:
        return kept_shape(shape, axes)
    return tuple(d for i, d in enumerate(shape) if i not in axes) or (1,)


def reduce_count(shape, axes) -> int:
    """How many elements each output of a reduction over ``axes`` combines."""
    return math.prod(shape[a] for a in axes)


def accumulate(xp, reduce, data, axes):
    """``reduce(data)`` over ``axes`` (kept as size 1) in the data's dtype, except that float16
    accumulates in float32, as MXNet does, before rounding back."""
    if data.dtype == np.float16:
        return reduce(data, axis=axes, keepdims=True, dtype=np.float32).astype(np.float16)
    return reduce(data, axis=axes, keepdims=True, dtype=data.dtype)


def mean_of(xp, data, axes):
    """The mean over ``axes`` (kept as size 1) with MXNet's dtype rules: the sum in the data's
    type divided by the count, truncating toward zero for integers."""
    total = accumulate(xp, xp.sum, data, axes)
    count = reduce_count(data.shape, axes)
    if data.dtype.kind in "iub":
        # An empty integer mean is 0 (the empty sum); floats give NaN, as NumPy.
        return _truncated_divide(xp, total, max(count, 1), None, data.dtype)
    if data.dtype == np.float16:
        # MXNet rounds the sum to float16 first; dividing in float32 keeps counts over
        # 65504 (inf in float16) finite.
        return (total.astype(np.float32) / np.float32(count)).astype(np.float16)
    return total / data.dtype.type(count)


def broadcast_back(F, dy, x, axes):
    """``dy`` of a reduction over ``axes`` broadcast to the shape of ``x``."""
    # broadcast_like, not broadcast_to: a 0 in broadcast_to's shape means "keep this axis".
    return F.broadcast_like(F.reshape(dy, shape=kept_shape(x.shape, axes)), x)


class _Reduce(Op):
    """A reduction over ``axis`` (all axes when None; every other axis with ``exclude=True``).

    Subclasses give ``reduce(xp, data, axes)``, which returns the result with the reduced
    axes kept as size 1.
    """

    params = Params(
        axis=OptShape(doc="The axis or axes to reduce; None (or ()) reduces all of them."),
        keepdims=Bool(False, doc="Keep the reduced axes, with size 1."),
        exclude=Bool(False, doc="Reduce the axes not in axis instead."),
    )
    # Whether an empty reduction has a value (the sum's 0); max and min have none.
    empty_ok = True

    def axes(self, p, ndim):
        return reduce_axes(self.name, ndim, p.axis, p.exclude)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        axes = self.axes(p, len(data))
        if not self.empty_ok:
            for a in axes:
                if data[a] == 0:
                    raise MXNetValueError(
                        f"{self.name}: cannot reduce axis {a} of size 0 (data "
                        f"{shape_str(data)}): the {self.name} of nothing is undefined"
                    )
        return (data,), (reduced_shape(data, axes, p.keepdims),)

    def forward(self, xp, p, data, out=None):
        axes = self.axes(p, data.ndim)
        with np.errstate(**_QUIET):
            result = self.reduce(xp, data, axes)
        # The reduction made a new array, so a reshaped view of it aliases no input.
        result = result.reshape(reduced_shape(data.shape, axes, p.keepdims))
        if out is None:
            return result
        xp.copyto(out, result, casting="unsafe")
        return out


@register("sum", aliases=("sum_axis",))
class Sum(_Reduce):
    """Sum over ``axis`` (all axes when None; every other axis with ``exclude=True``).

    >>> mx.nd.sum(mx.nd.array([[1, 2], [3, 4]]), axis=1)
    <BLANKLINE>
    [3. 7.]
    <NDArray 2 @cpu(0)>
    """

    saves = ()

    def reduce(self, xp, data, axes):
        return accumulate(xp, xp.sum, data, axes)

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        return (broadcast_back(F, dy[0], x, self.axes(p, len(x.shape))),)


@register("mean")
class Mean(_Reduce):
    """Average over ``axis``; integer means truncate toward zero, as in MXNet.

    >>> mx.nd.mean(mx.nd.array([[1, 2], [3, 5]]), axis=0)
    <BLANKLINE>
    [2.  3.5]
    <NDArray 2 @cpu(0)>
    """

    saves = ()

    def reduce(self, xp, data, axes):
        return mean_of(xp, data, axes)

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        axes = self.axes(p, len(x.shape))
        count = max(reduce_count(x.shape, axes), 1)
        return (F._div_scalar(broadcast_back(F, dy[0], x, axes), scalar=count),)


@register("nansum")
class NanSum(_Reduce):
    """Sum over ``axis``, counting NaN as 0; no gradient flows to the NaN elements."""

    saves = ("data",)

    def reduce(self, xp, data, axes):
        return accumulate(xp, xp.nansum, data, axes)

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        # x == x is 0 exactly at NaN.
        not_nan = F.broadcast_equal(x, x)
        return (F.broadcast_mul(broadcast_back(F, dy[0], x, self.axes(p, len(x.shape))), not_nan),)


def product_of_others(F, x, axes):
    """Per element, the product of the other elements of its reduction (d prod / d x).

    Computed from the product of the nonzero elements and the count of zeros, so that it is
    right where ``x`` has zeros (MXNet 1.9.1 divides the product by ``x``, giving NaN there):
    with no zero it is prod / x; with one zero it is the product of the rest at that zero and 0
    elsewhere; with more it is 0.
    """
    is_zero = F._equal_scalar(x, scalar=0)
    nonzero = F.broadcast_add(x, is_zero)  # zeros replaced by 1
    product = F.prod(nonzero, axis=axes, keepdims=True)
    zeros = F.sum(is_zero, axis=axes, keepdims=True)
    at_zero = F.broadcast_mul(is_zero, F._equal_scalar(zeros, scalar=1))
    elsewhere = F.broadcast_div(
        F.broadcast_mul(F._rminus_scalar(is_zero, scalar=1), F._equal_scalar(zeros, scalar=0)),
        nonzero,
    )
    return F.broadcast_mul(product, F.broadcast_add(at_zero, elsewhere))


@register("prod")
class Prod(_Reduce):
    """Multiply over ``axis``.

    The gradient is the product of the other elements, also where the input has zeros (MXNet
    1.9.1 returns NaN there).
    """

    saves = ("data",)

    def reduce(self, xp, data, axes):
        return accumulate(xp, xp.prod, data, axes)

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        axes = self.axes(p, len(x.shape))
        if not axes:
            return (dy[0],)
        grad = broadcast_back(F, dy[0], x, axes)
        return (F.broadcast_mul(grad, product_of_others(F, x, axes)),)


@register("nanprod")
class NanProd(_Reduce):
    """Multiply over ``axis``, counting NaN as 1; no gradient flows to the NaN elements."""

    saves = ("data",)

    def reduce(self, xp, data, axes):
        return accumulate(xp, xp.nanprod, data, axes)

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        ndim = len(x.shape)
        axes = self.axes(p, ndim)
        not_nan = F.broadcast_equal(x, x)
        if not axes:
            return (F.broadcast_mul(dy[0], not_nan),)
        # nansum over no axis (exclude=True with every axis) maps NaN to 0 and keeps the rest;
        # adding the NaN indicator then gives x with NaN as 1, whose products are finite.
        without_nan = F.broadcast_add(
            F.nansum(x, axis=tuple(range(ndim)), exclude=True), F._rminus_scalar(not_nan, scalar=1)
        )
        others = F.broadcast_mul(product_of_others(F, without_nan, axes), not_nan)
        return (F.broadcast_mul(broadcast_back(F, dy[0], x, axes), others),)


class _Extremum(_Reduce):
    """max or min: the gradient flows, undivided, to every element equal to the result (all
    tied elements get it, as in MXNet 1.9.1); a NaN result passes none."""

    empty_ok = False
    saves = ("data", "outputs")

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        axes = self.axes(p, len(x.shape))
        kept = kept_shape(x.shape, axes)
        hits = F.broadcast_equal(x, F.reshape(outputs[0], shape=kept))
        return (F.broadcast_mul(hits, F.reshape(dy[0], shape=kept)),)


@register("max", aliases=("max_axis",))
class Max(_Extremum):
    """Return the largest element over ``axis`` (NaN if any element is NaN)."""

    def reduce(self, xp, data, axes):
        return xp.amax(data, axis=axes, keepdims=True)


@register("min", aliases=("min_axis",))
class Min(_Extremum):
    """Return the smallest element over ``axis`` (NaN if any element is NaN)."""

    def reduce(self, xp, data, axes):
        return xp.amin(data, axis=axes, keepdims=True)


_NORM_DTYPES = ("float16", "float32", "float64", "int32", "int64", "int8")


@register("norm")
class Norm(Op):
    """Return the L1 (``ord=1``) or L2 (``ord=2``) norm of the elements over ``axis``.

    Every axis in ``axis`` is reduced (a 2-tuple gives the entrywise norm of the matrices, not
    an operator norm). The result has ``out_dtype`` (default: the input's). The L2 norm is
    computed without overflow in float64 and rounded to the output dtype, truncating for
    integers; MXNet 1.9.1 computes integer norms with a scaled algorithm that truncates each
    step (norm of [3, 4] in int32 gives 4 there, 5 here) and fails whenever ``out_dtype``
    differs from the input dtype. The L2 gradient is ``x / norm``, and 0 where the norm is 0.

    >>> mx.nd.norm(mx.nd.array([[3, 4], [6, 8]]), axis=1)
    <BLANKLINE>
    [ 5. 10.]
    <NDArray 2 @cpu(0)>
    """

    params = Params(
        ord=Int(2, doc="The order of the norm: 1 or 2."),
        axis=OptShape(doc="The axis or axes to reduce; None (or ()) reduces all of them."),
        out_dtype=DType(None, choices=_NORM_DTYPES, doc="The output dtype; None: the input's."),
        keepdims=Bool(False, doc="Keep the reduced axes, with size 1."),
    )
    saves = ("data", "outputs")

    def infer_shape(self, p, data):
        if p.ord not in (1, 2):
            raise MXNetValueError(f"{self.name}: ord={p.ord} is not supported; use 1 or 2")
        if not is_known(data):
            return None
        axes = reduce_axes(self.name, len(data), p.axis, False)
        return (data,), (reduced_shape(data, axes, p.keepdims),)

    def infer_type(self, p, dtype):
        if p.out_dtype is not None:
            return (dtype,), (np.dtype(p.out_dtype),)
        return None if dtype is None else ((dtype,), (dtype,))

    def forward(self, xp, p, data, out=None):
        axes = reduce_axes(self.name, data.ndim, p.axis, False)
        out_dtype = np.dtype(p.out_dtype) if p.out_dtype is not None else data.dtype
        with np.errstate(**_QUIET):
            if p.ord == 1:
                result = accumulate(xp, xp.sum, xp.abs(data), axes)
            else:
                result = self._l2(xp, data, axes)
            if out_dtype.kind in "iu" and result.dtype.kind == "f":
                # Truncate toward zero and wrap around, as C++ casts do.
                result = result.astype(np.int64)
            result = result.astype(out_dtype).reshape(reduced_shape(data.shape, axes, p.keepdims))
        if out is None:
            return result
        xp.copyto(out, result, casting="unsafe")
        return out

    @staticmethod
    def _l2(xp, data, axes):
        if data.dtype != np.float64 or data.size == 0:
            # Squares of float32 (and of integers below 2**63) cannot overflow float64.
            wide = data.astype(np.float64)
            return xp.sqrt(xp.sum(wide * wide, axis=axes, keepdims=True))
        # float64: scale by the largest magnitude first, as MXNet's reduction does.
        scale = xp.amax(xp.abs(data), axis=axes, keepdims=True)
        scale = xp.where((scale > 0) & xp.isfinite(scale), scale, 1.0)
        scaled = data / scale
        return scale * xp.sqrt(xp.sum(scaled * scaled, axis=axes, keepdims=True))

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        kept = kept_shape(x.shape, reduce_axes(self.name, len(x.shape), p.axis, False))
        dtype = np.dtype(x.dtype).name
        grad, norm = dy[0], outputs[0]
        if p.out_dtype is not None and p.out_dtype != dtype:
            grad, norm = F.Cast(grad, dtype=dtype), F.Cast(norm, dtype=dtype)
        grad = F.reshape(grad, shape=kept)
        if p.ord == 1:
            return (F.broadcast_mul(grad, F.sign(x)),)
        norm = F.reshape(norm, shape=kept)
        # A zero norm divides by 1 instead: x is all zeros there, so the gradient is 0.
        safe = F.broadcast_add(norm, F._equal_scalar(norm, scalar=0))
        return (F.broadcast_mul(F.broadcast_div(grad, safe), x),)


@register("moments")
class Moments(Op):
    """Return the mean and the (biased) variance over ``axes`` (two outputs).

    ``axes`` must be given (MXNet 1.9.1 refuses an empty one). Integer inputs follow ``mean``:
    both moments truncate toward zero.

    >>> mean, var = mx.nd.moments(mx.nd.array([[1, 3], [5, 7]]), axes=1)
    >>> var
    <BLANKLINE>
    [1. 1.]
    <NDArray 2 @cpu(0)>
    """

    params = Params(
        axes=OptShape(doc="The axes to compute the moments over (required)."),
        keepdims=Bool(False, doc="Keep the reduced axes, with size 1."),
    )
    saves = ("data", "outputs")

    def num_outputs(self, p):
        return 2

    def _axes(self, p, ndim):
        if not p.axes:
            raise MXNetValueError(
                f"{self.name}: axes is empty; pass every axis, e.g. axes={tuple(range(ndim))}, "
                "for the moments of all elements"
            )
        return reduce_axes(self.name, ndim, p.axes, False)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        shape = reduced_shape(data, self._axes(p, len(data)), p.keepdims)
        return (data,), (shape, shape)

    def forward(self, xp, p, data, out=None):
        axes = self._axes(p, data.ndim)
        with np.errstate(**_QUIET):
            mean = mean_of(xp, data, axes)
            centered = data - mean
            var = mean_of(xp, centered * centered, axes)
        shape = reduced_shape(data.shape, axes, p.keepdims)
        results = (mean.reshape(shape), var.reshape(shape))
        if out is None:
            return results
        # Small outputs get no preallocated buffer (None).
        return tuple(into(xp, result, buffer) for result, buffer in zip(results, out))

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        axes = self._axes(p, len(x.shape))
        count = max(reduce_count(x.shape, axes), 1)
        d_mean, d_var = dy
        grads = []
        if d_mean is not None:
            grads.append(F._div_scalar(broadcast_back(F, d_mean, x, axes), scalar=count))
        if d_var is not None:
            centered = F.broadcast_sub(x, F.reshape(outputs[0], shape=kept_shape(x.shape, axes)))
            scaled = F.broadcast_mul(broadcast_back(F, d_var, x, axes), centered)
            grads.append(F._mul_scalar(scaled, scalar=2.0 / count))
        if not grads:
            return (None,)
        return (grads[0] if len(grads) == 1 else F.broadcast_add(*grads),)


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
