"""Large-batch SGD with layer-wise learning rates: LARS and LBSGD.

LARS scales each layer's learning rate by ``eta * |w| / (|g| + wd * |w| + eps)`` (multi_lars,
then the preloaded multi-tensor SGD operators); biases and batch-norm parameters (names ending
in ``gamma``, ``beta`` or ``bias``) keep theirs. LBSGD accumulates gradients over
``batch_scale`` steps and warms its learning rate up.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from .. import ndarray as nd
from ..ndarray import array, multiply, zeros
from .optimizer import Optimizer, aggregation_size, flatten_list, register
from .sgd import (
    _MasterFirstState,
    all_dense,
    as_lists,
    sgd_kwargs,
    sgd_step,
    use_master_copy,
)

__all__ = ["LARS", "LBSGD"]

_NO_LARS_SUFFIXES = ("gamma", "beta", "bias")


@register
class LARS(_MasterFirstState, Optimizer):
    """LARS (You et al., 2017): SGD with momentum whose learning rate is scaled per layer.

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum.
    lazy_update : bool, default True
        Update only the rows of a row_sparse gradient (no effect on dense arrays).
    eta : float, default 0.001
        The LARS coefficient.
    eps : float, default 0
        Added to the denominator of the trust ratio.
    momentum_correction : bool, default True
        Scale the momentum by the change of the global learning rate (Goyal et al., 2017).
    """

    _warning_name = "SGD"

    def __init__(
        self, momentum=0.0, lazy_update=True, eta=0.001, eps=0, momentum_correction=True, **kwargs
    ):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = aggregation_size("4")
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        # Remember the previous global learning rate for the momentum correction.
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self._base_lr()
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return [lr * self._multiplier(index, "lr_mult", self.lr_mult) for index in indices]

    @staticmethod
    def _decays_by_default(name):
        # LARS decays only *_weight parameters by default (not *_gamma).
        return name.endswith("_weight")

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        stype = weight.stype if self.lazy_update else "default"
        return zeros(weight.shape, weight.context, dtype=weight.dtype, stype=stype)

    def _l2norm(self, v, rescale=False):
        v = v.astype("float32")
        if rescale:
            v *= self.rescale_grad
        return nd.norm(v).asnumpy()[0]

    def _name(self, index):
        return self.idx2name[index] if index in self.idx2name else str(index)

    def _get_lars(self, i, weight, g, lr, wd):
        """The learning rate of one layer, scaled by its trust ratio."""
        if self._name(i).endswith(_NO_LARS_SUFFIXES):
            return lr
        w_norm = self._l2norm(weight)
        g_norm = self._l2norm(g, rescale=True)
        if w_norm > 0.0 and g_norm > 0.0:
            lars = self.eta * w_norm / (g_norm + wd * w_norm + self.eps)
        else:
            lars = 1.0
        return lars * lr

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = as_lists(indices, weights, grads, states)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        momentum = self.momentum
        if self.momentum > 0 and self.momentum_correction and self.last_lr != 0:
            momentum = self.momentum * (self.cur_lr / self.last_lr)
        kwargs = sgd_kwargs(self, self.momentum)
        if self.momentum > 0:
            kwargs["momentum"] = momentum
        if not all_dense(weights, grads):
            lrs = [
                self._get_lars(i, w, g, lr, wd)
                for i, w, g, lr, wd in zip(indices, weights, grads, lrs, wds)
            ]
            for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
                sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision, self.lazy_update)
            return
        # The layers LARS scales first, then the others, each in the given order.
        scaled = [not self._name(i).endswith(_NO_LARS_SUFFIXES) for i in indices]
        order = [k for k in range(len(indices)) if scaled[k]]
        order += [k for k in range(len(indices)) if not scaled[k]]
        num_lars = sum(scaled)
        ctx = weights[0].context
        new_lrs = array([lrs[k] for k in order], ctx=ctx, dtype="float32")
        new_wds = array([wds[k] for k in order], ctx=ctx, dtype="float32")
        new_weights = [weights[k] for k in order]
        new_grads = [grads[k] for k in order]
        new_states = [states[k] for k in order]
        if num_lars > 0:
            weight_sq = nd.multi_sum_sq(*new_weights[:num_lars], num_arrays=num_lars)
            grad_sq = nd.multi_sum_sq(*new_grads[:num_lars], num_arrays=num_lars)
            nd.multi_lars(
                new_lrs[:num_lars],
                weight_sq,
                grad_sq,
                new_wds[:num_lars],
                eta=self.eta,
                eps=self.eps,
                rescale_grad=self.rescale_grad,
                out=new_lrs[:num_lars],
            )
        for start in range(0, len(indices), self.aggregate_num):
            chunk = slice(start, start + self.aggregate_num)
            chunk_weights = new_weights[chunk]
            if not multi_precision:
                per_weight = (chunk_weights, new_grads[chunk])
                if self.momentum > 0:
                    per_weight += (new_states[chunk],)
            else:
                per_weight = (chunk_weights, new_grads[chunk], *zip(*new_states[chunk]))
                if not self.momentum > 0:
                    per_weight = per_weight[:2] + per_weight[3:]
            inputs = flatten_list(zip(*per_weight)) + [new_lrs[chunk], new_wds[chunk]]
            operator = _PRELOADED[(bool(multi_precision), self.momentum > 0)]
            operator(*inputs, out=chunk_weights, num_weights=len(chunk_weights), **kwargs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        mixed = use_master_copy(self, index, weight)
        self._update_impl(index, weight, grad, state, multi_precision=mixed)


_PRELOADED = {
    (False, False): nd.preloaded_multi_sgd_update,
    (False, True): nd.preloaded_multi_sgd_mom_update,
    (True, False): nd.preloaded_multi_mp_sgd_update,
    (True, True): nd.preloaded_multi_mp_sgd_mom_update,
}


@register
class LBSGD(Optimizer):
    """Large-batch SGD: gradients accumulate over ``batch_scale`` calls, then one SGD step
    with the learning rate warmed up over ``warmup_epochs`` (or scaled by LARS).

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum.
    multi_precision : bool, default False
        Update a float32 master copy of float16 weights.
    warmup_strategy : {'linear', 'power2', 'sqrt', 'lars'}, default 'linear'
        How the learning-rate multiplier grows to ``batch_scale``.
    warmup_epochs : int, default 5
        The length of the warm-up.
    batch_scale : int, default 1
        How many calls make one large batch.
    updates_per_epoch : int, default 32
        Updates per epoch, to count the warm-up.
    begin_epoch : int, default 0
        The first epoch (when resuming).
    num_epochs : int, default 60
        The number of epochs.
    """

    def __init__(
        self,
        momentum=0.0,
        multi_precision=False,
        warmup_strategy="linear",
        warmup_epochs=5,
        batch_scale=1,
        updates_per_epoch=32,
        begin_epoch=0,
        num_epochs=60,
        **kwargs,
    ):
        super().__init__(**kwargs)
        logging.info("Running Large-Batch SGD Algorithm")
        logging.info(
            "(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, updates_per_epoch=%d)",
            batch_scale,
            warmup_epochs,
            warmup_strategy,
            updates_per_epoch,
        )
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            master = array(weight, ctx=weight.context, dtype=np.float32)
            momentum = None
            if self.momentum != 0.0:
                momentum = zeros(weight.shape, weight.context, dtype=np.float32)
            return (momentum, master)
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype, stype=weight.stype)

    def _get_lbmult(self, nup):
        """The learning-rate multiplier after ``nup`` updates of the warm-up."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == "linear":
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == "power2":
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == "sqrt":
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    def _get_lars(self, weight, g, wd):
        """The LARS multiplier sqrt(|w|^2 / (|g|^2 + wd |w|^2)), clamped to [0.01, 100]."""
        weight2 = self._l2norm(weight)
        grad2 = self._l2norm(g)
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100)

    def _l2norm(self, v):
        # The sum of squares (MXNet's name), summed on the host.
        return multiply(v, v).asnumpy().sum()

    def _reset_cum_gradient(self, index):
        self.cumgrads[index]["cum_grad"] = 0

    def _get_cum_gradient(self, index):
        return self.cumgrads.get(index, {})

    def _put_cum_gradient(self, index, cgrad):
        self.cumgrads[index] = cgrad

    def _cumulate_gradient(self, grad, index):
        """Add ``grad`` to the parameter's accumulated gradient and count it."""
        cgrad = self._get_cum_gradient(index)
        if cgrad and cgrad["num_cums"] > 0:
            cum_grad = cgrad["cum_grad"] + grad
            num_cums = cgrad["num_cums"] + 1
        else:
            cum_grad = grad
            num_cums = self.init_updates + 1
        cgrad = {"cum_grad": cum_grad, "num_cums": num_cums}
        self._put_cum_gradient(index, cgrad)
        return cgrad

    def update(self, index, weight, grad, state):
        # NOTE: MXNet reads the rates before counting this update.
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad["num_cums"] % self.batch_scale != 0:
            # Between large-batch steps the weight stays (an sgd_update with lr 0, as in MXNet).
            nd.sgd_update(weight, grad, out=weight, lr=0.0, wd=wd)
            return
        grad = cgrad["cum_grad"] / self.batch_scale
        if self.warmup_strategy == "lars":
            lbmult = self._get_lars(weight, grad, wd)
        else:
            lbmult = self._get_lbmult(cgrad["num_cums"])
        lr = lr * lbmult
        kwargs = sgd_kwargs(self, self.momentum)
        sgd_step(weight, grad, state, lr, wd, kwargs, isinstance(state, (list, tuple)))
        self._reset_cum_gradient(index)
