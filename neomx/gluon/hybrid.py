"""``HybridBlock``: a Block whose ``hybrid_forward(F, x, ...)`` runs on NDArrays (F = mx.nd)
or on Symbols (F = mx.sym).

Imperatively it calls ``hybrid_forward`` with ``mx.nd``. After ``hybridize()`` the first call
traces ``hybrid_forward`` with ``mx.sym`` into one graph, and a ``CachedOp`` (cached_op.py) runs
that graph through planned executors, one per input signature. Deferred initialisation also
traces the graph: ``Symbol.infer_shape`` fills in the unknown parameter dimensions.
"""

from __future__ import annotations

import os
import warnings

from .. import ndarray as nd
from .. import symbol as _sym
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..ndarray.ndarray import NDArray
from ..symbol import json as _sym_json
from ..symbol.symbol import Symbol
from . import parameter as _parameter
from .block import Block
from .cached_op import CachedOp
from .parameter import DeferredInitializationError

__all__ = ["HybridBlock"]


def _flatten(args, what):
    """Nested lists of arrays/Symbols -> (flat list, format to rebuild them)."""
    if isinstance(args, NDArray):
        return [args], 0
    if isinstance(args, Symbol):
        length = len(args.list_outputs())
        return [args], length if length > 1 else 0
    if args is None:
        return [None], -1
    if not isinstance(args, (list, tuple)):
        raise MXNetValueError(
            f"When hybridized, the {what} of HybridBlock must be (nested) list of Symbol or "
            f"NDArray, but got {args} of type {type(args)}"
        )
    flat, formats = [], []
    for item in args:
        items, fmt = _flatten(item, what)
        flat.extend(items)
        formats.append(fmt)
    return flat, formats


def _regroup(args, fmt):
    """Undo ``_flatten``: returns (nested value, the arguments left over)."""
    if isinstance(fmt, int):
        if fmt == 0:
            return args[0], args[1:]
        if fmt == -1:
            if args[0] is not None:
                raise MXNetValueError(
                    "We do not support passing types that are not None when the initial "
                    "HybridBlock has received NoneType and has been hybridized. Received arg "
                    f"= {args[0]}, fmt = {fmt}."
                )
            return None, args[1:]
        return args[:fmt], args[fmt:]
    result = []
    for item in fmt:
        value, args = _regroup(args, item)
        result.append(value)
    return result, args


_CONTROL_FLOW_HINT = (
    "Python control flow that depends on the values of the inputs cannot be hybridized: "
    "while hybridize() traces hybrid_forward, its inputs are Symbols (F = mx.sym), which have "
    "no values, shapes or truth values. Write the branch or loop with F.contrib.cond, "
    "F.contrib.foreach or F.contrib.while_loop (or F.where for element-wise choices), or "
    "do not hybridize this block"
)


def _trace_error(block, err):
    """A clearer error for Python code that needs values while being traced."""
    text = str(err)
    if _CONTROL_FLOW_HINT in text:
        return None  # already explained by the block that failed (a descendant)
    value_dependent = isinstance(err, TypeError) and "truth value" in text
    if isinstance(err, AttributeError) and "Symbol" in text:
        value_dependent = any(
            word in text for word in ("asnumpy", "asscalar", "shape", "size", "context", "item")
        )
    if not value_dependent:
        return None
    return MXNetTypeError(f"{type(block).__name__} '{block.name}': {_CONTROL_FLOW_HINT} ({text})")


class HybridBlock(Block):
    """A Block that can be traced into a graph: subclasses define
    ``hybrid_forward(self, F, x, *args, **params)``, ``params`` being this block's Parameters
    (NDArrays, or Symbols while tracing).

    >>> class Scale(mx.gluon.HybridBlock):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.s = self.params.get('s', shape=(1,), init=mx.init.One())
    ...     def hybrid_forward(self, F, x, s):
    ...         return F.broadcast_mul(x, s)
    >>> net = Scale(); net.initialize(); net.hybridize()
    >>> net(mx.nd.ones((2,))).asnumpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._cached_graph = ()
        self._cached_op = None
        self._in_format = None
        self._out_format = None
        self._active = False
        self._flags = []
        self._backend = None
        self._backend_opts = {}

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise MXNetValueError(
                f"Children of HybridBlock must also be HybridBlock, but {block} has type "
                f"{type(block)}. If you are using Sequential, please try HybridSequential "
                "instead."
            )
        super().register_child(block, name)
        self._clear_cached_op()

    def _clear_cached_op(self):
        self._cached_graph = ()
        self._cached_op = None

    def hybridize(
        self,
        active=True,
        backend=None,
        backend_opts=None,
        clear=True,
        partition_if_dynamic=True,
        **kwargs,
    ):
        """Run this block (and its descendants) as a traced, cached graph.

        ``static_alloc``/``static_shape`` are accepted: the cached executors always plan
        their memory once and reuse it across calls with the same input shapes.
        """
        self._active = bool(active)
        self._flags = list(kwargs.items())
        self._backend = backend
        self._backend_opts = backend_opts or {}
        if clear:
            self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn(
                f'"{self}" is being hybridized while still having forward hook/pre-hook. If '
                f'"{self}" is a child of HybridBlock, the hooks will not take effect.',
                stacklevel=2,
            )
        super().hybridize(active, **kwargs)

    def optimize_for(self, x, *args, backend=None, backend_opts=None, clear=True, **kwargs):
        """Hybridize and run once on ``x`` (neomx has no graph-partitioning backends; the
        ``backend`` is recorded and otherwise ignored)."""
        self.hybridize(True, backend=backend, backend_opts=backend_opts, clear=clear, **kwargs)
        return self(x, *args)

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    # ---- tracing ------------------------------------------------------------------------

    def _get_graph(self, *args):
        """The traced graph: (input variables, Symbol of all outputs); traced once."""
        if not self._cached_graph:
            flat, self._in_format = _flatten(args, "input")
            flat = [a for a in flat if a is not None]
            if len(flat) > 1:
                inputs = [_sym.var(f"data{i}") for i in range(len(flat))]
            else:
                inputs = [_sym.var("data")]
            grouped = _regroup(_with_none(inputs, self._in_format), self._in_format)[0]
            params = {key: param.var() for key, param in self._reg_params.items()}
            try:
                with self.name_scope():
                    out = self.hybrid_forward(_sym, *grouped, **params)
            except (TypeError, AttributeError) as err:
                clearer = _trace_error(self, err)
                if clearer is None:
                    raise
                raise clearer from err
            out, self._out_format = _flatten(out, "output")
            self._cached_graph = inputs, _sym.Group(out)
        return self._cached_graph

    def _infer_attrs(self, method, attr, *args):
        inputs, out = self._get_graph(*args)
        flat = [a for a in _flatten(args, "input")[0] if a is not None]
        given = {var.name: getattr(value, attr) for var, value in zip(inputs, flat)}
        if method == "infer_shape":
            arg_attrs, _, aux_attrs = out.infer_shape_partial(**given)
        else:
            arg_attrs, _, aux_attrs = out.infer_type_partial(**given)
        found = dict(zip(out.list_arguments(), arg_attrs))
        found.update(zip(out.list_auxiliary_states(), aux_attrs))
        params = self.collect_params()
        unknown = [
            name
            for name in params.keys()
            if name in found
            and (not found[name] if attr == "dtype" else not _parameter.shape_is_known(found[name]))
        ]
        if unknown:
            raise MXNetValueError(
                f"cannot decide the {attr} of {_parameter._brief(unknown)} from the inputs' "
                f"{attr}s {given}; give the full {attr} when creating the Parameter"
            )
        for name, param in params.items():
            if name in found:
                setattr(param, attr, found[name])

    def infer_shape(self, *args):
        """Fill in the unknown dimensions of the parameters from the inputs' shapes."""
        self._infer_attrs("infer_shape", "shape", *args)

    def infer_type(self, *args):
        """Set the parameters' dtypes from the inputs' dtypes."""
        self._infer_attrs("infer_type", "dtype", *args)

    def _deferred_infer_shape(self, *args):
        try:
            self.infer_shape(*args)
        except MXNetError as err:
            raise MXNetValueError(
                f"Deferred initialization failed because shape cannot be inferred. {err}"
            ) from err

    # ---- running ------------------------------------------------------------------------

    def _build_cache(self, *args):
        inputs, out = self._get_graph(*args)
        data_names = [var.name for var in inputs]
        params = self.collect_params()
        expected = set(out.list_inputs())
        for name in expected:
            if name not in params and name not in data_names:
                raise MXNetValueError(f"Unknown input to HybridBlock: {name}")
        unused = [f"{i}-th" for i, name in enumerate(data_names) if name not in expected]
        if unused:
            warnings.warn(
                f"The {', '.join(unused)} input to HybridBlock is not used by any computation. "
                "Is this intended?",
                stacklevel=4,
            )
        unused_params = [name for name in params.keys() if name not in expected]
        if unused_params:
            warnings.warn(
                f"Parameter {', '.join(unused_params)} is not used by any computation. Is this "
                "intended?",
                stacklevel=4,
            )
        used = {name: param for name, param in params.items() if name in expected}
        self._cached_op = CachedOp(out, data_names, used, dict(self._flags), self.name)

    def _call_cached_op(self, *args):
        if self._cached_op is None:
            self._build_cache(*args)
        flat, fmt = _flatten(args, "input")
        if fmt != self._in_format:
            raise MXNetValueError(
                "The argument structure of HybridBlock does not match the cached version. "
                f"Stored format = {self._in_format}, input format = {fmt}"
            )
        flat = [a for a in flat if a is not None]
        params = self._cached_op.params.values()
        if any(param._deferred_init for param in params):
            self._deferred_infer_shape(*args)
            for param in params:
                param._finish_deferred_init()
        out = self._cached_op(flat)
        return _regroup(out, self._out_format)[0]

    def forward(self, x, *args):
        """Run ``hybrid_forward`` with F = mx.nd (or the cached graph when hybridized) on
        NDArrays, or with F = mx.sym on Symbols."""
        flat = _flatten([x, *args], "input")[0]
        kinds = {type(a) for a in flat if a is not None}
        has_nd = any(isinstance(a, NDArray) for a in flat)
        has_sym = any(isinstance(a, Symbol) for a in flat)
        if has_nd and has_sym:
            raise MXNetValueError(
                "In HybridBlock, we do not support mixed NDArrays and Symbols types for the "
                "input. Please check the type of the args."
            )
        if not (has_nd or has_sym):
            raise MXNetValueError(
                "In HybridBlock, there must be one NDArray or one Symbol in the input, got "
                f"{sorted(k.__name__ for k in kinds)}."
            )
        if has_nd:
            ctx = next(a.context for a in flat if isinstance(a, NDArray))
            with ctx:
                if self._active:
                    return self._call_cached_op(x, *args)
                try:
                    params = {k: v.data(ctx) for k, v in self._reg_params.items()}
                except DeferredInitializationError:
                    self._deferred_infer_shape(x, *args)
                    for param in self.params.values():
                        param._finish_deferred_init()
                    params = {k: v.data(ctx) for k, v in self._reg_params.items()}
                return self.hybrid_forward(nd, x, *args, **params)
        params = {key: param.var() for key, param in self._reg_params.items()}
        try:
            with self.name_scope():
                return self.hybrid_forward(_sym, x, *args, **params)
        except (TypeError, AttributeError) as err:
            clearer = _trace_error(self, err)
            if clearer is None:
                raise
            raise clearer from err

    def hybrid_forward(self, F, x, *args, **kwargs):
        """Compute the outputs with ``F`` (mx.nd or mx.sym); subclasses override it."""
        raise NotImplementedError

    # ---- export -------------------------------------------------------------------------

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write ``path-symbol.json`` and ``path-%04d.params`` (keys ``arg:<name>`` and
        ``aux:<name>``), which ``SymbolBlock.imports`` and MXNet's Module load.

        The block must have been hybridized and run once. Returns the two file names.
        """
        if not self._cached_graph:
            raise MXNetError(
                "Please first call block.hybridize() and then run forward with this block at "
                "least once before calling export."
            )
        symbol = self._cached_graph[1]
        symbol_file = f"{os.fspath(path)}-symbol.json"
        _sym_json.save(symbol, symbol_file, remove_amp_cast=remove_amp_cast)
        arg_names = set(symbol.list_arguments())
        aux_names = set(symbol.list_auxiliary_states())
        arrays = {}
        for name, param in self.collect_params().items():
            if name in arg_names:
                arrays[f"arg:{name}"] = param._reduce()
            elif name in aux_names:
                arrays[f"aux:{name}"] = param._reduce()
        params_file = f"{os.fspath(path)}-{epoch:04d}.params"
        nd.save(params_file, arrays)
        return symbol_file, params_file


def _with_none(inputs, fmt):
    """``inputs`` with None put back where the flattened arguments had None."""
    flat_fmt = []

    def walk(f):
        if isinstance(f, int):
            flat_fmt.append(f)
        else:
            for item in f:
                walk(item)

    walk(fmt)
    result, it = [], iter(inputs)
    for f in flat_fmt:
        result.append(None if f == -1 else next(it))
    return result
