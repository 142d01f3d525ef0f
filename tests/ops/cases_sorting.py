"""Cases of the ordering operators (argmax, argmin, argmax_channel, argsort, sort, topk) and of
the gathers along an axis that their gradients use (neomx only).

The references order stably with NaN as the largest value: ties keep their input order in
both directions, as MXNet 1.9.1 does for short rows (the fixed tie cases are such rows).
"""

import numpy as np

from .case import (
    MIXED_DTYPES_OK,
    NEOMX_ONLY,
    Case,
    ErrorCase,
    add,
    add_errors,
    fixed,
    floats,
    ints,
)
from .cases_reduce import distinct

_TIES = [[3.0, 1.0, 3.0, 2.0, 1.0], [5.0, 5.0, 0.0, 5.0, -1.0]]
_NANS = [[3.0, np.nan, 1.0, np.nan, 2.0], [np.inf, -np.inf, np.nan, 0.0, 0.0]]


def _arg(function, axis=None, keepdims=False):
    def reference(x):
        if axis is None:
            found = np.asarray(function(x.reshape(-1)))
            shape = (1,) * x.ndim if keepdims else (1,)
        else:
            found = function(x, axis=axis)
            shape = found.shape if not keepdims else np.expand_dims(found, axis).shape
        return found.reshape(shape or (1,)).astype(x.dtype)

    return reference


for _op, _function in (("argmax", np.argmax), ("argmin", np.argmin)):
    add(
        _op,
        Case(distinct((2, 3, 4)), {"axis": 1}, _arg(_function, 1), label="axis"),
        Case(distinct((2, 3, 4)), reference=_arg(_function), label="all"),
        Case(
            distinct((2, 3)), {"keepdims": True}, _arg(_function, None, True), label="all-keepdims"
        ),
        Case(
            distinct((2, 3)),
            {"axis": -1, "keepdims": True},
            _arg(_function, -1, True),
            label="keepdims",
        ),
        Case(fixed(_TIES), {"axis": 1}, _arg(_function, 1), label="ties", grad=False),
        # The first NaN, as NumPy and MXNet 1.9.1 find it.
        Case(fixed(_NANS), {"axis": 1}, _arg(_function, 1), label="nan", grad=False),
        Case(fixed(_NANS), reference=_arg(_function), label="nan-all", grad=False),
        Case(ints((3, 4)), {"axis": 0}, _arg(_function, 0), label="int32", grad=False),
        Case(
            fixed([[1, 200, 7], [255, 0, 3]], dtype="uint8"),
            {"axis": 1},
            _arg(_function, 1),
            label="uint8",
            grad=False,
        ),
        Case(
            fixed([[1.5, -2.0, 3.0]], dtype="float16"),
            {"axis": 1},
            _arg(_function, 1),
            label="float16",
            grad=False,
        ),
        Case(distinct((3, 4), dtype="float64"), {"axis": 1}, _arg(_function, 1), label="float64"),
        Case(fixed([4.0]), {"axis": 0}, _arg(_function, 0), label="one-element"),
        Case(
            fixed(np.zeros((0, 3), np.float32)),
            {"axis": 1},
            _arg(_function, 1),
            label="zero-size",
            grad=False,
        ),
    )
    # The position of the largest of nothing: an error here and in MXNet 1.9.1 (golden only).
    add(_op, Case(fixed(np.zeros((0, 3), np.float32)), label="zero-size-all", grad=False))
    add_errors(
        _op,
        ErrorCase(floats((2, 3)), {"axis": 2}, match=rf"{_op}.*axis=2"),
        ErrorCase(floats((2, 3)), {"axis": -3}, match=rf"{_op}.*axis=-3"),
        ErrorCase(fixed(np.zeros((0, 3), np.float32)), {"axis": 0}, match=rf"{_op}.*empty"),
    )

add(
    "argmax_channel",
    Case(distinct((2, 3)), reference=_arg(np.argmax, 1), label="2d"),
    Case(distinct((2, 3, 4)), reference=_arg(np.argmax, 1), label="3d"),
    Case(fixed(_TIES), reference=_arg(np.argmax, 1), label="ties"),
    Case(fixed(_NANS), reference=_arg(np.argmax, 1), label="nan"),
    Case(ints((3, 4)), reference=_arg(np.argmax, 1), label="int32"),
)
add_errors("argmax_channel", ErrorCase(floats((3,)), match=r"argmax_channel.*axis=1"))


def _order(x, axis, ascending):
    """Stable order along ``axis`` (None: of the flattened array), NaN as the largest."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    if ascending:
        return x, axis, np.argsort(x, axis=axis, kind="stable")
    # Descending, stable: sort on the reversed key; NaN (sorted last by -x) move first.
    key = ~x if x.dtype.kind in "iub" else -x
    order = np.argsort(key, axis=axis, kind="stable")
    if x.dtype.kind == "f":
        nan_last = ~np.isnan(np.take_along_axis(x, order, axis))
        order = np.take_along_axis(order, np.argsort(nan_last, axis=axis, kind="stable"), axis)
    return x, axis, order


def _argsort(axis=-1, ascending=True, dtype="float32"):
    return lambda x: _order(x, axis, ascending)[2].astype(dtype)


def _sort(axis=-1, ascending=True):
    def reference(x):
        flat, along, order = _order(x, axis, ascending)
        return np.take_along_axis(flat, order, along)

    return reference


for _op, _reference in (("argsort", _argsort), ("sort", _sort)):
    add(
        _op,
        Case(distinct((2, 5)), reference=_reference(), label="default"),
        Case(distinct((2, 5)), {"is_ascend": False}, _reference(-1, False), label="descending"),
        Case(distinct((3, 2, 4)), {"axis": 0}, _reference(0), label="axis0"),
        Case(
            distinct((2, 3, 4)),
            {"axis": 1, "is_ascend": False},
            _reference(1, False),
            label="axis1-descending",
        ),
        Case(distinct((2, 5)), {"axis": None}, _reference(None), label="flattened"),
        Case(
            distinct((2, 5)),
            {"axis": None, "is_ascend": False},
            _reference(None, False),
            label="flattened-descending",
        ),
        Case(fixed(_TIES), reference=_reference(), label="ties", grad=False),
        Case(
            fixed(_TIES),
            {"is_ascend": False},
            _reference(-1, False),
            label="ties-descending",
            grad=False,
        ),
        Case(
            fixed(_TIES),
            {"axis": None, "is_ascend": False},
            _reference(None, False),
            label="ties-flattened",
            grad=False,
        ),
        # MXNet 1.9.1 leaves NaN at arbitrary places.
        Case(fixed(_NANS), reference=_reference(), label="nan", grad=False),
        Case(
            fixed(_NANS),
            {"is_ascend": False},
            _reference(-1, False),
            label="nan-descending",
            grad=False,
        ),
        Case(ints((3, 5)), {"is_ascend": False}, _reference(-1, False), label="int32", grad=False),
        Case(
            fixed([[3, 250, 0, 7]], dtype="uint8"),
            {"is_ascend": False},
            _reference(-1, False),
            label="uint8",
            grad=False,
        ),
        Case(
            fixed([[2**40 + 1, 2**40, -(2**62)]], dtype="int64"),
            reference=_reference(),
            label="int64",
            grad=False,
        ),
        Case(distinct((2, 4), dtype="float64"), reference=_reference(), label="float64"),
        # MXNet 1.9.1 refuses float16 here.
        Case(
            fixed([[1.5, -2.0, 3.0]], dtype="float16"),
            reference=_reference(),
            label="float16",
            grad=False,
        ),
        Case(fixed([4.0]), reference=_reference(), label="one-element"),
        Case(
            fixed(np.zeros((2, 0), np.float32)),
            reference=_reference(),
            label="zero-size",
            grad=False,
        ),
    )
    add_errors(
        _op,
        ErrorCase(floats((2, 3)), {"axis": 2}, match=rf"{_op}.*axis=2"),
        ErrorCase(floats((2, 3)), {"axis": -3}, match=rf"{_op}.*axis=-3"),
    )
for _dtype in ("int32", "int64", "float16", "float64", "uint8"):
    add(
        "argsort",
        Case(
            fixed(_TIES),
            {"dtype": _dtype},
            _argsort(dtype=_dtype),
            label=f"dtype-{_dtype}",
            grad=False,
        ),
    )
add_errors("argsort", ErrorCase(floats((2, 3)), {"dtype": "int8"}, match=r"argsort.*'dtype'"))


def _topk(axis=-1, k=1, ret_typ="indices", ascending=False, dtype="float32"):
    def reference(x):
        flat, along, order = _order(x, axis, ascending)
        count = k if k >= 1 else flat.shape[along]
        chosen = np.take(order, np.arange(count), axis=along)
        if ret_typ == "mask":
            mask = np.zeros(flat.shape, x.dtype)
            np.put_along_axis(mask, chosen, 1, along)
            return mask.reshape(x.shape)
        values = np.take_along_axis(flat, chosen, along)
        indices = chosen.astype(dtype)
        return {"value": values, "indices": indices, "both": (values, indices)}[ret_typ]

    return reference


add(
    "topk",
    Case(distinct((2, 5)), reference=_topk(), label="default"),
    Case(
        distinct((2, 5)), {"k": 2, "ret_typ": "value"}, _topk(k=2, ret_typ="value"), label="value"
    ),
    Case(distinct((2, 5)), {"k": 2, "ret_typ": "both"}, _topk(k=2, ret_typ="both"), label="both"),
    Case(distinct((2, 5)), {"k": 3, "ret_typ": "mask"}, _topk(k=3, ret_typ="mask"), label="mask"),
    Case(
        distinct((2, 5)),
        {"k": 2, "ret_typ": "both", "is_ascend": True},
        _topk(k=2, ret_typ="both", ascending=True),
        label="ascending",
    ),
    Case(
        distinct((2, 5)),
        {"k": 0, "ret_typ": "value"},
        _topk(k=0, ret_typ="value"),
        label="k0-everything",
    ),
    Case(
        distinct((2, 5)),
        {"k": -1, "ret_typ": "both"},
        _topk(k=-1, ret_typ="both"),
        label="negative-k",
    ),
    Case(
        distinct((3, 2, 4)),
        {"axis": 0, "k": 2, "ret_typ": "value"},
        _topk(0, 2, "value"),
        label="axis0",
    ),
    Case(
        distinct((2, 3, 4)),
        {"axis": 1, "k": 2, "ret_typ": "both", "is_ascend": True},
        _topk(1, 2, "both", True),
        label="axis1",
    ),
    Case(
        distinct((2, 5)),
        {"axis": None, "k": 3, "ret_typ": "both"},
        _topk(None, 3, "both"),
        label="flattened",
    ),
    Case(
        distinct((2, 5)),
        {"axis": None, "k": 3, "ret_typ": "mask"},
        _topk(None, 3, "mask"),
        label="flattened-mask",
    ),
    Case(
        fixed(_TIES),
        {"k": 3, "ret_typ": "both"},
        _topk(k=3, ret_typ="both"),
        label="ties",
        grad=False,
    ),
    Case(
        fixed(_TIES),
        {"k": 3, "ret_typ": "both", "is_ascend": True},
        _topk(k=3, ret_typ="both", ascending=True),
        label="ties-ascending",
        grad=False,
    ),
    # MXNet 1.9.1 picks NaN at arbitrary ranks.
    Case(
        fixed(_NANS),
        {"k": 3, "ret_typ": "both"},
        _topk(k=3, ret_typ="both"),
        label="nan",
        grad=False,
    ),
    Case(
        fixed(_NANS),
        {"k": 3, "ret_typ": "mask", "is_ascend": True},
        _topk(k=3, ret_typ="mask", ascending=True),
        label="nan-ascending",
        grad=False,
    ),
    Case(
        ints((3, 5)),
        {"k": 2, "ret_typ": "both"},
        _topk(k=2, ret_typ="both"),
        label="int32",
        grad=False,
    ),
    Case(
        ints((3, 5)),
        {"k": 2, "ret_typ": "mask"},
        _topk(k=2, ret_typ="mask"),
        label="int32-mask",
        grad=False,
    ),
    Case(
        fixed([[3, 250, 0, 7]], dtype="uint8"),
        {"k": 2, "ret_typ": "both"},
        _topk(k=2, ret_typ="both"),
        label="uint8",
        grad=False,
    ),
    Case(
        fixed([[1.5, -2.0, 3.0]], dtype="float16"),
        {"k": 2, "ret_typ": "both"},
        _topk(k=2, ret_typ="both"),
        label="float16",
        grad=False,
    ),
    Case(
        distinct((2, 4), dtype="float64"),
        {"k": 2, "ret_typ": "value"},
        _topk(k=2, ret_typ="value"),
        label="float64",
    ),
    Case(fixed([4.0]), {"ret_typ": "both"}, _topk(ret_typ="both"), label="one-element"),
    Case(
        fixed(np.zeros((3, 0), np.float32)),
        {"k": 0, "ret_typ": "value"},
        _topk(k=0, ret_typ="value"),
        label="zero-size",
        grad=False,
    ),
)
for _dtype in ("int32", "int64", "float64", "uint8", "float16"):
    add(
        "topk",
        Case(
            fixed(_TIES),
            {"k": 2, "ret_typ": "both", "dtype": _dtype},
            _topk(k=2, ret_typ="both", dtype=_dtype),
            label=f"dtype-{_dtype}",
            grad=False,
        ),
    )
add_errors(
    "topk",
    ErrorCase(floats((2, 5)), {"k": 6}, match=r"topk.*k=6.*5"),
    ErrorCase(floats((2, 5)), {"axis": None, "k": 11}, match=r"topk.*k=11.*10"),
    ErrorCase(floats((2, 5)), {"axis": 2}, match=r"topk.*axis=2"),
    ErrorCase(floats((2, 5)), {"ret_typ": "values"}, match=r"topk.*'ret_typ'"),
    ErrorCase(floats((2, 5)), {"dtype": "int8"}, match=r"topk.*'dtype'"),
)


def with_indices(data_shape, indices, dtype="float32"):
    """Random float data of ``data_shape`` and fixed int64 ``indices``."""
    return lambda rng: [
        rng.uniform(-1, 1, size=data_shape).astype(dtype),
        np.array(indices, dtype=np.int64),
    ]


def _take_along(axis):
    return lambda data, indices: np.take_along_axis(data, indices.astype(np.int64), axis)


def _put_along(shape, axis):
    def reference(data, indices):
        result = np.zeros(shape, data.dtype)
        grids = list(np.indices(indices.shape, sparse=True))
        grids[axis] = indices.astype(np.int64)
        np.add.at(result, tuple(grids), data)
        return result

    return reference


NEOMX_ONLY.update({"_take_along_axis", "_backward_take_along_axis"})
MIXED_DTYPES_OK.update({"_take_along_axis", "_backward_take_along_axis"})
add(
    "_take_along_axis",
    Case(with_indices((2, 4), [[3, 0], [1, 1]]), {"axis": 1}, _take_along(1), label="rows"),
    Case(
        with_indices((3, 2), [[2, 0], [0, 1], [-1, 2]]),
        {"axis": 0},
        _take_along(0),
        label="axis0-negative",
    ),
    Case(with_indices((2, 3, 2), [[[2, 0]], [[1, 1]]]), {"axis": 1}, _take_along(1), label="3d"),
)
add_errors(
    "_take_along_axis",
    ErrorCase(with_indices((2, 4), [[0, 1, 2]]), {"axis": 1}, match=r"_take_along_axis.*\(1, 3\)"),
    ErrorCase(with_indices((2, 4), [[4], [0]]), {"axis": 1}, match=r"_take_along_axis.*4"),
)
add(
    "_backward_take_along_axis",
    Case(
        with_indices((2, 2), [[3, 0], [1, 1]]),
        {"axis": 1, "shape": [2, 4]},
        _put_along((2, 4), 1),
        label="repeated",
    ),
    Case(
        with_indices((3, 2), [[2, 0], [0, 1], [-1, 2]]),
        {"axis": 0, "shape": [3, 2]},
        _put_along((3, 2), 0),
        label="axis0-negative",
    ),
)
add_errors(
    "_backward_take_along_axis",
    ErrorCase(
        with_indices((2, 2), [[3, 0], [1, 1]]),
        {"axis": 1, "shape": [3, 4]},
        match=r"_backward_take_along_axis.*\(2, 2\).*\(3, 4\)",
    ),
)
