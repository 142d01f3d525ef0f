"""``mx.operator``: operators written in Python (MXNet 1.9.1's custom-operator API).

Subclass :class:`CustomOp` (``forward``/``backward`` on NDArrays) and :class:`CustomOpProp`
(argument names, shape and type inference, ``create_operator``), register the property class
with ``@mx.operator.register("name")``, and call it with ``mx.nd.Custom(*inputs,
op_type="name", **params)``. Parameters reach the property's constructor as strings, as in MXNet.
Under ``autograd.record()`` the call is recorded like any operator and ``backward`` is called
for the gradient. ``mx.sym.Custom`` (custom operators inside a Symbol graph) is not implemented.

Examples
--------
>>> @mx.operator.register("twice")
... class TwiceProp(mx.operator.CustomOpProp):
...     def create_operator(self, ctx, in_shapes, in_dtypes):
...         return Twice()
>>> class Twice(mx.operator.CustomOp):
...     def forward(self, is_train, req, in_data, out_data, aux):
...         self.assign(out_data[0], req[0], in_data[0] * 2)
...     def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
...         self.assign(in_grad[0], req[0], out_grad[0] * 2)
>>> mx.nd.Custom(mx.nd.array([1, 2]), op_type="twice").asnumpy()
array([2., 4.], dtype=float32)
"""

from __future__ import annotations

from . import autograd
from .autograd_function import Function
from .base import MXNetError, MXNetNotImplementedError, MXNetTypeError, MXNetValueError

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators", "Custom"]

_REGISTRY: dict = {}


class CustomOp:
    """The computation of a custom operator: override ``forward`` and ``backward``."""

    def forward(self, is_train, req, in_data, out_data, aux):
        """Write the outputs into ``out_data`` (use :meth:`assign` with ``req``)."""
        raise NotImplementedError

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Write the input gradients into ``in_grad`` (use :meth:`assign` with ``req``)."""
        raise NotImplementedError

    def assign(self, dst, req, src):
        """Store ``src`` into ``dst`` as ``req`` asks: 'null', 'write', 'inplace' or 'add'."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] = dst + src
        else:
            raise MXNetValueError(f"CustomOp.assign: unknown req {req!r}")


class CustomOpProp:
    """The description of a custom operator: names, inference and ``create_operator``.

    ``need_top_grad`` says whether ``backward`` needs the gradients of the outputs.
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def list_arguments(self):
        return ["data"]

    def list_outputs(self):
        return ["output"]

    def list_auxiliary_states(self):
        return []

    def infer_shape(self, in_shape):
        """Return (input shapes, output shapes, aux shapes); default: outputs like input 0."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """Return (input types, output types, aux types); default: all like input 0."""
        return (
            in_type,
            [in_type[0]] * len(self.list_outputs()),
            [in_type[0]] * len(self.list_auxiliary_states()),
        )

    def infer_storage_type(self, in_stype):
        return (
            in_stype,
            ["default"] * len(self.list_outputs()),
            ["default"] * len(self.list_auxiliary_states()),
        )

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """Return the :class:`CustomOp` that computes this operator."""
        raise NotImplementedError


def register(reg_name):
    """Register a :class:`CustomOpProp` subclass as the custom operator ``reg_name``."""

    def decorator(prop_cls):
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise MXNetTypeError(
                f"operator.register('{reg_name}'): expected a CustomOpProp subclass"
            )
        _REGISTRY[reg_name] = prop_cls
        return prop_cls

    return decorator


def get_all_registered_operators():
    """Return the names of the registered custom operators."""
    return sorted(_REGISTRY)


class _CustomCall(Function):
    """One call of a custom operator, recorded on the autograd tape like an operator."""

    def __init__(self, op_type, op, out_shapes, out_types, aux):
        super().__init__()
        self.op_type = op_type
        self.op = op
        self.out_shapes = out_shapes
        self.out_types = out_types
        self.aux = aux

    def forward(self, *inputs):
        from . import ndarray as nd

        ctx = inputs[0].context if inputs else None
        outs = [
            nd.zeros(tuple(shape), ctx=ctx, dtype=dtype)
            for shape, dtype in zip(self.out_shapes, self.out_types)
        ]
        self.op.forward(autograd.is_training(), ["write"] * len(outs), list(inputs), outs, self.aux)
        self.inputs, self.outputs = list(inputs), outs
        return outs[0] if len(outs) == 1 else tuple(outs)

    def backward(self, *out_grads):
        from . import ndarray as nd

        in_grads = [nd.zeros_like(x) for x in self.inputs]
        self.op.backward(
            ["write"] * len(in_grads),
            list(out_grads),
            self.inputs,
            self.outputs,
            in_grads,
            self.aux,
        )
        return in_grads[0] if len(in_grads) == 1 else tuple(in_grads)


def Custom(*data, op_type=None, name=None, out=None, **kwargs):  # noqa: N802 - MXNet's name
    """Apply the registered custom operator ``op_type`` to the NDArrays ``data``.

    The first ``len(list_arguments())`` arrays are the inputs, the rest the auxiliary states.
    """
    from .ndarray import NDArray

    if op_type not in _REGISTRY:
        raise MXNetValueError(
            f"Custom: op_type {op_type!r} is not registered; "
            f"registered: {get_all_registered_operators()}"
        )
    for i, x in enumerate(data):
        if not isinstance(x, NDArray):
            raise MXNetTypeError(
                f"Custom '{op_type}': input {i} must be an NDArray, got {type(x).__name__}"
            )
    prop = _REGISTRY[op_type](**{k: str(v) for k, v in kwargs.items()})
    n_args = len(prop.list_arguments())
    if len(data) != n_args + len(prop.list_auxiliary_states()):
        raise MXNetValueError(
            f"Custom '{op_type}': {len(data)} inputs given; expected arguments "
            f"{prop.list_arguments()} and auxiliary states {prop.list_auxiliary_states()}"
        )
    inputs, aux = list(data[:n_args]), list(data[n_args:])
    in_shapes = [list(x.shape) for x in inputs]
    shapes = prop.infer_shape(in_shapes)
    types = prop.infer_type([x.dtype for x in inputs])
    out_shapes, out_types = shapes[1], types[1]
    if len(out_shapes) != len(prop.list_outputs()):
        raise MXNetError(
            f"Custom '{op_type}': infer_shape gave {len(out_shapes)} output shapes for outputs "
            f"{prop.list_outputs()}"
        )
    ctx = inputs[0].context if inputs else None
    op = prop.create_operator(ctx, [tuple(s) for s in in_shapes], [x.dtype for x in inputs])
    result = _CustomCall(op_type, op, out_shapes, out_types, aux)(*inputs)
    if out is not None:
        out[:] = result
        return out
    return result


def _symbol_custom(*args, **kwargs):
    raise MXNetNotImplementedError(
        "sym.Custom: custom Python operators inside a Symbol graph are not implemented in neomx; "
        "call mx.nd.Custom imperatively (Gluon blocks can do so without hybridize())"
    )
