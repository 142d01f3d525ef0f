"""Cases of sum and of _broadcast_backward (the gradient of a broadcast; neomx only)."""

import numpy as np

from .case import MIXED_DTYPES_OK, NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed, floats


def _sum(axis=None, keepdims=False):
    def reference(x):
        result = np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        # MXNet returns shape (1,) for a full reduction.
        return np.asarray(result).reshape(result.shape or (1,))

    return reference


add(
    "sum",
    Case(floats((2, 3, 4)), reference=_sum(), label="all"),
    Case(floats((2, 3, 4)), {"axis": 1}, _sum(1), label="axis"),
    Case(
        floats((2, 3, 4)),
        {"axis": [0, 2], "keepdims": True},
        _sum((0, 2), True),
        label="axes-keepdims",
    ),
    Case(floats((2, 3, 4)), {"axis": [1], "exclude": True}, _sum((0, 2)), label="exclude"),
    Case(floats((2, 3, 4)), {"axis": -1, "keepdims": True}, _sum(-1, True), label="negative-axis"),
    Case(floats((2, 3, 4)), {"axis": [], "exclude": True}, _sum(), label="exclude-empty"),
    Case(fixed([1.5]), reference=_sum(), label="one-element"),
    Case(fixed([100, 100], dtype="int8"), label="int8-wrapping", grad=False),
    Case(fixed(np.zeros((0, 3))), label="zero-size", grad=False),
)
add_errors("sum", ErrorCase(floats((2, 3)), {"axis": 2}, match=r"sum.*axis=2"))


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
