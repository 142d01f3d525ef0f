"""``mx.test_utils.check_numeric_gradient``: an operator's registered gradient, or autograd's
gradient of a Python function, against central differences computed in float64."""

from __future__ import annotations

import inspect

import numpy as np

from . import autograd
from . import ndarray as nd
from .base import MXNetNotImplementedError, MXNetTypeError, MXNetValueError
from .ndarray import NDArray
from .ops.gradient import input_gradients
from .ops.invoke import invoke_all, invoke_nd
from .ops.registry import Op, lookup
from .test_utils import (
    _INTEGER_KINDS,
    _as_numpy,
    assert_almost_equal,
    default_atols,
    default_context,
)

__all__ = ["check_numeric_gradient"]

# Inputs with more elements than this are checked along one random direction: element-wise
# central differences would cost two forward passes per element.
_ELEMENTWISE_LIMIT = 512


def check_numeric_gradient(
    sym,
    location,
    aux_states=None,
    numeric_eps=1e-3,
    rtol=1e-2,
    atol=None,
    grad_nodes=None,
    use_forward_train=True,
    ctx=None,
    grad_stype_dict=None,
    dtype=np.float32,
) -> None:
    """Check the gradient of an operator or a Python function against central differences
    computed in float64.

    For an operator, its registered gradient (``neomx.ops.gradient.input_gradients``) is
    checked; a Python function of NDArrays is differentiated by autograd. The gradient is
    evaluated in ``dtype`` for a random head gradient ``h``; the numeric one differentiates
    ``sum(h * f(*location))`` over all outputs. Inputs with more than 512 elements in all are
    compared along one random direction instead of element by element. Integer inputs
    (indices) are held fixed.

    Parameters
    ----------
    sym : str, Op, (str or Op, dict) or callable
        The operator, by name or as an ``Op``, optionally with its parameters; or a function
        taking NDArrays (positionally, or by name when ``location`` is a dict) and returning
        an NDArray or a list of them.
    location : list or dict of array-like
        The input values, in ``op.arguments`` order or by name.
    numeric_eps : float
        The finite-difference step.
    rtol, atol : float, optional
        Tolerances of the comparison (``atol`` defaults to ``dtype``'s default).
    grad_nodes : list of str or dict of str -> str, optional
        The inputs to check (a dict maps names to grad_req; 'null' skips); default: all
        floating inputs. A function's inputs are named by its parameters.
    use_forward_train : bool
        Whether everything runs in training mode (Dropout drops); else in predict mode.
    ctx : Context, optional
        Where to run; default ``default_context()``.
    dtype : numpy dtype
        The dtype in which the gradient is evaluated.

    >>> check_numeric_gradient(('broadcast_mul', {}), [np.ones((2, 3)), np.ones((1, 3))])
    >>> check_numeric_gradient(lambda x, y: mx.nd.exp(x) * y, [np.ones(3), np.ones(3)])
    """
    # TODO(neomx): accept Symbols (issue: symbol).
    if grad_stype_dict and any(s != "default" for s in grad_stype_dict.values()):
        raise MXNetNotImplementedError("check_numeric_gradient: sparse gradients are not supported")
    if _is_function(sym):
        label = getattr(sym, "__name__", type(sym).__name__)
        names = _function_arguments(sym, location)
        op = p = None
        call = _function_call(sym, names, isinstance(location, dict))
    else:
        op, p = _resolve_op(sym, location)
        label, names = op.name, op.arguments(p)

        call = lambda inputs: invoke_nd(op, inputs, p)

    if aux_states is not None:
        raise MXNetNotImplementedError(
            f"check_numeric_gradient: {label}: auxiliary states are not supported yet"
        )
    values = _location_values(label, names, location)
    checked = _checked_inputs(label, names, values, grad_nodes)
    ctx = ctx or default_context()
    dtype = np.dtype(dtype)
    atol = default_atols().get(dtype, 1e-20) if atol is None else atol

    def forward(arrays):
        return [out.asnumpy() for out in _outputs(label, call(_to_nd(arrays, ctx)))]

    wide = [v.astype(np.float64) if v.dtype.kind not in _INTEGER_KINDS else v for v in values]
    cast = [v.astype(dtype) if v.dtype.kind not in _INTEGER_KINDS else v for v in values]
    with autograd.train_mode() if use_forward_train else autograd.predict_mode():
        heads = [np.random.normal(size=out.shape) for out in forward(wide)]
        if op is None:
            analytic = _autograd_gradients(label, call, _to_nd(cast, ctx), checked, heads)
        else:
            analytic = _registry_gradients(op, p, _to_nd(cast, ctx), heads)

        def objective(arrays):
            return sum(float(np.sum(h * out)) for h, out in zip(heads, forward(arrays)))

        _compare(objective, wide, analytic, names, checked, numeric_eps, rtol, atol)


def _compare(objective, wide, analytic, names, checked, eps, rtol, atol):
    """Assert that ``analytic`` matches central differences of ``objective`` at ``wide``."""
    if sum(wide[i].size for i in checked) <= _ELEMENTWISE_LIMIT:
        for i in checked:
            numeric = _central_differences(objective, wide, i, eps)
            assert_almost_equal(
                numeric,
                analytic[i],
                rtol,
                atol,
                names=(f"NUMERICAL_{names[i]}", f"BACKWARD_{names[i]}"),
            )
        return
    directions = {i: np.random.normal(size=wide[i].shape) for i in checked}
    shifted = []
    for sign in (1.0, -1.0):
        moved = list(wide)
        for i, direction in directions.items():
            moved[i] = wide[i] + sign * eps * direction
        shifted.append(objective(moved))
    numeric = (shifted[0] - shifted[1]) / (2 * eps)
    backward = sum(float(np.sum(analytic[i] * d)) for i, d in directions.items())
    label = "_".join(names[i] for i in checked)
    assert_almost_equal(
        np.array([numeric]),
        np.array([backward]),
        rtol,
        atol,
        names=(f"NUMERICAL_direction_{label}", f"BACKWARD_direction_{label}"),
    )


def _is_function(sym) -> bool:
    return callable(sym) and not isinstance(sym, (str, tuple, Op))


def _function_arguments(function, location):
    """Names for a function's inputs: the dict's keys, else its positional parameters'
    names (``arg<i>`` beyond them, as for ``*args``)."""
    if isinstance(location, dict):
        return tuple(location)
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        parameters = ()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [q.name for q in parameters if q.kind in positional][: len(location)]
    return tuple(names + [f"arg{i}" for i in range(len(names), len(location))])


def _function_call(function, names, by_name):
    if by_name:
        return lambda inputs: function(**dict(zip(names, inputs)))
    return lambda inputs: function(*inputs)


def _outputs(label, result):
    """A function's or operator's result as a list of NDArrays."""
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    if not outputs or not all(isinstance(out, NDArray) for out in outputs):
        raise MXNetTypeError(
            f"check_numeric_gradient: {label} must return an NDArray or a list of NDArrays, "
            f"got {type(result).__name__}"
        )
    return outputs


def _to_nd(arrays, ctx):
    return [nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]


def _resolve_op(sym, location):
    """The operator and its parsed parameters."""
    params = {}
    if isinstance(sym, tuple) and len(sym) == 2 and isinstance(sym[1], dict):
        sym, params = sym
    if isinstance(sym, str):
        op = lookup(sym)
    elif isinstance(sym, Op):
        op = sym
    else:
        raise MXNetTypeError(
            f"check_numeric_gradient: expected an operator name, an Op, (op, params) or a "
            f"function of NDArrays, got {type(sym).__name__}"
        )
    params = dict(params)
    if op.variadic and "num_args" in op.params.names and "num_args" not in params:
        params["num_args"] = len(location)
    return op, op.params.parse(op.name, params)


def _location_values(op_name, names, location):
    if isinstance(location, dict):
        unknown = sorted(set(location) - set(names))
        missing = [n for n in names if n not in location]
        if unknown or missing:
            raise MXNetValueError(
                f"check_numeric_gradient: {op_name} takes inputs {list(names)}; "
                f"location is missing {missing} and has unknown {unknown}"
            )
        location = [location[n] for n in names]
    if len(location) != len(names):
        raise MXNetValueError(
            f"check_numeric_gradient: {op_name} takes {len(names)} input(s) {list(names)}, "
            f"location has {len(location)}"
        )
    return [np.array(_as_numpy(v)) for v in location]


def _checked_inputs(op_name, names, values, grad_nodes):
    if grad_nodes is None:
        wanted = [n for n, v in zip(names, values) if v.dtype.kind not in _INTEGER_KINDS]
    elif isinstance(grad_nodes, dict):
        wanted = [n for n, req in grad_nodes.items() if req != "null"]
    else:
        wanted = list(grad_nodes)
    for name in wanted:
        if name not in names:
            raise MXNetValueError(
                f"check_numeric_gradient: {op_name} has no input {name!r}; "
                f"its inputs are {list(names)}"
            )
    return [names.index(n) for n in wanted]


def _registry_gradients(op, p, inputs, heads):
    """Input gradients in float64 from the registry's gradient of ``op`` at ``inputs``."""
    # Hidden outputs (a dropout mask) get no head gradient but feed the gradient.
    outputs = invoke_all(op, inputs, p)
    dys = [nd.array(h, ctx=out.context, dtype=out.dtype) for h, out in zip(heads, outputs)]
    dys += [None] * (len(outputs) - len(dys))
    grads = input_gradients(op, p, inputs, outputs, dys, nd)
    # None means no gradient flows: the numeric gradient must be zero there.
    return [
        np.zeros(x.shape) if g is None else g.asnumpy().astype(np.float64)
        for x, g in zip(inputs, grads)
    ]


def _autograd_gradients(label, call, inputs, checked, heads):
    """Gradients in float64 of the checked inputs, recording ``call`` and running backward."""
    for i in checked:
        inputs[i].attach_grad()
    with autograd.record(train_mode=autograd.is_training()):
        outputs = _outputs(label, call(inputs))
    # An output that depends on no checked input is off the tape: its gradient is zero.
    recorded = [(out, h) for out, h in zip(outputs, heads) if out._ag is not None]
    if recorded:
        autograd.backward(
            [out for out, _ in recorded],
            [nd.array(h, ctx=out.context, dtype=out.dtype) for out, h in recorded],
        )
    return [
        x.grad.asnumpy().astype(np.float64) if i in checked else np.zeros(x.shape)
        for i, x in enumerate(inputs)
    ]


def _central_differences(objective, arrays, index, eps):
    """d objective / d arrays[index], element by element, in float64."""
    base = arrays[index]
    grad = np.zeros(base.shape)
    for position in np.ndindex(*base.shape):
        moved = list(arrays)
        values = []
        for sign in (1.0, -1.0):
            bumped = base.copy()
            bumped[position] += sign * eps
            moved[index] = bumped
            values.append(objective(moved))
        grad[position] = (values[0] - values[1]) / (2 * eps)
    return grad
