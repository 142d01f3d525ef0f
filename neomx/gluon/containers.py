"""Containers and function wrappers: ``Sequential``, ``HybridSequential``, ``Lambda``,
``HybridLambda`` (``gluon.nn`` re-exports them)."""

from __future__ import annotations

import warnings

from .. import ndarray as nd
from ..base import MXNetValueError
from .block import Block
from .hybrid import HybridBlock
from .parameter import _indent

__all__ = ["Sequential", "HybridSequential", "Lambda", "HybridLambda"]


def _chain(blocks, x, args):
    """Feed the output of each block to the next; a tuple output becomes several inputs."""
    for block in blocks:
        x = block(x, *args)
        args = []
        if isinstance(x, (tuple, list)):
            args = x[1:]
            x = x[0]
    if args:
        x = tuple([x] + list(args))
    return x


class _SequentialMixin:
    def add(self, *blocks):
        """Append blocks, in order."""
        for block in blocks:
            self.register_child(block)

    def __repr__(self):
        lines = [f"  ({key}): {_indent(repr(block), 2)}" for key, block in self._children.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if not isinstance(layers, list):
            return layers
        net = type(self)(prefix=self._prefix)
        with net.name_scope():
            net.add(*layers)
        return net

    def __len__(self):
        return len(self._children)


class Sequential(_SequentialMixin, Block):
    """Run child blocks one after the other.

    >>> net = mx.gluon.nn.Sequential()
    >>> net.add(mx.gluon.nn.Lambda(lambda x: x + 1), mx.gluon.nn.Lambda('sqrt'))
    >>> net(mx.nd.array([3.])).asnumpy()
    array([2.], dtype=float32)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def forward(self, x, *args):
        return _chain(self._children.values(), x, args)

    def hybridize(self, active=True, **kwargs):
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(
                f"All children of this Sequential layer '{self.prefix}' are HybridBlocks. "
                "Consider using HybridSequential for the best performance.",
                stacklevel=2,
            )
        super().hybridize(active, **kwargs)


class HybridSequential(_SequentialMixin, HybridBlock):
    """Run child HybridBlocks one after the other; hybridizes as one graph.

    >>> net = mx.gluon.nn.HybridSequential()
    >>> net.add(mx.gluon.nn.HybridLambda('relu'))
    >>> net(mx.nd.array([-1., 2.])).asnumpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args):
        return _chain(self._children.values(), x, args)


class Lambda(Block):
    """Wrap a function of NDArrays (or the name of an ``mx.nd`` function) as a Block.

    >>> mx.gluon.nn.Lambda(lambda x: x * 2)(mx.nd.array([1.])).asnumpy()
    array([2.], dtype=float32)
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise MXNetValueError(f"Function name {function} is not found in ndarray.")
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise MXNetValueError(
                f"Unrecognized function in lambda: {function} of type {type(function)}"
            )

    def forward(self, *args):
        with args[0].context:
            return self._func_impl(*args)

    def __repr__(self):
        return f"{type(self).__name__}({self._func_impl.__name__})"


class HybridLambda(HybridBlock):
    """Wrap a function ``f(F, x, ...)`` (or the name of an operator) as a HybridBlock.

    >>> mx.gluon.nn.HybridLambda(lambda F, x: F.relu(x))(mx.nd.array([-1.])).asnumpy()
    array([0.], dtype=float32)
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise MXNetValueError(f"Function name {function} is not found in symbol/ndarray.")
            self._func = lambda F, *args: getattr(F, function)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise MXNetValueError(
                f"Unrecognized function in lambda: {function} of type {type(function)}"
            )

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return f"{type(self).__name__}({self._func_name})"
