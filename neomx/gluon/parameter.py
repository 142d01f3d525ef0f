"""Gluon parameters: ``Parameter`` (an array per device plus its gradient), ``Constant`` and
``ParameterDict`` (the named collection a Block owns).

A Parameter's shape may have unknown dimensions (0, as in MXNet 1.x). ``initialize`` then
defers: it keeps ``(init, ctx, default_init, data)`` in ``_deferred_init`` until the first
forward pass fills the shape in (HybridBlock infers it from the graph) and calls
``_finish_deferred_init``.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from .. import autograd
from .. import initializer as _init
from .. import ndarray as nd
from .. import symbol as _sym
from ..base import MXNetError, MXNetValueError
from ..context import Context, cpu, current_context
from ..ndarray.ndarray import NDArray

__all__ = [
    "DeferredInitializationError",
    "Parameter",
    "Constant",
    "ParameterDict",
    "tensor_types",
    "shape_is_known",
]

tensor_types = (_sym.Symbol, NDArray)


class _MissingKeyError(MXNetError, KeyError):
    """A name that is not in a ParameterDict."""


class DeferredInitializationError(MXNetError):
    """A Parameter's data was asked for before its deferred initialisation ran."""


def shape_is_known(shape) -> bool:
    """Return whether every dimension of ``shape`` is known (MXNet 1.x: 0 means unknown).

    >>> shape_is_known((2, 0)), shape_is_known((2, 3)), shape_is_known(())
    (False, True, False)
    """
    if shape is None or len(shape) == 0:
        return False
    return all(int(d) > 0 for d in shape)


def _brief(names, limit=7):
    """Names quoted and joined, the middle elided past ``limit`` (as MXNet prints them)."""
    names = [str(n) for n in names]
    if len(names) > limit:
        return _brief(names[: limit // 2], limit) + ", ..., " + _brief(names[-(limit // 2) :])
    return ", ".join(f"'{n}'" for n in names)


def _indent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Parameter:
    """A learnable array of a Block, with one copy (and one gradient) per device.

    Parameters
    ----------
    name : str
        The full name, e.g. ``'dense0_weight'`` (the prefix of the Block that made it).
    grad_req : {'write', 'add', 'null'}
        How ``backward`` stores the gradient; 'null' keeps none.
    shape : int or tuple of int, optional
        The shape; 0 marks a dimension not known until the first forward pass.
    dtype : numpy dtype or str
        The data type (float32 by default).
    lr_mult, wd_mult : float
        Multipliers of the optimizer's learning rate and weight decay.
    init : Initializer or str, optional
        How to fill the array (the ``initialize`` call's default otherwise).
    allow_deferred_init : bool
        Allow ``initialize`` before the shape is known.
    differentiable : bool
        False makes ``grad_req`` 'null' for good.

    >>> p = mx.gluon.Parameter('w', shape=(2, 3))
    >>> p.initialize(init=mx.init.One())
    >>> float(p.data().asnumpy().sum())
    6.0
    """

    def __init__(
        self,
        name,
        grad_req="write",
        shape=None,
        dtype=np.float32,
        lr_mult=1.0,
        wd_mult=1.0,
        init=None,
        allow_deferred_init=False,
        differentiable=True,
        stype="default",
        grad_stype="default",
    ):
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._ctx_index = None
        self._trainer = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = None if shape is None else tuple(shape)
        self.name = name
        self.dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.init = init
        self.grad_req = grad_req
        for what, value in (("stype", stype), ("grad_stype", grad_stype)):
            if value not in ("default", "row_sparse", "csr"):
                raise MXNetValueError(
                    f"Parameter '{name}': {what} must be 'default', 'row_sparse' or 'csr', "
                    f"got {value!r}"
                )
        self._stype = stype
        self._grad_stype = grad_stype

    def __repr__(self):
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # ---- attributes ---------------------------------------------------------------------

    @property
    def grad_req(self):
        """How ``backward`` stores the gradient: 'write', 'add' or 'null'."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ("write", "add", "null"):
            raise MXNetValueError(
                f"Parameter '{self.name}': grad_req must be one of 'write', 'add' or 'null', "
                f"but got {req!r}"
            )
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            if self._data is not None:
                self._data = [array.detach() for array in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def shape(self):
        """The shape; 0 marks an unknown dimension (None: not given at all)."""
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        if new_shape is None:
            self._shape = None
            return
        new_shape = tuple(int(d) for d in new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or any(
            old not in (0, -1, new) for new, old in zip(new_shape, self._shape)
        ):
            raise MXNetValueError(
                f"Parameter '{self.name}': expected shape {self._shape} is incompatible with "
                f"given shape {new_shape}"
            )
        self._shape = new_shape

    @property
    def stype(self):
        return self._stype

    # ---- initialisation -----------------------------------------------------------------

    def initialize(self, init=None, ctx=None, default_init=None, force_reinit=False):
        """Allocate and fill the data (and gradient) on each context of ``ctx``.

        ``init`` wins over the Parameter's own ``init``, which wins over ``default_init``
        (Uniform by default). With unknown dimensions in the shape and
        ``allow_deferred_init``, initialisation waits for the first forward pass.
        """
        if default_init is None:
            default_init = _init.Uniform()
        if self._data is not None and not force_reinit:
            warnings.warn(
                f"Parameter '{self.name}' is already initialized, ignoring. Set "
                "force_reinit=True to re-initialize.",
                stacklevel=2,
            )
            return
        self._data = self._grad = None
        if ctx is None:
            ctx = [current_context()]
        if isinstance(ctx, Context):
            ctx = [ctx]
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, list(ctx), default_init, None)
                return
            raise MXNetValueError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f"{self.shape}. Give the full shape (e.g. in_units=, in_channels=) or create "
                "it with allow_deferred_init=True"
            )
        self._deferred_init = (init, list(ctx), default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        """Run the initialisation that ``initialize`` deferred, now that the shape is known."""
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not shape_is_known(self.shape):
            raise MXNetValueError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f"{self.shape}. Please specify in_units, in_channels, etc for `Block`s."
            )
        with autograd.pause():
            if data is None:
                data = nd.zeros(self.shape, dtype=self.dtype, ctx=cpu())
                initializer = _init.create(default_init)
                initializer(_init.InitDesc(self.name, {"__init__": init}), data)
            self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        """Put copies of ``data`` on every context of ``ctx_list``."""
        self._ctx_list = list(ctx_list)
        self._ctx_index = {ctx: i for i, ctx in enumerate(self._ctx_list)}
        self._data = [data.copyto(ctx) for ctx in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == "null":
            self._grad = None
            return
        self._grad = [nd.zeros(a.shape, dtype=a.dtype, ctx=a.context) for a in self._data]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        """Take the values of ``data`` (loaded from a file), checking shape and dtype."""
        if self.shape:
            for mine, theirs in zip(self.shape, data.shape):
                if mine not in (0, theirs) or len(self.shape) != len(data.shape):
                    raise MXNetValueError(
                        f"Failed loading Parameter '{self.name}' from saved params: shape "
                        f"incompatible expected {self.shape} vs saved {data.shape}"
                    )
            self.shape = data.shape
        else:
            # NOTE: MXNet leaves shape None here; knowing it is more useful and harmless.
            self._shape = tuple(data.shape)
        if cast_dtype:
            if dtype_source == "current":
                data = data.astype(self.dtype, copy=False)
            elif dtype_source == "saved":
                if self._data is not None and np.dtype(self.dtype) != np.dtype(data.dtype):
                    # MXNet would keep the old arrays; convert them, so dtype tells the truth.
                    self.cast(data.dtype)
                self.dtype = data.dtype
            else:
                raise MXNetValueError(
                    f"dtype_source must be 'current' or 'saved', got {dtype_source!r}"
                )
        elif np.dtype(self.dtype) != np.dtype(data.dtype):
            raise MXNetValueError(
                f"Failed loading Parameter '{self.name}' from saved params: dtype incompatible "
                f"expected {np.dtype(self.dtype)} vs saved {np.dtype(data.dtype)}. Set "
                "cast_dtype=True to cast the dtype of saved params."
            )
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data is None:
            if self._deferred_init:
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            self._init_impl(data, ctx)
        else:
            self.set_data(data)
        self._deferred_init = ()

    # ---- access -------------------------------------------------------------------------

    def _check_and_get(self, arrays, ctx):
        if arrays is not None:
            if ctx is list:
                return arrays
            if ctx is None:
                if len(arrays) == 1:
                    return arrays[0]
                ctx = current_context()
            index = self._ctx_index.get(ctx)
            if index is not None:
                return arrays[index]
            raise MXNetError(
                f"Parameter '{self.name}' was not initialized on context {ctx}. It was only "
                f"initialized on {self._ctx_list}."
            )
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization "
                "was deferred. Actual initialization happens during the first forward pass. "
                "Please pass one batch of data through the network before accessing "
                "Parameters. You can also avoid deferred initialization by specifying "
                "in_units, num_features, etc., for network layers."
            )
        raise MXNetError(
            f"Parameter '{self.name}' has not been initialized. Call net.initialize() (or "
            "net.collect_params().initialize()) before running the network or reading its "
            "parameters. Note that you should initialize parameters and create Trainer with "
            "Block.collect_params() instead of Block.params because the latter does not "
            "include Parameters of nested child Blocks"
        )

    def data(self, ctx=None):
        """Return the array on ``ctx`` (the only one, or the current context's)."""
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """Return the arrays on all contexts, in ``list_ctx`` order."""
        return self._check_and_get(self._data, list)

    def row_sparse_data(self, row_id):
        """Return the array on ``row_id``'s context (dense storage: all rows)."""
        return self.data(row_id.context)

    def list_row_sparse_data(self, row_id):
        """Return the arrays on all contexts (dense storage: all rows)."""
        return self.list_data()

    def grad(self, ctx=None):
        """Return the gradient array on ``ctx``."""
        if self._data is not None and self._grad is None:
            raise MXNetError(
                f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'"
            )
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """Return the gradient arrays on all contexts."""
        if self._data is not None and self._grad is None:
            raise MXNetError(
                f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'"
            )
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        """Return the contexts the Parameter lives (or will live) on."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise MXNetError(f"Parameter '{self.name}' has not been initialized")
        return self._ctx_list

    def set_data(self, data):
        """Write ``data`` into the array on every context."""
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise MXNetError(
                    f"Parameter '{self.name}' has not been initialized; call initialize first"
                )
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        trainer = self._trainer() if self._trainer is not None else None
        if trainer is not None and getattr(trainer, "_kv_initialized", False):
            if getattr(trainer, "_update_on_kvstore", False) and hasattr(trainer, "_reset_kvstore"):
                trainer._reset_kvstore()
        with autograd.pause():
            for array in self._data:
                array[:] = data

    def _set_trainer(self, trainer):
        """Remember the Trainer that updates this Parameter; as in MXNet 1.9.1 a new Trainer
        takes a dense Parameter over, while a row_sparse one keeps at most one."""
        current = self._trainer() if self._trainer is not None else None
        if (
            self._stype != "default"
            and trainer is not None
            and current is not None
            and current is not trainer
        ):
            raise MXNetError(
                f"Set trainer for Parameter '{self.name}' failed: it is already managed by "
                "another Trainer"
            )
        self._trainer = None if trainer is None else weakref.ref(trainer)

    def zero_grad(self):
        """Set the gradient on every context to 0."""
        if self._grad is None:
            return
        with autograd.pause():
            for grad in self._grad:
                nd.zeros_like(grad, out=grad)

    def _reduce(self):
        """The mean over contexts, on the CPU (what saving writes)."""
        arrays = self.list_data()
        with autograd.pause():
            if len(arrays) == 1:
                return arrays[0].copyto(cpu())
            total = arrays[0].copyto(cpu())
            for array in arrays[1:]:
                total = total + array.copyto(cpu())
            return total / len(arrays)

    def reset_ctx(self, ctx):
        """Move the Parameter to other contexts (keeping its values)."""
        if ctx is None:
            ctx = [current_context()]
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, list(ctx), default_init, data)
        else:
            raise MXNetValueError(
                f"Cannot reset context for Parameter '{self.name}' because it has not been "
                "initialized."
            )

    def var(self):
        """Return the Symbol variable standing for this Parameter in graphs."""
        if self._var is None:
            self._var = _sym.var(
                self.name,
                shape=self.shape,
                dtype=self.dtype,
                lr_mult=self.lr_mult,
                wd_mult=self.wd_mult,
                init=self.init,
                stype=self._stype,
            )
        return self._var

    def cast(self, dtype):
        """Change the dtype of the data and gradient (values converted)."""
        self.dtype = dtype
        self._var = None
        if self._data is None:
            return
        with autograd.pause():
            self._data = [array.astype(dtype) for array in self._data]
            if self._grad is None:
                return
            self._grad = [array.astype(dtype) for array in self._grad]
            autograd.mark_variables(self._data, self._grad, self.grad_req)


class _ConstantInit(_init.Initializer):
    """Fill with a Constant's value."""

    def __init__(self, value):
        super().__init__()
        self._value = value

    def _init_weight(self, _, arr):
        self._value.copyto(arr)

    def dumps(self):
        return '["constant", {"value": 0}]'


class Constant(Parameter):
    """A Parameter that holds a fixed value and never gets a gradient.

    >>> c = mx.gluon.Constant('c', mx.nd.array([1, 2]))
    >>> c.initialize(); c.data().asnumpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, name, value):
        if not isinstance(value, NDArray):
            value = nd.array(value)
        self.value = value
        super().__init__(
            name, grad_req="null", shape=value.shape, dtype=value.dtype, init=_ConstantInit(value)
        )

    def __repr__(self):
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self):
        return "null"

    @grad_req.setter
    def grad_req(self, req):
        if req != "null":
            warnings.warn(
                f'Constant parameter "{self.name}" does not support grad_req other than '
                f'"null", and new value "{req}" is ignored.',
                stacklevel=2,
            )
        self._grad_req = "null"


# ``mxnet.gluon.parameter`` also holds ParameterDict (user code imports it there).
from .parameter_dict import ParameterDict  # noqa: E402
