"""Default batchify: how a DataLoader merges a list of samples into one batch.

Batching happens in two steps, so that a worker process can stack samples straight into shared
memory: ``collate`` turns the samples into the structure of the batch with a ``Stack`` at each
leaf (the samples of that leaf, and the shape and dtype of their stack), and ``materialize``
stacks each leaf into fresh memory as an NDArray. A worker stacks the leaves into its shared
buffer instead (``shared.py``), and the main process makes the NDArrays from that buffer.

(MXNet 1.9.1 has no ``gluon.data.batchify`` module of Stack/Pad/Tuple helpers; those came with
MXNet 2 and GluonNLP, so only the 1.9.1 functions are here.)
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import storage
from ...base import MXNetTypeError, MXNetValueError, dtype_np
from ...context import Context
from ...ndarray import NDArray, stack

__all__ = ["default_batchify_fn", "default_mp_batchify_fn", "collate", "materialize"]


class Stack:
    """A leaf of a batch not stacked yet: ``samples`` stacked along a new first axis give an
    array of ``shape`` and ``dtype``."""

    __slots__ = ("samples", "shape", "dtype")

    def __init__(self, samples, shape, dtype):
        self.samples = samples
        self.shape = shape
        self.dtype = dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def fill(self, out: np.ndarray) -> None:
        """Stack the samples into ``out`` (an array of ``shape`` and ``dtype``)."""
        if self.shape[1:] == () or not isinstance(self.samples[0], np.ndarray):
            out[...] = self.samples
        else:
            np.stack(self.samples, out=out)


def _is_nested(sample) -> bool:
    """Whether the default batchify treats ``sample`` as a structure to batch field by field.

    Tuples and dicts are; a list is only when it holds arrays or structures (MXNet 1.9.1
    stacks a list of numbers, ``[1, 2]``, into one array row, and that stays so).
    """
    if isinstance(sample, (tuple, dict)):
        return True
    if isinstance(sample, list):
        return any(isinstance(x, (NDArray, np.ndarray, tuple, list, dict)) for x in sample)
    return False


def _host_array(array: NDArray):
    """The NumPy data of a host NDArray without a copy (after its pending writes), else None."""
    if array.context.device_typeid == 2:
        return None
    array.wait_to_read()
    return array._data  # NOTE: read only; the stack copies it


def _mismatch(where, samples, attribute):
    first = getattr(samples[0], attribute)
    for i, sample in enumerate(samples):
        if getattr(sample, attribute) != first:
            return (
                f"{where}: samples of one batch must have the same {attribute}; sample 0 has "
                f"{first} and sample {i} has {getattr(sample, attribute)}. Give the DataLoader "
                "a batchify_fn that pads or resizes them."
            )
    return None


def _leaf(samples, where):
    """The ``Stack`` of one leaf: NDArrays, NumPy arrays or numbers (anything np.asarray
    takes); an NDArray on a GPU is stacked there at once instead."""
    first = samples[0]
    if isinstance(first, NDArray):
        hosts = [_host_array(x) if isinstance(x, NDArray) else None for x in samples]
        if any(h is None for h in hosts):
            return stack(*samples)
        samples = hosts
    if isinstance(first, (NDArray, np.ndarray)):
        problem = _mismatch(where, samples, "shape") or _mismatch(where, samples, "dtype")
        if problem:
            raise MXNetValueError(problem)
        dtype = dtype_np(samples[0].dtype, where=where)
        return Stack(samples, (len(samples), *samples[0].shape), dtype)
    try:
        host = np.asarray(samples)
    except ValueError as err:
        raise MXNetValueError(f"{where}: cannot stack the samples into an array: {err}") from err
    if host.dtype.kind not in "biuf":
        raise MXNetTypeError(
            f"{where}: cannot batch samples of type {type(first).__name__} (dtype {host.dtype}); "
            "give the DataLoader a batchify_fn for them"
        )
    return Stack(host, host.shape, dtype_np(host.dtype, where=where))


def collate(samples, where: str = "default_batchify_fn"):
    """Return the structure of the batch of ``samples`` with a ``Stack`` at each array leaf.

    A tuple or list sample gives a list (as MXNet 1.9.1 does for tuples), a dict a dict.
    """
    if not samples:
        raise MXNetValueError(f"{where}: cannot batch an empty list of samples")
    first = samples[0]
    if _is_nested(first):
        if isinstance(first, dict):
            return {key: collate([s[key] for s in samples], where) for key in first}
        if any(len(s) != len(first) for s in samples):
            raise MXNetValueError(
                f"{where}: samples of one batch must have the same number of fields; "
                f"got {sorted({len(s) for s in samples})}"
            )
        return [collate(list(field), where) for field in zip(*samples)]
    if isinstance(first, (NDArray, np.ndarray, numbers.Number, np.generic)) or isinstance(
        first, list
    ):
        return _leaf(samples, where)
    raise MXNetTypeError(
        f"{where}: cannot batch samples of type {type(first).__name__}; give the DataLoader "
        "a batchify_fn for them"
    )


def map_leaves(fn, tree, leaf_types):
    """Apply ``fn`` to each leaf of ``tree`` that is an instance of ``leaf_types``; lists,
    tuples (named ones too) and dicts are walked, anything else is left as it is."""
    if isinstance(tree, leaf_types):
        return fn(tree)
    if isinstance(tree, list):
        return [map_leaves(fn, x, leaf_types) for x in tree]
    if isinstance(tree, tuple):
        items = [map_leaves(fn, x, leaf_types) for x in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    if isinstance(tree, dict):
        return type(tree)((k, map_leaves(fn, v, leaf_types)) for k, v in tree.items())
    return tree


def materialize(tree, ctx: Context):
    """Stack each ``Stack`` leaf of ``tree`` into a new NDArray on ``ctx`` (a host context)."""

    def stack_leaf(leaf):
        data, chunk = storage.alloc(ctx, leaf.shape, leaf.dtype)
        leaf.fill(data)
        return NDArray._wrap(data, ctx, chunk)

    return map_leaves(stack_leaf, tree, Stack)


def default_batchify_fn(data):
    """Merge a list of samples into a batch.

    NDArrays, NumPy arrays and numbers stack along a new first axis into an NDArray (keeping
    their dtype); tuple samples give a list of batches, one per field, dict samples a dict.

    >>> x, y = mx.gluon.data.batchify.default_batchify_fn([(1, 2.0), (3, 4.0)])
    >>> x.dtype, y.asnumpy().tolist()
    (<class 'numpy.int64'>, [2.0, 4.0])
    """
    return materialize(collate(data), Context("cpu", 0))


def default_mp_batchify_fn(data):
    """As ``default_batchify_fn``, with the arrays in shared memory (context ``cpu_shared``),
    as DataLoader workers deliver them."""
    return materialize(collate(data, "default_mp_batchify_fn"), Context("cpu_shared", 0))
