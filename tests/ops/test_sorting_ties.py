"""topk's partition path (neomx.ops.sorting.stable_top) against a full stable sort, on data
full of ties: the picked indices and their order must be exactly those MXNet users see."""

import numpy as np
import pytest

import neomx as mx


def _full_sort_top(data, axis, ascending, k):
    """The first k indices of a stable sort (NaN-free data), descending by stable -key."""
    keys = data if ascending else (-data if data.dtype.kind == "f" else np.invert(data))
    order = np.argsort(keys, axis=axis, kind="stable")
    return np.take(order, np.arange(k), axis=axis)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("is_ascend", [True, False])
@pytest.mark.parametrize("axis", [0, 1])
def test_topk_indices_equal_a_stable_full_sort_on_ties(dtype, is_ascend, axis):
    rng = np.random.default_rng(7)
    for _ in range(20):
        high = 2 if dtype == "bool" else 5
        data = rng.integers(0, high, size=(7, 41)).astype(dtype)
        k = int(rng.integers(1, 5))
        got = mx.nd.topk(
            mx.nd.array(data, dtype=dtype),
            axis=axis,
            k=k,
            ret_typ="indices",
            is_ascend=is_ascend,
            dtype="int64",
        ).asnumpy()
        np.testing.assert_array_equal(got, _full_sort_top(data, axis, is_ascend, k))
