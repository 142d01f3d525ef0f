"""Cases of Deconvolution, Correlation and _backward_Correlation.

References are direct float64 loops on tiny shapes: Deconvolution scatters every input pixel
through the kernel; Correlation compares patches position by position. MXNet 1.9.1's CPU build
refuses float16 and channel-last layouts here: those cases have no golden file. Nor have the
target_shape cases: the oracle's oneDNN path fails them ("could not create a descriptor for a
dilated deconvolution"), while its own kernel (MXNET_MKLDNN_ENABLED=0, which in turn refuses 3-D
deconvolution) gives the reference's outputs and gradients (checked by hand).
"""

import math

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, apart, floats
from .cases_fc_conv import channels_back, channels_first, geometry

# neomx's _backward_Correlation takes (ograd, data1, data2); MXNet's differs.
NEOMX_ONLY.add("_backward_Correlation")


def deconv_padding(params, spatial, kernel, stride, dilate):
    """(pad, adj) per axis: given, or derived from target_shape as MXNet 1.9.1 does."""
    ndim = len(kernel)
    target = params.get("target_shape") or ()
    if any(target):
        totals = [
            s * (size - 1) + d * (k - 1) + 1 - t
            for size, k, s, d, t in zip(spatial, kernel, stride, dilate, target)
        ]
        return tuple((t + 1) // 2 for t in totals), tuple(t % 2 for t in totals)
    pad = geometry(params, ndim)[2]
    adj = tuple(params.get("adj") or (0,) * ndim)
    return pad, adj


def deconvolution(**params):
    """The reference of Deconvolution: each input pixel adds weight-scaled copies of the kernel
    into the output, ``stride`` apart, then ``pad`` is cut off each side."""
    layout = params.get("layout")
    groups = params.get("num_group", 1)

    def reference(data, weight, bias=None):
        x = channels_first(data, layout).astype(np.float64)
        w = channels_first(weight, layout).astype(np.float64)
        kernel = w.shape[2:]
        stride, dilate, _ = geometry(params, len(kernel))
        pad, adj = deconv_padding(params, x.shape[2:], kernel, stride, dilate)
        full = tuple(
            s * (size - 1) + d * (k - 1) + 1
            for size, k, s, d in zip(x.shape[2:], kernel, stride, dilate)
        )
        sizes = tuple(f - 2 * q + a for f, q, a in zip(full, pad, adj))
        canvas = np.zeros(
            x.shape[:1]
            + (w.shape[1] * groups,)
            + tuple(max(f, q + n) for f, q, n in zip(full, pad, sizes))
        )
        c_group, f_group = x.shape[1] // groups, w.shape[1]
        for position in np.ndindex(*x.shape[2:]):
            for offset in np.ndindex(*kernel):
                at = tuple(p * s + k * d for p, k, s, d in zip(position, offset, stride, dilate))
                for g in range(groups):
                    inputs = x[(slice(None), slice(g * c_group, (g + 1) * c_group)) + position]
                    taps = w[(slice(g * c_group, (g + 1) * c_group), slice(None)) + offset]
                    canvas[(slice(None), slice(g * f_group, (g + 1) * f_group)) + at] += (
                        inputs @ taps
                    )
        out = canvas[
            (slice(None), slice(None)) + tuple(slice(q, q + n) for q, n in zip(pad, sizes))
        ]
        if bias is not None:
            out = out + bias.reshape((-1,) + (1,) * len(kernel))
        return channels_back(out, layout).astype(data.dtype)

    return reference


def _deconv(data, weight, bias=False, dtype="float32", label="", golden=True, **params):
    """A Deconvolution case; num_filter is weight.shape[1] * num_group."""
    shapes = (data, weight)
    groups = params.get("num_group", 1)
    layout = params.get("layout")
    filters = (weight[-1] if layout in ("NHWC", "NDHWC") else weight[1]) * groups
    params = {"num_filter": filters, **params}
    if bias:
        shapes += ((filters,),)
        params["no_bias"] = False
    return Case(
        floats(*shapes, dtype=dtype),
        params,
        deconvolution(**params),
        label=label,
        golden=golden,
    )


add(
    "Deconvolution",
    _deconv((2, 4, 3, 3), (4, 3, 3, 3), kernel=(3, 3), label="2d"),
    _deconv((2, 4, 3, 3), (4, 3, 3, 3), bias=True, kernel=(3, 3), pad=(1, 1), label="bias-pad"),
    _deconv(
        (2, 3, 3, 4),
        (3, 2, 3, 3),
        kernel=(3, 3),
        stride=(2, 2),
        pad=(1, 1),
        adj=(1, 0),
        label="stride-adj",
    ),
    _deconv(
        (1, 2, 3, 3),
        (2, 2, 3, 3),
        kernel=(3, 3),
        stride=(3, 3),
        pad=(1, 1),
        adj=(2, 2),
        label="adj-beyond-pad",
    ),
    _deconv(
        (2, 2, 3, 3),
        (2, 2, 3, 3),
        kernel=(3, 3),
        stride=(2, 2),
        target_shape=(6, 7),
        label="target-shape",
        golden=False,
    ),
    _deconv(
        (1, 2, 3, 3),
        (2, 1, 3, 3),
        kernel=(3, 3),
        stride=(2, 2),
        target_shape=(4, 4),
        label="target-below-pad",
        golden=False,
    ),
    _deconv((2, 4, 3, 3), (4, 2, 2, 3), kernel=(2, 3), num_group=2, label="groups"),
    _deconv(
        (1, 2, 4, 4),
        (2, 2, 3, 2),
        kernel=(3, 2),
        dilate=(2, 1),
        pad=(1, 1),
        label="dilate",
    ),
    _deconv((1, 2, 3, 3), (2, 3, 1, 1), kernel=(1, 1), stride=(2, 2), label="1x1-stride"),
    _deconv(
        (2, 3, 5),
        (3, 2, 3),
        kernel=(3,),
        stride=(2,),
        dilate=(2,),
        pad=(1,),
        adj=(1,),
        label="1d",
    ),
    _deconv((1, 2, 2, 3, 2), (2, 2, 2, 2, 2), kernel=(2, 2, 2), stride=(2, 1, 2), label="3d"),
    _deconv((2, 3, 3, 3), (3, 2, 3, 3), dtype="float64", kernel=(3, 3), label="float64"),
    _deconv(
        (2, 3, 3, 3), (3, 2, 3, 3), dtype="float16", kernel=(3, 3), label="float16", golden=False
    ),
    _deconv(
        (2, 3, 3, 4),
        (4, 3, 3, 3),
        bias=True,
        kernel=(3, 3),
        stride=(2, 2),
        pad=(1, 1),
        layout="NHWC",
        label="nhwc",
        golden=False,
    ),
    _deconv((0, 2, 3, 3), (2, 2, 3, 3), kernel=(3, 3), label="zero-size", golden=False),
)
add_errors(
    "Deconvolution",
    ErrorCase(
        floats((2, 4, 5, 5), (3, 4, 3, 3)),
        {"kernel": (3, 3), "num_filter": 3},
        match=r"Deconvolution.*weight has shape \(3, 4, 3, 3\); expected \(4, 3, 3, 3\)",
    ),
    ErrorCase(
        floats((2, 4, 5, 5), (4, 3, 3, 3)),
        {"kernel": (3, 3), "num_filter": 3, "num_group": 2},
        match=r"Deconvolution.*num_filter=3 is not divisible by num_group=2",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (3, 2, 3, 3)),
        {"kernel": (3, 3), "num_filter": 4, "num_group": 2},
        match=r"Deconvolution.*3 channels, not divisible by num_group=2",
    ),
    ErrorCase(
        floats((2, 4, 5, 5), (4, 3, 3, 3)),
        {"kernel": (3, 3), "num_filter": 3, "stride": (2, 2), "adj": (2, 2), "pad": (1, 1)},
        match=r"Deconvolution.*adj=2 on spatial axis 0 must be smaller than the stride 2",
    ),
    ErrorCase(
        floats((1, 1, 5), (1, 1, 3)),
        {"kernel": (3,), "num_filter": 1, "target_shape": (6,)},
        match=r"Deconvolution.*adj=1 .*smaller than the stride 1",
    ),
    ErrorCase(
        floats((2, 4, 6, 6), (4, 3, 3, 3)),
        {"kernel": (3, 3), "num_filter": 3, "stride": (2, 2), "target_shape": (14, 14)},
        match=r"Deconvolution.*target_shape=\(14, 14\) is too big.*at most 13",
    ),
    ErrorCase(
        floats((2, 4, 5, 5), (4, 3, 3, 3)),
        {"kernel": (3, 3), "num_filter": 3, "stride": (2, 2), "target_shape": (10,)},
        match=r"Deconvolution.*target_shape=\(10,\) must have as many dimensions",
    ),
    ErrorCase(
        floats((2, 4, 2, 2), (4, 3, 3, 3)),
        {"kernel": (3, 3), "num_filter": 3, "pad": (3, 3)},
        match=r"Deconvolution.*output would have size -2 on spatial axis 0",
    ),
    ErrorCase(
        floats((2, 4, 5, 5), (4, 3, 3, 3)),
        {"kernel": (3, 3), "num_filter": 3, "layout": "NCDHW"},
        match=r"Deconvolution.*layout='NCDHW' does not fit the 2-D kernel",
    ),
    # no_bias defaults to True: a bias needs no_bias=False.
    ErrorCase(
        floats((2, 4, 5, 5), (4, 3, 3, 3), (3,)),
        {"kernel": (3, 3), "num_filter": 3},
        match=r"Deconvolution.*no_bias=True.*bias of shape \(3,\) was given",
    ),
)


def correlation_grid(shape, k, md, s1, s2, pad):
    """(output height, width, neighbourhood radius) of Correlation, MXNet 1.9.1's formula."""
    border = md + (k - 1) // 2
    size = [math.ceil((n + 2 * pad - 2 * border) / s1) for n in shape[2:]]
    return size[0], size[1], md // s2


def correlation(
    kernel_size=1, max_displacement=1, stride1=1, stride2=1, pad_size=0, is_multiply=True
):
    """Compare each patch of data1 with the displaced patches of data2, one output at a time."""
    k, md, s1, s2 = kernel_size, max_displacement, stride1, stride2

    def reference(data1, data2):
        a = np.pad(data1.astype(np.float64), ((0, 0), (0, 0)) + ((pad_size, pad_size),) * 2)
        b = np.pad(data2.astype(np.float64), ((0, 0), (0, 0)) + ((pad_size, pad_size),) * 2)
        height, width, radius = correlation_grid(data1.shape, k, md, s1, s2, pad_size)
        side = 2 * radius + 1
        out = np.zeros((data1.shape[0], side * side, height, width))
        for i, j, channel in np.ndindex(height, width, side * side):
            y, x = i * s1 + md, j * s1 + md
            dy, dx = (channel // side - radius) * s2, (channel % side - radius) * s2
            patch1 = a[:, :, y : y + k, x : x + k]
            patch2 = b[:, :, y + dy : y + dy + k, x + dx : x + dx + k]
            values = patch1 * patch2 if is_multiply else np.abs(patch1 - patch2)
            out[:, channel, i, j] = values.mean(axis=(1, 2, 3))
        return out.astype(data1.dtype)

    return reference


def correlation_backward(**params):
    """The gradients of Correlation by the same loop, each output's head spread back."""
    k = params.get("kernel_size", 1)
    md = params.get("max_displacement", 1)
    s1, s2 = params.get("stride1", 1), params.get("stride2", 1)
    pad = params.get("pad_size", 0)
    multiply = params.get("is_multiply", True)

    def reference(ograd, data1, data2):
        a = np.pad(data1.astype(np.float64), ((0, 0), (0, 0)) + ((pad, pad),) * 2)
        b = np.pad(data2.astype(np.float64), ((0, 0), (0, 0)) + ((pad, pad),) * 2)
        da, db = np.zeros(a.shape), np.zeros(b.shape)
        height, width, radius = correlation_grid(data1.shape, k, md, s1, s2, pad)
        side = 2 * radius + 1
        scale = 1.0 / (k * k * data1.shape[1])
        for i, j, channel in np.ndindex(height, width, side * side):
            y, x = i * s1 + md, j * s1 + md
            dy, dx = (channel // side - radius) * s2, (channel % side - radius) * s2
            first = (slice(None), slice(None), slice(y, y + k), slice(x, x + k))
            second = (
                slice(None),
                slice(None),
                slice(y + dy, y + dy + k),
                slice(x + dx, x + dx + k),
            )
            head = ograd[:, channel, i, j, None, None, None] * scale
            if multiply:
                da[first] += head * b[second]
                db[second] += head * a[first]
            else:
                slope = np.where(a[first] >= b[second], head, -head)
                da[first] += slope
                db[second] -= slope
        inner = (
            slice(None),
            slice(None),
            slice(pad, pad + data1.shape[2]),
            slice(pad, pad + data1.shape[3]),
        )
        return da[inner].astype(data1.dtype), db[inner].astype(data1.dtype)

    return reference


_CORRELATIONS = [
    ("default", (1, 2, 5, 5), {}),
    (
        "patch-strides",
        (2, 3, 9, 9),
        {"kernel_size": 3, "max_displacement": 2, "stride1": 2, "stride2": 2, "pad_size": 2},
    ),
    (
        "flownet-like",
        (1, 3, 9, 9),
        {"kernel_size": 1, "max_displacement": 4, "stride2": 2, "pad_size": 4},
    ),
    (
        "uneven-strides",
        (1, 2, 11, 10),
        {"kernel_size": 3, "max_displacement": 3, "stride1": 2, "stride2": 3, "pad_size": 1},
    ),
    ("no-pad", (1, 2, 9, 8), {"kernel_size": 3, "max_displacement": 2}),
    ("no-displacement", (2, 2, 4, 4), {"max_displacement": 0}),
]

add(
    "Correlation",
    *(
        Case(floats(shape, shape), params, correlation(**params), label=label)
        for label, shape, params in _CORRELATIONS
    ),
    # Inputs at least 0.1 apart: |data1 - data2| is smooth where the numeric gradient steps.
    Case(
        apart((1, 2, 6, 7), (1, 2, 6, 7)),
        {"kernel_size": 3, "max_displacement": 0, "pad_size": 1, "is_multiply": False},
        correlation(kernel_size=3, max_displacement=0, pad_size=1, is_multiply=False),
        label="absolute-difference",
    ),
    Case(
        floats((1, 2, 5, 5), (1, 2, 5, 5), dtype="float64"),
        {"pad_size": 1},
        correlation(pad_size=1),
        label="float64",
    ),
    Case(
        floats((1, 2, 5, 5), (1, 2, 5, 5), dtype="float16"),
        {"pad_size": 1},
        correlation(pad_size=1),
        label="float16",
    ),
)
add_errors(
    "Correlation",
    # MXNet 1.9.1 documents odd kernel sizes and reads out of bounds with even ones.
    ErrorCase(
        floats((1, 2, 7, 7), (1, 2, 7, 7)),
        {"kernel_size": 2, "max_displacement": 2, "pad_size": 2},
        match=r"Correlation.*kernel_size=2 must be odd",
    ),
    ErrorCase(
        floats((1, 2, 9, 9), (1, 2, 9, 9)),
        {"kernel_size": 3, "max_displacement": 5},
        match=r"Correlation.*neighbourhood and kernel do not fit.*\(1, 2, 9, 9\)",
    ),
    # MXNet 1.9.1 accepts differing shapes and reads out of bounds.
    ErrorCase(
        floats((1, 2, 5, 5), (1, 2, 5, 6)),
        {},
        match=r"Correlation.*data2 has shape \(1, 2, 5, 6\); expected \(1, 2, 5, 5\)",
    ),
    ErrorCase(floats((2, 5, 5), (2, 5, 5)), {}, match=r"Correlation.*data1 has shape \(2, 5, 5\)"),
    # MXNet 1.9.1 divides by zero (SIGFPE) on stride1=0 or stride2=0.
    ErrorCase(floats((1, 2, 5, 5), (1, 2, 5, 5)), {"stride1": 0}, match=r"Correlation.*stride1"),
    ErrorCase(floats((1, 2, 5, 5), (1, 2, 5, 5)), {"stride2": 0}, match=r"Correlation.*stride2"),
)


def _with_head(shape, params):
    """ograd of Correlation's output shape for data1 and data2 of ``shape``."""
    k = params.get("kernel_size", 1)
    md = params.get("max_displacement", 1)
    height, width, radius = correlation_grid(
        shape,
        k,
        md,
        params.get("stride1", 1),
        params.get("stride2", 1),
        params.get("pad_size", 0),
    )
    return ((shape[0], (2 * radius + 1) ** 2, height, width), shape, shape)


add(
    "_backward_Correlation",
    *(
        Case(
            floats(*_with_head(shape, params)),
            params,
            correlation_backward(**params),
            label=label,
        )
        for label, shape, params in _CORRELATIONS[:3]
    ),
    # The absolute-difference gradient is piecewise constant: no gradient of its own.
    Case(
        lambda rng: (
            floats(_with_head((1, 2, 5, 5), {"pad_size": 1})[0])(rng)
            + apart((1, 2, 5, 5), (1, 2, 5, 5))(rng)
        ),
        {"pad_size": 1, "is_multiply": False},
        correlation_backward(pad_size=1, is_multiply=False),
        label="absolute-difference-not-differentiable",
        grad=False,
    ),
)
