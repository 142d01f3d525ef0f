"""``mx.optimizer.contrib``: GroupAdaGrad."""

from __future__ import annotations

from ..base import MXNetValueError
from ..ndarray import clip, mean, sqrt, square, zeros
from .optimizer import Optimizer, register

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one step size per row of a 2-D weight: the history holds the mean
    squared gradient of each row. No weight decay.

    Parameters
    ----------
    eps : float, default 1e-5
        Added to the history under the root, against division by 0.
    """

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise MXNetValueError(
                f"GroupAdaGrad: parameter {index} has shape {weight.shape}; only 2-D weights "
                "are supported (one step size per row)"
            )
        return zeros((weight.shape[0], 1), weight.context, stype=weight.stype)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        if wd != 0:
            raise MXNetValueError(
                f"GroupAdaGrad: weight decay is not supported (parameter {index} has wd={wd})"
            )
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        state[:] += mean(square(grad), axis=1, keepdims=True)
        div = lr * grad / sqrt(state + self.float_stable_eps)
        weight[:] -= div
