"""``SymbolBlock``: a HybridBlock made from a Symbol graph (e.g. one ``export`` wrote)."""

from __future__ import annotations

import copy

import numpy as np

from .. import symbol as _sym
from ..base import MXNetTypeError, MXNetValueError
from ..ndarray.ndarray import NDArray
from ..symbol.symbol import Symbol
from .hybrid import HybridBlock, _flatten, _regroup
from .parameter import ParameterDict

__all__ = ["SymbolBlock"]


def _common_prefix(names):
    if not names:
        return ""
    prefix = names[0]
    for name in names:
        i = 0
        while i < min(len(prefix), len(name)) and prefix[i] == name[i]:
            i += 1
        prefix = prefix[:i]
    return prefix


class SymbolBlock(HybridBlock):
    """Run a Symbol graph as a Block: ``inputs`` are its data variables, every other
    variable becomes a Parameter (auxiliary states with grad_req 'null').

    >>> data = mx.sym.var('data')
    >>> net = mx.gluon.SymbolBlock(mx.sym.FullyConnected(data, num_hidden=2, name='fc'), data)
    >>> sorted(net.collect_params().keys())
    ['fc_bias', 'fc_weight']
    """

    @staticmethod
    def imports(
        symbol_file, input_names, param_file=None, ctx=None, allow_missing=False, ignore_extra=False
    ):
        """Load a model that ``HybridBlock.export`` (or MXNet's) wrote.

        ``input_names`` names the data variables; ``param_file`` (``arg:``/``aux:`` keys) is
        loaded with the saved dtypes onto ``ctx``.

        >>> net = mx.gluon.SymbolBlock.imports('model-symbol.json', ['data'],
        ...                                    'model-0000.params')  # doctest: +SKIP
        """
        symbol = _sym.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        if param_file is None:
            inputs = [_sym.var(name, dtype=np.float32) for name in input_names]
        else:
            inputs = [_sym.var(name) for name in input_names]
        block = SymbolBlock(symbol, inputs)
        if param_file is not None:
            block.collect_params().load(
                param_file,
                ctx,
                allow_missing,
                ignore_extra,
                cast_dtype=True,
                dtype_source="saved",
            )
        return block

    def __init__(self, outputs, inputs, params=None):
        super().__init__(prefix=None, params=None)
        self._prefix = ""
        self._params = ParameterDict("", params)
        if isinstance(inputs, Symbol) and len(inputs.list_outputs()) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten(inputs, "input")
        out, self._out_format = _flatten(outputs, "output")
        out = _sym.Group(out)
        input_names = set()
        for var in syms:
            if not isinstance(var, Symbol):
                raise MXNetTypeError(f"SymbolBlock: inputs must be Symbols, got {type(var)}")
            if len(var.get_internals().list_outputs()) != 1:
                raise MXNetValueError(
                    f"Input symbols must be variable, but {var} is an output of operators"
                )
            input_names.add(var.name)
        missing = input_names - set(out.list_inputs())
        if missing:
            raise MXNetValueError(
                f"SymbolBlock: input(s) {sorted(missing)} are not variables of the graph; its "
                f"variables are {out.list_inputs()}"
            )
        for name in out.list_arguments():
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True)
        for name in out.list_auxiliary_states():
            if name not in input_names:
                self.params.get(name, grad_req="null", allow_deferred_init=True)
        self._cached_graph = syms, out
        skip = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {key[skip:]: value for key, value in self._params.items()}

    def __repr__(self):
        inputs, out = self._cached_graph
        return f"{type(self).__name__}(\n{out} : {len(inputs)} -> {len(out.list_outputs())}\n)"

    def forward(self, x, *args):
        if isinstance(x, NDArray):
            with x.context:
                return self._call_cached_op(x, *args)
        if not isinstance(x, Symbol):
            raise MXNetTypeError(
                "HybridBlock requires the first argument to forward be either Symbol or "
                f"NDArray, but got {type(x)}"
            )
        flat, fmt = _flatten([x, *args], "input")
        if fmt != self._in_format:
            raise MXNetValueError("Invalid input format")
        graph = copy.copy(self._cached_graph[1])
        graph._compose(**{var.name: value for var, value in zip(self._cached_graph[0], flat)})
        return _regroup(list(graph), self._out_format)[0]

    def _clear_cached_op(self):
        graph = self._cached_graph
        super()._clear_cached_op()
        self._cached_graph = graph

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError
