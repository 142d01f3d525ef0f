"""Optimizer update operators, SGD family: sgd, sgd_mom, nag_mom (and their mixed-precision
mp_* forms), signsgd and signum. update_adaptive.py holds Adam, RMSProp, FTRL, FTML and LAMB.

As in MXNet, an update returns the new weight (call it with ``out=weight`` to update in place)
and writes its state inputs (``mom``, ``weight32``, ...) in place: they are listed in
``mutates``, so the engine orders later readers after the update. Dense arrays only:
``lazy_update`` only matters for row_sparse gradients, which neomx does not have.

Parameters are single precision in MXNet (C++ ``float``), so the kernels round them to
float32 before computing in the weight's dtype; float64 weights then match MXNet exactly.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError
from .infer import is_known, unify
from .params import Bool, Float, Params
from .registry import Op, register

__all__ = ["Update", "clip", "coefficients", "gradient_step", "sgd_momentum", "store"]


def coefficients(dtype, *values):
    """``values`` as scalars of ``dtype``, rounded to float32 first as MXNet's params are."""
    return tuple(np.dtype(dtype).type(np.float32(v)) for v in values)


def clip(xp, values, bound):
    """Clip to [-bound, bound]; a negative bound means no clipping (MXNet's convention)."""
    if bound < 0:
        return values
    (bound,) = coefficients(values.dtype, bound)
    return xp.clip(values, -bound, bound)


def gradient_step(xp, grad, lr, rescale_grad, clip_gradient):
    """Return ``lr * clip(rescale_grad * grad, clip_gradient)`` in ``grad``'s dtype.

    ``lr`` and ``rescale_grad`` are scalars, of ``grad``'s dtype or (the preloaded
    multi-tensor updates' learning rates) float32. Products are rounded in the order MXNet's
    kernels take: without clipping ``lr * rescale_grad`` comes first, and a product with a
    float16 operand is rounded to float16 (mshadow's ``half_t`` arithmetic).
    """
    dtype = grad.dtype
    if clip_gradient < 0:
        return dtype.type(lr * rescale_grad) * grad
    return (lr * clip(xp, rescale_grad * grad, clip_gradient)).astype(dtype, copy=False)


def sgd_momentum(xp, weight, grad, mom, lr, momentum, wd, rescale_grad, clip_gradient):
    """Return SGD's new momentum ``momentum * mom - lr * wd * weight - gradient_step(...)``.

    The arrays share one dtype and ``momentum`` and ``rescale_grad`` are scalars of it;
    ``lr`` and ``wd`` may be float32 instead (``lr * wd`` then stays float32, as in MXNet's
    preloaded updates). ``mom=None`` means a zero momentum: MXNet's multi-tensor SGD without
    momentum adds this step, ``-lr * wd * weight - gradient_step(...)``, to the weight.
    """
    # A zero weight decay adds exact zeros: skipping it saves two passes over the weight.
    decay = None if wd == 0 else (lr * wd * weight).astype(weight.dtype, copy=False)
    step = gradient_step(xp, grad, lr, rescale_grad, clip_gradient)  # a new array
    if mom is None:
        # (0 - decay) - step is -(decay + step) exactly: rounding is symmetric about zero.
        if decay is not None:
            step += decay
        return xp.negative(step, out=step)
    new_mom = momentum * mom
    if decay is not None:
        new_mom -= decay
    new_mom -= step
    return new_mom


def store(xp, values, out):
    """Write ``values`` into ``out`` when given (so that later reads of an aliased weight see
    them, as in MXNet) and return the result array."""
    if out is None:
        return values
    xp.copyto(out, values, casting="unsafe")
    return out


def sgd_params(momentum=False, **tail):
    """The parameters of an SGD-style update in MXNet's order: lr, [momentum], wd,
    rescale_grad, clip_gradient, then ``tail``."""
    fields = {"lr": Float()}
    if momentum:
        fields["momentum"] = Float(0.0)
    fields.update(wd=Float(0.0), rescale_grad=Float(1.0), clip_gradient=Float(-1.0), **tail)
    return Params(**fields)


class Update(Op):
    """An optimizer update: inputs shaped like ``weight``, one output (the new weight).

    ``float32_inputs`` name the mixed-precision states, which are float32 whatever the
    weight's dtype; every other input has the weight's dtype. ``norm_inputs`` hold one value
    (shape (1,)), such as LAMB's norms.
    """

    differentiable = False
    float32_inputs: tuple[str, ...] = ()
    norm_inputs: tuple[str, ...] = ()
    # Whether the output is float32 (the LAMB mixed-precision first phase), not the weight's.
    float32_output = False

    def infer_shape(self, p, *shapes):
        names = self.arguments(p)
        weight = None
        for name, shape in zip(names, shapes):
            if name not in self.norm_inputs:
                weight = shape if weight is None else unify(self.name, name, shape, weight)
        if weight is None or not is_known(weight):
            return None
        inferred = tuple((1,) if name in self.norm_inputs else weight for name in names)
        for name, shape, want in zip(names, shapes, inferred):
            unify(self.name, name, shape, want)
        return inferred, (weight,)

    def infer_type(self, p, *dtypes):
        names = self.arguments(p)
        weight = dtypes[0]
        if weight is None:
            return None
        if np.dtype(weight).kind != "f":
            raise MXNetTypeError(
                f"{self.name}: weight has dtype {np.dtype(weight).name}; expected a float dtype"
            )
        float32 = np.dtype("float32")
        wanted = tuple(float32 if n in self.float32_inputs else np.dtype(weight) for n in names)
        for name, have, want in zip(names, dtypes, wanted):
            if have is not None and np.dtype(have) != want:
                raise MXNetTypeError(
                    f"{self.name}: {name} has dtype {np.dtype(have).name}; expected {want.name}"
                    + (" (a mixed-precision state)" if name in self.float32_inputs else "")
                )
        return wanted, (float32 if self.float32_output else np.dtype(weight),)


@register("sgd_update", aliases=("_sparse_sgd_update",))
class SGDUpdate(Update):
    """Return ``(1 - lr * wd) * weight - lr * clip(rescale_grad * grad, clip_gradient)``."""

    inputs = ("weight", "grad")
    params = sgd_params(lazy_update=Bool(True))

    def forward(self, xp, p, weight, grad, out=None):
        lr, wd, rescale = coefficients(weight.dtype, p.lr, p.wd, p.rescale_grad)
        step = gradient_step(xp, grad, lr, rescale, p.clip_gradient)
        return store(xp, (1 - lr * wd) * weight - step, out)


@register("sgd_mom_update", aliases=("_sparse_sgd_mom_update",))
class SGDMomUpdate(Update):
    """Momentum SGD: ``mom = momentum * mom - lr * wd * weight - lr * clip(rescale_grad *
    grad)`` (in place), then return ``weight + mom``."""

    inputs = ("weight", "grad", "mom")
    mutates = ("mom",)
    params = sgd_params(momentum=True, lazy_update=Bool(True))

    def forward(self, xp, p, weight, grad, mom, out=None):
        lr, momentum, wd, rescale = coefficients(
            weight.dtype, p.lr, p.momentum, p.wd, p.rescale_grad
        )
        mom[...] = sgd_momentum(xp, weight, grad, mom, lr, momentum, wd, rescale, p.clip_gradient)
        return store(xp, weight + mom, out)


@register("mp_sgd_update")
class MPSGDUpdate(Update):
    """SGD on the float32 master copy ``weight32`` (updated in place); return it cast to the
    weight's dtype (float16 training)."""

    inputs = ("weight", "grad", "weight32")
    mutates = ("weight32",)
    float32_inputs = ("weight32",)
    params = sgd_params(lazy_update=Bool(True))

    def forward(self, xp, p, weight, grad, weight32, out=None):
        lr, wd, rescale = coefficients("float32", p.lr, p.wd, p.rescale_grad)
        step = gradient_step(xp, grad.astype("float32"), lr, rescale, p.clip_gradient)
        weight32[...] = (1 - lr * wd) * weight32 - step
        return store(xp, weight32.astype(weight.dtype), out)


@register("mp_sgd_mom_update")
class MPSGDMomUpdate(Update):
    """Momentum SGD on the float32 master copy ``weight32``; ``mom`` is float32 too (both
    updated in place). Return the new weight32 cast to the weight's dtype."""

    inputs = ("weight", "grad", "mom", "weight32")
    mutates = ("mom", "weight32")
    float32_inputs = ("mom", "weight32")
    params = sgd_params(momentum=True, lazy_update=Bool(True))

    def forward(self, xp, p, weight, grad, mom, weight32, out=None):
        lr, momentum, wd, rescale = coefficients("float32", p.lr, p.momentum, p.wd, p.rescale_grad)
        grad32 = grad.astype("float32")
        mom[...] = sgd_momentum(
            xp, weight32, grad32, mom, lr, momentum, wd, rescale, p.clip_gradient
        )
        weight32 += mom
        return store(xp, weight32.astype(weight.dtype), out)


@register("nag_mom_update")
class NAGMomUpdate(Update):
    """Nesterov momentum: with ``step = lr * (clip(rescale_grad * grad) + wd * weight)`` and
    ``mom = momentum * mom``, return ``weight - mom + (momentum + 1) * (mom - step)`` and set
    ``mom -= step`` (in place)."""

    inputs = ("weight", "grad", "mom")
    mutates = ("mom",)
    params = sgd_params(momentum=True)

    def forward(self, xp, p, weight, grad, mom, out=None):
        lr, momentum, wd, rescale = coefficients(
            weight.dtype, p.lr, p.momentum, p.wd, p.rescale_grad
        )
        gradient = clip(xp, rescale * grad, p.clip_gradient)
        mom *= momentum
        result = store(
            xp, weight - mom + (momentum + 1) * (mom - lr * (gradient + wd * weight)), out
        )
        # NOTE: MXNet 1.9.1 reads the weight again for the momentum after writing the result:
        # with out=weight its step uses the new weight. Written in the same order to match.
        mom -= lr * (gradient + wd * weight)
        return result


@register("mp_nag_mom_update")
class MPNAGMomUpdate(Update):
    """Nesterov momentum on the float32 master copy ``weight32`` (``mom`` and ``weight32``
    updated in place); the momentum's weight-decay term uses the updated weight32, as in
    MXNet 1.9.1. Return the new weight32 cast to the weight's dtype."""

    inputs = ("weight", "grad", "mom", "weight32")
    mutates = ("mom", "weight32")
    float32_inputs = ("mom", "weight32")
    params = sgd_params(momentum=True)

    def forward(self, xp, p, weight, grad, mom, weight32, out=None):
        lr, momentum, wd, rescale = coefficients("float32", p.lr, p.momentum, p.wd, p.rescale_grad)
        gradient = clip(xp, rescale * grad.astype("float32"), p.clip_gradient)
        mom *= momentum
        weight32[...] = weight32 - mom + (momentum + 1) * (mom - lr * (gradient + wd * weight32))
        mom -= lr * (gradient + wd * weight32)
        return store(xp, weight32.astype(weight.dtype), out)


@register("signsgd_update")
class SignSGDUpdate(Update):
    """Return ``(1 - lr * wd) * weight - lr * sign(grad)`` (the gradient's sign only:
    ``rescale_grad`` and ``clip_gradient`` are accepted but, as in MXNet, do not matter)."""

    inputs = ("weight", "grad")
    params = sgd_params()

    def forward(self, xp, p, weight, grad, out=None):
        lr, wd = coefficients(weight.dtype, p.lr, p.wd)
        return store(xp, (1 - lr * wd) * weight - lr * xp.sign(grad), out)


@register("signum_update")
class SignumUpdate(Update):
    """Signum: ``mom = momentum * mom - (1 - momentum) * (wd * weight + clip(rescale_grad *
    grad))`` (in place), then return ``(1 - lr * wd_lh) * weight + lr * sign(mom)``."""

    inputs = ("weight", "grad", "mom")
    mutates = ("mom",)
    params = sgd_params(momentum=True, wd_lh=Float(0.0))

    def forward(self, xp, p, weight, grad, mom, out=None):
        lr, momentum, wd, rescale, wd_lh = coefficients(
            weight.dtype, p.lr, p.momentum, p.wd, p.rescale_grad, p.wd_lh
        )
        step = clip(xp, rescale * grad, p.clip_gradient)
        mom[...] = momentum * mom - (1 - momentum) * wd * weight - (1 - momentum) * step
        return store(xp, (1 - lr * wd_lh) * weight + lr * xp.sign(mom), out)
