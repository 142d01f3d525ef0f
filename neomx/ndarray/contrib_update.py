"""``mx.nd.contrib.adamw_update``, ``mp_adamw_update``, ``multi_adamw_update`` and
``multi_mp_adamw_update``: MXNet 1.9.1's Python wrappers of the ``_*adamw_update`` operators,
which take ``rescale_grad`` as a number or a one-element NDArray."""

from __future__ import annotations

from .ndarray import NDArray

__all__ = ["adamw_update", "mp_adamw_update", "multi_adamw_update", "multi_mp_adamw_update"]


def _rescale_grad(rescale_grad, ctx):
    """``rescale_grad`` as a float32 NDArray of shape (1,) on ``ctx``."""
    from . import full

    if isinstance(rescale_grad, NDArray):
        return rescale_grad.as_in_context(ctx)
    return full(shape=(1,), val=rescale_grad, ctx=ctx)


def adamw_update(
    weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999, epsilon=1e-8,
    wd=0, clip_gradient=-1, out=None, name=None, **kwargs,
):  # fmt: skip
    """Update ``weight`` by AdamW (see ``mx.nd._internal._adamw_update``).

    >>> weight, mean, var = mx.nd.array([1.0]), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> _ = mx.nd.contrib.adamw_update(weight, mx.nd.array([2.0]), mean, var, rescale_grad=0.5,
    ...                                lr=0.1, eta=1.0, out=weight)
    >>> round(float(weight.asscalar()), 4)
    0.6838
    """
    from . import _internal

    return _internal._adamw_update(
        weight, grad, mean, var, _rescale_grad(rescale_grad, weight.context),
        lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, name=name, **kwargs,
    )  # fmt: skip


def mp_adamw_update(
    weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
    epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None, **kwargs,
):  # fmt: skip
    """Update ``weight`` by AdamW on its float32 master copy ``weight32`` (see
    ``mx.nd._internal._mp_adamw_update``)."""
    from . import _internal

    return _internal._mp_adamw_update(
        weight, grad, mean, var, weight32, _rescale_grad(rescale_grad, weight.context),
        lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, name=name, **kwargs,
    )  # fmt: skip


def multi_adamw_update(
    weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None, name=None, size=0,
    **kwargs,
):  # fmt: skip
    """Update several weights by AdamW in one call (see ``_multi_adamw_update``)."""
    from . import _internal

    arrays = [a for group in zip(weights, grads, mean, var) for a in group]
    arrays.append(_rescale_grad(rescale_grad, weights[0].context))
    return _internal._multi_adamw_update(
        *arrays, out=out, num_weights=size or len(weights), lrs=lrs, wds=wds, etas=etas,
        name=name, **kwargs,
    )  # fmt: skip


def multi_mp_adamw_update(
    weights, grads, mean, var, weights32, rescale_grad, lrs, wds, etas, out=None, name=None,
    size=0, **kwargs,
):  # fmt: skip
    """Update several weights by AdamW on float32 master copies in one call (see
    ``_multi_mp_adamw_update``)."""
    from . import _internal

    arrays = [a for group in zip(weights, grads, mean, var, weights32) for a in group]
    arrays.append(_rescale_grad(rescale_grad, weights[0].context))
    return _internal._multi_mp_adamw_update(
        *arrays, out=out, num_weights=size or len(weights), lrs=lrs, wds=wds, etas=etas,
        name=name, **kwargs,
    )  # fmt: skip
