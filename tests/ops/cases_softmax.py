"""Cases of softmax, log_softmax, softmin, SoftmaxActivation and their backward operators
(neomx/ops/nn/softmax.py).

Beyond the axes, temperatures and output dtypes, the inputs exercise the CPU kernel's three
paths: moderate values (no shift), large ones (shifted by the global maximum) and rows far
apart (the exact fallback). MXNet 1.9.1's log_softmax and softmin fail with use_length=True,
and its softmax reads past a row for lengths beyond the axis, so those cases have no golden
files. neomx's backward operators take (ograd, output[, length]) and the forward's parameters
(MXNet's differ), so they are neomx-only.
"""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed, floats

NEOMX_ONLY.update({"_backward_softmax", "_backward_log_softmax", "_backward_softmin"})


def _valid(shape, axis, length):
    """True before each row's length along ``axis`` (lengths clipped to the axis)."""
    size = shape[axis]
    positions = np.arange(size).reshape((size,) + (1,) * (len(shape) - 1 - axis))
    return positions < np.expand_dims(np.clip(length, 0, size), axis)


def _reference(kind="softmax", axis=-1, temperature=None, dtype=None):
    """softmax / log_softmax / softmin in float64, then cast as the operator's output."""

    def reference(x, length=None):
        wide = x.astype(np.float64) / (1.0 if temperature is None else temperature)
        if kind == "softmin":
            wide = -wide
        ax = axis % x.ndim
        valid = np.ones(x.shape, bool) if length is None else _valid(x.shape, ax, length)
        masked = np.where(valid, wide, -np.inf)
        top = masked.max(axis=ax, keepdims=True)
        shifted = masked - np.where(np.isfinite(top), top, 0.0)
        total = np.exp(shifted).sum(axis=ax, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = shifted - np.log(total) if kind == "log_softmax" else np.exp(shifted) / total
        return np.where(valid, result, 0.0).astype(dtype or x.dtype)

    return reference


def _with_length(data_shape, axis=-1, length_dtype="int32", low=0, high=None):
    """Data and a length per row along ``axis``, in [low, high] (default [0, size])."""

    def make(rng):
        data = rng.uniform(-2, 2, size=data_shape).astype("float32")
        ax = axis % len(data_shape)
        rows = data_shape[:ax] + data_shape[ax + 1 :]
        top = data_shape[ax] if high is None else high
        return [data, rng.integers(low, top + 1, size=rows).astype(length_dtype)]

    return make


def _rows_apart(rng):
    """Rows whose maxima lie hundreds apart: the CPU kernel falls back to the exact path."""
    offsets = np.array([[0.0], [-500.0], [300.0]])
    return [(rng.uniform(-3, 3, size=(3, 5)) + offsets).astype("float32")]


def _large(rng):
    """Values above exp's float32 range: the CPU kernel shifts by the global maximum."""
    return [rng.uniform(50, 150, size=(4, 6)).astype("float32")]


for _kind in ("softmax", "log_softmax", "softmin"):
    _length_golden = _kind == "softmax"
    add(
        _kind,
        Case(floats((3, 5), low=-2, high=2), reference=_reference(_kind), label="2d"),
        Case(floats((3, 4)), {"axis": 0}, _reference(_kind, 0), label="axis0"),
        Case(floats((2, 3, 4)), {"axis": 1}, _reference(_kind, 1), label="3d-axis1"),
        Case(floats((2, 3, 4)), {"axis": -2}, _reference(_kind, -2), label="negative-axis"),
        Case(floats((3, 4), low=-3, high=3), {"temperature": 2.5},
             _reference(_kind, temperature=2.5), label="temperature"),
        Case(floats((3, 4), dtype="float64"), reference=_reference(_kind), label="float64"),
        Case(floats((3, 4), dtype="float16"), reference=_reference(_kind), label="float16",
             grad=False),
        Case(floats((3, 4)), {"dtype": "float64"}, _reference(_kind, dtype="float64"),
             label="to-float64"),
        Case(floats((3, 4), dtype="float16"), {"dtype": "float32"},
             _reference(_kind, dtype="float32"), label="float16-to-float32", grad=False),
        Case(_large, reference=_reference(_kind), label="large"),
        Case(_rows_apart, reference=_reference(_kind), label="rows-apart"),
        Case(fixed([[0.5]]), reference=_reference(_kind), label="one-element"),
        Case(floats((0, 4)), reference=_reference(_kind), label="zero-size", golden=False),
        Case(_with_length((2, 3, 4)), {"use_length": True}, _reference(_kind), label="length",
             golden=_length_golden),
        Case(_with_length((4, 3), axis=0, length_dtype="int64", low=1), {"axis": 0,
             "use_length": True}, _reference(_kind, 0), label="length-axis0",
             golden=_length_golden),
        Case(_with_length((2, 5), high=8), {"use_length": True}, _reference(_kind),
             label="length-beyond-axis", golden=False),
    )
    add_errors(
        _kind,
        ErrorCase(fixed([[1, 2]], dtype="int32"), match=rf"{_kind}.*floating.*int32"),
        ErrorCase(floats((2, 3)), {"axis": 2}, match=rf"{_kind}.*axis=2.*2 dimension"),
        ErrorCase(_with_length((2, 3), length_dtype="float32"), {"use_length": True},
                  match=rf"{_kind}.*length.*int32 or int64.*float32"),
        ErrorCase(lambda rng: [np.ones((2, 3), "float32"), np.ones((3,), "int32")],
                  {"use_length": True}, match=rf"{_kind}.*length.*\(3,\).*\(2,\)"),
        ErrorCase(_with_length((2, 3)), match=rf"{_kind}.*length.*use_length"),
    )
add(
    "softmax",
    Case(fixed([[-np.inf, 1.0, 2.0], [0.0, -np.inf, -np.inf]]), reference=_reference(),
         label="minus-infinity", grad=False),
)


# ---- backward operators -----------------------------------------------------------------------


def _backward_inputs(kind, shape, axis=-1, dtype="float32", with_length=False):
    """(ograd, output[, length]) with the output of the forward function."""

    def make(rng):
        ograd = rng.standard_normal(shape).astype(dtype)
        data = rng.uniform(-2, 2, size=shape).astype(dtype)
        arrays = [ograd, _reference(kind, axis)(data)]
        if with_length:
            ax = axis % len(shape)
            rows = shape[:ax] + shape[ax + 1 :]
            length = rng.integers(0, shape[ax] + 1, size=rows).astype("int32")
            arrays = [ograd, _reference(kind, axis)(data, length), length]
        return arrays

    return make


def _backward_reference(kind, axis=-1, temperature=None):
    def reference(ograd, output, length=None):
        dy, y = ograd.astype(np.float64), output.astype(np.float64)
        ax = axis % dy.ndim
        valid = np.ones(dy.shape, bool) if length is None else _valid(dy.shape, ax, length)
        dy = np.where(valid, dy, 0.0)
        scale = 1.0 / (1.0 if temperature is None else temperature)
        if kind == "log_softmax":
            grad = dy - np.exp(y) * dy.sum(axis=ax, keepdims=True)
        else:
            grad = y * (dy - (dy * y).sum(axis=ax, keepdims=True))
            scale = -scale if kind == "softmin" else scale
        return np.where(valid, grad * scale, 0.0).astype(ograd.dtype)

    return reference


for _kind in ("softmax", "log_softmax", "softmin"):
    _name = f"_backward_{_kind}"
    add(
        _name,
        Case(_backward_inputs(_kind, (3, 4)), reference=_backward_reference(_kind), label="2d"),
        Case(_backward_inputs(_kind, (3, 4), axis=0), {"axis": 0},
             _backward_reference(_kind, 0), label="axis0"),
        Case(_backward_inputs(_kind, (2, 3), dtype="float64"), {"temperature": 2.0},
             _backward_reference(_kind, temperature=2.0), label="temperature"),
        # Second-order gradients with a length are not supported.
        Case(_backward_inputs(_kind, (2, 3, 4), with_length=True), {"use_length": True},
             _backward_reference(_kind), label="length", grad=False),
        Case(lambda rng: [np.zeros((0, 3), "float32")] * 2,
             reference=_backward_reference(_kind), label="zero-size"),
    )


# ---- SoftmaxActivation ------------------------------------------------------------------------

add(
    "SoftmaxActivation",
    Case(floats((3, 5)), reference=_reference(), label="instance"),
    # MXNet 1.9.1's gradient here reduces along axis 1, not the last (a known difference).
    Case(floats((2, 3, 4)), reference=_reference(), label="instance-3d"),
    Case(floats((2, 3, 4)), {"mode": "channel"}, _reference(axis=1), label="channel"),
    Case(floats((2, 3, 2, 2)), {"mode": "channel"}, _reference(axis=1), label="channel-4d"),
    Case(floats((3, 4), dtype="float64"), reference=_reference(), label="float64"),
    Case(floats((0, 4)), reference=_reference(), label="zero-size", golden=False),
)
add_errors(
    "SoftmaxActivation",
    ErrorCase(floats((3, 4)), {"mode": "channel"}, match=r"SoftmaxActivation.*channel.*\(3, 4\)"),
    ErrorCase(fixed([[1, 2]], dtype="int32"), match=r"SoftmaxActivation.*floating.*int32"),
)
