"""``mx.sym.random``: graph nodes that draw from distributions.

Each function takes its distribution's parameters either as numbers (a ``_random_<name>`` node
that draws ``shape`` values) or as Symbols (a ``_sample_<name>`` node that draws ``shape``
values per parameter element), as MXNet 1.9.1's ``mx.sym.random`` does. The ``*_like``
functions draw an array of another Symbol's shape.
"""

from __future__ import annotations

from numbers import Number

import numpy as np

from .. import ops as _ops
from ..base import MXNetTypeError, MXNetValueError, _Null
from ..ops.random import DRAW_FUNCTIONS, DRAW_LIKE_FUNCTIONS
from . import _internal
from .frontend import make_symbol_function
from .symbol import Symbol

__all__ = [*DRAW_FUNCTIONS, *DRAW_LIKE_FUNCTIONS]


def _is_number(value):
    return isinstance(value, (Number, np.generic)) and not isinstance(value, bool)


def _draw(distribution, params, shape, dtype, kwargs, sampler=True):
    """A ``_random_<distribution>`` node for numbers, ``_sample_<distribution>`` for Symbols."""
    if isinstance(params[0], Symbol) and sampler:
        if not all(isinstance(p, Symbol) for p in params):
            raise MXNetTypeError(
                f"random.{distribution}: the distribution parameters must all be Symbols or "
                f"all numbers, got {', '.join(type(p).__name__ for p in params)}"
            )
        function = getattr(_internal, f"_sample_{distribution}")
        return function(*params, shape=shape, dtype=dtype, **kwargs)
    if _is_number(params[0]):
        if not all(_is_number(p) for p in params):
            raise MXNetTypeError(
                f"random.{distribution}: the distribution parameters must all be Symbols or "
                f"all numbers, got {', '.join(type(p).__name__ for p in params)}"
            )
        op = _ops.lookup(f"_random_{distribution}")
        # Numbers are parameters, passed in the operator's order.
        named = dict(zip(op.params.names, params))
        return getattr(_internal, f"_random_{distribution}")(
            shape=shape, dtype=dtype, **named, **kwargs
        )
    raise MXNetValueError(
        f"random.{distribution}: distribution parameters must be Symbols or numbers, got "
        f"{type(params[0]).__name__}"
    )


def uniform(low=0, high=1, shape=_Null, dtype=_Null, **kwargs):
    """Draw from the uniform distribution on [low, high).

    >>> mx.sym.random.uniform(0, 1, shape=(2,)).name
    '_random_uniform0'
    """
    return _draw("uniform", [low, high], shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, **kwargs):
    """Draw from the normal distribution of mean ``loc`` and standard deviation ``scale``."""
    return _draw("normal", [loc, scale], shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """Draw from the normal distribution; the shape is given positionally: ``randn(2, 3)``."""
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", _Null)
    return _draw("normal", [loc, scale], shape, dtype, kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, **kwargs):
    """Draw from the Poisson distribution of rate ``lam``."""
    return _draw("poisson", [lam], shape, dtype, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, **kwargs):
    """Draw from the exponential distribution of mean ``scale`` (rate 1 / scale)."""
    return _draw("exponential", [1.0 / scale], shape, dtype, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, **kwargs):
    """Draw from the gamma distribution of shape ``alpha`` and scale ``beta``."""
    return _draw("gamma", [alpha, beta], shape, dtype, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, **kwargs):
    """Draw failures before ``k`` successes of probability ``p``."""
    return _draw("negative_binomial", [k, p], shape, dtype, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=_Null, dtype=_Null, **kwargs):
    """Draw from the negative binomial distribution of mean ``mu`` and dispersion ``alpha``."""
    return _draw("generalized_negative_binomial", [mu, alpha], shape, dtype, kwargs)


def multinomial(data, shape=_Null, get_prob=True, dtype="int32", **kwargs):
    """Draw category indices from the distributions in the last axis of ``data``; with
    ``get_prob`` also return the log-probabilities of the draws."""
    return _internal._sample_multinomial(data, shape, get_prob, dtype=dtype, **kwargs)


def shuffle(data, **kwargs):
    """Shuffle ``data`` along its first axis."""
    return _internal._shuffle(data, **kwargs)


def randint(low, high, shape=_Null, dtype=_Null, **kwargs):
    """Draw integers from [low, high)."""
    return _draw("randint", [low, high], shape, dtype, kwargs, sampler=False)


def _like(distribution):
    op_name = f"_random_{distribution}_like"
    return make_symbol_function(_ops.lookup(op_name), op_name, f"{distribution}_like")


uniform_like = _like("uniform")
normal_like = _like("normal")
exponential_like = _like("exponential")
gamma_like = _like("gamma")
poisson_like = _like("poisson")
negative_binomial_like = _like("negative_binomial")
generalized_negative_binomial_like = _like("generalized_negative_binomial")
