"""``mx.init``: the initializers of MXNet 1.9.1.

Each registered initializer is known by its lowercased class name (``Zero`` and ``One`` also as
``zeros`` and ``ones``), so ``mx.init.create("xavier")``, ``Module.init_params("xavier")`` and
the ``__init__`` attribute of a variable (``'["xavier", {...}]'``, from ``dumps()``) all find it.
Random initializers draw through ``mx.nd.random`` on the array's device, so ``mx.random.seed``
makes them reproducible.

>>> w = mx.nd.zeros((2, 3))
>>> mx.init.One()(mx.init.InitDesc("fc_weight"), w)
>>> w.asnumpy()
array([[1., 1., 1.],
       [1., 1., 1.]], dtype=float32)
"""

from __future__ import annotations

import json
import logging
import math
import re

import numpy as np

from .base import MXNetValueError
from .initializer_base import InitDesc, Initializer, alias, bilinear_weights, create, register
from .initializer_rnn import FusedRNN, LSTMBias
from .ndarray import NDArray
from .ndarray import load as _load_arrays
from .ndarray import random as _random

__all__ = [
    "InitDesc",
    "Initializer",
    "register",
    "alias",
    "create",
    "Load",
    "Mixed",
    "Zero",
    "One",
    "Constant",
    "Uniform",
    "Normal",
    "Orthogonal",
    "Xavier",
    "MSRAPrelu",
    "Bilinear",
    "LSTMBias",
    "FusedRNN",
]


class Load:
    """Initialize parameters from saved arrays, falling back on another initializer.

    ``arg:`` and ``aux:`` prefixes (as ``Module.save_params`` writes them) are dropped from the
    loaded names before matching.

    Parameters
    ----------
    param : str or dict of str to NDArray
        A parameter file (read with ``mx.nd.load``) or the arrays themselves.
    default_init : Initializer, optional
        Fills parameters that ``param`` lacks; without it they are an error.
    verbose : bool, default False
        Log where each parameter came from.

    Examples
    --------
    >>> init = mx.init.Load({"arg:fc_bias": mx.nd.ones((2,))}, default_init=mx.init.Zero())
    >>> b = mx.nd.zeros((2,))
    >>> init(mx.init.InitDesc("fc_bias"), b)
    >>> b.asnumpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = _load_arrays(param)
        if not isinstance(param, dict):
            raise MXNetValueError(
                f"mx.init.Load: param must be a dict of name to NDArray (or a file of one), got "
                f"{type(param).__name__}"
            )
        self.param = {}
        for name, arr in param.items():
            self.param[name[4:] if name.startswith(("arg:", "aux:")) else name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            loaded = self.param[name]
            if tuple(arr.shape) != tuple(loaded.shape):
                raise MXNetValueError(
                    f"Parameter {name} cannot be initialized from loading. Shape mismatch, "
                    f"target {tuple(arr.shape)} vs loaded {tuple(loaded.shape)}"
                )
            arr[:] = loaded
            if self.verbose:
                logging.info("Initialized %s by loading", name)
            return
        if self.default_init is None:
            raise MXNetValueError(
                f"Cannot initialize {name}: it is not among the loaded parameters and no "
                "default_init was given to mx.init.Load"
            )
        self.default_init(name, arr)
        if self.verbose:
            logging.info("Initialized %s by default", name)


class Mixed:
    """Initialize each parameter with the first initializer whose pattern matches its name.

    Parameters
    ----------
    patterns : list of str
        Regular expressions, matched at the start of the name (``re.match``).
    initializers : list of Initializer
        One initializer per pattern.

    Examples
    --------
    >>> init = mx.init.Mixed(["bias", ".*"], [mx.init.Zero(), mx.init.One()])
    >>> w = mx.nd.zeros((2,))
    >>> init(mx.init.InitDesc("fc_weight"), w)
    >>> w.asnumpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise MXNetValueError(
                f"mx.init.Mixed: {len(patterns)} patterns but {len(initializers)} initializers; "
                "give one initializer per pattern"
            )
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for pattern, init in self.map:
            if pattern.match(name):
                init(name, arr)
                return
        raise MXNetValueError(
            f"Parameter name {name} did not match any pattern of mx.init.Mixed "
            f"({[p.pattern for p, _ in self.map]}); add a '.*' pattern at the end with a "
            "default initializer"
        )


@register
@alias("zeros")
class Zero(Initializer):
    """Fill weights with zeros.

    >>> mx.init.Zero().dumps()
    '["zero", {}]'
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias("ones")
class One(Initializer):
    """Fill weights with ones.

    >>> mx.init.One().dumps()
    '["one", {}]'
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


def _json_value(value):
    """A Constant's value as JSON can hold it: arrays become nested lists."""
    if isinstance(value, NDArray):
        return value.asnumpy().tolist()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


@register
class Constant(Initializer):
    """Fill weights with a value: a number, or an array of the parameter's shape.

    Parameters
    ----------
    value : float, list, numpy.ndarray or NDArray
        What to fill in.

    >>> mx.init.Constant(0.5).dumps()
    '["constant", {"value": 0.5}]'
    """

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        kwargs = dict(self._kwargs, value=_json_value(self._kwargs["value"]))
        return json.dumps([type(self).__name__.lower(), kwargs])


@register
class Uniform(Initializer):
    """Fill weights with values drawn uniformly from [-scale, scale).

    Parameters
    ----------
    scale : float, default 0.07
        The bound of the range.

    >>> mx.random.seed(1)
    >>> w = mx.nd.zeros((1000,))
    >>> mx.init.Uniform(0.1)(mx.init.InitDesc("fc_weight"), w)
    >>> bool((w.abs() <= 0.1).min())
    True
    """

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _random.uniform(-self.scale, self.scale, shape=arr.shape, ctx=arr.context, out=arr)


@register
class Normal(Initializer):
    """Fill weights with values drawn from a normal distribution of mean 0.

    Parameters
    ----------
    sigma : float, default 0.01
        The standard deviation.

    >>> mx.init.Normal(0.5).dumps()
    '["normal", {"sigma": 0.5}]'
    """

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _random.normal(0, self.sigma, shape=arr.shape, ctx=arr.context, out=arr)


@register
class Orthogonal(Initializer):
    """Fill weights with a scaled orthogonal matrix (Saxe et al., 2013, arXiv:1312.6120).

    The weight, viewed as a ``(shape[0], prod(shape[1:]))`` matrix, gets orthonormal rows (or
    columns, when it has more rows than columns) times ``scale``: the singular vectors of a
    random matrix.

    Parameters
    ----------
    scale : float, default 1.414
        The factor on the orthonormal matrix.
    rand_type : {'uniform', 'normal'}, default 'uniform'
        The distribution of the random matrix.

    >>> mx.init.Orthogonal().dumps()
    '["orthogonal", {"scale": 1.414, "rand_type": "uniform"}]'
    """

    def __init__(self, scale=1.414, rand_type="uniform"):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, name, arr):
        rows = arr.shape[0] if arr.ndim else 1
        columns = math.prod(arr.shape[1:])
        if self.rand_type == "uniform":
            draw = _random.uniform(-1.0, 1.0, shape=(rows, columns), ctx=arr.context)
        elif self.rand_type == "normal":
            draw = _random.normal(0.0, 1.0, shape=(rows, columns), ctx=arr.context)
        else:
            raise MXNetValueError(
                f"Orthogonal: rand_type must be 'uniform' or 'normal', got {self.rand_type!r} "
                f"(initializing {name!r})"
            )
        if arr.size == 0:
            return
        matrix = draw.asnumpy().astype(np.float64)
        u, _, v = np.linalg.svd(matrix, full_matrices=False)
        orthonormal = u if u.shape == matrix.shape else v
        arr[:] = self.scale * orthonormal.reshape(arr.shape)


_FACTOR_TYPES = ("avg", "in", "out")
_XAVIER_RANDOM_TYPES = ("uniform", "gaussian")


@register
class Xavier(Initializer):
    """Fill weights so that activations keep their scale through the layers (Glorot & Bengio).

    With ``fan_in = shape[1] * prod(shape[2:])`` and ``fan_out = shape[0] * prod(shape[2:])``,
    ``factor`` is their mean (``'avg'``), ``fan_in`` (``'in'``) or ``fan_out`` (``'out'``) and
    ``scale = sqrt(magnitude / factor)``. Values are drawn from [-scale, scale) (``'uniform'``)
    or from a normal distribution with standard deviation ``scale`` (``'gaussian'``).

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}, default 'uniform'
    factor_type : {'avg', 'in', 'out'}, default 'avg'
    magnitude : float, default 3

    >>> mx.init.Xavier().dumps()
    '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
    """

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _scale(self, name, shape):
        """``sqrt(magnitude / factor)`` for a weight of ``shape``."""
        name_cls = type(self).__name__
        if len(shape) < 2:
            raise MXNetValueError(
                f"{name_cls} initializer cannot be applied to vector {name} of shape "
                f"{tuple(shape)}: it needs at least 2 dimensions (output, input, ...); give "
                "this parameter another initializer"
            )
        receptive_field = math.prod(shape[2:])
        fan_in, fan_out = shape[1] * receptive_field, shape[0] * receptive_field
        if self.factor_type == "avg":
            factor = (fan_in + fan_out) / 2.0
        elif self.factor_type == "in":
            factor = fan_in
        elif self.factor_type == "out":
            factor = fan_out
        else:
            raise MXNetValueError(
                f"{name_cls}: factor_type must be one of {_FACTOR_TYPES}, got "
                f"{self.factor_type!r} (initializing {name!r})"
            )
        return math.sqrt(self.magnitude / factor) if factor else math.inf

    def _init_weight(self, name, arr):
        scale = self._scale(name, arr.shape)
        if self.rnd_type not in _XAVIER_RANDOM_TYPES:
            raise MXNetValueError(
                f"{type(self).__name__}: rnd_type must be one of {_XAVIER_RANDOM_TYPES}, got "
                f"{self.rnd_type!r} (initializing {name!r})"
            )
        if arr.size == 0:
            return
        if self.rnd_type == "uniform":
            _random.uniform(-scale, scale, shape=arr.shape, ctx=arr.context, out=arr)
        else:
            _random.normal(0, scale, shape=arr.shape, ctx=arr.context, out=arr)


@register
class MSRAPrelu(Xavier):
    """Fill weights for (P)ReLU networks (He et al., 2015, arXiv:1502.01852).

    A Gaussian Xavier with ``magnitude = 2 / (1 + slope ** 2)``.

    Parameters
    ----------
    factor_type : {'avg', 'in', 'out'}, default 'avg'
    slope : float, default 0.25
        The initial slope of the PReLU units (0 for ReLU).

    >>> mx.init.MSRAPrelu().dumps()
    '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'
    """

    def __init__(self, factor_type="avg", slope=0.25):
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope**2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Bilinear(Initializer):
    """Fill a 4-D weight with the bilinear interpolation kernel, for upsampling layers.

    >>> w = mx.nd.zeros((1, 1, 4, 4))
    >>> mx.init.Bilinear()(mx.init.InitDesc("up_weight"), w)
    >>> w.asnumpy()[0, 0, 0]
    array([0.0625, 0.1875, 0.1875, 0.0625], dtype=float32)
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, name, arr):
        if arr.ndim != 4:
            raise MXNetValueError(
                f"Bilinear: {name!r} needs a 4-D weight (out, in, height, width), got shape "
                f"{tuple(arr.shape)}"
            )
        arr[:] = bilinear_weights(arr.shape)
