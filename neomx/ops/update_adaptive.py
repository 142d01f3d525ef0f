"""Optimizer update operators with adaptive step sizes: adam, rmsprop, rmspropalex, ftrl, ftml
and LAMB's two phases (with their mixed-precision mp_* forms).

See update.py for the conventions: the result is the new weight (``out=weight`` updates in
place), the states named in ``mutates`` are written in place, parameters are rounded to
float32 as MXNet's are.
"""

from __future__ import annotations

import numpy as np

from .params import Bool, Float, Int, Params
from .registry import register
from .update import Update, clip, coefficients, store


def _bias_correction(beta, t):
    """``1 - beta**t`` in double precision from the float32 parameter, as MXNet computes it
    (for beta near 1 the subtraction magnifies any rounding)."""
    return 1.0 - float(np.float32(beta)) ** t


@register("adam_update", aliases=("_sparse_adam_update",))
class AdamUpdate(Update):
    """Adam without bias correction (the optimizer folds it into ``lr``): with ``g =
    clip(rescale_grad * grad + wd * weight)``, update ``mean`` and ``var`` in place and return
    ``weight - lr * mean / (sqrt(var) + epsilon)``."""

    inputs = ("weight", "grad", "mean", "var")
    mutates = ("mean", "var")
    params = Params(
        lr=Float(),
        beta1=Float(0.9),
        beta2=Float(0.999),
        epsilon=Float(1e-8),
        wd=Float(0.0),
        rescale_grad=Float(1.0),
        clip_gradient=Float(-1.0),
        lazy_update=Bool(True),
    )

    def forward(self, xp, p, weight, grad, mean, var, out=None):
        lr, beta1, beta2, epsilon, wd, rescale = coefficients(
            weight.dtype, p.lr, p.beta1, p.beta2, p.epsilon, p.wd, p.rescale_grad
        )
        g = clip(xp, rescale * grad + wd * weight, p.clip_gradient)
        mean[...] = beta1 * mean + (1 - beta1) * g
        var[...] = beta2 * var + (1 - beta2) * g * g
        return store(xp, weight - lr * mean / (xp.sqrt(var) + epsilon), out)


def _rmsprop_params(**centered):
    return Params(
        lr=Float(),
        gamma1=Float(0.95),
        **centered,
        epsilon=Float(1e-8),
        wd=Float(0.0),
        rescale_grad=Float(1.0),
        clip_gradient=Float(-1.0),
        clip_weights=Float(-1.0),
    )


@register("rmsprop_update")
class RMSPropUpdate(Update):
    """RMSProp (Tieleman and Hinton): with ``g = clip(rescale_grad * grad + wd * weight)``,
    ``n = (1 - gamma1) * g**2 + gamma1 * n`` (in place); return ``weight - lr * g / sqrt(n +
    epsilon)``, clipped to ``clip_weights`` when that is >= 0."""

    inputs = ("weight", "grad", "n")
    mutates = ("n",)
    params = _rmsprop_params()

    def forward(self, xp, p, weight, grad, n, out=None):
        lr, gamma1, epsilon, wd, rescale = coefficients(
            weight.dtype, p.lr, p.gamma1, p.epsilon, p.wd, p.rescale_grad
        )
        g = clip(xp, rescale * grad + wd * weight, p.clip_gradient)
        n[...] = (1 - gamma1) * g * g + gamma1 * n
        return store(xp, clip(xp, weight - lr * g / xp.sqrt(n + epsilon), p.clip_weights), out)


@register("rmspropalex_update")
class RMSPropAlexUpdate(Update):
    """Centered RMSProp (Graves): ``n`` and the gradient mean ``g`` decay with ``gamma1``, the
    step ``delta = gamma2 * delta - lr * grad / sqrt(n - g**2 + epsilon)`` (all three in
    place); return ``weight + delta``, clipped to ``clip_weights`` when that is >= 0."""

    inputs = ("weight", "grad", "n", "g", "delta")
    mutates = ("n", "g", "delta")
    params = _rmsprop_params(gamma2=Float(0.9))

    def forward(self, xp, p, weight, grad, n, g, delta, out=None):
        lr, gamma1, gamma2, epsilon, wd, rescale = coefficients(
            weight.dtype, p.lr, p.gamma1, p.gamma2, p.epsilon, p.wd, p.rescale_grad
        )
        step = clip(xp, rescale * grad + wd * weight, p.clip_gradient)
        n[...] = (1 - gamma1) * step * step + gamma1 * n
        g[...] = (1 - gamma1) * step + gamma1 * g
        delta[...] = gamma2 * delta - lr * step / xp.sqrt(n - g * g + epsilon)
        return store(xp, clip(xp, weight + delta, p.clip_weights), out)


@register("ftrl_update", aliases=("_sparse_ftrl_update",))
class FTRLUpdate(Update):
    """FTRL-Proximal: with ``g = clip(rescale_grad * grad)``, ``z += g - (sqrt(n + g**2) -
    sqrt(n)) * weight / lr`` and ``n += g**2`` (in place); return ``(sign(z) * lamda1 - z) /
    ((beta + sqrt(n)) / lr + wd)`` where ``|z| > lamda1``, else 0."""

    inputs = ("weight", "grad", "z", "n")
    mutates = ("z", "n")
    params = Params(
        lr=Float(),
        lamda1=Float(0.01),
        beta=Float(1.0),
        wd=Float(0.0),
        rescale_grad=Float(1.0),
        clip_gradient=Float(-1.0),
    )

    def forward(self, xp, p, weight, grad, z, n, out=None):
        lr, lamda1, beta, wd, rescale = coefficients(
            weight.dtype, p.lr, p.lamda1, p.beta, p.wd, p.rescale_grad
        )
        g = clip(xp, rescale * grad, p.clip_gradient)
        z += g - (xp.sqrt(n + g * g) - xp.sqrt(n)) * weight / lr
        n += g * g
        shrunk = (xp.sign(z) * lamda1 - z) / ((beta + xp.sqrt(n)) / lr + wd)
        return store(xp, shrunk * (xp.abs(z) > lamda1), out)


@register("ftml_update")
class FTMLUpdate(Update):
    """FTML (Zheng and Kwok, 2017) at step ``t``: with ``g = clip(rescale_grad * grad + wd *
    weight, clip_grad)``, update ``v``, ``d`` and ``z`` in place and return ``-z / d``."""

    inputs = ("weight", "grad", "d", "v", "z")
    mutates = ("d", "v", "z")
    params = Params(
        lr=Float(),
        beta1=Float(0.6),
        beta2=Float(0.999),
        epsilon=Float(1e-8),
        t=Int(),
        wd=Float(0.0),
        rescale_grad=Float(1.0),
        clip_grad=Float(-1.0),
    )

    def forward(self, xp, p, weight, grad, d, v, z, out=None):
        dtype = weight.dtype.type
        lr, beta1, beta2, wd, rescale = coefficients(
            weight.dtype, p.lr, p.beta1, p.beta2, p.wd, p.rescale_grad
        )
        # MXNet declares this epsilon as a double, unlike the other parameters.
        epsilon = dtype(p.epsilon)
        # Unlike adam's, MXNet's FTML kernel takes 1 - beta**t in float32 (1.0f - powf).
        correction1 = np.float32(1.0) - np.float32(p.beta1) ** np.float32(p.t)
        correction2 = np.float32(1.0) - np.float32(p.beta2) ** np.float32(p.t)
        correction1, correction2 = dtype(correction1), dtype(correction2)
        g = clip(xp, rescale * grad + wd * weight, p.clip_grad)
        v[...] = beta2 * v + (1 - beta2) * g * g
        d_new = correction1 / lr * (xp.sqrt(v / correction2) + epsilon)
        z[...] = beta1 * z + (1 - beta1) * g - (d_new - beta1 * d) * weight
        d[...] = d_new
        return store(xp, -z / d, out)


def _lamb_phase1_params():
    return Params(
        beta1=Float(0.9),
        beta2=Float(0.999),
        epsilon=Float(1e-6),
        t=Int(),
        bias_correction=Bool(True),
        wd=Float(),
        rescale_grad=Float(1.0),
        clip_gradient=Float(-1.0),
    )


def _lamb_direction(xp, p, dtype, weight, grad, mean, var):
    """LAMB's first phase: update ``mean`` and ``var`` in place and return the direction
    ``mean_hat / (sqrt(var_hat) + epsilon) + wd * weight``."""
    beta1, beta2, epsilon, wd, rescale = coefficients(
        dtype, p.beta1, p.beta2, p.epsilon, p.wd, p.rescale_grad
    )
    g = clip(xp, rescale * grad, p.clip_gradient)
    mean[...] = beta1 * mean + (1 - beta1) * g
    var[...] = beta2 * var + (1 - beta2) * g * g
    mean_hat, var_hat = mean, var
    if p.bias_correction:
        mean_hat = mean / dtype.type(_bias_correction(p.beta1, p.t))
        var_hat = var / dtype.type(_bias_correction(p.beta2, p.t))
    return mean_hat / (xp.sqrt(var_hat) + epsilon) + wd * weight


def _lamb_step(xp, p, dtype, g, r1, r2):
    """LAMB's second phase: ``lr`` times the trust ratio ``r1 / r2`` (``r1`` the weight's norm,
    clamped to [lower_bound, upper_bound] where those are >= 0; 1 when a norm is 0) times
    ``g``."""
    (lr,) = coefficients(dtype, p.lr)
    if p.lower_bound >= 0:
        r1 = xp.maximum(r1, dtype.type(np.float32(p.lower_bound)))
    if p.upper_bound >= 0:
        r1 = xp.minimum(r1, dtype.type(np.float32(p.upper_bound)))
    zero = (r1 == 0) | (r2 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = xp.where(zero, dtype.type(1), r1 / r2)
    return lr * ratio * g


_LAMB_PHASE2_PARAMS = Params(lr=Float(), lower_bound=Float(-1.0), upper_bound=Float(-1.0))


@register("lamb_update_phase1")
class LambUpdatePhase1(Update):
    """LAMB, first phase: update ``mean`` and ``var`` (Adam's moments, bias-corrected at step
    ``t`` if ``bias_correction``) in place and return the direction ``g = mean / (sqrt(var) +
    epsilon) + wd * weight``, which lamb_update_phase2 scales by the trust ratio."""

    inputs = ("weight", "grad", "mean", "var")
    mutates = ("mean", "var")
    params = _lamb_phase1_params()

    def forward(self, xp, p, weight, grad, mean, var, out=None):
        return store(xp, _lamb_direction(xp, p, weight.dtype, weight, grad, mean, var), out)


@register("lamb_update_phase2")
class LambUpdatePhase2(Update):
    """LAMB, second phase: return ``weight - lr * (r1 / r2) * g`` for the direction ``g``,
    the weight's norm ``r1`` (clamped to [lower_bound, upper_bound] where those are >= 0)
    and the direction's norm ``r2``; the ratio is 1 when either norm is 0."""

    inputs = ("weight", "g", "r1", "r2")
    norm_inputs = ("r1", "r2")
    params = _LAMB_PHASE2_PARAMS

    def forward(self, xp, p, weight, g, r1, r2, out=None):
        return store(xp, weight - _lamb_step(xp, p, weight.dtype, g, r1, r2), out)


@register("mp_lamb_update_phase1")
class MPLambUpdatePhase1(Update):
    """lamb_update_phase1 on the float32 master copy ``weight32``, with float32 moments;
    the direction it returns is float32."""

    inputs = ("weight", "grad", "mean", "var", "weight32")
    mutates = ("mean", "var")
    float32_inputs = ("mean", "var", "weight32")
    float32_output = True
    params = _lamb_phase1_params()

    def forward(self, xp, p, weight, grad, mean, var, weight32, out=None):
        float32 = np.dtype("float32")
        direction = _lamb_direction(xp, p, float32, weight32, grad.astype(float32), mean, var)
        return store(xp, direction, out)


@register("mp_lamb_update_phase2")
class MPLambUpdatePhase2(Update):
    """lamb_update_phase2 computed from the float32 master copy ``weight32`` with a float32
    direction ``g``; return the result cast to the weight's dtype.

    As in MXNet 1.9.1, ``weight32`` itself is left unchanged (the operator does not write
    it), so each call starts again from the master copy it is given.
    """

    inputs = ("weight", "g", "r1", "r2", "weight32")
    # MXNet 1.9.1 declares weight32 mutable (though it never writes it), which makes it an
    # auxiliary state of a Symbol.
    auxiliary = ("weight32",)
    norm_inputs = ("r1", "r2")
    float32_inputs = ("g", "r1", "r2", "weight32")
    params = _LAMB_PHASE2_PARAMS

    def forward(self, xp, p, weight, g, r1, r2, weight32, out=None):
        updated = weight32 - _lamb_step(xp, p, np.dtype("float32"), g, r1, r2)
        return store(xp, updated.astype(weight.dtype), out)
