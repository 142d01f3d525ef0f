"""Cases of FullyConnected, Convolution and _backward_Convolution_weight.

The references are direct sums in float64 over output positions and kernel points (tiny
shapes), independent of neomx's im2col + GEMM kernels. MXNet 1.9.1's CPU build refuses float16
here ("FP16 gemm on cpu not implemented") and the channel-last layouts ("Only support NCW, NCHW
and NCDHW layout"), and any zero-size input: those cases have no golden file.
"""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, floats

# neomx's weight-gradient operator; MXNet has one _backward_Convolution for all inputs.
NEOMX_ONLY.add("_backward_Convolution_weight")


def _filled(value, ndim, default):
    return tuple(value) if value else (default,) * ndim


def geometry(params, ndim):
    """(stride, dilate, pad) of Convolution params, defaults filled in."""
    return (
        _filled(params.get("stride"), ndim, 1),
        _filled(params.get("dilate"), ndim, 1),
        _filled(params.get("pad"), ndim, 0),
    )


def channels_first(array, layout):
    """(N, *spatial, C) -> (N, C, *spatial) for the channel-last layouts."""
    return np.moveaxis(array, -1, 1) if layout in ("NHWC", "NDHWC") else array


def channels_back(array, layout):
    return np.moveaxis(array, 1, -1) if layout in ("NHWC", "NDHWC") else array


def conv_direct(x, w, stride, dilate, pad, groups):
    """Channel-first convolution in float64 by direct sums: x (N, C, *S), w (F, C/g, *K)."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    kernel = w.shape[2:]
    padded = np.pad(x, ((0, 0), (0, 0)) + tuple((q, q) for q in pad))
    counts = tuple(
        (size + 2 * q - d * (k - 1) - 1) // s + 1
        for size, k, s, d, q in zip(x.shape[2:], kernel, stride, dilate, pad)
    )
    out = np.zeros((x.shape[0], w.shape[0]) + counts)
    c_group, f_group = x.shape[1] // groups, w.shape[0] // groups
    for position in np.ndindex(*counts):
        for offset in np.ndindex(*kernel):
            at = tuple(o * s + k * d for o, k, s, d in zip(position, offset, stride, dilate))
            patch = padded[(slice(None), slice(None)) + at]
            for g in range(groups):
                filters = slice(g * f_group, (g + 1) * f_group)
                taps = w[(filters, slice(None)) + offset]
                out[(slice(None), filters) + position] += (
                    patch[:, g * c_group : (g + 1) * c_group] @ taps.T
                )
    return out


def convolution(**params):
    """The reference of Convolution(data, weight[, bias], **params)."""
    layout = params.get("layout")
    groups = params.get("num_group", 1)

    def reference(data, weight, bias=None):
        x = channels_first(data, layout)
        w = channels_first(weight, layout)
        out = conv_direct(x, w, *geometry(params, x.ndim - 2), groups)
        if bias is not None:
            out += bias.reshape((-1,) + (1,) * (x.ndim - 2))
        return channels_back(out, layout).astype(data.dtype)

    return reference


def weight_gradient(**params):
    """The reference of _backward_Convolution_weight(ograd, data): sum over samples and output
    positions of ograd times the input each weight tap saw."""
    layout = params.get("layout")
    groups = params.get("num_group", 1)

    def reference(ograd, data):
        x = channels_first(data, layout).astype(np.float64)
        g = channels_first(ograd, layout).astype(np.float64)
        ndim = x.ndim - 2
        stride, dilate, pad = geometry(params, ndim)
        kernel = tuple(params["kernel"])
        padded = np.pad(x, ((0, 0), (0, 0)) + tuple((q, q) for q in pad))
        c_group, f_group = x.shape[1] // groups, g.shape[1] // groups
        out = np.zeros((g.shape[1], c_group) + kernel)
        for position in np.ndindex(*g.shape[2:]):
            for offset in np.ndindex(*kernel):
                at = tuple(o * s + k * d for o, k, s, d in zip(position, offset, stride, dilate))
                patch = padded[(slice(None), slice(None)) + at]
                for group in range(groups):
                    filters = slice(group * f_group, (group + 1) * f_group)
                    channels = patch[:, group * c_group : (group + 1) * c_group]
                    out[(filters, slice(None)) + offset] += (
                        g[(slice(None), filters) + position].T @ channels
                    )
        return channels_back(out, layout).astype(data.dtype)

    return reference


def fully_connected(flatten=True):
    def reference(data, weight, bias=None):
        x = data.astype(np.float64)
        x = x.reshape(x.shape[0], int(np.prod(x.shape[1:]))) if flatten else x
        out = x @ weight.astype(np.float64).T
        if bias is not None:
            out += bias
        return out.astype(data.dtype)

    return reference


def _conv(data, weight, bias=True, dtype="float32", label="", golden=True, grad=True, **params):
    """A Convolution case with ``num_filter`` taken from the weight's shape."""
    shapes = (data, weight) + (((weight[0],),) if bias else ())
    params = {"num_filter": weight[0], **params}
    if not bias:
        params["no_bias"] = True
    return Case(
        floats(*shapes, dtype=dtype),
        params,
        convolution(**params),
        label=label,
        golden=golden,
        grad=grad,
    )


add(
    "FullyConnected",
    Case(floats((2, 3), (4, 3), (4,)), {"num_hidden": 4}, fully_connected(), label="2d"),
    Case(
        floats((2, 3, 2, 2), (5, 12), (5,)),
        {"num_hidden": 5},
        fully_connected(),
        label="flatten-4d",
    ),
    Case(
        floats((2, 3, 4), (5, 4), (5,)),
        {"num_hidden": 5, "flatten": False},
        fully_connected(flatten=False),
        label="no-flatten-3d",
    ),
    Case(
        floats((3, 4), (2, 4)),
        {"num_hidden": 2, "no_bias": True},
        fully_connected(),
        label="no-bias",
    ),
    # MXNet 1.9.1: 1-D data is a batch of 1-feature rows with flatten, one row without it.
    Case(floats((4,), (3, 1), (3,)), {"num_hidden": 3}, fully_connected(), label="1d-flatten"),
    Case(
        floats((4,), (3, 4), (3,)),
        {"num_hidden": 3, "flatten": False},
        fully_connected(flatten=False),
        label="1d-no-flatten",
    ),
    Case(
        floats((3, 5), (2, 5), (2,), dtype="float64"),
        {"num_hidden": 2},
        fully_connected(),
        label="float64",
    ),
    Case(
        floats((3, 5), (2, 5), (2,), dtype="float16"),
        {"num_hidden": 2},
        fully_connected(),
        label="float16",
        golden=False,
    ),
    Case(
        floats((0, 3), (2, 3), (2,)),
        {"num_hidden": 2},
        fully_connected(),
        label="zero-size",
        golden=False,
    ),
    Case(floats((1, 1), (1, 1), (1,)), {"num_hidden": 1}, fully_connected(), label="one-element"),
)
add_errors(
    "FullyConnected",
    ErrorCase(
        floats((2, 3, 4), (5, 4), (5,)),
        {"num_hidden": 5},
        match=r"FullyConnected.*weight has shape \(5, 4\); expected \(5, 12\) from data "
        r"\(2, 3, 4\) with flatten=True",
    ),
    ErrorCase(
        floats((2, 3), (4, 3), (4,)),
        {"num_hidden": 5},
        match=r"FullyConnected.*weight has shape \(4, 3\); expected \(5, 3\)",
    ),
    # MXNet 1.9.1 refuses a (num_hidden, 1) bias too ("Unexpected shape for bias").
    ErrorCase(
        floats((2, 3), (4, 3), (4, 1)),
        {"num_hidden": 4},
        match=r"FullyConnected.*bias has shape \(4, 1\); expected \(4,\)",
    ),
    ErrorCase(
        lambda rng: [np.ones((2, 3), "int32"), np.ones((4, 3), "int32"), np.ones(4, "int32")],
        {"num_hidden": 4},
        match=r"FullyConnected.*int32",
    ),
    ErrorCase(floats((2, 3), (0, 3), (0,)), {"num_hidden": 0}, match=r"FullyConnected.*num_hidden"),
    # MXNet 1.9.1: "Operator FullyConnected expects 2 inputs, but got 3 instead".
    ErrorCase(
        floats((2, 3), (4, 3), (4,)),
        {"num_hidden": 4, "no_bias": True},
        match=r"FullyConnected.*no_bias=True.*bias of shape \(4,\) was given",
    ),
)

add(
    "Convolution",
    _conv((2, 3, 5, 5), (4, 3, 3, 3), kernel=(3, 3), label="2d"),
    _conv((2, 3, 6, 7), (4, 3, 3, 3), kernel=(3, 3), stride=(2, 2), pad=(1, 1), label="stride-pad"),
    _conv(
        (1, 2, 7, 6),
        (3, 2, 3, 2),
        kernel=(3, 2),
        stride=(1, 2),
        dilate=(2, 1),
        pad=(2, 1),
        label="dilate",
    ),
    _conv((2, 4, 5, 5), (6, 2, 3, 3), kernel=(3, 3), num_group=2, pad=(1, 1), label="groups"),
    _conv((2, 3, 5, 4), (3, 1, 3, 3), kernel=(3, 3), num_group=3, label="depthwise"),
    _conv((2, 3, 4, 4), (5, 3, 1, 1), kernel=(1, 1), label="1x1"),
    _conv((2, 3, 5, 5), (2, 3, 1, 1), kernel=(1, 1), stride=(2, 2), label="1x1-stride"),
    _conv((2, 3, 5, 5), (4, 3, 2, 2), bias=False, kernel=(2, 2), label="no-bias"),
    _conv((2, 3, 9), (4, 3, 3), kernel=(3,), stride=(2,), pad=(1,), dilate=(2,), label="1d"),
    _conv(
        (1, 2, 4, 5, 4),
        (3, 2, 2, 3, 2),
        kernel=(2, 3, 2),
        stride=(1, 2, 1),
        pad=(1, 0, 1),
        label="3d",
    ),
    _conv((2, 3, 4, 4), (2, 3, 3, 3), kernel=(3, 3), layout="NCHW", label="layout-nchw"),
    _conv((2, 3, 5, 5), (4, 3, 3, 3), dtype="float64", kernel=(3, 3), label="float64"),
    _conv(
        (2, 3, 5, 5), (4, 3, 3, 3), dtype="float16", kernel=(3, 3), label="float16", golden=False
    ),
    _conv(
        (2, 5, 4, 3),
        (4, 3, 3, 3),
        kernel=(3, 3),
        pad=(1, 1),
        layout="NHWC",
        label="nhwc",
        golden=False,
    ),
    _conv(
        (1, 3, 4, 3, 4),
        (4, 2, 2, 2, 2),
        kernel=(2, 2, 2),
        num_group=2,
        layout="NDHWC",
        label="ndhwc-groups",
        golden=False,
    ),
    # The kernel spans the whole padded input; and a pad wider than the kernel.
    _conv((1, 1, 2, 2), (1, 1, 3, 3), kernel=(3, 3), pad=(1, 1), label="kernel-fills-input"),
    _conv((1, 1, 3, 3), (1, 1, 2, 2), kernel=(2, 2), pad=(3, 3), label="pad-beyond-kernel"),
    _conv((1, 2, 3, 3), (1, 2, 2, 2), kernel=(2, 2), stride=(5, 5), label="stride-beyond-input"),
    # More filters than output positions: the weight gradient folds the batch into its GEMM.
    _conv((3, 2, 3, 4), (6, 2, 3, 3), kernel=(3, 3), label="few-positions"),
    _conv((0, 3, 4, 4), (2, 3, 3, 3), kernel=(3, 3), label="zero-size", golden=False),
)
add_errors(
    "Convolution",
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 7, 7), (4,)),
        {"kernel": (7, 7), "num_filter": 4},
        match=r"Convolution.*kernel spans 7 on spatial axis 0.*padded input size 5",
    ),
    ErrorCase(
        floats((1, 1, 5, 5), (1, 1, 2, 2), (1,)),
        {"kernel": (2, 2), "num_filter": 1, "dilate": (5, 5)},
        match=r"Convolution.*kernel spans 6.*dilate=\(5, 5\).*padded input size 5",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4, "num_group": 2},
        match=r"Convolution.*data has shape \(2, 3, 5, 5\) with 3 channels, not divisible by "
        r"num_group=2",
    ),
    ErrorCase(
        floats((2, 4, 5, 5), (3, 2, 3, 3), (3,)),
        {"kernel": (3, 3), "num_filter": 3, "num_group": 2},
        match=r"Convolution.*num_filter=3 is not divisible by num_group=2",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 2, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4},
        match=r"Convolution.*weight has shape \(4, 2, 3, 3\); expected \(4, 3, 3, 3\) from data "
        r"\(2, 3, 5, 5\)",
    ),
    ErrorCase(
        floats((2, 4, 5, 5), (4, 4, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4, "num_group": 2},
        match=r"Convolution.*weight has shape \(4, 4, 3, 3\); expected \(4, 2, 3, 3\)",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 3, 3), (5,)),
        {"kernel": (3, 3), "num_filter": 4},
        match=r"Convolution.*bias has shape \(5,\); expected \(4,\)",
    ),
    ErrorCase(
        floats((3, 5, 5), (4, 3, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4},
        match=r"Convolution.*data has shape \(3, 5, 5\); the 2-D kernel=\(3, 3\) needs 4-D data",
    ),
    # 'NWC' is not among MXNet 1.9.1's layouts.
    ErrorCase(
        floats((2, 5, 3), (4, 3, 3), (4,)),
        {"kernel": (3,), "num_filter": 4, "layout": "NWC"},
        match=r"Convolution.*'NWC'.*'layout'",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4, "layout": "NCW"},
        match=r"Convolution.*layout='NCW' does not fit the 2-D kernel=\(3, 3\); use 'NCHW' or "
        r"'NHWC'",
    ),
    ErrorCase(
        floats((1, 1, 3, 3, 3, 3), (1, 1, 1, 1, 1, 1), (1,)),
        {"kernel": (1, 1, 1, 1), "num_filter": 1},
        match=r"Convolution.*kernel=\(1, 1, 1, 1\) must have 1, 2 or 3 dimensions",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4, "stride": (1,)},
        match=r"Convolution.*stride=\(1,\) must have as many dimensions as kernel=\(3, 3\)",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4, "stride": (0, 1)},
        match=r"Convolution.*stride=\(0, 1\) must be at least 1",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4, "dilate": (0, 0)},
        match=r"Convolution.*dilate=\(0, 0\) must be at least 1",
    ),
    ErrorCase(
        floats((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        {"kernel": (3, 3), "num_filter": 4, "pad": (1,)},
        match=r"Convolution.*pad=\(1,\) must have as many dimensions",
    ),
    ErrorCase(
        floats((1, 1, 5, 5), (1, 1, 2, 2), (1,)),
        {"kernel": (2, 2), "num_filter": 1, "no_bias": True},
        match=r"Convolution.*no_bias=True.*bias of shape \(1,\) was given",
    ),
    ErrorCase(
        lambda rng: [np.ones((1, 2, 4, 4), "int32"), np.ones((2, 2, 3, 3), "int32")],
        {"kernel": (3, 3), "num_filter": 2, "no_bias": True},
        match=r"Convolution.*int32",
    ),
)

add(
    "_backward_Convolution_weight",
    Case(
        floats((2, 4, 3, 3), (2, 3, 5, 5)),
        {"kernel": (3, 3), "num_filter": 4},
        weight_gradient(kernel=(3, 3)),
        label="2d",
    ),
    Case(
        floats((2, 6, 3, 2), (2, 4, 6, 5)),
        {"kernel": (3, 2), "num_filter": 6, "stride": (2, 2), "pad": (1, 0), "num_group": 2},
        weight_gradient(kernel=(3, 2), stride=(2, 2), pad=(1, 0), num_group=2),
        label="stride-groups",
    ),
    Case(
        floats((2, 3, 5), (2, 2, 7)),
        {"kernel": (3,), "num_filter": 3, "dilate": (2,), "pad": (1,)},
        weight_gradient(kernel=(3,), dilate=(2,), pad=(1,)),
        label="1d-dilate",
    ),
    Case(
        floats((2, 5, 6, 4), (2, 5, 5, 2)),
        {"kernel": (3, 2), "num_filter": 4, "pad": (1, 1), "layout": "NHWC"},
        weight_gradient(kernel=(3, 2), pad=(1, 1), layout="NHWC"),
        label="nhwc",
    ),
    Case(
        floats((3, 6, 1, 2), (3, 4, 3, 4)),
        {"kernel": (3, 3), "num_filter": 6, "num_group": 2},
        weight_gradient(kernel=(3, 3), num_group=2),
        label="few-positions-groups",
    ),
)
add_errors(
    "_backward_Convolution_weight",
    ErrorCase(
        floats((2, 4, 3, 4), (2, 3, 5, 5)),
        {"kernel": (3, 3), "num_filter": 4},
        match=r"_backward_Convolution_weight.*ograd has shape \(2, 4, 3, 4\); expected "
        r"\(2, 4, 3, 3\)",
    ),
)
