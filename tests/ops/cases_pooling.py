"""Cases of Pooling and _backward_Pooling.

The references visit one output position at a time and pool its window explicitly, following
MXNet 1.9.1's CPU kernels: windows start at ``o * stride - pad``, end at most ``pad`` past the
data (the 'full' convention's last windows may end earlier), and skip the padding; max pooling
starts from the dtype's lowest value and skips NaN; average pooling divides by the window's
size up to that end (``count_include_pad``) or by the data it covers, empty windows giving 0.

Max-pooling inputs are shuffled, evenly spaced values (no ties, gaps far above the numeric
gradient's step) unless a case is about ties.
"""

import itertools

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed, floats, ints, nonzero

# neomx's _backward_Pooling takes (ograd, data, output); MXNet's also takes oneDNN's workspace.
NEOMX_ONLY.add("_backward_Pooling")


def distinct(*shapes, dtype="float32"):
    """Shuffled, evenly spaced values in [-1, 1): no two elements tie."""

    def make(rng):
        arrays = []
        for shape in shapes:
            size = int(np.prod(shape))
            values = rng.permutation(size) * (2.0 / max(size, 1)) - 1
            arrays.append(values.reshape(shape).astype(dtype))
        return arrays

    return make


def positive(*shapes, dtype="float32"):
    """Values in [0.5, 1.5): Lp norms with p > 1 stay away from 0, where (x / y) ** (p - 1)
    has no limit."""
    return floats(*shapes, low=0.5, high=1.5, dtype=dtype)


def _settings(params, data_shape):
    """(channel axis, spatial axes, kernel, stride, pad, output sizes) of a call."""
    layout = params.get("layout") or "NCW"
    ndim = len(data_shape) - 2
    spatial = list(range(1, ndim + 1)) if layout[-1] == "C" else list(range(2, ndim + 2))
    sizes = [data_shape[a] for a in spatial]
    if params.get("global_pool"):
        kernel, stride, pad = sizes, [1] * ndim, [0] * ndim
    else:
        kernel = list(params["kernel"])
        stride = list(params.get("stride") or [1] * ndim)
        pad = list(params.get("pad") or [0] * ndim)
    convention = params.get("pooling_convention", "valid")
    out = []
    for n, k, s, p in zip(sizes, kernel, stride, pad):
        if params.get("global_pool"):
            out.append(1)
        elif convention == "valid":
            out.append((n + 2 * p - k) // s + 1)
        elif convention == "full":
            out.append(1 + int(np.ceil((n + 2 * p - k) / s)))
        else:
            out.append(int(np.ceil((n + 2 * p) / s)))
    return spatial, sizes, kernel, stride, pad, out


def _windows(params, data_shape):
    """Yield (output index, data index, padded size, data size) of every window."""
    spatial, sizes, kernel, stride, pad, out = _settings(params, data_shape)
    for position in itertools.product(*(range(o) for o in out)):
        out_index = [slice(None)] * len(data_shape)
        data_index = [slice(None)] * len(data_shape)
        padded_size = covered = 1
        for axis, o, n, k, s, p in zip(spatial, position, sizes, kernel, stride, pad):
            start = o * s - p
            end = min(start + k, n + p)
            low, high = max(start, 0), max(min(end, n), max(start, 0))
            out_index[axis] = o
            data_index[axis] = slice(low, high)
            padded_size *= end - start
            covered *= high - low
        yield tuple(out_index), tuple(data_index), padded_size, covered


def _out_shape(params, data_shape):
    spatial, *_, out = _settings(params, data_shape)
    shape = list(data_shape)
    for axis, o in zip(spatial, out):
        shape[axis] = o
    return tuple(shape)


def _flat_window(x, data_index, spatial):
    """The window's elements, spatial axes last and flattened in row-major order."""
    window = x[data_index]
    # Integer indices dropped the output axes; the window keeps its spatial axes in order.
    window = np.moveaxis(window, spatial, list(range(-len(spatial), 0)))
    outer = window.shape[: window.ndim - len(spatial)]
    return window.reshape(outer + (int(np.prod(window.shape[len(outer) :])),))


def pool(params):
    """The Pooling forward, one window at a time."""
    pool_type = params.get("pool_type", "max")

    def reference(x):
        spatial = _settings(params, x.shape)[0]
        lowest = np.finfo(x.dtype).min
        out = np.zeros(_out_shape(params, x.shape))
        for out_index, data_index, padded, covered in _windows(params, x.shape):
            window = _flat_window(x.astype(np.float64), data_index, spatial)
            if pool_type == "max":
                clean = np.where(np.isnan(window), -np.inf, window)
                value = np.maximum(np.max(clean, axis=-1, initial=-np.inf), lowest)
            elif pool_type == "lp":
                total = np.sum(window ** params["p_value"], axis=-1)
                value = np.sign(total) * np.abs(total) ** (1.0 / params["p_value"])
            else:
                value = np.sum(window, axis=-1)
                if pool_type == "avg":
                    size = covered if params.get("count_include_pad") is False else padded
                    value = value / max(size, 1)
            out[out_index] = value
        return out.astype(x.dtype)

    return reference


def pool_backward(params):
    """The gradient of Pooling w.r.t. its data given ``ograd``; max pooling sends each
    window's gradient to its first maximum in row-major window order."""
    pool_type = params.get("pool_type", "max")
    forward = pool(params)

    def reference(ograd, x):
        spatial = _settings(params, x.shape)[0]
        y = forward(x).astype(np.float64)
        grad = np.zeros(x.shape)
        for out_index, data_index, padded, covered in _windows(params, x.shape):
            window = _flat_window(x.astype(np.float64), data_index, spatial)
            if window.shape[-1] == 0:
                continue
            head = ograd[out_index].astype(np.float64)[..., None]
            if pool_type == "max":
                hits = window == y[out_index][..., None]
                first = np.argmax(hits, axis=-1)[..., None]
                share = (np.arange(window.shape[-1]) == first) & hits
            elif pool_type == "lp":
                share = (window / y[out_index][..., None]) ** (params["p_value"] - 1)
            elif pool_type == "avg":
                size = covered if params.get("count_include_pad") is False else padded
                share = np.full(window.shape, 1.0 / max(size, 1))
            else:
                share = np.ones(window.shape)
            # A view of the window with its spatial axes last, as _flat_window orders them.
            moved = np.moveaxis(grad[data_index], spatial, list(range(-len(spatial), 0)))
            moved += (share * head).reshape(moved.shape)
        return grad.astype(x.dtype)

    return reference


def backward_inputs(maker, params):
    """(ograd, data, output) for _backward_Pooling: a random head, the data, its pooling."""

    def make(rng):
        (x,) = maker(rng)
        head = rng.standard_normal(_out_shape(params, x.shape)).astype(x.dtype)
        return [head, x, pool(params)(x)]

    return make


def _case(maker, params, label, **kw):
    return Case(maker, params, pool(params), label=label, **kw)


MAX_2X2 = {"kernel": [2, 2], "stride": [2, 2]}
STEM = {"kernel": [3, 3], "stride": [2, 2], "pad": [1, 1]}
FULL = {"kernel": [3, 3], "stride": [2, 2], "pooling_convention": "full"}
# The last window of each axis lies wholly beyond the padded data: it is empty.
EMPTY = {"kernel": [2, 2], "stride": [3, 3], "pad": [1, 1], "pooling_convention": "full"}
SAME = {"kernel": [3], "stride": [2], "pooling_convention": "same"}
PAD_2 = {"kernel": [2], "pad": [2]}
SAME_NOTE = (
    "MXNet 1.9.1 reads pad[1] and pad[2] of a 1-D pad, so every 1-D 'same' call fails; "
    "its kernels otherwise pool as here"
)

add(
    "Pooling",
    _case(distinct((2, 3, 4, 6)), MAX_2X2, "max-2x2"),
    _case(distinct((2, 2, 7, 6)), STEM, "max-3x3-pad"),
    _case(distinct((1, 2, 6, 7)), FULL, "max-full"),
    # Empty windows give the lowest float (-3.4e38): central differences of a sum holding
    # it lose every digit, so _backward_Pooling's cases check these gradients.
    _case(distinct((1, 2, 6, 5)), EMPTY, "max-full-empty-window", grad=False),
    _case(distinct((2, 2, 9)), {"kernel": [3], "stride": [2], "pad": [1]}, "max-1d"),
    _case(
        distinct((1, 2, 4, 5, 4)),
        {"kernel": [2, 2, 2], "stride": [2, 1, 2], "pad": [1, 0, 1]},
        "max-3d",
    ),
    _case(distinct((2, 3, 4, 5)), {"global_pool": True, "kernel": [9, 9]}, "max-global"),
    _case(distinct((2, 2, 3, 2, 3)), {"global_pool": True}, "max-global-3d"),
    _case(distinct((2, 5, 6, 3)), {**MAX_2X2, "layout": "NHWC"}, "max-nhwc"),
    _case(distinct((2, 7, 3)), {"kernel": [3], "stride": [2], "layout": "NWC"}, "max-nwc"),
    _case(
        distinct((1, 4, 3, 4, 2)),
        {"kernel": [2, 2, 2], "stride": [2, 1, 2], "layout": "NDHWC"},
        "max-ndhwc",
    ),
    _case(distinct((1, 2, 3, 4)), {**MAX_2X2, "layout": "NCHW"}, "max-nchw-given"),
    _case(distinct((1, 2, 5, 5)), {"kernel": [1, 1], "stride": [2, 3]}, "max-1x1-kernel"),
    # Ties: the first maximum in row-major window order takes the gradient (in both of
    # MXNet's CPU paths, oneDNN for float32 and its own kernels for float64). The numeric
    # gradient is undefined at ties.
    _case(
        ints((2, 2, 5, 5), low=-2, high=3, dtype="float32"),
        {"kernel": [3, 3], "stride": [1, 1], "pad": [1, 1]},
        "max-ties",
        grad=False,
    ),
    _case(
        ints((2, 2, 6), low=0, high=2, dtype="float64"),
        {"kernel": [3], "stride": [2]},
        "max-ties-float64",
        grad=False,
    ),
    # NaN never wins; windows of only NaN give the lowest value and take no gradient. (For
    # all-NaN windows MXNet's oneDNN path, float32, sends the gradient to the first element.)
    _case(
        fixed([[[1, np.nan, 3, 2, np.nan, np.nan, -np.inf, -np.inf, np.nan, 1]]], dtype="float64"),
        {"kernel": [2], "stride": [2]},
        "max-nan",
        grad=False,
    ),
    # A pad as large as the kernel makes windows of padding only. MXNet's oneDNN path
    # (float32) refuses it; its own kernels (float64) pool as here.
    _case(distinct((1, 2, 5), dtype="float64"), PAD_2, "max-pad-2", grad=False),
    _case(distinct((1, 2, 4, 4), dtype="float64"), STEM, "max-float64"),
    _case(distinct((1, 2, 4, 4), dtype="float16"), STEM, "max-float16"),
    _case(floats((2, 2, 7, 6)), {**STEM, "pool_type": "avg"}, "avg-pad"),
    _case(
        floats((2, 2, 7, 6)),
        {**STEM, "pool_type": "avg", "count_include_pad": False},
        "avg-pad-exclude",
    ),
    _case(floats((1, 2, 6, 5)), {**EMPTY, "pool_type": "avg"}, "avg-full-empty-window"),
    # The last windows run past the data without padding: 'count_include_pad' divides by
    # the part up to the data's end. MXNet's float32 (oneDNN) backward divides by the whole
    # kernel there, contradicting its own forward: test_golden lists that file.
    _case(floats((1, 2, 6, 7), dtype="float64"), {**FULL, "pool_type": "avg"}, "avg-full"),
    _case(floats((1, 2, 6, 7)), {**FULL, "pool_type": "avg"}, "avg-full-float32"),
    _case(
        floats((1, 2, 6, 7)),
        {**FULL, "pad": [1, 1], "pool_type": "avg", "count_include_pad": False},
        "avg-full-pad-exclude",
    ),
    _case(
        floats((2, 3, 8)), {"kernel": [4], "stride": [3], "pad": [2], "pool_type": "avg"}, "avg-1d"
    ),
    _case(
        floats((1, 2, 4, 3, 5)),
        {
            "kernel": [2, 2, 3],
            "stride": [2, 1, 2],
            "pad": [1, 0, 1],
            "pool_type": "avg",
            "count_include_pad": False,
        },
        "avg-3d",
    ),
    _case(floats((2, 3, 4, 5)), {"global_pool": True, "pool_type": "avg"}, "avg-global"),
    _case(
        floats((2, 4, 5, 3)),
        {"global_pool": True, "pool_type": "avg", "layout": "NHWC"},
        "avg-global-nhwc",
    ),
    _case(floats((1, 2, 4, 4), dtype="float16"), {**STEM, "pool_type": "avg"}, "avg-float16"),
    _case(floats((2, 2, 5, 4)), {**STEM, "pool_type": "sum"}, "sum-pad"),
    _case(
        floats((1, 2, 3, 4, 4)),
        {
            "kernel": [2, 3, 2],
            "stride": [1, 2, 2],
            "pad": [0, 1, 1],
            "pool_type": "sum",
            "pooling_convention": "full",
        },
        "sum-3d-full",
    ),
    _case(floats((2, 3, 3, 4)), {"global_pool": True, "pool_type": "sum"}, "sum-global"),
    _case(floats((2, 2, 5, 4)), {**STEM, "pool_type": "lp", "p_value": 1}, "lp1"),
    _case(nonzero((2, 2, 5, 4)), {**STEM, "pool_type": "lp", "p_value": 2}, "lp2"),
    _case(positive((2, 2, 5, 4)), {**STEM, "pool_type": "lp", "p_value": 3}, "lp3"),
    _case(
        nonzero((2, 3, 7)),
        {
            "kernel": [3],
            "stride": [2],
            "pool_type": "lp",
            "p_value": 2,
            "pooling_convention": "full",
        },
        "lp2-1d-full",
    ),
    _case(
        positive((1, 2, 3, 4, 3)),
        {"kernel": [2, 2, 2], "pad": [1, 0, 1], "pool_type": "lp", "p_value": 3},
        "lp3-3d",
    ),
    _case(
        positive((2, 3, 3, 4)), {"global_pool": True, "pool_type": "lp", "p_value": 2}, "lp2-global"
    ),
    _case(
        distinct((1, 2, 4, 4)),
        {**MAX_2X2, "cudnn_off": True, "count_include_pad": False},
        "max-ignored-params",
    ),
    _case(distinct((1, 2, 7)), SAME, "max-same-1d"),
    _case(floats((1, 2, 8)), {**SAME, "kernel": [4], "pool_type": "avg"}, "avg-same-1d"),
    _case(distinct((1, 1, 1, 1)), {**MAX_2X2, "kernel": [1, 1]}, "one-element"),
    # MXNet 1.x refuses zero-size arrays (0 is an unknown dimension in its inference).
    _case(floats((0, 2, 4, 4)), MAX_2X2, "zero-size", golden=False),
    _case(floats((2, 0, 4, 4)), {**STEM, "pool_type": "avg"}, "zero-channels", golden=False),
)

# MXNet's refusals, recorded in golden files (no reference: neomx must raise too).
add(
    "Pooling",
    Case(
        floats((1, 1, 6, 6)),
        {**FULL, "pooling_convention": "same"},
        label="same-2d-error",
        grad=False,
    ),
    Case(floats((1, 1, 7, 7)), {"kernel": [9, 9]}, label="kernel-too-large", grad=False),
    Case(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "pool_type": "lp", "p_value": 4},
        label="lp-p4",
        grad=False,
    ),
    Case(ints((1, 1, 4, 4)), MAX_2X2, label="int32", grad=False),
)

add_errors(
    "Pooling",
    ErrorCase(
        floats((1, 1, 7, 7)),
        {"kernel": [9, 9]},
        match=r"Pooling.*kernel \(9, 9\) exceeds data \(1, 1, 7, 7\) padded by pad \(0, 0\)",
    ),
    ErrorCase(
        floats((1, 1, 5)),
        {"kernel": [8], "pad": [1], "pooling_convention": "full"},
        match=r"Pooling.*kernel \(8,\) exceeds.*on axis 2, 8 > 5 \+ 2 \* 1",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "layout": "NCW"},
        match=r"Pooling.*layout='NCW'.*\(1, 1, 4, 4\)",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "layout": "NDHWC"},
        match=r"Pooling.*layout='NDHWC'.*'NCHW' or 'NHWC'",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "pool_type": "min"},
        match=r"Pooling.*'pool_type'.*'min'",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "layout": "HWNC"},
        match=r"Pooling.*'layout'.*'HWNC'",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "pool_type": "lp"},
        match=r"Pooling.*pool_type='lp'.*p_value 1, 2 or 3.*no p_value",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "pool_type": "lp", "p_value": 4},
        match=r"Pooling.*p_value=4",
    ),
    ErrorCase(floats((1, 1, 4, 4)), {}, match=r"Pooling.*kernel is required"),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2]},
        match=r"Pooling.*kernel \(2,\) has 1 dimension.*\(1, 1, 4, 4\) has 2 spatial",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "stride": [1]},
        match=r"Pooling.*stride \(1,\) must have one entry per kernel dimension",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "pad": [1, 1, 1]},
        match=r"Pooling.*pad \(1, 1, 1\) must have one entry",
    ),
    ErrorCase(
        floats((1, 1, 4, 4)), {"kernel": [0, 2]}, match=r"Pooling.*kernel \(0, 2\) must be >= 1"
    ),
    ErrorCase(
        floats((1, 1, 4, 4)),
        {"kernel": [2, 2], "stride": [0, 1]},
        match=r"Pooling.*stride \(0, 1\) must be >= 1",
    ),
    ErrorCase(
        floats((1, 1, 6, 6)),
        {**FULL, "pooling_convention": "same"},
        match=r"Pooling.*'same' supports only 1-D pooling",
    ),
    ErrorCase(
        floats((1, 1, 6)), {**SAME, "pad": [1]}, match=r"Pooling.*'same' takes no padding.*\(1,\)"
    ),
    ErrorCase(
        floats((4, 4)), {"kernel": [2]}, match=r"Pooling.*\(4, 4\); expected 3, 4 or 5 dimensions"
    ),
    ErrorCase(
        floats((1, 1, 2, 2, 2, 2)),
        {"global_pool": True},
        match=r"Pooling.*expected 3, 4 or 5 dimensions",
    ),
    ErrorCase(ints((1, 1, 4, 4)), MAX_2X2, match=r"Pooling.*int32.*floating"),
)


def _backward_case(maker, params, label):
    return Case(
        backward_inputs(maker, params),
        params,
        lambda ograd, x, y: pool_backward(params)(ograd, x),
        label=label,
    )


add(
    "_backward_Pooling",
    _backward_case(distinct((2, 2, 7, 6)), STEM, "max"),
    _backward_case(distinct((1, 2, 6, 5)), EMPTY, "max-empty-window"),
    _backward_case(distinct((1, 2, 5), dtype="float64"), PAD_2, "max-pad-2"),
    _backward_case(
        ints((1, 2, 5, 5), low=-2, high=3, dtype="float32"),
        {"kernel": [3, 3], "stride": [1, 1]},
        "max-ties",
    ),
    _backward_case(floats((1, 2, 6, 7)), {**FULL, "pool_type": "avg"}, "avg-full"),
    _backward_case(
        floats((2, 5, 4, 3)), {**STEM, "pool_type": "sum", "layout": "NHWC"}, "sum-nhwc"
    ),
    _backward_case(positive((2, 2, 5, 4)), {**STEM, "pool_type": "lp", "p_value": 3}, "lp3"),
    _backward_case(distinct((2, 3, 4, 5)), {"global_pool": True}, "max-global"),
    _backward_case(
        positive((2, 3, 4, 5)), {"global_pool": True, "pool_type": "lp", "p_value": 2}, "lp2-global"
    ),
)
