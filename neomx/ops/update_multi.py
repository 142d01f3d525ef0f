"""Multi-tensor optimizer updates: SGD, with or without momentum and mixed precision, over
many weights in one call (``multi_sgd_update``, ``multi_sgd_mom_update``,
``multi_mp_sgd_update``, ``multi_mp_sgd_mom_update``) and their ``preloaded_*`` forms.

The inputs come interleaved per weight, as in MXNet 1.9.1: ``weight_0, grad_0, [mom_0],
[weight32_0], weight_1, grad_1, ...``; the preloaded forms take the learning rates and weight
decays as two float32 arrays at the end (``lrs``, ``wds``) instead of as parameters, so an
optimizer can change them without new parameter values. The outputs are the new weights
(MXNet's optimizers pass ``out=`` the weights); ``mom_i`` and ``weight32_i`` are written in
place. Each weight takes the step of ``sgd_mom_update`` (``mp_sgd_mom_update`` for mixed
precision), computed by the same helpers; without momentum MXNet's kernel starts from a zero
momentum, which rounds slightly differently from ``sgd_update``.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, shape_str, unify
from .params import Float, FloatTuple, Int, Params
from .registry import Op, register
from .update import coefficients, sgd_momentum, store

_FLOAT32 = np.dtype(np.float32)


def _params(preloaded, momentum):
    """The parameters in MXNet's order: [lrs, wds], [momentum], rescale_grad, clip_gradient,
    num_weights."""
    fields = {}
    if not preloaded:
        fields["lrs"] = FloatTuple(doc="Learning rates, one per weight.")
        fields["wds"] = FloatTuple(doc="Weight decays, one per weight.")
    if momentum:
        fields["momentum"] = Float(0.0, doc="The decay rate of the momentum.")
    fields["rescale_grad"] = Float(1.0, doc="Multiply the gradients by this first.")
    fields["clip_gradient"] = Float(
        -1.0, doc="Clip the rescaled gradients to [-clip_gradient, clip_gradient]; < 0: no clip."
    )
    fields["num_weights"] = Int(1, min=1, doc="The number of weights updated.")
    return Params(**fields)


class MultiSGD(Op):
    """SGD over ``num_weights`` weights; subclasses choose the variant by class attributes.

    ``with_momentum`` adds a ``mom_i`` per weight, ``mixed_precision`` a float32 master
    copy ``weight32_i`` that is updated and returned cast to the weight's dtype (float16 or
    float64 weights; a float32 weight is its own master), and ``preloaded`` takes ``lrs`` and
    ``wds`` as float32 input arrays.

    ``mutates`` names kinds of input (``mom``, ``weight32``); ``mutated_inputs`` finds their
    positions for the call's num_weights.
    """

    variadic = True
    differentiable = False
    inputs = ()
    with_momentum = False
    mixed_precision = False
    preloaded = False

    @property
    def per_weight(self) -> tuple[str, ...]:
        """The kinds of input each weight brings, in MXNet's order."""
        kinds = ("weight", "grad")
        if self.with_momentum:
            kinds += ("mom",)
        if self.mixed_precision:
            kinds += ("weight32",)
        return kinds

    def layout(self, p) -> list[tuple[str, str]]:
        """(kind, input name) of every input, in order (MXNet's names: weight_0, ...)."""
        names = [(kind, f"{kind}_{i}") for i in range(p.num_weights) for kind in self.per_weight]
        if self.preloaded:
            names += [("lrs", "lrs"), ("wds", "wds")]
        return names

    def arguments(self, p):
        return tuple(name for _, name in self.layout(p))

    def mutated_inputs(self, p):
        return tuple(i for i, (kind, _) in enumerate(self.layout(p)) if kind in self.mutates)

    def num_outputs(self, p):
        return p.num_weights

    def check_counts(self, p, count):
        """Raise unless ``count`` inputs and the learning rates fit ``num_weights``."""
        names = self.arguments(p)
        if count != len(names):
            tail = ", then lrs and wds" if self.preloaded else ""
            raise MXNetValueError(
                f"{self.name}: num_weights={p.num_weights} takes {len(names)} inputs "
                f"({', '.join(self.per_weight)} for each weight{tail}), but {count} were given"
            )
        if self.preloaded:
            return
        for name, values, what in (("lrs", p.lrs, "learning rate"), ("wds", p.wds, "weight decay")):
            if len(values) != p.num_weights:
                raise MXNetValueError(
                    f"{self.name}: {name} has {len(values)} value(s), but "
                    f"num_weights={p.num_weights} needs one {what} per weight"
                )

    def infer_shape(self, p, *shapes):
        self.check_counts(p, len(shapes))
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
        if self.preloaded:
            for position, what in ((-2, "learning rate"), (-1, "weight decay")):
                inferred[position] = self._rates_shape(p, names[position], shapes[position], what)
        return tuple(inferred), tuple(outputs)

    def _rates_shape(self, p, name, shape, what):
        """The shape of ``lrs`` or ``wds``: any, holding num_weights values (MXNet checks the
        size only); unknown means (num_weights,)."""
        if not is_known(shape):
            return (p.num_weights,)
        size = int(np.prod(shape, dtype=np.int64))
        if size != p.num_weights:
            raise MXNetValueError(
                f"{self.name}: {name} has shape {shape_str(shape)} ({size} value(s)), but "
                f"num_weights={p.num_weights} needs one {what} per weight"
            )
        return tuple(shape)

    def infer_type(self, p, *dtypes):
        layout = self.layout(p)
        # The weights, the gradients and (without mixed precision) the momenta share one
        # float dtype: MXNet 1.9.1 runs every weight through one kernel of one dtype.
        shared = ("weight", "grad") if self.mixed_precision else ("weight", "grad", "mom")
        found = next(
            (
                (name, d)
                for (kind, name), d in zip(layout, dtypes)
                if kind in shared and d is not None
            ),
            None,
        )
        if found is None:
            return None
        source, dtype = found[0], np.dtype(found[1])
        if dtype.kind != "f":
            raise MXNetTypeError(
                f"{self.name}: {source} has dtype {dtype.name}; expected a float dtype"
            )
        wanted = tuple(dtype if kind in shared else _FLOAT32 for kind, _ in layout)
        for (kind, name), have, want in zip(layout, dtypes, wanted):
            if have is not None and np.dtype(have) != want:
                if kind in shared:
                    why = f"the dtype of {source}"
                elif kind in ("lrs", "wds"):
                    why = "learning rates and weight decays are float32"
                else:
                    why = "a mixed-precision state"
                raise MXNetTypeError(
                    f"{self.name}: {name} has dtype {np.dtype(have).name}; expected "
                    f"{want.name} ({why})"
                )
        return wanted, (dtype,) * p.num_weights

    def rates(self, p, arrays, dtype):
        """The learning rates and weight decays as scalars: parameters of the compute dtype,
        or (preloaded) float32, as MXNet reads them from the arrays."""
        if not self.preloaded:
            return coefficients(dtype, *p.lrs), coefficients(dtype, *p.wds)
        lrs, wds = arrays[-2:]
        return (
            tuple(np.float32(v) for v in lrs.ravel().tolist()),
            tuple(np.float32(v) for v in wds.ravel().tolist()),
        )

    def forward(self, xp, p, *arrays, out=None):
        count = p.num_weights
        outs = out if isinstance(out, (tuple, list)) else (out,) * count
        per = len(self.per_weight)
        # MXNet computes mixed-precision steps in float32, the others in the weight's dtype.
        dtype = _FLOAT32 if self.mixed_precision else arrays[0].dtype
        lrs, wds = self.rates(p, arrays, dtype)
        momentum = p.momentum if self.with_momentum else 0.0
        momentum, rescale = coefficients(dtype, momentum, p.rescale_grad)
        results = []
        for i in range(count):
            group = dict(zip(self.per_weight, arrays[i * per : (i + 1) * per]))
            weight, grad, mom = group["weight"], group["grad"], group.get("mom")
            # MXNet 1.9.1 keeps no master copy of float32 weights: it steps the weight itself
            # and leaves weight32 unread and unwritten.
            mixed = self.mixed_precision and weight.dtype != _FLOAT32
            master = group["weight32"] if mixed else weight
            step = sgd_momentum(
                xp,
                master,
                grad.astype(dtype, copy=False),
                mom,
                lrs[i],
                momentum,
                wds[i],
                rescale,
                p.clip_gradient,
            )
            if mom is not None:
                mom[...] = step
            if mixed:
                master += step
                results.append(store(xp, master.astype(weight.dtype), outs[i]))
            elif outs[i] is not None and outs[i].dtype == weight.dtype:
                results.append(xp.add(weight, step, out=outs[i]))
            else:
                results.append(store(xp, weight + step, outs[i]))
        return results[0] if count == 1 else tuple(results)


@register("multi_sgd_update")
class MultiSGDUpdate(MultiSGD):
    """Update ``num_weights`` weights by SGD: return, for each weight,
    ``weight - lrs[i] * wds[i] * weight - lrs[i] * clip(rescale_grad * grad,
    clip_gradient)``.

    The inputs are weight_0, grad_0, weight_1, grad_1, ...; call with ``out=`` the weights to
    update them in place, as MXNet's optimizers do.

    >>> weight = mx.nd.array([1.0, 2.0])
    >>> mx.nd.multi_sgd_update(weight, mx.nd.array([1.0, -1.0]), lrs=0.5, wds=0.0,
    ...                        out=weight)
    <BLANKLINE>
    [0.5 2.5]
    <NDArray 2 @cpu(0)>
    """

    params = _params(preloaded=False, momentum=False)


@register("multi_sgd_mom_update")
class MultiSGDMomUpdate(MultiSGD):
    """Update ``num_weights`` weights by momentum SGD: for each weight set ``mom = momentum
    * mom - lrs[i] * wds[i] * weight - lrs[i] * clip(rescale_grad * grad, clip_gradient)``
    (in place) and return ``weight + mom``.

    The inputs are weight_0, grad_0, mom_0, weight_1, grad_1, mom_1, ...
    """

    with_momentum = True
    mutates = ("mom",)
    params = _params(preloaded=False, momentum=True)


@register("multi_mp_sgd_update")
class MultiMPSGDUpdate(MultiSGD):
    """Update ``num_weights`` weights by SGD on their float32 master copies: each
    ``weight32`` takes the step of ``multi_sgd_update`` in float32 (in place) and is returned
    cast to its weight's dtype (float16 training). As in MXNet 1.9.1, float32 weights are
    stepped directly, their weight32 left as it is.

    The inputs are weight_0, grad_0, weight32_0, weight_1, grad_1, weight32_1, ...
    """

    mixed_precision = True
    mutates = ("weight32",)
    params = _params(preloaded=False, momentum=False)


@register("multi_mp_sgd_mom_update")
class MultiMPSGDMomUpdate(MultiSGD):
    """Update ``num_weights`` weights by momentum SGD on their float32 master copies: the
    float32 ``mom`` and ``weight32`` take the step of ``multi_sgd_mom_update`` (in place), and
    each new weight32 is returned cast to its weight's dtype.

    The inputs are weight_0, grad_0, mom_0, weight32_0, weight_1, ...
    """

    with_momentum = True
    mixed_precision = True
    mutates = ("mom", "weight32")
    params = _params(preloaded=False, momentum=True)


@register("preloaded_multi_sgd_update")
class PreloadedMultiSGDUpdate(MultiSGD):
    """``multi_sgd_update`` with the learning rates and weight decays given as float32
    arrays of num_weights values: the inputs are weight_0, grad_0, ..., lrs, wds.

    >>> weight = mx.nd.array([1.0, 2.0])
    >>> mx.nd.preloaded_multi_sgd_update(weight, mx.nd.array([1.0, -1.0]),
    ...                                  mx.nd.array([0.5]), mx.nd.array([0.0]), out=weight)
    <BLANKLINE>
    [0.5 2.5]
    <NDArray 2 @cpu(0)>
    """

    preloaded = True
    params = _params(preloaded=True, momentum=False)


@register("preloaded_multi_sgd_mom_update")
class PreloadedMultiSGDMomUpdate(MultiSGD):
    """``multi_sgd_mom_update`` with the learning rates and weight decays given as float32
    arrays: the inputs are weight_0, grad_0, mom_0, ..., lrs, wds."""

    with_momentum = True
    preloaded = True
    mutates = ("mom",)
    params = _params(preloaded=True, momentum=True)


@register("preloaded_multi_mp_sgd_update")
class PreloadedMultiMPSGDUpdate(MultiSGD):
    """``multi_mp_sgd_update`` with the learning rates and weight decays given as float32
    arrays: the inputs are weight_0, grad_0, weight32_0, ..., lrs, wds."""

    mixed_precision = True
    preloaded = True
    mutates = ("weight32",)
    params = _params(preloaded=True, momentum=False)


@register("preloaded_multi_mp_sgd_mom_update")
class PreloadedMultiMPSGDMomUpdate(MultiSGD):
    """``multi_mp_sgd_mom_update`` with the learning rates and weight decays given as
    float32 arrays: the inputs are weight_0, grad_0, mom_0, weight32_0, ..., lrs, wds."""

    with_momentum = True
    mixed_precision = True
    preloaded = True
    mutates = ("mom", "weight32")
    params = _params(preloaded=True, momentum=True)
