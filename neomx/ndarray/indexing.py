"""``NDArray.__getitem__`` and ``__setitem__`` with MXNet 1.9.1's semantics.

Basic keys (ints, slices, ``None``, ``...``) return a view sharing memory when the selection is
one contiguous block of the array, as MXNet does (``x[1]``, ``x[2:4]``, ``x[1, 2:4]``); any other
basic selection is a copy made by the ``slice`` operator. An index selecting a single element
gives shape (1,), never a 0-d array. Index arrays (lists, numpy arrays, NDArrays; bools count as
0/1 and floats truncate, as in MXNet) select with ``take`` or ``gather_nd``. A boolean NDArray is
a mask with NumPy semantics: a neomx addition, MXNet 1.9.1 refuses masks outside its numpy mode.
Assignment writes in place through ``_slice_assign``, ``_slice_assign_scalar`` and
``_scatter_set_nd``, casting the value to the array's dtype.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from ..base import SUPPORTED_DTYPES, MXNetIndexError, MXNetTypeError, MXNetValueError
from ..ops.invoke import invoke_nd
from ..ops.registry import REGISTRY
from .creation import array as _array
from .ndarray import NDArray, _recording

__all__ = ["get_item", "set_item"]

# Kinds of key items; only the first three remain after parsing.
_INT, _SLICE, _ARRAY, _NEW, _ELLIPSIS, _MASK = "int", "slice", "array", "new", "...", "mask"


def _call(op_name, inputs, out=None, **params):
    op = REGISTRY[op_name]
    return invoke_nd(op, inputs, op.params.parse(op.name, params), out)


# ---- parsing -----------------------------------------------------------------------------
class _Key:
    """A key resolved against a shape.

    ``axes[k]`` is the selection on input axis k: ``(_INT, i)``, ``(_SLICE, range)`` or
    ``(_ARRAY, int64 array)``, all normalised to non-negative, in-range positions. ``order``
    lists the key's entries as written: an input axis number, or None for a new axis.
    """

    def __init__(self, shape, axes, order):
        self.shape = shape
        self.axes = axes
        self.order = order
        self.advanced = [k for k, (kind, _) in enumerate(axes) if kind == _ARRAY]
        if self.advanced:
            # With an index array present, ints are advanced indices too (NumPy's rule).
            self.advanced = [k for k, (kind, _) in enumerate(axes) if kind != _SLICE]
            spots = [i for i, axis in enumerate(order) if axis in self.advanced]
            self.adjacent = spots[-1] - spots[0] == len(spots) - 1

    def block_shape(self):
        """The broadcast shape of the advanced indices (ints included)."""
        parts = [value for kind, value in self.axes if kind == _ARRAY]
        try:
            return np.broadcast_shapes(*(part.shape for part in parts))
        except ValueError:
            shapes = " ".join(str(part.shape) for part in parts)
            raise MXNetValueError(
                f"NDArray indexing: index arrays could not be broadcast together with shapes "
                f"{shapes}"
            ) from None

    def result_shape(self):
        """The shape of ``x[key]``: NumPy's, except as noted for MXNet 1.9.1."""
        if not self.advanced:
            shape = []
            for axis in self.order:
                if axis is None:
                    shape.append(1)
                elif self.axes[axis][0] == _SLICE:
                    shape.append(len(self.axes[axis][1]))
            # MXNet 1.9.1 has no 0-d results: selecting one element gives shape (1,).
            if not shape and any(kind == _INT for kind, _ in self.axes):
                shape = [1]
            return tuple(shape)
        block = self.block_shape()
        shape, seen_slices = list(self.gathered_shape(block)), 0
        for axis in self.order:
            if axis is None:
                # MXNet 1.9.1 places a new axis as if the advanced block had no dimensions,
                # unless the block moved to the front: x[[0, 1], None] has shape (1, 2, ...).
                shape.insert(seen_slices + (0 if self.adjacent else len(block)), 1)
                seen_slices += 1
            elif self.axes[axis][0] == _SLICE:
                seen_slices += 1
        return tuple(shape)

    def gathered_shape(self, block):
        """The result shape without new axes, in NumPy's order."""
        dims = [len(value) if kind == _SLICE else None for kind, value in self.axes]
        if not self.adjacent:
            return tuple(block) + tuple(d for d in dims if d is not None)
        first, last = self.advanced[0], self.advanced[-1]
        before = tuple(d for d in dims[:first] if d is not None)
        after = tuple(d for d in dims[last + 1 :] if d is not None)
        return before + tuple(block) + after

    def last_partial_axis(self):
        """The last axis not taken whole, in order (-1 if none): later axes need no
        parameters. An int on an axis of size 1 takes it whole."""
        for axis in range(len(self.axes) - 1, -1, -1):
            kind, value = self.axes[axis]
            dim = self.shape[axis]
            if kind == _ARRAY or dim > 1 and (kind == _INT or value != range(dim)):
                return axis
        return -1

    def is_contiguous(self):
        """Whether the basic selection is one contiguous block (MXNet then returns a view)."""
        axis = self.last_partial_axis()
        if axis < 0:
            return True
        kind, value = self.axes[axis]
        if kind == _SLICE and value.step != 1 and len(value) > 1:
            return False
        return all(kind == _INT or len(value) == 1 for kind, value in self.axes[:axis])

    def slice_params(self):
        """``begin``, ``end``, ``step`` of the ``slice`` operators for the basic selection."""
        begin, end, step = [], [], []
        for kind, value in self.axes[: self.last_partial_axis() + 1]:
            if kind == _INT:
                value = range(value, value + 1)
            begin.append(value.start)
            # A negative stop means "past the front", which only None can say.
            end.append(value.stop if value.stop >= 0 else None)
            step.append(value.step)
        return {"begin": tuple(begin), "end": tuple(end), "step": tuple(step)}

    def numpy_key(self):
        """The same basic selection as a NumPy key, which makes a view."""
        key = []
        for axis in self.order:
            if axis is None:
                key.append(None)
                continue
            kind, value = self.axes[axis]
            if kind == _SLICE:
                key.append(slice(value.start, value.stop if value.stop >= 0 else None, value.step))
            else:
                key.append(value)
        if key and all(isinstance(item, int) for item in key):
            # Ints on every axis would give NumPy's 0-d copy; MXNet's view has shape (1,).
            key[-1] = slice(key[-1], key[-1] + 1)
        return tuple(key) if key else Ellipsis


def _classify(item):
    """One key item as ``(kind, value)``: None, Ellipsis, an int, a slice or a host array."""
    if item is None or item is Ellipsis:
        return (_NEW if item is None else _ELLIPSIS, None)
    if isinstance(item, (numbers.Integral, np.bool_)):
        # MXNet 1.9.1 reads True/False as the integers 1 and 0, not as masks.
        return (_INT, int(item))
    if isinstance(item, slice):
        try:
            parts = [None if v is None else operator.index(v) for v in
                     (item.start, item.stop, item.step)]
        except TypeError:
            raise MXNetTypeError(
                f"NDArray indexing: slice bounds must be integers or None, got {item}"
            ) from None
        if parts[2] == 0:
            raise MXNetValueError("NDArray indexing: slice step cannot be zero")
        return (_SLICE, slice(*parts))
    if isinstance(item, NDArray):
        host = item.asnumpy()
        if host.dtype == np.bool_:
            return (_MASK, host)
        return _classify_array(host, item)
    if isinstance(item, (np.ndarray, list, tuple)):
        try:
            host = np.asarray(item)
        except ValueError:
            host = None
        return _classify_array(host, item)
    raise MXNetValueError(
        f"NDArray indexing: unsupported key {item!r} of type {type(item).__name__}; use ints, "
        "slices, None, Ellipsis, index arrays or boolean NDArray masks"
    )


def _classify_array(host, item):
    if host is None or host.dtype.kind not in "biuf":
        raise MXNetTypeError(
            f"NDArray indexing: an index of type {type(item).__name__} must be a rectangular "
            "array of numbers"
        )
    if host.ndim == 0 and host.dtype.kind in "biu":
        return (_INT, int(host))
    if host.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            host = host.astype(np.int64)  # MXNet truncates float indices toward zero
    return (_ARRAY, host.astype(np.int64, copy=False))


def _parse(shape, key) -> _Key:
    items = [_classify(item) for item in (key if isinstance(key, tuple) else (key,))]
    used = sum(value.ndim if kind == _MASK else 1 for kind, value in items
               if kind not in (_NEW, _ELLIPSIS))
    if sum(kind == _ELLIPSIS for kind, _ in items) > 1:
        raise MXNetIndexError("NDArray indexing: an index can only have a single ellipsis ('...')")
    if used > len(shape):
        raise MXNetIndexError(
            f"NDArray indexing: too many indices ({used}) for array with {len(shape)} dimensions"
        )
    full = (_SLICE, slice(None))
    if not any(kind == _ELLIPSIS for kind, _ in items):
        items.append((_ELLIPSIS, None))
    at = next(i for i, (kind, _) in enumerate(items) if kind == _ELLIPSIS)
    items[at : at + 1] = [full] * (len(shape) - used)
    axes, order = [], []
    for kind, value in items:
        if kind == _NEW:
            order.append(None)
            continue
        if kind == _MASK:
            for positions in _mask_positions(value, shape, len(axes)):
                order.append(len(axes))
                axes.append((_ARRAY, positions))
            continue
        axis, dim = len(axes), shape[len(axes)]
        order.append(axis)
        if kind == _SLICE:
            axes.append((_SLICE, range(*value.indices(dim))))
        else:
            axes.append((kind, _in_bounds(value, axis, dim)))
    return _Key(tuple(shape), axes, order)


def _mask_positions(mask, shape, axis):
    """The index arrays of a boolean mask over ``shape[axis:axis + mask.ndim]``."""
    if mask.ndim == 0:
        raise MXNetIndexError("NDArray indexing: 0-d boolean masks are not supported")
    covered = shape[axis : axis + mask.ndim]
    if tuple(mask.shape) != tuple(covered):
        raise MXNetIndexError(
            f"NDArray indexing: boolean mask of shape {mask.shape} does not match the indexed "
            f"axes {tuple(covered)} (from axis {axis}) of an array of shape {tuple(shape)}"
        )
    return [positions.astype(np.int64) for positions in np.nonzero(mask)]


def _in_bounds(index, axis, dim):
    """``index`` (an int or int64 array) with negatives wrapped; raise if out of range."""
    if isinstance(index, int):
        bad, wrapped = not -dim <= index < dim, index + dim if index < 0 else index
    else:
        wrapped = np.where(index < 0, index + dim, index)
        bad = (wrapped < 0) | (wrapped >= dim)
    if np.any(bad):
        first = int(index[bad][0]) if isinstance(index, np.ndarray) else index
        raise MXNetIndexError(
            f"NDArray indexing: index {first} is out of bounds for axis {axis} with size {dim}"
        )
    return wrapped


# ---- reading -----------------------------------------------------------------------------
def get_item(array: NDArray, key) -> NDArray:
    """Return ``array[key]`` (see the module docstring for the rules)."""
    data = array._data
    if type(key) is int and data.ndim and -data.shape[0] <= key < data.shape[0]:
        # The common x[i] (iteration too): always a view in MXNet, shape (1,) when 1-D.
        if not _recording():
            key %= data.shape[0]
            return array._view(data[key] if data.ndim > 1 else data[key : key + 1])
    parsed = _parse(array.shape, key)
    if parsed.advanced:
        return _get_advanced(array, parsed)
    _check_basic_nonempty(parsed)
    shape = parsed.result_shape()
    # Views are invisible to the autograd tape, so under record() the slice operator runs.
    if _prod(shape) == 0 or (parsed.is_contiguous() and not _recording()):
        return array._view(array._data[parsed.numpy_key()])
    result = _call("slice", (array,), **parsed.slice_params())
    return _reshaped(result, shape)


def _check_basic_nonempty(parsed):
    # MXNet 1.9.1 allows an empty selection along the first axis only (x[5:7] of 4 rows).
    for axis, (kind, value) in enumerate(parsed.axes[1:], start=1):
        if kind == _SLICE and len(value) == 0 and parsed.shape[axis] > 0:
            raise MXNetValueError(
                f"NDArray indexing: slice {value.start}:{value.stop}:{value.step} of axis "
                f"{axis} of an array of shape {parsed.shape} selects nothing; only the first "
                "axis may be sliced empty"
            )


def _get_advanced(array, parsed):
    shape = parsed.result_shape()
    if _prod(shape) == 0:
        return _call("_zeros", (), shape=shape, ctx=array.context, dtype=array._data.dtype.name)
    arrays = [k for k, (kind, _) in enumerate(parsed.axes) if kind == _ARRAY]
    if arrays == parsed.advanced and len(arrays) == 1:
        # One index array: slice the other axes, then take along that axis (no gather grid).
        axis = arrays[0]
        rest = list(parsed.axes)
        rest[axis] = (_SLICE, range(array.shape[axis]))
        plain = _Key(parsed.shape, rest, [k for k in parsed.order if k is not None])
        sliced = array if plain.last_partial_axis() < 0 else _call(
            "slice", (array,), **plain.slice_params()
        )
        indices = _array(parsed.axes[axis][1], ctx=array.context, dtype="int64")
        result = _call("take", (sliced, indices), axis=axis)
    else:
        indices, _ = _gather_indices(parsed, array.context)
        result = _call("gather_nd", (array, indices))
    return _reshaped(result, shape)


def _gather_indices(parsed, ctx):
    """The (M, ...) index array that makes ``gather_nd`` select ``parsed`` in NumPy's order,
    and the shape it gathers: slices up to the last partial axis become ranges."""
    block = parsed.block_shape()
    last = max(parsed.last_partial_axis(), parsed.advanced[-1])
    slice_axes = [k for k in range(last + 1) if parsed.axes[k][0] == _SLICE]
    if parsed.adjacent:
        before = [k for k in slice_axes if k < parsed.advanced[0]]
        after = [k for k in slice_axes if k > parsed.advanced[-1]]
        grid = [len(parsed.axes[k][1]) for k in before] + list(block) + [
            len(parsed.axes[k][1]) for k in after]
        block_at, slot = len(before), {k: i for i, k in enumerate(before)}
        slot.update({k: len(before) + len(block) + i for i, k in enumerate(after)})
    else:
        grid = list(block) + [len(parsed.axes[k][1]) for k in slice_axes]
        block_at, slot = 0, {k: len(block) + i for i, k in enumerate(slice_axes)}
    rows = []
    for axis in range(last + 1):
        kind, value = parsed.axes[axis]
        if kind == _SLICE:
            shape = [1] * len(grid)
            shape[slot[axis]] = len(value)
            row = np.arange(value.start, value.stop, value.step).reshape(shape)
        else:
            row = np.broadcast_to(np.asarray(value), block)
            row = row.reshape((1,) * block_at + block + (1,) * (len(grid) - block_at - len(block)))
        rows.append(np.broadcast_to(row, grid))
    gathered = tuple(grid) + tuple(parsed.shape[last + 1 :])
    return _array(np.stack(rows), ctx=ctx, dtype="int64"), gathered


def _reshaped(result, shape):
    if result.shape == tuple(shape):
        return result
    return _call("Reshape", (result,), shape=shape)


def _prod(shape):
    total = 1
    for dim in shape:
        total *= dim
    return total


# ---- writing -----------------------------------------------------------------------------
def set_item(array: NDArray, key, value) -> None:
    """Write ``value`` into ``array[key]`` in place (broadcasting, cast to array's dtype)."""
    parsed = _parse(array.shape, key)
    if not parsed.advanced:
        _check_basic_nonempty(parsed)
    shape = parsed.result_shape()
    scalar = _scalar_of(value)
    if scalar is None:
        value = _fit(_value_array(array, value), shape)
    if _prod(shape) == 0:
        return
    if parsed.advanced:
        indices, gathered = _gather_indices(parsed, array.context)
        if scalar is None:
            value = _reshaped(value, gathered)
        else:
            value = _call("_full", (), shape=gathered, value=scalar, ctx=array.context,
                          dtype=array._data.dtype.name)
        _call("_scatter_set_nd", (array, value, indices), out=array, shape=array.shape)
        return
    params = parsed.slice_params()
    if scalar is not None:
        _call("_slice_assign_scalar", (array,), out=array, scalar=scalar, **params)
        return
    count = len(params["begin"])
    region = tuple(1 if kind == _INT else len(selected) for kind, selected in parsed.axes[:count])
    region += array.shape[count:]
    _call("_slice_assign", (array, _reshaped(value, region)), out=array, **params)


def _scalar_of(value):
    """``value`` as a Python number if it is a scalar (numpy 0-d arrays too), else None."""
    if isinstance(value, (numbers.Number, np.generic)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        if np.asarray(value).dtype.kind not in "biuf":
            raise MXNetTypeError(
                f"NDArray.__setitem__: cannot assign a value of type {type(value).__name__}"
            )
        return float(value)
    return None


def _value_array(array, value):
    """``value`` as an NDArray on ``array``'s context, cast to its dtype (as MXNet does)."""
    if not isinstance(value, NDArray):
        try:
            host = np.asarray(value)
        except ValueError:
            host = None
        if host is None or host.dtype.kind not in "biuf":
            raise MXNetTypeError(
                f"NDArray.__setitem__: cannot assign a value of type {type(value).__name__}; "
                "use a number, an NDArray or an array-like of numbers"
            )
        # Dtypes MXNet has no arrays of (uint16, ...) convert through float64.
        dtype = host.dtype if host.dtype.name in SUPPORTED_DTYPES else np.float64
        value = _array(host, ctx=array.context, dtype=dtype)
    elif value.context != array.context:
        value = value.as_in_context(array.context)
    return value.astype(array._data.dtype, copy=False)


def _fit(value, shape):
    """Broadcast ``value`` to ``shape`` as NumPy assignment does (extra leading 1s drop)."""
    have = tuple(value.shape)
    while len(have) > len(shape) and have[0] == 1:
        have = have[1:]
    padded = (1,) * (len(shape) - len(have)) + have
    if len(have) > len(shape) or any(a not in (1, b) for a, b in zip(padded, shape)):
        raise MXNetValueError(
            f"NDArray.__setitem__: cannot broadcast a value of shape {tuple(value.shape)} to "
            f"the indexed shape {tuple(shape)}"
        )
    if _prod(shape) == 0:
        return value
    value = _reshaped(value, padded)
    if padded != tuple(shape):
        value = _call("broadcast_to", (value,), shape=shape)
    return value
