"""Pooling over 1-, 2- and 3-D windows (max, average, sum and Lp norms) and its backward
operator, with MXNet 1.9.1's output sizes, padding and tie rules.

Windows are visited one kernel offset at a time: for each offset the inputs under it form a
strided slice of the (padded) data, so a k-element kernel costs k whole-array ufunc calls.
Reducing a ``sliding_window_view`` over its window axes gives the same numbers but measured
about 30 times slower for 2x2 max pooling, as NumPy reduces over small strided axes slowly.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify
from ..kernels import into
from ..params import Bool, Enum, Int, Params, Shape
from ..registry import Op, register
from ..spatial import float_type

__all__ = ["Pooling", "BackwardPooling"]

# The layouts MXNet accepts per data rank; the first one is the default.
_LAYOUTS = {3: ("NCW", "NWC"), 4: ("NCHW", "NHWC"), 5: ("NCDHW", "NDHWC")}


class _Geometry(NamedTuple):
    """Where the windows of one call lie, per spatial axis of the data."""

    axes: tuple[int, ...]
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad: tuple[int, ...]
    out: tuple[int, ...]
    global_pool: bool

    @property
    def tail(self) -> tuple[int, ...]:
        """Padding after the end of each axis that the last window reaches (the 'full' and
        'same' conventions let it run past the padded data)."""
        return tuple(
            max(0, (o - 1) * s + k - n - p) if o else 0
            for n, k, s, p, o in zip(self.size, self.kernel, self.stride, self.pad, self.out)
        )

    @property
    def overlapping(self) -> bool:
        return any(s < k for k, s in zip(self.kernel, self.stride))

    def output_shape(self, shape) -> tuple[int, ...]:
        result = list(shape)
        for axis, size in zip(self.axes, self.out):
            result[axis] = size
        return tuple(result)

    def offsets(self):
        """Every position within a window, in row-major order (MXNet's scan order)."""
        return itertools.product(*(range(k) for k in self.kernel))

    def window(self, ndim, offset) -> tuple:
        """The index of the inputs at ``offset`` within every window (of the padded data)."""
        index = [slice(None)] * ndim
        for axis, first, size, step in zip(self.axes, offset, self.out, self.stride):
            index[axis] = slice(first, first + (size - 1) * step + 1, step)
        return tuple(index)

    def interior(self, ndim) -> tuple:
        """The index of the data within the padded data."""
        index = [slice(None)] * ndim
        for axis, before, size in zip(self.axes, self.pad, self.size):
            index[axis] = slice(before, before + size)
        return tuple(index)

    def broadcastable(self, ndim, per_axis):
        """Multiply per-axis vectors (one value per output position) into an array that
        broadcasts against the output."""
        result = np.ones((1,) * ndim)
        for axis, values in zip(self.axes, per_axis):
            shape = [1] * ndim
            shape[axis] = len(values)
            result = result * values.reshape(shape)
        return result


def _spatial_axes(op_name, p, shape):
    if not 3 <= len(shape) <= 5:
        raise MXNetValueError(
            f"{op_name}: data has shape {shape_str(shape)}; expected 3, 4 or 5 dimensions "
            "(batch, channel and 1 to 3 spatial axes, or channels last with layout=N...C)"
        )
    choices = _LAYOUTS[len(shape)]
    layout = p.layout or choices[0]
    if layout not in choices:
        raise MXNetValueError(
            f"{op_name}: layout={layout!r} does not fit data of shape {shape_str(shape)}; "
            f"{len(shape)}-D data takes layout {choices[0]!r} or {choices[1]!r}"
        )
    return tuple(range(2, len(shape))) if layout[1] == "C" else tuple(range(1, len(shape) - 1))


def _check_params(op_name, p):
    if p.pool_type == "lp" and p.p_value not in (1, 2, 3):
        given = "no p_value" if p.p_value is None else f"p_value={p.p_value}"
        raise MXNetValueError(
            f"{op_name}: pool_type='lp' takes p_value 1, 2 or 3 (as MXNet 1.9.1); got {given}"
        )


def _window_params(op_name, p, shape, axes):
    """The kernel, stride and pad of a non-global call, checked against the data."""
    ndim = len(axes)
    if not p.kernel:
        raise MXNetValueError(f"{op_name}: kernel is required unless global_pool=True")
    if len(p.kernel) != ndim:
        raise MXNetValueError(
            f"{op_name}: kernel {tuple(p.kernel)} has {len(p.kernel)} dimension(s) but data "
            f"{shape_str(shape)} has {ndim} spatial axes"
        )
    stride = tuple(p.stride) or (1,) * ndim
    pad = tuple(p.pad) or (0,) * ndim
    for name, values, low in (("kernel", p.kernel, 1), ("stride", stride, 1), ("pad", pad, 0)):
        if len(values) != ndim:
            raise MXNetValueError(
                f"{op_name}: {name} {values} must have one entry per kernel dimension "
                f"(kernel {tuple(p.kernel)})"
            )
        if any(v is None or v < low for v in values):
            raise MXNetValueError(f"{op_name}: {name} {tuple(values)} must be >= {low} everywhere")
    if p.pooling_convention == "same":
        # MXNet 1.9.1 defines 'same' for 1-D pooling only, without padding.
        if ndim != 1:
            raise MXNetValueError(
                f"{op_name}: pooling_convention='same' supports only 1-D pooling; got kernel "
                f"{tuple(p.kernel)}"
            )
        if any(pad):
            raise MXNetValueError(
                f"{op_name}: pooling_convention='same' takes no padding; got pad {pad}"
            )
    for axis, k, padding in zip(axes, p.kernel, pad):
        if k > shape[axis] + 2 * padding:
            raise MXNetValueError(
                f"{op_name}: kernel {tuple(p.kernel)} exceeds data {shape_str(shape)} padded "
                f"by pad {pad}: on axis {axis}, {k} > {shape[axis]} + 2 * {padding}"
            )
    return tuple(p.kernel), stride, pad


def _output_size(convention, size, kernel, stride, pad):
    if convention == "valid":
        return (size + 2 * pad - kernel) // stride + 1
    if convention == "full":
        return 1 - (-(size + 2 * pad - kernel) // stride)
    return -(-(size + 2 * pad) // stride)


def geometry(op_name, p, shape) -> _Geometry:
    """Check a call of Pooling on data of ``shape`` and return where its windows lie."""
    _check_params(op_name, p)
    axes = _spatial_axes(op_name, p, shape)
    size = tuple(shape[a] for a in axes)
    if p.global_pool:
        # MXNet ignores kernel, stride and pad here: one window covers each map.
        ones = (1,) * len(axes)
        return _Geometry(axes, size, size, ones, (0,) * len(axes), ones, True)
    kernel, stride, pad = _window_params(op_name, p, shape, axes)
    out = tuple(
        _output_size(p.pooling_convention, *args) for args in zip(size, kernel, stride, pad)
    )
    return _Geometry(axes, size, kernel, stride, pad, out, False)


def _compute_type(p, dtype):
    """Max pooling is exact in any dtype; sums of float16 accumulate in float32."""
    if p.pool_type == "max" or dtype != np.float16:
        return dtype
    return np.dtype(np.float32)


def _lowest(dtype):
    """MXNet's start value of a max: the lowest finite number (empty windows give it)."""
    return np.finfo(dtype).min


def _result(xp, value, out, dtype):
    """``value`` in the operator's ``dtype`` (float16 sums ran in float32), into ``out``."""
    if out is None and value.dtype != dtype:
        return value.astype(dtype)
    return value if value is out else into(xp, value, out)


def _padded(xp, data, geo, fill, dtype):
    """``data`` in ``dtype`` inside ``fill`` padding deep enough for every window."""
    tail = geo.tail
    if not any(geo.pad) and not any(tail):
        return data if data.dtype == dtype else data.astype(dtype)
    shape = list(data.shape)
    for axis, before, after in zip(geo.axes, geo.pad, tail):
        shape[axis] += before + after
    result = xp.full(tuple(shape), fill, dtype=dtype)
    result[geo.interior(data.ndim)] = data
    return result


def _powered(values, p_value):
    """``values ** p_value`` as MXNet's Lp kernels compute it (plain products, sign kept)."""
    if p_value == 1:
        return values
    if p_value == 2:
        return values * values
    return values * values * values


def _root(xp, values, p_value):
    if p_value == 2:
        return xp.sqrt(values, out=values)
    if p_value == 3:
        return xp.cbrt(values, out=values)
    return values


def _divisor(geo, count_include_pad, ndim):
    """The number each window's sum is divided by, for average pooling (broadcastable).

    A window ends at most ``pad`` past the data; with ``count_include_pad`` the padding it
    covers counts, otherwise only the data it covers. MXNet gives empty windows 0, so they
    divide their zero sum by 1.
    """
    per_axis = []
    for n, k, s, p, o in zip(geo.size, geo.kernel, geo.stride, geo.pad, geo.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        per_axis.append(np.maximum(end - start, 1))
    return geo.broadcastable(ndim, per_axis)


def _global_forward(xp, p, geo, data, dtype):
    axes = geo.axes
    if p.pool_type == "max":
        lowest = dtype.type(_lowest(dtype))
        # NaN never wins and -inf rises to the lowest finite value, as in MXNet's scan.
        largest = xp.max(xp.where(xp.isnan(data), lowest, data), axis=axes, keepdims=True)
        return xp.maximum(largest, lowest)
    values = data.astype(dtype) if data.dtype != dtype else data
    if p.pool_type == "lp":
        return _root(xp, xp.sum(_powered(values, p.p_value), axis=axes, keepdims=True),
                     p.p_value)
    total = xp.sum(values, axis=axes, keepdims=True, dtype=dtype)
    if p.pool_type == "avg":
        total /= max(int(np.prod(geo.size)), 1)
    return total


def pool(xp, p, geo, data, out=None):
    """The Pooling forward of ``data`` with windows ``geo``; written into ``out`` if given."""
    dtype = _compute_type(p, data.dtype)
    shape = geo.output_shape(data.shape)
    fill = _lowest(dtype) if p.pool_type == "max" else 0
    if 0 in shape or 0 in geo.kernel:
        # Nothing to pool: no windows, or windows over empty maps (global pooling).
        return _result(xp, xp.full(shape, fill, dtype=dtype), out, data.dtype)
    if geo.global_pool:
        return _result(xp, _global_forward(xp, p, geo, data, dtype), out, data.dtype)
    source = _padded(xp, data, geo, fill, dtype)
    if p.pool_type == "lp":
        source = _powered(source, p.p_value)
    acc = out if out is not None and out.dtype == dtype else xp.empty(shape, dtype=dtype)
    offsets = geo.offsets()
    first = source[geo.window(data.ndim, next(offsets))]
    if p.pool_type == "max":
        # fmax skips NaN as MXNet's comparisons do; all-NaN windows keep the lowest value.
        xp.fmax(first, dtype.type(_lowest(dtype)), out=acc)
        for offset in offsets:
            xp.fmax(acc, source[geo.window(data.ndim, offset)], out=acc)
    else:
        xp.copyto(acc, first)
        for offset in offsets:
            xp.add(acc, source[geo.window(data.ndim, offset)], out=acc)
    if p.pool_type == "avg":
        count_include_pad = p.count_include_pad is not False
        acc /= xp.asarray(_divisor(geo, count_include_pad, data.ndim).astype(dtype))
    elif p.pool_type == "lp":
        _root(xp, acc, p.p_value)
    return _result(xp, acc, out, data.dtype)


def _global_backward(xp, p, geo, ograd, data, output, dtype):
    if p.pool_type == "max":
        # The first maximum in row-major order of the map takes the whole gradient.
        moved = xp.moveaxis(data, geo.axes, tuple(range(-len(geo.axes), 0)))
        flat = moved.reshape(moved.shape[: -len(geo.axes)] + (-1,))
        top = xp.moveaxis(output, geo.axes, tuple(range(-len(geo.axes), 0)))
        hits = flat == top.reshape(top.shape[: -len(geo.axes)] + (1,))
        first = xp.argmax(hits, axis=-1)[..., None]
        # No element equals an all-NaN window's lowest-value output: no gradient there.
        chosen = (xp.arange(flat.shape[-1]) == first) & hits
        head = xp.moveaxis(ograd, geo.axes, tuple(range(-len(geo.axes), 0)))
        spread = (chosen * head.reshape(first.shape).astype(dtype)).reshape(moved.shape)
        return xp.moveaxis(spread, tuple(range(-len(geo.axes), 0)), geo.axes)
    head = ograd.astype(dtype)
    if p.pool_type == "sum":
        return xp.broadcast_to(head, data.shape)
    if p.pool_type == "avg":
        return xp.broadcast_to(head / max(int(np.prod(geo.size)), 1), data.shape)
    return _lp_gradient(xp, p.p_value, head, data.astype(dtype), output.astype(dtype))


def _lp_gradient(xp, p_value, head, values, output):
    """d (sum x^p)^(1/p) / dx times the head: (x / y)^(p - 1), as MXNet computes it."""
    if p_value == 1:
        return xp.broadcast_to(head, values.shape) if head.shape != values.shape else head
    ratio = values / output
    return head * (ratio if p_value == 2 else ratio * ratio)


def unpool(xp, p, geo, ograd, data, output, out=None):
    """The gradient of Pooling w.r.t. ``data``, given the output gradient ``ograd`` and the
    forward's ``output``; written into ``out`` if given.

    Max pooling routes each window's gradient to the first maximum in row-major window
    order (MXNet's rule for ties); padding never takes a gradient.
    """
    dtype = _compute_type(p, data.dtype)
    if 0 in ograd.shape or 0 in data.shape:
        return _result(xp, xp.zeros(data.shape, dtype=dtype), out, data.dtype)
    if geo.global_pool:
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = _global_backward(xp, p, geo, ograd, data, output, dtype)
        return _result(xp, grad, out, data.dtype)
    padded = any(geo.pad) or any(geo.tail)
    ndim = data.ndim
    shape = list(data.shape)
    for axis, before, after in zip(geo.axes, geo.pad, geo.tail):
        shape[axis] += before + after
    grad = out if out is not None and not padded and out.dtype == dtype else None
    # Windows that tile the data exactly write every element once: no zeroing needed.
    tiled = (
        not padded
        and geo.kernel == geo.stride
        and all(o * k == n for o, k, n in zip(geo.out, geo.kernel, geo.size))
    )
    if grad is None:
        grad = xp.empty(tuple(shape), dtype=dtype) if tiled else xp.zeros(tuple(shape), dtype)
    elif not tiled:
        grad.fill(0)
    head = ograd if ograd.dtype == dtype else ograd.astype(dtype)
    if p.pool_type == "max":
        _unpool_max(xp, geo, grad, head, _padded(xp, data, geo, _lowest(dtype), dtype),
                    output.astype(dtype, copy=False))
    else:
        _unpool_sums(xp, p, geo, grad, head, data, output, dtype)
    return _result(xp, grad[geo.interior(ndim)] if padded else grad, out, data.dtype)


def _unpool_max(xp, geo, grad, head, source, output):
    ndim = source.ndim
    hit = xp.empty(output.shape, dtype=bool)
    free = xp.ones(output.shape, dtype=bool)
    offsets = list(geo.offsets())
    for i, offset in enumerate(offsets):
        index = geo.window(ndim, offset)
        xp.equal(source[index], output, out=hit)
        if i:
            hit &= free
        if i < len(offsets) - 1:
            free &= ~hit
        if geo.overlapping:
            grad[index] += hit * head
        else:
            # Disjoint windows: each element belongs to one window at most.
            xp.multiply(hit, head, out=grad[index])


def _unpool_sums(xp, p, geo, grad, head, data, output, dtype):
    ndim = data.ndim
    if p.pool_type == "avg":
        count_include_pad = p.count_include_pad is not False
        head = head / xp.asarray(_divisor(geo, count_include_pad, ndim).astype(dtype))
    source = None
    if p.pool_type == "lp" and p.p_value > 1:
        source = _padded(xp, data, geo, 0, dtype)
        output = output.astype(dtype, copy=False)
    for offset in geo.offsets():
        index = geo.window(ndim, offset)
        if source is None:
            grad[index] += head
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad[index] += _lp_gradient(xp, p.p_value, head, source[index], output)


_PARAMS = Params(
    kernel=Shape((), doc="Pooling kernel size: (x,), (y, x) or (d, y, x)."),
    pool_type=Enum(("avg", "lp", "max", "sum"), "max", doc="Pooling type to be applied."),
    global_pool=Bool(False, doc="Ignore kernel, stride and pad: pool each whole map."),
    cudnn_off=Bool(False, doc="Accepted for compatibility (no cuDNN here)."),
    pooling_convention=Enum(
        ("full", "same", "valid"), "valid", doc="How the output size rounds (see above)."
    ),
    stride=Shape((), doc="Stride per spatial axis; defaults to 1 for each."),
    pad=Shape((), doc="Padding per spatial axis (both sides); defaults to 0 for each."),
    p_value=Int(None, doc="p of Lp pooling: 1, 2 or 3; required for pool_type='lp'."),
    count_include_pad=Bool(
        None, doc="Average pooling only: whether padding counts in the divisor (default True)."
    ),
    layout=Enum(
        ("NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC"),
        None,
        doc="Data layout; default NCW, NCHW or NCDHW by the data's rank.",
    ),
)


@register("Pooling", aliases=("_npx_pooling",))
class Pooling(Op):
    """Pool windows of 1-D, 2-D or 3-D data: their maximum, average, sum or Lp norm.

    Data is (batch, channel, *spatial) (layouts NCW, NCHW, NCDHW) or channels last (NWC,
    NHWC, NDHWC). Each spatial axis of size ``n`` is padded by ``pad`` on both sides and
    windows of ``kernel`` move by ``stride``; the output size is
    ``floor((n + 2 * pad - kernel) / stride) + 1`` for ``pooling_convention='valid'``,
    ``ceil(...) + 1`` for ``'full'`` (the last windows may run past the padding), and
    ``ceil(n / stride)`` for ``'same'`` (1-D only, no padding). ``global_pool`` pools each
    whole map to size 1.

    ``pool_type='max'`` ignores padding and NaN (an empty window gives the dtype's lowest
    value); its gradient goes to the first maximum of each window in row-major order.
    ``'avg'`` divides each window's sum by its size including the padding it covers
    (``count_include_pad``, default True) or by the number of data elements it covers.
    ``'lp'`` gives ``(sum x ** p_value) ** (1 / p_value)`` for p_value 1, 2 or 3 (signs kept:
    p_value=1 is the plain sum). Data must be floating point.

    >>> mx.nd.Pooling(mx.nd.array([[[[1, 2], [3, 4]]]]), kernel=(2, 2), pool_type='avg')
    <BLANKLINE>
    [[[[2.5]]]]
    <NDArray 1x1x1x1 @cpu(0)>
    """

    params = _PARAMS

    def infer_shape(self, p, data):
        _check_params(self.name, p)
        if not is_known(data):
            if data is not None:
                _spatial_axes(self.name, p, data)
            return None
        return (data,), (geometry(self.name, p, data).output_shape(data),)

    def infer_type(self, p, data):
        dtype = float_type(self, p, (data,))
        return None if dtype is None else ((dtype,), (dtype,))

    def forward(self, xp, p, data, out=None):
        return pool(xp, p, geometry(self.name, p, data.shape), data, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._backward_Pooling(dy[0], inputs[0], outputs[0], **p._asdict()),)


@register("_backward_Pooling")
class BackwardPooling(Op):
    """Return the gradient of ``Pooling(data)`` w.r.t. data, given the output gradient
    ``ograd`` and Pooling's ``output``; parameters as Pooling's."""

    inputs = ("ograd", "data", "output")
    params = _PARAMS
    differentiable = False

    def infer_shape(self, p, ograd, data, output):
        _check_params(self.name, p)
        if not is_known(data):
            return None
        expected = geometry(self.name, p, data).output_shape(data)
        ograd = unify(self.name, "ograd", ograd, expected)
        output = unify(self.name, "output", output, expected)
        return (ograd, data, output), (data,)

    def infer_type(self, p, ograd, data, output):
        dtype = float_type(self, p, (ograd, data, output))
        return None if dtype is None else ((dtype,) * 3, (dtype,))

    def forward(self, xp, p, ograd, data, output, out=None):
        return unpool(xp, p, geometry(self.name, p, data.shape), ograd, data, output, out)
