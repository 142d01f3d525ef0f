"""Assorted array operators: ``cumsum``, ``_histogram``, ``khatri_rao`` and ``_split_v2``."""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetValueError
from .infer import is_known, normalize_axis, shape_str, unify_dtype
from .kernels import into, into_outputs
from .params import Any, Bool, DType, Int, Params, Shape
from .registry import Op, register


@register("cumsum", aliases=("_np_cumsum",))
class Cumsum(Op):
    """Return the cumulative sum along ``axis`` (of the flattened array when ``axis`` is None).

    The result has dtype ``dtype`` when given, else the input's: unlike NumPy, MXNet 1.9.1
    keeps small integer types (int8 sums wrap around in int8).

    >>> mx.nd.cumsum(mx.nd.array([[1, 2], [3, 4]]), axis=1)
    <BLANKLINE>
    [[1. 3.]
     [3. 7.]]
    <NDArray 2x2 @cpu(0)>
    """

    inputs = ("a",)
    params = Params(
        axis=Int(None, doc="The axis to sum along; None sums the flattened array."),
        dtype=DType(
            None,
            choices=("float16", "float32", "float64", "int32", "int64", "int8"),
            doc="The dtype of the result and of the running sum; None keeps the input's.",
        ),
    )
    # The gradient needs only the input's shape and dtype.
    saves = ()

    def infer_shape(self, p, a):
        if not is_known(a):
            return None
        if p.axis is None:
            return (a,), ((math.prod(a),),)
        normalize_axis(self.name, p.axis, len(a))
        return (a,), (a,)

    def infer_type(self, p, a):
        if p.dtype is not None:
            return (a,), (np.dtype(p.dtype),)
        return None if a is None else ((a,), (a,))

    def forward(self, xp, p, a, out=None):
        dtype = np.dtype(p.dtype) if p.dtype is not None else a.dtype
        # Each element is cast first, as MXNet does: cumsum([1.5, 2.7], dtype=int32) is [1, 3].
        values = a.astype(dtype, copy=False)
        if p.axis is None:
            return xp.cumsum(values.reshape(-1), dtype=dtype, out=out)
        return xp.cumsum(values, axis=p.axis % a.ndim, dtype=dtype, out=out)

    def gradient(self, p, F, inputs, outputs, dy):
        a = inputs[0]
        axis = 0 if p.axis is None else p.axis % len(a.shape)
        grad = _reverse(F, F.cumsum(_reverse(F, dy[0], axis), axis=axis), axis)
        if p.axis is None:
            grad = F.reshape_like(grad, a)
        if p.dtype is not None and np.dtype(p.dtype) != np.dtype(a.dtype):
            grad = F.Cast(grad, dtype=np.dtype(a.dtype).name)
        return (grad,)


def _reverse(F, x, axis):
    """``x`` reversed along ``axis`` (a registered slice, so it differentiates again)."""
    leading = (None,) * (axis + 1)
    return F.slice(x, begin=leading, end=leading, step=(None,) * axis + (-1,))


class _Range(Any):
    """A (low, high) pair of numbers with low <= high."""

    type_name = "(float, float)"

    def convert(self, value):
        value = super().convert(value)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise ValueError(f"expected a pair (low, high), got {value!r}")
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a pair of numbers, got {value!r}") from None
        if low > high:
            raise ValueError(f"low {low} must be <= high {high}")
        return (low, high)


@register("_histogram", aliases=("_npi_histogram",))
class Histogram(Op):
    """Count the values of ``data`` (flattened) per bin; return the counts and the bin edges.

    Either ``bins`` (an array of increasing edges, the last bin closed on the right) or
    ``bin_cnt`` equal-width bins over ``range`` (the two parameters go together). Values
    outside the edges, NaN included, are not counted. Counts are int64; the edges have the
    data's dtype. ``mx.nd.histogram`` is the usual way to call it.

    >>> counts, edges = mx.nd._internal._histogram(mx.nd.array([0, 1, 2, 2, 3, 4]),
    ...                                            bin_cnt=5, range=(0, 5))
    >>> counts.asnumpy()
    array([1, 1, 2, 1, 1])
    """

    inputs = ("data", "bins")
    params = Params(
        bin_cnt=Int(None, min=1, doc="The number of equal-width bins over ``range``."),
        range=_Range(None, doc="(low, high): the span of the ``bin_cnt`` bins."),
    )
    differentiable = False

    def arguments(self, p):
        return ("data",) if p.bin_cnt is not None else ("data", "bins")

    def num_outputs(self, p):
        return 2

    def infer_shape(self, p, data, bins=None):
        if (p.bin_cnt is None) != (p.range is None):
            raise MXNetValueError(
                f"{self.name}: bin_cnt and range must be given together (got bin_cnt="
                f"{p.bin_cnt}, range={p.range}); or pass the bin edges as 'bins'"
            )
        if p.bin_cnt is not None:
            if bins is not None:
                raise MXNetValueError(
                    f"{self.name}: give either the 'bins' array or bin_cnt, not both"
                )
            return (data,), ((p.bin_cnt,), (p.bin_cnt + 1,))
        if bins is None or not is_known(bins):
            return None
        if len(bins) != 1 or bins[0] < 2:
            raise MXNetValueError(
                f"{self.name}: bins has shape {shape_str(bins)}; expected a 1-d array of at "
                "least 2 bin edges"
            )
        return (data, bins), ((bins[0] - 1,), bins)

    def infer_type(self, p, data, bins=None):
        dtype = unify_dtype(self.name, self.arguments(p), (data, bins))
        if dtype is None:
            return None
        inputs = (dtype,) if p.bin_cnt is not None else (dtype, dtype)
        return inputs, (np.dtype(np.int64), dtype)

    def forward(self, xp, p, data, bins=None, out=None):
        values = data.reshape(-1)
        if p.bin_cnt is not None:
            low, high = p.range
            if low == high:
                # A zero-width range widens to one unit, as numpy.histogram does.
                low, high = low - 0.5, high + 0.5
            edges = xp.linspace(low, high, p.bin_cnt + 1)
        else:
            edges = bins
        count = edges.shape[0] - 1
        index = xp.searchsorted(edges, values, side="right") - 1
        # The last bin is closed: a value equal to the last edge belongs to it.
        index = xp.where(values == edges[-1], count - 1, index)
        inside = (values >= edges[0]) & (values <= edges[-1])
        counts = xp.bincount(index[inside], minlength=count).astype(np.int64)
        return into_outputs(xp, (counts, edges.astype(data.dtype)), out)


@register("khatri_rao")
class KhatriRao(Op):
    """Return the column-wise Kronecker product of matrices with equal column counts.

    For inputs of shapes (r1, k), ..., (rn, k) the output has shape (r1 * ... * rn, k);
    row ``i1 * r2 * ... * rn + ... + in`` of column ``j`` is the product of the inputs'
    entries at rows ``i1, ..., in`` of column ``j`` (the first input varies slowest).

    >>> mx.nd.khatri_rao(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([[1, 1], [2, 3]]))
    <BLANKLINE>
    [[ 1.  2.]
     [ 2.  6.]
     [ 3.  4.]
     [ 6. 12.]]
    <NDArray 4x2 @cpu(0)>
    """

    variadic = True
    params = Params(num_args=Int(min=1))
    # NOTE: MXNet 1.9.1 registers no gradient for khatri_rao; neomx's is an extension.

    def arguments(self, p):
        return tuple(f"arg{i}" for i in range(p.num_args))

    def infer_shape(self, p, *shapes):
        if len(shapes) != p.num_args:
            raise MXNetValueError(
                f"{self.name}: num_args={p.num_args}, but {len(shapes)} arrays were given"
            )
        if not all(is_known(s) for s in shapes):
            return None
        for name, shape in zip(self.arguments(p), shapes):
            if len(shape) != 2 or shape[1] != shapes[0][-1]:
                raise MXNetValueError(
                    f"{self.name}: {name} has shape {shape_str(shape)}; every input must be "
                    f"a matrix with the {shapes[0][-1]} columns of arg0 {shape_str(shapes[0])}"
                )
        return shapes, ((math.prod(s[0] for s in shapes), shapes[0][1]),)

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))

    def forward(self, xp, p, *matrices, out=None):
        result = matrices[0]
        columns = result.shape[1]
        for matrix in matrices[1:]:
            result = (result[:, None, :] * matrix[None, :, :]).reshape(-1, columns)
        return into(xp, result, out)

    def gradient(self, p, F, inputs, outputs, dy):
        rows = tuple(x.shape[0] for x in inputs)
        columns = inputs[0].shape[1]
        # dy as (r1, ..., rn, k): the gradient of input i multiplies it by the product of
        # the other inputs (their Khatri-Rao product) and sums over the other row axes.
        grid = F.reshape(dy[0], shape=rows + (columns,))
        grads = []
        for i, x in enumerate(inputs):
            others = [y for j, y in enumerate(inputs) if j != i]
            if not others:
                grads.append(dy[0])
                continue
            product = F.khatri_rao(*others) if len(others) > 1 else others[0]
            spread = rows[:i] + (1,) + rows[i + 1 :] + (columns,)
            weighted = F.broadcast_mul(grid, F.reshape(product, shape=spread))
            axes = tuple(a for a in range(len(rows)) if a != i)
            grads.append(F.reshape(F.sum(weighted, axis=axes), shape=x.shape))
        return tuple(grads)


def _split_bounds(op_name, p, size):
    """The (begin, end) of every part of an axis of ``size`` for _split_v2's parameters."""
    if p.sections > 0:
        # Equal parts where possible; the first size % sections parts get one more element
        # (MXNet 1.9.1 splits 6 into 4 sections as 2, 2, 1, 1, like numpy.array_split).
        small, extra = divmod(size, p.sections)
        lengths = [small + 1] * extra + [small] * (p.sections - extra)
        starts = [sum(lengths[:i]) for i in range(p.sections)]
        return list(zip(starts, [s + n for s, n in zip(starts, lengths)]))
    starts = list(p.indices)
    if not starts:
        raise MXNetValueError(f"{op_name}: give the split points 'indices' or 'sections' > 0")
    if starts[0] != 0:
        raise MXNetValueError(
            f"{op_name}: indices {p.indices} must start with 0, the beginning of the first part"
        )
    ends = starts[1:] + [size]
    for i, (begin, end) in enumerate(zip(starts, ends)):
        if not begin <= end <= size:
            raise MXNetValueError(
                f"{op_name}: indices {p.indices} must be increasing and at most the axis size "
                f"{size} (part {i} would span [{begin}, {end}))"
            )
    return list(zip(starts, ends))


@register("_split_v2", aliases=("_npi_split",))
class SplitV2(Op):
    """Split ``data`` along ``axis`` at the points ``indices`` (or into ``sections`` parts).

    ``indices`` lists where each part begins and must start with 0; part i spans
    [indices[i], indices[i+1]). With ``sections`` > 0 the axis is cut into that many nearly
    equal parts instead. ``squeeze_axis`` drops the split axis from parts of size 1.
    ``mx.nd.split_v2`` computes ``indices`` from NumPy-style arguments.
    """

    params = Params(
        indices=Shape(doc="Where each part begins along ``axis``, starting with 0."),
        axis=Int(1, doc="The axis to split."),
        squeeze_axis=Bool(False, doc="Drop ``axis`` from the parts (each of size 1)."),
        sections=Int(0, min=0, doc="If > 0, split into this many parts instead of at indices."),
    )
    saves = ()

    def num_outputs(self, p):
        return p.sections if p.sections > 0 else max(len(p.indices), 1)

    def _parts(self, p, shape):
        axis = normalize_axis(self.name, p.axis, len(shape))
        bounds = _split_bounds(self.name, p, shape[axis])
        if p.squeeze_axis:
            for i, (begin, end) in enumerate(bounds):
                if end - begin != 1:
                    raise MXNetValueError(
                        f"{self.name}: squeeze_axis=True needs parts of size 1 along axis "
                        f"{p.axis}, but part {i} has size {end - begin}"
                    )
        return axis, bounds

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        axis, bounds = self._parts(p, data)
        outs = []
        for begin, end in bounds:
            middle = () if p.squeeze_axis else (end - begin,)
            outs.append(tuple(data[:axis]) + middle + tuple(data[axis + 1 :]))
        return (data,), tuple(outs)

    def forward(self, xp, p, data, out=None):
        axis, bounds = self._parts(p, data.shape)
        parts = []
        for begin, end in bounds:
            index = (slice(None),) * axis + ((begin if p.squeeze_axis else slice(begin, end)),)
            parts.append(data[index])
        return into_outputs(xp, parts, out)

    def gradient(self, p, F, inputs, outputs, dy):
        outs = outputs if isinstance(outputs, (list, tuple)) else (outputs,)
        grads = [g if g is not None else F.zeros_like(o) for g, o in zip(dy, outs)]
        if p.squeeze_axis:
            grads = [F.expand_dims(g, axis=p.axis) for g in grads]
        return (F.concat(*grads, dim=p.axis),)
