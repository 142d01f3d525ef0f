"""Build the Python front-end functions of an operator (``mx.nd.<name>``, ``mx.sym.<name>``).

``bind_arguments`` maps a call's arguments onto the operator's inputs, then its parameters in
declaration order (as MXNet's generated functions do) and validates the parameters; the
NDArray front end made here, and Symbol's in neomx.symbol, both use it.
"""

from __future__ import annotations

import sys
import types

from ..base import MXNetTypeError, _Null
from .invoke import invoke
from .registry import REGISTRY

__all__ = ["make_function", "bind_arguments", "default_params", "install_namespaces"]


def bind_arguments(op, public_name, args, kwargs):
    """Return ``(slots, p, given)`` for a call of ``op``'s front end.

    ``slots`` pairs each input the parameters ``p`` want with its value (None when not
    given); ``given`` holds the explicitly passed parameter values. ``kwargs`` is consumed.
    """
    param_names = op.params.names
    if op.variadic:
        inputs = list(args)
        if "num_args" in param_names and "num_args" not in kwargs:
            kwargs["num_args"] = len(inputs)
    else:
        input_names = op.inputs
        n_inputs = len(input_names)
        if len(args) > n_inputs + len(param_names):
            raise MXNetTypeError(
                f"{public_name}: takes at most {n_inputs + len(param_names)} positional "
                f"arguments ({len(args)} given)"
            )
        inputs = list(args[:n_inputs])
        for key, value in zip(param_names, args[n_inputs:]):
            if key in kwargs:
                raise MXNetTypeError(f"{public_name}: got multiple values for '{key}'")
            kwargs[key] = value
        for index, key in enumerate(input_names):
            if key in kwargs:
                while len(inputs) <= index:
                    inputs.append(None)
                inputs[index] = kwargs.pop(key)
    given = {k: v for k, v in kwargs.items() if v is not _Null}
    p = op.params.parse(op.name, given) if given else default_params(op)
    if op.variadic:
        return [(f"arg{i}", value) for i, value in enumerate(inputs)], p, given
    # As MXNet's generated functions do, the given values fill the wanted inputs in order:
    # Gluon passes RNN(data, parameters, state, sequence_length) positionally for a GRU, the
    # lengths landing in the slot of the (unused) state_cell.
    wanted = op.arguments(p)
    values = [v for v in inputs if v is not None]
    slots = list(zip(wanted, values + [None] * (len(wanted) - len(values))))
    if len(values) > len(wanted):
        slots += [(None, v) for v in values[len(wanted) :]]
    return slots, p, given


def default_params(op):
    """The parameters of a call that gives none (parsed once per operator)."""
    cached = op.__dict__.get("_default_params")
    if cached is None:
        cached = op.params.parse(op.name, {})
        op._default_params = cached
    return cached


def make_function(op, public_name: str):
    """Return the NDArray front-end closure of ``op`` with a real signature and docstring."""
    n_inputs = len(op.inputs)
    fast_p = None if _has_required(op) or op.variadic else default_params(op)

    def function(*args, out=None, name=None, **kwargs):
        if not kwargs and len(args) == n_inputs and fast_p is not None:
            return invoke(op, args, fast_p, {}, out, name)
        slots, p, given = bind_arguments(op, public_name, args, kwargs)
        arrays = []
        for key, value in slots:
            if value is None:
                raise MXNetTypeError(f"{public_name}: input '{key}' is required")
            arrays.append(value)
        return invoke(op, arrays, p, given, out, name)

    function.__name__ = public_name
    function.__qualname__ = public_name
    function.__doc__ = op.docstring()
    function.__signature__ = op.signature()
    return function


def _has_required(op) -> bool:
    from .params import REQUIRED

    return any(spec.default is REQUIRED for spec in op.params.fields.values())


# MXNet files operators under a namespace by a name prefix: _contrib_X is mx.nd.contrib.X.
NAMESPACE_PREFIXES = {"_contrib_": "contrib", "_linalg_": "linalg", "_image_": "image"}


def install_namespaces(package, make, module_globals, make_short=None):
    """Fill ``package`` (mx.nd or mx.sym) with a front end per registered operator name.

    Creates the submodules ``_internal`` (every name), ``op`` (public names) and one per
    prefix in ``NAMESPACE_PREFIXES``, and sets every name in ``module_globals`` unless the
    package defines it itself (gradient definitions call every operator as ``F.<name>``).
    ``make(op, name)`` builds a front end; ``make_short(op, name, short)``, when given, builds
    the one a prefixed namespace holds under its short name. Returns {submodule name: module}.
    """
    modules = {
        "_internal": "Every operator, underscore names included.",
        "op": f"The public operators of {package}.",
        **{
            name: f"Operators registered as {prefix}*."
            for prefix, name in NAMESPACE_PREFIXES.items()
        },
    }
    modules = {name: types.ModuleType(f"{package}.{name}", doc) for name, doc in modules.items()}
    for module in modules.values():
        sys.modules[module.__name__] = module
    for op_name, definition in REGISTRY.items():
        function = make(definition, op_name)
        setattr(modules["_internal"], op_name, function)
        prefix = next((pre for pre in NAMESPACE_PREFIXES if op_name.startswith(pre)), None)
        if prefix is not None:
            short = op_name[len(prefix) :]
            front = function if make_short is None else make_short(definition, op_name, short)
            setattr(modules[NAMESPACE_PREFIXES[prefix]], short, front)
        elif not op_name.startswith("_"):
            setattr(modules["op"], op_name, function)
        module_globals.setdefault(op_name, function)
    return modules
