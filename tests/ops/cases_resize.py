"""Cases of _contrib_BilinearResize2D, _contrib_AdaptiveAvgPooling2D and their backward
operators.

The bilinear reference interpolates one output pixel at a time from its four neighbours, with
source positions computed in float32 as MXNet 1.9.1 does; the adaptive reference averages each
window [floor(i * n / m), ceil((i + 1) * n / m)) explicitly.
"""

import numpy as np

from .case import MIXED_DTYPES_OK, NEOMX_ONLY, Case, ErrorCase, add, add_errors, floats, ints

# neomx's backward operators take (ograd, data); MXNet's differ.
NEOMX_ONLY.update({"_backward_contrib_BilinearResize2D", "_backward_contrib_AdaptiveAvgPooling2D"})


def _source(out_position, in_size, out_size, align_corners):
    """(below, above, weight of above) of one output position along one axis."""
    if out_size > 1:
        ratio = (in_size - 1) / (out_size - 1) if align_corners else in_size / out_size
    else:
        ratio = 0.0
    ratio = np.float32(ratio)
    if align_corners:
        real = ratio * np.float32(out_position)
    else:
        real = max(ratio * (np.float32(out_position) + np.float32(0.5)) - np.float32(0.5), 0)
    below = int(real)
    above = below + 1 if below < in_size - 1 else below
    return below, above, float(np.float32(real) - np.float32(below))


def resize(height, width, align_corners=True):
    """Bilinear resize to (height, width); ``height=None`` takes the size of ``like``."""

    def reference(x, like=None):
        out_h, out_w = (like.shape[2], like.shape[3]) if height is None else (height, width)
        n, c, in_h, in_w = x.shape
        if (in_h, in_w) == (out_h, out_w):
            return x.copy()
        out = np.zeros((n, c, out_h, out_w))
        wide = x.astype(np.float64)
        for i in range(out_h):
            top, bottom, down = _source(i, in_h, out_h, align_corners)
            for j in range(out_w):
                left, right, across = _source(j, in_w, out_w, align_corners)
                upper = (1 - across) * wide[:, :, top, left] + across * wide[:, :, top, right]
                lower = (1 - across) * wide[:, :, bottom, left] + across * wide[:, :, bottom, right]
                out[:, :, i, j] = (1 - down) * upper + down * lower
        return out.astype(x.dtype)

    return reference


def resize_backward(align_corners=True):
    def reference(ograd, x):
        n, c, in_h, in_w = x.shape
        out_h, out_w = ograd.shape[2:]
        if (in_h, in_w) == (out_h, out_w):
            return ograd.copy()
        grad = np.zeros(x.shape)
        for i in range(out_h):
            top, bottom, down = _source(i, in_h, out_h, align_corners)
            for j in range(out_w):
                left, right, across = _source(j, in_w, out_w, align_corners)
                head = ograd[:, :, i, j].astype(np.float64)
                grad[:, :, top, left] += (1 - down) * (1 - across) * head
                grad[:, :, top, right] += (1 - down) * across * head
                grad[:, :, bottom, left] += down * (1 - across) * head
                grad[:, :, bottom, right] += down * across * head
        return grad.astype(x.dtype)

    return reference


def _window(i, in_size, out_size):
    return slice(i * in_size // out_size, -(-(i + 1) * in_size // out_size))


def adaptive(height, width):
    def reference(x):
        n, c, in_h, in_w = x.shape
        out = np.zeros((n, c, height, width))
        for i in range(height):
            for j in range(width):
                window = x[:, :, _window(i, in_h, height), _window(j, in_w, width)]
                out[:, :, i, j] = window.astype(np.float64).mean(axis=(2, 3))
        return out.astype(x.dtype)

    return reference


def adaptive_backward():
    def reference(ograd, x):
        n, c, in_h, in_w = x.shape
        height, width = ograd.shape[2:]
        grad = np.zeros(x.shape)
        for i in range(height):
            for j in range(width):
                rows, cols = _window(i, in_h, height), _window(j, in_w, width)
                size = (rows.stop - rows.start) * (cols.stop - cols.start)
                grad[:, :, rows, cols] += ograd[:, :, i, j, None, None] / size
        return grad.astype(x.dtype)

    return reference


R = "_contrib_BilinearResize2D"
# Only the shape of mode='like''s second input matters; MXNet takes it in any dtype.
MIXED_DTYPES_OK.add(R)
add(
    R,
    Case(floats((2, 3, 3, 4)), {"height": 5, "width": 7}, resize(5, 7), label="up"),
    Case(
        floats((2, 3, 3, 4)),
        {"height": 5, "width": 7, "align_corners": False},
        resize(5, 7, False),
        label="up-half-pixel",
    ),
    Case(floats((2, 2, 6, 7)), {"height": 3, "width": 4}, resize(3, 4), label="down"),
    Case(
        floats((2, 2, 6, 7)),
        {"height": 4, "width": 3, "align_corners": False},
        resize(4, 3, False),
        label="down-half-pixel",
    ),
    Case(floats((1, 2, 4, 5)), {"height": 4, "width": 5}, resize(4, 5), label="same-size"),
    Case(floats((1, 2, 1, 1)), {"height": 3, "width": 2}, resize(3, 2), label="from-one-pixel"),
    Case(floats((1, 2, 4, 3)), {"height": 1, "width": 1}, resize(1, 1), label="to-one-pixel"),
    Case(
        floats((1, 2, 4, 3)),
        {"height": 1, "width": 5, "align_corners": False},
        resize(1, 5, False),
        label="one-row-half-pixel",
    ),
    # The scales set the size; the sampling positions follow from the sizes alone.
    Case(
        floats((1, 2, 5, 6)),
        {"scale_height": 1.5, "scale_width": 0.5},
        resize(7, 3),
        label="scale",
    ),
    # MXNet 1.9.1 ignores scale_width unless scale_height is given.
    Case(
        floats((1, 2, 5, 6)),
        {"height": 3, "width": 4, "scale_width": 2.0},
        resize(3, 4),
        label="lone-scale-width",
    ),
    Case(
        floats((1, 2, 5, 6)),
        {"mode": "odd_scale", "scale_height": 1.7, "scale_width": 2.5},
        resize(7, 15),
        label="odd-scale",
    ),
    Case(
        floats((1, 2, 5, 6), (3, 1, 4, 9)),
        {"mode": "like"},
        resize(None, None),
        label="like",
        grad_nodes=("data",),
    ),
    Case(floats((1, 2, 5, 6)), {"mode": "to_even_down"}, resize(4, 6), label="to-even-down"),
    Case(floats((1, 2, 5, 6)), {"mode": "to_even_up"}, resize(6, 6), label="to-even-up"),
    Case(floats((1, 2, 5, 6)), {"mode": "to_odd_down"}, resize(5, 5), label="to-odd-down"),
    Case(
        floats((1, 2, 5, 6)),
        {"mode": "to_odd_up", "align_corners": False},
        resize(5, 7, False),
        label="to-odd-up",
    ),
    Case(
        floats((2, 2, 3, 4), dtype="float64"),
        {"height": 5, "width": 2},
        resize(5, 2),
        label="float64",
    ),
    Case(
        floats((2, 2, 3, 4), dtype="float16"),
        {"height": 5, "width": 2},
        resize(5, 2),
        label="float16",
    ),
    # MXNet 1.x refuses zero-size arrays (0 is an unknown dimension in its inference).
    Case(
        floats((0, 2, 3, 4)),
        {"height": 5, "width": 2},
        resize(5, 2),
        label="zero-size",
        golden=False,
    ),
    # Recorded MXNet refusals: neomx must raise too.
    Case(floats((1, 2, 5, 6)), {"scale_height": 2.0}, label="lone-scale-height", grad=False),
    Case(ints((1, 2, 3, 3)), {"height": 2, "width": 2}, label="int32", grad=False),
)
add_errors(
    R,
    ErrorCase(
        floats((1, 2, 5, 6)),
        {"scale_height": 2.0},
        match=rf"{R}.*needs both scale_height and scale_width; scale_width is not given",
    ),
    ErrorCase(
        floats((1, 2, 5, 6)),
        {"mode": "odd_scale", "scale_width": 2.0},
        match=rf"{R}.*mode='odd_scale' needs both.*scale_height is not given",
    ),
    ErrorCase(floats((1, 2, 5, 6)), {"mode": "like"}, match=rf"{R}.*'like' is required"),
    ErrorCase(
        floats((1, 2, 5, 6), (1, 2, 3, 3)), {"height": 2}, match=rf"{R}.*only with mode='like'"
    ),
    ErrorCase(
        floats((1, 2, 5, 6), (2, 3)),
        {"mode": "like"},
        match=rf"{R}.*like has shape \(2, 3\); expected 4 dimensions",
    ),
    ErrorCase(
        floats((2, 5, 6)),
        {"height": 2, "width": 2},
        match=rf"{R}.*data has shape \(2, 5, 6\); expected 4 dimensions",
    ),
    ErrorCase(ints((1, 2, 3, 3)), {"height": 2, "width": 2}, match=rf"{R}.*int32.*floating"),
    ErrorCase(floats((1, 2, 3, 3)), {"height": 0, "width": 2}, match=rf"{R}.*'height'"),
    ErrorCase(
        floats((1, 2, 3, 3)),
        {"height": 40000, "width": 2},
        match=rf"{R}.*output height 40000.*\[0, 32767\]",
    ),
    ErrorCase(
        floats((1, 2, 5, 6)),
        {"scale_height": -1.0, "scale_width": 1.0},
        match=rf"{R}.*output height -5",
    ),
)

A = "_contrib_AdaptiveAvgPooling2D"
add(
    A,
    Case(floats((2, 3, 5, 7)), {"output_size": [2, 3]}, adaptive(2, 3), label="overlapping"),
    Case(floats((2, 3, 6, 4)), {"output_size": [3, 2]}, adaptive(3, 2), label="exact"),
    Case(floats((1, 2, 3, 4)), {"output_size": [5, 6]}, adaptive(5, 6), label="larger"),
    Case(floats((1, 2, 5, 4)), {"output_size": 3}, adaptive(3, 3), label="one-size"),
    Case(floats((2, 3, 4, 5)), {}, adaptive(1, 1), label="default"),
    # MXNet 1.9.1 pools to (1, 1) when given three or more sizes.
    Case(floats((1, 2, 4, 5)), {"output_size": [2, 3, 4]}, adaptive(1, 1), label="three-sizes"),
    Case(
        floats((1, 2, 5, 7), dtype="float64"),
        {"output_size": [3, 4]},
        adaptive(3, 4),
        label="float64",
    ),
    Case(
        floats((1, 2, 5, 7), dtype="float16"),
        {"output_size": [3, 4]},
        adaptive(3, 4),
        label="float16",
    ),
    Case(floats((0, 2, 3, 3)), {"output_size": 2}, adaptive(2, 2), label="zero-size", golden=False),
    Case(ints((1, 2, 3, 3)), {"output_size": 2}, label="int32", grad=False),
)
add_errors(
    A,
    ErrorCase(
        floats((2, 5, 6)),
        {"output_size": 2},
        match=rf"{A}.*data has shape \(2, 5, 6\); expected 4 dimensions",
    ),
    ErrorCase(ints((1, 2, 3, 3)), {"output_size": 2}, match=rf"{A}.*int32.*floating"),
    ErrorCase(
        floats((1, 2, 3, 3)),
        {"output_size": [2, -1]},
        match=rf"{A}.*output_size \(2, -1\) must hold sizes >= 0",
    ),
)


def with_head(data_shape, out_hw, dtype="float32"):
    def make(rng):
        head = rng.standard_normal(tuple(data_shape[:2]) + tuple(out_hw)).astype(dtype)
        return [head, rng.uniform(-1, 1, size=data_shape).astype(dtype)]

    return make


add(
    "_backward_contrib_BilinearResize2D",
    Case(with_head((2, 2, 3, 4), (5, 7)), {}, resize_backward(), label="up"),
    Case(
        with_head((1, 2, 6, 7), (3, 4)),
        {"align_corners": False},
        resize_backward(False),
        label="down-half-pixel",
    ),
    Case(with_head((1, 2, 3, 4), (3, 4)), {}, resize_backward(), label="same-size"),
)
add(
    "_backward_contrib_AdaptiveAvgPooling2D",
    Case(with_head((2, 2, 5, 7), (2, 3)), {}, adaptive_backward(), label="overlapping"),
    Case(with_head((1, 2, 3, 4), (5, 6)), {}, adaptive_backward(), label="larger"),
)
