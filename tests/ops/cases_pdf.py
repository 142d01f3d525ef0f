"""Cases of the _random_pdf_* densities and of the _backward_pdf_* kernels of their gradients.

The references are the textbook closed forms, written with ``math.lgamma``; their partial
derivatives use a digamma from central differences of ``math.lgamma`` (accurate to ~1e-9).
As in MXNet 1.9.1, samples are not checked against the support.
"""

import math

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors

_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _digamma(x):
    step = 1e-5
    return (_lgamma(x + step) - _lgamma(x - step)) / (2 * step)


# Each family: (parameter names, log density, its partials (sample first; None where the
# sample is a count), vector family). All take float64 arrays already broadcast.
def _uniform(x, low, high):
    return -np.log(high - low) + 0 * x


def _uniform_partials(x, low, high):
    return 0 * x, 1 / (high - low) + 0 * x, -1 / (high - low) + 0 * x


def _normal(x, mu, sigma):
    return -((x - mu) ** 2) / (2 * sigma**2) - np.log(sigma * math.sqrt(2 * math.pi))


def _normal_partials(x, mu, sigma):
    return -(x - mu) / sigma**2, (x - mu) / sigma**2, ((x - mu) ** 2 / sigma**2 - 1) / sigma


def _gamma(x, alpha, beta):
    return alpha * np.log(beta) - _lgamma(alpha) + (alpha - 1) * np.log(x) - beta * x


def _gamma_partials(x, alpha, beta):
    return (
        (alpha - 1) / x - beta,
        np.log(beta) - _digamma(alpha) + np.log(x),
        alpha / beta - x,
    )


def _exponential(x, lam):
    return np.log(lam) - lam * x


def _exponential_partials(x, lam):
    return -lam + 0 * x, 1 / lam - x


def _poisson(x, lam):
    return x * np.log(lam) - lam - _lgamma(x + 1)


def _poisson_partials(x, lam):
    return None, x / lam - 1


def _negative_binomial(x, k, p):
    return (
        _lgamma(x + k) - _lgamma(x + 1) - _lgamma(k) + k * np.log(p) + x * np.log(1 - p)
    )


def _negative_binomial_partials(x, k, p):
    return None, _digamma(x + k) - _digamma(k) + np.log(p), k / p - x / (1 - p)


def _generalized(x, mu, alpha):
    return _negative_binomial(x, 1 / alpha, 1 / (1 + mu * alpha))


def _generalized_partials(x, mu, alpha):
    # By the chain rule through k = 1 / alpha and p = 1 / (1 + mu * alpha).
    k, p = 1 / alpha, 1 / (1 + mu * alpha)
    _, d_k, d_p = _negative_binomial_partials(x, k, p)
    return None, d_p * (-alpha * p * p), d_k * (-k * k) + d_p * (-mu * p * p)


def _dirichlet(x, alpha):
    return (
        _lgamma(alpha.sum(-1))
        - _lgamma(alpha).sum(-1)
        + ((alpha - 1) * np.log(x)).sum(-1)
    )


def _dirichlet_partials(x, alpha):
    total = alpha.sum(-1, keepdims=True)
    return (alpha - 1) / x, _digamma(total) - _digamma(alpha) + np.log(x)


FAMILIES = {
    "uniform": (("low", "high"), _uniform, _uniform_partials, False),
    "normal": (("mu", "sigma"), _normal, _normal_partials, False),
    "gamma": (("alpha", "beta"), _gamma, _gamma_partials, False),
    "exponential": (("lam",), _exponential, _exponential_partials, False),
    "poisson": (("lam",), _poisson, _poisson_partials, False),
    "negative_binomial": (("k", "p"), _negative_binomial, _negative_binomial_partials, False),
    "generalized_negative_binomial": (
        ("mu", "alpha"), _generalized, _generalized_partials, False,
    ),
    "dirichlet": (("alpha",), _dirichlet, _dirichlet_partials, True),
}


def _widened(family, sample, parameters):
    """float64 copies, the parameters given trailing axes to broadcast against the sample."""
    vector = FAMILIES[family][3]
    x = sample.astype(np.float64)
    widened = []
    for theta in parameters:
        extra = x.ndim - theta.ndim
        shape = theta.shape[:-1] + (1,) * extra + theta.shape[-1:] if vector else (
            theta.shape + (1,) * extra
        )
        widened.append(theta.astype(np.float64).reshape(shape))
    return x, widened


def _density(family, is_log=False):
    log_density = FAMILIES[family][1]

    def reference(sample, *parameters):
        x, theta = _widened(family, sample, parameters)
        log = log_density(x, *theta)
        value = log if is_log else np.exp(log)
        return np.asarray(value, dtype=sample.dtype).reshape(log.shape or (1,))

    return reference


def _backward(family, is_log=False):
    _, log_density, partials, vector = FAMILIES[family]

    def reference(ograd, sample, *parameters):
        x, theta = _widened(family, sample, parameters)
        scale = ograd.astype(np.float64).reshape(x.shape[:-1] if vector else x.shape)
        if not is_log:
            scale = scale * np.exp(log_density(x, *theta))
        if vector:
            scale = scale[..., None]
        grads = []
        for value, target in zip(partials(x, *theta), (sample,) + parameters):
            if value is None:
                continue
            full = np.broadcast_to(value * scale, x.shape)
            if target is not sample:
                # Sum over the sample axes each parameter was broadcast along.
                lead = target.ndim - 1 if vector else target.ndim
                axes = tuple(range(lead, x.ndim - 1 if vector else x.ndim))
                full = full.sum(axis=axes).reshape(target.shape)
            grads.append(np.asarray(full, dtype=sample.dtype))
        return tuple(grads) if len(grads) > 1 else grads[0]

    return reference


# Sample and parameter values inside each family's support.
def _values(family, rng, shape, name):
    if family in ("poisson", "negative_binomial", "generalized_negative_binomial") and (
        name == "sample"
    ):
        return rng.integers(0, 6, size=shape).astype(np.float64)
    if family == "uniform":
        return {"sample": rng.uniform(-1, 1, size=shape), "low": rng.uniform(-3, -2, size=shape),
                "high": rng.uniform(2, 3, size=shape)}[name]
    if family == "normal" and name in ("sample", "mu"):
        return rng.uniform(-1, 1, size=shape)
    if name == "p":
        return rng.uniform(0.2, 0.8, size=shape)
    if family == "dirichlet" and name == "sample":
        return rng.uniform(0.1, 0.9, size=shape)
    return rng.uniform(0.5, 2.5, size=shape)


def inputs(family, sample_shape, parameter_shape, dtype="float32", ograd=False):
    """Sample and parameters (and, for the backward kernel, an output gradient first)."""
    names = FAMILIES[family][0]
    vector = FAMILIES[family][3]

    def make(rng):
        arrays = [_values(family, rng, sample_shape, "sample")]
        arrays += [_values(family, rng, parameter_shape, name) for name in names]
        if ograd:
            out_shape = (sample_shape[:-1] or (1,)) if vector else sample_shape
            arrays.insert(0, rng.uniform(-1, 1, size=out_shape))
        return [a.astype(dtype) for a in arrays]

    return make


for _family, (_names, _, _, _vector) in FAMILIES.items():
    _op = f"_random_pdf_{_family}"
    _discrete = _family in ("poisson", "negative_binomial", "generalized_negative_binomial")
    # Counts get no gradient (as in MXNet), though the density moves with them.
    _nodes = _names if _discrete else None
    if _vector:
        _shapes = [((3, 4), (4,)), ((2, 3, 4), (2, 4)), ((4,), (4,))]
    else:
        _shapes = [((3,), (3,)), ((2, 4), (2,)), ((2, 3, 2), (2, 3))]
    add(
        _op,
        Case(inputs(_family, *_shapes[0]), reference=_density(_family), label="same-shape",
             grad_nodes=_nodes),
        Case(inputs(_family, *_shapes[1]), reference=_density(_family), label="many-samples",
             grad_nodes=_nodes),
        Case(inputs(_family, *_shapes[1]), {"is_log": True}, _density(_family, True),
             label="log", grad_nodes=_nodes),
        Case(inputs(_family, *_shapes[2], dtype="float64"), {"is_log": True},
             _density(_family, True), label="log-float64", grad_nodes=_nodes),
    )
    add_errors(
        _op,
        ErrorCase(inputs(_family, (2, 3), (4,)), match=rf"{_op}.*sample has shape \(2, 3\)"),
        ErrorCase(inputs(_family, *_shapes[0], dtype="int32"), match=rf"{_op}.*floating"),
    )
    _backward_op = f"_backward_pdf_{_family}"
    # neomx's backward kernels take (ograd, sample, parameters); MXNet's differ.
    NEOMX_ONLY.add(_backward_op)
    add(
        _backward_op,
        Case(inputs(_family, *_shapes[1], ograd=True), reference=_backward(_family),
             label="density"),
        Case(inputs(_family, *_shapes[1], dtype="float64", ograd=True), {"is_log": True},
             _backward(_family, True), label="log-float64"),
    )

add_errors(
    "_random_pdf_normal",
    ErrorCase(lambda rng: [np.ones((2, 3), "float32"), np.ones((2,), "float32"),
                           np.ones((2, 3), "float32")],
              match=r"_random_pdf_normal.*sigma.*one shape"),
)
add_errors(
    "_random_pdf_dirichlet",
    ErrorCase(lambda rng: [np.full((2, 3), 0.3, "float32"), np.ones((2,), "float32")],
              match=r"_random_pdf_dirichlet.*alpha.shape\[:-1\]"),
)
