"""Cases of the linalg products (gemm, gemm2, trmm, trsm, syrk) and of the diagonal and
triangle operators (extractdiag, makediag, extracttrian, maketrian).

Triangular operands carry large values in the triangle that is not read, so a result that
used them would be far off. MXNet 1.9.1 refuses every dtype but float32 and float64 (golden
files record its errors); neomx refuses them as well.
"""

import numpy as np

from .case import Case, ErrorCase, add, add_errors, fixed, floats, ints


def _nondefault(**params):
    """The parameters that differ from MXNet's defaults, as a case gives them."""
    defaults = {
        "transpose_a": False,
        "transpose_b": False,
        "alpha": 1.0,
        "beta": 1.0,
        "axis": -2,
        "transpose": False,
        "rightside": False,
        "lower": True,
        "offset": 0,
    }
    return {key: value for key, value in params.items() if value != defaults[key]}


def _swap(x):
    return np.swapaxes(x, -1, -2)


def _transpose_flag_label(**flags):
    return "-".join(key.replace("_", "") for key, value in flags.items() if value) or "plain"


# ---- gemm, gemm2 ---------------------------------------------------------------------------


def _gemm(transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0, axis=-2, with_c=True):
    """alpha op(A) op(B) (+ beta C), with the rows on ``axis`` and the columns last."""

    def reference(a, b, c=None):
        row = axis % a.ndim
        left, right = np.moveaxis(a, row, -2), np.moveaxis(b, row, -2)
        left = _swap(left) if transpose_a else left
        right = _swap(right) if transpose_b else right
        product = np.moveaxis(alpha * np.einsum("...ij,...jk->...ik", left, right), -2, row)
        return (product if c is None else product + beta * c).astype(a.dtype)

    return reference


# (label, A shape, B shape, transpose_a, transpose_b, alpha, axis); C has the result's shape.
_PRODUCTS = (
    ("2d", (2, 3), (3, 4), False, False, 1.0, -2),
    ("transpose-a", (3, 2), (3, 4), True, False, 1.0, -2),
    ("transpose-b-alpha", (2, 3), (4, 3), False, True, -2.5, -2),
    ("transpose-both", (3, 2), (4, 3), True, True, 0.5, -2),
    ("batch", (2, 2, 3), (2, 3, 4), False, False, 1.0, -2),
    ("batch-4d", (2, 1, 3, 2), (2, 1, 3, 2), True, False, 1.0, -2),
    ("one-element", (1, 1), (1, 1), False, False, 1.0, -2),
    ("batch-one-element", (3, 1, 1), (3, 1, 1), False, False, 2.0, -2),
    ("axis-0", (3, 2, 4), (4, 2, 5), False, False, 1.0, 0),
    ("axis-minus-3", (2, 3, 2, 4), (2, 5, 2, 4), False, True, 1.0, -3),
    ("axis-1-transpose-a", (2, 4, 3, 2), (2, 4, 3, 5), True, False, 1.0, 1),
    ("axis-0-2d", (2, 3), (3, 4), False, False, 1.0, 0),
)


def _product_out_shape(a, b, ta, tb, axis):
    row = axis % len(a)
    out = list(a)
    out[row] = a[-1] if ta else a[row]
    out[-1] = b[row] if tb else b[-1]
    return tuple(out)


for _label, _a, _b, _ta, _tb, _alpha, _axis in _PRODUCTS:
    _params = _nondefault(transpose_a=_ta, transpose_b=_tb, alpha=_alpha, axis=_axis)
    add(
        "_linalg_gemm2",
        Case(floats(_a, _b), _params, _gemm(_ta, _tb, _alpha, axis=_axis), label=_label),
    )
    _c = _product_out_shape(_a, _b, _ta, _tb, _axis)
    add(
        "_linalg_gemm",
        Case(floats(_a, _b, _c), _params, _gemm(_ta, _tb, _alpha, axis=_axis), label=_label),
    )

add(
    "_linalg_gemm",
    Case(floats((2, 3), (3, 4), (2, 4)), {"beta": -0.5}, _gemm(beta=-0.5), label="beta"),
    Case(
        floats((2, 2, 3), (2, 3, 2), (2, 2, 2), dtype="float64"),
        {"alpha": 2.0, "beta": 0.0},
        _gemm(alpha=2.0, beta=0.0),
        label="float64-beta-0",
    ),
    Case(ints((2, 2), (2, 2), (2, 2)), label="int32-refused", grad=False),
)
add(
    "_linalg_gemm2",
    Case(floats((2, 3, 4), (2, 4, 3), dtype="float64"), reference=_gemm(), label="float64"),
    Case(floats((2, 2), (2, 2), dtype="float16"), label="float16-refused", grad=False),
    Case(ints((2, 2), (2, 2)), label="int32-refused", grad=False),
    # MXNet 1.x refuses zero-size arrays; neomx multiplies them as numpy does.
    Case(floats((0, 2, 3), (0, 3, 4)), reference=_gemm(), label="zero-batch", golden=False),
    # Over 512 input elements: the numeric gradient is checked along one random direction.
    Case(floats((2, 16, 20), (2, 20, 12)), reference=_gemm(), label="large"),
)
add_errors(
    "_linalg_gemm2",
    ErrorCase(floats((2, 3), (2, 4)), match=r"_linalg_gemm2.*\(2, 3\).*\(2, 4\).*sizes 3 and 2"),
    ErrorCase(floats((2, 2, 3), (3, 3, 4)), match=r"_linalg_gemm2.*\(2, 2, 3\).*\(3, 3, 4\)"),
    ErrorCase(floats((2, 2, 3), (3, 4)), match=r"_linalg_gemm2.*same rank"),
    ErrorCase(floats((3,), (3,)), match=r"_linalg_gemm2.*A must be a matrix.*\(3,\)"),
    ErrorCase(floats((2, 3, 4), (2, 4, 3)), {"axis": -1}, match=r"_linalg_gemm2.*axis=-1"),
    ErrorCase(floats((2, 3, 4), (2, 4, 3)), {"axis": 2}, match=r"_linalg_gemm2.*axis=2"),
    ErrorCase(floats((2, 3, 4), (2, 4, 3)), {"axis": -4}, match=r"_linalg_gemm2.*axis=-4"),
    ErrorCase(ints((2, 2), (2, 2)), match=r"_linalg_gemm2.*float32 and float64.*int32"),
)
add_errors(
    "_linalg_gemm",
    ErrorCase(
        floats((2, 3), (3, 4), (2, 3)), match=r"_linalg_gemm.*C has shape \(2, 3\).*\(2, 4\)"
    ),
    # C must have the result's shape exactly: MXNet does not broadcast it.
    ErrorCase(floats((2, 2, 3), (2, 3, 4), (1, 2, 4)), match=r"_linalg_gemm.*C has shape"),
    ErrorCase(floats((2, 3), (4, 3), (2, 4)), match=r"_linalg_gemm.*\(2, 3\).*\(4, 3\)"),
)


# ---- trmm, trsm ----------------------------------------------------------------------------


def triangular(a_shape, b_shape, lower=True, dtype="float32"):
    """A: triangular matrices with diagonal entries of magnitude in [1, 2) and small
    off-diagonal ones (well conditioned), the other triangle large noise that must not be
    read; B: uniform in [-1, 1)."""

    def make(rng):
        n = a_shape[-1]
        a = rng.uniform(-0.5, 0.5, size=a_shape)
        steps = np.arange(n)
        a[..., steps, steps] = rng.uniform(1, 2, size=a_shape[:-1]) * rng.choice(
            [-1.0, 1.0], size=a_shape[:-1]
        )
        kept = np.tril(np.ones((n, n), dtype=bool)) if lower else np.triu(np.ones((n, n), bool))
        a = np.where(kept, a, rng.uniform(-9, 9, size=a_shape))
        return [a.astype(dtype), rng.uniform(-1, 1, size=b_shape).astype(dtype)]

    return make


def _op_triangle(a, transpose, lower):
    t = np.tril(a) if lower else np.triu(a)
    return _swap(t) if transpose else t


def _trmm(transpose=False, rightside=False, lower=True, alpha=1.0):
    def reference(a, b):
        t = _op_triangle(a, transpose, lower)
        product = b @ t if rightside else t @ b
        return (alpha * product).astype(b.dtype)

    return reference


def _trsm(transpose=False, rightside=False, lower=True, alpha=1.0):
    def reference(a, b):
        inverse = np.linalg.inv(_op_triangle(a, transpose, lower).astype(np.float64))
        solved = b @ inverse if rightside else inverse @ b
        return (alpha * solved).astype(b.dtype)

    return reference


# (label, A shape, B shape, transpose, rightside, lower, alpha)
_TRIANGULAR = (
    ("lower", (3, 3), (3, 2), False, False, True, 1.0),
    ("upper", (3, 3), (3, 2), False, False, False, 1.0),
    ("transpose-alpha", (3, 3), (3, 2), True, False, True, 2.0),
    ("rightside", (3, 3), (2, 3), False, True, True, 1.0),
    ("rightside-upper-transpose", (3, 3), (2, 3), True, True, False, -0.5),
    ("batch", (2, 3, 3), (2, 3, 4), False, False, True, 1.0),
    ("batch-4d-rightside", (2, 2, 2, 2), (2, 2, 3, 2), False, True, False, 1.5),
    ("one-element", (1, 1), (1, 1), False, False, True, 1.0),
    ("batch-one-element", (3, 1, 1), (3, 2, 1), True, True, True, 1.0),
)
for _op, _reference in (("_linalg_trmm", _trmm), ("_linalg_trsm", _trsm)):
    for _label, _a, _b, _t, _r, _lower, _alpha in _TRIANGULAR:
        add(
            _op,
            Case(
                triangular(_a, _b, _lower),
                _nondefault(transpose=_t, rightside=_r, lower=_lower, alpha=_alpha),
                _reference(_t, _r, _lower, _alpha),
                label=_label,
            ),
        )
    add(
        _op,
        Case(
            triangular((2, 3, 3), (2, 3, 2), dtype="float64"),
            {"transpose": True},
            _reference(transpose=True),
            label="float64",
        ),
        Case(triangular((2, 2), (2, 2), dtype="float16"), label="float16-refused", grad=False),
    )
    _name = _op[len("_linalg_") :]
    add_errors(
        _op,
        ErrorCase(floats((2, 3), (3, 2)), match=rf"_linalg_{_name}.*A must hold square.*\(2, 3\)"),
        ErrorCase(floats((3, 3), (2, 3)), match=rf"_linalg_{_name}.*\(3, 3\).*\(2, 3\)"),
        ErrorCase(
            floats((3, 3), (3, 2)), {"rightside": True}, match=rf"_linalg_{_name}.*rightside"
        ),
        ErrorCase(floats((2, 3, 3), (3, 3, 2)), match=rf"_linalg_{_name}.*same rank and equal"),
        ErrorCase(floats((3, 3), (1, 3, 2)), match=rf"_linalg_{_name}.*same rank"),
        ErrorCase(ints((2, 2), (2, 2)), match=rf"_linalg_{_name}.*float32 and float64.*int32"),
    )

# A zero on the diagonal: BLAS divides by it and MXNet returns infinities; so does neomx.
add(
    "_linalg_trsm",
    Case(
        fixed([[1.0, 0.0], [2.0, 0.0]], [[1.0], [1.0]], dtype="float32"),
        reference=lambda a, b: np.array([[1.0], [-np.inf]], dtype=np.float32),
        label="singular",
        grad=False,
    ),
)


# ---- syrk ----------------------------------------------------------------------------------


def _syrk(transpose=False, alpha=1.0):
    def reference(a):
        product = _swap(a) @ a if transpose else a @ _swap(a)
        return (alpha * product).astype(a.dtype)

    return reference


add(
    "_linalg_syrk",
    Case(floats((2, 3)), reference=_syrk(), label="2d"),
    Case(floats((2, 3)), {"transpose": True, "alpha": 0.5}, _syrk(True, 0.5), label="transpose"),
    Case(floats((2, 3, 2)), {"alpha": -1.0}, _syrk(alpha=-1.0), label="batch"),
    Case(floats((2, 1, 3, 2), dtype="float64"), {"transpose": True}, _syrk(True), label="4d"),
    Case(floats((1, 1)), reference=_syrk(), label="one-element"),
    Case(ints((2, 2)), label="int32-refused", grad=False),
)
add_errors(
    "_linalg_syrk",
    ErrorCase(floats((3,)), match=r"_linalg_syrk.*matrix.*\(3,\)"),
    ErrorCase(ints((2, 2)), match=r"_linalg_syrk.*float32 and float64.*int32"),
)


# ---- extractdiag, makediag, extracttrian, maketrian ----------------------------------------


def _extractdiag(offset=0):
    def reference(a):
        n = a.shape[-1]
        cells = [(i, i + offset) for i in range(n) if 0 <= i + offset < n]
        return np.stack([a[..., i, j] for i, j in cells], axis=-1)

    return reference


def _makediag(offset=0):
    def reference(a):
        size = a.shape[-1] + abs(offset)
        out = np.zeros(a.shape[:-1] + (size, size), dtype=a.dtype)
        for k in range(a.shape[-1]):
            out[..., k + max(-offset, 0), k + max(offset, 0)] = a[..., k]
        return out

    return reference


def _triangle_cells(size, offset, lower):
    """MXNet's order: the lower triangle row by row, the upper one column by column."""
    if offset < 0 or (offset == 0 and lower):
        return [(i, j) for i in range(size) for j in range(size) if j <= i + offset]
    return [(i, j) for j in range(size) for i in range(size) if i <= j - offset]


def _extracttrian(offset=0, lower=True):
    def reference(a):
        cells = _triangle_cells(a.shape[-1], offset, lower)
        return np.stack([a[..., i, j] for i, j in cells], axis=-1)

    return reference


def _maketrian(offset=0, lower=True):
    def reference(a):
        m = int(round((np.sqrt(8 * a.shape[-1] + 1) - 1) / 2))
        size = m + abs(offset)
        out = np.zeros(a.shape[:-1] + (size, size), dtype=a.dtype)
        for k, (i, j) in enumerate(_triangle_cells(size, offset, lower)):
            out[..., i, j] = a[..., k]
        return out

    return reference


for _label, _shape, _offset in (
    ("main", (3, 3), 0),
    ("above", (4, 4), 1),
    ("below", (4, 4), -2),
    ("last", (3, 3), 2),
    ("batch", (2, 3, 3), 0),
    ("batch-4d-above", (2, 1, 3, 3), 1),
    ("one-element", (1, 1), 0),
):
    add(
        "_linalg_extractdiag",
        Case(floats(_shape), _nondefault(offset=_offset), _extractdiag(_offset), label=_label),
    )
for _label, _shape, _offset in (
    ("main", (3,), 0),
    ("above", (3,), 1),
    ("below", (2,), -2),
    ("batch", (2, 3), 0),
    ("batch-3d-below", (2, 2, 2), -1),
    ("one-element", (1,), 0),
):
    add(
        "_linalg_makediag",
        Case(floats(_shape), _nondefault(offset=_offset), _makediag(_offset), label=_label),
    )
for _label, _shape, _offset, _lower in (
    ("lower", (3, 3), 0, True),
    ("upper", (4, 4), 0, False),
    ("above", (4, 4), 1, True),
    ("below-lower-false", (4, 4), -1, False),
    ("last-upper", (3, 3), 2, True),
    ("batch", (2, 3, 3), 0, False),
    ("batch-4d", (2, 1, 2, 2), -1, True),
    ("one-element", (1, 1), 0, True),
):
    _params = _nondefault(offset=_offset, lower=_lower)
    add(
        "_linalg_extracttrian",
        Case(floats(_shape), _params, _extracttrian(_offset, _lower), label=_label),
    )
for _label, _shape, _offset, _lower in (
    ("lower", (6,), 0, True),
    ("upper", (6,), 0, False),
    ("above", (3,), 1, True),
    ("below-lower-false", (3,), -1, False),
    ("far-above", (1,), 2, True),
    ("batch", (2, 3), 0, False),
    ("batch-3d", (2, 2, 6), -1, True),
    ("one-element", (1,), 0, True),
):
    _params = _nondefault(offset=_offset, lower=_lower)
    add(
        "_linalg_maketrian",
        Case(floats(_shape), _params, _maketrian(_offset, _lower), label=_label),
    )
for _op, _shape, _reference in (
    ("_linalg_extractdiag", (2, 2), _extractdiag()),
    ("_linalg_makediag", (2,), _makediag()),
    ("_linalg_extracttrian", (2, 2), _extracttrian()),
    ("_linalg_maketrian", (3,), _maketrian()),
):
    add(
        _op,
        Case(floats(_shape, dtype="float64"), reference=_reference, label="float64"),
        Case(ints(_shape), label="int32-refused", grad=False),
    )
for _op in ("_linalg_extractdiag", "_linalg_extracttrian"):
    add_errors(
        _op,
        ErrorCase(floats((3, 4)), match=rf"{_op}.*square.*\(3, 4\)"),
        ErrorCase(floats((3,)), match=rf"{_op}.*matrix.*\(3,\)"),
        ErrorCase(floats((3, 3)), {"offset": 3}, match=rf"{_op}.*offset=3.*3x3"),
        ErrorCase(floats((3, 3)), {"offset": -4}, match=rf"{_op}.*offset=-4"),
        ErrorCase(ints((2, 2)), match=rf"{_op}.*float32 and float64.*int32"),
    )
add_errors(
    "_linalg_maketrian",
    ErrorCase(floats((4,)), match=r"_linalg_maketrian.*4 elements.*triangular number"),
    ErrorCase(floats((2, 5)), {"offset": 1}, match=r"_linalg_maketrian.*5 elements"),
)
add_errors(
    "_linalg_makediag",
    ErrorCase(ints((2,)), match=r"_linalg_makediag.*float32 and float64.*int32"),
)
