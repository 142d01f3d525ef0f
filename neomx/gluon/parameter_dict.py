"""``ParameterDict``: the Parameters of a Block by full name, with prefix, sharing,
initialisation and save/load."""

from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np

from .. import initializer as _init
from .. import ndarray as nd
from ..base import MXNetValueError
from ..ndarray.ndarray import NDArray
from .parameter import Constant, Parameter, _brief, _indent, _MissingKeyError

__all__ = ["ParameterDict"]


class ParameterDict:
    """Parameters by full name; ``get`` makes (or finds) one under this dict's prefix.

    >>> params = mx.gluon.ParameterDict('net_')
    >>> params.get('weight', shape=(2, 2)).name
    'net_weight'
    """

    def __init__(self, prefix="", shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join(_indent(f"  {value}", 2) for value in self.values())
        return f"{name}(\n{content}\n)"

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        """The prefix put before the names ``get`` is given."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """Return the Parameter ``prefix + name``, creating it with ``kwargs`` if new.

        An existing Parameter (also one found in the shared dict) must agree with
        ``kwargs``; unknown (0) dimensions of a shape are filled from the other side.
        """
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for key, value in kwargs.items():
            existing = getattr(param, key, None)
            if existing is None:
                setattr(param, key, value)
                continue
            if key == "shape" and value is not None:
                value = (value,) if isinstance(value, int) else tuple(value)
                if len(value) == len(existing) and all(
                    a == b or a <= 0 or b <= 0 for a, b in zip(value, existing)
                ):
                    param._shape = tuple(b if a <= 0 else a for a, b in zip(value, existing))
                    continue
            elif key == "dtype" and np.dtype(value) == np.dtype(existing):
                continue
            if value is not None and value != existing:
                raise MXNetValueError(
                    f"Cannot retrieve Parameter '{name}' because desired attribute does not "
                    f"match with stored for attribute '{key}': desired '{value}' vs stored "
                    f"'{existing}'."
                )
        return param

    def get_constant(self, name, value=None):
        """Return the Constant ``prefix + name``, creating it from ``value`` if new."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise _MissingKeyError(
                    f"No constant named '{name}'. Please specify value if you want to create "
                    "a new constant."
                )
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise MXNetValueError(
                    f"Parameter '{name}' already exists but it is not a constant."
                )
            if isinstance(value, NDArray):
                value = value.asnumpy()
            if param.shape != np.shape(value) or not (param.value.asnumpy() == value).all():
                raise MXNetValueError(
                    f"Constant '{name}' already exists but its value doesn't match new value"
                )
        return param

    def update(self, other):
        """Add the Parameters of ``other``; a name may not stand for two Parameters."""
        for key, value in other.items():
            if key in self._params:
                if self._params[key] is not value:
                    raise MXNetValueError(
                        "Cannot update self with other because they have different Parameters "
                        f"with the same name '{key}'"
                    )
            else:
                self._params[key] = value

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialize every Parameter (``init``: the default initializer, Uniform)."""
        if init is None:
            init = _init.Uniform()
        if verbose and hasattr(init, "set_verbosity"):
            init.set_verbosity(verbose=verbose)
        for param in self.values():
            param.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient to 0."""
        for param in self.values():
            param.zero_grad()

    def reset_ctx(self, ctx):
        """Move every Parameter to ``ctx``."""
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self):
        """Return the contexts any Parameter lives on."""
        found = []
        for param in self.values():
            for ctx in param.list_ctx():
                if ctx not in found:
                    found.append(ctx)
        return found

    def setattr(self, name, value):
        """Set attribute ``name`` (e.g. 'grad_req', 'lr_mult') of every Parameter."""
        for param in self.values():
            setattr(param, name, value)

    def select(self, pattern):
        """Return a ParameterDict of the Parameters whose names match the regex ``pattern``."""
        regex = re.compile(pattern)
        selected = ParameterDict(self._prefix)
        selected.update({k: v for k, v in self.items() if regex.match(k)})
        return selected

    def save(self, filename, strip_prefix=""):
        """Save the Parameters to ``filename`` by name, ``strip_prefix`` removed."""
        arrays = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise MXNetValueError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                    f"name '{param.name}' does not start with '{strip_prefix}'. This may be due "
                    "to your Block sharing parameters from other Blocks or you forgot to use "
                    "'with name_scope()' when creating child blocks."
                )
            arrays[param.name[len(strip_prefix) :]] = param._reduce()
        nd.save(filename, arrays)

    def load(
        self,
        filename,
        ctx=None,
        allow_missing=False,
        ignore_extra=False,
        restore_prefix="",
        cast_dtype=False,
        dtype_source="current",
    ):
        """Load Parameters saved by ``save`` (or ``export``: 'arg:'/'aux:' are stripped)."""
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise MXNetValueError(
                        f"restore_prefix is '{restore_prefix}' but Parameter's name '{name}' "
                        f"does not start with '{restore_prefix}'"
                    )
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise MXNetValueError(
                f"load: {filename} holds a list of arrays without names; parameters are saved "
                "as a dict"
            )
        self.load_dict(
            loaded,
            ctx,
            allow_missing,
            ignore_extra,
            restore_prefix,
            filename,
            cast_dtype,
            dtype_source,
        )

    def load_dict(
        self,
        param_dict,
        ctx=None,
        allow_missing=False,
        ignore_extra=False,
        restore_prefix="",
        filename=None,
        cast_dtype=False,
        dtype_source="current",
    ):
        """Load Parameters from a dict of name -> NDArray (as ``load`` does from a file)."""
        arrays = {}
        for key, value in param_dict.items():
            if key.startswith(("arg:", "aux:")):
                key = key[4:]
            arrays[restore_prefix + key] = value
        where = f"file: {filename}" if filename else "param_dict"
        if not allow_missing:
            for name in self.keys():
                if name not in arrays:
                    raise MXNetValueError(
                        f"Parameter '{name[len(restore_prefix) :]}' is missing in {where}, which "
                        f"contains parameters: {_brief(arrays)}. Please make sure source and "
                        "target networks have the same prefix, or set allow_missing=True."
                    )
        for name, value in arrays.items():
            if name not in self._params:
                if not ignore_extra:
                    raise MXNetValueError(
                        f"Parameter '{name[len(restore_prefix) :]}' loaded from {where} is not "
                        f"present in ParameterDict, choices are: {_brief(self.keys())}. Set "
                        "ignore_extra to True to ignore. Please make sure source and target "
                        "networks have the same prefix."
                    )
                continue
            self[name]._load_init(value, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)
