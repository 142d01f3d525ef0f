"""The initializer protocol of ``mx.init``: InitDesc, the Initializer base class and its registry.

An initializer is called as ``init(desc, arr)`` and fills ``arr`` in place. Which of its hooks
runs (``_init_weight``, ``_init_bias``, ...) depends on the parameter's name, as in MXNet 1.9.1;
an ``__init__`` attribute on the variable (``mx.sym.var(..., init=...)``) overrides the name.
The concrete initializers live in ``initializer.py``; ``mx.init`` is that module.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import MXNetNotImplementedError, MXNetTypeError, MXNetValueError
from .ndarray import NDArray
from .ndarray import norm as _norm

__all__ = ["InitDesc", "Initializer", "register", "alias", "create"]


class InitDesc(str):
    """Describe a parameter to initialize: its name, its attributes and the global initializer.

    ``InitDesc`` is a ``str`` (the parameter's name), so code that expects a plain name keeps
    working.

    Parameters
    ----------
    name : str
        The parameter's name, e.g. ``'fc1_weight'``.
    attrs : dict of str to str, optional
        The variable's attributes (``Symbol.attr_dict()``); ``'__init__'`` in them names the
        initializer to use, as JSON from ``Initializer.dumps()``.
    global_init : Initializer, optional
        The initializer to fall back on, e.g. for the parts a ``FusedRNN`` leaves to it.

    Examples
    --------
    >>> desc = mx.init.InitDesc("fc_bias", {"__init__": '["one", {}]'})
    >>> desc, desc.attrs["__init__"]
    ('fc_bias', '["one", {}]')
    """

    attrs: dict
    global_init: Initializer | None

    def __new__(cls, name: str, attrs: dict | None = None, global_init=None):
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


# How ``init(InitDesc, arr)`` picks a hook when the desc has no ``__init__`` attribute: the first
# suffix that the name ends with wins. MXNet 1.9.1 leaves everything else (moving_mean, ...) to
# the ``__init__`` attributes its operators give their auxiliary variables.
_DESC_SUFFIXES = (
    ("weight", "_init_weight"),
    ("bias", "_init_bias"),
    ("gamma", "_init_gamma"),
    ("beta", "_init_beta"),
    ("min", "_init_zero"),
    ("max", "_init_one"),
    ("weight_quantize", "_init_quantized_weight"),
    ("bias_quantize", "_init_quantized_bias"),
)

# The older ``init(name, arr)`` call, which still knows the batch-norm statistics by name.
_LEGACY_SUFFIXES = (
    ("bias", "_init_bias"),
    ("gamma", "_init_gamma"),
    ("beta", "_init_beta"),
    ("weight", "_init_weight"),
    ("moving_mean", "_init_zero"),
    ("moving_var", "_init_one"),
    ("moving_inv_var", "_init_zero"),
    ("moving_avg", "_init_zero"),
    ("min", "_init_zero"),
    ("max", "_init_one"),
)


def bilinear_weights(shape: tuple[int, ...]) -> np.ndarray:
    """The float32 bilinear-upsampling kernel of a 4-D ``shape`` (the same in every channel)."""
    height, width = shape[2], shape[3]
    f = math.ceil(width / 2.0)
    center = (2 * f - 1 - f % 2) / (2.0 * f)
    # MXNet 1.9.1 derives both the row and the column factor from the width.
    x = 1 - np.abs(np.arange(width) / f - center)
    y = 1 - np.abs(np.arange(height) / f - center)
    kernel = (y[:, None] * x[None, :]).astype(np.float32)
    return np.broadcast_to(kernel, shape)


def _mean_magnitude(arr: NDArray) -> str:
    """The default verbose statistic: ``norm(arr) / sqrt(arr.size)``."""
    return str((_norm(arr) / math.sqrt(max(arr.size, 1))).asscalar())


class Initializer:
    """Fill parameters in place; the base class of every registered initializer.

    Subclasses override the hooks they change: ``_init_weight`` (required for names ending in
    ``weight``) and optionally ``_init_bias`` (zeros), ``_init_gamma`` (ones), ``_init_beta``
    (zeros), ``_init_zero``, ``_init_one`` and ``_init_default`` (raises). Each hook takes
    ``(name, arr)``. Keyword arguments given to ``__init__`` are what ``dumps()`` records.

    Examples
    --------
    >>> @mx.init.register
    ... class Halves(mx.init.Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 0.5
    >>> w = mx.nd.zeros((2,))
    >>> mx.init.create("halves")(mx.init.InitDesc("fc_weight"), w)
    >>> w.asnumpy()
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Callable[[NDArray], str] | None = None

    def set_verbosity(self, verbose: bool = False, print_func=None) -> Initializer:
        """Log each initialized array (at INFO level) with a statistic of its values.

        Parameters
        ----------
        verbose : bool
            Switch logging on or off.
        print_func : callable, optional
            Maps the initialized NDArray to a string; by default ``norm(arr) / sqrt(size)``.

        Returns
        -------
        Initializer
            This initializer, so that calls chain.
        """
        self._verbose = verbose
        self._print_func = print_func if print_func is not None else _mean_magnitude
        return self

    def _verbose_print(self, desc, init, arr) -> None:
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self) -> str:
        """Describe this initializer as JSON, which ``mx.init.create`` turns back into it.

        >>> mx.init.Xavier(factor_type="in", magnitude=2.34).dumps()
        '["xavier", {"rnd_type": "uniform", "factor_type": "in", "magnitude": 2.34}]'
        """
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, desc, arr: NDArray) -> None:
        """Fill ``arr`` in place, choosing the hook from ``desc``.

        Parameters
        ----------
        desc : InitDesc or str
            The parameter. A plain string takes the deprecated name-only path.
        arr : NDArray
            The array to fill.
        """
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            # The variable's own initializer wins over the name.
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, hook in _DESC_SUFFIXES:
            if desc.endswith(suffix):
                getattr(self, hook)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr) -> None:
        """Fill ``arr`` as the name-only call ``init(name, arr)`` of older MXNet did."""
        warnings.warn(
            "Calling an initializer as init(str, NDArray) is deprecated; "
            "call init(mx.init.InitDesc(name), NDArray) instead",
            DeprecationWarning,
            stacklevel=3,
        )
        if not isinstance(name, str):
            raise MXNetTypeError(f"initializer: name must be a str, got {type(name).__name__}")
        if not isinstance(arr, NDArray):
            raise MXNetTypeError(
                f"initializer: {name!r} must be filled into an NDArray, got {type(arr).__name__}"
            )
        if name.startswith("upsampling"):
            self._init_bilinear(name, arr)
        elif name.startswith("stn_loc") and name.endswith("weight"):
            self._init_zero(name, arr)
        elif name.startswith("stn_loc") and name.endswith("bias"):
            self._init_loc_bias(name, arr)
        else:
            for suffix, hook in _LEGACY_SUFFIXES:
                if name.endswith(suffix):
                    getattr(self, hook)(name, arr)
                    return
            self._init_default(name, arr)

    def _init_bilinear(self, name, arr) -> None:
        if arr.ndim != 4:
            raise MXNetValueError(
                f"initializer: bilinear weights for {name!r} need a 4-D array "
                f"(out, in, height, width), got shape {tuple(arr.shape)}"
            )
        arr[:] = bilinear_weights(arr.shape)

    def _init_loc_bias(self, name, arr) -> None:
        # The identity affine transform of a spatial transformer's localisation net.
        if tuple(arr.shape) != (6,):
            raise MXNetValueError(
                f"initializer: {name!r} is a spatial-transformer bias and needs shape (6,), "
                f"got {tuple(arr.shape)}"
            )
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_zero(self, _, arr) -> None:
        arr[:] = 0.0

    def _init_one(self, _, arr) -> None:
        arr[:] = 1.0

    def _init_bias(self, _, arr) -> None:
        arr[:] = 0.0

    def _init_gamma(self, _, arr) -> None:
        arr[:] = 1.0

    def _init_beta(self, _, arr) -> None:
        arr[:] = 0.0

    def _init_quantized_bias(self, _, arr) -> None:
        arr[:] = 0

    def _init_quantized_weight(self, _, arr) -> None:
        # NOTE: MXNet 1.9.1 draws one value and broadcasts it; this draws one per element
        # from the same range, [-127, 127).
        from .ndarray import random as nd_random

        values = nd_random.randint(-127, 127, shape=arr.shape, dtype="int32", ctx=arr.context)
        arr[:] = values.asnumpy().astype(np.int8)

    def _init_weight(self, name, arr) -> None:
        raise MXNetNotImplementedError(
            f"{type(self).__name__}: cannot initialize {name!r}; an initializer that fills "
            "weights must override _init_weight(name, arr)"
        )

    def _init_default(self, name, _) -> None:
        raise MXNetValueError(
            f"Unknown initialization pattern for {name!r}. Without an initializer of its own, a "
            "parameter's name must end in 'weight', 'bias', 'gamma' (1.0), 'beta' (0.0), 'min' "
            "(0.0) or 'max' (1.0); give it one with mx.sym.var(name, init=mx.init.Zero()) or "
            "the init= argument of its Parameter"
        )

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    # Equal initializers need not hash alike; like MXNet's, initializers are unhashable.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self._kwargs.items())
        return f"{type(self).__name__}({args})"


_REGISTRY: dict[str, type[Initializer]] = {}


def _register(klass: type, name: str | None = None) -> type:
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise MXNetTypeError(
            f"mx.init.register: can only register Initializer subclasses, got {klass!r}"
        )
    key = (name or klass.__name__).lower()
    previous = _REGISTRY.get(key)
    if previous is not None and previous is not klass:
        warnings.warn(
            f"mx.init: {klass.__module__}.{klass.__name__} registered as {key!r} replaces "
            f"{previous.__module__}.{previous.__name__}",
            UserWarning,
            stacklevel=3,
        )
    _REGISTRY[key] = klass
    return klass


def register(klass: type) -> type:
    """Register an Initializer subclass under its lowercased class name (a class decorator).

    Registered initializers can be named in ``mx.init.create``, in ``Module.init_params`` and
    in the JSON that ``dumps()`` writes.

    >>> @mx.init.register
    ... class Quarters(mx.init.Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 0.25
    >>> type(mx.init.create("quarters")).__name__
    'Quarters'
    """
    return _register(klass)


def alias(*aliases: str) -> Callable[[type], type]:
    """Register an Initializer subclass under extra names as well (a class decorator).

    >>> @mx.init.register
    ... @mx.init.alias("halfs")
    ... class Half(mx.init.Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 0.5
    >>> type(mx.init.create("halfs")).__name__
    'Half'
    """

    def decorate(klass: type) -> type:
        for name in aliases:
            _register(klass, name)
        return klass

    return decorate


def create(*args: Any, **kwargs: Any) -> Initializer:
    """Make an initializer from a name, JSON, a dict or an instance.

    Parameters
    ----------
    initializer : str, dict or Initializer
        A registered name (any case, e.g. ``'xavier'``, ``'zeros'``), JSON as ``dumps()``
        writes it (``'["xavier", {"magnitude": 2}]'``) or an object (``'{"initializer":
        "xavier", "magnitude": 2}'``), a dict like that object, or an Initializer (returned as
        it is). May also be given as the keyword ``initializer=``.
    *args, **kwargs
        Arguments for the constructor (not allowed with JSON or an instance).

    Examples
    --------
    >>> mx.init.create("xavier", magnitude=2).dumps()
    '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 2}]'
    >>> mx.init.create('["normal", {"sigma": 0.5}]')
    Normal(sigma=0.5)
    """
    if args:
        spec, args = args[0], args[1:]
    elif "initializer" in kwargs:
        spec = kwargs.pop("initializer")
    else:
        raise MXNetTypeError("mx.init.create: give the initializer (a name, JSON or instance)")
    if isinstance(spec, Initializer):
        if args or kwargs:
            raise MXNetValueError(
                f"mx.init.create: {spec!r} is already an initializer; extra arguments "
                f"{args or ''}{kwargs or ''} are not allowed"
            )
        return spec
    if isinstance(spec, dict):
        return create(*args, **spec, **kwargs)
    if not isinstance(spec, str):
        raise MXNetTypeError(
            f"mx.init.create: the initializer must be a str, dict or Initializer, got "
            f"{type(spec).__name__}"
        )
    if spec.startswith(("[", "{")):
        if args or kwargs:
            raise MXNetValueError(
                f"mx.init.create: no extra arguments are allowed with JSON {spec!r}"
            )
        try:
            parsed = json.loads(spec)
        except json.JSONDecodeError as err:
            raise MXNetValueError(f"mx.init.create: {spec!r} is not valid JSON: {err}") from err
        if isinstance(parsed, dict):
            return create(**parsed)
        if not (isinstance(parsed, list) and len(parsed) == 2 and isinstance(parsed[1], dict)):
            raise MXNetValueError(
                f"mx.init.create: expected JSON [name, {{arguments}}], got {spec!r}"
            )
        return create(parsed[0], **parsed[1])
    klass = _REGISTRY.get(spec.lower())
    if klass is None:
        raise MXNetValueError(
            f"mx.init.create: {spec.lower()!r} is not registered (known: "
            f"{', '.join(sorted(_REGISTRY))}); register it with mx.init.register first"
        )
    return klass(*args, **kwargs)
