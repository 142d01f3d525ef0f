"""Optimizers built on Adam's moment estimates: Adam, Adamax, Nadam, FTML and LAMB.

Adam, FTML and LAMB run the fused adam_update / ftml_update / lamb_update_phase1+2
operators; Adamax and Nadam compute with NDArray arithmetic in MXNet 1.9.1's order.
"""

from __future__ import annotations

import math

from .. import ndarray as nd
from ..ndarray import clip, maximum, sqrt, zeros
from .optimizer import Optimizer, aggregation_size, register
from .sgd import use_master_copy

__all__ = ["Adam", "Adamax", "Nadam", "FTML", "LAMB"]


def _moments(weight):
    """Two zero arrays like ``weight`` (first and second moments)."""
    return (
        zeros(weight.shape, weight.context, dtype=weight.dtype),
        zeros(weight.shape, weight.context, dtype=weight.dtype),
    )


@register
class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014), the bias correction folded into the learning rate:
    ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)``.

    Parameters
    ----------
    beta1, beta2 : float, default 0.9, 0.999
        The decay rates of the first and second moment estimates.
    epsilon : float, default 1e-8
        Added to the root of the second moment.
    lazy_update : bool, default True
        Update only the rows of a row_sparse gradient (no effect on dense arrays).
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        lazy_update=True,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        stype = weight.stype if self.lazy_update else "default"
        return (
            zeros(weight.shape, weight.context, dtype=weight.dtype, stype=stype),
            zeros(weight.shape, weight.context, dtype=weight.dtype, stype=stype),
        )

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        coef1 = 1.0 - self.beta1**t
        coef2 = 1.0 - self.beta2**t
        lr *= math.sqrt(coef2) / coef1
        kwargs = {
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
            "rescale_grad": self.rescale_grad,
        }
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        mean, var = state
        nd.adam_update(
            weight,
            grad,
            mean,
            var,
            out=weight,
            lazy_update=self.lazy_update,
            lr=lr,
            wd=wd,
            **kwargs,
        )


@register
class Adamax(Optimizer):
    """AdaMax (Kingma and Ba, 2014, section 7): Adam with the infinity norm,
    ``u = max(beta2 * u, |g|)`` and ``weight -= lr / (1 - beta1**t) * m / u``.

    Parameters
    ----------
    beta1, beta2 : float, default 0.9, 0.999
        The decay rates of the first moment and of the infinity norm.
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return _moments(weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        lr /= 1.0 - self.beta1**t
        grad = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        m_t, u_t = state
        m_t[:] *= self.beta1
        m_t[:] += (1.0 - self.beta1) * grad
        u_t[:] = maximum(self.beta2 * u_t, nd.abs(grad))
        weight[:] -= lr * m_t / u_t


@register
class Nadam(Optimizer):
    """Nadam (Dozat, 2016): Adam with Nesterov momentum and a warming momentum schedule.

    Parameters
    ----------
    beta1, beta2 : float, default 0.9, 0.999
        The decay rates of the moment estimates.
    epsilon : float, default 1e-8
        Added to the root of the second moment.
    schedule_decay : float, default 0.004
        The decay of the momentum schedule.

    Notes
    -----
    As in MXNet 1.9.1, the momentum schedule is one product shared by all parameters.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        schedule_decay=0.004,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def create_state(self, index, weight):
        return _moments(weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        grad = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        momentum_t = self.beta1 * (1.0 - 0.5 * (pow(0.96, t * self.schedule_decay)))
        momentum_t_1 = self.beta1 * (1.0 - 0.5 * (pow(0.96, (t + 1) * self.schedule_decay)))
        self.m_schedule = self.m_schedule * momentum_t
        m_schedule_next = self.m_schedule * momentum_t_1
        m_t, v_t = state
        m_t[:] *= self.beta1
        m_t[:] += (1.0 - self.beta1) * grad
        v_t[:] *= self.beta2
        v_t[:] += (1.0 - self.beta2) * grad * grad
        grad_prime = grad / (1.0 - self.m_schedule)
        m_t_prime = m_t / (1.0 - m_schedule_next)
        v_t_prime = v_t / (1.0 - pow(self.beta2, t))
        m_t_bar = (1.0 - momentum_t) * grad_prime + momentum_t_1 * m_t_prime
        weight[:] -= lr * m_t_bar / (sqrt(v_t_prime) + self.epsilon)


@register
class FTML(Optimizer):
    """FTML, Follow the Moving Leader (Zheng and Kwok, 2017), by ftml_update.

    Parameters
    ----------
    beta1 : float, default 0.6
        The decay of the gradient average (near 0.5 works well).
    beta2 : float, default 0.999
        The decay of the squared-gradient average.
    epsilon : float, default 1e-8
        Against division by 0.
    """

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return _moments(weight) + (zeros(weight.shape, weight.context, dtype=weight.dtype),)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        kwargs = {
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
            "rescale_grad": self.rescale_grad,
            "t": t,
        }
        if self.clip_gradient:
            kwargs["clip_grad"] = self.clip_gradient
        prev_d, prev_v, prev_z = state
        nd.ftml_update(weight, grad, prev_d, prev_v, prev_z, out=weight, lr=lr, wd=wd, **kwargs)


@register
class LAMB(Optimizer):
    """LAMB (You et al., 2019): Adam's direction scaled per parameter by the trust ratio
    ``|weight| / |direction|``, clamped by ``lower_bound`` and ``upper_bound``.

    Parameters
    ----------
    beta1, beta2 : float, default 0.9, 0.999
        The decay rates of the moment estimates.
    epsilon : float, default 1e-6
        Added to the root of the second moment.
    lower_bound, upper_bound : float, optional
        Clamp the weight norm of the trust ratio.
    bias_correction : bool, default True
        Correct the moments' bias towards 0.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-6,
        lower_bound=None,
        upper_bound=None,
        bias_correction=True,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, aggregation_size("45")))

    def create_state(self, index, weight):
        return (
            zeros(weight.shape, weight.context, dtype=weight.dtype, stype=weight.stype),
            zeros(weight.shape, weight.context, dtype=weight.dtype, stype=weight.stype),
        )

    def _bounds(self):
        bounds = {}
        if self.lower_bound:
            bounds["lower_bound"] = self.lower_bound
        if self.upper_bound:
            bounds["upper_bound"] = self.upper_bound
        return bounds

    def _phase1_kwargs(self, t):
        kwargs = {
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
            "bias_correction": self.bias_correction,
            "rescale_grad": self.rescale_grad,
            "t": t,
        }
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        return kwargs

    def _step(self, weight, grad, state, lr, wd, t, multi_precision):
        """One parameter's update by the two LAMB phases."""
        kwargs = self._phase1_kwargs(t)
        if multi_precision:
            weight32 = state[0]
            mean, var = state[1]
            g = nd.mp_lamb_update_phase1(weight, grad, mean, var, weight32, wd=wd, **kwargs)
            r_1 = weight32.norm()
            r_2 = g.norm()
            nd.mp_lamb_update_phase2(
                weight, g, r_1, r_2, weight32, lr=lr, out=weight, **self._bounds()
            )
        else:
            mean, var = state
            g = nd.lamb_update_phase1(weight, grad, mean, var, wd=wd, **kwargs)
            r_1 = weight.norm()
            r_2 = g.norm()
            nd.lamb_update_phase2(weight, g, r_1, r_2, lr=lr, out=weight, **self._bounds())

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        if self.aggregate_num <= 1 or not isinstance(index, (tuple, list)):
            if isinstance(index, (tuple, list)):
                index, weight, grad, state = index[0], weight[0], grad[0], state[0]
            self._update_count(index)
            lr = self._get_lr(index)
            wd = self._get_wd(index)
            t = self._index_update_count[index]
            self._step(weight, grad, state, lr, wd, t, multi_precision)
            return
        from .lamb_multi import multi_lamb

        multi_lamb(self, index, weight, grad, state, multi_precision)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        mixed = use_master_copy(self, index, weight)
        self._update_impl(index, weight, grad, state, multi_precision=mixed)
