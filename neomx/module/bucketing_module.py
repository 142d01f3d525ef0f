"""``BucketingModule``: one Module per bucket key (e.g. sequence length), all sharing the
parameters and optimizer of the default bucket's Module.

Each batch names its bucket (``batch.bucket_key``) and shapes (``provide_data``); the
first batch of a new bucket generates its Symbol with ``sym_gen(key)`` and binds it against
the default bucket's arrays, so training any bucket trains the shared weights.
"""

from __future__ import annotations

import logging

import numpy as np

from .. import ndarray as nd
from .. import symbol as sym
from ..base import MXNetError, MXNetValueError
from ..context import cpu
from ..model import load_params
from .base_module import BaseModule, check_input_names
from .module import Module

__all__ = ["BucketingModule"]


class BucketingModule(BaseModule):
    """A module whose network depends on the bucket key of each batch.

    Parameters
    ----------
    sym_gen : callable
        ``sym_gen(bucket_key) -> (symbol, data_names, label_names)``.
    default_bucket_key
        The largest bucket: bound first; the others share its memory and parameters.
    logger, context, work_load_list, fixed_param_names, state_names, group2ctxs,
    compression_params
        As for ``Module``.

    Examples
    --------
    >>> def sym_gen(length):
    ...     data = mx.sym.var('data')
    ...     net = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
    ...     return mx.sym.SoftmaxOutput(net, name='softmax'), ('data',), ('softmax_label',)
    >>> mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=10)
    """

    def __init__(
        self,
        sym_gen,
        default_bucket_key=None,
        logger=logging,
        context=None,
        work_load_list=None,
        fixed_param_names=None,
        state_names=None,
        group2ctxs=None,
        compression_params=None,
    ):
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise MXNetValueError("BucketingModule: default_bucket_key must be given")
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        check_input_names(symbol, list(data_names or []), "data", True)
        check_input_names(symbol, list(label_names or []), "label", False)
        check_input_names(symbol, list(state_names or []), "state", True)
        check_input_names(symbol, list(fixed_param_names or []), "fixed_param", True)
        self._module_args = dict(
            logger=logger,
            context=cpu() if context is None else context,
            work_load_list=work_load_list,
            fixed_param_names=fixed_param_names,
            state_names=state_names,
            group2ctxs=group2ctxs,
            compression_params=compression_params,
        )
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False
        self._monitor = None
        self._grad_req = None

    def _reset_bind(self):
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    def _call_sym_gen(self, bucket_key):
        return self._sym_gen(bucket_key)

    def _new_module(self, bucket_key, symbol=None):
        generated, data_names, label_names = self._call_sym_gen(bucket_key)
        return Module(
            generated if symbol is None else symbol, data_names, label_names, **self._module_args
        )

    # ---- names and shapes ----------------------------------------------------------------

    @property
    def default_bucket_key(self):
        return self._default_bucket_key

    @property
    def data_names(self):
        if self.binded:
            return self._curr_module.data_names
        return list(self._call_sym_gen(self._default_bucket_key)[1])

    @property
    def output_names(self):
        if self.binded:
            return self._curr_module.output_names
        return self._call_sym_gen(self._default_bucket_key)[0].list_outputs()

    @property
    def data_shapes(self):
        self._require_bound("data_shapes")
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        self._require_bound("label_shapes")
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        self._require_bound("output_shapes")
        return self._curr_module.output_shapes

    @property
    def symbol(self):
        self._require_bound("symbol")
        return self._curr_module.symbol

    # ---- parameters ----------------------------------------------------------------------

    def get_params(self):
        self._require_ready("get_params")
        self._curr_module._params_dirty = self._params_dirty
        params = self._curr_module.get_params()
        self._params_dirty = False
        return params

    def set_params(
        self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False
    ):
        self._set_params_copying(arg_params, aux_params, allow_missing, force_init, allow_extra)

    def _copy_params(self, arg_params, aux_params, allow_missing, force_init, allow_extra):
        self._curr_module.set_params(
            arg_params,
            aux_params,
            allow_missing=allow_missing,
            force_init=force_init,
            allow_extra=allow_extra,
        )

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
        self._curr_module.init_params(
            initializer=initializer,
            arg_params=arg_params,
            aux_params=aux_params,
            allow_missing=allow_missing,
            force_init=force_init,
            allow_extra=allow_extra,
        )
        self._params_dirty = False
        self.params_initialized = True

    def get_states(self, merge_multi_context=True):
        self._require_ready("get_states")
        return self._curr_module.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        self._require_ready("set_states")
        self._curr_module.set_states(states, value)

    # ---- binding -------------------------------------------------------------------------

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
        """Bind the default bucket's Module; other buckets bind on first use."""
        saved = None
        if self.params_initialized:
            if self.binded:
                saved = self.get_params()
            elif self._curr_module is not None:  # made by load(): values not yet on devices
                saved = (self._curr_module._arg_params, self._curr_module._aux_params)
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if shared_module is not None:
            raise MXNetValueError("shared_module for BucketingModule is not supported")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        key = self._default_bucket_key
        module = self._buckets.get(key) or self._new_module(key)
        module.params_initialized = False
        module._arg_params = module._aux_params = None
        module.bind(
            data_shapes,
            label_shapes,
            for_training,
            inputs_need_grad,
            force_rebind=False,
            shared_module=None,
            grad_req=grad_req,
        )
        self._curr_module = module
        self._curr_bucket_key = key
        self._buckets = {key: module}
        self.binded = True
        if saved is not None:
            self.params_initialized = False
            module.init_params(initializer=None, arg_params=saved[0], aux_params=saved[1])
            self.params_initialized = True

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Make ``bucket_key`` current, binding its Module (sharing the default bucket's
        parameters) the first time."""
        self._require_bound("switch_bucket")
        if bucket_key not in self._buckets:
            module = self._new_module(bucket_key)
            module.bind(
                data_shapes,
                label_shapes,
                self._curr_module.for_training,
                self._curr_module.inputs_need_grad,
                force_rebind=False,
                shared_module=self._buckets[self._default_bucket_key],
                grad_req=self._grad_req,
            )
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            self._buckets[bucket_key] = module
        self._curr_module = self._buckets[bucket_key]
        self._curr_bucket_key = bucket_key

    def init_optimizer(
        self,
        kvstore="local",
        optimizer="sgd",
        optimizer_params=(("learning_rate", 0.01),),
        force_init=False,
    ):
        if self._skip_init_optimizer(force_init):
            return
        self._curr_module.init_optimizer(
            kvstore, optimizer, optimizer_params, force_init=force_init
        )
        for module in self._buckets.values():
            if module is not self._curr_module:
                module.borrow_optimizer(self._curr_module)
        self.optimizer_initialized = True

    def prepare(self, data_batch, sparse_row_id_fn=None):
        self._require_ready("prepare")
        original = self._curr_bucket_key
        self.switch_bucket(data_batch.bucket_key, data_batch.provide_data, data_batch.provide_label)
        self._curr_module.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)
        self.switch_bucket(original, None, None)

    # ---- computation ---------------------------------------------------------------------

    def forward(self, data_batch, is_train=None):
        self._require_ready("forward")
        key = data_batch.bucket_key
        if key is None:
            key = self._default_bucket_key
        self.switch_bucket(key, data_batch.provide_data, data_batch.provide_label)
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads=None):
        self._require_ready("backward")
        self._curr_module.backward(out_grads=out_grads)

    def update(self):
        self._require_ready("update")
        if not self.optimizer_initialized:
            raise MXNetError("update: call init_optimizer first")
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        self._require_ready("get_outputs")
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._require_ready("get_input_grads")
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._require_ready("update_metric")
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        self._require_bound("install_monitor")
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)

    # ---- checkpoints ---------------------------------------------------------------------

    def save_checkpoint(self, prefix, epoch, remove_amp_cast=False):
        """Write ``prefix-%04d.params``, one ``prefix-<key>-symbol.json`` per bucket and
        ``prefix.buckets`` (the keys, as an int32 array), as MXNet does."""
        if not self._buckets:
            raise MXNetError("Empty BucketingModule cannot be saved")
        self.save_params(f"{prefix}-{epoch:04d}.params")
        for key in self._buckets:
            symbol, _, _ = self._call_sym_gen(key)
            symbol.save(f"{prefix}-{key}-symbol.json", remove_amp_cast=remove_amp_cast)
        nd.save(f"{prefix}.buckets", nd.array(list(self._buckets), dtype=np.int32))

    @staticmethod
    def load(prefix, epoch, sym_gen=None, default_bucket_key=None, **kwargs):
        """A BucketingModule from ``save_checkpoint``'s files; bind it before use."""
        if sym_gen is None or default_bucket_key is None:
            raise MXNetValueError("BucketingModule.load needs sym_gen and default_bucket_key")
        keys = nd.load(f"{prefix}.buckets")[0].asnumpy().astype(np.int32).tolist()
        symbols = {key: sym.load(f"{prefix}-{key}-symbol.json") for key in keys}
        arg_params, aux_params = load_params(prefix, epoch)
        return BucketingModule.load_dict(
            symbols, sym_gen, default_bucket_key, arg_params, aux_params, **kwargs
        )

    @staticmethod
    def load_dict(
        sym_dict=None,
        sym_gen=None,
        default_bucket_key=None,
        arg_params=None,
        aux_params=None,
        **kwargs,
    ):
        """A BucketingModule from ``{bucket_key: Symbol}`` and shared parameters."""
        if sym_dict is None or arg_params is None or aux_params is None:
            raise MXNetValueError(
                "BucketingModule.load_dict needs sym_dict, arg_params and aux_params"
            )
        module = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        for key, symbol in sym_dict.items():
            module._buckets[key] = module._new_module(key, symbol)
        if default_bucket_key not in module._buckets:
            module._buckets[default_bucket_key] = module._new_module(default_bucket_key)
        module._curr_module = module._buckets[default_bucket_key]
        module._curr_module._arg_params = arg_params
        module._curr_module._aux_params = aux_params
        module._curr_module.params_initialized = True
        module.params_initialized = True
        return module
