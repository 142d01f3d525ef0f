"""AdamW update operators (decoupled weight decay): ``_adamw_update``, ``_mp_adamw_update``,
``_multi_adamw_update`` and ``_multi_mp_adamw_update``, which MXNet 1.9.1 offers as
``mx.nd.contrib.adamw_update`` etc. (neomx/ndarray/contrib_update.py holds those wrappers).

Unlike the other updates, the gradient's scale is an input, ``rescale_grad``, a float32 array
whose first value is read when the update runs (so a loss scaler can change it without new
parameters). When it is 0, NaN or infinite the update is skipped: nothing is written, the
states keep their values and ``out=weight`` keeps the weight. See update.py for the other
conventions (parameters rounded to float32, states written in place).
"""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, unify
from .params import Float, FloatTuple, Int, Params
from .registry import Op, register
from .update import Update, clip, coefficients, store

_FLOAT32 = np.dtype(np.float32)


def _scale(rescale_grad):
    """The gradient scale, or None when the update is to be skipped (0, NaN or infinite)."""
    value = float(rescale_grad.ravel()[0])
    return value if math.isfinite(value) and value != 0 else None


def _skipped(xp, weight, out):
    """The result of a skipped update: ``out`` untouched, else a fresh array (MXNet 1.9.1
    leaves its fresh output unwritten; neomx fills it with zeros)."""
    return out if out is not None else xp.zeros_like(weight)


def _moment_params():
    return {
        "beta1": Float(0.9, doc="The decay rate for the 1st moment estimates."),
        "beta2": Float(0.999, doc="The decay rate for the 2nd moment estimates."),
        "epsilon": Float(1e-8, doc="A small constant for numerical stability."),
    }


# MXNet 1.9.1's parameter order.
_SINGLE_PARAMS = Params(
    lr=Float(doc="Learning rate."),
    **_moment_params(),
    wd=Float(0.0, doc="Weight decay, applied decoupled from the gradient step."),
    eta=Float(doc="Learning rate schedule multiplier."),
    clip_gradient=Float(-1.0, doc="Clip the rescaled gradient; < 0: no clipping."),
)


@register("_adamw_update")
class AdamWUpdate(Update):
    """AdamW: with ``g = clip(rescale_grad * grad)``, ``mean = beta1 * mean + (1 - beta1) * g``
    and ``var = beta2 * var + (1 - beta2) * g**2`` (in place), return ``weight - eta * (lr *
    mean / (sqrt(var) + epsilon) + wd * weight)``. Skipped when rescale_grad is 0, NaN or
    infinite.

    As in MXNet 1.9.1, the gradient input is overwritten with the rescaled, clipped gradient.
    """

    inputs = ("weight", "grad", "mean", "var", "rescale_grad")
    # NOTE: MXNet 1.9.1's kernel writes g back into grad without declaring it mutable.
    mutates = ("grad", "mean", "var")
    undeclared_writes = ("grad",)
    norm_inputs = ("rescale_grad",)
    float32_inputs = ("rescale_grad",)
    params = _SINGLE_PARAMS

    def forward(self, xp, p, weight, grad, mean, var, rescale_grad, out=None):
        scale = _scale(rescale_grad)
        if scale is None:
            return _skipped(xp, weight, out)
        lr, beta1, beta2, epsilon, wd, eta, rescale = coefficients(
            weight.dtype, p.lr, p.beta1, p.beta2, p.epsilon, p.wd, p.eta, scale
        )
        grad[...] = clip(xp, rescale * grad, p.clip_gradient)
        mean[...] = beta1 * mean + (1 - beta1) * grad
        var[...] = beta2 * var + (1 - beta2) * grad * grad
        return store(xp, weight - eta * (lr * mean / (xp.sqrt(var) + epsilon) + wd * weight), out)


@register("_mp_adamw_update")
class MPAdamWUpdate(Update):
    """AdamW on the float32 master copy ``weight32`` with float32 ``mean`` and ``var`` (all
    updated in place); return the new weight32 cast to the weight's dtype. The gradient is
    left as it is."""

    inputs = ("weight", "grad", "mean", "var", "weight32", "rescale_grad")
    mutates = ("mean", "var", "weight32")
    norm_inputs = ("rescale_grad",)
    float32_inputs = ("mean", "var", "weight32", "rescale_grad")
    params = _SINGLE_PARAMS

    def forward(self, xp, p, weight, grad, mean, var, weight32, rescale_grad, out=None):
        scale = _scale(rescale_grad)
        if scale is None:
            return _skipped(xp, weight, out)
        lr, beta1, beta2, epsilon, wd, eta, rescale = coefficients(
            _FLOAT32, p.lr, p.beta1, p.beta2, p.epsilon, p.wd, p.eta, scale
        )
        g = clip(xp, rescale * grad.astype(_FLOAT32), p.clip_gradient)
        mean[...] = beta1 * mean + (1 - beta1) * g
        var[...] = beta2 * var + (1 - beta2) * g * g
        weight32 -= eta * (lr * mean / (xp.sqrt(var) + epsilon) + wd * weight32)
        return store(xp, weight32.astype(weight.dtype), out)


class MultiAdamW(Op):
    """AdamW over ``num_weights`` weights: the inputs are weight_i, grad_i, mean_i, var_i (and
    with ``mixed_precision`` weight32_i) per weight, then rescale_grad; the outputs are the
    new weights (call with ``out=`` the weights, as MXNet's optimizers do)."""

    variadic = True
    differentiable = False
    inputs = ()
    mixed_precision = False
    mutates = ("mean", "var")
    params = Params(
        lrs=FloatTuple(doc="Learning rates, one per weight."),
        **_moment_params(),
        wds=FloatTuple(doc="Weight decays, one per weight."),
        etas=FloatTuple(doc="Learning rate schedule multipliers, one per weight."),
        clip_gradient=Float(-1.0, doc="Clip the rescaled gradients; < 0: no clipping."),
        num_weights=Int(1, min=1, doc="The number of weights updated."),
    )

    @property
    def per_weight(self) -> tuple[str, ...]:
        kinds = ("weight", "grad", "mean", "var")
        return kinds + ("weight32",) if self.mixed_precision else kinds

    def layout(self, p) -> list[tuple[str, str]]:
        """(kind, input name) of every input, in order."""
        names = [(kind, f"{kind}_{i}") for i in range(p.num_weights) for kind in self.per_weight]
        return names + [("rescale_grad", "rescale_grad")]

    def arguments(self, p):
        return tuple(name for _, name in self.layout(p))

    def mutated_inputs(self, p):
        return tuple(i for i, (kind, _) in enumerate(self.layout(p)) if kind in self.mutates)

    def num_outputs(self, p):
        return p.num_weights

    def _check(self, p, count):
        names = self.arguments(p)
        if count != len(names):
            raise MXNetValueError(
                f"{self.name}: num_weights={p.num_weights} takes {len(names)} inputs "
                f"({', '.join(self.per_weight)} for each weight, then rescale_grad), but "
                f"{count} were given"
            )
        for name in ("lrs", "wds", "etas"):
            if len(getattr(p, name)) != p.num_weights:
                raise MXNetValueError(
                    f"{self.name}: {name} has {len(getattr(p, name))} value(s), but "
                    f"num_weights={p.num_weights} needs one per weight"
                )

    def infer_shape(self, p, *shapes):
        self._check(p, len(shapes))
        per = len(self.per_weight)
        names = self.arguments(p)
        inferred, outputs = list(shapes), []
        for i in range(p.num_weights):
            group = slice(i * per, (i + 1) * per)
            merged = None
            for name, shape in zip(names[group], shapes[group]):
                merged = unify(self.name, name, shape, merged)
            if not is_known(merged):
                return None
            inferred[group] = [merged] * per
            outputs.append(merged)
        inferred[-1] = unify(self.name, "rescale_grad", shapes[-1], (1,))
        return tuple(inferred), tuple(outputs)

    def infer_type(self, p, *dtypes):
        layout = self.layout(p)
        weight = dtypes[0]
        if weight is None:
            return None
        weight = np.dtype(weight)
        if weight.kind != "f":
            raise MXNetTypeError(f"{self.name}: weight_0 has dtype {weight.name}; expected float")
        # MXNet 1.9.1 types the moments float32 in both forms (its kernel computes in the
        # weight's dtype without mixed precision: use float32 weights there).
        wanted = tuple(weight if kind in ("weight", "grad") else _FLOAT32 for kind, _ in layout)
        for (_, name), have, want in zip(layout, dtypes, wanted):
            if have is not None and np.dtype(have) != want:
                raise MXNetTypeError(
                    f"{self.name}: {name} has dtype {np.dtype(have).name}; expected {want.name}"
                )
        return wanted, (weight,) * p.num_weights

    def forward(self, xp, p, *arrays, out=None):
        count = p.num_weights
        outs = out if isinstance(out, (tuple, list)) else (out,) * count
        per = len(self.per_weight)
        scale = _scale(arrays[-1])
        results = []
        for i in range(count):
            group = dict(zip(self.per_weight, arrays[i * per : (i + 1) * per]))
            weight = group["weight"]
            if scale is None:
                results.append(_skipped(xp, weight, outs[i]))
                continue
            # MXNet 1.9.1 keeps no master copy of float32 weights: it steps the weight
            # itself and leaves weight32 unread and unwritten.
            mixed = self.mixed_precision and weight.dtype != _FLOAT32
            dtype = _FLOAT32 if mixed else weight.dtype
            lr, wd, eta, beta1, beta2, epsilon, rescale = coefficients(
                dtype, p.lrs[i], p.wds[i], p.etas[i], p.beta1, p.beta2, p.epsilon, scale
            )
            mean, var = group["mean"], group["var"]
            g = clip(xp, rescale * group["grad"].astype(dtype), p.clip_gradient)
            # The multi-tensor kernel rounds the moments as beta * (m - g) + g.
            mean[...] = beta1 * (mean - g) + g
            var[...] = beta2 * (var - g * g) + g * g
            master = group["weight32"] if mixed else weight.astype(dtype)
            updated = master - eta * (lr * mean / (xp.sqrt(var) + epsilon) + wd * master)
            if mixed:
                master[...] = updated
            results.append(store(xp, updated.astype(weight.dtype, copy=False), outs[i]))
        return results[0] if count == 1 else tuple(results)


@register("_multi_adamw_update")
class MultiAdamWUpdate(MultiAdamW):
    """Update ``num_weights`` weights by AdamW (``_adamw_update``'s step with the moments
    rounded as ``beta * (m - g) + g``); skipped when rescale_grad is 0, NaN or infinite.
    The gradients are left as they are."""


@register("_multi_mp_adamw_update")
class MultiMPAdamWUpdate(MultiAdamW):
    """``_multi_adamw_update`` on float32 master copies ``weight32_i`` (updated in place and
    returned cast to the weights' dtype); float32 weights are stepped directly, as in MXNet
    1.9.1."""

    mixed_precision = True
    mutates = ("mean", "var", "weight32")
