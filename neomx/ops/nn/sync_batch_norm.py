"""SyncBatchNorm: batch normalization whose batch statistics are shared by ``ndev`` devices.

As in MXNet 1.9.1, each device runs its own ``_contrib_SyncBatchNorm`` call on its part of the
batch, and the calls meet at a rendezvous named by ``key``: in the forward pass to average the
per-device ``E[x]`` and ``E[x^2]``, in the backward pass to average the per-device sums of
``dy`` and ``dy * xhat``. With equal parts per device the results are those of ``BatchNorm`` on
the whole batch on one device (MXNet averages per device, so unequal parts weigh alike too).

The calls must run at the same time, one per device: under ``ThreadedEnginePerDevice`` each
device's calls run on that device's worker thread. The synchronous NaiveEngine runs them one
after another, so there ``ndev > 1`` is an error rather than a hang; a rendezvous that does not
fill within ``TIMEOUT_S`` seconds raises too.
"""

from __future__ import annotations

import threading

import numpy as np

from ... import engine as _engine
from ...base import MXNetError, MXNetValueError
from ..params import Bool, Float, Int, Params, Str
from ..registry import register
from .batch_norm import _EPS_DEFAULT, BatchNorm, BatchNormBackward
from .norm_common import channel_sum

__all__ = ["SyncBatchNorm", "SyncBatchNormBackward", "TIMEOUT_S"]

# How long a device waits at a rendezvous for the others (MXNet waits forever).
TIMEOUT_S = 60.0


class _Rendezvous:
    """A reusable meeting of ``parties`` threads, each bringing a tuple of host arrays; every
    one leaves with the element-wise averages over all of them (MXNet's ``SharedND::Pop``)."""

    def __init__(self, parties: int):
        self.parties = parties
        self.condition = threading.Condition()
        self.generation = 0
        self.arrived: list = []
        self.result = None

    def average(self, values, timeout: float):
        """The averages of ``values`` over the parties, or None if they did not all come."""
        with self.condition:
            generation = self.generation
            self.arrived.append(values)
            if len(self.arrived) == self.parties:
                columns = zip(*self.arrived)
                self.result = tuple(sum(column) / self.parties for column in columns)
                self.arrived = []
                self.generation += 1
                self.condition.notify_all()
                return self.result
            # NOTE: this generation's result cannot be replaced before every party has read
            # it: the next generation fills only once all of them have come back.
            if self.condition.wait_for(lambda: self.generation != generation, timeout):
                return self.result
            self.arrived.remove(values)
            return None


_rendezvous: dict = {}
_rendezvous_lock = threading.Lock()


def check_engine(op_name: str, ndev: int) -> None:
    """Raise if the current engine runs operations one at a time (they would deadlock)."""
    if ndev > 1 and _engine.current.is_sync:
        raise MXNetError(
            f"{op_name}: sharing batch statistics across ndev={ndev} devices needs the calls "
            f"on the {ndev} devices to run at the same time, but the engine "
            f"{_engine.current.name} runs them one after another; set "
            "MXNET_ENGINE_TYPE=ThreadedEnginePerDevice or run them inside "
            "mx.engine.engine_scope('ThreadedEnginePerDevice')"
        )


def average_across_devices(xp, op_name: str, key: str, phase: str, ndev: int, values):
    """Average the per-channel float64 arrays ``values`` with the other ``ndev - 1`` devices
    that call with the same ``key`` and ``phase``; return the averages as ``xp`` arrays."""
    check_engine(op_name, ndev)
    with _rendezvous_lock:
        meeting = _rendezvous.get((key, phase))
        if meeting is None or meeting.parties != ndev:
            meeting = _rendezvous[(key, phase)] = _Rendezvous(ndev)
    # MXNet also meets on the host: the devices' arrays may sit on different GPUs.
    host = tuple(v.get() if hasattr(v, "get") else np.asarray(v) for v in values)
    result = meeting.average(host, TIMEOUT_S)
    if result is None:
        raise MXNetError(
            f"{op_name}: key {key!r}: waited {TIMEOUT_S:g} s in the {phase} pass for the other "
            f"devices (ndev={ndev}); each device must call {op_name} with the same key, on "
            "its own context, under the ThreadedEnginePerDevice engine"
        )
    return tuple(xp.asarray(v) for v in result)


@register("_contrib_SyncBatchNorm")
class SyncBatchNorm(BatchNorm):
    """Batch normalization over axis 1 whose batch statistics ``ndev`` devices share.

    Each device calls the operator on its part of the batch, with the same ``key``; while
    training, the per-device mean and mean of squares are averaged across the devices before
    normalizing (and the gradient sums likewise in the backward pass), so every device
    normalizes by the statistics of the whole batch. The calls must run concurrently: with
    ``ndev > 1`` use the ``ThreadedEnginePerDevice`` engine. With ``ndev=1`` it is
    ``BatchNorm`` with ``axis=1``. Gluon's layer is ``gluon.contrib.nn.SyncBatchNorm``.

    Outputs: the normalized data, then the mean and the variance (with
    ``output_mean_var=True``).
    """

    params = Params(
        eps=Float(_EPS_DEFAULT, doc="Added to the variance before the square root."),
        momentum=Float(0.9, doc="The weight of the old value in the moving statistics."),
        fix_gamma=Bool(True, doc="Take gamma as 1 (its gradient is 0)."),
        use_global_stats=Bool(False, doc="Normalize by the moving statistics, also training."),
        output_mean_var=Bool(False, doc="Also return the mean and variance."),
        ndev=Int(1, min=1, doc="The number of devices that share the batch statistics."),
        key=Str("", doc="The name shared by the calls on the devices of one layer."),
    )
    # MXNet's SyncBatchNorm returns the variance and declares eps a C++ float.
    outputs_invstd = False

    def channel_axis(self, p, ndim: int) -> int:
        if ndim < 2:
            raise MXNetValueError(
                f"{self.name}: data must have 2 or more dimensions (channels on axis 1), got {ndim}"
            )
        return 1

    def epsilon(self, p) -> float:
        return float(np.float32(p.eps))

    def batch_moments(self, xp, p, x3, y3, count):
        if p.ndev == 1:
            return super().batch_moments(xp, p, x3, y3, count)
        # One meeting, as MXNet's sync-once scheme: E[x] and E[x^2], in float64.
        local = (channel_sum(xp, x3) / count, channel_sum(xp, x3, x3) / count)
        mean, mean_square = average_across_devices(xp, self.name, p.key, "forward", p.ndev, local)
        var = xp.maximum(mean_square - mean * mean, 0.0)
        xp.subtract(x3, mean.astype(y3.dtype)[:, None], out=y3)
        return mean, var

    def gradient(self, p, F, inputs, outputs, dy):
        data, gamma = inputs[0], inputs[1]
        invstd = F.rsqrt(F._plus_scalar(outputs[2], scalar=self.epsilon(p)))
        grads = F._backward__contrib_SyncBatchNorm(
            dy[0],
            data,
            gamma,
            outputs[1],
            invstd,
            fix_gamma=p.fix_gamma,
            use_global_stats=p.use_global_stats,
            ndev=p.ndev,
            key=p.key,
        )
        return (*grads, None, None)


@register("_backward__contrib_SyncBatchNorm")
class SyncBatchNormBackward(BatchNormBackward):
    """The gradients of ``_contrib_SyncBatchNorm``'s data, gamma and beta, from ``ograd`` and
    the forward's ``mean`` and ``invstd``.

    While training, the sums of ``dy`` and ``dy * xhat`` that flow back through the batch
    statistics are averaged across the ``ndev`` devices calling with the same ``key``; the
    gamma and beta gradients stay per device (a KVStore sums them, as in MXNet).
    """

    params = Params(
        axis=Int(1),
        fix_gamma=Bool(True),
        use_global_stats=Bool(False),
        ndev=Int(1, min=1),
        key=Str(""),
    )

    def batch_sums(self, xp, p, sum_dy, sum_dy_xhat):
        if p.ndev == 1:
            return sum_dy, sum_dy_xhat
        # MXNet divides the averaged sums by one device's count: with equal parts that is the
        # whole batch's sums over the whole batch's count.
        return average_across_devices(
            xp, self.name, p.key, "backward", p.ndev, (sum_dy, sum_dy_xhat)
        )
