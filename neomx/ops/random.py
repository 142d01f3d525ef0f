"""Random draws from parameters given as numbers: _random_<distribution> (an array of ``shape``),
_random_<distribution>_like (the shape and dtype of an input), _random_randint and _shuffle.

Every operator draws from its context's generator (``runtime = ("rng",)``), so
``mx.random.seed`` makes the draws reproducible and each device has its own stream. The
distributions themselves are the functions below; random_sample.py draws from the same ones
with parameters given as arrays.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known
from .params import Ctx, DType, Float, Int, OptShape, Params
from .registry import Op, register

FLOAT_DTYPES = ("float16", "float32", "float64")

# The public draws of mx.nd.random and mx.sym.random (MXNet 1.9.1); mx.random offers the first.
DRAW_FUNCTIONS = (
    "uniform",
    "normal",
    "randn",
    "exponential",
    "gamma",
    "poisson",
    "negative_binomial",
    "generalized_negative_binomial",
    "multinomial",
    "shuffle",
    "randint",
)
DRAW_LIKE_FUNCTIONS = (
    "uniform_like",
    "normal_like",
    "exponential_like",
    "gamma_like",
    "poisson_like",
    "negative_binomial_like",
    "generalized_negative_binomial_like",
)


def work_dtype(dtype) -> np.dtype:
    """The dtype to draw in: float64 for float64 results, float32 otherwise (float16 results
    are rounded from float32 draws, since generators draw no float16)."""
    return np.dtype("float64") if np.dtype(dtype) == np.float64 else np.dtype("float32")


# ---- the distributions: draw(xp, rng, size, dtype, *parameters) -----------------------------
# Parameters are Python numbers or arrays of ``dtype`` that broadcast against ``size``; the
# result has shape ``size`` (integer-valued draws come back as integers, cast by the caller).


def draw_uniform(xp, rng, size, dtype, low, high):
    return low + (high - low) * rng.random(size, dtype=dtype)


def draw_normal(xp, rng, size, dtype, loc, scale):
    return loc + scale * rng.standard_normal(size, dtype=dtype)


def draw_gamma(xp, rng, size, dtype, alpha, beta):
    # beta is the scale: the mean is alpha * beta, as in MXNet.
    return rng.standard_gamma(alpha, size, dtype=dtype) * beta


def draw_exponential(xp, rng, size, dtype, lam):
    # lam is the rate: the mean is 1 / lam.
    return rng.standard_exponential(size, dtype=dtype) / lam


def draw_poisson(xp, rng, size, dtype, lam):
    return rng.poisson(lam, size)


def draw_negative_binomial(xp, rng, size, dtype, k, p):
    """Failures before the k-th success with success probability p: a Poisson draw whose
    rate is Gamma(k, (1 - p) / p), which is how MXNet samples it."""
    with np.errstate(divide="ignore"):
        scale = (1 - p) / p
    return rng.poisson(rng.standard_gamma(k, size, dtype=dtype) * scale, size)


def draw_generalized_negative_binomial(xp, rng, size, dtype, mu, alpha):
    """Counts with mean mu and variance mu + alpha * mu**2: a Poisson draw whose rate is
    Gamma(1 / alpha, alpha * mu); alpha = 0 is the Poisson distribution of rate mu."""
    positive = xp.asarray(alpha) > 0
    safe_alpha = xp.where(positive, alpha, 1).astype(dtype)
    mixed = rng.standard_gamma(1 / safe_alpha, size, dtype=dtype) * (safe_alpha * mu)
    return rng.poisson(xp.where(positive, mixed, mu), size)


def emit(xp, values, dtype, out):
    """Cast ``values`` to ``dtype``, into ``out`` when given."""
    if out is None:
        return values.astype(dtype, copy=False)
    xp.copyto(out, values, casting="unsafe")
    return out


# ---- checks of numeric parameters (MXNet 1.9.1's rules) ---------------------------------


def _require(op_name, ok, message):
    if not ok:
        raise MXNetValueError(f"{op_name}: {message}")


def check_uniform(op_name, low, high):
    _require(op_name, low <= high, f"low={low} must be <= high={high}")


def check_normal(op_name, loc, scale):
    _require(op_name, scale > 0, f"scale={scale} must be > 0")


def check_gamma(op_name, alpha, beta):
    _require(op_name, alpha > 0, f"alpha={alpha} must be > 0")
    _require(op_name, beta > 0, f"beta={beta} must be > 0")


def check_exponential(op_name, lam):
    _require(op_name, lam > 0, f"lam={lam} must be > 0")


def check_poisson(op_name, lam):
    _require(op_name, lam >= 0, f"lam={lam} must be >= 0")


def check_negative_binomial(op_name, k, p):
    _require(op_name, k >= 0, f"k={k} must be >= 0")
    # MXNet 1.9.1 does not check p and returns garbage outside (0, 1]; neomx refuses.
    _require(op_name, 0 < p <= 1, f"p={p} must lie in (0, 1]")


def check_generalized_negative_binomial(op_name, mu, alpha):
    _require(op_name, mu >= 0, f"mu={mu} must be >= 0")
    _require(op_name, alpha >= 0, f"alpha={alpha} must be >= 0")


class _Random(Op):
    """A draw from one distribution whose parameters are numbers (operator parameters)."""

    runtime = ("rng",)
    differentiable = False
    # The distribution: its parameter names in draw order, ``draw`` and ``check`` functions.
    arguments_of_draw: tuple[str, ...] = ()

    def numbers(self, p):
        """The distribution's parameters from ``p``, checked (before the call is pushed)."""
        values = tuple(getattr(p, name) for name in self.arguments_of_draw)
        self.check(self.name, *values)
        return values

    def sample(self, xp, p, size, dtype, out, rng):
        values = self.draw(xp, rng, size, work_dtype(dtype), *self.numbers(p))
        return emit(xp, values, dtype, out)


class _RandomCreate(_Random):
    """_random_<distribution>: an array of ``shape`` drawn on ``ctx``."""

    inputs = ()
    creates = True

    def infer_shape(self, p):
        self.numbers(p)
        if p.shape is None:
            raise MXNetValueError(f"{self.name}: no shape given; pass shape=(...)")
        if any(dim is None or dim < 0 for dim in p.shape):
            raise MXNetValueError(f"{self.name}: shape {p.shape} has a negative dimension")
        return (), (p.shape,)

    def infer_type(self, p):
        return (), (np.dtype(p.dtype or "float32"),)

    def forward(self, xp, p, out=None, *, rng=None):
        return self.sample(xp, p, p.shape, np.dtype(p.dtype or "float32"), out, rng)


class _RandomLike(_Random):
    """_random_<distribution>_like: an array shaped like ``data``, of its (float) dtype."""

    differentiable = True

    def infer_type(self, p, data):
        if data is not None and np.dtype(data).kind != "f":
            raise MXNetTypeError(
                f"{self.name}: data has dtype {np.dtype(data).name}; expected a float dtype"
            )
        return super().infer_type(p, data)

    def infer_shape(self, p, data):
        self.numbers(p)
        return super().infer_shape(p, data)

    def forward(self, xp, p, data, out=None, *, rng=None):
        return self.sample(xp, p, data.shape, data.dtype, out, rng)

    def gradient(self, p, F, inputs, outputs, dy):
        # MXNet 1.9.1 gives the input a zero gradient (the values do not depend on it).
        return (None,)


def _distribution(name, fields, draw, check, summary):
    """Register _random_<name> (aliases random_<name>, and <name> for uniform and normal)
    and _random_<name>_like, both drawing with ``draw`` from parameters ``fields``."""
    aliases = (f"random_{name}",) + ((name,) if name in ("uniform", "normal") else ())
    title = "".join(part.title() for part in name.split("_"))
    shared = {
        "arguments_of_draw": tuple(fields),
        "draw": staticmethod(draw),
        "check": staticmethod(check),
    }
    create = type(
        f"Random{title}",
        (_RandomCreate,),
        {
            **shared,
            "__doc__": f"Return an array of ``shape`` drawn from {summary}.",
            "params": Params(
                **fields,
                shape=OptShape(None),
                ctx=Ctx(None),
                dtype=DType(None, choices=FLOAT_DTYPES),
            ),
        },
    )
    like = type(
        f"Random{title}Like",
        (_RandomLike,),
        {
            **shared,
            "__doc__": f"Return an array shaped like ``data`` (and of its dtype) drawn from "
            f"{summary}.",
            "params": Params(**fields),
        },
    )
    register(f"_random_{name}", aliases=aliases)(create)
    register(f"_random_{name}_like")(like)


_distribution(
    "uniform",
    {"low": Float(0.0), "high": Float(1.0)},
    draw_uniform,
    check_uniform,
    "the uniform distribution on [low, high)",
)
_distribution(
    "normal",
    {"loc": Float(0.0), "scale": Float(1.0)},
    draw_normal,
    check_normal,
    "the normal distribution of mean ``loc`` and standard deviation ``scale``",
)
_distribution(
    "gamma",
    {"alpha": Float(1.0), "beta": Float(1.0)},
    draw_gamma,
    check_gamma,
    "the gamma distribution of shape ``alpha`` and scale ``beta``",
)
_distribution(
    "exponential",
    {"lam": Float(1.0)},
    draw_exponential,
    check_exponential,
    "the exponential distribution of rate ``lam`` (mean 1 / lam)",
)
_distribution(
    "poisson",
    {"lam": Float(1.0)},
    draw_poisson,
    check_poisson,
    "the Poisson distribution of rate ``lam`` (as floats)",
)
_distribution(
    "negative_binomial",
    {"k": Int(1), "p": Float(1.0)},
    draw_negative_binomial,
    check_negative_binomial,
    "the negative binomial distribution: failures before the k-th success of probability p",
)
_distribution(
    "generalized_negative_binomial",
    {"mu": Float(1.0), "alpha": Float(1.0)},
    draw_generalized_negative_binomial,
    check_generalized_negative_binomial,
    "the generalized negative binomial distribution of mean ``mu`` and dispersion ``alpha``",
)


@register("_random_randint", aliases=("random_randint",))
class RandomRandint(_RandomCreate):
    """Return an array of ``shape`` of integers drawn uniformly from [low, high)."""

    params = Params(
        low=Int(),
        high=Int(),
        shape=OptShape(None),
        ctx=Ctx(None),
        dtype=DType(None, choices=("int32", "int64")),
    )

    def numbers(self, p):
        # MXNet 1.9.1 crashes for low == high; neomx refuses the empty range.
        _require(self.name, p.low < p.high, f"low={p.low} must be < high={p.high}")
        info = np.iinfo(p.dtype or "int32")
        _require(
            self.name,
            info.min <= p.low and p.high - 1 <= info.max,
            f"[{p.low}, {p.high}) does not fit dtype {info.dtype}",
        )
        return p.low, p.high

    def infer_type(self, p):
        return (), (np.dtype(p.dtype or "int32"),)

    def forward(self, xp, p, out=None, *, rng=None):
        dtype = np.dtype(p.dtype or "int32")
        values = rng.integers(p.low, p.high, size=p.shape, dtype=dtype)
        return emit(xp, values, dtype, out)


@register("_shuffle", aliases=("shuffle",))
class Shuffle(Op):
    """Return ``data`` with its first axis in random order (each order equally likely)."""

    runtime = ("rng",)
    differentiable = False

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: data must have at least one axis, got ()")
        return (data,), (data,)

    def forward(self, xp, p, data, out=None, *, rng=None):
        # Sorting random keys rather than Generator.permutation: CuPy's Generator has none.
        order = xp.argsort(rng.random(data.shape[0]))
        return xp.take(data, order, axis=0, out=out)
