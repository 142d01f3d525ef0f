"""Cases of the shape operators: Reshape, Flatten, expand_dims, transpose, broadcast_to,
broadcast_like, reshape_like, tile."""

import numpy as np

from .case import MIXED_DTYPES_OK, Case, ErrorCase, add, add_errors, fixed, floats


def _reshaped(shape):
    return lambda x: x.reshape(shape)


# (input shape, params, expected output shape): MXNet's special codes 0, -1, -2, -3, -4.
_RESHAPES = [
    ((2, 3, 4), {"shape": [4, 6]}, (4, 6), "plain"),
    ((2, 3, 4), {"shape": [0, -1]}, (2, 12), "copy-infer"),
    ((2, 3, 4), {"shape": [-2]}, (2, 3, 4), "rest"),
    ((2, 3, 4), {"shape": [0, -2]}, (2, 3, 4), "copy-rest"),
    ((2, 3, 4), {"shape": [-3, 4]}, (6, 4), "merge"),
    ((2, 3, 4), {"shape": [-4, 1, 2, -3]}, (1, 2, 12), "split-merge"),
    ((2, 3, 4), {"shape": [-4, -1, 2, -2]}, (1, 2, 3, 4), "split-infer"),
    ((10, 5, 4), {"shape": [-1, 0], "reverse": True}, (50, 4), "reverse"),
    ((2, 3, 4), {"target_shape": [6, 0]}, (6, 4), "legacy-target-shape"),
    ((1,), {"shape": [1, 1]}, (1, 1), "one-element"),
]
add(
    "Reshape",
    *(
        Case(floats(src), params, _reshaped(out), label=label)
        for src, params, out, label in _RESHAPES
    ),
)
add_errors(
    "Reshape",
    ErrorCase(floats((2, 3)), {"shape": [4, 4]}, match=r"Reshape.*\(2, 3\).*\(4, 4\)"),
    ErrorCase(floats((2, 3)), {"shape": [-1, -1]}, match=r"Reshape.*-1"),
    ErrorCase(floats((2, 3)), {"shape": [-4, 4, -1]}, match=r"Reshape.*-4"),
    ErrorCase(floats((2, 3)), {"shape": [-7]}, match=r"Reshape.*invalid code"),
)

add(
    "Flatten",
    Case(floats((2, 3, 4)), reference=lambda x: x.reshape(2, 12), label="3d"),
    Case(floats((3,)), reference=lambda x: x.reshape(3, 1), label="1d"),
    Case(floats((1, 1)), reference=lambda x: x.reshape(1, 1), label="one-element"),
)

add(
    "expand_dims",
    Case(floats((2, 3)), {"axis": 1}, lambda x: np.expand_dims(x, 1), label="middle"),
    Case(floats((2, 3)), {"axis": -1}, lambda x: np.expand_dims(x, -1), label="negative"),
    Case(floats((1,)), {"axis": 0}, lambda x: np.expand_dims(x, 0), label="one-element"),
)
add_errors("expand_dims", ErrorCase(floats((2, 3)), {"axis": 3}, match=r"expand_dims.*axis"))

add(
    "transpose",
    Case(floats((2, 3, 4)), reference=np.transpose, label="reverse"),
    Case(
        floats((2, 3, 4)), {"axes": [1, 0, 2]}, lambda x: np.transpose(x, (1, 0, 2)), label="axes"
    ),
    Case(
        floats((2, 3, 4)),
        {"axes": [-1, 0, 1]},
        lambda x: np.transpose(x, (2, 0, 1)),
        label="negative-axes",
    ),
    Case(floats((1, 1)), reference=np.transpose, label="one-element"),
)
add_errors("transpose", ErrorCase(floats((2, 3)), {"axes": [0, 0]}, match=r"transpose.*axes"))

add(
    "broadcast_to",
    Case(floats((1, 3)), {"shape": [2, 3]}, lambda x: np.broadcast_to(x, (2, 3)), label="rows"),
    Case(
        floats((2, 1, 1)),
        {"shape": [0, 3, 4]},
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        label="keep-with-0",
    ),
    Case(floats((1,)), {"shape": [1]}, lambda x: x.copy(), label="one-element"),
)
add_errors(
    "broadcast_to",
    ErrorCase(floats((2, 3)), {"shape": [4, 3]}, match=r"broadcast_to.*\(2, 3\).*axis 0"),
    ErrorCase(floats((2, 3)), {"shape": [2, 3, 1]}, match=r"broadcast_to.*axes"),
)

MIXED_DTYPES_OK.update({"broadcast_like", "reshape_like"})
add(
    "broadcast_like",
    Case(
        floats((1, 3), (2, 3)),
        reference=lambda x, y: np.broadcast_to(x, y.shape),
        label="same-ndim",
    ),
    Case(
        floats((2, 1), (5, 3)),
        {"lhs_axes": [1], "rhs_axes": [1]},
        lambda x, y: np.broadcast_to(x, (2, 3)),
        label="axes",
    ),
    Case(
        lambda rng: [np.ones((1, 2), "float32"), np.zeros((3, 2), "float64")],
        reference=lambda x, y: np.broadcast_to(x, y.shape),
        label="mixed-dtypes",
    ),
)
add_errors(
    "broadcast_like",
    ErrorCase(floats((2, 3), (4, 3)), match=r"broadcast_like.*\(2, 3\).*axis 0"),
    ErrorCase(floats((2, 3), (2, 3, 1)), match=r"broadcast_like.*ndim"),
)

add(
    "reshape_like",
    Case(floats((2, 3), (3, 2)), reference=lambda x, y: x.reshape(y.shape), label="whole"),
    Case(
        floats((6, 4), (2, 3, 5)),
        {"lhs_begin": 0, "lhs_end": 1, "rhs_begin": 0, "rhs_end": 2},
        lambda x, y: x.reshape(2, 3, 4),
        label="ranges",
    ),
    Case(
        lambda rng: [np.ones((2, 3), "float32"), np.zeros((6,), "int32")],
        reference=lambda x, y: x.reshape(y.shape),
        label="mixed-dtypes",
    ),
)
add_errors(
    "reshape_like",
    ErrorCase(floats((2, 3), (4, 2)), match=r"reshape_like.*\(2, 3\).*\(4, 2\)"),
)

add(
    "tile",
    Case(floats((2, 3)), {"reps": [2, 2]}, lambda x: np.tile(x, (2, 2)), label="2d"),
    Case(floats((2, 3)), {"reps": [2]}, lambda x: np.tile(x, 2), label="fewer-reps"),
    Case(floats((2, 3)), {"reps": [2, 1, 2]}, lambda x: np.tile(x, (2, 1, 2)), label="more-reps"),
    Case(fixed([1.5]), {"reps": [3]}, lambda x: np.tile(x, 3), label="one-element"),
)
add_errors("tile", ErrorCase(floats((2, 3)), {"reps": [0, 2]}, match=r"tile.*reps"))
