"""``PythonModule`` (a module written in Python, with no parameters by default) and
``PythonLossModule`` (a loss whose gradient a Python function computes)."""

from __future__ import annotations

import logging

from .. import ndarray as nd
from ..base import MXNetNotImplementedError, MXNetValueError
from .base_module import BaseModule

__all__ = ["PythonModule", "PythonLossModule"]


class PythonModule(BaseModule):
    """Base class of modules implemented in Python.

    Subclasses implement ``_compute_output_shapes``, ``forward``, ``backward``,
    ``get_outputs`` and ``get_input_grads``; parameters, optimizer and update are no-ops
    here.
    """

    def __init__(self, data_names, label_names, output_names, logger=logging):
        super().__init__(logger=logger)
        if isinstance(data_names, tuple):
            data_names = list(data_names)
        if isinstance(label_names, tuple):
            label_names = list(label_names)
        self._data_names = data_names
        self._label_names = label_names
        self._output_names = output_names
        self._data_shapes = None
        self._label_shapes = None
        self._output_shapes = None

    @property
    def data_names(self):
        return self._data_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        return self._data_shapes

    @property
    def label_shapes(self):
        return self._label_shapes

    @property
    def output_shapes(self):
        return self._output_shapes

    def get_params(self):
        return {}, {}

    def init_params(
        self,
        initializer=None,
        arg_params=None,
        aux_params=None,
        allow_missing=False,
        force_init=False,
        allow_extra=False,
    ):
        self.params_initialized = True

    def update(self):
        """No parameters: nothing to update."""

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with ``labels`` and the outputs (if bound with labels)."""
        if self._label_shapes is None:
            return  # without labels this is not a loss: nothing to measure
        if pre_sliced:
            raise MXNetNotImplementedError("PythonModule does not support presliced labels")
        eval_metric.update(labels, self.get_outputs())

    def bind(
        self,
        data_shapes,
        label_shapes=None,
        for_training=True,
        inputs_need_grad=False,
        force_rebind=False,
        shared_module=None,
        grad_req="write",
    ):
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if grad_req != "write":
            raise MXNetValueError("Python module only support write gradient")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        if [d[0] for d in data_shapes] != list(self._data_names):
            raise MXNetValueError(
                f"bind: data shapes {data_shapes} do not match data_names {self._data_names}"
            )
        self._data_shapes = data_shapes
        self._label_shapes = label_shapes
        if label_shapes is not None and [d[0] for d in label_shapes] != list(self._label_names):
            raise MXNetValueError(
                f"bind: label shapes {label_shapes} do not match label_names {self._label_names}"
            )
        self._output_shapes = self._compute_output_shapes()
        self.binded = True

    def _compute_output_shapes(self):
        raise NotImplementedError()

    def init_optimizer(
        self,
        kvstore="local",
        optimizer="sgd",
        optimizer_params=(("learning_rate", 0.01),),
        force_init=False,
    ):
        """No parameters: nothing to optimise."""
        self.optimizer_initialized = True

    def install_monitor(self, mon):
        raise MXNetNotImplementedError(f"{type(self).__name__} has no executors to monitor")


class PythonLossModule(PythonModule):
    """A loss module: its output is its input (the scores), and ``backward`` sets the input
    gradient to ``grad_func(scores, labels)``.

    >>> loss = mx.mod.PythonLossModule(grad_func=lambda scores, labels: scores - labels)
    """

    def __init__(
        self,
        name="pyloss",
        data_names=("data",),
        label_names=("softmax_label",),
        logger=logging,
        grad_func=None,
    ):
        super().__init__(data_names, label_names, [name + "_output"], logger=logger)
        if len(self._data_names) != 1 or len(self._label_names) != 1:
            raise MXNetValueError("PythonLossModule takes one data and one label input")
        if grad_func is not None and not callable(grad_func):
            raise MXNetValueError("PythonLossModule: grad_func must be callable")
        self._name = name
        self._scores = None
        self._labels = None
        self._scores_grad = None
        self._grad_func = grad_func

    def _compute_output_shapes(self):
        return [(self._name + "_output", self._data_shapes[0][1])]

    def forward(self, data_batch, is_train=None):
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context=True):
        return [self._scores]

    def backward(self, out_grads=None):
        if out_grads is not None:
            raise MXNetValueError("For a loss module, out_grads should be None")
        if not self.for_training:
            raise MXNetValueError("backward: bind with for_training=True first")
        self._backward_impl()

    def _backward_impl(self):
        """Compute the input gradient with ``grad_func`` (subclasses may override)."""
        if self._grad_func is None:
            raise NotImplementedError()
        grad = self._grad_func(self._scores, self._labels)
        self._scores_grad = grad if isinstance(grad, nd.NDArray) else nd.array(grad)

    def get_input_grads(self, merge_multi_context=True):
        return [self._scores_grad]
