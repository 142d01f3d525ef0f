"""``mx.sym.contrib.adamw_update`` and ``mp_adamw_update``: MXNet 1.9.1's Python wrappers of
the ``_adamw_update`` operators, which take ``rescale_grad`` as a number or a Symbol."""

from __future__ import annotations

from .symbol import Symbol

__all__ = ["adamw_update", "mp_adamw_update"]


def _rescale_grad(rescale_grad):
    from . import full

    return rescale_grad if isinstance(rescale_grad, Symbol) else full(shape=(1,), val=rescale_grad)


def adamw_update(
    weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999, epsilon=1e-8,
    wd=0, clip_gradient=-1, out=None, name=None, **kwargs,
):  # fmt: skip
    """The AdamW update of ``weight`` as a Symbol (see ``mx.sym._internal._adamw_update``)."""
    from . import _internal

    return _internal._adamw_update(
        weight=weight, grad=grad, mean=mean, var=var, rescale_grad=_rescale_grad(rescale_grad),
        lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, name=name, **kwargs,
    )  # fmt: skip


def mp_adamw_update(
    weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
    epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None, **kwargs,
):  # fmt: skip
    """The mixed-precision AdamW update as a Symbol (see ``_mp_adamw_update``)."""
    from . import _internal

    return _internal._mp_adamw_update(
        weight=weight, grad=grad, mean=mean, var=var, weight32=weight32,
        rescale_grad=_rescale_grad(rescale_grad), lr=lr, eta=eta, beta1=beta1, beta2=beta2,
        epsilon=epsilon, wd=wd, clip_gradient=clip_gradient, out=out, name=name, **kwargs,
    )  # fmt: skip
