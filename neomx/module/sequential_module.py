"""``SequentialModule``: modules chained so that each one's outputs are the next one's data.

>>> net1 = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc1')
>>> net2 = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2,
...                                                   name='fc2'), name='softmax')
>>> seq = mx.mod.SequentialModule()
>>> seq = seq.add(mx.mod.Module(net1, label_names=None))
>>> seq = seq.add(mx.mod.Module(net2), take_labels=True, auto_wiring=True)
"""

from __future__ import annotations

import copy
import logging

from ..base import MXNetError, MXNetValueError
from .base_module import BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    """A chain of modules, trained together.

    ``add(module, take_labels=False, auto_wiring=False)``: ``take_labels`` gives the
    batch's labels to that module (and its metric); ``auto_wiring`` renames the previous
    module's outputs to this module's data names.
    """

    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger=logging):
        super().__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module, **kwargs):
        """Append ``module``; return self (so calls chain). Binding starts over."""
        for key in kwargs:
            if key not in self._meta_keys:
                raise MXNetValueError(f"Unknown meta '{key}', a typo?")
        self._modules.append(module)
        self._metas.append(kwargs)
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    @property
    def data_names(self):
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self):
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        self._require_bound("data_shapes")
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        self._require_bound("label_shapes")
        return self._label_shapes

    @property
    def output_shapes(self):
        self._require_bound("output_shapes")
        return self._modules[-1].output_shapes

    def get_params(self):
        """All modules' parameters in one pair of dicts."""
        self._require_ready("get_params")
        arg_params, aux_params = {}, {}
        for module in self._modules:
            args, auxs = module.get_params()
            arg_params.update(args)
            aux_params.update(auxs)
        return arg_params, aux_params

    def init_params(
        self,
        initializer=None,
        arg_params=None,
        aux_params=None,
        allow_missing=False,
        force_init=False,
        allow_extra=False,
    ):
        if self.params_initialized and not force_init:
            return
        self._require_bound("init_params")
        for module in self._modules:
            module.init_params(
                initializer=initializer,
                arg_params=arg_params,
                aux_params=aux_params,
                allow_missing=allow_missing,
                force_init=force_init,
                allow_extra=True,
            )
        # Two modules with a parameter of the same name would silently fight over it.
        owners = {}
        for i, module in enumerate(self._modules):
            args, auxs = module.get_params()
            for name in list(args) + list(auxs):
                if name in owners:
                    raise MXNetValueError(
                        f'Duplicated parameter names: name "{name}" in layer {i} '
                        f"({type(module).__name__}) is already used in layer {owners[name]}"
                    )
                owners[name] = i
        self.params_initialized = True

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
        """Bind each module to the previous one's output shapes."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if inputs_need_grad and not for_training:
            raise MXNetValueError("bind: inputs_need_grad needs for_training=True")
        if shared_module is not None:
            raise MXNetValueError("Shared module is not supported")
        if not self._modules:
            raise MXNetValueError("Attempting to bind an empty SequentialModule")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._label_shapes = label_shapes
        shapes = data_shapes
        needs_labels = False
        for i, (module, meta) in enumerate(zip(self._modules, self._metas)):
            labels = None
            if meta.get(self.META_TAKE_LABELS, False):
                labels = label_shapes
                needs_labels = True
            if meta.get(self.META_AUTO_WIRING, False):
                names = module.data_names
                if len(names) != len(shapes):
                    raise MXNetValueError(
                        f"auto_wiring: module {i} takes {len(names)} inputs; the previous one "
                        f"gives {len(shapes)}"
                    )
                shapes = [(name, desc[1]) for name, desc in zip(names, shapes)]
            module.bind(
                data_shapes=shapes,
                label_shapes=labels,
                for_training=for_training,
                inputs_need_grad=bool(inputs_need_grad or (for_training and i > 0)),
                force_rebind=force_rebind,
                shared_module=None,
                grad_req=grad_req,
            )
            shapes = module.output_shapes
        if not needs_labels:
            self._label_shapes = None
        self.binded = True

    def init_optimizer(
        self,
        kvstore="local",
        optimizer="sgd",
        optimizer_params=(("learning_rate", 0.01),),
        force_init=False,
    ):
        if self._skip_init_optimizer(force_init):
            return
        for module in self._modules:
            module.init_optimizer(
                kvstore=kvstore,
                optimizer=optimizer,
                optimizer_params=optimizer_params,
                force_init=force_init,
            )
        self.optimizer_initialized = True

    def forward(self, data_batch, is_train=None):
        self._require_ready("forward")
        batch = copy.copy(data_batch)
        for i, module in enumerate(self._modules):
            module.forward(batch, is_train=is_train)
            if i + 1 == len(self._modules):
                break
            batch.data = module.get_outputs()
            if getattr(batch, "provide_data", None) is not None:
                names = [shape[0] for shape in module.output_shapes]
                batch.provide_data = [(n, x.shape) for n, x in zip(names, batch.data)]

    def backward(self, out_grads=None):
        self._require_ready("backward")
        for i in reversed(range(len(self._modules))):
            module = self._modules[i]
            module.backward(out_grads=out_grads)
            if i == 0:
                break
            out_grads = module.get_input_grads()

    def update(self):
        self._require_ready("update")
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        self._require_ready("get_outputs")
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._require_ready("get_input_grads")
        if not self.inputs_need_grad:
            raise MXNetError("get_input_grads: bind with inputs_need_grad=True first")
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._require_ready("update_metric")
        for meta, module in zip(self._metas, self._modules):
            if meta.get(self.META_TAKE_LABELS, False):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        self._require_bound("install_monitor")
        for module in self._modules:
            module.install_monitor(mon)
