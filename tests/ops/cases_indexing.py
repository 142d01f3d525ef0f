"""Cases of take, gather_nd, scatter_nd, _scatter_set_nd and their backward operators."""

import numpy as np

from .case import MIXED_DTYPES_OK, NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed

# Index inputs may have any dtype (float ones truncate), so only the data's dtype matters.
MIXED_DTYPES_OK.update(
    {"take", "_backward_take", "gather_nd", "_backward_gather_nd", "scatter_nd", "_scatter_set_nd"}
)
# neomx's _backward_take takes (ograd, indices) and the data shape; MXNet's differs.
NEOMX_ONLY.add("_backward_take")


def with_indices(data_shape, indices, dtype="float32"):
    """Random data of ``data_shape`` and the fixed int32 ``indices``."""

    def make(rng):
        return [rng.uniform(-1, 1, size=data_shape).astype(dtype), np.array(indices, "int32")]

    return make


def _take(axis=0, mode="clip"):
    def reference(a, indices):
        index = indices.astype(np.int64)
        size = a.shape[axis]
        index = np.clip(index, 0, size - 1) if mode == "clip" else np.mod(index, size)
        return np.take(a, index, axis=axis)

    return reference


add(
    "take",
    Case(with_indices((4, 3), [2, 0, 2]), reference=_take(), label="rows"),
    Case(with_indices((2, 4), [[3, 0], [1, 1]]), {"axis": 1}, _take(1), label="axis1-2d-indices"),
    Case(with_indices((2, 3, 2), [1, 0]), {"axis": -2}, _take(-2), label="negative-axis"),
    Case(with_indices((3, 2), [-1, 5, 1]), reference=_take(), label="clip"),
    Case(with_indices((3, 2), [-1, 5, -4]), {"mode": "wrap"}, _take(mode="wrap"), label="wrap"),
    Case(with_indices((3, 2), [2, 1]), {"mode": "raise"}, _take(), label="raise-in-range"),
    Case(fixed([[1, 2], [3, 4], [5, 6]], [0.7, 1.9, -0.5], dtype="float32"), label="float-index",
         grad=False),
    Case(fixed([[1, 2], [3, 4], [5, 6]], [2, 0], dtype="int32"), label="int32-data", grad=False),
)
add_errors(
    "take",
    ErrorCase(with_indices((3, 2), [1, 3]), {"mode": "raise"}, match=r"take.*3.*out of bounds"),
    ErrorCase(with_indices((3, 2), [-1]), {"mode": "raise"}, match=r"take.*-1.*out of bounds"),
    ErrorCase(with_indices((3, 2), [1]), {"axis": 2}, match=r"take.*axis=2"),
)


def _backward_take(shape, axis=0):
    def reference(ograd, indices):
        result = np.zeros(shape, ograd.dtype)
        moved = np.moveaxis(result, axis, 0)
        index = np.clip(indices.astype(np.int64), 0, shape[axis] - 1).reshape(-1)
        grads = np.moveaxis(
            ograd.reshape(shape[:axis] + (index.size,) + shape[axis + 1 :]), axis, 0
        )
        np.add.at(moved, index, grads)
        return result

    return reference


add(
    "_backward_take",
    Case(with_indices((3, 2), [2, 0, 2]), {"shape": [4, 2]}, _backward_take((4, 2)),
         label="repeated-rows"),
    Case(with_indices((2, 1, 2), [[1, 0]]), {"shape": [2, 3], "axis": 1},
         _backward_take((2, 3), 1), label="axis1"),
)


def _gather(data, indices):
    return data[tuple(indices.astype(np.int64))]


add(
    "gather_nd",
    Case(with_indices((3, 4), [[0, 2], [1, 3]]), reference=_gather, label="elements"),
    Case(with_indices((3, 4), [[2, 0, 2]]), reference=_gather, label="rows"),
    Case(with_indices((2, 3, 2), [[[1, 0]], [[2, 0]]]), reference=_gather, label="2d-grid"),
    # MXNet 1.9.1's gradient sends negative indices to the wrong rows (it adds the negative
    # index to the flat offset), so no golden file; numpy and numeric gradients check it.
    Case(with_indices((2, 3, 2), [[[1, 0]], [[-1, -3]]]), reference=_gather,
         label="negative", golden=False),
    Case(fixed([[1, 2], [3, 4], [5, 6]], [[0.7, 1.9]], dtype="float32"), label="float-index",
         grad=False),
)
add_errors(
    "gather_nd",
    ErrorCase(with_indices((3, 4), [[3, 0]]), match=r"gather_nd.*3.*out of bounds"),
    ErrorCase(with_indices((3, 4), [1, 2]), match=r"gather_nd.*at least 2"),
    ErrorCase(with_indices((3, 4), [[0], [1], [2]]), match=r"gather_nd.*3 axes"),
)


def _scattered(shape):
    def reference(data, indices):
        result = np.zeros(shape, data.dtype)
        result[tuple(indices.astype(np.int64))] = data
        return result

    return reference


def _backward_gather_nd(shape):
    def reference(data, indices):
        result = np.zeros(shape, data.dtype)
        np.add.at(result, tuple(indices.astype(np.int64)), data)
        return result

    return reference


add(
    "_backward_gather_nd",
    Case(with_indices((3,), [[0, 2, 0], [1, 3, 1]]), {"shape": [3, 4]},
         _backward_gather_nd((3, 4)), label="repeated"),
    Case(with_indices((2, 4), [[1, 1]]), {"shape": [3, 4]}, _backward_gather_nd((3, 4)),
         label="rows"),
)
add(
    "scatter_nd",
    Case(with_indices((3,), [[0, 2, 1], [1, 3, 1]]), {"shape": [3, 4]}, _scattered((3, 4)),
         label="elements"),
    Case(with_indices((2, 4), [[2, 0]]), {"shape": [3, 4]}, _scattered((3, 4)), label="rows"),
    # MXNet 1.9.1 writes out of bounds for negative indices (heap corruption): no golden file.
    Case(with_indices((2,), [[-1, 0], [0, -2]]), {"shape": [3, 4]}, _scattered((3, 4)),
         label="negative", golden=False),
)
add_errors(
    "scatter_nd",
    ErrorCase(with_indices((2,), [[0, 1], [1, 4]]), {"shape": [3, 4]},
              match=r"scatter_nd.*4 is out of bounds for axis 1"),
)


def with_target(lhs_shape, rhs_shape, indices):
    def make(rng):
        return [
            rng.uniform(-1, 1, size=lhs_shape).astype("float32"),
            rng.uniform(-1, 1, size=rhs_shape).astype("float32"),
            np.array(indices, "int32"),
        ]

    return make


def _set_nd(lhs, rhs, indices):
    result = lhs.copy()
    result[tuple(indices.astype(np.int64))] = rhs
    return result


# No golden files: MXNet runs _scatter_set_nd only in place (out=lhs), which the recorder
# does not do; tests/golden/indexing.npz covers it through x[index_array] = value.
add(
    "_scatter_set_nd",
    Case(with_target((3, 4), (3,), [[0, 2, 1], [1, 3, 1]]), {"shape": [3, 4]}, _set_nd,
         label="elements", golden=False),
    Case(with_target((3, 4), (2, 4), [[2, 0]]), {"shape": [3, 4]}, _set_nd, label="rows",
         golden=False),
)
add_errors(
    "_scatter_set_nd",
    ErrorCase(with_target((3, 4), (2,), [[2, 0]]), {"shape": [3, 4]},
              match=r"_scatter_set_nd.*rhs.*\(2,\).*\(2, 4\)"),
    ErrorCase(with_target((3, 4), (1, 4), [[2]]), {"shape": [3, 5]},
              match=r"_scatter_set_nd.*lhs.*\(3, 4\)"),
)
