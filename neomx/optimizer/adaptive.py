"""Optimizers with per-coordinate step sizes from accumulated squared gradients: AdaGrad,
AdaDelta, RMSProp (plain and centered) and Ftrl.

RMSProp and Ftrl run the fused rmsprop_update / rmspropalex_update / ftrl_update operators;
AdaGrad and AdaDelta compute with NDArray arithmetic, in MXNet 1.9.1's order of operations.
"""

from __future__ import annotations

from .. import ndarray as nd
from ..ndarray import clip, sqrt, square, zeros
from .optimizer import Optimizer, register

__all__ = ["AdaGrad", "AdaDelta", "RMSProp", "Ftrl"]


@register
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011): divide each step by the root of the summed squares of
    past gradients: ``history += g**2``, ``weight -= lr * (g / sqrt(history + eps) + wd *
    weight)`` with ``g = clip(rescale_grad * grad)``.

    Parameters
    ----------
    eps : float, default 1e-7
        Added to the history under the root, against division by 0.
    """

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        # NOTE: float32 whatever the weight's dtype, as in MXNet 1.9.1.
        return zeros(weight.shape, weight.context, stype=weight.stype)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        history = state
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        history[:] += square(grad)
        div = grad / sqrt(history + self.float_stable_eps)
        weight[:] += (div + weight * wd) * -lr


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler, 2012): steps scaled by running averages of squared gradients and
    squared steps, with no learning rate.

    Parameters
    ----------
    rho : float, default 0.9
        The decay of both running averages.
    epsilon : float, default 1e-5
        Added under both roots.

    Notes
    -----
    As in MXNet 1.9.1, the gradient passed in is multiplied by ``rescale_grad`` in place.
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (zeros(weight.shape, weight.context), zeros(weight.shape, weight.context))

    def update(self, index, weight, grad, state):
        wd = self._get_wd(index)
        self._update_count(index)
        grad *= self.rescale_grad
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        acc_g, acc_delta = state
        acc_g[:] *= self.rho
        acc_g[:] += (1.0 - self.rho) * grad * grad
        delta = sqrt(acc_delta + self.epsilon) / sqrt(acc_g + self.epsilon) * grad
        acc_delta[:] *= self.rho
        acc_delta[:] += (1.0 - self.rho) * delta * delta
        weight[:] -= delta + wd * weight


@register
class RMSProp(Optimizer):
    """RMSProp: Tieleman and Hinton's (``centered=False``, rmsprop_update) or Graves's
    centered form with a momentum-like step (``centered=True``, rmspropalex_update).

    Parameters
    ----------
    gamma1 : float, default 0.9
        The decay of the running average of squared gradients.
    gamma2 : float, default 0.9
        The momentum of the step (centered only).
    epsilon : float, default 1e-8
        Added under the root.
    centered : bool, default False
        Use the centered form.
    clip_weights : float, optional
        Clip the weights to ``[-clip_weights, clip_weights]`` after each step.
    """

    def __init__(
        self,
        learning_rate=0.001,
        gamma1=0.9,
        gamma2=0.9,
        epsilon=1e-8,
        centered=False,
        clip_weights=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        count = 3 if self.centered else 1
        return tuple(zeros(weight.shape, weight.context, stype=weight.stype) for _ in range(count))

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = {"gamma1": self.gamma1, "epsilon": self.epsilon, "rescale_grad": self.rescale_grad}
        if self.centered:
            kwargs["gamma2"] = self.gamma2
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        if self.clip_weights:
            kwargs["clip_weights"] = self.clip_weights
        if not self.centered:
            (n,) = state
            nd.rmsprop_update(weight, grad, n, out=weight, lr=lr, wd=wd, **kwargs)
        else:
            n, g, delta = state
            nd.rmspropalex_update(weight, grad, n, g, delta, out=weight, lr=lr, wd=wd, **kwargs)


@register
class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013), with L1 regularisation ``lamda1``.

    Parameters
    ----------
    lamda1 : float, default 0.01
        The L1 regularisation coefficient.
    learning_rate : float, default 0.1
        The learning rate.
    beta : float, default 1
        Added to the root of the summed squared gradients.
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        # NOTE: set after the base class, as in MXNet: the scheduler's base_lr is not replaced.
        self.lr = learning_rate

    def create_state(self, index, weight):
        return (
            zeros(weight.shape, weight.context, stype=weight.stype),
            zeros(weight.shape, weight.context, stype=weight.stype),
        )

    def update(self, index, weight, grad, state):
        self._update_count(index)
        wd = self._get_wd(index)
        lr = self._get_lr(index)
        kwargs = {"lamda1": self.lamda1, "beta": self.beta, "rescale_grad": self.rescale_grad}
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        z, n = state
        nd.ftrl_update(weight, grad, z, n, out=weight, lr=lr, wd=wd, **kwargs)
