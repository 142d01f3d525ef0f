"""Build the Python front-end function of an operator (``mx.nd.<name>``, later ``mx.sym.<name>``).

The function binds positional arguments to the inputs, then to the parameters in declaration
order (as MXNet's generated functions do), validates the parameters and calls ``invoke``.
"""

from __future__ import annotations

from ..base import MXNetTypeError, _Null
from .invoke import invoke

__all__ = ["make_function"]


def make_function(op, public_name: str):
    """Return the front-end closure of ``op`` with a real signature and docstring."""
    input_names = op.inputs
    param_names = op.params.names
    n_inputs = len(input_names)
    params = op.params
    variadic = op.variadic
    default_p = None if _has_required(op) else params.default(op.name)

    def function(*args, out=None, name=None, **kwargs):
        if not kwargs and len(args) == n_inputs and default_p is not None and not variadic:
            return invoke(op, args, default_p, {}, out, name)
        if variadic:
            inputs = list(args)
            if "num_args" in param_names and "num_args" not in kwargs:
                kwargs["num_args"] = len(inputs)
        else:
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
            if kwargs:
                for index, key in enumerate(input_names):
                    if key in kwargs:
                        while len(inputs) <= index:
                            inputs.append(None)
                        inputs[index] = kwargs.pop(key)
        if kwargs:
            given = {k: v for k, v in kwargs.items() if v is not _Null}
            p = params.parse(op.name, given)
        else:
            given = {}
            p = default_p if default_p is not None else params.parse(op.name, given)
        if variadic:
            arrays = inputs
        else:
            # As MXNet's generated functions do, the given arrays fill the wanted inputs in
            # order: Gluon passes RNN(data, parameters, state, sequence_length) positionally
            # for a GRU, the lengths landing in the slot of the (unused) state_cell.
            wanted = op.arguments(p)
            arrays = []
            missing = []
            for key, value in zip(input_names, inputs + [None] * (n_inputs - len(inputs))):
                if value is None:
                    if key in wanted:
                        missing.append(key)
                    continue
                arrays.append(value)
            if len(arrays) < len(wanted):
                raise MXNetTypeError(f"{public_name}: input '{missing[0]}' is required")
        return invoke(op, arrays, p, given, out, name)

    function.__name__ = public_name
    function.__qualname__ = public_name
    function.__doc__ = op.docstring()
    function.__signature__ = op.signature()
    return function


def _has_required(op) -> bool:
    from .params import REQUIRED

    return any(spec.default is REQUIRED for spec in op.params.fields.values())
