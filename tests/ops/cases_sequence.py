"""Cases of SequenceMask, SequenceLast and SequenceReverse."""

import numpy as np

from .case import MIXED_DTYPES_OK, Case, ErrorCase, add, add_errors, floats, ints

# The lengths may have any dtype (MXNet 1.9.1 casts them); only the data's dtype matters.
MIXED_DTYPES_OK.update({"SequenceMask", "SequenceLast", "SequenceReverse"})

LENGTHS = {"use_sequence_length": True}


def seq(data_shape, lengths, dtype="float32", length_dtype="int32"):
    """Random data of ``data_shape`` and the fixed ``lengths``.

    Numeric gradients perturb float lengths too: fractional ones (2.5) keep the truncated
    length fixed, so their numeric gradient is 0 as the registered one says.
    """

    def make(rng):
        data = rng.uniform(-1, 1, size=data_shape)
        if np.dtype(dtype).kind in "iu":
            data = rng.integers(-9, 10, size=data_shape)
        return [data.astype(dtype), np.array(lengths, dtype=length_dtype)]

    return make


def _mask(value=0.0, axis=0):
    def reference(data, lengths=None):
        out = data.copy()
        if lengths is None:
            return out
        steps_first = np.moveaxis(out, axis, 0)  # a view: writes land in ``out``
        for batch, length in enumerate(lengths):
            steps_first[max(int(length), 0) :, batch] = value
        return out

    return reference


def _last(axis=0):
    def reference(data, lengths=None):
        steps_first = np.moveaxis(data, axis, 0)
        if lengths is None:
            return steps_first[-1].copy()
        return np.stack([steps_first[int(n) - 1, b] for b, n in enumerate(lengths)])

    return reference


def _reverse(data, lengths=None):
    out = data.copy()
    for batch in range(data.shape[1]):
        n = data.shape[0] if lengths is None else int(lengths[batch])
        out[:n, batch] = data[:n, batch][::-1]
    return out


add(
    "SequenceMask",
    Case(floats((3, 2, 4)), reference=_mask(), label="no-lengths"),
    Case(seq((4, 3, 2), [1, 4, 2]), {**LENGTHS, "value": -1.0}, _mask(-1.0), label="axis0"),
    Case(seq((4, 3, 2), [0, 3, 5, 1]), {**LENGTHS, "axis": 1}, _mask(axis=1), label="axis1"),
    Case(seq((5, 3), [2, 5, 0]), {**LENGTHS, "value": 2.5}, _mask(2.5), label="2d"),
    Case(
        seq((3, 2, 2), [1.7, 2.5], length_dtype="float32"),
        LENGTHS,
        _mask(),
        label="fractional-lengths",
    ),
    Case(seq((1, 1, 1), [1]), LENGTHS, _mask(), label="one-element"),
    Case(seq((1, 1, 1), [0]), LENGTHS, _mask(), label="one-element-masked"),
    Case(
        seq((4, 2, 3), [3.5, 1.5], dtype="float64", length_dtype="float32"),
        LENGTHS,
        _mask(),
        label="float64",
    ),
    Case(
        seq((4, 2, 3), [3.5, 1.5], dtype="float16", length_dtype="float16"),
        {**LENGTHS, "axis": 0},
        _mask(),
        label="float16",
    ),
    Case(
        seq((3, 2, 2), [2, 0], dtype="int32"), {**LENGTHS, "value": 7.0}, _mask(7.0), label="int32"
    ),
    # MXNet 1.x refuses zero-size arrays (0 is an unknown dimension in its inference).
    Case(seq((0, 2, 3), [0, 0]), LENGTHS, _mask(), label="zero-size", golden=False),
)
add(
    "SequenceLast",
    # MXNet 1.9.1's backward without sequence_length sends the gradient to step 0 with
    # axis=0 and crashes with axis=1, so float cases without lengths get no golden file
    # (numeric gradients check them); the int32 ones record the forward.
    Case(floats((3, 2, 4)), reference=_last(), label="no-lengths", golden=False),
    Case(floats((2, 3, 4)), {"axis": 1}, _last(1), label="no-lengths-axis1", golden=False),
    Case(ints((3, 2, 4)), reference=_last(), label="no-lengths-int32"),
    Case(ints((2, 3, 4)), {"axis": 1}, _last(1), label="no-lengths-axis1-int32"),
    Case(seq((4, 3, 2), [1, 4, 2]), LENGTHS, _last(), label="axis0"),
    Case(seq((4, 3, 2), [3, 1, 2, 3]), {**LENGTHS, "axis": 1}, _last(1), label="axis1"),
    Case(seq((5, 3), [2, 5, 1]), LENGTHS, _last(), label="2d"),
    Case(
        seq((3, 2, 2), [1.7, 2.5], length_dtype="float32"),
        LENGTHS,
        _last(),
        label="fractional-lengths",
    ),
    Case(seq((1, 1, 1), [1]), LENGTHS, _last(), label="one-element"),
    Case(
        seq((4, 2, 3), [3.5, 1.5], dtype="float64", length_dtype="float32"),
        LENGTHS,
        _last(),
        label="float64",
    ),
    Case(
        seq((4, 2, 3), [3.5, 1.5], dtype="float16", length_dtype="float16"),
        LENGTHS,
        _last(),
        label="float16",
    ),
    Case(seq((3, 2, 2), [2, 3], dtype="int32"), LENGTHS, _last(), label="int32"),
)
add(
    "SequenceReverse",
    Case(floats((3, 2, 4)), reference=_reverse, label="no-lengths"),
    Case(seq((4, 3, 2), [1, 4, 2]), LENGTHS, _reverse, label="lengths"),
    Case(seq((4, 3), [0, 3, 4]), LENGTHS, _reverse, label="2d-zero-length"),
    Case(
        seq((3, 2, 2), [1.7, 2.5], length_dtype="float32"),
        LENGTHS,
        _reverse,
        label="fractional-lengths",
    ),
    Case(seq((1, 1, 1), [1]), LENGTHS, _reverse, label="one-element"),
    Case(seq((0, 2), [0, 0]), LENGTHS, _reverse, label="zero-size", golden=False),
    Case(
        seq((4, 2, 3), [3.5, 2.5], dtype="float64", length_dtype="float32"),
        LENGTHS,
        _reverse,
        label="float64",
    ),
    Case(
        seq((4, 2, 3), [3.5, 2.5], dtype="float16", length_dtype="float16"),
        LENGTHS,
        _reverse,
        label="float16",
    ),
    Case(seq((3, 2, 2), [2, 3], dtype="int32"), LENGTHS, _reverse, label="int32"),
)

for _op in ("SequenceMask", "SequenceLast", "SequenceReverse"):
    add_errors(
        _op,
        ErrorCase(seq((3, 2, 4), [1, 2, 3]), LENGTHS, match=rf"{_op}.*sequence_length.*\(3,\)"),
        ErrorCase(floats((3,)), match=rf"{_op}.*data.*\(3,\).*2 dimensions"),
        ErrorCase(floats((3, 2, 4)), {"axis": 2}, match=rf"{_op}.*axis=2"),
        ErrorCase(seq((3, 2, 4), [1, 2]), match=rf"{_op}.*use_sequence_length=False"),
    )
add_errors(
    "SequenceReverse",
    ErrorCase(floats((3, 2, 4)), {"axis": 1}, match=r"SequenceReverse.*axis=1.*use 0"),
    ErrorCase(seq((3, 2, 4), [1, 4]), LENGTHS, match=r"SequenceReverse.*4.*outside \[0, 3\]"),
    ErrorCase(seq((3, 2, 4), [-1, 2]), LENGTHS, match=r"SequenceReverse.*-1.*outside"),
)
add_errors(
    "SequenceLast",
    ErrorCase(seq((3, 2, 4), [0, 2]), LENGTHS, match=r"SequenceLast.*0.*outside \[1, 3\]"),
    ErrorCase(
        seq((2, 3, 4), [1, 2, 3]),
        {**LENGTHS, "axis": 1},
        match=r"SequenceLast.*sequence_length.*\(3,\).*\(2,\)",
    ),
    ErrorCase(
        seq((2, 3, 4), [1, 4]), {**LENGTHS, "axis": 1}, match=r"SequenceLast.*4.*outside \[1, 3\]"
    ),
    ErrorCase(floats((0, 2)), match=r"SequenceLast.*empty sequence"),
)
