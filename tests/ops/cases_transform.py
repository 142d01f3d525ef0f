"""Cases of the element-moving operators: squeeze, SwapAxis, reverse, repeat, Pad,
depth_to_space, space_to_depth and diag."""

import numpy as np

from .case import Case, ErrorCase, add, add_errors, fixed, floats, ints


def _same(x):
    return x.copy()


# ---- squeeze ------------------------------------------------------------------------------

add(
    "squeeze",
    Case(floats((1, 2, 1, 3)), reference=np.squeeze, label="all"),
    Case(floats((1, 2, 1, 3)), {"axis": [0, 2]}, lambda x: np.squeeze(x, (0, 2)), label="axes"),
    Case(floats((1, 2, 1, 3)), {"axis": -2}, lambda x: np.squeeze(x, -2), label="negative-axis"),
    Case(floats((1, 2, 1, 3)), {"axis": []}, _same, label="no-axes"),
    Case(floats((1, 1, 1)), reference=lambda x: x.reshape(1), label="keeps-one-axis"),
    Case(floats((1,)), {"axis": 0}, _same, label="one-element"),
    Case(ints((2, 1, 3)), reference=np.squeeze, label="int32"),
    Case(floats((3, 1), dtype="float64"), reference=np.squeeze, label="float64"),
    Case(floats((1, 0, 1)), reference=np.squeeze, label="zero-size"),
    Case(fixed(2.5, dtype="float32"), reference=_same, label="0-d", golden=False),
)
add_errors(
    "squeeze",
    ErrorCase(floats((1, 2, 1)), {"axis": 3}, match=r"squeeze.*axis=3.*out of range"),
    ErrorCase(floats((1, 2, 1)), {"axis": 1}, match=r"squeeze.*axis 1.*size is 2"),
    ErrorCase(floats((1, 2, 1)), {"axis": [0, -3]}, match=r"squeeze.*axis 0 twice"),
)

# ---- SwapAxis -----------------------------------------------------------------------------

add(
    "SwapAxis",
    Case(floats((2, 3, 4)), {"dim1": 0, "dim2": 2}, lambda x: np.swapaxes(x, 0, 2), label="dims"),
    Case(
        floats((2, 3, 4)),
        {"dim1": -1, "dim2": 1},
        lambda x: np.swapaxes(x, -1, 1),
        label="negative",
    ),
    Case(floats((2, 3)), reference=_same, label="default-dims"),
    Case(ints((2, 3), dtype="int64"), {"dim1": 1}, np.transpose, label="int64"),
    Case(floats((1, 1)), {"dim2": 1}, np.transpose, label="one-element"),
    Case(floats((2, 0, 3)), {"dim2": 1}, lambda x: np.swapaxes(x, 0, 1), label="zero-size"),
)
add_errors(
    "SwapAxis",
    ErrorCase(floats((2, 3)), {"dim1": 2}, match=r"SwapAxis.*dim1=2.*out of range"),
    ErrorCase(floats((2, 3)), {"dim2": -3}, match=r"SwapAxis.*dim2=-3.*out of range"),
)

# ---- reverse ------------------------------------------------------------------------------

add(
    "reverse",
    Case(floats((2, 3, 4)), {"axis": [1]}, lambda x: np.flip(x, 1), label="axis"),
    Case(floats((2, 3, 4)), {"axis": [0, 2]}, lambda x: np.flip(x, (0, 2)), label="axes"),
    Case(floats((2, 3)), {"axis": [1, 1]}, _same, label="twice"),
    Case(floats((2, 3)), {"axis": [-1]}, lambda x: np.flip(x, -1), label="negative-axis"),
    Case(ints((3, 2)), {"axis": [0]}, lambda x: np.flip(x, 0), label="int32"),
    Case(floats((4,), dtype="float16"), {"axis": [0]}, np.flip, label="float16"),
    Case(fixed([2.5], dtype="float32"), {"axis": [0]}, _same, label="one-element"),
    Case(floats((2, 0)), {"axis": [0]}, lambda x: np.flip(x, 0), label="zero-size"),
)
add_errors(
    "reverse",
    ErrorCase(floats((2, 3)), {"axis": [2]}, match=r"reverse.*axis=2.*out of range"),
)

# ---- repeat -------------------------------------------------------------------------------

add(
    "repeat",
    Case(floats((2, 3)), {"repeats": 2}, lambda x: np.repeat(x, 2), label="flat"),
    Case(floats((2, 3)), {"repeats": 3, "axis": 1}, lambda x: np.repeat(x, 3, 1), label="axis"),
    Case(
        floats((2, 3, 2)),
        {"repeats": 2, "axis": -2},
        lambda x: np.repeat(x, 2, -2),
        label="negative-axis",
    ),
    # MXNet 1.9.1 returns shape (0,) for repeats=0, whatever the axis.
    Case(floats((2, 3)), {"repeats": 0, "axis": 0}, lambda x: x.reshape(-1)[:0], label="zero"),
    Case(ints((2, 2), dtype="int8"), {"repeats": 2}, lambda x: np.repeat(x, 2), label="int8"),
    Case(
        fixed([1.5], dtype="float32"),
        {"repeats": 3},
        lambda x: np.repeat(x, 3),
        label="one-element",
    ),
    Case(
        floats((0, 3)), {"repeats": 2, "axis": 1}, lambda x: np.repeat(x, 2, 1), label="zero-size"
    ),
)
add_errors(
    "repeat",
    ErrorCase(floats((2, 3)), {"repeats": -1}, match=r"repeat.*repeats=-1.*negative"),
    ErrorCase(floats((2, 3)), {"repeats": 2, "axis": 2}, match=r"repeat.*axis=2.*out of range"),
)

# ---- Pad ----------------------------------------------------------------------------------


def _pad(mode, widths, value=0.0):
    pairs = list(zip(widths[::2], widths[1::2]))

    def reference(x):
        if mode == "constant":
            with np.errstate(over="ignore"):
                fill = np.array(value).astype(x.dtype)
            return np.pad(x, pairs, mode="constant", constant_values=fill)
        return np.pad(x, pairs, mode=mode)

    return reference


def _pad_case(shape, mode, widths, label, value=None, dtype="float32", grad=True):
    params = {"mode": mode, "pad_width": list(widths)}
    if value is not None:
        params["constant_value"] = value
    reference = _pad(mode, widths, value or 0.0)
    return Case(floats(shape, dtype=dtype), params, reference, label=label, grad=grad)


_W4 = (0, 0, 0, 0, 1, 2, 2, 1)
_W5 = (0, 0, 0, 0, 1, 1, 2, 0, 1, 2)
add(
    "Pad",
    _pad_case((2, 3, 4, 5), "constant", _W4, "constant", value=1.5),
    _pad_case((2, 3, 4, 5), "edge", _W4, "edge"),
    _pad_case((2, 3, 4, 5), "reflect", _W4, "reflect"),
    _pad_case((1, 2, 3, 3, 4), "constant", _W5, "constant-5d"),
    _pad_case((1, 2, 3, 3, 4), "edge", _W5, "edge-5d"),
    _pad_case((1, 2, 3, 3, 4), "reflect", _W5, "reflect-5d"),
    _pad_case((1, 1, 3, 2), "reflect", (0, 0, 0, 0, 2, 2, 1, 0), "reflect-widest"),
    _pad_case((1, 2, 2, 3), "edge", _W4, "float64", dtype="float64"),
    # The padding value overflows float16 to infinity, as C++ casts do. No numeric gradient:
    # in the float64 check the 1e6 border swamps the differences of the small inputs.
    _pad_case(
        (1, 1, 2, 2), "constant", _W4, "float16-overflow", value=1e6, dtype="float16", grad=False
    ),
    _pad_case((1, 1, 1, 1), "edge", (0, 0, 0, 0, 1, 1, 1, 1), "one-element"),
    _pad_case((0, 1, 2, 2), "constant", _W4, "zero-size"),
    # MXNet 1.9.1 pads only floating-point arrays: the golden file records its error.
    Case(
        ints((1, 1, 2, 2)), {"mode": "constant", "pad_width": list(_W4)}, label="int32", grad=False
    ),
)
add_errors(
    "Pad",
    ErrorCase(
        floats((2, 3, 4)),
        {"mode": "edge", "pad_width": [0, 0, 0, 0, 1, 1]},
        match=r"Pad.*4-D and 5-D.*\(2, 3, 4\)",
    ),
    ErrorCase(
        floats((1, 1, 2, 2)),
        {"mode": "edge", "pad_width": [0, 0, 0, 0, 1, 1]},
        match=r"Pad.*pad_width.*8 values",
    ),
    ErrorCase(
        floats((1, 1, 2, 2)),
        {"mode": "edge", "pad_width": [0, 0, 1, 0, 1, 1, 1, 1]},
        match=r"Pad.*axis 0 or 1",
    ),
    ErrorCase(
        floats((1, 1, 2, 2)),
        {"mode": "constant", "pad_width": [0, 0, 0, 0, -1, 1, 0, 0]},
        match=r"Pad.*non-negative",
    ),
    ErrorCase(
        floats((1, 1, 2, 3)),
        {"mode": "reflect", "pad_width": [0, 0, 0, 0, 2, 0, 0, 0]},
        match=r"Pad.*reflect.*axis 2.*smaller than its size 2",
    ),
    ErrorCase(
        floats((1, 1, 0, 3)),
        {"mode": "edge", "pad_width": [0, 0, 0, 0, 1, 0, 0, 0]},
        match=r"Pad.*axis 2.*empty",
    ),
    ErrorCase(
        ints((1, 1, 2, 2)),
        {"mode": "constant", "pad_width": [0, 0, 0, 0, 1, 1, 1, 1]},
        match=r"Pad.*floating-point.*int32",
    ),
)

# ---- depth_to_space, space_to_depth -------------------------------------------------------


def _depth_to_space(block):
    def reference(x):
        n, c, h, w = x.shape
        depth = c // (block * block)
        out = np.empty((n, depth, h * block, w * block), x.dtype)
        for i in range(block):
            for j in range(block):
                # Channel block (i, j) fills the pixels at offset (i, j) of each block.
                channels = x[:, (i * block + j) * depth : (i * block + j + 1) * depth]
                out[:, :, i::block, j::block] = channels
        return out

    return reference


def _space_to_depth(block):
    def reference(x):
        n, c, h, w = x.shape
        out = np.empty((n, c * block * block, h // block, w // block), x.dtype)
        for i in range(block):
            for j in range(block):
                out[:, (i * block + j) * c : (i * block + j + 1) * c] = x[:, :, i::block, j::block]
        return out

    return reference


for _op, _ref, _shapes in (
    ("depth_to_space", _depth_to_space, ((1, 8, 2, 3), (2, 9, 1, 2), (0, 4, 1, 1))),
    ("space_to_depth", _space_to_depth, ((1, 2, 4, 6), (2, 1, 3, 6), (0, 1, 2, 2))),
):
    block_shape, block3_shape, empty_shape = _shapes
    add(
        _op,
        Case(floats(block_shape), {"block_size": 2}, _ref(2), label="block2"),
        Case(floats(block3_shape), {"block_size": 3}, _ref(3), label="block3"),
        Case(floats((1, 2, 2, 2)), {"block_size": 1}, _ref(1), label="block1"),
        Case(ints(block_shape), {"block_size": 2}, _ref(2), label="int32"),
        Case(floats((1, 1, 1, 1)), {"block_size": 1}, _ref(1), label="one-element"),
        Case(floats(empty_shape), {"block_size": 2}, _ref(2), label="zero-size"),
    )
    add_errors(
        _op,
        ErrorCase(floats(block_shape), {"block_size": 0}, match=rf"{_op}.*'block_size'"),
        ErrorCase(floats(block_shape[1:]), {"block_size": 2}, match=rf"{_op}.*4-D"),
        ErrorCase(floats((1, 2, 3, 3)), {"block_size": 2}, match=rf"{_op}.*multiple"),
    )

# ---- diag ---------------------------------------------------------------------------------


def _diagonal(k=0, axis1=0, axis2=1):
    return lambda x: np.diagonal(x, k, axis1, axis2).copy()


add(
    "diag",
    Case(floats((3, 4)), reference=_diagonal(), label="matrix"),
    Case(floats((3, 4)), {"k": 1}, _diagonal(1), label="above"),
    Case(floats((3, 4)), {"k": -2}, _diagonal(-2), label="below"),
    Case(floats((3, 4)), {"k": 4}, _diagonal(4), label="k-at-edge"),
    Case(floats((3,)), reference=np.diag, label="vector"),
    Case(floats((3,)), {"k": -1}, lambda x: np.diag(x, -1), label="vector-below"),
    Case(
        floats((2, 3, 4)),
        {"k": 1, "axis1": -2, "axis2": -1},
        _diagonal(1, -2, -1),
        label="3d-last-axes",
    ),
    Case(
        floats((2, 3, 4)),
        {"k": -1, "axis1": 2, "axis2": 0},
        _diagonal(-1, 2, 0),
        label="3d-swapped-axes",
    ),
    Case(floats((2, 3, 2, 2)), {"k": -1, "axis1": 1, "axis2": 3}, _diagonal(-1, 1, 3), label="4d"),
    Case(ints((3, 3)), reference=_diagonal(), label="int32"),
    Case(fixed([5.0], dtype="float32"), reference=np.diag, label="one-element"),
    Case(fixed([[5.0]], dtype="float32"), {"k": 1}, _diagonal(1), label="one-element-above"),
    Case(floats((0, 3)), reference=_diagonal(), label="zero-size"),
)
add_errors(
    "diag",
    ErrorCase(floats((2, 3)), {"k": 5}, match=r"diag.*k=5.*does not exist"),
    ErrorCase(floats((2, 3)), {"k": -3}, match=r"diag.*k=-3.*does not exist"),
    ErrorCase(floats((2, 3, 4)), {"axis1": 1, "axis2": -2}, match=r"diag.*same axis"),
    ErrorCase(floats((2, 3, 4)), {"axis1": 3}, match=r"diag.*axis1=3.*out of range"),
    ErrorCase(fixed(1.0, dtype="float32"), match=r"diag.*at least one axis"),
)
