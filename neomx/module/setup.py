"""Helpers of Module's set-up: device groups, batch-resized descriptions, the optimizer."""

from __future__ import annotations

import warnings

from .. import optimizer as opt
from ..base import MXNetValueError
from ..io import DataDesc

__all__ = ["group2ctxs_per_device", "with_batch", "make_optimizer"]


def group2ctxs_per_device(group2ctxs, num_ctx):
    """One ``{group: Context}`` dict per device (or None) from the user's form."""
    if group2ctxs is None:
        return [None] * num_ctx
    if isinstance(group2ctxs, list):
        if len(group2ctxs) != num_ctx:
            raise MXNetValueError("group2ctxs: the list must have one dict per context")
        return group2ctxs
    per_device = [{} for _ in range(num_ctx)]
    for group, where in group2ctxs.items():
        places = where if isinstance(where, (list, tuple)) else [where] * num_ctx
        if len(places) != num_ctx:
            raise MXNetValueError(f"group2ctxs[{group!r}]: give one context per device")
        for i, place in enumerate(places):
            per_device[i][group] = place
    return per_device


def with_batch(desc, size):
    """``desc`` with ``size`` on its batch axis."""
    axis = DataDesc.get_batch_axis(desc.layout)
    shape = list(desc.shape)
    if axis >= 0:
        shape[axis] = size
    return DataDesc(desc.name, tuple(shape), desc.dtype, desc.layout)


def make_optimizer(
    optimizer, optimizer_params, symbol, param_names, num_ctx, batch_size, update_on_kvstore
):
    """The Optimizer Module uses: created from a name (``rescale_grad`` defaulting to
    ``1 / batch_size``) or checked, and told the parameter names by update index.

    Without a store-side update, device ``k``'s copy of parameter ``i`` is index
    ``i * num_ctx + k``, as ``model.update_params`` numbers them.
    """
    rescale_grad = 1.0 / batch_size
    if update_on_kvstore:
        idx2name = dict(enumerate(param_names))
    else:
        idx2name = {i * num_ctx + k: n for k in range(num_ctx) for i, n in enumerate(param_names)}
    if isinstance(optimizer, str):
        params = dict(optimizer_params)
        params.setdefault("rescale_grad", rescale_grad)
        return opt.create(optimizer, sym=symbol, param_idx2name=idx2name, **params)
    if not isinstance(optimizer, opt.Optimizer):
        raise MXNetValueError("init_optimizer: optimizer must be a name or an Optimizer")
    if optimizer.rescale_grad != rescale_grad:
        warnings.warn(
            "Optimizer created manually outside Module but rescale_grad is not normalized to "
            f"1.0/batch_size/num_workers ({optimizer.rescale_grad} vs. {rescale_grad}). "
            "Is this intended?",
            stacklevel=3,
        )
    if not optimizer.idx2name:
        optimizer.idx2name = idx2name.copy()
    return optimizer
