"""Dropout: zero random elements while training and rescale the rest by 1 / (1 - p)."""

from __future__ import annotations

from ...base import MXNetValueError
from ..infer import is_known, normalize_axis
from ..params import Bool, Enum, Float, Params, Shape
from ..registry import Op, register


@register("Dropout")
class Dropout(Op):
    """Zero each element with probability ``p`` while training (``mode='always'``: always),
    scaling the kept ones by ``1 / (1 - p)``; otherwise return the input unchanged.

    ``axes`` share one random draw along those axes (variational dropout). A second, hidden
    output holds the scaled mask that the gradient multiplies by.
    """

    params = Params(
        p=Float(0.5), mode=Enum(("training", "always"), "training"), axes=Shape(()),
        cudnn_off=Bool(False),
    )
    runtime = ("is_train", "rng")
    saves = ("outputs",)

    def num_outputs(self, p):
        return 2

    def num_visible_outputs(self, p):
        return 1

    def output_names(self, p):
        return ("output", "mask")

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if not 0.0 <= p.p <= 1.0:
            raise MXNetValueError(f"{self.name}: p={p.p} must lie in [0, 1]")
        for axis in p.axes:
            normalize_axis(self.name, axis, len(data), "axes")
        return (data,), (data, data)

    def forward(self, xp, p, data, out=None, *, is_train=False, rng=None):
        out_buf, mask_buf = out if out is not None else (None, None)
        if not (is_train or p.mode == "always") or p.p == 0.0:
            ones = xp.broadcast_to(xp.ones((), dtype=data.dtype), data.shape)
            if out_buf is None:
                return data.copy(), ones
            xp.copyto(out_buf, data)
            return out_buf, ones
        draw_shape = tuple(
            1 if axis in {a % data.ndim for a in p.axes} else dim
            for axis, dim in enumerate(data.shape)
        )
        keep = 1.0 - p.p
        mask = (rng.random(draw_shape) < keep).astype(data.dtype)
        if keep > 0.0:
            mask *= data.dtype.type(1.0 / keep)
        mask = xp.broadcast_to(mask, data.shape)
        result = xp.multiply(data, mask, out=out_buf)
        if mask_buf is not None:
            xp.copyto(mask_buf, mask)
            return result, mask_buf
        return result, mask

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.broadcast_mul(dy[0], outputs[1]),)
