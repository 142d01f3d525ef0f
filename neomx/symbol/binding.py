"""``Symbol.bind``, ``simple_bind`` and ``eval``: from a Symbol and arrays to an Executor.

This module checks and orders what the caller gives (lists in ``list_arguments`` order or
dicts by name, as MXNet 1.9.1 accepts them) and allocates what ``simple_bind`` infers; the
Executor (neomx.symbol.executor) does the rest.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetError, MXNetTypeError, MXNetValueError, dtype_np
from ..context import Context, current_context
from ..graph.infer import infer_shapes, infer_types
from ..graph.node import variables
from ..ndarray.ndarray import NDArray
from .executor import Executor
from .symbol import Symbol

__all__ = ["bind", "simple_bind", "evaluate", "reshape_arrays", "attach_executor_methods"]

_REQS = {"null": 0, "write": 1, "add": 3}


def _ordered(what, names, values, allow_none):
    """``values`` (list or dict by name) as a list in ``names`` order."""
    if isinstance(values, (list, tuple)):
        if len(values) != len(names):
            raise MXNetValueError(f"Length of {what} does not match the number of arguments")
        ordered = list(values)
    elif isinstance(values, dict):
        ordered = []
        for name in names:
            if name not in values and not allow_none:
                raise MXNetValueError(f"key `{name}` is missing in `{what}`")
            ordered.append(values.get(name))
    else:
        raise MXNetTypeError("Only accept list of NDArrays or dict of str to NDArray")
    for value in ordered:
        if not (isinstance(value, NDArray) or allow_none and value is None):
            raise MXNetTypeError("Only accept list of NDArrays or dict of str to NDArray")
    return ordered


def _requests(grad_req, names):
    if isinstance(grad_req, str):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise MXNetValueError("grad_req: the list must have one entry per argument")
        reqs = list(grad_req)
    elif isinstance(grad_req, dict):
        reqs = [grad_req.get(name, "null") for name in names]
    else:
        raise MXNetTypeError("grad_req must be a str, a list or a dict")
    for req in reqs:
        if req not in _REQS:
            raise MXNetValueError(f"grad_req must be in {_REQS}")
    return reqs


def bind(
    symbol,
    ctx,
    args,
    args_grad=None,
    grad_req="write",
    aux_states=None,
    group2ctx=None,
    shared_exec=None,
):
    """Bind the Symbol to ``ctx`` and the given arrays; return an Executor.

    ``args`` (and ``args_grad``, ``aux_states``) are lists in ``list_arguments`` order or
    dicts by name. ``grad_req`` ('write', 'add' or 'null'; one, a list or a dict) says how
    ``backward`` stores each gradient; arguments without a gradient array get none.

    >>> x = mx.sym.var('x')
    >>> ex = (2 * x).bind(mx.cpu(), {'x': mx.nd.ones(2)}, args_grad={'x': mx.nd.zeros(2)})
    >>> _ = ex.forward(is_train=True)
    >>> ex.backward(mx.nd.ones(2)); ex.grad_dict['x'].asnumpy()
    array([2., 2.], dtype=float32)
    """
    if not isinstance(ctx, Context):
        raise MXNetTypeError("bind: ctx must be a Context")
    names = symbol.list_arguments()
    aux_names = symbol.list_auxiliary_states()
    arg_arrays = _ordered("args", names, args, False)
    if args_grad is None:
        grad_arrays = [None] * len(names)
    else:
        grad_arrays = _ordered("args_grad", names, args_grad, True)
    reqs = _requests(grad_req, names)
    reqs = [req if grad is not None else "null" for req, grad in zip(reqs, grad_arrays)]
    aux_arrays = _ordered("aux_states", aux_names, aux_states or [], False)
    return Executor(symbol, ctx, arg_arrays, grad_arrays, reqs, aux_arrays, group2ctx)


def simple_bind(
    symbol,
    ctx,
    grad_req="write",
    type_dict=None,
    stype_dict=None,
    group2ctx=None,
    shared_arg_names=None,
    shared_exec=None,
    shared_buffer=None,
    **kwargs,
):
    """Bind the Symbol after inferring every array from the input shapes in ``kwargs``;
    arguments, gradients and auxiliary states are allocated as zeros.

    ``type_dict`` gives dtypes by name (float32 otherwise). ``shared_exec`` with
    ``shared_arg_names`` reuses those arguments (and gradients) of another executor;
    ``shared_buffer`` ({name: NDArray}) lends arrays to arguments of the same shape and
    dtype and receives the ones allocated here (Module shares data arrays that way).

    >>> ex = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=3).simple_bind(mx.cpu(), x=(2, 4))
    >>> [a.shape for a in ex.arg_arrays]
    [(2, 4), (3, 4), (3,)]
    """
    if not isinstance(ctx, Context):
        raise MXNetTypeError("simple_bind: ctx must be a Context")
    for name, value in (stype_dict or {}).items():
        if value not in ("default", None):
            raise MXNetValueError(f"simple_bind: stype {value!r} of {name!r} is not supported")
    nodes = symbol._nodes()
    arg_nodes, aux_nodes = variables(nodes)
    by_name = {node.name: node for node in arg_nodes + aux_nodes}
    given_shapes, given_types = {}, {}
    for name, shape in kwargs.items():
        if name not in by_name:
            raise MXNetValueError(
                f"simple_bind: {name!r} is not an input of the Symbol; inputs are {list(by_name)}"
            )
        given_shapes[by_name[name]] = (shape,) if isinstance(shape, int) else tuple(shape)
    if type_dict is None:
        type_dict = {node.name: np.float32 for node in arg_nodes if "__dtype__" not in node.attrs}
    for name, dtype in type_dict.items():
        if name in by_name:
            given_types[by_name[name]] = dtype_np(dtype, where="simple_bind")
    shapes = infer_shapes(nodes, given_shapes)
    dtypes = infer_types(nodes, given_types)
    unknown = [
        f"{node.name}: {shapes.get((node, 0))}"
        for node in arg_nodes + aux_nodes
        if shapes.get((node, 0)) is None or 0 in shapes[(node, 0)] and node not in given_shapes
    ]
    if unknown:
        raise MXNetError(
            "simple_bind error. InferShape pass cannot decide shapes for the following "
            "arguments (0 means unknown dimensions). Please consider providing them as inputs:"
            f"\n{', '.join(unknown)}"
        )
    names = [node.name for node in arg_nodes]
    reqs = _requests(grad_req, names)
    shared = set(shared_arg_names or ()) if shared_exec is not None else set()

    def make(node, lend=None):
        shape, dtype = shapes[(node, 0)], dtypes.get((node, 0)) or np.dtype(np.float32)
        if lend is not None and node.name in lend:
            found = lend[node.name]
            if found.shape == shape and found._data.dtype == dtype:
                return found
        where = _variable_context(node, ctx, group2ctx)
        array = NDArray._wrap(where.xp.zeros(shape, dtype), where)
        if lend is shared_buffer and shared_buffer is not None:
            shared_buffer[node.name] = array
        return array

    arg_arrays, grad_arrays = [], []
    for node, req in zip(arg_nodes, reqs):
        if node.name in shared:
            arg_arrays.append(make(node, shared_exec.arg_dict))
        else:
            arg_arrays.append(make(node, shared_buffer))
        if req == "null":
            grad_arrays.append(None)
        elif node.name in shared and shared_exec.grad_dict.get(node.name) is not None:
            grad_arrays.append(make(node, shared_exec.grad_dict))
        else:
            grad_arrays.append(make(node))
    aux_arrays = [
        make(node, shared_exec.aux_dict if shared_exec is not None else None) for node in aux_nodes
    ]
    return Executor(symbol, ctx, arg_arrays, grad_arrays, reqs, aux_arrays, group2ctx)


def _variable_context(node, ctx, group2ctx):
    """Where ``simple_bind`` allocates a variable: its ctx_group's device, else ``ctx``."""
    group = node.attrs.get("__ctx_group__")
    if group is not None and group2ctx and group in group2ctx:
        return group2ctx[group]
    return ctx


def evaluate(symbol, ctx=None, **kwargs):
    """Bind to ``ctx`` (default: the current context) with ``kwargs`` as the arguments, run
    forward and return the outputs as a list.

    >>> x = mx.sym.var('x')
    >>> (x + 1).eval(x=mx.nd.ones(2))[0].asnumpy()
    array([2., 2.], dtype=float32)
    """
    ctx = current_context() if ctx is None else ctx
    return bind(symbol, ctx, kwargs).forward()


def _resized(old, shape, name, allow_up_sizing, kind):
    """``old`` viewed as ``shape`` when it holds enough elements, else a new array."""
    size = int(np.prod(shape, dtype=np.int64))
    if size > old.size:
        if not allow_up_sizing:
            raise MXNetValueError(
                f"New shape of {kind}: {name} is larger than original. First making a big "
                "executor and then down sizing it is more efficient than the reverse. If you "
                "really want to up size, set allow_up_sizing=True to enable allocation of new "
                "arrays."
            )
        return NDArray._wrap(old.context.xp.zeros(shape, old._data.dtype), old.context)
    return old._view(old._data.reshape(-1)[:size].reshape(shape))


def reshape_arrays(executor, partial_shaping, allow_up_sizing, kwargs):
    """The argument, gradient and auxiliary arrays of ``executor`` for new shapes."""
    symbol = executor._symbol
    nodes = symbol._nodes()
    arg_nodes, aux_nodes = variables(nodes)
    given = {}
    for node in arg_nodes + aux_nodes:
        if node.name in kwargs:
            shape = kwargs[node.name]
            given[node] = (shape,) if isinstance(shape, int) else tuple(shape)
    shapes = infer_shapes(nodes, given)
    args, grads, aux = [], [], []
    for node, old, grad in zip(arg_nodes, executor.arg_arrays, executor.grad_arrays):
        shape = shapes.get((node, 0))
        if shape == old.shape:
            args.append(old)
            grads.append(grad)
            continue
        if not partial_shaping and node not in given:
            raise MXNetValueError(
                f"Shape of unspecified arg: {node.name} changed. This can cause the new "
                "executor to not share parameters with the old one. Please check for error "
                "in network. If this is intended, set partial_shaping=True to suppress this "
                "warning."
            )
        if shape is None or 0 in shape:
            raise MXNetError(f"reshape: cannot infer the shape of {node.name}")
        args.append(_resized(old, shape, node.name, allow_up_sizing, "arg"))
        grads.append(
            None if grad is None else _resized(grad, shape, node.name, allow_up_sizing, "arg")
        )
    for node, old in zip(aux_nodes, executor.aux_arrays):
        shape = shapes.get((node, 0))
        if shape == old.shape:
            aux.append(old)
            continue
        if not partial_shaping and node not in given:
            raise MXNetValueError(
                f"Shape of unspecified aux: {node.name} changed; set partial_shaping=True if "
                "this is intended"
            )
        if shape is None or 0 in shape:
            raise MXNetError(f"reshape: cannot infer the shape of {node.name}")
        aux.append(_resized(old, shape, node.name, allow_up_sizing, "aux"))
    return args, grads, aux


def attach_executor_methods():
    """Give Symbol its ``bind``, ``simple_bind`` and ``eval`` methods."""

    def bind_method(
        self,
        ctx,
        args,
        args_grad=None,
        grad_req="write",
        aux_states=None,
        group2ctx=None,
        shared_exec=None,
    ):
        return bind(self, ctx, args, args_grad, grad_req, aux_states, group2ctx, shared_exec)

    def simple_bind_method(
        self,
        ctx,
        grad_req="write",
        type_dict=None,
        stype_dict=None,
        group2ctx=None,
        shared_arg_names=None,
        shared_exec=None,
        shared_buffer=None,
        **kwargs,
    ):
        return simple_bind(
            self,
            ctx,
            grad_req,
            type_dict,
            stype_dict,
            group2ctx,
            shared_arg_names,
            shared_exec,
            shared_buffer,
            **kwargs,
        )

    def eval_method(self, ctx=None, **kwargs):
        return evaluate(self, ctx, **kwargs)

    for name, method, source in (
        ("bind", bind_method, bind),
        ("simple_bind", simple_bind_method, simple_bind),
        ("eval", eval_method, evaluate),
    ):
        method.__name__ = method.__qualname__ = name
        method.__doc__ = source.__doc__
        setattr(Symbol, name, method)
