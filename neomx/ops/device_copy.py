"""``_CrossDeviceCopy``: the copy that model parallelism puts where data crosses devices.

MXNet 1.9.1 inserts this operator when it places a graph with ``group2ctx`` (PlaceDevice):
one copy per (entry, destination device), named ``<source>_<index>_copy``. MXNet cannot call
it imperatively; neomx records it for ``as_in_context`` under autograd, and the placement
pass (neomx.graph.placement) creates it with ``ctx`` (where the copy lands) and ``src_ctx``
(where its input lives), so that its gradient, a copy the other way, knows its own
destination when the executor places the backward graph.
"""

from __future__ import annotations

import numpy as np

from .params import Ctx, Params
from .registry import Op, register

__all__ = ["CrossDeviceCopy", "transfer"]


def _is_numpy(array) -> bool:
    return isinstance(array, np.ndarray)


def transfer(data, out):
    """Copy ``data`` into ``out`` wherever each lives: host or GPU, any GPU.

    Both may be NumPy or CuPy arrays; a CuPy array may sit on another GPU than ``out``.
    """
    if _is_numpy(out):
        np.copyto(out, data if _is_numpy(data) else data.get(), casting="unsafe")
        return out
    import cupy

    with out.device:
        if _is_numpy(data):
            source = cupy.asarray(data)
        elif data.device != out.device:
            # NOTE: ndarray.copy() copies onto the current device, from any device.
            source = data.copy()
        else:
            source = data
        cupy.copyto(out, source, casting="unsafe")
    return out


@register("_CrossDeviceCopy")
class CrossDeviceCopy(Op):
    """Copy the input to another device.

    The graph executor inserts it where a model-parallel graph (``ctx_group`` attributes bound
    with ``group2ctx``) moves data between devices, and runs it on the destination device
    with ``out=`` there. Called imperatively (``as_in_context`` under autograd), its result
    lands on ``ctx``.
    """

    params = Params(
        ctx=Ctx(None, doc="The device the copy lands on (set by graph placement)."),
        src_ctx=Ctx(None, doc="The device the input lives on (set by graph placement)."),
    )
    saves = ()
    moves_to_ctx = True

    def forward(self, xp, p, data, *, out=None):
        if out is None:
            return data.copy()
        return transfer(data, out)

    def gradient(self, p, F, inputs, outputs, dy):
        # The gradient travels back: a copy from this copy's destination to its source.
        reverse = {}
        if p.src_ctx is not None:
            reverse["ctx"] = p.src_ctx
        if p.ctx is not None:
            reverse["src_ctx"] = p.ctx
        return (F._CrossDeviceCopy(dy[0], **reverse),)
