"""Golden values for NDArray indexing, computed once by the real MXNet 1.9.1.

    /opt/mxvenv/bin/python tools/make_indexing_golden.py tests/golden/indexing.npz

Each case indexes ``arange(prod(shape)).reshape(shape)`` of a dtype with a key written in a
JSON-able form (decoded by ``decode_key`` here and by its twin in tests/ndarray/test_indexing.py):

* a JSON list is a tuple key, anything else a single item;
* items: an int, ``true``/``false``, ``null`` (None), ``"..."`` (Ellipsis),
  ``{"s": [start, stop, step]}`` (a slice), ``{"list": [...]}`` (a Python list),
  ``{"np": data, "dtype": d}`` (a numpy array), ``{"nd": data, "dtype": d}`` (an NDArray).

Assignment values use the same forms plus ``{"scalar": v}`` and ``{"npscalar": v, "dtype": d}``.
The file holds ``cases`` (one JSON document: per case its kind, dtype, key, value, the
name of its input array and, for reads, whether MXNet returned a view sharing memory with the
source), the input arrays ``in:<shape>:<dtype>`` and the results ``<i>.out``.
"""

from __future__ import annotations

import json
import sys

import numpy as np

ALL = {"s": [None, None, None]}


def s(start=None, stop=None, step=None):
    return {"s": [start, stop, step]}


def lst(*values):
    return {"list": list(values)}


def npa(values, dtype="int64"):
    return {"np": values, "dtype": dtype}


def nda(values, dtype="float32"):
    return {"nd": values, "dtype": dtype}


# (shape, dtype, key); shape (4, 3, 4) float32 unless given.
X = ((4, 3, 4), "float32")
GET_CASES = [
    # basic: ints, slices (steps, negative, clipped, empty along axis 0), None, Ellipsis
    (*X, 1), (*X, -1), (*X, [1]), (*X, [1, 1]), (*X, [1, 1, 1]), (*X, [-1, -1, -1]),
    (*X, s(1, 3)), (*X, s(None, None, -1)), (*X, s(0, 4, 2)), (*X, s(1, 0, -1)),
    (*X, s(3, 1, -1)), (*X, s(0, 2, 2)), (*X, s(-10, 2)), (*X, s(0, 100)),
    (*X, [s(0, 2), s(0, 3)]), (*X, [s(0, 2), s(0, 2)]), (*X, [1, s(1, 3)]),
    (*X, [1, s(1, 3), s(1, 2)]), (*X, [1, 1, s(1, 3)]), (*X, [s(1, 2), s(1, 2), s(1, 3)]),
    (*X, [1, s(1, 3, 2)]), (*X, [1, s(None, None, -1)]), (*X, [s(None, None, 2), 1]),
    (*X, [ALL, ALL, 1]), (*X, [ALL, s(2, 0, -1), s(1, None)]),
    (*X, None), (*X, [None, 1]), (*X, [None, s(1, 3)]), (*X, [s(1, 3), None]),
    (*X, [1, None, 1]), (*X, "..."), (*X, ["...", 1]), (*X, [1, "..."]), (*X, [1, "...", 1]),
    (*X, ["...", None]), (*X, ["...", 1, 1]), (*X, [None, None, 1, 1]), (*X, []),
    (*X, True), (*X, False), (*X, s(0, 0)), (*X, s(5, 7)), (*X, [s(1, 0), s(1, 2)]),
    ((4, 1, 4), "float32", [ALL, 0]), ((4, 1, 4), "float32", [s(1, 3), 0, s(1, 3)]),
    ((4, 1, 4), "float32", [1, 0]), ((4, 1, 4), "float32", [ALL, s(None, None, -1), 0]),
    ((1, 3, 4), "float32", [0, s(None, None, 2)]), ((1, 3, 4), "float32", [ALL, 1]),
    ((2, 1, 3), "float32", [ALL, 0, s(1, 3)]), ((2, 1, 3), "float32", [1, ALL, s(1, 3)]),
    ((1, 3), "float32", s(None, None, -1)), ((3, 1), "float32", [ALL, s(None, None, -1)]),
    (*X, [s(1, 2), s(None, None, 2)]), (*X, [s(2, 3), 1, s(None, None, -1)]),
    ((5,), "float32", 1), ((5,), "float32", s(1, 3)), ((5,), "float32", s(None, None, 2)),
    ((5,), "float32", None), ((5,), "float32", -1), ((5,), "float32", [None, 1]),
    ((5,), "float32", [1, None]), ((5,), "float32", "..."),
    ((3, 4), "int32", 1), ((3, 4), "int32", [ALL, 1]), ((3, 4), "int64", [1, s(1, 3)]),
    ((3, 4), "uint8", [s(None, None, -1), 2]), ((3, 4), "float64", [2, 3]),
    # advanced: lists, numpy and NDArray index arrays, mixed with ints, slices, None, Ellipsis
    (*X, lst(0, 2)), (*X, lst(-1, 0)), (*X, lst([0, 1], [2, 3])), (*X, [lst(0, 1), lst(1, 2)]),
    (*X, [lst(0, 1), lst(1, 2), lst(2, 3)]), (*X, [lst(0, 1), 1]), (*X, [1, lst(0, 2)]),
    (*X, [lst(0, 1), ALL, lst(1, 2)]), (*X, [ALL, lst(0, 1), lst(1, 2)]),
    (*X, [lst(0, 1), s(1, 3)]), (*X, [s(1, 3), lst(0, 1)]), (*X, [None, lst(0, 1)]),
    (*X, [lst(0, 1), None, lst(1, 2)]), (*X, ["...", lst(0, 1)]), (*X, [lst(0, 1), "..."]),
    (*X, [lst([0], [1]), lst(0, 1, 2)]), (*X, [lst(0, 1), lst([1], [2])]),
    (*X, lst(True, False, True, False)), (*X, lst(0.7, 1.5)), (*X, npa([0, 1])),
    (*X, npa([0.0, 1.0], "float64")), (*X, npa([True, False, True, False], "bool")),
    (*X, nda([0, 1])), (*X, nda([0, 1], "int64")), (*X, nda([0, -1], "int32")),
    (*X, nda([-0.7, 1.9])), (*X, [lst(0, 1), lst(1, 2), 0]), (*X, [0, lst(1, 2), lst(0, 1)]),
    (*X, [lst(1)]), (*X, [lst(0, 1), s(None, None, -1)]), (*X, [s(None, None, 2), lst(0, 1)]),
    (*X, [lst(0, 1), lst(1)]), (*X, [1, ALL, lst(0, 1)]), (*X, [lst(1, 2), ALL, 1]),
    (*X, [npa([[0, 1]]), 0]), (*X, [ALL, ALL, nda([3, 0, 3], "int32")]),
    (*X, [s(2, 0, -1), lst(2, 0), s(None, None, 3)]),
    # MXNet 1.9.1 places a new axis after an adjacent advanced block as if the block were
    # absent; where the block moves to the front it agrees with NumPy.
    (*X, [lst(0, 1), None]), (*X, [lst(0, 1), ALL, None]), (*X, [ALL, lst(0, 1), None]),
    (*X, [None, ALL, lst(0, 1)]), (*X, [s(1, 3), lst(0, 1), None]),
    (*X, [lst(0, 1), lst(1, 2), None]), (*X, [lst(0, 1), 1, None]),
    (*X, ["...", lst(0, 1), None]), (*X, [lst(0, 1), None, None]),
    (*X, [None, lst(0, 1), None]), (*X, [lst([0, 1], [1, 2]), None]),
    (*X, [lst(0, 1), None, 1]), (*X, [lst(0, 1), None, ALL, 1]), (*X, [1, None, lst(0, 1)]),
    (*X, [ALL, None, lst(0, 1)]), (*X, [lst(0, 1), s(1, 3), None]),
    (*X, [lst(0, 1), ALL, ALL, None]), (*X, [lst(0, 1), ALL, None, ALL]),
    (*X, [ALL, lst([0, 1]), lst(1, 2), None]),
    ((5,), "float32", lst(1, 3)), ((5,), "float32", lst([1, 2], [0, 1])),
    ((5,), "float32", [lst(1)]), ((3, 4), "int32", [ALL, lst(0, 2)]),
    ((3, 4), "uint8", lst(2, 0, 2)), ((2, 2, 2), "float64", [lst(1, 0), lst(0, 1), lst(1, 1)]),
]

# (shape, dtype, key, value)
SET_CASES = [
    ((3, 4), "float32", ALL, {"scalar": 5}),
    ((3, 4), "float32", 1, {"scalar": 5}),
    ((3, 4), "int32", 1, {"scalar": 2.7}),
    ((3, 4), "int32", 1, {"scalar": -2.7}),
    ((3, 4), "uint8", 1, {"scalar": 300.5}),
    ((3, 4), "uint8", 1, {"scalar": -1}),
    ((3, 4), "float32", 1, nda([1, 2, 3, 4])),
    ((3, 4), "float32", [ALL, 1], nda([7])),
    ((3, 4), "float32", ALL, nda([1, 2, 3, 4])),
    ((3, 4), "float32", ALL, nda([[1], [2], [3]])),
    ((3, 4), "float32", 1, nda([1.5, 2, 3, 4], "float64")),
    ((3, 4), "int32", 1, nda([1.5, 2.7, -3.7, 4])),
    ((3, 4), "int32", 1, npa([1.5, 2.7, -3.7, 4], "float64")),
    ((3, 4), "float32", 1, lst(1, 2, 3, 4)),
    ((3, 4), "int32", 1, lst(1.5, 2, 3, 4)),
    ((3, 4), "float32", 1, npa([1, 2, 3, 4])),
    ((3, 4), "float32", ALL, npa([1, 2, 3, 4])),
    ((3, 4), "float32", 1, {"npscalar": 3.5, "dtype": "float64"}),
    ((3, 4), "float32", 1, npa(3.5, "float64")),
    ((3, 4), "float32", 1, nda([[1, 1, 1, 1]])),
    ((3, 4), "float32", 1, npa([[1, 1, 1, 1]], "float32")),
    ((3, 4), "float32", [ALL, s(None, None, 2)], {"scalar": 9}),
    ((3, 4), "float32", [ALL, s(None, None, 2)], nda([[1, 2], [3, 4], [5, 6]])),
    ((3, 4), "float32", [s(None, None, -1), 1], nda([1, 2, 3])),
    ((3, 4), "float32", [1, 2], {"scalar": 9}),
    ((3, 4), "float32", [1, 2], nda([9])),
    ((3, 4), "float32", [None, 1], {"scalar": 3}),
    ((3, 4), "float32", ["...", 1], {"scalar": 3}),
    ((3, 4), "float32", ["...", 1], nda([1, 2, 3])),
    ((3, 4), "float32", s(0, 0), {"scalar": 3}),
    ((3, 4), "float32", None, {"scalar": 3}),
    ((3, 4), "float32", 1, nda([1, 2, 3, 4], "int32")),
    ((3, 4), "float32", lst(0, 2), {"scalar": 9}),
    ((3, 4), "float32", lst(0, 2), nda([[1, 2, 3, 4], [5, 6, 7, 8]])),
    ((3, 4), "float32", lst(0, 2), nda([1, 2, 3, 4])),
    ((3, 4), "float32", [lst(0, 2), lst(1, 3)], nda([100, 200])),
    ((3, 4), "float32", [lst(0, 2), lst(1, 3)], {"scalar": 5}),
    ((3, 4), "float32", [lst(0, 2), lst(1, 3)], lst(100, 200)),
    ((3, 4), "float32", lst(0, 0), nda([[1, 2, 3, 4], [5, 6, 7, 8]])),
    ((3, 4), "float32", [ALL, lst(0, 2)], nda([1, 2])),
    ((3, 4), "float32", npa([0, 2]), {"scalar": 3}),
    ((3, 4), "float32", nda([0, 2]), {"scalar": 3}),
    ((3, 4), "float32", lst(0.5, 2.2), {"scalar": 3}),
    ((3, 4), "int32", [lst(2, 0), s(1, 3)], nda([[1.9, -1.9], [7, 8]])),
    ((3, 4), "float32", [1, lst(3, 0)], lst(5, 6)),
    ((4,), "float32", 1, {"scalar": 3}),
    ((4,), "float32", 1, nda([8])),
    ((4,), "float32", lst(1, 2), nda([8, 9])),
    ((2, 2, 2), "float32", [1, 1], nda([8, 9])),
    ((2, 2, 2), "float32", [ALL, lst(1, 0), 1], nda([[1, 2], [3, 4]])),
]


def decode(item, mx):
    """A key or value item of the JSON form as the Python object it stands for."""
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
            return mx.nd.array(item["nd"], dtype=item["dtype"])
        if "scalar" in item:
            return item["scalar"]
        if "npscalar" in item:
            return np.dtype(item["dtype"]).type(item["npscalar"])
    return item


def decode_key(key, mx):
    if isinstance(key, list):
        return tuple(decode(item, mx) for item in key)
    return decode(key, mx)


def source(mx, shape, dtype, arrays):
    """The input array of a case; its values are stored once per (shape, dtype)."""
    x = mx.nd.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    name = f"in:{'x'.join(map(str, shape))}:{dtype}"
    arrays[name] = x.asnumpy()
    return x, name


def main(path):
    import mxnet as mx

    arrays, cases = {}, []
    for shape, dtype, key in GET_CASES:
        x, name = source(mx, shape, dtype, arrays)
        before = x.asnumpy()
        result = x[decode_key(key, mx)]
        out = result.asnumpy()
        view = False
        if result.size:
            result[:] = 250 if dtype == "uint8" else -3
            view = not np.array_equal(before, x.asnumpy())
        arrays[f"{len(cases)}.out"] = out
        cases.append({"kind": "get", "input": name, "dtype": dtype, "key": key, "view": view})
    for shape, dtype, key, value in SET_CASES:
        x, name = source(mx, shape, dtype, arrays)
        x[decode_key(key, mx)] = decode(value, mx)
        arrays[f"{len(cases)}.out"] = x.asnumpy()
        cases.append({"kind": "set", "input": name, "dtype": dtype, "key": key, "value": value})
    np.savez_compressed(path, cases=np.array(json.dumps(cases)), **arrays)
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/golden/indexing.npz")
