"""IdentityAttachKLSparseReg: the identity, whose gradient adds a KL-divergence sparseness
penalty computed from a running mean of the activations (the auxiliary state moving_avg).

MXNet 1.9.1 updates moving_avg in the *backward* pass, not the forward: every backward call
(in training or predict mode, again on each backward of a retained graph) first updates it
and then uses the updated average. neomx does the same: the gradient is the registered
operator ``_backward_IdentityAttachKLSparseReg``, which mutates moving_avg (``Op.mutates``),
so the engine orders that write after the forward's reads and before later readers. The
forward op names moving_avg in ``auxiliary``, so the tape keeps it live (its gradient reads
the value at backward time, updated by earlier backward calls included).
"""

from __future__ import annotations

import math

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify, unify_dtype
from ..params import Float, Params
from ..registry import Op, register
from .activation import refuse_integers
from .output import copied

__all__ = ["IdentityAttachKLSparseReg", "IdentityAttachKLSparseRegBackward"]


def _sparse_reg_params():
    return Params(
        sparseness_target=Float(0.1, doc="The mean activation the penalty aims for (rho)."),
        penalty=Float(0.001, doc="The weight of the sparseness penalty."),
        momentum=Float(0.9, doc="The weight of the old value in the moving average."),
    )


def _moving_avg_shape(op_name: str, data) -> tuple[int]:
    if len(data) < 2:
        raise MXNetValueError(
            f"{op_name}: data must have at least 2 axes (batch, units), got shape {shape_str(data)}"
        )
    return (data[1],)


def _float_type(op, names, dtypes):
    dtype = unify_dtype(op.name, names, dtypes)
    refuse_integers(op.name, dtype)
    return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))


@register("IdentityAttachKLSparseReg")
class IdentityAttachKLSparseReg(Op):
    """Return the data unchanged; its gradient adds a penalty that pushes the mean activation
    of each unit towards ``sparseness_target`` (for activations in (0, 1), a sigmoid's).

    ``moving_avg``, of shape (data.shape[1],), is an auxiliary state. The forward pass leaves
    it alone; each backward pass (in any mode) first updates it in place to
    ``momentum * moving_avg + (1 - momentum) * mean``, the mean of the data over all axes but
    the last, then returns ``dy + penalty * (-rho / m + (1 - rho) / (1 - m))`` with ``m`` the
    updated moving_avg broadcast along the last axis and ``rho`` the sparseness target. As in
    MXNet 1.9.1, data of more than 2 axes is differentiable only when its last axis has the
    length of axis 1. MXNet's ``mx.nd`` function offers no way to pass moving_avg (only
    symbols bind it); here it is the second input.

    >>> avg = mx.nd.zeros(2)
    >>> mx.nd.IdentityAttachKLSparseReg(mx.nd.array([[0.2, 0.4]]), avg)
    <BLANKLINE>
    [[0.2 0.4]]
    <NDArray 1x2 @cpu(0)>
    """

    inputs = ("data", "moving_avg")
    auxiliary = ("moving_avg",)
    params = _sparse_reg_params()
    saves = ("data", "moving_avg")

    def infer_shape(self, p, data, moving_avg):
        if not is_known(data):
            return None
        moving_avg = unify(self.name, "moving_avg", moving_avg, _moving_avg_shape(self.name, data))
        return (data, moving_avg), (data,)

    def infer_type(self, p, data, moving_avg):
        return _float_type(self, self.inputs, (data, moving_avg))

    def forward(self, xp, p, data, moving_avg, out=None):
        return copied(xp, data, out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, moving_avg = inputs
        # MXNet updates moving_avg at backward time: the backward operator writes it in place
        # (it mutates moving_avg) before adding the penalty of the updated average.
        d_data = F._backward_IdentityAttachKLSparseReg(
            dy[0],
            data,
            moving_avg,
            sparseness_target=p.sparseness_target,
            penalty=p.penalty,
            momentum=p.momentum,
        )
        return d_data, None


@register("_backward_IdentityAttachKLSparseReg")
class IdentityAttachKLSparseRegBackward(Op):
    """Update ``moving_avg`` in place with the mean of ``data`` over all axes but the last and
    return ``ograd`` plus the sparseness penalty's gradient (see IdentityAttachKLSparseReg,
    whose parameters it takes)."""

    inputs = ("ograd", "data", "moving_avg")
    params = _sparse_reg_params()
    mutates = ("moving_avg",)
    differentiable = False

    def infer_shape(self, p, ograd, data, moving_avg):
        data = ograd if data is None else data
        if not is_known(data):
            return None
        ograd = unify(self.name, "ograd", ograd, data)
        moving_avg = unify(self.name, "moving_avg", moving_avg, _moving_avg_shape(self.name, data))
        if data[-1] != data[1]:
            raise MXNetValueError(
                f"{self.name}: data {shape_str(data)} averages over all axes but the last "
                f"(length {data[-1]}, as MXNet 1.9.1 does), which must match moving_avg "
                f"{shape_str(moving_avg)} from axis 1"
            )
        return (ograd, data, moving_avg), (data,)

    def infer_type(self, p, ograd, data, moving_avg):
        return _float_type(self, self.inputs, (ograd, data, moving_avg))

    def forward(self, xp, p, ograd, data, moving_avg, out=None):
        rows = data.reshape(math.prod(data.shape[:-1]), data.shape[-1])
        if rows.shape[0] == 0:
            raise MXNetValueError(
                f"{self.name}: data {shape_str(data.shape)} has no activations to average into "
                "moving_avg"
            )
        # MXNet's parameters are C++ floats.
        momentum, target, penalty = (
            float(np.float32(value)) for value in (p.momentum, p.sparseness_target, p.penalty)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = rows.sum(axis=0, dtype=np.float64) / rows.shape[0]
            updated = moving_avg.astype(np.float64) * momentum + mean * (1.0 - momentum)
            xp.copyto(moving_avg, updated, casting="unsafe")
            # The penalty reads the stored (rounded) average, as MXNet's kernel does.
            average = moving_avg.astype(np.float64)
            slope = penalty * (-target / average + (1.0 - target) / (1.0 - average))
        # slope runs along the last axis, so it broadcasts against ograd as it is.
        return xp.add(ograd, slope.astype(ograd.dtype), out=out)
