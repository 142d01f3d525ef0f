"""Cases of slice_like, pick, where, broadcast_axis, shape_array, size_array,
fill_element_0index, amp_cast and amp_multicast."""

import numpy as np

from .case import MIXED_DTYPES_OK, Case, ErrorCase, add, add_errors, fixed, floats, fractional, ints

# Only one input's dtype matters (or, for amp_multicast, differing dtypes are the point).
MIXED_DTYPES_OK.update({"slice_like", "pick", "amp_multicast"})

# ---- slice_like ---------------------------------------------------------------------------


def _slice_like(axes=None):
    def reference(x, like):
        chosen = range(x.ndim) if axes is None else [a % x.ndim for a in axes]
        index = [slice(0, like.shape[i]) if i in chosen else slice(None) for i in range(x.ndim)]
        return x[tuple(index)].copy()

    return reference


add(
    "slice_like",
    Case(floats((3, 4), (2, 3)), reference=_slice_like(), label="all-axes"),
    Case(floats((3, 4), (2, 3)), {"axes": [0]}, _slice_like([0]), label="axis0"),
    Case(floats((3, 4), (2, 3)), {"axes": [-1]}, _slice_like([-1]), label="negative-axis"),
    Case(
        floats((3, 4, 5), (2, 3)),
        {"axes": [0, 1]},
        _slice_like([0, 1]),
        label="like-has-fewer-axes",
    ),
    Case(
        lambda rng: [rng.uniform(-1, 1, (3, 4)).astype("float32"), np.zeros((2, 2), "int32")],
        reference=_slice_like(),
        label="mixed-dtypes",
    ),
    Case(ints((3, 3), (2, 2)), reference=_slice_like(), label="int32"),
    Case(floats((1, 1), (1, 1)), reference=_slice_like(), label="one-element"),
    # No golden file: MXNet 1.9.1 aborts the process on this call.
    Case(floats((3, 4), (0, 4)), reference=_slice_like(), label="zero-size", golden=False),
)
add_errors(
    "slice_like",
    ErrorCase(floats((3, 4), (2, 3, 1)), match=r"slice_like.*number of axes"),
    ErrorCase(floats((3, 4), (4, 3)), match=r"slice_like.*axis 0.*larger"),
    ErrorCase(floats((3, 4), (2,)), {"axes": [1]}, match=r"slice_like.*axis 1.*out of range"),
    ErrorCase(floats((3, 4), (2, 3)), {"axes": [2]}, match=r"slice_like.*axes=2.*out of range"),
)

# ---- pick ---------------------------------------------------------------------------------


def _picks(shape, axis, low, high, keep_index_axis=False, index_dtype="int32"):
    """Random data of ``shape`` and integer indices in [low, high) for ``axis``."""
    axis = axis % len(shape)
    index_shape = list(shape)
    if keep_index_axis:
        index_shape[axis] = 1
    else:
        del index_shape[axis]

    def make(rng):
        data = rng.uniform(-1, 1, size=shape).astype("float32")
        return [data, rng.integers(low, high, size=index_shape).astype(index_dtype)]

    return make


def _pick(axis=-1, mode="clip", keepdims=False):
    def reference(data, index):
        ax = axis % data.ndim
        size = data.shape[ax]
        positions = index.astype(np.int64)
        positions = np.clip(positions, 0, size - 1) if mode == "clip" else np.mod(positions, size)
        kept = data.shape[:ax] + (1,) + data.shape[ax + 1 :]
        picked = np.take_along_axis(data, positions.reshape(kept), axis=ax)
        if keepdims:
            return picked
        return picked.reshape(data.shape[:ax] + data.shape[ax + 1 :] or (1,))

    return reference


add(
    "pick",
    Case(_picks((3, 4), 1, 0, 4), reference=_pick(), label="last-axis"),
    Case(_picks((3, 4), 0, 0, 3), {"axis": 0}, _pick(0), label="axis0"),
    Case(_picks((3, 4), 1, -3, 7), reference=_pick(), label="clip"),
    Case(_picks((3, 4), 1, -9, 9), {"mode": "wrap"}, _pick(mode="wrap"), label="wrap"),
    Case(_picks((3, 4), 1, 0, 4), {"keepdims": True}, _pick(keepdims=True), label="keepdims"),
    Case(
        _picks((3, 4), 1, 0, 4, keep_index_axis=True), reference=_pick(), label="index-keeps-axis"
    ),
    Case(_picks((2, 3, 4), 1, 0, 3), {"axis": 1}, _pick(1), label="3d"),
    Case(_picks((4,), 0, 0, 4), {"axis": 0}, _pick(0), label="vector"),
    Case(
        lambda rng: [
            rng.uniform(-1, 1, (3, 4)).astype("float32"),
            fractional((3,), low=-1, high=4)(rng)[0],
        ],
        reference=_pick(),
        label="float-index",
    ),
    Case(_picks((3, 4), 1, 0, 4, index_dtype="uint8"), reference=_pick(), label="uint8-index"),
    Case(
        lambda rng: [rng.integers(-9, 9, (3, 4)).astype("int32"), np.array([0, 3, 1], "int32")],
        reference=_pick(),
        label="int32-data",
    ),
    Case(fixed([[2.5]], [0], dtype="float32"), reference=_pick(), label="one-element"),
    Case(_picks((0, 4), 1, 0, 4), reference=_pick(), label="zero-size"),
)
add_errors(
    "pick",
    ErrorCase(_picks((3, 4), 1, 0, 4), {"axis": 2}, match=r"pick.*axis=2.*out of range"),
    ErrorCase(_picks((3, 4), 1, 0, 4), {"axis": None}, match=r"pick.*axis=None"),
    ErrorCase(floats((3, 4), (2,)), match=r"pick.*index has shape \(2,\)"),
    ErrorCase(floats((3, 0), (3,)), match=r"pick.*axis -1.*\(3, 0\).*empty"),
    ErrorCase(floats((3, 4), (3, 1, 1)), match=r"pick.*index has shape \(3, 1, 1\)"),
)

# ---- where --------------------------------------------------------------------------------


def _with_condition(condition_shape, shape, dtype="float32", condition_dtype="int32"):
    """A condition of -1, 0 and 1 (an integer dtype keeps numeric gradients off it), x, y."""

    def make(rng):
        condition = rng.integers(-1, 2, size=condition_shape).astype(condition_dtype)
        x, y = (rng.uniform(-1, 1, size=shape).astype(dtype) for _ in range(2))
        return [condition, x, y]

    return make


def _where(condition, x, y):
    chosen = condition.reshape(condition.shape + (1,) * (x.ndim - condition.ndim)) != 0
    return np.where(chosen, x, y)


add(
    "where",
    Case(_with_condition((2, 3), (2, 3)), reference=_where, label="same-shape"),
    Case(_with_condition((3,), (3, 2, 2)), reference=_where, label="row-condition"),
    Case(
        _with_condition((2, 3), (2, 3), condition_dtype="float32"),
        reference=_where,
        label="float-condition",
        grad=False,
    ),
    Case(
        _with_condition((4,), (4,), dtype="float64", condition_dtype="uint8"),
        reference=_where,
        label="float64",
    ),
    Case(
        lambda rng: [np.array([0, 1, 2], "int32"), *ints((3,), (3,))(rng)],
        reference=_where,
        label="int32",
    ),
    Case(
        fixed([np.nan, 0.0], [1.0, 2.0], [3.0, 4.0], dtype="float32"),
        reference=_where,
        label="nan-condition",
        grad=False,
    ),
    Case(_with_condition((1,), (1,)), reference=_where, label="one-element"),
    Case(_with_condition((0, 3), (0, 3)), reference=_where, label="zero-size"),
)
add_errors(
    "where",
    ErrorCase(floats((2, 3), (2, 3), (3, 3)), match=r"where.*y has shape \(3, 3\)"),
    ErrorCase(floats((3,), (2, 3), (2, 3)), match=r"where.*condition.*\(3,\)"),
    ErrorCase(floats((2, 1), (2, 3), (2, 3)), match=r"where.*condition has shape \(2, 1\)"),
)

# ---- broadcast_axis -----------------------------------------------------------------------


def _copy(x):
    return x.copy()


add(
    "broadcast_axis",
    Case(
        floats((1, 2, 1)),
        {"axis": [2], "size": [3]},
        lambda x: np.broadcast_to(x, (1, 2, 3)),
        label="one-axis",
    ),
    Case(
        floats((1, 2, 1)),
        {"axis": [0, 2], "size": [2, 3]},
        lambda x: np.broadcast_to(x, (2, 2, 3)),
        label="two-axes",
    ),
    Case(
        floats((2, 1)),
        {"axis": [-1], "size": [4]},
        lambda x: np.broadcast_to(x, (2, 4)),
        label="negative-axis",
    ),
    Case(floats((2, 1)), reference=_copy, label="no-axes"),
    Case(
        floats((1, 2)),
        {"axis": [0], "size": [0]},
        lambda x: np.zeros((0, 2), x.dtype),
        label="size-zero",
    ),
    Case(
        ints((1, 3), dtype="int64"),
        {"axis": [0], "size": [2]},
        lambda x: np.broadcast_to(x, (2, 3)),
        label="int64",
    ),
    Case(floats((1,)), {"axis": [0], "size": [1]}, _copy, label="one-element"),
    Case(
        floats((0, 1)),
        {"axis": [1], "size": [3]},
        lambda x: np.zeros((0, 3), x.dtype),
        label="zero-size",
    ),
)
add_errors(
    "broadcast_axis",
    ErrorCase(floats((1, 2)), {"axis": [1], "size": [2]}, match=r"broadcast_axis.*axis 1.*size 2"),
    ErrorCase(floats((1, 2)), {"axis": [0, 1], "size": [3]}, match=r"broadcast_axis.*same length"),
    ErrorCase(floats((1, 2)), {"axis": [2], "size": [3]}, match=r"broadcast_axis.*axis=2"),
    ErrorCase(
        floats((1, 2)), {"axis": [0, 0], "size": [3, 3]}, match=r"broadcast_axis.*axis 0 of size 3"
    ),
)

# ---- shape_array, size_array --------------------------------------------------------------

for _op, _ref in (
    ("shape_array", lambda x: np.array(x.shape, np.int64)),
    ("size_array", lambda x: np.array([x.size], np.int64)),
):
    add(
        _op,
        Case(floats((2, 3, 4)), reference=_ref, label="3d"),
        Case(ints((5,), dtype="int8"), reference=_ref, label="int8"),
        Case(floats((1,), dtype="float16"), reference=_ref, label="one-element"),
        Case(floats((2, 0)), reference=_ref, label="zero-size"),
        Case(fixed(1.5, dtype="float32"), reference=_ref, label="0-d", golden=False),
    )

# ---- fill_element_0index ------------------------------------------------------------------


def _fill_rows(rows, cols, low, high, dtype="float32", index=ints):
    """A (rows, cols) matrix, one value per row and column indices in [low, high)."""

    def make(rng):
        lhs, values = floats((rows, cols), (rows,), dtype=dtype)(rng)
        columns = index((rows,), low=low, high=high, dtype=dtype)(rng)[0]
        return [lhs, values, columns]

    return make


def _fill(lhs, mhs, rhs):
    out = lhs.copy()
    for row, column in enumerate(rhs.astype(np.int64)):
        if 0 <= column < lhs.shape[1]:
            out[row, column] = mhs[row]
    return out


add(
    "fill_element_0index",
    Case(_fill_rows(4, 3, 0, 3), reference=_fill, label="rows"),
    Case(_fill_rows(5, 3, -2, 6), reference=_fill, label="out-of-range"),
    Case(_fill_rows(4, 3, -1, 3, index=fractional), reference=_fill, label="fractional-index"),
    Case(_fill_rows(3, 4, 0, 4, dtype="float64"), reference=_fill, label="float64"),
    Case(
        lambda rng: [*ints((3, 3), (3,))(rng), np.array([2, 0, 1], "int32")],
        reference=_fill,
        label="int32",
    ),
    Case(fixed([[1.0]], [2.0], [0.0], dtype="float32"), reference=_fill, label="one-element"),
    Case(_fill_rows(2, 0, 0, 1), reference=_fill, label="zero-size"),
)
add_errors(
    "fill_element_0index",
    ErrorCase(floats((2, 2, 2), (2,), (2,)), match=r"fill_element_0index.*matrix"),
    ErrorCase(floats((2, 2), (3,), (2,)), match=r"fill_element_0index.*mhs has shape \(3,\)"),
)

# ---- amp_cast, amp_multicast --------------------------------------------------------------


def _as(dtype):
    def reference(*arrays):
        with np.errstate(over="ignore"):
            casts = tuple(a.astype(d) for a, d in zip(arrays, dtype))
        return casts[0] if len(casts) == 1 else casts

    return reference


add(
    "amp_cast",
    Case(floats((2, 3)), {"dtype": "float16"}, _as(["float16"]), label="to-float16"),
    Case(
        floats((2, 3), dtype="float16"),
        {"dtype": "float32"},
        _as(["float32"]),
        label="float16-to-float32",
    ),
    Case(
        floats((3,), dtype="float16"),
        {"dtype": "float64"},
        _as(["float64"]),
        label="float16-to-float64",
    ),
    Case(fractional((2, 3)), {"dtype": "int32"}, _as(["int32"]), label="float32-to-int32"),
    # Only float16 and float32 inputs change: float64 and integers pass through.
    Case(
        floats((3,), dtype="float64"),
        {"dtype": "float16"},
        _as(["float64"]),
        label="float64-unchanged",
    ),
    Case(ints((3,)), {"dtype": "float16"}, _as(["int32"]), label="int32-unchanged"),
    Case(
        fixed([1.5, 7e4], dtype="float32"), {"dtype": "float16"}, _as(["float16"]), label="overflow"
    ),
    Case(floats((1,)), {"dtype": "float16"}, _as(["float16"]), label="one-element"),
    Case(floats((0, 2)), {"dtype": "float16"}, _as(["float16"]), label="zero-size"),
)
add_errors(
    "amp_cast",
    ErrorCase(floats((2,)), {"dtype": "int16"}, match=r"amp_cast.*'dtype'"),
)


def _inputs(*specs):
    """One array per (shape, dtype): random values, integers for integer dtypes."""

    def make(rng):
        return [
            (
                rng.integers(-9, 10, shape)
                if np.dtype(d).kind in "iu"
                else rng.uniform(-2, 2, shape)
            ).astype(d)
            for shape, d in specs
        ]

    return make


add(
    "amp_multicast",
    # The first case with two inputs also runs the mixed-dtype test, which turns its last
    # input into float64: (float64, float16) gives the same result either way.
    Case(
        _inputs(((3,), "float64"), ((3,), "float16")),
        {"num_outputs": 2},
        _as(["float64", "float64"]),
        label="float64-first",
    ),
    Case(
        _inputs(((2, 3), "float32"), ((4,), "float16")),
        {"num_outputs": 2},
        _as(["float32", "float32"]),
        label="widest",
    ),
    Case(
        _inputs(((2, 3), "float32"), ((4,), "float16")),
        {"num_outputs": 2, "cast_narrow": True},
        _as(["float16", "float16"]),
        label="narrow",
    ),
    Case(
        _inputs(((3,), "float64"), ((3,), "float32")),
        {"num_outputs": 2},
        _as(["float64", "float32"]),
        label="float64-float32",
    ),
    Case(
        _inputs(((3,), "float32"), ((3,), "float64")),
        {"num_outputs": 2},
        _as(["float32", "float64"]),
        label="float32-float64",
    ),
    Case(
        _inputs(((3,), "int32"), ((3,), "float16")),
        {"num_outputs": 2},
        _as(["int32", "int32"]),
        label="integer-first",
    ),
    Case(
        _inputs(((3,), "float16"), ((3,), "float32"), ((2,), "int32")),
        {"num_outputs": 3},
        _as(["float32", "float32", "int32"]),
        label="three",
    ),
    Case(
        _inputs(((2,), "float16"), ((2,), "float32"), ((2,), "float64")),
        {"num_outputs": 3, "cast_narrow": True},
        _as(["float16", "float16", "float64"]),
        label="three-narrow",
    ),
    Case(_inputs(((2,), "float16")), {"num_outputs": 1}, _as(["float16"]), label="one-input"),
    Case(
        _inputs(((1,), "float32"), ((1,), "float16")),
        {"num_outputs": 2},
        _as(["float32", "float32"]),
        label="one-element",
    ),
    Case(
        _inputs(((0, 2), "float32"), ((3,), "float16")),
        {"num_outputs": 2},
        _as(["float32", "float32"]),
        label="zero-size",
    ),
)
add_errors(
    "amp_multicast",
    ErrorCase(floats((2,), (2,)), {"num_outputs": 3}, match=r"amp_multicast.*num_outputs=3.*2"),
)
