"""Stochastic gradient descent and its relatives: SGD (with ccSGD, its old name), NAG, Signum,
SGLD and DCASGD.

The updates run through the fused operators (sgd_update, sgd_mom_update, their multi-tensor
and mixed-precision forms, nag_mom_update, signum_update, ...) with the arguments MXNet 1.9.1
passes; SGLD and DCASGD compute with NDArray arithmetic in MXNet's order of operations.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ndarray as nd
from ..ndarray import NDArray, clip, zeros
from ..ndarray.random import normal
from .optimizer import Optimizer, _float16_warning, aggregation_size, flatten_list, register

__all__ = ["SGD", "ccSGD", "NAG", "Signum", "SGLD", "DCASGD"]


def sgd_kwargs(optimizer, momentum):
    """The rescale_grad, momentum and clip_gradient arguments of the SGD operators."""
    kwargs = {"rescale_grad": optimizer.rescale_grad}
    if momentum > 0:
        kwargs["momentum"] = momentum
    if optimizer.clip_gradient:
        kwargs["clip_gradient"] = optimizer.clip_gradient
    return kwargs


def as_lists(indices, weights, grads, states):
    """One parameter or a list of them, as lists."""
    if not isinstance(indices, (tuple, list)):
        return [indices], [weights], [grads], [states]
    return list(indices), list(weights), list(grads), list(states)


def all_dense(weights, grads):
    return all(w.stype == "default" and g.stype == "default" for w, g in zip(weights, grads))


def sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision, lazy_update=True):
    """One parameter's SGD step by sgd_update / sgd_mom_update (mp_* with a master copy)."""
    if not multi_precision:
        if state is not None:
            nd.sgd_mom_update(
                weight, grad, state, out=weight, lazy_update=lazy_update, lr=lr, wd=wd, **kwargs
            )
        else:
            nd.sgd_update(weight, grad, out=weight, lazy_update=lazy_update, lr=lr, wd=wd, **kwargs)
    elif state[0] is not None:
        nd.mp_sgd_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd, **kwargs)
    else:
        nd.mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)


def use_master_copy(optimizer, index, weight):
    """Whether a mixed-precision update applies (multi_precision and float16 weights)."""
    first = weight[0] if isinstance(index, (tuple, list)) else weight
    return bool(optimizer.multi_precision) and first.dtype == np.float16


class _MasterFirstState:
    """SGD-style optimizers keep ``(momentum, float32 master copy)`` for float16 weights:
    the reverse of the base class's order, as in MXNet."""

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (self.create_state(index, master), master)
        if weight.dtype == np.float16 and not self.multi_precision:
            _float16_warning(self._warning_name)
        return self.create_state(index, weight)


@register
class SGD(_MasterFirstState, Optimizer):
    """Stochastic gradient descent with momentum and weight decay.

    With ``g = lr * (clip(rescale_grad * grad, clip_gradient) + wd * weight)``: without
    momentum ``weight -= g``; with it ``mom = momentum * mom - g`` and ``weight += mom``.
    From an Updater, up to ``MXNET_OPTIMIZER_AGGREGATION_SIZE`` (4) parameters are updated
    per fused multi_sgd call.

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum.
    lazy_update : bool, default True
        Update only the rows of a row_sparse gradient (no effect on dense arrays).
    multi_precision : bool, default False
        Update a float32 master copy of float16 weights.

    Examples
    --------
    >>> opt = mx.optimizer.SGD(learning_rate=0.5)
    >>> weight = mx.nd.array([1.0, 2.0])
    >>> opt.update(0, weight, mx.nd.array([1.0, 1.0]), None)
    >>> weight
    <BLANKLINE>
    [0.5 1.5]
    <NDArray 2 @cpu(0)>
    """

    _warning_name = "SGD"

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = aggregation_size("4")

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        stype = weight.stype if self.lazy_update else "default"
        return zeros(weight.shape, weight.context, dtype=weight.dtype, stype=stype)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = as_lists(indices, weights, grads, states)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        kwargs = sgd_kwargs(self, self.momentum)
        if all_dense(weights, grads):
            count = len(weights)
            common = {"out": weights, "num_weights": count, "lrs": lrs, "wds": wds, **kwargs}
            if not multi_precision:
                if self.momentum > 0:
                    inputs = flatten_list(zip(weights, grads, states))
                    nd.multi_sgd_mom_update(*inputs, **common)
                else:
                    nd.multi_sgd_update(*flatten_list(zip(weights, grads)), **common)
            elif self.momentum > 0:
                inputs = flatten_list(zip(weights, grads, *zip(*states)))
                nd.multi_mp_sgd_mom_update(*inputs, **common)
            else:
                masters = [state[1] for state in states]
                nd.multi_mp_sgd_update(*flatten_list(zip(weights, grads, masters)), **common)
            return
        for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
            sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision, self.lazy_update)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        mixed = use_master_copy(self, index, weight)
        self._update_impl(index, weight, grad, state, multi_precision=mixed)


@register
class ccSGD(SGD):  # noqa: N801 - MXNet's name
    """The same as SGD (an old name MXNet keeps)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)


@register
class NAG(_MasterFirstState, Optimizer):
    """Nesterov accelerated gradient: SGD whose step looks ahead along the momentum.

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum; 0 makes it plain SGD.
    multi_precision : bool, default False
        Update a float32 master copy of float16 weights.
    """

    _warning_name = "NAG"

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = sgd_kwargs(self, self.momentum)
        if not multi_precision:
            if state is not None:
                nd.nag_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
            else:
                nd.sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)
        elif state[0] is not None:
            nd.mp_nag_mom_update(
                weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd, **kwargs
            )
        else:
            nd.mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        mixed = (
            bool(self.multi_precision)
            and weight.dtype == np.float16
            and isinstance(state, (tuple, list))
        )
        self._update_impl(index, weight, grad, state, multi_precision=mixed)


@register
class Signum(Optimizer):
    """Signum (Bernstein et al., 2018): step by the sign of the momentum.

    ``mom = momentum * mom - (1 - momentum) * (clip(rescale_grad * grad) + wd * weight)``,
    then ``weight = (1 - lr * wd_lh) * weight + lr * sign(mom)``; with ``momentum=0`` it is
    signSGD.

    Parameters
    ----------
    momentum : float, default 0.9
        The momentum.
    wd_lh : float, default 0.0
        Decoupled weight decay (Loshchilov and Hutter).
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype, stype=weight.stype)

    def _update_impl(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = sgd_kwargs(self, self.momentum)
        if self.wd_lh:
            kwargs["wd_lh"] = self.wd_lh
        if state is not None:
            nd.signum_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
        else:
            nd.signsgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state)


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: half an SGD step plus Gaussian noise of
    variance ``lr``: ``weight += -lr / 2 * (grad + wd * weight) + normal(0, sqrt(lr))``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def create_state(self, index, weight):
        return None

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        weight[:] += -lr / 2 * (grad + wd * weight)
        weight[:] += normal(
            0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype, ctx=weight.context
        )


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (Zheng et al., 2016).

    The step adds ``lamda * grad * grad * (weight - previous_weight)`` to the gradient, which
    compensates for the weight having moved since the gradient was computed.

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum.
    lamda : float, default 0.04
        The scale of the delay compensation.
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return (None, weight.copy())
        return (zeros(weight.shape, weight.context, dtype=weight.dtype), weight.copy())

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        mom, previous_weight = state
        step = grad + wd * weight + self.lamda * grad * grad * (weight - previous_weight)
        # NOTE: MXNet 1.9.1 tests ``if mom:``, which fails for arrays of more than one value
        # (and takes a zero one-value momentum for none), so its momentum path never works;
        # this is the update it describes.
        if isinstance(mom, NDArray):
            mom[:] *= self.momentum
            mom[:] += -lr * step
        else:
            mom = -lr * step
        previous_weight[:] = weight
        weight[:] += mom
