"""NDArray: a device array with a context and an engine variable; operators come from the
registry."""

from __future__ import annotations

import numbers

import numpy as np

from .. import engine as _engine
from ..base import MXNetTypeError, MXNetValueError, dtype_np
from ..context import Context, current_context
from ..ops.frontend import make_function
from ..ops.invoke import invoke_nd, set_array_type
from ..ops.registry import REGISTRY

__all__ = ["NDArray"]


def _op(name):
    return REGISTRY[name]


def _binary(array_name, scalar_name):
    """The method ``self (op) other``: NDArrays broadcast (as in MXNet), numbers are scalars.

    Without ``array_name`` (reflected methods) only numbers are accepted.
    """
    array_op = REGISTRY[array_name] if array_name else None
    scalar_op = REGISTRY[scalar_name]
    record = scalar_op.params.record

    def method(self, other):
        if array_op is not None and (type(other) is NDArray or isinstance(other, NDArray)):
            return invoke_nd(array_op, (self, other), ())
        if isinstance(other, (numbers.Number, np.generic)):
            return invoke_nd(scalar_op, (self,), record(float(other), isinstance(other, int)))
        return _unsupported(scalar_op, other)

    def in_place(self, other):
        if isinstance(other, NDArray):
            return invoke_nd(array_op, (self, other), (), self)
        if isinstance(other, (numbers.Number, np.generic)):
            return invoke_nd(
                scalar_op, (self,), record(float(other), isinstance(other, int)), self
            )
        return _unsupported(scalar_op, other)

    return method, in_place


_new = object.__new__


def _unsupported(op, other):
    if isinstance(other, np.ndarray):
        raise MXNetTypeError(
            f"{op.name}: cannot combine an NDArray with a numpy.ndarray; convert it first "
            "with mx.nd.array(...)"
        )
    return NotImplemented


class NDArray:
    """An n-dimensional array on a device (``mx.nd.NDArray``).

    >>> x = mx.nd.array([[1, 2]])
    >>> x * 2
    <BLANKLINE>
    [[2. 4.]]
    <NDArray 1x2 @cpu(0)>
    """

    # NOTE: a pooled buffer goes back to its pool only once no view of it is alive, which
    # storage.Pool checks when it hands buffers out (slots are released in name order).
    # _ag: the autograd tape entry (a Variable, or (node, output index)); _version: a
    # one-element list shared by views, bumped by in-place writes (autograd checks it).
    __slots__ = ("_data", "_ctx", "_var", "_chunk", "_ag", "_version", "__weakref__")
    # NumPy must not compute on NDArrays (MXNet raises TypeError for ndarray + NDArray).
    __array_ufunc__ = None

    def __init__(self, data, ctx: Context | None = None):
        if isinstance(data, NDArray):
            data = data.asnumpy()
        self._data = data
        self._ctx = ctx if ctx is not None else current_context()
        self._var = None
        self._chunk = None
        self._ag = None
        self._version = None

    @staticmethod
    def _wrap(data, ctx, chunk=None):
        """An NDArray around an existing device array (the constructor every operator uses)."""
        array = _new(NDArray)
        array._data = data
        array._ctx = ctx
        array._var = None
        array._chunk = chunk
        array._ag = None
        array._version = None
        return array

    def _view(self, data):
        """An NDArray sharing this array's storage (engine variable, version) through ``data``."""
        view = NDArray._wrap(data, self._ctx, self._chunk)
        view._var = self._engine_var()
        if self._version is None:
            self._version = [0]
        view._version = self._version
        return view

    def _engine_var(self):
        var = self._var
        if var is None:
            var = self._var = _engine.current.new_var()
        return var

    # ---- autograd -----------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype=None) -> None:
        """Give the array a gradient buffer (``.grad``) that ``backward`` fills.

        ``grad_req`` is ``'write'`` (overwrite), ``'add'`` (accumulate) or ``'null'``.
        """
        from ..autograd import mark_variables

        if stype not in (None, "default"):
            raise MXNetValueError(f"attach_grad: stype {stype!r} is not supported; use 'default'")
        grad = NDArray._wrap(self._ctx.xp.zeros_like(self._data), self._ctx)
        mark_variables([self], [grad], grad_req)

    @property
    def grad(self):
        """The gradient buffer attached by ``attach_grad``, or None."""
        from ..autograd import Variable

        return self._ag.grad if isinstance(self._ag, Variable) else None

    def detach(self) -> NDArray:
        """Return an array sharing this data but cut off from the autograd graph."""
        return self._view(self._data)

    def backward(self, out_grad=None, retain_graph: bool = False, train_mode: bool = True):
        """Compute the gradient of this array with respect to the recorded variables."""
        from ..autograd import backward

        backward([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    # ---- properties -------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype.type

    @property
    def context(self) -> Context:
        return self._ctx

    ctx = context

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def stype(self) -> str:
        return "default"

    @property
    def T(self) -> NDArray:
        """The array with its axes reversed (any number of dimensions, as in MXNet)."""
        return self.transpose()

    @property
    def writable(self) -> bool:
        return True

    @property
    def handle(self):
        return id(self)

    # ---- synchronisation and conversion ------------------------------------------------
    def wait_to_read(self) -> None:
        """Block until every pending write to this array has finished."""
        if self._var is not None:
            _engine.current.wait_to_read(self._var)

    def wait_to_write(self) -> None:
        """Block until every pending read and write of this array has finished."""
        if self._var is not None:
            _engine.current.wait_to_write(self._var)

    def asnumpy(self) -> np.ndarray:
        """Return a copy of the data as a ``numpy.ndarray`` (waits for pending writes)."""
        if self._var is not None:
            _engine.current.wait_to_read(self._var)
        data = self._data
        if self._ctx.device_typeid == 2:
            return data.get()
        return data.copy()

    def asscalar(self):
        """Return the value of a one-element array as a numpy scalar."""
        if self.size != 1:
            raise MXNetValueError(
                f"asscalar: the array must have exactly one element, its shape is {self.shape}"
            )
        return self.asnumpy().reshape(-1)[0]

    def __array__(self, dtype=None, copy=None):
        data = self.asnumpy()
        return data if dtype is None else data.astype(dtype, copy=False)

    def __float__(self) -> float:
        return float(self.asscalar())

    def __int__(self) -> int:
        return int(self.asscalar())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self.size != 1:
            raise MXNetTypeError("only one-element integer NDArrays can be used as an index")
        return int(self.asscalar())

    def __bool__(self) -> bool:
        if self.size == 1:
            return bool(self.asscalar())
        if self.size == 0:
            return False
        raise MXNetValueError(
            f"The truth value of an NDArray with {self.size} elements is ambiguous"
        )

    def __len__(self) -> int:
        if self.ndim == 0:
            raise MXNetTypeError("len() of a 0-d NDArray")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.shape)
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape} @{self._ctx}>"

    def __reduce__(self):
        from .serialization import array_from_record, array_to_record

        return (array_from_record, (array_to_record(self),))

    def __setstate__(self, state):
        # A pickle made by MXNet 1.x builds NDArray(None), then sets {'handle': record bytes};
        # under the mxnet alias (neomx.compat) its class path resolves here.
        from .serialization import array_from_record

        if not isinstance(state, dict) or "handle" not in state:
            raise MXNetTypeError(f"NDArray.__setstate__: unknown pickled state {type(state)}")
        loaded = array_from_record(bytes(state["handle"]))
        for slot in ("_data", "_ctx", "_var", "_chunk", "_ag", "_version"):
            setattr(self, slot, getattr(loaded, slot))

    # ---- copies and placement ----------------------------------------------------------
    def copy(self) -> NDArray:
        """Return a deep copy on the same context."""
        return invoke_nd(_op("_copy"), (self,), ())

    def copyto(self, other) -> NDArray:
        """Copy into ``other`` (an NDArray, which is returned) or onto a new array on a Context."""
        if isinstance(other, Context):
            return _copy_to_context(self, other)
        if isinstance(other, NDArray):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetValueError(
                    f"copyto: shapes differ, source {self.shape} vs destination {other.shape}"
                )
            _copy_into(self, other)
            return other
        raise MXNetTypeError(
            f"copyto: expected an NDArray or a Context, got {type(other).__name__}"
        )

    def as_in_context(self, context: Context) -> NDArray:
        """Return this array if it is on ``context``, else a copy there."""
        if self._ctx == context:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context

    def astype(self, dtype, copy: bool = True) -> NDArray:
        """Return the array cast to ``dtype`` (this array itself if no copy is needed)."""
        target = dtype_np(dtype, where="astype")
        if not copy and target == self._data.dtype:
            return self
        op = _op("Cast")
        return invoke_nd(op, (self,), op.params.record(target.name))

    def reshape(self, *shape, **kwargs) -> NDArray:
        """Return a view with a new shape; MXNet's special values 0, -1, -2, -3, -4 apply.

        >>> mx.nd.zeros((2, 3, 4)).reshape(-3, 0).shape
        (6, 4)
        """
        from ..ops.shape import infer_reshape

        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if "shape" in kwargs:
            shape = tuple(kwargs.pop("shape"))
        reverse = bool(kwargs.pop("reverse", False))
        if kwargs:
            raise MXNetTypeError(f"reshape: unexpected arguments {sorted(kwargs)}")
        if not shape:
            raise MXNetValueError("reshape: the new shape must be given")
        new_shape = infer_reshape("reshape", self.shape, shape, reverse)
        if self._data.flags.c_contiguous and not _recording():
            return self._view(self._data.reshape(new_shape))
        # A strided array (from DLPack) has no view of another shape, and the autograd tape
        # sees only operator calls.
        op = _op("Reshape")
        return invoke_nd(op, (self,), op.params.parse(op.name, {"shape": new_shape}))

    def broadcast_to(self, shape) -> NDArray:
        """Broadcast to ``shape``, which may have more dimensions than this array (as MXNet).

        >>> mx.nd.ones((3,)).broadcast_to((2, 3)).shape
        (2, 3)
        """
        shape = tuple(shape)
        have = self.shape
        if len(shape) < len(have):
            raise MXNetValueError(
                f"broadcast_to: cannot broadcast an array of shape {have} to {shape}, which has "
                "fewer dimensions"
            )
        source = self
        if len(shape) > len(have):
            source = self.reshape((1,) * (len(shape) - len(have)) + have)
        op = _op("broadcast_to")
        return invoke_nd(op, (source,), op.params.parse(op.name, {"shape": shape}))

    # ---- arithmetic (methods attached below from the registry) --------------------------
    def __neg__(self):
        return invoke_nd(_op("negative"), (self,), ())

    def __pos__(self):
        return self

    def __abs__(self):
        return invoke_nd(_op("abs"), (self,), ())

    __hash__ = object.__hash__

    # ---- indexing (neomx.ndarray.indexing) ---------------------------------------------
    def __getitem__(self, key):
        from .indexing import get_item

        return get_item(self, key)

    def __setitem__(self, key, value):
        from .indexing import set_item

        set_item(self, key, value)

    # ---- DLPack ------------------------------------------------------------------------
    def to_dlpack_for_read(self):
        """Return a DLPack capsule of this array's data (after pending writes finish)."""
        self.wait_to_read()
        return self._data.__dlpack__()

    def to_dlpack_for_write(self):
        """Return a DLPack capsule through which the data may be written."""
        self.wait_to_write()
        # Count it as an in-place write: autograd then refuses to use the old values.
        if self._version is not None:
            self._version[0] += 1
        return self._data.__dlpack__()

    def __dlpack__(self, **kwargs):
        self.wait_to_read()
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()


def _copy_into(src: NDArray, dst: NDArray) -> None:
    """Write ``src`` into ``dst`` (any contexts, dtype cast as needed) through the engine."""
    if src._ctx.compute_ctx == dst._ctx.compute_ctx:
        if src.dtype == dst.dtype:
            invoke_nd(_op("_copy"), (src,), (), out=dst)
        else:
            op = _op("Cast")
            invoke_nd(op, (src,), op.params.record(dst._data.dtype.name), out=dst)
        return
    src_data, dst_data = src._data, dst._data
    dst_xp = dst._ctx.xp

    def run():
        host = src_data.get() if src._ctx.device_typeid == 2 else src_data
        if dst._ctx.device_typeid == 2:
            dst_data.set(np.asarray(host, dtype=dst_data.dtype))
        else:
            dst_xp.copyto(dst_data, host, casting="unsafe")

    eng = _engine.current
    eng.push(run, [src._engine_var()], [dst._engine_var()], dst._ctx.compute_ctx, "copyto")


def _copy_to_context(src: NDArray, ctx: Context) -> NDArray:
    if src._ag is not None and _recording():
        # A registered device copy on the tape carries the gradient back to src's device.
        op = _op("_CrossDeviceCopy")
        return invoke_nd(op, (src,), op.params.parse(op.name, {"ctx": ctx, "src_ctx": src._ctx}))
    xp = ctx.xp
    from ..storage import alloc

    data, chunk = alloc(ctx, src.shape, src._data.dtype)
    dst = NDArray._wrap(data if xp is np else xp.empty(src.shape, src._data.dtype), ctx, chunk)
    _copy_into(src, dst)
    return dst


def _attach_arithmetic():
    pairs = {
        "add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
        "sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
        "mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
        "truediv": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
        "mod": ("broadcast_mod", "_mod_scalar", "_rmod_scalar"),
        "pow": ("broadcast_power", "_power_scalar", "_rpower_scalar"),
    }
    for name, (array_op, scalar_op, reflected_op) in pairs.items():
        method, in_place = _binary(array_op, scalar_op)
        setattr(NDArray, f"__{name}__", method)
        setattr(NDArray, f"__i{name}__", in_place)
        setattr(NDArray, f"__r{name}__", _binary(None, reflected_op)[0])
    compares = {"eq": "equal", "ne": "not_equal", "gt": "greater", "ge": "greater_equal",
                "lt": "lesser", "le": "lesser_equal"}
    for name, op_name in compares.items():
        setattr(NDArray, f"__{name}__", _binary(f"broadcast_{op_name}", f"_{op_name}_scalar")[0])


def _recording() -> bool:
    """Whether autograd records: views must then be operator calls the tape can see."""
    from ..autograd import is_recording

    return is_recording()


# MXNet 1.9.1's fluent methods: ``x.name(*args, **kwargs)`` calls ``mx.nd.name(x, ...)``.
# A name whose operator is not registered gets no method.
_FLUENT = (
    "abs", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "argmax",
    "argmax_channel", "argmin", "argsort", "broadcast_axes", "broadcast_like", "cbrt", "ceil",
    "clip", "cos", "cosh", "degrees", "depth_to_space", "diag", "exp", "expand_dims", "expm1",
    "fix", "flatten", "flip", "floor", "log", "log10", "log1p", "log2", "log_softmax", "max",
    "mean", "min", "nanprod", "nansum", "norm", "one_hot", "ones_like", "pad", "pick", "prod",
    "radians", "rcbrt", "reciprocal", "relu", "repeat", "reshape_like", "rint", "round", "rsqrt",
    "shape_array", "sigmoid", "sign", "sin", "sinh", "size_array", "slice", "slice_axis",
    "slice_like", "softmax", "softmin", "sort", "space_to_depth", "split", "sqrt", "square",
    "squeeze", "sum", "swapaxes", "take", "tan", "tanh", "tile", "topk", "transpose", "trunc",
    "zeros_like",
)
_FLUENT_OPS = {
    "slice_assign": "_slice_assign",
    "slice_assign_scalar": "_slice_assign_scalar",
    "split_v2": "_split_v2",
}


def _fluent(op_name: str, method_name: str):
    function = make_function(REGISTRY[op_name], op_name)

    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = method_name
    method.__doc__ = (
        f"Call ``mx.nd.{op_name}`` with this array as its first input; the other arguments "
        "are passed on."
    )
    return method


def _attach_fluent():
    names = {name: name for name in _FLUENT}
    names.update(_FLUENT_OPS)
    for method_name, op_name in names.items():
        if op_name in REGISTRY and not hasattr(NDArray, method_name):
            setattr(NDArray, method_name, _fluent(op_name, method_name))


_attach_arithmetic()
_attach_fluent()
set_array_type(NDArray)
