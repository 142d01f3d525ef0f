"""Cases of the reductions (sum, mean, prod, nansum, nanprod, max, min, norm, moments) and of
_broadcast_backward (the gradient of a broadcast; neomx only).

The references follow MXNet 1.9.1's dtype rules: the result keeps the input's dtype, integers
accumulate (and wrap) in it, integer means truncate toward zero, float16 accumulates in float32.
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
    nonzero,
)


def _axes(ndim, axis, exclude=False):
    """The axes MXNet reduces for ``axis`` (None or () = all) and ``exclude``."""
    if axis is None or axis == ():
        return tuple(range(ndim))
    chosen = {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(a for a in range(ndim) if (a in chosen) != exclude)


def _shaped(result, x, axes, keepdims):
    """``result`` (reduced axes kept) in MXNet's output shape: (1,) when nothing is left."""
    if keepdims:
        return result
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return result.reshape(shape or (1,))


def _accumulating(function):
    """``function`` in the input's dtype; float16 accumulates in float32."""

    def apply(x, axes):
        wide = np.float32 if x.dtype == np.float16 else x.dtype
        with np.errstate(all="ignore"):
            return function(x, axis=axes, keepdims=True, dtype=wide).astype(x.dtype)

    return apply


def _mean(x, axes):
    total = _accumulating(np.sum)(x, axes)
    count = int(np.prod([x.shape[a] for a in axes]))
    if x.dtype.kind in "iu":
        return np.fix(total / max(count, 1)).astype(x.dtype)
    with np.errstate(all="ignore"):
        return (total.astype(np.float64) / count).astype(x.dtype)


def _extremum(function):
    return lambda x, axes: function(x, axis=axes, keepdims=True)


_REDUCE = {
    "sum": _accumulating(np.sum),
    "mean": _mean,
    "prod": _accumulating(np.prod),
    "nansum": _accumulating(np.nansum),
    "nanprod": _accumulating(np.nanprod),
    "max": _extremum(np.max),
    "min": _extremum(np.min),
}


def _reduce(op, axis=None, keepdims=False, exclude=False):
    def reference(x):
        axes = _axes(x.ndim, axis, exclude)
        return _shaped(_REDUCE[op](x, axes), x, axes, keepdims)

    return reference


def distinct(*shapes, dtype="float32"):
    """Values at least 0.2 apart (no ties, even under a numeric-gradient step), random order."""

    def make(rng):
        arrays = []
        for shape in shapes:
            size = int(np.prod(shape))
            values = rng.permutation(size) * 0.25 - size * 0.125 + rng.uniform(0, 0.05, size)
            arrays.append(values.reshape(shape).astype(dtype))
        return arrays

    return make


# Ties, zeros and NaN, where the gradient rules show (golden files record MXNet's).
_TIES = [[1.0, 5.0, 5.0, -2.0], [7.0, 7.0, 7.0, 0.5]]
_NANS = [[1.0, np.nan, 3.0, 2.0], [np.nan, np.nan, -2.0, 0.5], [4.0, 0.25, 2.0, 1.0]]
_ZEROS = [[1.5, 0.0, 2.0, -0.5], [0.0, 3.0, 0.0, 2.0], [2.0, -1.0, 0.5, 3.0]]

for _op in _REDUCE:
    # No ties for the numeric gradient of max and min.
    _make = distinct if _op in ("max", "min") else floats
    add(
        _op,
        Case(_make((2, 3, 4)), reference=_reduce(_op), label="all"),
        Case(_make((2, 3, 4)), {"axis": 1}, _reduce(_op, 1), label="axis"),
        Case(
            _make((2, 3, 4)),
            {"axis": [0, 2], "keepdims": True},
            _reduce(_op, (0, 2), True),
            label="axes-keepdims",
        ),
        Case(
            _make((2, 3, 4)),
            {"axis": [1], "exclude": True},
            _reduce(_op, 1, False, True),
            label="exclude",
        ),
        Case(
            _make((2, 3, 4)),
            {"axis": -1, "keepdims": True},
            _reduce(_op, -1, True),
            label="negative-axis",
        ),
        Case(_make((2, 3, 4)), {"axis": [], "exclude": True}, _reduce(_op), label="exclude-empty"),
        Case(
            _make((2, 3)),
            {"axis": [0, 1], "exclude": True},
            _reduce(_op, (0, 1), False, True),
            label="exclude-all",
        ),
        Case(fixed([1.5]), reference=_reduce(_op), label="one-element"),
        Case(_make((3, 4), dtype="float64"), {"axis": 0}, _reduce(_op, 0), label="float64"),
        Case(
            fixed([[1.5, -2.25, 3.0], [0.5, 4.0, -1.0]], dtype="float16"),
            {"axis": 1},
            _reduce(_op, 1),
            label="float16",
            grad=False,
        ),
        Case(ints((3, 4)), {"axis": 1}, _reduce(_op, 1), label="int32", grad=False),
        Case(
            ints((2, 3), low=-3, high=4, dtype="int64"),
            reference=_reduce(_op),
            label="int64",
            grad=False,
        ),
        Case(
            fixed([100, 100, 100], dtype="int8"),
            reference=_reduce(_op),
            label="int8-wrapping",
            grad=False,
        ),
        Case(fixed(np.zeros((0, 3))), {"axis": 1}, _reduce(_op, 1), label="zero-size", grad=False),
        Case(fixed(_NANS), {"axis": 1}, _reduce(_op, 1), label="nan", grad=_op.startswith("nan")),
    )
    add_errors(
        _op,
        ErrorCase(floats((2, 3)), {"axis": 2}, match=rf"{_op}.*axis=2"),
        ErrorCase(floats((2, 3)), {"axis": -3}, match=rf"{_op}.*axis=-3"),
        ErrorCase(floats((2, 3)), {"axis": [1, -1]}, match=rf"{_op}.*axis=\(1, -1\)"),
    )
    if _op in ("max", "min"):
        # Every tied element gets the whole gradient (the golden files check MXNet's rule).
        add(_op, Case(fixed(_TIES), {"axis": 1}, _reduce(_op, 1), label="ties", grad=False))
        # The max of nothing: an error here and in MXNet 1.9.1 (golden only).
        add(_op, Case(fixed(np.zeros((0, 3))), label="zero-size-all", grad=False))
        add_errors(
            _op, ErrorCase(fixed(np.zeros((0, 3))), {"axis": 0}, match=rf"{_op}.*axis 0 of size 0")
        )
    else:
        add(
            _op,
            Case(
                fixed(np.zeros((2, 0))),
                {"axis": 1},
                _reduce(_op, 1),
                label="empty-reduction",
                grad=False,
            ),
            # MXNet 1.9.1 reduces a zero-size array over all axes (0, NaN or 1).
            Case(
                fixed(np.zeros((0, 3))), reference=_reduce(_op), label="zero-size-all", grad=False
            ),
        )

add(
    "sum",
    # MXNet accumulates float16 in float32: 4096 ones sum to 4096 (2048 in float16 steps).
    Case(
        fixed(np.ones(4096), dtype="float16"),
        reference=_reduce("sum"),
        label="float16-long",
        grad=False,
    ),
    # Over 512 elements: the numeric gradient is checked along one random direction.
    Case(floats((24, 30)), {"axis": 1}, _reduce("sum", 1), label="large", golden=False),
)
for _op in ("prod", "nanprod"):
    # The gradient is the product of the others, zeros included (MXNet: NaN at zeros).
    add(_op, Case(fixed(_ZEROS), {"axis": 1}, _reduce(_op, 1), label="zeros"))


def _norm(ord=2, axis=None, keepdims=False, out_dtype=None):
    def reference(x):
        axes = _axes(x.ndim, axis)
        wide = x.astype(np.float64)
        if ord == 1:
            result = np.abs(x).sum(axis=axes, keepdims=True, dtype=x.dtype)
            result = result.astype(np.float32).astype(x.dtype) if x.dtype == np.float16 else result
        else:
            # Scaled by the largest magnitude, so that 1e200 does not overflow when squared.
            scale = np.max(np.abs(wide), axis=axes, keepdims=True, initial=0.0)
            scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
            result = scale * np.sqrt(np.sum((wide / scale) ** 2, axis=axes, keepdims=True))
        dtype = np.dtype(out_dtype or x.dtype)
        if dtype.kind in "iu":
            result = np.trunc(result).astype(np.int64)
        return _shaped(result.astype(dtype), x, axes, keepdims)

    return reference


add(
    "norm",
    Case(floats((2, 3, 4)), reference=_norm(), label="all"),
    Case(nonzero((2, 3, 4)), {"ord": 1}, _norm(1), label="ord1"),
    Case(floats((2, 3, 4)), {"axis": 1}, _norm(axis=1), label="axis"),
    Case(nonzero((2, 3, 4)), {"ord": 1, "axis": [0, 2]}, _norm(1, (0, 2)), label="ord1-axes"),
    Case(floats((2, 3, 4)), {"axis": [2, 1]}, _norm(axis=(1, 2)), label="matrix-axes"),
    Case(
        floats((2, 3)),
        {"axis": -1, "keepdims": True},
        _norm(axis=-1, keepdims=True),
        label="keepdims",
    ),
    Case(floats((2, 3)), {"keepdims": True}, _norm(keepdims=True), label="all-keepdims"),
    Case(fixed([-1.5]), reference=_norm(), label="one-element"),
    Case(floats((3, 4), dtype="float64"), {"axis": 0}, _norm(axis=0), label="float64"),
    Case(
        fixed([[300, -400, 1], [2, 3, 4]], dtype="float16"),
        {"axis": 1},
        _norm(axis=1),
        label="float16",
        grad=False,
    ),
    Case(
        fixed([[3, -4, 1], [2, 0, -7]], dtype="int32"),
        {"ord": 1, "axis": 1},
        _norm(1, 1),
        label="int32-ord1",
    ),
    # MXNet truncates each step of its scaled integer algorithm (4 for sqrt(34)).
    Case(fixed([[1, -2, 2], [3, 0, -4]], dtype="int32"), reference=_norm(), label="int32"),
    # MXNet 1.9.1 fails whenever out_dtype differs from the input's dtype.
    Case(
        floats((2, 3)),
        {"out_dtype": "float64", "axis": 1},
        _norm(axis=1, out_dtype="float64"),
        label="out-dtype",
    ),
    # No numeric gradient: the check runs in float64, which out_dtype rounds to float32.
    Case(
        floats((2, 3)),
        {"out_dtype": "float32"},
        _norm(out_dtype="float32"),
        label="out-dtype-same",
        grad=False,
    ),
    # A zero norm has gradient 0 here (MXNet: NaN).
    Case(
        fixed([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]]),
        {"axis": 1},
        _norm(axis=1),
        label="zero-norm",
        grad=False,
    ),
    Case(
        fixed([[3e30, 4e30], [1e-30, -1e-30]]),
        {"axis": 1},
        _norm(axis=1),
        label="float32-range",
        grad=False,
    ),
    # No golden file: its backward meets inf * 0, which warns (an error under the tests).
    # MXNet 1.9.1 gives the same values (checked by hand): NaN propagates, inf wins.
    Case(
        fixed([[1.0, np.nan], [np.inf, 2.0], [-np.inf, np.nan]]),
        {"axis": 1},
        _norm(axis=1),
        label="nan-inf",
        grad=False,
        golden=False,
    ),
    Case(
        fixed([1e200, -1e200], dtype="float64"),
        reference=_norm(),
        label="float64-large",
        grad=False,
    ),
    Case(fixed(np.zeros((0, 3))), {"axis": 1}, _norm(axis=1), label="zero-size", grad=False),
)
add_errors(
    "norm",
    ErrorCase(floats((2, 3)), {"ord": 3}, match=r"norm.*ord=3"),
    ErrorCase(floats((2, 3)), {"axis": 2}, match=r"norm.*axis=2"),
    ErrorCase(floats((2, 3)), {"out_dtype": "uint8"}, match=r"norm.*out_dtype"),
)


def _moments(axes, keepdims=False):
    def reference(x):
        chosen = _axes(x.ndim, axes)
        mean = _mean(x, chosen)
        with np.errstate(all="ignore"):
            var = _mean((x - mean).astype(x.dtype) ** 2, chosen)
        return _shaped(mean, x, chosen, keepdims), _shaped(var, x, chosen, keepdims)

    return reference


add(
    "moments",
    Case(floats((2, 3, 4)), {"axes": [1]}, _moments(1), label="axis"),
    Case(
        floats((2, 3, 4)),
        {"axes": [0, 2], "keepdims": True},
        _moments((0, 2), True),
        label="axes-keepdims",
    ),
    Case(floats((2, 3)), {"axes": [0, 1]}, _moments((0, 1)), label="all"),
    Case(floats((2, 3)), {"axes": -1}, _moments(-1), label="negative-axis"),
    Case(fixed([2.5]), {"axes": 0}, _moments(0), label="one-element"),
    Case(floats((3, 4), dtype="float64"), {"axes": 0}, _moments(0), label="float64"),
    Case(
        fixed([[1.5, -2.25, 3.0], [0.5, 4.0, -1.0]], dtype="float16"),
        {"axes": 1},
        _moments(1),
        label="float16",
        grad=False,
    ),
    Case(
        fixed([[1, 5, 2], [7, 0, 7], [-1, -4, 0]], dtype="int32"),
        {"axes": 1},
        _moments(1),
        label="int32",
        grad=False,
    ),
    Case(fixed(np.zeros((0, 3))), {"axes": 1}, _moments(1), label="zero-size", grad=False),
    Case(
        fixed(np.zeros((0, 3))),
        {"axes": [0, 1]},
        _moments((0, 1)),
        label="zero-size-all",
        grad=False,
    ),
)
add_errors(
    "moments",
    ErrorCase(floats((2, 3)), match=r"moments.*axes is empty"),
    ErrorCase(floats((2, 3)), {"axes": 2}, match=r"moments.*axis=2"),
)


def _reduce_to(data, like):
    extra = data.ndim - like.ndim
    summed = data.sum(axis=tuple(range(extra))) if extra else data
    axes = tuple(i for i, d in enumerate(like.shape) if d == 1 and summed.shape[i] != 1)
    return summed.sum(axis=axes, keepdims=True).astype(data.dtype) if axes else summed.copy()


NEOMX_ONLY.add("_broadcast_backward")
MIXED_DTYPES_OK.add("_broadcast_backward")
add(
    "_broadcast_backward",
    Case(floats((2, 3), (1, 3)), reference=_reduce_to, label="rows"),
    Case(floats((2, 3, 4), (3, 1)), reference=_reduce_to, label="leading-and-inner"),
    Case(floats((2, 3), (2, 3)), reference=_reduce_to, label="same"),
)
