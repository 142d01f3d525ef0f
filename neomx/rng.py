"""Random number generators: one stream per device, reseeded by ``mx.random.seed``."""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["generator", "seed_all", "seed_context"]

_generators: dict = {}
_lock = threading.Lock()
_base_seed = [None]


def _key(ctx):
    return ctx.compute_ctx


def _make(ctx, seed):
    """A generator for ``ctx``: seeded streams differ per device but are reproducible."""
    if seed is None:
        bit_generator = np.random.PCG64()
    else:
        bit_generator = np.random.PCG64([seed, ctx.device_typeid, ctx.device_id])
    if ctx.device_typeid == 2:
        import cupy

        with cupy.cuda.Device(ctx.device_id):
            return cupy.random.Generator(
                cupy.random.XORWOW(None if seed is None else int(bit_generator.random_raw()))
            )
    return np.random.Generator(bit_generator)


def generator(ctx):
    """Return the random generator of ``ctx`` (numpy's, or cupy's on a GPU)."""
    key = _key(ctx)
    found = _generators.get(key)
    if found is None:
        with _lock:
            found = _generators.get(key)
            if found is None:
                found = _generators[key] = _make(key, _base_seed[0])
    return found


def seed_all(seed: int) -> None:
    """Reseed every device's stream (devices used later start from the same seed)."""
    with _lock:
        _base_seed[0] = seed
        for key in list(_generators):
            _generators[key] = _make(key, seed)


def seed_context(seed: int, ctx) -> None:
    """Reseed the stream of one device."""
    key = _key(ctx)
    with _lock:
        _generators[key] = _make(key, seed)
