"""Densities of samples under parametrised distributions: ``_random_pdf_<family>`` and the
``_backward_pdf_<family>`` kernels their gradients run.

Every family gives its log density and the partial derivatives of it in closed form; the
kernels evaluate them in float64 (special functions from ``special``) and cast the result to
the sample's dtype. As in MXNet 1.9.1 the formulas are evaluated as they stand: samples are
not checked against the support (a uniform density is 1 / (high - low) everywhere), and the
discrete families pass no gradient to their samples.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, shape_str, unify_dtype
from .kernels import into, into_outputs
from .params import Bool, Params
from .registry import Op, register
from .special import digamma, lgamma

_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


class _Family:
    """A distribution family: its parameters and the closed forms of its log density."""

    name = ""
    parameters: tuple[str, ...] = ()
    description = ""
    # Samples of a discrete family are counts: no gradient flows to them.
    discrete = False
    # A vector family (Dirichlet) reads its samples and parameters along a last axis of
    # length k and gives one density per vector.
    vector = False

    def log_density(self, xp, x, *theta):
        raise NotImplementedError

    def partials(self, xp, x, *theta):
        """d log density / d input for the sample (None if discrete) and each parameter."""
        raise NotImplementedError


class _Uniform(_Family):
    name, parameters = "uniform", ("low", "high")
    description = "uniform distributions on [low, high)"

    def log_density(self, xp, x, low, high):
        return xp.broadcast_to(-xp.log(high - low), x.shape)

    def partials(self, xp, x, low, high):
        inverse = 1.0 / (high - low)
        return xp.zeros_like(x), inverse, -inverse


class _Normal(_Family):
    name, parameters = "normal", ("mu", "sigma")
    description = "normal distributions with mean mu and standard deviation sigma"

    def log_density(self, xp, x, mu, sigma):
        z = (x - mu) / sigma
        return -0.5 * z * z - xp.log(sigma) - _HALF_LOG_TWO_PI

    def partials(self, xp, x, mu, sigma):
        z = (x - mu) / sigma
        return -z / sigma, z / sigma, (z * z - 1.0) / sigma


class _Gamma(_Family):
    name, parameters = "gamma", ("alpha", "beta")
    description = "gamma distributions with shape alpha and rate beta"

    def log_density(self, xp, x, alpha, beta):
        return alpha * xp.log(beta) - lgamma(xp, alpha) + (alpha - 1.0) * xp.log(x) - beta * x

    def partials(self, xp, x, alpha, beta):
        return (
            (alpha - 1.0) / x - beta,
            xp.log(beta) - digamma(xp, alpha) + xp.log(x),
            alpha / beta - x,
        )


class _Exponential(_Family):
    name, parameters = "exponential", ("lam",)
    description = "exponential distributions with rate lam"

    def log_density(self, xp, x, lam):
        return xp.log(lam) - lam * x

    def partials(self, xp, x, lam):
        return xp.broadcast_to(-lam, x.shape), 1.0 / lam - x


class _Poisson(_Family):
    name, parameters, discrete = "poisson", ("lam",), True
    description = "Poisson distributions with rate lam"

    def log_density(self, xp, x, lam):
        return x * xp.log(lam) - lam - lgamma(xp, x + 1.0)

    def partials(self, xp, x, lam):
        return None, x / lam - 1.0


def _negative_binomial(xp, x, k, log_p, log_q):
    """log P(x) for k successes wanted, with log p and log (1 - p) given."""
    return lgamma(xp, x + k) - lgamma(xp, x + 1.0) - lgamma(xp, k) + k * log_p + x * log_q


class _NegativeBinomial(_Family):
    name, parameters, discrete = "negative_binomial", ("k", "p"), True
    description = (
        "negative binomial distributions: failures before the k-th success, success probability p"
    )

    def log_density(self, xp, x, k, p):
        return _negative_binomial(xp, x, k, xp.log(p), xp.log1p(-p))

    def partials(self, xp, x, k, p):
        return (
            None,
            digamma(xp, x + k) - digamma(xp, k) + xp.log(p),
            k / p - x / (1.0 - p),
        )


class _GeneralizedNegativeBinomial(_Family):
    name, parameters, discrete = "generalized_negative_binomial", ("mu", "alpha"), True
    description = (
        "generalized negative binomial distributions with mean mu and dispersion alpha "
        "(the negative binomial with k = 1 / alpha and p = 1 / (mu * alpha + 1))"
    )

    def log_density(self, xp, x, mu, alpha):
        growth = xp.log1p(mu * alpha)
        return _negative_binomial(xp, x, 1.0 / alpha, -growth, xp.log(mu * alpha) - growth)

    def partials(self, xp, x, mu, alpha):
        k = 1.0 / alpha
        spread = 1.0 + mu * alpha
        d_alpha = (xp.log(spread) - digamma(xp, x + k) + digamma(xp, k)) * k * k + (x - mu) / (
            alpha * spread
        )
        return None, x / mu - (1.0 + x * alpha) / spread, d_alpha


class _Dirichlet(_Family):
    name, parameters, vector = "dirichlet", ("alpha",), True
    description = "Dirichlet distributions with concentrations alpha (along the last axis)"

    def log_density(self, xp, x, alpha):
        total = xp.sum(alpha, axis=-1)
        return (
            lgamma(xp, total)
            - xp.sum(lgamma(xp, alpha), axis=-1)
            + xp.sum((alpha - 1.0) * xp.log(x), axis=-1)
        )

    def partials(self, xp, x, alpha):
        total = xp.sum(alpha, axis=-1, keepdims=True)
        return (alpha - 1.0) / x, digamma(xp, total) - digamma(xp, alpha) + xp.log(x)


def _check_shapes(op_name, family, sample, parameters):
    """Raise unless the parameters share a shape that leads the sample's (Dirichlet: the
    parameters' last axis is the sample's last axis too)."""
    first = parameters[0]
    for name, shape in zip(family.parameters, parameters):
        if tuple(shape) != tuple(first):
            raise MXNetValueError(
                f"{op_name}: {name} has shape {shape_str(shape)}, but {family.parameters[0]} "
                f"has {shape_str(first)}; the parameters must have one shape"
            )
    lead = tuple(first[:-1]) if family.vector else tuple(first)
    fits = len(sample) >= len(first) and tuple(sample[: len(lead)]) == lead
    if family.vector:
        fits = fits and len(first) >= 1 and sample[-1] == first[-1]
    if not fits:
        rule = (
            "alpha.shape[:-1] + (any axes) + alpha.shape[-1:]"
            if family.vector
            else "the parameters' shape + (any axes)"
        )
        raise MXNetValueError(
            f"{op_name}: sample has shape {shape_str(sample)}, parameters {shape_str(first)}; "
            f"the sample's shape must be {rule}"
        )


def _widen(xp, family, sample, parameters):
    """The sample and parameters in float64, the parameters reshaped to broadcast against
    the sample (new axes after their leading ones); also the inserted axes."""
    x = sample.astype(np.float64)
    ndim = parameters[0].ndim
    if family.vector:
        new_axes = tuple(range(ndim - 1, x.ndim - 1))
        widened = [
            t.astype(np.float64).reshape(t.shape[:-1] + (1,) * len(new_axes) + t.shape[-1:])
            for t in parameters
        ]
    else:
        new_axes = tuple(range(ndim, x.ndim))
        widened = [t.astype(np.float64).reshape(t.shape + (1,) * len(new_axes)) for t in parameters]
    return x, widened, new_axes


def _density_shape(family, sample):
    """The output shape: the sample's, or for a vector family all but its last axis (at least
    (1,): MXNet 1.x has no 0-d arrays)."""
    return (tuple(sample[:-1]) or (1,)) if family.vector else tuple(sample)


class _DensityBase(Op):
    family = _Family()
    params = Params(is_log=Bool(False, doc="Return the log density instead of the density."))

    def infer_type(self, p, *dtypes):
        names = self.arguments(p)
        dtype = unify_dtype(self.name, names, dtypes)
        if dtype is None:
            return None
        if np.dtype(dtype).kind != "f":
            raise MXNetTypeError(
                f"{self.name}: inputs have dtype {dtype}; densities need floating-point inputs"
            )
        return (dtype,) * len(dtypes), (dtype,) * self.num_outputs(p)


class _Density(_DensityBase):
    def infer_shape(self, p, sample, *parameters):
        if not is_known(sample) or not all(is_known(s) for s in parameters):
            return None
        _check_shapes(self.name, self.family, sample, parameters)
        return (sample, *parameters), (_density_shape(self.family, sample),)

    def forward(self, xp, p, sample, *parameters, out=None):
        x, theta, _ = _widen(xp, self.family, sample, parameters)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log = self.family.log_density(xp, x, *theta)
            result = log if p.is_log else xp.exp(log)
        shape = _density_shape(self.family, sample.shape)
        return into(xp, result.astype(sample.dtype).reshape(shape), out)

    def gradient(self, p, F, inputs, outputs, dy):
        backward = getattr(F, f"_backward_pdf_{self.family.name}")
        grads = backward(dy[0], *inputs, is_log=p.is_log)
        grads = tuple(grads) if isinstance(grads, (list, tuple)) else (grads,)
        return ((None,) if self.family.discrete else ()) + grads


class _DensityBackward(_DensityBase):
    differentiable = False

    def num_outputs(self, p):
        return len(self.family.parameters) + (0 if self.family.discrete else 1)

    def infer_shape(self, p, ograd, sample, *parameters):
        if not is_known(sample) or not all(is_known(s) for s in parameters):
            return None
        _check_shapes(self.name, self.family, sample, parameters)
        out = _density_shape(self.family, sample)
        if ograd is not None and tuple(ograd) != out:
            raise MXNetValueError(
                f"{self.name}: ograd has shape {shape_str(ograd)}; the density has {out}"
            )
        grads = parameters if self.family.discrete else (sample, *parameters)
        return (out, sample, *parameters), tuple(grads)

    def forward(self, xp, p, ograd, sample, *parameters, out=None):
        family = self.family
        x, theta, new_axes = _widen(xp, family, sample, parameters)
        scale = ograd.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if not p.is_log:
                # d density = density * d log density.
                scale = scale * xp.exp(family.log_density(xp, x, *theta))
            if family.vector:
                scale = scale.reshape(x.shape[:-1])[..., None]
            partials = family.partials(xp, x, *theta)
            grads = []
            if not family.discrete:
                grads.append(xp.broadcast_to(partials[0] * scale, x.shape))
            for partial, target in zip(partials[1:], parameters):
                full = xp.broadcast_to(partial * scale, x.shape)
                summed = xp.sum(full, axis=new_axes) if new_axes else full
                grads.append(summed.reshape(target.shape))
        return into_outputs(xp, [g.astype(sample.dtype) for g in grads], out)


def _density_doc(family):
    shape_rule = (
        "``alpha`` has shape P + (k,) and ``sample`` shape P + T + (k,): one density (shape "
        "P + T) per k-vector of ``sample``, under the parameters at its leading index."
        if family.vector
        else "The parameters share one shape P and ``sample`` has shape P + T: every sample "
        "at a leading index in P is scored under the parameters at that index."
    )
    inputs = ", ".join(f"``{name}``" for name in family.parameters)
    if family.vector:
        call, shape = "mx.nd.ones((2, 3)), mx.nd.ones((3,))", "(2,)"
    else:
        call = ", ".join(["mx.nd.ones((2, 3))"] + ["mx.nd.ones((2,))"] * len(family.parameters))
        shape = "(2, 3)"
    flows = " (not to the discrete samples)." if family.discrete else " and the samples."
    return (
        f"Compute the density of ``sample`` under {family.description} (the log density "
        f"with ``is_log=True``).\n\n{shape_rule} Parameters: {inputs}. The gradient flows "
        f"to the parameters{flows}\n\n>>> mx.nd.random_pdf_{family.name}({call}).shape\n"
        f"{shape}"
    )


def _register(family):
    name = family.name
    forward = type(
        f"Pdf{name.title().replace('_', '')}",
        (_Density,),
        {
            "__doc__": _density_doc(family),
            "family": family,
            "inputs": ("sample", *family.parameters),
            # The backward kernel recomputes the density from the inputs.
            "saves": ("sample", *family.parameters),
        },
    )
    register(f"_random_pdf_{name}", aliases=(f"random_pdf_{name}",))(forward)
    backward = type(
        f"BackwardPdf{name.title().replace('_', '')}",
        (_DensityBackward,),
        {
            "__doc__": f"Return the gradients of ``_random_pdf_{name}`` for the output "
            "gradient ``ograd`` (sample first, unless discrete, then the parameters).",
            "family": family,
            "inputs": ("ograd", "sample", *family.parameters),
        },
    )
    register(f"_backward_pdf_{name}")(backward)


for _family in (
    _Uniform(),
    _Normal(),
    _Gamma(),
    _Exponential(),
    _Poisson(),
    _NegativeBinomial(),
    _GeneralizedNegativeBinomial(),
    _Dirichlet(),
):
    _register(_family)
