"""NDArray indexing: ``x[key]`` and ``x[key] = value`` against MXNet 1.9.1.

The golden table tests/golden/indexing.npz was written once by the real MXNet with
tools/make_indexing_golden.py: per case the input, the key (in a JSON form decoded below), the
result and, for reads, whether MXNet returned a view sharing memory with the input.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError, MXNetIndexError, MXNetTypeError, MXNetValueError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "indexing.npz"
with np.load(GOLDEN, allow_pickle=False) as _archive:
    ARRAYS = {name: _archive[name] for name in _archive.files}
CASES = json.loads(str(ARRAYS.pop("cases")))
GETS = [(i, case) for i, case in enumerate(CASES) if case["kind"] == "get"]
SETS = [(i, case) for i, case in enumerate(CASES) if case["kind"] == "set"]


def decode(item, ctx):
    """The Python object a JSON key or value item stands for (see the golden tool)."""
    if item == "...":
        return Ellipsis
    if isinstance(item, dict):
        if "s" in item:
            return slice(*item["s"])
        if "list" in item:
            return list(item["list"])
        if "np" in item:
            return np.array(item["np"], dtype=item["dtype"])
        if "nd" in item:
            return mx.nd.array(item["nd"], ctx=ctx, dtype=item["dtype"])
        if "scalar" in item:
            return item["scalar"]
        if "npscalar" in item:
            return np.dtype(item["dtype"]).type(item["npscalar"])
    return item


def decode_key(key, ctx):
    if isinstance(key, list):
        return tuple(decode(item, ctx) for item in key)
    return decode(key, ctx)


def _source(case, ctx):
    return mx.nd.array(ARRAYS[case["input"]], ctx=ctx, dtype=case["dtype"])


def _marker(dtype):
    """A value none of the golden inputs holds (they count up from 0)."""
    return 250 if dtype == "uint8" else -3


def _ids(cases):
    return [f"{i}-{case['input']}-{json.dumps(case['key'])}" for i, case in cases]


@pytest.mark.parametrize("index,case", GETS, ids=_ids(GETS))
def test_getitem_matches_mxnet(index, case, ctx):
    x = _source(case, ctx)
    result = x[decode_key(case["key"], ctx)]
    want = ARRAYS[f"{index}.out"]
    got = result.asnumpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert result.context == ctx
    if result.size:
        before = x.asnumpy()
        result[:] = _marker(case["dtype"])
        shares = not np.array_equal(before, x.asnumpy())
        assert shares == case["view"], "view" if case["view"] else "copy"


@pytest.mark.parametrize("index,case", SETS, ids=_ids(SETS))
def test_setitem_matches_mxnet(index, case, ctx, engine_type):
    x = _source(case, ctx)
    flat = x.reshape(-1)  # a view made before: the write must land in x's own memory
    x[decode_key(case["key"], ctx)] = decode(case["value"], ctx)
    want = ARRAYS[f"{index}.out"]
    assert x.dtype == want.dtype and x.shape == want.shape
    np.testing.assert_array_equal(x.asnumpy(), want)
    np.testing.assert_array_equal(flat.asnumpy(), want.reshape(-1))


# ---- views ------------------------------------------------------------------------------


def test_views_write_both_ways(engine_type):
    x = mx.nd.arange(12).reshape((3, 4))
    row = x[1]
    block = x[1:3]
    x[1, 2] = 100
    assert row.asnumpy()[2] == 100 and block.asnumpy()[0, 2] == 100
    row += 1
    assert x.asnumpy()[1].tolist() == [5, 6, 101, 8]
    inner = block[1][1:3]  # a view of a view
    inner[:] = -1
    assert x.asnumpy()[2].tolist() == [8, -1, -1, 11]


def test_copies_do_not_write_back():
    x = mx.nd.arange(12).reshape((3, 4))
    column = x[:, 1]
    picked = x[[0, 2]]
    column[:] = -1
    picked[:] = -1
    assert x.asnumpy().min() == 0


def test_integer_keys_of_every_kind_select_the_same_row():
    x = mx.nd.arange(12).reshape((3, 4))
    want = x.asnumpy()[1]
    keys = [1, np.int64(1), np.int32(1), np.array(1), mx.nd.array(1, dtype="int32"), True]
    for key in keys:
        np.testing.assert_array_equal(x[key].asnumpy(), want)


def test_one_element_results_have_shape_one():
    x = mx.nd.arange(12).reshape((3, 4))
    assert x[1, 2].shape == (1,)
    assert mx.nd.array([4, 5])[1].shape == (1,)
    assert [item.shape for item in mx.nd.array([1, 2, 3])] == [(1,)] * 3


def test_getitem_under_record_still_returns_values():
    x = mx.nd.arange(6).reshape((2, 3))
    from neomx import autograd

    with autograd.record():
        row = x[1]
        part = x[0:1, 1:]
    assert row.asnumpy().tolist() == [3, 4, 5]
    assert part.asnumpy().tolist() == [[1, 2]]


# ---- boolean masks (neomx addition: NumPy semantics) -------------------------------------

MASK_KEYS = [
    ("rows", lambda: np.array([True, False, True, False])),
    ("grid", lambda: np.arange(12).reshape(4, 3) % 5 == 0),
    ("rows-then-int", lambda: (np.array([False, True, True, False]), slice(None), 2)),
    ("after-slice", lambda: (slice(1, 3), np.array([True, False, True]))),
    ("none-selected", lambda: np.zeros(4, dtype=bool)),
]


def _as_nd_key(key, ctx):
    if isinstance(key, tuple):
        return tuple(_as_nd_key(item, ctx) for item in key)
    if isinstance(key, np.ndarray):
        return mx.nd.array(key, ctx=ctx, dtype="bool")
    return key


@pytest.mark.parametrize("name,make", MASK_KEYS, ids=[name for name, _ in MASK_KEYS])
def test_boolean_mask_get_and_set(name, make, ctx):
    values = np.arange(48, dtype="float32").reshape(4, 3, 4)
    key = make()
    x = mx.nd.array(values, ctx=ctx)
    np.testing.assert_array_equal(x[_as_nd_key(key, ctx)].asnumpy(), values[key])
    x[_as_nd_key(key, ctx)] = -1
    values[key] = -1
    np.testing.assert_array_equal(x.asnumpy(), values)


def test_boolean_mask_of_wrong_shape():
    x = mx.nd.zeros((4, 3))
    with pytest.raises(MXNetIndexError, match=r"boolean mask of shape \(3,\).*\(4,\)"):
        x[mx.nd.array([1, 0, 1], dtype="bool")]


# ---- where neomx is lenient (MXNet 1.9.1 fails on these, or crashes) ----------------------


def test_empty_selections_along_the_first_axis():
    x = mx.nd.arange(24).reshape((4, 3, 2))
    assert x[3:1].shape == (0, 3, 2)  # MXNet 1.9.1: "Invalid slicing range"
    assert x[[]].shape == (0, 3, 2)  # MXNet 1.9.1: an internal shape check fails
    x[0:0] = 5
    x[[]] = 5
    assert x.asnumpy().max() == 23


def test_zero_dim_arrays_index_like_ints():
    x = mx.nd.arange(12).reshape((3, 4))
    np.testing.assert_array_equal(x[np.array(2)].asnumpy(), [8, 9, 10, 11])
    np.testing.assert_array_equal(x[mx.nd.array(2, dtype="int64")].asnumpy(), [8, 9, 10, 11])


def test_index_arrays_from_another_context_and_value_from_another_context():
    x = mx.nd.arange(12).reshape((3, 4))
    rows = x[mx.nd.array([2, 0], ctx=mx.cpu(1))]
    assert rows.context == mx.cpu(0)
    x[1] = mx.nd.array([1, 2, 3, 4], ctx=mx.cpu(1))
    assert x.asnumpy()[1].tolist() == [1, 2, 3, 4]


# ---- errors ------------------------------------------------------------------------------

X = mx.nd.arange(48).reshape((4, 3, 4))
ERRORS = [
    (lambda: X[4], MXNetIndexError, r"index 4 is out of bounds for axis 0 with size 4"),
    (lambda: X[-5], MXNetIndexError, r"index -5 is out of bounds for axis 0 with size 4"),
    (lambda: X[1, 3], MXNetIndexError, r"index 3 is out of bounds for axis 1 with size 3"),
    (lambda: X[[0, 4]], MXNetIndexError, r"index 4 is out of bounds for axis 0"),
    (lambda: X[:, :, [-5]], MXNetIndexError, r"index -5 is out of bounds for axis 2"),
    (lambda: X[mx.nd.array([5])], MXNetIndexError, r"index 5 is out of bounds"),
    (lambda: X[0, 0, 0, 0], MXNetIndexError, r"too many indices \(4\).*3 dimensions"),
    (lambda: X[..., 0, ...], MXNetIndexError, r"single ellipsis"),
    (lambda: X[1.0], MXNetValueError, r"unsupported key 1.0 of type float"),
    (lambda: X["a"], MXNetValueError, r"unsupported key 'a'"),
    (lambda: X[1.0:2], MXNetTypeError, r"slice bounds must be integers"),
    (lambda: X[::0], MXNetValueError, r"slice step cannot be zero"),
    (lambda: X[[0, (1, 2)]], MXNetTypeError, r"type list must be a rectangular array"),
    (lambda: X[[0, 1], [0, 1, 2]], MXNetValueError, r"could not be broadcast.*\(2,\) \(3,\)"),
    (lambda: X[:, 2:1], MXNetValueError, r"axis 1 of an array of shape \(4, 3, 4\) selects"),
]


@pytest.mark.parametrize("get,error,match", ERRORS, ids=[m for _, _, m in ERRORS])
def test_getitem_errors(get, error, match):
    with pytest.raises(error, match=match):
        get()


def test_out_of_range_is_both_an_mxnet_error_and_an_index_error():
    with pytest.raises(MXNetError) as info:
        X[10]
    assert isinstance(info.value, IndexError)
    with pytest.raises(ValueError):
        X[1.5]


SET_ERRORS = [
    (1, mx.nd.ones((3,)), MXNetValueError, r"value of shape \(3,\) to the indexed shape \(3, 4\)"),
    (1, np.ones((2, 3, 4)), MXNetValueError, r"cannot broadcast a value of shape \(2, 3, 4\)"),
    ([0, 1], mx.nd.ones((3, 3, 4)), MXNetValueError, r"\(3, 3, 4\) to the indexed shape"),
    (1, "a", MXNetTypeError, r"cannot assign a value of type str"),
    (1, [[1, 2], [3]], MXNetTypeError, r"cannot assign a value of type list"),
    ([0, 9], 1.0, MXNetIndexError, r"index 9 is out of bounds for axis 0"),
    ((0, 5), 1.0, MXNetIndexError, r"index 5 is out of bounds for axis 1"),
]


@pytest.mark.parametrize("key,value,error,match", SET_ERRORS, ids=[m for *_, m in SET_ERRORS])
def test_setitem_errors(key, value, error, match):
    x = mx.nd.zeros((4, 3, 4))
    with pytest.raises(error, match=match):
        x[key] = value
    assert x.asnumpy().max() == 0
