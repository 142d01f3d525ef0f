"""Cases of cumsum, _histogram, khatri_rao, _split_v2, _ravel_multi_index, _unravel_index,
batch_take, _onehot_encode, im2col and col2im."""

import itertools

import numpy as np

from .case import (
    MIXED_DTYPES_OK,
    Case,
    ErrorCase,
    add,
    add_errors,
    fixed,
    floats,
    fractional,
    ints,
)

# Index inputs may have any dtype (float ones truncate): only the data's dtype matters.
MIXED_DTYPES_OK.add("batch_take")


# ---- cumsum -------------------------------------------------------------------------------


def _cumsum(axis=None, dtype=None):
    def reference(a):
        values = a if dtype is None else a.astype(dtype)
        if axis is None:
            values = values.reshape(-1)
        # numpy widens small integers; MXNet keeps the input's dtype (int8 sums wrap).
        return np.cumsum(values, axis=0 if axis is None else axis, dtype=values.dtype)

    return reference


add(
    "cumsum",
    Case(floats((2, 3)), reference=_cumsum(), label="flat"),
    Case(floats((2, 3, 2)), {"axis": 1}, _cumsum(1), label="axis1"),
    Case(floats((3, 2)), {"axis": 0}, _cumsum(0), label="axis0"),
    # MXNet 1.9.1 fails on a negative axis ("index = -1 must be in range"); neomx accepts it
    # as numpy does, so no golden file.
    Case(floats((2, 3)), {"axis": -1}, _cumsum(-1), label="negative-axis", golden=False),
    Case(floats((2, 2)), {"dtype": "float64"}, _cumsum(dtype="float64"), label="to-float64"),
    Case(fractional((4,)), {"dtype": "int32"}, _cumsum(dtype="int32"), label="float-to-int32",
         grad=False),
    Case(fixed([100, 100, 100, -7], dtype="int8"), {"axis": 0}, _cumsum(0),
         label="int8-wraps", grad=False),
    Case(ints((2, 3)), {"axis": 1}, _cumsum(1), label="int32", grad=False),
    Case(floats((1,)), reference=_cumsum(), label="one-element"),
    Case(floats((3, 2), dtype="float16"), {"axis": 0}, _cumsum(0), label="float16"),
    # MXNet 1.x cannot make zero-size arrays (0 is an unknown dimension), so no golden file.
    Case(floats((0, 3)), {"axis": 0}, _cumsum(0), label="zero-size", golden=False),
)
add_errors(
    "cumsum",
    ErrorCase(floats((2, 3)), {"axis": 2}, match=r"cumsum.*axis=2"),
    ErrorCase(floats((2,)), {"dtype": "uint8"}, match=r"cumsum.*'dtype'"),
)


# ---- histogram ----------------------------------------------------------------------------


def _histogram(bins=None, value_range=None):
    """numpy.histogram over the finite values, edges in the data's dtype."""

    def reference(data, edges=None):
        finite = data[np.isfinite(data)].astype(np.float64)
        if edges is None:
            counts, found = np.histogram(finite, bins=bins, range=value_range)
        else:
            counts, found = np.histogram(finite, bins=edges.astype(np.float64))
        return counts.astype(np.int64), found.astype(data.dtype)

    return reference


def with_bins(data_shape, bins, dtype="float32"):
    def make(rng):
        return [rng.uniform(-1, 1, size=data_shape).astype(dtype), np.array(bins, dtype)]

    return make


add(
    "_histogram",
    Case(fixed([[0, 1], [2, 2], [3, 4]], dtype="float32"), {"bin_cnt": 5, "range": [0, 5]},
         _histogram(5, (0, 5)), label="uniform-bins"),
    Case(fixed([0, 1, 5, -1, 3, 3.5, 4], dtype="float32"), {"bin_cnt": 4, "range": [0, 4]},
         _histogram(4, (0, 4)), label="outside-range-and-right-edge"),
    Case(fixed([0, 1, 2, 2, 3, 4], dtype="float32"), {"bin_cnt": 2, "range": [1, 1]},
         _histogram(2, (1, 1)), label="zero-width-range"),
    Case(with_bins((3, 4), [-1, -0.2, 0.3, 1]), reference=_histogram(), label="bin-edges"),
    Case(fixed([0, 1, 2, 2, 3, 4], [0, 2.1, 3], dtype="float32"), reference=_histogram(),
         label="uneven-edges"),
    Case(fixed([1, 2, 3, 0, 2], dtype="int32"), {"bin_cnt": 3, "range": [0, 3]},
         _histogram(3, (0, 3)), label="int32"),
    Case(with_bins((5,), [-1, 0, 1], dtype="float16"), reference=_histogram(), label="float16"),
    Case(fixed([np.nan, np.inf, 1, -np.inf], dtype="float32"), {"bin_cnt": 2, "range": [0, 2]},
         _histogram(2, (0, 2)), label="not-finite"),
)
add_errors(
    "_histogram",
    ErrorCase(floats((3,)), {"bin_cnt": 3}, match=r"_histogram.*together"),
    ErrorCase(with_bins((3,), [0, 1]), {"range": [0, 1]}, match=r"_histogram.*together"),
    ErrorCase(floats((3,)), {"bin_cnt": 2, "range": [2, 1]}, match=r"_histogram.*'range'"),
    ErrorCase(with_bins((3,), [[0, 1], [2, 3]]), match=r"_histogram.*bins.*1-d"),
    ErrorCase(with_bins((3,), [1]), match=r"_histogram.*at least 2"),
    ErrorCase(with_bins((3,), [0, 1]), {"bin_cnt": 2, "range": [0, 1]},
              match=r"_histogram.*not both"),
)


# ---- khatri_rao ---------------------------------------------------------------------------


def _khatri_rao(*matrices):
    result = matrices[0]
    for matrix in matrices[1:]:
        result = np.einsum("ik,jk->ijk", result, matrix).reshape(-1, matrix.shape[1])
    return result


add(
    "khatri_rao",
    Case(fixed([[1, 2], [3, 4]], [[1, 2], [3, 4], [5, 6]], dtype="float32"),
         reference=_khatri_rao, label="doc"),
    Case(floats((2, 3), (4, 3)), reference=_khatri_rao, label="two"),
    Case(floats((2, 2), (1, 2), (3, 2)), reference=_khatri_rao, label="three"),
    Case(floats((3, 2)), reference=_khatri_rao, label="one"),
    Case(floats((2, 1), (2, 1), dtype="float64"), reference=_khatri_rao, label="float64"),
)
add_errors(
    "khatri_rao",
    ErrorCase(floats((2, 2), (2, 3)), match=r"khatri_rao.*arg1.*\(2, 3\)"),
    ErrorCase(floats((2,), (2,)), match=r"khatri_rao.*arg0.*matrix"),
)


# ---- _split_v2 ----------------------------------------------------------------------------


def _split_at(points, axis, squeeze=False):
    def reference(x):
        parts = np.split(x, points, axis=axis)
        if squeeze:
            parts = [np.squeeze(part, axis=axis) for part in parts]
        return parts[0] if len(parts) == 1 else tuple(parts)

    return reference


def _split_sections(sections, axis):
    def reference(x):
        return tuple(np.array_split(x, sections, axis=axis))

    return reference


add(
    "_split_v2",
    Case(floats((6, 2)), {"indices": [0, 2, 3], "axis": 0}, _split_at([2, 3], 0),
         label="indices"),
    Case(floats((2, 4)), {"indices": [0, 1, 3]}, _split_at([1, 3], 1), label="default-axis"),
    Case(floats((2, 3, 3)), {"indices": [0, 2], "axis": -1}, _split_at([2], -1),
         label="negative-axis"),
    Case(floats((6, 2)), {"indices": [], "sections": 4, "axis": 0}, _split_sections(4, 0),
         label="uneven-sections"),
    Case(floats((6, 2)), {"indices": [0, 5], "sections": 3, "axis": 0},
         _split_sections(3, 0), label="sections-win"),
    Case(floats((2, 3)), {"indices": [0, 1], "axis": 0, "squeeze_axis": True},
         _split_at([1], 0, squeeze=True), label="squeeze"),
    Case(floats((3, 2)), {"indices": [0], "axis": 0}, _split_at([], 0), label="one-part"),
    Case(floats((4, 2)), {"indices": [0, 2, 2], "axis": 0}, _split_at([2, 2], 0),
         label="empty-part"),
)
add_errors(
    "_split_v2",
    ErrorCase(floats((6, 2)), {"indices": [2, 3], "axis": 0}, match=r"_split_v2.*start with 0"),
    ErrorCase(floats((6, 2)), {"indices": [0, 4, 2], "axis": 0}, match=r"_split_v2.*increasing"),
    ErrorCase(floats((6, 2)), {"indices": [0, 7], "axis": 0}, match=r"_split_v2.*increasing"),
    ErrorCase(floats((6, 2)), {"indices": [0, 3], "axis": 0, "squeeze_axis": True},
              match=r"_split_v2.*squeeze_axis"),
    ErrorCase(floats((6, 2)), {"indices": [0, 1], "axis": 2}, match=r"_split_v2.*axis=2"),
)


# ---- ravel / unravel ----------------------------------------------------------------------


def _ravel(shape):
    strides = np.cumprod((tuple(shape[1:]) + (1,))[::-1])[::-1]

    def reference(data):
        return (data.astype(np.int64).T @ strides).astype(data.dtype)

    return reference


def _columns(shape, count, dtype="float32"):
    """``count`` in-range multi-indices for ``shape``, one per column."""

    def make(rng):
        return [np.stack([rng.integers(0, dim, size=count) for dim in shape]).astype(dtype)]

    return make


add(
    "_ravel_multi_index",
    # Integer-valued float indices sit on the steps of the truncation: no numeric gradient
    # there ("at-integers"); the fractional case checks the zero gradient.
    Case(fixed([[3, 6, 6], [4, 5, 1]], dtype="float32"), {"shape": [7, 6]}, _ravel((7, 6)),
         label="doc-at-integers", grad=False),
    Case(fixed([[3, 6, 6], [4, 5, 1]], dtype="float32"), {"shape": [-1, 6]}, _ravel((7, 6)),
         label="unknown-leading-at-integers", grad=False),
    Case(_columns((2, 3, 4), 5), {"shape": [2, 3, 4]}, _ravel((2, 3, 4)),
         label="3d-at-integers", grad=False),
    Case(_columns((4, 5), 3, "int32"), {"shape": [4, 5]}, _ravel((4, 5)), label="int32"),
    Case(_columns((4, 5), 3, "float64"), {"shape": [4, 5]}, _ravel((4, 5)),
         label="float64-at-integers", grad=False),
    # Indices truncate toward zero and are not checked against shape (MXNet's arithmetic).
    Case(fractional((2, 4)), {"shape": [3, 2]}, _ravel((3, 2)), label="truncated"),
)
add_errors(
    "_ravel_multi_index",
    ErrorCase(floats((2, 3)), {"shape": [2, 3, 4]}, match=r"_ravel_multi_index.*\(3, N\)"),
    ErrorCase(floats((3,)), {"shape": [3]}, match=r"_ravel_multi_index.*\(1, N\)"),
    ErrorCase(floats((2, 3)), match=r"_ravel_multi_index.*'shape' is required"),
)


def _unravel(shape):
    def reference(data):
        return np.stack(np.unravel_index(data.astype(np.int64), shape)).astype(data.dtype)

    return reference


add(
    "_unravel_index",
    Case(fixed([22, 41, 37], dtype="float32"), {"shape": [7, 6]}, _unravel((7, 6)),
         label="doc-at-integers", grad=False),
    Case(fixed([5, 0, 23, 11], dtype="int64"), {"shape": [2, 3, 4]}, _unravel((2, 3, 4)),
         label="3d-int64"),
    # C arithmetic: -1 % 6 is -1 and the first coordinate is not reduced (MXNet's answers).
    Case(fixed([22, -1, 37.9, 50], dtype="float32"), {"shape": [7, 6]}, label="c-arithmetic",
         grad=False),
    Case(fixed([22, 41, 37], dtype="float32"), {"shape": [7, -1]}, label="unknown-dim",
         grad=False),
    Case(fractional((4,), low=0, high=40), {"shape": [-1, 6]}, _unravel((10, 6)),
         label="unknown-leading"),
    # MXNet 1.9.1 unravels only 1-d indices (it returns garbage for more); neomx stacks the
    # coordinates in front of any index shape, as numpy does.
    Case(fixed([[22, 41], [1, 2]], dtype="float32"), {"shape": [7, 6]}, _unravel((7, 6)),
         label="2d-at-integers", grad=False, golden=False),
)
add_errors(
    "_unravel_index",
    ErrorCase(floats((3,)), match=r"_unravel_index.*'shape' is required"),
    ErrorCase(floats((3,)), {"shape": [3, 0]}, match=r"_unravel_index.*zero"),
)


# ---- batch_take, _onehot_encode -----------------------------------------------------------


def _batch_take(a, indices):
    rows = a.reshape(-1, a.shape[-1])
    index = np.clip(indices.astype(np.int64).reshape(-1), 0, a.shape[-1] - 1)
    return np.array([rows[i, j] for i, j in enumerate(index)], a.dtype).reshape(indices.shape)


def rows_and_indices(data_shape, indices, dtype="float32", index_dtype="int32"):
    def make(rng):
        return [
            rng.uniform(-1, 1, size=data_shape).astype(dtype),
            np.array(indices, index_dtype),
        ]

    return make


add(
    "batch_take",
    Case(lambda rng: [np.array([[1, 2], [3, 4], [5, 6]], "float32"), np.array([0, 1, 0], "int32")],
         reference=_batch_take, label="doc"),
    Case(rows_and_indices((3, 4), [5, -1, 2]), reference=_batch_take, label="clipped"),
    Case(rows_and_indices((2, 3), [2, 0], dtype="float64"), reference=_batch_take,
         label="float64"),
    Case(rows_and_indices((2, 3), [1, 2], dtype="int32"), reference=_batch_take, label="int32"),
    # MXNet 1.9.1 reads the wrong memory for more than 2 dimensions and wants int32 indices;
    # neomx takes rows of the last axis and any index dtype, so no golden files.
    Case(rows_and_indices((2, 3, 4), [[0, 1, 5], [2, 3, 1]]), reference=_batch_take,
         label="3d", golden=False),
    Case(rows_and_indices((3, 2), [1.7, 0.2, -0.5], index_dtype="float32"),
         reference=_batch_take, label="float-indices", golden=False),
)
add_errors(
    "batch_take",
    ErrorCase(rows_and_indices((3,), [0, 1, 0]), match=r"batch_take.*at least 2"),
    ErrorCase(rows_and_indices((3, 2), [0, 1]), match=r"batch_take.*indices.*3 in all"),
)


def _onehot(lhs, rhs):
    result = np.zeros_like(rhs)
    for row, index in enumerate(lhs.astype(np.int64)):
        if 0 <= index < rhs.shape[1]:
            result[row, index] = 1
    return result


def index_and_target(indices, shape, dtype="float32"):
    def make(rng):
        return [np.array(indices, dtype), rng.uniform(-1, 1, size=shape).astype(dtype)]

    return make


add(
    "_onehot_encode",
    Case(index_and_target([0, 2, 1], (3, 4)), reference=_onehot, label="rows"),
    Case(index_and_target([0, 5, -1], (3, 4)), reference=_onehot, label="out-of-range"),
    Case(index_and_target([0.7, 2.2, 1.9], (3, 3)), reference=_onehot, label="truncated"),
    # MXNet 1.9.1 supports float32 only; neomx keeps the inputs' dtype.
    Case(index_and_target([1, 0], (2, 2), dtype="float64"), reference=_onehot,
         label="float64", golden=False),
)
add_errors(
    "_onehot_encode",
    ErrorCase(index_and_target([0, 2], (3, 4)), match=r"_onehot_encode.*one index per row"),
    ErrorCase(index_and_target([[0, 2, 1]], (3, 4)), match=r"_onehot_encode.*1-d"),
)


# ---- im2col, col2im -----------------------------------------------------------------------


def _geometry(kernel, stride, dilate, pad):
    n = len(kernel)
    return (tuple(stride) or (1,) * n, tuple(dilate) or (1,) * n, tuple(pad) or (0,) * n)


def _positions(spatial, kernel, stride, dilate, pad):
    """Block counts per axis and, per (kernel offset, block), the padded image coordinate."""
    counts = [
        (size + 2 * p - d * (k - 1) - 1) // s + 1
        for size, k, s, d, p in zip(spatial, kernel, stride, dilate, pad)
    ]
    pairs = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        for block in itertools.product(*(range(c) for c in counts)):
            pairs.append(tuple(b * s + o * d for b, o, s, d in zip(block, offset, stride, dilate)))
    return counts, pairs


def _im2col(kernel, stride=(), dilate=(), pad=()):
    stride, dilate, pad = _geometry(kernel, stride, dilate, pad)

    def reference(x):
        n, c = x.shape[:2]
        padded = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
        counts, pairs = _positions(x.shape[2:], kernel, stride, dilate, pad)
        values = np.stack([padded[(slice(None), slice(None)) + at] for at in pairs], axis=-1)
        return values.reshape(n, c * int(np.prod(kernel)), int(np.prod(counts)))

    return reference


def _col2im(output_size, kernel, stride=(), dilate=(), pad=()):
    stride, dilate, pad = _geometry(kernel, stride, dilate, pad)

    def reference(columns):
        n = columns.shape[0]
        c = columns.shape[1] // int(np.prod(kernel))
        padded = np.zeros((n, c) + tuple(s + 2 * p for s, p in zip(output_size, pad)),
                          columns.dtype)
        _, pairs = _positions(output_size, kernel, stride, dilate, pad)
        flat = columns.reshape(n, c, -1)
        for position, at in enumerate(pairs):
            padded[(slice(None), slice(None)) + at] += flat[:, :, position]
        inner = tuple(slice(p, p + s) for p, s in zip(pad, output_size))
        return padded[(slice(None), slice(None)) + inner]

    return reference


add(
    "im2col",
    Case(floats((2, 2, 4, 5)), {"kernel": [2, 3]}, _im2col((2, 3)), label="2d"),
    Case(floats((1, 2, 4, 5)), {"kernel": [2, 3], "stride": [2, 1], "dilate": [1, 2],
                                "pad": [1, 0]},
         _im2col((2, 3), (2, 1), (1, 2), (1, 0)), label="2d-stride-dilate-pad"),
    Case(floats((1, 1, 3, 3), dtype="float64"), {"kernel": [3, 3], "pad": [1, 1]},
         _im2col((3, 3), pad=(1, 1)), label="same-padding-float64"),
    # MXNet 1.9.1's CPU kernels fail for 1-d and 3-d kernels (index and size checks in its
    # im2col), so those cases have no golden files.
    Case(floats((2, 2, 6)), {"kernel": [3], "stride": [2]}, _im2col((3,), (2,)), label="1d",
         golden=False),
    Case(floats((1, 2, 2, 3, 4)), {"kernel": [1, 2, 2], "pad": [0, 1, 0]},
         _im2col((1, 2, 2), pad=(0, 1, 0)), label="3d", golden=False),
)
add_errors(
    "im2col",
    ErrorCase(floats((1, 1, 2, 2, 2, 2)), {"kernel": [1, 1, 1, 1]},
              match=r"im2col.*1, 2 or 3 dimensions"),
    ErrorCase(floats((1, 1, 4, 4)), {"kernel": [2, 2], "stride": [2]},
              match=r"im2col.*stride.*as many"),
    ErrorCase(floats((1, 1, 4, 4)), {"kernel": [2, 2], "stride": [0, 1]},
              match=r"im2col.*stride.*>= 1"),
    ErrorCase(floats((1, 1, 4, 4)), {"kernel": [5, 2]}, match=r"im2col.*spans 5"),
    ErrorCase(floats((1, 4, 4)), {"kernel": [2, 2]}, match=r"im2col.*spatial dimensions"),
)
add(
    "col2im",
    Case(floats((2, 12, 9)), {"output_size": [4, 5], "kernel": [2, 3]},
         _col2im((4, 5), (2, 3)), label="2d"),
    Case(floats((1, 12, 3)), {"output_size": [4, 5], "kernel": [2, 3], "stride": [2, 2],
                              "dilate": [1, 2], "pad": [1, 0]},
         _col2im((4, 5), (2, 3), (2, 2), (1, 2), (1, 0)), label="2d-stride-dilate-pad"),
    Case(floats((1, 4, 3), dtype="float64"), {"output_size": [4], "kernel": [2], "stride": [2],
                                             "pad": [1]},
         _col2im((4,), (2,), (2,), (), (1,)), label="1d", golden=False),
    Case(floats((1, 8, 4)), {"output_size": [2, 2, 3], "kernel": [2, 1, 2]},
         _col2im((2, 2, 3), (2, 1, 2)), label="3d", golden=False),
)
add_errors(
    "col2im",
    ErrorCase(floats((1, 12, 12)), {"output_size": [4, 5], "kernel": [2, 3]},
              match=r"col2im.*\(N, C \* 6, 9\)"),
    ErrorCase(floats((1, 13, 9)), {"output_size": [4, 5], "kernel": [2, 3]},
              match=r"col2im.*\(N, C \* 6, 9\)"),
    ErrorCase(floats((1, 6, 9)), {"output_size": [4], "kernel": [2, 3]},
              match=r"col2im.*output_size"),
)
