"""``mx.random``: seeding of the per-device random streams, and (as in MXNet 1.9.1) the
sampling functions of ``mx.nd.random``."""

from __future__ import annotations

from .base import MXNetTypeError
from .context import Context
from .ndarray.random import (
    exponential,
    gamma,
    generalized_negative_binomial,
    multinomial,
    negative_binomial,
    normal,
    poisson,
    randint,
    randn,
    shuffle,
    uniform,
)
from .rng import seed_all, seed_context

__all__ = [
    "seed",
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
]


def seed(seed_state: int, ctx="all") -> None:
    """Seed the random number generators so that runs are reproducible.

    With ``ctx='all'`` every device's stream is reseeded; with a Context only that one.
    Each device has its own stream, so the same seed gives different numbers on cpu(0) and
    cpu(1) but the same numbers run after run.

    >>> mx.random.seed(42)
    """
    if not isinstance(seed_state, int) or isinstance(seed_state, bool):
        raise MXNetTypeError(f"random.seed: seed_state must be an int, got {seed_state!r}")
    if isinstance(ctx, str) and ctx == "all":
        seed_all(seed_state)
    elif isinstance(ctx, Context):
        seed_context(seed_state, ctx)
    else:
        raise MXNetTypeError(f"random.seed: ctx must be 'all' or a Context, got {ctx!r}")
