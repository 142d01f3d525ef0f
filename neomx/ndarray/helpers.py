"""Python-level functions of ``mx.nd`` that wrap operators, as MXNet 1.9.1's are: ``histogram``,
``split_v2``, ``moveaxis``, ``concatenate`` and ``onehot_encode``."""

from __future__ import annotations

import numbers

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..ops.frontend import make_function
from ..ops.registry import lookup
from .creation import array
from .ndarray import NDArray

__all__ = ["histogram", "split_v2", "moveaxis", "concatenate", "onehot_encode"]


def _operator(name):
    return make_function(lookup(name), name)


_histogram = _operator("_histogram")
_split_v2 = _operator("_split_v2")
_transpose = _operator("transpose")
_concat = _operator("concat")
_onehot_encode = _operator("_onehot_encode")


def histogram(a, bins=10, range=None):
    """Count the values of ``a`` (flattened) in bins; return ``(counts, bin_edges)``.

    Parameters
    ----------
    a : NDArray
        The values.
    bins : int or NDArray
        The number of equal-width bins over ``range``, or the bin edges (increasing; the
        last bin includes its right edge).
    range : (float, float), optional
        The span of the equal-width bins. Without it (and with an int ``bins``) the span is
        (a.min(), a.max()) and the result is NumPy's, returned as float32 arrays, as in MXNet.

    Returns
    -------
    counts, bin_edges : NDArray
        Values outside the edges are not counted.

    >>> counts, edges = mx.nd.histogram(mx.nd.array([0, 1, 2, 2, 3]), bins=3, range=(0, 3))
    >>> counts.asnumpy()
    array([1, 1, 3])
    """
    if isinstance(bins, NDArray):
        return _histogram(a, bins)
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if range is None:
            counts, edges = np.histogram(a.asnumpy(), bins=int(bins))
            return array(counts, ctx=a.context), array(edges, ctx=a.context)
        return _histogram(a, bin_cnt=int(bins), range=range)
    raise MXNetValueError(
        f"histogram: bins must be an int or an NDArray of bin edges, got {type(bins).__name__}"
    )


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split an array into parts along ``axis``, as ``numpy.split`` does.

    Parameters
    ----------
    ary : NDArray
        The array to split.
    indices_or_sections : int or tuple of ints
        An int N cuts ``axis`` into N equal parts (an error if it does not divide); a tuple
        of increasing positions cuts there: (2, 3) gives ary[:2], ary[2:3] and ary[3:].
    axis : int
        The axis to split along.
    squeeze_axis : bool
        Drop ``axis`` from the parts (each must then have size 1 along it).

    Returns
    -------
    NDArray or list of NDArrays
        One array when there is one part, else a list.

    >>> [part.shape for part in mx.nd.split_v2(mx.nd.zeros((6, 2)), (1, 4))]
    [(1, 2), (3, 2), (2, 2)]
    """
    if isinstance(indices_or_sections, numbers.Integral) and not isinstance(
        indices_or_sections, bool
    ):
        sections = int(indices_or_sections)
        size = ary.shape[axis]
        if sections < 1 or size % sections:
            raise MXNetValueError(
                f"split_v2: axis {axis} of size {size} does not split into {sections} equal parts"
            )
        indices = tuple(range(0, size, size // sections)) if size else (0,) * sections
    elif isinstance(indices_or_sections, (tuple, list)):
        # MXNet 1.9.1 takes only tuples; a list means the same here.
        indices = (0,) + tuple(indices_or_sections)
    else:
        raise MXNetValueError(
            "split_v2: indices_or_sections must be an int or a tuple of ints, got "
            f"{type(indices_or_sections).__name__}"
        )
    return _split_v2(ary, indices=indices, axis=axis, squeeze_axis=squeeze_axis)


def _axes(tensor, axes, what):
    """``axes`` (an int or a sequence) as non-negative axes of ``tensor``; no repeats."""
    values = (axes,) if isinstance(axes, numbers.Integral) else tuple(axes)
    ndim = tensor.ndim
    normalized = []
    for axis in values:
        if not -ndim <= axis < ndim:
            raise MXNetValueError(
                f"moveaxis: {what} axis {axis} is out of range for an array of {ndim} dimension(s)"
            )
        normalized.append(axis % ndim)
    if len(set(normalized)) != len(normalized):
        raise MXNetValueError(f"moveaxis: {what} axes {axes} repeat an axis")
    return normalized


def moveaxis(tensor, source, destination):
    """Move axes ``source`` to positions ``destination``; the other axes keep their order.

    Parameters
    ----------
    tensor : NDArray
        The array.
    source, destination : int or sequence of ints
        Original and new positions (negative ones count from the end), as many of each.

    Returns
    -------
    NDArray
        ``tensor`` transposed.

    >>> mx.nd.moveaxis(mx.nd.zeros((3, 4, 5)), [0, 1], [-1, -2]).shape
    (5, 4, 3)
    """
    source = _axes(tensor, source, "source")
    destination = _axes(tensor, destination, "destination")
    if len(source) != len(destination):
        raise MXNetValueError(
            f"moveaxis: source {source} and destination {destination} must have the same "
            "number of axes"
        )
    order = [axis for axis in range(tensor.ndim) if axis not in source]
    for target, axis in sorted(zip(destination, source)):
        order.insert(target, axis)
    return _transpose(tensor, axes=tuple(order))


def concatenate(arrays, axis=0, always_copy=True):
    """Join a list of arrays along ``axis`` (deprecated: use ``concat``).

    Parameters
    ----------
    arrays : list of NDArray
        Arrays of one dtype whose shapes match outside ``axis``.
    axis : int
        The axis to join along.
    always_copy : bool
        When False, a list of one array returns that array itself.

    Returns
    -------
    NDArray
        On the context of the arrays.

    >>> mx.nd.concatenate([mx.nd.ones((1, 2)), mx.nd.zeros((2, 2))]).shape
    (3, 2)
    """
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise MXNetValueError("concatenate: arrays must be a non-empty list of NDArrays")
    for i, item in enumerate(arrays):
        if not isinstance(item, NDArray):
            raise MXNetTypeError(
                f"concatenate: arrays[{i}] must be an NDArray, got {type(item).__name__}"
            )
    if not always_copy and len(arrays) == 1:
        return arrays[0]
    return _concat(*arrays, dim=axis)


def onehot_encode(indices, out):
    """Write the one-hot rows of ``indices`` into ``out`` and return ``out`` (deprecated:
    use ``one_hot``).

    Parameters
    ----------
    indices : NDArray
        One index per row of ``out``; an index outside [0, out.shape[1]) leaves its row zero.
    out : NDArray
        A 2-d array of the dtype of ``indices``.

    Returns
    -------
    NDArray
        ``out``.

    >>> mx.nd.onehot_encode(mx.nd.array([1, 0]), mx.nd.zeros((2, 3))).asnumpy()
    array([[0., 1., 0.],
           [1., 0., 0.]], dtype=float32)
    """
    return _onehot_encode(indices, out, out=out)
