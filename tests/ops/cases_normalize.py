"""Cases of the parameter-free normalizations L2Normalization and LRN, and _backward_LRN."""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, floats, nonzero

# neomx's _backward_LRN takes (ograd, data, tmp_norm); MXNet's differs.
NEOMX_ONLY.add("_backward_LRN")

# MXNet's default eps (and LRN's alpha) are C++ floats.
EPS_10 = float(np.float32(1e-10))
ALPHA = float(np.float32(1e-4))


def _l2_normalization(mode="instance", eps=EPS_10):
    def reference(data):
        x = data.astype(np.float64)
        if mode == "instance":
            axes = tuple(range(1, x.ndim))
        elif mode == "channel":
            axes = (1,)
        else:
            axes = tuple(range(2, x.ndim))
        return (x / np.sqrt((x * x).sum(axis=axes, keepdims=True) + eps)).astype(data.dtype)

    return reference


def _lrn_scale(x, nsize, alpha, knorm):
    """knorm + alpha / nsize * (sum of squares over the centred channel window)."""
    half = nsize // 2
    squares = x * x
    total = np.zeros_like(x)
    for c in range(x.shape[1]):
        total[:, c] = squares[:, max(0, c - half) : c + half + 1].sum(axis=1)
    return knorm + alpha / nsize * total


def _lrn(nsize, alpha=ALPHA, beta=0.75, knorm=2.0):
    def reference(data):
        x = data.astype(np.float64)
        return (x * _lrn_scale(x, nsize, alpha, knorm) ** -beta).astype(data.dtype)

    return reference


def _backward_lrn(nsize, alpha=ALPHA, beta=0.75, knorm=2.0):
    def reference(ograd, data, tmp_norm):
        dy, x, scale = (a.astype(np.float64) for a in (ograd, data, tmp_norm))
        half = nsize // 2
        inner = dy * x * scale ** (-beta - 1)
        spread = np.zeros_like(x)
        for c in range(x.shape[1]):
            spread[:, c] = inner[:, max(0, c - half) : c + half + 1].sum(axis=1)
        dx = dy * scale**-beta - 2 * alpha * beta / nsize * x * spread
        return dx.astype(data.dtype)

    return reference


def lrn_backward_inputs(shape, nsize, alpha=ALPHA, knorm=2.0):
    """ograd, data and the tmp_norm that LRN computes from data."""

    def make(rng):
        data = rng.standard_normal(shape)
        ograd = rng.standard_normal(shape)
        scale = _lrn_scale(data, nsize, alpha, knorm)
        return [a.astype("float32") for a in (ograd, data, scale)]

    return make


add(
    "L2Normalization",
    Case(floats((2, 3, 4)), {}, _l2_normalization(), label="instance"),
    Case(floats((3, 4)), {"eps": 0.01}, _l2_normalization(eps=0.01), label="instance-2d"),
    # One value per instance: x / sqrt(x*x + eps), whose slope is steep only right at 0.
    Case(nonzero((5,)), {}, _l2_normalization(), label="instance-1d"),
    Case(floats((2, 3, 2, 2)), {"mode": "channel"}, _l2_normalization("channel"), label="channel"),
    Case(floats((2, 3, 4)), {"mode": "channel"}, _l2_normalization("channel"), label="channel-3d"),
    Case(
        floats((2, 3, 2, 2)),
        {"mode": "spatial", "eps": 0.1},
        _l2_normalization("spatial", 0.1),
        label="spatial",
    ),
    Case(floats((2, 4), dtype="float16"), {}, _l2_normalization(), label="float16"),
    Case(
        floats((2, 3, 2), dtype="float64"),
        {"mode": "spatial"},
        _l2_normalization("spatial"),
        label="float64",
    ),
)
add_errors(
    "L2Normalization",
    ErrorCase(floats((2, 3)), {"mode": "channel"}, match=r"L2Normalization: mode='channel'"),
    ErrorCase(floats((2, 3)), {"mode": "spatial"}, match=r"L2Normalization: mode='spatial'"),
    ErrorCase(lambda rng: [np.ones((2, 3), "int32")], match=r"L2Normalization.*int32"),
)

add(
    "LRN",
    Case(floats((2, 5, 2, 3)), {"nsize": 3}, _lrn(3), label="nsize3"),
    Case(
        floats((2, 7, 2, 2)),
        {"nsize": 5, "alpha": 0.3, "beta": 0.6, "knorm": 1.5},
        _lrn(5, 0.3, 0.6, 1.5),
        label="nsize5",
    ),
    Case(floats((1, 3, 2, 2)), {"nsize": 1, "alpha": 0.5}, _lrn(1, 0.5), label="nsize1"),
    Case(
        floats((2, 3, 2, 2)),
        {"nsize": 3, "alpha": 1.0, "beta": 1.0, "knorm": 1.0},
        _lrn(3, 1.0, 1.0, 1.0),
        label="window-covers-all",
    ),
    # MXNet 1.9.1's LRN is float32-only (its hidden output is float32 whatever the data);
    # neomx takes every float dtype.
    Case(
        floats((2, 4, 2, 2), dtype="float64"),
        {"nsize": 3, "alpha": 0.2},
        _lrn(3, 0.2),
        label="float64",
        golden=False,
    ),
    Case(
        floats((2, 4, 2, 2), dtype="float16"),
        {"nsize": 3, "alpha": 0.2},
        _lrn(3, 0.2),
        label="float16",
        golden=False,
    ),
)
add_errors(
    "LRN",
    ErrorCase(floats((2, 5, 2, 2)), {"nsize": 4}, match=r"LRN: nsize=4 must be odd"),
    ErrorCase(floats((2, 5, 2)), {"nsize": 3}, match=r"LRN: data must be 4-D"),
    ErrorCase(floats((2, 3, 2, 2)), {"nsize": 5}, match=r"LRN: nsize=5 is larger than the 3"),
)

add(
    "_backward_LRN",
    Case(lrn_backward_inputs((2, 5, 2, 2), 3), {"nsize": 3}, _backward_lrn(3), label="nsize3"),
    Case(
        lrn_backward_inputs((1, 6, 2, 1), 5, 0.3, 1.5),
        {"nsize": 5, "alpha": 0.3, "beta": 0.6, "knorm": 1.5},
        _backward_lrn(5, 0.3, 0.6, 1.5),
        label="nsize5",
    ),
)
