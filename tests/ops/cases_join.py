"""Cases of concat, stack, split, slice, slice_axis, _slice_assign, _slice_assign_scalar."""

import numpy as np

from .case import Case, ErrorCase, add, add_errors, fixed, floats

add(
    "Concat",
    Case(floats((2, 3), (2, 1)), {"dim": 1}, lambda *xs: np.concatenate(xs, 1), label="dim1"),
    Case(
        floats((1, 3), (2, 3), (3, 3)),
        {"dim": 0},
        lambda *xs: np.concatenate(xs, 0),
        label="three-dim0",
    ),
    Case(
        floats((2, 2, 1), (2, 2, 3)),
        {"dim": -1},
        lambda *xs: np.concatenate(xs, -1),
        label="negative-dim",
    ),
    Case(floats((1, 1)), {"dim": 0}, lambda x: x.copy(), label="one-input"),
)
add_errors(
    "Concat",
    ErrorCase(floats((2, 3), (3, 3)), {"dim": 1}, match=r"Concat.*arg1.*\(3, 3\)"),
    ErrorCase(floats((2, 3), (2, 3)), {"dim": 2}, match=r"Concat.*dim"),
)
add(
    "_rnn_param_concat",
    Case(floats((6,), (4,)), {"dim": 0}, lambda *xs: np.concatenate(xs, 0), label="vectors"),
    Case(floats((2, 3), (2, 1)), {"dim": 1}, lambda *xs: np.concatenate(xs, 1), label="dim1"),
)

add(
    "stack",
    Case(floats((2, 3), (2, 3)), {"axis": 0}, lambda *xs: np.stack(xs, 0), label="axis0"),
    Case(
        floats((2, 3), (2, 3), (2, 3)),
        {"axis": -1},
        lambda *xs: np.stack(xs, -1),
        label="three-last",
    ),
    Case(floats((1,)), {"axis": 1}, lambda x: np.stack([x], 1), label="one-element"),
)
add_errors("stack", ErrorCase(floats((2, 3), (3, 2)), match=r"stack.*arg1.*\(3, 2\)"))


def _split(parts, axis, squeeze=False):
    def reference(x):
        pieces = np.split(x, parts, axis=axis)
        pieces = [np.squeeze(p, axis=axis) for p in pieces] if squeeze else pieces
        return pieces[0] if parts == 1 else tuple(pieces)

    return reference


add(
    "SliceChannel",
    Case(floats((2, 6)), {"num_outputs": 3}, _split(3, 1), label="axis1"),
    Case(floats((4, 3)), {"num_outputs": 2, "axis": 0}, _split(2, 0), label="axis0"),
    Case(
        floats((2, 3, 2)),
        {"num_outputs": 3, "axis": -2, "squeeze_axis": True},
        _split(3, -2, squeeze=True),
        label="squeeze",
    ),
    Case(floats((2, 3)), {"num_outputs": 1}, _split(1, 1), label="one-output"),
)
add_errors(
    "SliceChannel",
    ErrorCase(floats((2, 5)), {"num_outputs": 3}, match=r"SliceChannel.*num_outputs=3"),
    ErrorCase(
        floats((2, 4)),
        {"num_outputs": 2, "squeeze_axis": True},
        match=r"SliceChannel.*squeeze_axis",
    ),
)


def _sliced(*index):
    return lambda x: x[index]


add(
    "slice",
    Case(
        floats((3, 4)),
        {"begin": [1, 0], "end": [3, 3]},
        _sliced(slice(1, 3), slice(0, 3)),
        label="2d",
    ),
    Case(
        floats((2, 5)),
        {"begin": [None, 4], "end": [None, 0], "step": [None, -2]},
        _sliced(slice(None), slice(4, 0, -2)),
        label="negative-step",
    ),
    Case(
        floats((10,)),
        {"begin": [None], "end": [None], "step": [-1]},
        _sliced(slice(None, None, -1)),
        label="reverse",
    ),
    Case(
        floats((2, 3, 4)),
        {"begin": [0, -2], "end": [1, 100]},
        _sliced(slice(0, 1), slice(-2, 100)),
        label="clamped-partial",
    ),
    Case(
        floats((1, 1)),
        {"begin": [0, 0], "end": [1, 1]},
        _sliced(slice(0, 1), slice(0, 1)),
        label="one-element",
    ),
    Case(floats((2, 5)), {"begin": [0, 3], "end": [2, 1]}, label="selects-nothing", grad=False),
)
add_errors(
    "slice",
    ErrorCase(
        floats((2, 3)), {"begin": [0, 0], "end": [1, 1], "step": [1, 0]}, match=r"slice.*step"
    ),
    ErrorCase(floats((2, 3)), {"begin": [0, 0, 0], "end": [1, 1, 1]}, match=r"slice.*begin"),
)

add(
    "slice_axis",
    Case(
        floats((2, 5)),
        {"axis": 1, "begin": 1, "end": 4},
        _sliced(slice(None), slice(1, 4)),
        label="axis1",
    ),
    Case(
        floats((2, 5)),
        {"axis": -1, "begin": -3, "end": None},
        _sliced(slice(None), slice(-3, None)),
        label="negative",
    ),
    Case(floats((4, 2, 3)), {"axis": 0, "begin": 0, "end": 1}, _sliced(slice(0, 1)), label="axis0"),
)
add_errors(
    "slice_axis",
    ErrorCase(floats((2, 3)), {"axis": 2, "begin": 0, "end": 1}, match=r"slice_axis.*axis"),
)


def _assigned(index, value=None):
    def reference(lhs, rhs=None):
        result = lhs.copy()
        result[index] = rhs if rhs is not None else value
        return result

    return reference


add(
    "_slice_assign",
    Case(
        floats((3, 4), (2, 2)),
        {"begin": [1, 1], "end": [3, 3]},
        _assigned((slice(1, 3), slice(1, 3))),
        label="block",
    ),
    Case(
        floats((2, 5), (2, 2)),
        {"begin": [None, 4], "end": [None, 0], "step": [None, -2]},
        _assigned((slice(None), slice(4, 0, -2))),
        label="negative-step",
    ),
)
add_errors(
    "_slice_assign",
    ErrorCase(
        floats((3, 4), (2, 3)),
        {"begin": [1, 1], "end": [3, 3]},
        match=r"_slice_assign.*rhs.*\(2, 3\).*\(2, 2\)",
    ),
)
add(
    "_slice_assign_scalar",
    Case(
        floats((3, 4)),
        {"scalar": 2.5, "begin": [0, 1], "end": [2, 3]},
        _assigned((slice(0, 2), slice(1, 3)), 2.5),
        label="block",
    ),
    Case(
        floats((6,)),
        {"scalar": -1.0, "begin": [None], "end": [None], "step": [2]},
        _assigned((slice(None, None, 2),), -1.0),
        label="step",
    ),
    Case(
        fixed([[1, 2, 3]], dtype="int32"),
        {"scalar": 7.9, "begin": [0, 0], "end": [1, 2]},
        label="int32",
        grad=False,
    ),
)
