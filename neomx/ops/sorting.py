"""Ordering operators: argmax, argmin, argmax_channel, argsort, sort, topk, and the gathers
along an axis that the gradients of sort and topk use.

Order rules, the same for every operator here: NaN counts as larger than every number (argmax
finds the first NaN; an ascending sort puts NaN last, a descending one first), and ties keep
their input order (the first of equal elements wins). MXNet 1.9.1 agrees for argmax and
argmin and for ties in short rows; its sorts leave NaN at arbitrary places and break ties in
rows of more than 16 elements arbitrarily.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetIndexError, MXNetValueError
from .infer import is_known, normalize_axis, shape_str
from .kernels import into
from .params import Bool, DType, Enum, Int, Params, Shape
from .registry import Op, register

_INDEX_DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8")
_AXIS_DOC = "The axis to order along; None orders the flattened array."


def _sort_axis(op_name, shape, axis):
    """The axis to order along; None orders the flattened array (axis 0 of it)."""
    return None if axis is None else normalize_axis(op_name, axis, len(shape))


def stable_order(xp, data, axis, ascending):
    """The indices that order ``data`` along ``axis``, stably, NaN counting as the largest."""
    if ascending:
        # NumPy's (and CuPy's) sorts already put NaN last.
        return xp.argsort(data, axis=axis, kind="stable")
    if data.dtype.kind != "f":
        # Bitwise not reverses the order of signed and unsigned integers (and of booleans)
        # without the overflow of negation.
        return xp.argsort(xp.invert(data), axis=axis, kind="stable")
    order = xp.argsort(-data, axis=axis, kind="stable")
    if bool(xp.isnan(data).any()):
        # -data still sorts NaN last; move them first, keeping both groups' order.
        nan_last = ~xp.isnan(xp.take_along_axis(data, order, axis=axis))
        order = xp.take_along_axis(order, xp.argsort(nan_last, axis=axis, kind="stable"), axis)
    return order


def stable_top(xp, data, axis, ascending, count):
    """The first ``count`` entries of ``stable_order(data, axis, ascending)``, found without
    sorting whole rows when ``count`` is small: a partition picks each row's ``count``
    smallest keys and only those are sorted. A partition breaks ties at the boundary key
    arbitrarily, so rows holding more copies of it than were picked are redone in full."""
    length = data.shape[axis]
    if (
        data.size == 0
        or count * 4 > length
        or (data.dtype.kind == "f" and bool(xp.isnan(xp.min(data))))
    ):
        return _leading(stable_order(xp, data, axis, ascending), axis, count)
    moved = xp.moveaxis(data, axis, -1)
    rows = moved.reshape(-1, length)
    if ascending:
        keys = rows
    elif rows.dtype.kind == "f":
        keys = -rows
    else:
        keys = xp.invert(rows)
    # Sorting the picked positions first makes the stable sort below keep input order on ties.
    picked = xp.sort(xp.argpartition(keys, count - 1, axis=1)[:, :count], axis=1)
    picked_keys = xp.take_along_axis(keys, picked, axis=1)
    boundary = picked_keys.max(axis=1, keepdims=True)
    within = keys <= boundary
    # Every row holds at least ``count`` such keys; a total of exactly that means no row has
    # unpicked ties, which is the common case and costs one pass.
    if int(xp.count_nonzero(within)) != within.shape[0] * count:
        redo = xp.nonzero(xp.count_nonzero(within, axis=1) != count)[0]
        picked[redo] = stable_order(xp, rows[redo], 1, ascending)[:, :count]
        picked_keys[redo] = xp.take_along_axis(keys[redo], picked[redo], axis=1)
    order = xp.argsort(picked_keys, axis=1, kind="stable")
    top = xp.take_along_axis(picked, order, axis=1)
    return xp.moveaxis(top.reshape(moved.shape[:-1] + (count,)), -1, axis)


def _leading(array, axis, count):
    """The first ``count`` entries of ``array`` along ``axis``."""
    index = [slice(None)] * array.ndim
    index[axis] = slice(0, count)
    return array[tuple(index)]


class _ArgReduce(Op):
    """Return the index of the first extreme element along ``axis`` (of the flattened array
    when None), in the input's dtype as MXNet 1.9.1 returns it. No gradient flows."""

    params = Params(
        axis=Int(None, doc="The axis to search; None searches the flattened array."),
        keepdims=Bool(False, doc="Keep the searched axis, with size 1."),
    )
    saves = ()
    kernel = ""

    def _axis(self, p, ndim):
        return None if p.axis is None else normalize_axis(self.name, p.axis, ndim)

    def _keepdims(self, p):
        return p.keepdims

    def _out_shape(self, p, shape):
        axis = self._axis(p, len(shape))
        if axis is None:
            return (1,) * len(shape) if self._keepdims(p) else (1,)
        if self._keepdims(p):
            return shape[:axis] + (1,) + shape[axis + 1 :]
        return shape[:axis] + shape[axis + 1 :] or (1,)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        axis = self._axis(p, len(data))
        size = data[axis] if axis is not None else int(np.prod(data))
        if size == 0:
            where = "the data" if axis is None else f"axis {axis}"
            raise MXNetValueError(
                f"{self.name}: {where} of {shape_str(data)} is empty; it has no {self.kernel}"
            )
        return (data,), (self._out_shape(p, tuple(data)),)

    def forward(self, xp, p, data, out=None):
        axis = self._axis(p, data.ndim)
        found = getattr(xp, self.kernel)(data.reshape(-1) if axis is None else data, axis=axis)
        # Indices cast to the data's dtype as C++ casts do (uint8 wraps, float16 rounds).
        return into(xp, found.reshape(self._out_shape(p, data.shape)).astype(data.dtype), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)


@register("argmax")
class ArgMax(_ArgReduce):
    """Return the index of the largest element along ``axis`` (the first NaN, if any; the
    first of tied elements).

    >>> mx.nd.argmax(mx.nd.array([[1, 5, 5], [7, 0, 7]]), axis=1)
    <BLANKLINE>
    [1. 0.]
    <NDArray 2 @cpu(0)>
    """

    kernel = "argmax"


@register("argmin")
class ArgMin(_ArgReduce):
    """Return the index of the smallest element along ``axis`` (the first NaN, if any; the
    first of tied elements)."""

    kernel = "argmin"


@register("argmax_channel")
class ArgMaxChannel(_ArgReduce):
    """Return the index of the largest element along axis 1 (the channels), as
    ``argmax(axis=1)``."""

    params = Params()
    kernel = "argmax"
    differentiable = False

    def _axis(self, p, ndim):
        return normalize_axis(self.name, 1, ndim)

    def _keepdims(self, p):
        return False


class _Sort(Op):
    """An operator ordering ``data`` along ``axis`` (the flattened array when None)."""

    def _order(self, xp, p, data):
        """(array ordered along axis, axis, full stable order along it)."""
        axis = _sort_axis(self.name, data.shape, p.axis)
        if axis is None:
            data, axis = data.reshape(-1), 0
        return data, axis, stable_order(xp, data, axis, p.is_ascend)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        axis = _sort_axis(self.name, data, p.axis)
        return (data,), ((int(np.prod(data)),) if axis is None else data,)


@register("argsort")
class ArgSort(_Sort):
    """Return the indices that sort ``data`` along ``axis``, in ``dtype`` (float32 by
    default).

    Ties keep their input order in both directions; NaN counts as the largest value.

    >>> mx.nd.argsort(mx.nd.array([3, 1, 3, 2]), is_ascend=False)
    <BLANKLINE>
    [0. 2. 3. 1.]
    <NDArray 4 @cpu(0)>
    """

    params = Params(
        axis=Int(-1, optional=True, doc=_AXIS_DOC),
        is_ascend=Bool(True, doc="Sort in ascending order (else descending)."),
        dtype=DType("float32", choices=_INDEX_DTYPES, doc="The dtype of the indices."),
    )
    saves = ()

    def infer_type(self, p, dtype):
        return (dtype,), (np.dtype(p.dtype),)

    def forward(self, xp, p, data, out=None):
        return into(xp, self._order(xp, p, data)[2].astype(p.dtype), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)


@register("sort")
class Sort(_Sort):
    """Sort ``data`` along ``axis`` (the flattened array when None).

    Ties keep their input order; NaN counts as the largest value. The gradient returns each
    output gradient to the position its element came from. MXNet 1.9.1 refuses float16.

    >>> mx.nd.sort(mx.nd.array([[3, 1, 2]]), is_ascend=False)
    <BLANKLINE>
    [[3. 2. 1.]]
    <NDArray 1x3 @cpu(0)>
    """

    params = Params(
        axis=Int(-1, optional=True, doc=_AXIS_DOC),
        is_ascend=Bool(True, doc="Sort in ascending order (else descending)."),
    )
    saves = ("data",)

    def output_names(self, p):
        # MXNet 1.9.1's sort has a hidden second output (the indices), hence the number.
        return ("output0",)

    def forward(self, xp, p, data, out=None):
        flat, axis, order = self._order(xp, p, data)
        return into(xp, xp.take_along_axis(flat, order, axis=axis), out)

    def gradient(self, p, F, inputs, outputs, dy):
        x = inputs[0]
        # The order is sorted again from the data (kept anyway for this), so the forward needs
        # no hidden int64 output of the data's size.
        order = F.argsort(x, axis=p.axis, is_ascend=p.is_ascend, dtype="int64")
        return (_scatter_back(F, x, dy[0], order, p.axis, self.name),)


def _scatter_back(F, x, dy, indices, axis, op_name):
    """``dy`` written back to the positions ``indices`` (int64, along ``axis``) came from."""
    shape = tuple(x.shape)
    axis = _sort_axis(op_name, shape, axis)
    if axis is None:
        flat = F._backward_take_along_axis(dy, indices, axis=0, shape=(int(np.prod(shape)),))
        return F.reshape(flat, shape=shape)
    return F._backward_take_along_axis(dy, indices, axis=axis, shape=shape)


@register("topk")
class TopK(_Sort):
    """Return the ``k`` largest (``is_ascend=True``: smallest) elements along ``axis``.

    ``ret_typ`` picks the result: ``'indices'`` (in ``dtype``), ``'value'``, ``'both'``
    (values, then indices) or ``'mask'`` (1 at the chosen elements, 0 elsewhere, in the
    data's dtype). ``k < 1`` selects the whole axis; ``axis=None`` selects from the flattened
    array. Order rules as ``sort``; the gradient of the values returns to their positions.

    >>> mx.nd.topk(mx.nd.array([[3, 1, 3, 2]]), k=2, ret_typ='value')
    <BLANKLINE>
    [[3. 3.]]
    <NDArray 1x2 @cpu(0)>
    """

    params = Params(
        axis=Int(-1, optional=True, doc=_AXIS_DOC),
        k=Int(1, doc="How many elements to select; k < 1 selects all."),
        ret_typ=Enum(("both", "indices", "mask", "value"), "indices", doc="What to return."),
        is_ascend=Bool(False, doc="Select the smallest elements (else the largest)."),
        dtype=DType("float32", choices=_INDEX_DTYPES, doc="The dtype of the indices."),
    )
    saves = ("data",)

    def num_outputs(self, p):
        return 2 if p.ret_typ == "both" else 1

    def output_names(self, p):
        # MXNet 1.9.1 computes the indices alongside the values (hidden for ret_typ='value'),
        # so the value outputs are numbered.
        return {"value": ("output0",), "both": ("output0", "output1")}.get(p.ret_typ, ("output",))

    def _count(self, p, shape):
        """k, checked against the length of the axis."""
        axis = _sort_axis(self.name, shape, p.axis)
        length = int(np.prod(shape)) if axis is None else shape[axis]
        if p.k > length:
            raise MXNetValueError(
                f"{self.name}: k={p.k} is larger than the {length} element(s) along "
                f"{'the flattened data' if axis is None else f'axis {axis}'} of "
                f"{shape_str(shape)}"
            )
        return length if p.k < 1 else p.k

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        k = self._count(p, data)
        if p.ret_typ == "mask":
            return (data,), (data,)
        axis = _sort_axis(self.name, data, p.axis)
        shape = (k,) if axis is None else data[:axis] + (k,) + data[axis + 1 :]
        return (data,), (shape,) * self.num_outputs(p)

    def infer_type(self, p, dtype):
        index = np.dtype(p.dtype)
        outputs = {"value": (dtype,), "indices": (index,), "mask": (dtype,), "both": (dtype, index)}
        return (dtype,), outputs[p.ret_typ]

    def forward(self, xp, p, data, out=None):
        k = self._count(p, data.shape)
        axis = _sort_axis(self.name, data.shape, p.axis)
        flat = data.reshape(-1) if axis is None else data
        axis = 0 if axis is None else axis
        chosen = stable_top(xp, flat, axis, p.is_ascend, k)
        if p.ret_typ == "mask":
            mask = xp.zeros(flat.shape, dtype=data.dtype)
            mask[_along_axis(xp, chosen, axis)] = 1
            return into(xp, mask.reshape(data.shape), out)
        results = []
        if p.ret_typ in ("value", "both"):
            results.append(xp.take_along_axis(flat, chosen, axis=axis))
        if p.ret_typ in ("indices", "both"):
            results.append(chosen.astype(p.dtype))
        if len(results) == 1:
            return into(xp, results[0], out)
        if out is None:
            return tuple(results)
        return tuple(into(xp, result, buffer) for result, buffer in zip(results, out))

    def gradient(self, p, F, inputs, outputs, dy):
        if p.ret_typ not in ("value", "both") or dy[0] is None:
            return (None,)
        x = inputs[0]
        # Recomputed, not taken from the outputs: their dtype may not hold every index.
        chosen = F.topk(
            x, axis=p.axis, k=p.k, ret_typ="indices", is_ascend=p.is_ascend, dtype="int64"
        )
        return (_scatter_back(F, x, dy[0], chosen, p.axis, self.name),)


def _along_axis(xp, indices, axis):
    """The index tuple selecting, at each position of ``indices``, element ``indices[...]``
    along ``axis`` and the same position along the other axes."""
    index = []
    for dim, size in enumerate(indices.shape):
        if dim == axis:
            index.append(indices)
        else:
            shape = [1] * indices.ndim
            shape[dim] = size
            index.append(xp.arange(size).reshape(shape))
    return tuple(index)


def _int64(indices):
    # Float indices truncate toward zero, as MXNet's casts do.
    return indices if indices.dtype == np.int64 else indices.astype(np.int64)


def _check_along(op_name, data, indices, axis):
    """Raise unless ``data`` and ``indices`` agree on every axis but ``axis``."""
    if len(data) != len(indices) or any(
        a != b for dim, (a, b) in enumerate(zip(data, indices)) if dim != axis
    ):
        raise MXNetValueError(
            f"{op_name}: indices {shape_str(indices)} must match {shape_str(data)} on every "
            f"axis except axis {axis}"
        )


@register("_take_along_axis")
class TakeAlongAxis(Op):
    """Pick, at each position of ``indices``, the element of ``data`` whose index along
    ``axis`` it holds (``numpy.take_along_axis``). neomx only: the gradient of sort and topk
    goes through it and its twin ``_backward_take_along_axis``."""

    inputs = ("data", "indices")
    params = Params(axis=Int(-1))
    saves = ("indices",)

    def infer_shape(self, p, data, indices):
        if not is_known(data) or not is_known(indices):
            return None
        axis = normalize_axis(self.name, p.axis, len(data))
        _check_along(self.name, data, indices, axis)
        return (data, indices), (indices,)

    def infer_type(self, p, data, indices):
        return None if data is None else ((data, indices), (data,))

    def forward(self, xp, p, data, indices, out=None):
        axis = p.axis % data.ndim
        try:
            result = data[_along_axis(xp, _int64(indices), axis)]
        except IndexError as err:
            raise MXNetIndexError(f"{self.name}: {err}") from None
        return into(xp, result, out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, indices = inputs
        grad = F._backward_take_along_axis(dy[0], indices, axis=p.axis, shape=data.shape)
        return grad, None


@register("_backward_take_along_axis")
class BackwardTakeAlongAxis(Op):
    """Sum ``data`` into a zero array of ``shape`` at the indices along ``axis`` that
    ``indices`` holds (the gradient of ``_take_along_axis``; repeated indices accumulate)."""

    inputs = ("data", "indices")
    params = Params(axis=Int(-1), shape=Shape())
    saves = ("indices",)

    def infer_shape(self, p, data, indices):
        if not is_known(indices):
            return None
        axis = normalize_axis(self.name, p.axis, len(p.shape))
        _check_along(self.name, p.shape, indices, axis)
        if data is not None and tuple(data) != tuple(indices):
            raise MXNetValueError(
                f"{self.name}: data {shape_str(data)} must have the shape of indices "
                f"{shape_str(indices)}"
            )
        return (indices, indices), (p.shape,)

    def infer_type(self, p, data, indices):
        return None if data is None else ((data, indices), (data,))

    def forward(self, xp, p, data, indices, out=None):
        result = xp.zeros(p.shape, dtype=data.dtype) if out is None else out
        if out is not None:
            result.fill(0)
        try:
            xp.add.at(result, _along_axis(xp, _int64(indices), p.axis % len(p.shape)), data)
        except IndexError as err:
            raise MXNetIndexError(f"{self.name}: {err}") from None
        return result

    def gradient(self, p, F, inputs, outputs, dy):
        return F._take_along_axis(dy[0], inputs[1], axis=p.axis), None
