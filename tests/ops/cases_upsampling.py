"""Cases of UpSampling (nearest and bilinear) and _backward_UpSampling."""

import math

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, floats, ints

# neomx's _backward_UpSampling takes (ograd, data, weight); MXNet's differs.
NEOMX_ONLY.add("_backward_UpSampling")


def nearest(scale, mode="concat"):
    """UpSampling(..., sample_type='nearest'): every input reaches arg0's size times scale."""

    def reference(*arrays):
        height = arrays[0].shape[2] * scale
        parts = []
        for x in arrays:
            factor = height // x.shape[2]
            parts.append(np.repeat(np.repeat(x, factor, axis=2), factor, axis=3))
        return np.concatenate(parts, axis=1) if mode == "concat" else sum(parts)

    return reference


def _geometry(scale):
    """(kernel size, padding) of the bilinear kernel as MXNet 1.9.1 sets them."""
    return 2 * scale - scale % 2, int(math.ceil((scale - 1) / 2))


def bilinear(scale):
    """The transposed convolution, one input pixel at a time."""

    def reference(data, weight):
        n, c, h, w = data.shape
        size, pad = _geometry(scale)
        full = np.zeros((n, c, (h - 1) * scale + size, (w - 1) * scale + size))
        for i, j in np.ndindex(h, w):
            patch = data[:, :, i, j, None, None].astype(np.float64) * weight[None, :, 0]
            full[:, :, i * scale : i * scale + size, j * scale : j * scale + size] += patch
        return full[:, :, pad : pad + h * scale, pad : pad + w * scale].astype(data.dtype)

    return reference


def bilinear_backward(scale):
    def reference(ograd, data, weight):
        n, c, h, w = data.shape
        size, pad = _geometry(scale)
        full = np.zeros((n, c, (h - 1) * scale + size, (w - 1) * scale + size))
        full[:, :, pad : pad + h * scale, pad : pad + w * scale] = ograd
        d_data = np.zeros(data.shape)
        d_weight = np.zeros(weight.shape)
        for i, j in np.ndindex(h, w):
            window = full[:, :, i * scale : i * scale + size, j * scale : j * scale + size]
            d_data[:, :, i, j] = np.einsum("ncab,cab->nc", window, weight[:, 0])
            d_weight[:, 0] += np.einsum("ncab,nc->cab", window, data[:, :, i, j])
        return d_data.astype(data.dtype), d_weight.astype(weight.dtype)

    return reference


def with_kernel(data_shape, scale, dtype="float32"):
    size = _geometry(scale)[0]
    return floats(data_shape, (data_shape[1], 1, size, size), dtype=dtype)


def backward_inputs(data_shape, scale, dtype="float32"):
    n, c, h, w = data_shape
    size = _geometry(scale)[0]
    return floats((n, c, h * scale, w * scale), data_shape, (c, 1, size, size), dtype=dtype)


NEAREST = {"sample_type": "nearest"}
BILINEAR = {"sample_type": "bilinear"}

add(
    "UpSampling",
    Case(floats((2, 3, 2, 3)), {**NEAREST, "scale": 2}, nearest(2), label="nearest"),
    Case(floats((1, 2, 3, 2)), {**NEAREST, "scale": 1}, nearest(1), label="nearest-scale1"),
    Case(
        floats((1, 1, 2, 2)),
        {**NEAREST, "scale": 3, "workspace": 64},
        nearest(3),
        label="nearest-scale3",
    ),
    Case(floats((1, 1, 1, 1)), {**NEAREST, "scale": 2}, nearest(2), label="one-element"),
    Case(floats((2, 3, 2, 2), (2, 1, 4, 4)), {**NEAREST, "scale": 2}, nearest(2), label="concat"),
    # MXNet 1.x refuses zero-size arrays (0 is an unknown dimension in its inference).
    Case(
        floats((0, 2, 2, 2)), {**NEAREST, "scale": 2}, nearest(2), label="zero-size", golden=False
    ),
    Case(
        floats((1, 2, 2, 2), (1, 1, 1, 1), (1, 3, 4, 4)),
        {**NEAREST, "scale": 2},
        nearest(2),
        label="concat-three",
    ),
    Case(
        floats((2, 2, 2, 3), (2, 2, 4, 6)),
        {**NEAREST, "scale": 2, "multi_input_mode": "sum"},
        nearest(2, "sum"),
        label="sum",
    ),
    Case(
        floats((1, 2, 2, 2), dtype="float64"),
        {**NEAREST, "scale": 2},
        nearest(2),
        label="nearest-float64",
    ),
    Case(
        floats((1, 2, 2, 2), dtype="float16"),
        {**NEAREST, "scale": 2},
        nearest(2),
        label="nearest-float16",
    ),
    Case(
        with_kernel((2, 3, 3, 2), 2),
        {**BILINEAR, "scale": 2, "num_filter": 3},
        bilinear(2),
        label="bilinear",
    ),
    Case(
        with_kernel((1, 2, 2, 3), 1),
        {**BILINEAR, "scale": 1, "num_filter": 2},
        bilinear(1),
        label="bilinear-scale1",
    ),
    Case(
        with_kernel((1, 2, 2, 2), 3),
        {**BILINEAR, "scale": 3, "num_filter": 2},
        bilinear(3),
        label="bilinear-scale3",
    ),
    Case(
        with_kernel((1, 1, 2, 2), 4),
        {**BILINEAR, "scale": 4, "num_filter": 1},
        bilinear(4),
        label="bilinear-scale4",
    ),
    Case(
        with_kernel((1, 1, 1, 1), 2),
        {**BILINEAR, "scale": 2, "num_filter": 1},
        bilinear(2),
        label="bilinear-one-element",
    ),
    Case(
        with_kernel((1, 2, 2, 2), 2, "float64"),
        {**BILINEAR, "scale": 2, "num_filter": 2},
        bilinear(2),
        label="bilinear-float64",
    ),
    # MXNet 1.9.1 has no float16 matrix product on CPU: no golden file.
    Case(
        with_kernel((1, 2, 2, 2), 2, "float16"),
        {**BILINEAR, "scale": 2, "num_filter": 2},
        bilinear(2),
        label="bilinear-float16",
        golden=False,
    ),
)
add_errors(
    "UpSampling",
    ErrorCase(
        floats((2, 3, 4)),
        {**NEAREST, "scale": 2},
        match=r"UpSampling.*arg0.*\(2, 3, 4\).*4 dimensions",
    ),
    ErrorCase(
        floats((1, 1, 2, 2), (1, 1, 3, 3)),
        {**NEAREST, "scale": 2},
        match=r"UpSampling.*arg1.*\(1, 1, 3, 3\).*\(4, 4\)",
    ),
    ErrorCase(
        floats((1, 1, 2, 2), (1, 1, 1, 2)),
        {**NEAREST, "scale": 2},
        match=r"UpSampling.*arg1.*integer factor",
    ),
    ErrorCase(
        floats((1, 1, 2, 2), (2, 1, 2, 2)),
        {**NEAREST, "scale": 2},
        match=r"UpSampling.*arg1.*batch 1",
    ),
    ErrorCase(
        floats((1, 1, 2, 2), (1, 2, 2, 2)),
        {**NEAREST, "scale": 1, "multi_input_mode": "sum"},
        match=r"UpSampling.*arg1.*sum.*equal channels",
    ),
    ErrorCase(
        with_kernel((1, 2, 2, 2), 2),
        {**BILINEAR, "scale": 2},
        match=r"UpSampling.*num_filter=0.*channels",
    ),
    ErrorCase(
        floats((1, 2, 2, 2), (2, 1, 3, 3)),
        {**BILINEAR, "scale": 2, "num_filter": 2},
        match=r"UpSampling.*weight.*\(2, 1, 3, 3\).*\(2, 1, 4, 4\)",
    ),
    ErrorCase(
        floats((1, 2, 2, 2)),
        {**BILINEAR, "scale": 2, "num_filter": 2},
        match=r"UpSampling.*2 input.*'data', 'weight'.*got 1",
    ),
    ErrorCase(ints((1, 1, 2, 2)), {**NEAREST, "scale": 2}, match=r"UpSampling.*floating"),
    ErrorCase(floats((1, 1, 2, 2)), {**NEAREST, "scale": 0}, match=r"UpSampling.*'scale'"),
)

add(
    "_backward_UpSampling",
    Case(backward_inputs((2, 3, 2, 3), 2), {"scale": 2}, bilinear_backward(2), label="scale2"),
    Case(backward_inputs((1, 2, 2, 2), 3), {"scale": 3}, bilinear_backward(3), label="scale3"),
    Case(backward_inputs((1, 1, 1, 1), 1), {"scale": 1}, bilinear_backward(1), label="one-element"),
)
