"""``mx.nd.random``: draw arrays from distributions.

Each function takes its distribution's parameters either as numbers (then it runs
``_random_<distribution>`` and draws an array of ``shape`` on ``ctx``) or as NDArrays (then it
runs ``_sample_<distribution>`` and draws ``shape`` values per parameter element, on the
parameters' device), as MXNet 1.9.1's ``mx.nd.random`` does. Seed with ``mx.random.seed``.
"""

from __future__ import annotations

import functools
from numbers import Number

from ..base import MXNetTypeError, _Null
from ..context import current_context
from ..ops import lookup
from ..ops.frontend import make_function
from ..ops.random import DRAW_FUNCTIONS, DRAW_LIKE_FUNCTIONS
from .ndarray import NDArray

__all__ = [*DRAW_FUNCTIONS, *DRAW_LIKE_FUNCTIONS]


@functools.cache
def _function(op_name, public_name=None):
    """The front end of a registered operator (built once)."""
    return make_function(lookup(op_name), public_name or op_name)


def _draw(function_name, distribution, values, shape, dtype, ctx, out, kwargs):
    """Dispatch to _random_<distribution> (numbers) or _sample_<distribution> (NDArrays)."""
    if all(isinstance(v, NDArray) for v in values):
        sample = _function(f"_sample_{distribution}")
        if dtype is _Null and out is not None:
            dtype = out.dtype
        return sample(*values, shape=shape, dtype=dtype, out=out, **kwargs)
    if not all(isinstance(v, Number) for v in values):
        kinds = ", ".join(sorted({type(v).__name__ for v in values}))
        raise MXNetTypeError(
            f"random.{function_name}: the distribution parameters must be all numbers or all "
            f"NDArrays, got {kinds}"
        )
    op = lookup(f"_random_{distribution}")
    # Without a shape MXNet draws one value, or fills ``out`` (shape and dtype from it).
    if shape is _Null:
        shape = out.shape if out is not None else (1,)
    if dtype is _Null and out is not None:
        dtype = out.dtype
    named = dict(zip(op.params.names, values))
    return _function(op.name)(
        shape=shape, dtype=dtype, ctx=ctx or current_context(), out=out, **named, **kwargs
    )


def uniform(low=0, high=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw from the uniform distribution on [low, high).

    Parameters
    ----------
    low, high : float or NDArray
        The bounds; NDArrays draw ``shape`` values per element.
    shape : int or tuple of ints, optional
        The number of draws (per parameter element for NDArray parameters); one by default.
    dtype : {'float16', 'float32', 'float64'}, optional
        The result's dtype, float32 by default.
    ctx : Context, optional
        The device for numeric parameters (default: the current context).
    out : NDArray, optional
        The array to fill.

    Returns
    -------
    NDArray

    >>> mx.random.seed(1)
    >>> mx.nd.random.uniform(0, 1, shape=(2,)).shape
    (2,)
    """
    return _draw("uniform", "uniform", (low, high), shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw from the normal distribution of mean ``loc`` and standard deviation ``scale``.

    Parameters and result as for ``uniform``.

    >>> mx.nd.random.normal(0, 1, shape=(2, 3)).shape
    (2, 3)
    """
    return _draw("normal", "normal", (loc, scale), shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Draw an array of shape ``shape`` from the normal distribution.

    Parameters
    ----------
    *shape : ints
        The dimensions.
    loc, scale, dtype, ctx, out : optional
        As for ``normal`` (keywords).

    >>> mx.nd.random.randn(2, 3, loc=5).shape
    (2, 3)
    """
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", _Null)
    ctx = kwargs.pop("ctx", None)
    out = kwargs.pop("out", None)
    return _draw("randn", "normal", (loc, scale), shape, dtype, ctx, out, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw from the exponential distribution of mean ``scale`` (rate 1 / scale).

    Parameters and result as for ``uniform``.

    >>> mx.nd.random.exponential(2.0, shape=(3,)).shape
    (3,)
    """
    return _draw("exponential", "exponential", (1.0 / scale,), shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw from the gamma distribution of shape ``alpha`` and scale ``beta``.

    Parameters and result as for ``uniform``.

    >>> mx.nd.random.gamma(2.0, 3.0, shape=(3,)).shape
    (3,)
    """
    return _draw("gamma", "gamma", (alpha, beta), shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw from the Poisson distribution of rate ``lam`` (as floats).

    Parameters and result as for ``uniform``.

    >>> mx.nd.random.poisson(4.0, shape=(3,)).shape
    (3,)
    """
    return _draw("poisson", "poisson", (lam,), shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw the number of failures before the ``k``-th success of probability ``p``.

    Parameters and result as for ``uniform``.

    >>> mx.nd.random.negative_binomial(3, 0.4, shape=(3,)).shape
    (3,)
    """
    return _draw("negative_binomial", "negative_binomial", (k, p), shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(
    mu=1, alpha=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs
):
    """Draw counts of mean ``mu`` and variance ``mu + alpha * mu**2``.

    Parameters and result as for ``uniform``.

    >>> mx.nd.random.generalized_negative_binomial(3.0, 0.5, shape=(3,)).shape
    (3,)
    """
    return _draw(
        "generalized_negative_binomial",
        "generalized_negative_binomial",
        (mu, alpha),
        shape,
        dtype,
        ctx,
        out,
        kwargs,
    )


def randint(low, high, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw integers uniformly from [low, high).

    Parameters
    ----------
    low, high : int
        The bounds (numbers only: there is no array form).
    shape, ctx, out : optional
        As for ``uniform``.
    dtype : {'int32', 'int64'}, optional
        The result's dtype, int32 by default.

    >>> mx.nd.random.randint(0, 10, shape=(4,)).dtype
    <class 'numpy.int32'>
    """
    if isinstance(low, NDArray) or isinstance(high, NDArray):
        raise MXNetTypeError("random.randint: low and high must be numbers, not NDArrays")
    return _draw("randint", "randint", (low, high), shape, dtype, ctx, out, kwargs)


def multinomial(data, shape=_Null, get_prob=False, out=None, dtype="int32", **kwargs):
    """Draw category indices from the rows (last axis) of probabilities ``data``.

    Parameters
    ----------
    data : NDArray
        Probabilities, one distribution per row.
    shape : int or tuple of ints, optional
        Draws per row; the result has shape ``data.shape[:-1] + shape``.
    get_prob : bool, optional
        Also return the log-probability of each draw (differentiable in ``data``).
    out : NDArray, optional
        The array to fill.
    dtype : str, optional
        The dtype of the indices, int32 by default.

    >>> mx.nd.random.multinomial(mx.nd.array([[0.2, 0.8]]), shape=3).shape
    (1, 3)
    """
    function = _function("_sample_multinomial")
    return function(data, shape=shape, get_prob=get_prob, out=out, dtype=dtype, **kwargs)


def shuffle(data, **kwargs):
    """Return ``data`` with its first axis in random order.

    >>> mx.nd.random.shuffle(mx.nd.arange(4)).shape
    (4,)
    """
    return _function("_shuffle")(data, **kwargs)


uniform_like = _function("_random_uniform_like", "uniform_like")
normal_like = _function("_random_normal_like", "normal_like")
exponential_like = _function("_random_exponential_like", "exponential_like")
gamma_like = _function("_random_gamma_like", "gamma_like")
poisson_like = _function("_random_poisson_like", "poisson_like")
negative_binomial_like = _function("_random_negative_binomial_like", "negative_binomial_like")
generalized_negative_binomial_like = _function(
    "_random_generalized_negative_binomial_like", "generalized_negative_binomial_like"
)
