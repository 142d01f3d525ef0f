"""arange_like: a range shaped like an input array (positions for attention masks and
positional encodings)."""

from __future__ import annotations

import math

import numpy as np

from ..infer import is_known, normalize_axis
from ..kernels import into
from ..params import Ctx, Float, Int, Params
from ..registry import Op, register


@register("_contrib_arange_like", aliases=("_npx_arange_like",))
class ArangeLike(Op):
    """Return evenly spaced values shaped like ``data`` (or like its ``axis``).

    Element i of the flattened result is ``start + (i // repeat) * step``, in ``data``'s
    dtype; with ``axis`` the result is 1-D, as long as that axis. As MXNet 1.9.1 does,
    float32 and float64 compute in their own precision, while float16 and integer dtypes
    truncate ``start`` and ``step`` to integers first (integers wrap around). ``ctx`` is
    accepted for compatibility: the result lives on ``data``'s device. No gradient flows.

    >>> mx.nd.contrib.arange_like(mx.nd.zeros((2, 3)), start=1, repeat=2)
    <BLANKLINE>
    [[1. 1. 2.]
     [2. 3. 3.]]
    <NDArray 2x3 @cpu(0)>
    """

    params = Params(
        start=Float(0.0, doc="The first value."),
        step=Float(1.0, doc="The spacing of values."),
        repeat=Int(1, min=1, doc="How many times each value repeats."),
        ctx=Ctx(None, doc="Ignored, as by MXNet 1.9.1: the result lives on data's device."),
        axis=Int(None, doc="Range over this axis of data only; None ranges over all of data."),
    )
    saves = ()

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if p.axis is None:
            return (data,), (data,)
        return (data,), ((data[normalize_axis(self.name, p.axis, len(data))],),)

    def infer_type(self, p, data):
        return None if data is None else ((data,), (data,))

    def forward(self, xp, p, data, out=None):
        shape = data.shape if p.axis is None else (data.shape[p.axis % data.ndim],)
        index = xp.arange(math.prod(shape), dtype=np.int64) // p.repeat
        dtype = data.dtype
        if dtype in (np.float32, np.float64):
            values = dtype.type(p.start) + index.astype(dtype) * dtype.type(p.step)
        else:
            values = (int(p.start) + index * int(p.step)).astype(dtype)
        return into(xp, values.reshape(shape), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,)
