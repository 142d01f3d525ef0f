"""Random draws with parameters given as arrays: _sample_<distribution> draws ``shape`` values
per parameter element (output shape = parameter shape + shape), _sample_multinomial draws
category indices from rows of probabilities."""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, unify, unify_dtype
from .params import Bool, DType, Params, Shape
from .random import (
    FLOAT_DTYPES,
    draw_exponential,
    draw_gamma,
    draw_generalized_negative_binomial,
    draw_negative_binomial,
    draw_normal,
    draw_poisson,
    draw_uniform,
    emit,
    work_dtype,
)
from .registry import Op, register

_NOTES = """

The parameter arrays share one shape (and dtype); the result has shape ``parameter shape +
shape`` and is float32 unless ``dtype`` says otherwise, whatever the parameters' dtype, as in
MXNet 1.9.1. Parameter values are not checked (MXNet does not either); values the
distribution cannot take fail the call."""


class _Sample(Op):
    """Draw ``shape`` values from a distribution for each element of the parameter arrays."""

    params = Params(shape=Shape(()), dtype=DType(None, choices=FLOAT_DTYPES))
    runtime = ("rng",)
    # MXNet 1.9.1 gives the parameters a zero gradient: nothing needs saving.
    saves = ()

    def infer_shape(self, p, *shapes):
        merged = None
        for name, shape in zip(self.inputs, shapes):
            merged = shape if merged is None else unify(self.name, name, shape, merged)
        if merged is None or not is_known(merged):
            return None
        return (merged,) * len(shapes), (tuple(merged) + tuple(p.shape),)

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.inputs, dtypes)
        if dtype is None:
            return None
        return (dtype,) * len(dtypes), (np.dtype(p.dtype or "float32"),)

    def forward(self, xp, p, *arrays, out=None, rng=None):
        dtype = np.dtype(p.dtype or "float32")
        work = work_dtype(dtype)
        base = arrays[0].shape
        # Each parameter element meets its own trailing block of ``shape`` draws.
        expanded = tuple(base) + (1,) * len(p.shape)
        values = [a.astype(work, copy=False).reshape(expanded) for a in arrays]
        drawn = self.draw(xp, rng, tuple(base) + tuple(p.shape), work, *values)
        return emit(xp, drawn, dtype, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (None,) * len(inputs)


def _sample(name, inputs, draw, summary):
    """Register _sample_<name> (alias sample_<name>) with parameter arrays ``inputs``."""
    cls = type(
        "Sample" + "".join(part.title() for part in name.split("_")),
        (_Sample,),
        {
            "__doc__": f"Draw ``shape`` values from {summary} for each element of the parameter "
            f"arrays {', '.join(inputs)}." + _NOTES,
            "inputs": inputs,
            "draw": staticmethod(draw),
        },
    )
    register(f"_sample_{name}", aliases=(f"sample_{name}",))(cls)


_sample("uniform", ("low", "high"), draw_uniform, "the uniform distribution on [low, high)")
_sample("normal", ("mu", "sigma"), draw_normal, "the normal distribution N(mu, sigma**2)")
_sample("gamma", ("alpha", "beta"), draw_gamma, "the gamma distribution (shape alpha, scale beta)")
_sample("exponential", ("lam",), draw_exponential, "the exponential distribution of rate lam")
_sample("poisson", ("lam",), draw_poisson, "the Poisson distribution of rate lam")
_sample(
    "negative_binomial",
    ("k", "p"),
    draw_negative_binomial,
    "the negative binomial distribution (failures before the k-th success of probability p)",
)
_sample(
    "generalized_negative_binomial",
    ("mu", "alpha"),
    draw_generalized_negative_binomial,
    "the generalized negative binomial distribution (mean mu, dispersion alpha)",
)


def _multinomial_shape(data, shape):
    # MXNet 1.9.1 gives one draw a shape of (1,) rather than () for a single row.
    return tuple(data[:-1]) + tuple(shape) or (1,)


@register("_sample_multinomial", aliases=("sample_multinomial",))
class SampleMultinomial(Op):
    """Draw category indices from each row (last axis) of probabilities ``data``.

    The result has shape ``data.shape[:-1] + shape``. An index is the first category whose
    running total of probabilities exceeds a uniform draw, as in MXNet 1.9.1: rows are not
    normalised, and a row summing to less than one can give the index ``K`` (one past the
    last category, log-probability -inf). With ``get_prob`` a second output holds the log
    of each drawn index's probability, through which the gradient flows to ``data``.
    """

    params = Params(
        shape=Shape(()),
        get_prob=Bool(False),
        dtype=DType("int32", choices=("float16", "float32", "float64", "int32", "uint8")),
    )
    runtime = ("rng",)

    def num_outputs(self, p):
        return 2 if p.get_prob else 1

    def infer_shape(self, p, data):
        if data is None or not is_known(data):
            return None
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: data must have at least one axis, got ()")
        return (data,), (_multinomial_shape(data, p.shape),) * self.num_outputs(p)

    def infer_type(self, p, data):
        if data is None:
            return None
        if np.dtype(data).kind != "f":
            raise MXNetTypeError(
                f"{self.name}: data has dtype {np.dtype(data).name}; expected a float dtype"
            )
        return (data,), (np.dtype(p.dtype),) + ((data,) if p.get_prob else ())

    def forward(self, xp, p, data, out=None, *, rng=None):
        depth = data.shape[-1]
        rows = data.reshape(-1, depth)
        count = int(np.prod(p.shape))
        uniform = rng.random((rows.shape[0], count), dtype=work_dtype(data.dtype))
        totals = xp.cumsum(rows, axis=1)
        index = (totals[:, None, :] <= uniform[:, :, None]).sum(axis=2)
        shape = _multinomial_shape(data.shape, p.shape)
        sample_out, prob_out = out if isinstance(out, tuple) else (out, None)
        samples = emit(xp, index.reshape(shape), np.dtype(p.dtype), sample_out)
        if not p.get_prob:
            return samples
        picked = xp.take_along_axis(rows, xp.minimum(index, depth - 1), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_prob = xp.log(xp.where(index < depth, picked, 0))
        return samples, emit(xp, log_prob.reshape(shape), data.dtype, prob_out)

    def gradient(self, p, F, inputs, outputs, dy):
        if not p.get_prob or dy[1] is None:
            return (None,)
        return (F._backward_sample_multinomial(dy[1], inputs[0], outputs[0]),)


@register("_backward_sample_multinomial")
class BackwardSampleMultinomial(Op):
    """Return the gradient of _sample_multinomial's log-probabilities with respect to its
    probabilities: each drawn index adds ``ograd / data[index]`` to its category."""

    inputs = ("ograd", "data", "sample")
    differentiable = False

    def infer_shape(self, p, ograd, data, sample):
        if data is None or not is_known(data):
            return None
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: data must have at least one axis, got ()")
        drawn = ograd if ograd is not None else sample
        if drawn is None or not is_known(drawn):
            return None
        ograd = unify(self.name, "ograd", ograd, drawn)
        sample = unify(self.name, "sample", sample, drawn)
        rows = int(np.prod(data[:-1]))
        if rows and int(np.prod(drawn)) % rows:
            raise MXNetValueError(
                f"{self.name}: sample has shape {tuple(drawn)}, which does not hold whole "
                f"rows of draws for data of shape {tuple(data)}"
            )
        return (ograd, data, sample), (data,)

    def infer_type(self, p, ograd, data, sample):
        # The drawn indices may be stored in any dtype (the dtype parameter of the forward).
        dtype = unify_dtype(self.name, ("ograd", "data"), (ograd, data))
        if dtype is None:
            return None
        return (dtype, dtype, sample), (dtype,)

    def forward(self, xp, p, ograd, data, sample, out=None):
        depth = data.shape[-1]
        rows = data.reshape(-1, depth)
        index = sample.reshape(rows.shape[0], -1).astype("int64")
        picked = xp.take_along_axis(rows, xp.minimum(index, depth - 1), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = ograd.reshape(index.shape) / picked
        hits = index[:, :, None] == xp.arange(depth)
        grad = xp.where(hits, share[:, :, None], 0).sum(axis=1, dtype=data.dtype)
        return emit(xp, grad.reshape(data.shape), data.dtype, out)
