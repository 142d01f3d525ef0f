"""Pooling over 1-, 2- and 3-D windows (max, average, sum and Lp norms) and its backward
operator, with MXNet 1.9.1's output sizes, padding and tie rules.

A window's maximum or sum is that over its rows of each row's, so the forward reduces one
spatial axis at a time: for each kernel offset along the axis the inputs under it form a
strided slice of the (padded) data, and a k-wide axis costs k whole-array ufunc calls. Slicing
one axis at a time also reads memory in long runs: for 3x3 windows with stride 2 it measured
about 4 times faster than visiting the 9 offsets of the 2-D window, and reducing a
``sliding_window_view`` over its window axes measured about 30 times slower than either. The
gradients of sums spread back one axis at a time the same way; max pooling's gradient visits
the offsets of the whole window in row-major order, which MXNet's tie rule needs.

Overlapping windows (stride below kernel) of channel-first data on NumPy take the faster
stride-phase layout of ``pooling_phases.py`` instead; ``pooling_geometry.py`` says where the
windows lie.
"""

from __future__ import annotations

import math

import numpy as np

from ..infer import is_known, unify
from ..kernels import into
from ..params import Bool, Enum, Int, Params, Shape
from ..registry import Op, register
from ..spatial import float_type
from .pooling_geometry import check_params, geometry, spatial_axes
from .pooling_phases import max_gradient, max_pool, phases_for, spread_windows, window_sums

__all__ = ["Pooling", "BackwardPooling"]


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
    if not geo.padded:
        return data if data.dtype == dtype else data.astype(dtype)
    shape = list(data.shape)
    for n, axis in enumerate(geo.axes):
        shape[axis] = geo.padded_size(n)
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
    divisor = np.ones((1,) * ndim)
    for axis, n, k, s, p, o in zip(geo.axes, geo.size, geo.kernel, geo.stride, geo.pad, geo.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        shape = [1] * ndim
        shape[axis] = o
        divisor = divisor * np.maximum(end - start, 1).reshape(shape)
    return divisor


def _divisor_of(xp, geo, count_include_pad, ndim, dtype):
    """``_divisor`` in ``dtype``: one number when no window reaches past the data (then every
    window holds a whole kernel), else an array on ``xp``."""
    if not geo.padded:
        return dtype.type(math.prod(geo.kernel))
    return xp.asarray(_divisor(geo, count_include_pad, ndim).astype(dtype))


def _global(geo) -> bool:
    """Whether one window covers each whole map: then one sum over the spatial axes is
    faster than a pass per axis."""
    if geo.padded:
        return False
    return all(o == 1 and k == n for o, k, n in zip(geo.out, geo.kernel, geo.size))


def _global_sum(xp, source, geo, out):
    """The sum of each whole map; on NumPy with the maps' axes last, an ``einsum`` over rows
    (measured 5 times faster than ``sum`` over rows of 49; a BLAS matrix-vector product is
    faster still on an idle machine, but its threads stall behind other processes)."""
    count = len(geo.axes)
    if xp is not np or geo.axes[-1] != source.ndim - 1 or not source.flags.c_contiguous:
        return xp.sum(source, axis=geo.axes, keepdims=True, out=out)
    sums = np.einsum("ij->i", source.reshape(-1, math.prod(source.shape[-count:])))
    shape = source.shape[:-count] + (1,) * count
    if out is None:
        return sums.reshape(shape)
    xp.copyto(out, sums.reshape(shape))
    return out


def _reduce_windows(xp, source, geo, combine, dtype, out):
    """Reduce every window of the padded ``source`` with the ufunc ``combine``, one spatial
    axis at a time from the outermost; the last pass writes into ``out`` if given."""
    if combine is xp.add and _global(geo):
        return _global_sum(xp, source, geo, out)
    result = source
    last = len(geo.axes) - 1
    for n, (axis, kernel, size) in enumerate(zip(geo.axes, geo.kernel, geo.out)):
        shape = list(result.shape)
        shape[axis] = size
        if n == last and out is not None:
            target = out
        else:
            target = xp.empty(tuple(shape), dtype=dtype)
        first = result[geo.along(source.ndim, n, 0)]
        if kernel == 1:
            xp.copyto(target, first)
        else:
            combine(first, result[geo.along(source.ndim, n, 1)], out=target)
        for offset in range(2, kernel):
            combine(target, result[geo.along(source.ndim, n, offset)], out=target)
        result = target
    return result


def pool(xp, p, geo, data, out=None):
    """The Pooling forward of ``data`` with windows ``geo``; written into ``out`` if given."""
    dtype = _compute_type(p, data.dtype)
    shape = geo.output_shape(data.shape)
    fill = _lowest(dtype) if p.pool_type == "max" else 0
    if 0 in shape or 0 in geo.kernel:
        # Nothing to pool: no windows, or windows over empty maps (global pooling).
        return _result(xp, xp.full(shape, fill, dtype=dtype), out, data.dtype)
    target = out if out is not None and out.dtype == dtype else None
    phases = _phases(xp, geo, data, target)
    if phases is not None:
        acc = target if target is not None else xp.empty(shape, dtype=dtype)
        if p.pool_type == "max":
            acc = max_pool(phases, data, dtype.type(fill), acc)
        else:
            values = data.astype(dtype, copy=False)
            acc = window_sums(
                phases, _powered(values, p.p_value) if p.pool_type == "lp" else values, acc
            )
    else:
        source = _padded(xp, data, geo, fill, dtype)
        if p.pool_type == "lp":
            source = _powered(source, p.p_value)
        if p.pool_type == "max":
            # fmax skips NaN as MXNet's comparisons do; windows of only NaN or -inf end at the
            # lowest finite value, MXNet's starting point.
            acc = _reduce_windows(xp, source, geo, xp.fmax, dtype, target)
            xp.fmax(acc, dtype.type(_lowest(dtype)), out=acc)
        else:
            acc = _reduce_windows(xp, source, geo, xp.add, dtype, target)
    if p.pool_type == "avg":
        count_include_pad = p.count_include_pad is not False
        acc /= _divisor_of(xp, geo, count_include_pad, data.ndim, dtype)
    elif p.pool_type == "lp":
        _root(xp, acc, p.p_value)
    return _result(xp, acc, out, data.dtype)


def _phases(xp, geo, data, out):
    """The phase-plane layout (pooling_phases.py) for these windows, or None where it does
    not apply: it needs NumPy, overlapping windows, the spatial axes last and ``out`` (if
    any) contiguous."""
    if xp is not np or not geo.overlapping or geo.axes[-1] != data.ndim - 1:
        return None
    if out is not None and not out.flags.c_contiguous:
        return None
    return phases_for(geo, data.shape)


def _unpool_global_max(xp, geo, head, data, output):
    """Global max pooling's gradient: the first maximum of each map in row-major order
    takes it all (a direct search beats visiting every offset of a map-sized window)."""
    last = tuple(range(-len(geo.axes), 0))
    moved = xp.moveaxis(data, geo.axes, last)
    maps = moved.reshape(-1, math.prod(geo.size))
    hits = maps == xp.moveaxis(output, geo.axes, last).reshape(-1, 1)
    first = xp.argmax(hits, axis=-1)
    rows = xp.arange(maps.shape[0])
    # No element equals an all-NaN map's lowest-value output: no gradient there.
    values = xp.moveaxis(head, geo.axes, last).reshape(-1)
    grad = xp.zeros(maps.shape, dtype=head.dtype)
    grad[rows, first] = xp.where(hits[rows, first], values, 0)
    return xp.moveaxis(grad.reshape(moved.shape), last, geo.axes)


def unpool(xp, p, geo, ograd, data, output, out=None):
    """The gradient of Pooling w.r.t. ``data``, given the output gradient ``ograd`` and the
    forward's ``output``; written into ``out`` if given.

    Max pooling routes each window's gradient to the first maximum in row-major window
    order (MXNet's rule for ties); padding never takes a gradient.
    """
    dtype = _compute_type(p, data.dtype)
    if 0 in ograd.shape or 0 in data.shape:
        return _result(xp, xp.zeros(data.shape, dtype=dtype), out, data.dtype)
    head = ograd if ograd.dtype == dtype else ograd.astype(dtype)
    if geo.global_pool and p.pool_type == "max":
        return _result(xp, _unpool_global_max(xp, geo, head, data, output), out, data.dtype)
    target = out if out is not None and out.dtype == dtype else None
    phases = None if geo.global_pool else _phases(xp, geo, data, target)
    if phases is not None:
        grad = target if target is not None else xp.empty(data.shape, dtype=dtype)
        if p.pool_type == "max":
            lowest = _lowest(dtype)
            output = output.astype(dtype, copy=False)
            if max_gradient(phases, head, data, output, lowest, grad) is not None:
                return _result(xp, grad, out, data.dtype)
        elif p.pool_type != "lp":
            head = _averaged(xp, p, geo, head, data.ndim)
            return _result(xp, spread_windows(phases, head, grad), out, data.dtype)
    # Without padding the gradient can be built in ``out`` itself.
    if geo.padded:
        target = None
    if p.pool_type == "max":
        grad = _unpool_max(xp, geo, head, data, output.astype(dtype, copy=False), target)
    else:
        grad = _unpool_sums(xp, p, geo, head, data, output, target)
    if geo.padded:
        grad = grad[geo.interior(data.ndim)]
    return _result(xp, grad, out, data.dtype)


def _gradient_buffer(xp, shape, dtype, out, covered):
    """A buffer for a gradient: ``out`` if given, else a new one; zeroed unless ``covered``
    (every element is going to be written)."""
    if out is None:
        return xp.empty(shape, dtype=dtype) if covered else xp.zeros(shape, dtype=dtype)
    if not covered:
        out.fill(0)
    return out


def _tiles(geo, n) -> bool:
    """Whether the windows along spatial axis ``n`` cover its padded extent exactly once."""
    return geo.kernel[n] == geo.stride[n] and geo.out[n] * geo.kernel[n] == geo.padded_size(n)


def _unpool_max(xp, geo, head, data, output, target):
    source = _padded(xp, data, geo, _lowest(output.dtype), output.dtype)
    ndim = source.ndim
    covered = all(_tiles(geo, n) for n in range(len(geo.axes)))
    grad = _gradient_buffer(xp, source.shape, output.dtype, target, covered)
    # Buffers reused across offsets: fresh large temporaries cost page faults every time.
    hit = xp.empty(output.shape, dtype=bool)
    free = xp.ones(output.shape, dtype=bool)
    share = xp.empty(output.shape, dtype=grad.dtype) if geo.overlapping else None
    offsets = list(geo.offsets())
    for i, offset in enumerate(offsets):
        index = geo.window(ndim, offset)
        xp.equal(source[index], output, out=hit)
        if i:
            hit &= free
        if i < len(offsets) - 1:
            xp.less(hit, free, out=free)  # free and not hit
        if share is None:
            # Disjoint windows: each element belongs to one window at most.
            xp.multiply(hit, head, out=grad[index])
        else:
            xp.multiply(hit, head, out=share)
            grad[index] += share
    return grad


def _spread_windows(xp, head, geo, target):
    """The transpose of summing windows: each window's value added to every padded input
    under it, one spatial axis at a time from the innermost; the last pass writes into
    ``target`` if given."""
    if _global(geo):
        shape = list(head.shape)
        for axis, size in zip(geo.axes, geo.size):
            shape[axis] = size
        buffer = _gradient_buffer(xp, tuple(shape), head.dtype, target, True)
        xp.copyto(buffer, head)  # broadcast over each map
        return buffer
    result = head
    ndim = head.ndim
    for n in reversed(range(len(geo.axes))):
        shape = list(result.shape)
        shape[geo.axes[n]] = geo.padded_size(n)
        buffer = _gradient_buffer(
            xp, tuple(shape), head.dtype, target if n == 0 else None, _tiles(geo, n)
        )
        disjoint = geo.kernel[n] <= geo.stride[n]
        for offset in range(geo.kernel[n]):
            view = buffer[geo.along(ndim, n, offset)]
            if disjoint:
                xp.copyto(view, result)
            else:
                view += result
        result = buffer
    return result


def _averaged(xp, p, geo, head, ndim):
    """The output gradient divided by each window's divisor, for average pooling."""
    if p.pool_type != "avg":
        return head
    count_include_pad = p.count_include_pad is not False
    return head / _divisor_of(xp, geo, count_include_pad, ndim, head.dtype)


def _unpool_sums(xp, p, geo, head, data, output, target):
    """Sum, average and Lp pooling: the transpose of window sums, with the Lp gradient
    (x / y) ** (p - 1) split into a factor per window and one per input."""
    dtype = head.dtype
    head = _averaged(xp, p, geo, head, data.ndim)
    lp_power = p.p_value - 1 if p.pool_type == "lp" else 0
    if not lp_power:
        return _spread_windows(xp, head, geo, target)
    # A zero norm (an empty window, or zeros) makes infinities here and NaN where they meet
    # zero data or each other, as MXNet's 0 / 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        head = head / _powered(output.astype(dtype, copy=False), lp_power)
        grad = _spread_windows(xp, head, geo, target)
        inside = grad[geo.interior(data.ndim)] if geo.padded else grad
        xp.multiply(inside, _powered(data.astype(dtype, copy=False), lp_power), out=inside)
    return grad


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
        check_params(self.name, p)
        if not is_known(data):
            if data is not None:
                spatial_axes(self.name, p, data)
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
        check_params(self.name, p)
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
