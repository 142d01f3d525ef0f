"""``Module``: a Symbol trained with the Executor, data parallel over a list of devices.

>>> data = mx.sym.var('data')
>>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=2, name='fc'),
...                            name='softmax')
>>> mod = mx.mod.Module(net, context=[mx.cpu(0), mx.cpu(1)])
>>> mod.bind(data_shapes=[('data', (4, 3))], label_shapes=[('softmax_label', (4,))])
>>> mod.init_params()
>>> mod.output_shapes
[('softmax_output', (4, 2))]
"""

from __future__ import annotations

import logging
import os
import warnings

from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError, MXNetValueError
from ..context import Context, cpu
from ..initializer import InitDesc, Uniform
from ..io import DataDesc
from ..model import (
    create_kvstore,
    initialize_kvstore,
    load_checkpoint,
    update_params,
    update_params_on_kvstore,
)
from .base_module import BaseModule, check_input_names, parse_data_desc
from .executor_group import DataParallelExecutorGroup
from .setup import group2ctxs_per_device, make_optimizer, with_batch

__all__ = ["Module"]


class Module(BaseModule):
    """Train and run a Symbol.

    Parameters
    ----------
    symbol : Symbol
        The network (usually ending in a loss layer such as ``SoftmaxOutput``).
    data_names, label_names : sequence of str
        Its data and label inputs; every other argument is a parameter.
    logger : logging.Logger
    context : Context or list of Context
        With several, each batch is split across them (data parallelism).
    work_load_list : list of float, optional
        The share of each batch each context gets (default equal).
    fixed_param_names : list of str, optional
        Parameters that are not trained.
    state_names : list of str, optional
        Inputs that hold state between batches (set with ``set_states``).
    group2ctxs : dict or list of dict, optional
        ``ctx_group`` attribute -> Context for model parallelism, per device.
    compression_params : dict, optional
        Gradient compression for the KVStore.
    """

    def __init__(
        self,
        symbol,
        data_names=("data",),
        label_names=("softmax_label",),
        logger=logging,
        context=None,
        work_load_list=None,
        fixed_param_names=None,
        state_names=None,
        group2ctxs=None,
        compression_params=None,
    ):
        super().__init__(logger=logger)
        if context is None:
            context = cpu()
        if isinstance(context, Context):
            context = [context]
        self._context = list(context)
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        if len(work_load_list) != len(self._context):
            raise MXNetValueError(
                f"work_load_list has {len(work_load_list)} entries for "
                f"{len(self._context)} contexts"
            )
        self._work_load_list = list(work_load_list)
        self._group2ctxs = group2ctxs_per_device(group2ctxs, len(self._context))
        self._symbol = symbol
        self._data_names = list(data_names or [])
        self._label_names = list(label_names or [])
        self._state_names = list(state_names or [])
        self._fixed_param_names = list(fixed_param_names or [])
        check_input_names(symbol, self._data_names, "data", True)
        check_input_names(symbol, self._label_names, "label", False)
        check_input_names(symbol, self._state_names, "state", True)
        check_input_names(symbol, self._fixed_param_names, "fixed_param", True)
        inputs = set(self._data_names + self._label_names + self._state_names)
        self._param_names = [name for name in symbol.list_arguments() if name not in inputs]
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._compression_params = compression_params
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = None
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # ---- checkpoints ---------------------------------------------------------------------

    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module made from a checkpoint (``prefix-symbol.json``, ``prefix-%04d.params``);
        ``kwargs`` go to the constructor. Bind it before use; its parameters are set then."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        mod = Module(symbol=symbol, **kwargs)
        mod._arg_params = arg_params
        mod._aux_params = aux_params
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = f"{prefix}-{epoch:04d}.states"
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` (and ``.states``)."""
        self._symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
        param_name = f"{prefix}-{epoch:04d}.params"
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = f"{prefix}-{epoch:04d}.states"
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # ---- names and shapes ----------------------------------------------------------------

    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    @property
    def data_names(self):
        return self._data_names

    @property
    def label_names(self):
        return self._label_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        self._require_bound("data_shapes")
        return self._data_shapes

    @property
    def label_shapes(self):
        self._require_bound("label_shapes")
        return self._label_shapes

    @property
    def output_shapes(self):
        self._require_bound("output_shapes")
        return self._exec_group.get_output_shapes()

    # ---- parameters ----------------------------------------------------------------------

    def get_params(self):
        """``(arg_params, aux_params)`` on the CPU, averaged over the devices."""
        self._require_ready("get_params")
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(
        self,
        initializer=None,
        arg_params=None,
        aux_params=None,
        allow_missing=False,
        force_init=False,
        allow_extra=False,
    ):
        """Initialise the parameters: values from ``arg_params``/``aux_params`` where given,
        else from ``initializer`` (default ``Uniform(0.01)``; missing values are an error
        unless ``allow_missing``). Parameters are visited in sorted name order."""
        if self.params_initialized and not force_init:
            warnings.warn(
                "Parameters already initialized and force_init=False. init_params call ignored.",
                stacklevel=2,
            )
            return
        self._require_bound("init_params")
        if initializer is None and arg_params is None and aux_params is None:
            initializer = Uniform(0.01)

        def fill(desc, array, given):
            if given is not None and desc in given:
                source = given[desc]
                if source is not array:
                    source.astype(array.dtype).copyto(array)
            elif given is not None and not allow_missing:
                raise MXNetValueError(f"{desc} is not presented")
            elif initializer is not None:
                initializer(desc, array)

        attrs = self._symbol.attr_dict()
        for name, array in sorted(self._arg_params.items()):
            fill(InitDesc(name, attrs.get(name)), array, arg_params)
        for name, array in sorted(self._aux_params.items()):
            fill(InitDesc(name, attrs.get(name)), array, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def set_params(
        self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False
    ):
        """Copy the given parameters into the module (and every device)."""
        self._set_params_copying(arg_params, aux_params, allow_missing, force_init, allow_extra)

    def _copy_params(self, arg_params, aux_params, allow_missing, force_init, allow_extra):
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

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
        """Allocate executors for inputs of these shapes (lists of DataDesc or (name,
        shape)). ``shared_module`` lends its parameters (and optimizer)."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if not for_training and inputs_need_grad:
            raise MXNetValueError("bind: inputs_need_grad needs for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes
        )
        shared_group = None
        if shared_module is not None:
            if not (
                isinstance(shared_module, Module)
                and shared_module.binded
                and shared_module.params_initialized
            ):
                raise MXNetValueError("bind: shared_module must be a bound, initialised Module")
            shared_group = shared_module._exec_group
            if len(shared_group.execs) < len(self._context):
                raise MXNetValueError("bind: shared_module has fewer devices than this module")
        self._exec_group = DataParallelExecutorGroup(
            self._symbol,
            self._context,
            self._work_load_list,
            self._data_shapes,
            self._label_shapes,
            self._param_names,
            for_training,
            inputs_need_grad,
            shared_group,
            logger=self.logger,
            fixed_param_names=self._fixed_param_names,
            grad_req=grad_req,
            group2ctxs=self._group2ctxs,
            state_names=self._state_names,
        )
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # Re-binding (or a loaded checkpoint): put the known values on the devices.
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            group = self._exec_group
            self._arg_params = {
                name: nd.zeros(arrays[0].shape, dtype=arrays[0].dtype)
                for name, arrays in zip(self._param_names, group.param_arrays)
            }
            self._aux_params = {
                name: nd.zeros(arrays[0].shape, dtype=arrays[0].dtype)
                for name, arrays in zip(self._aux_names, group.aux_arrays)
            }
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Re-shape the executors for new input shapes (parameters are kept)."""
        self._require_bound("reshape")
        self._data_shapes, self._label_shapes = parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes
        )
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # ---- optimizer -----------------------------------------------------------------------

    def init_optimizer(
        self,
        kvstore="local",
        optimizer="sgd",
        optimizer_params=(("learning_rate", 0.01),),
        force_init=False,
    ):
        """Set up the optimizer (a name with ``optimizer_params``, or an Optimizer) and the
        KVStore that sums gradients across devices; ``rescale_grad`` defaults to
        ``1 / batch_size``."""
        if self._skip_init_optimizer(force_init, "optimizer already initialized, ignoring..."):
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        kvstore, update_on_kvstore = create_kvstore(kvstore, len(self._context), self._arg_params)
        batch_size = self._exec_group.batch_size
        if kvstore is not None and "dist" in kvstore.type and "_sync" in kvstore.type:
            batch_size *= kvstore.num_workers
        optimizer = make_optimizer(
            optimizer,
            optimizer_params,
            self.symbol,
            self._exec_group.param_names,
            len(self._context),
            batch_size,
            update_on_kvstore,
        )
        self._optimizer = optimizer
        self._kvstore = kvstore
        self._update_on_kvstore = update_on_kvstore
        self._updater = None
        if kvstore is not None:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            initialize_kvstore(
                kvstore,
                self._exec_group.param_arrays,
                self._arg_params,
                self._param_names,
                update_on_kvstore,
            )
        if not update_on_kvstore:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use ``shared_module``'s optimizer, KVStore and updater."""
        if not shared_module.optimizer_initialized:
            raise MXNetValueError("borrow_optimizer: the shared module has no optimizer yet")
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname):
        """Write the optimizer states (a pickle, as MXNet writes it) to ``fname``."""
        if not self.optimizer_initialized:
            raise MXNetError("save_optimizer_states: call init_optimizer first")
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
            return
        tmp = f"{fname}.tmp{os.getpid()}"
        with open(tmp, "wb") as handle:
            handle.write(self._updater.get_states())
        os.replace(tmp, fname)

    def load_optimizer_states(self, fname):
        """Read optimizer states written by ``save_optimizer_states`` (no code is run)."""
        if not self.optimizer_initialized:
            raise MXNetError("load_optimizer_states: call init_optimizer first")
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            return
        with open(fname, "rb") as handle:
            self._updater.set_states(handle.read())

    # ---- computation ---------------------------------------------------------------------

    def forward(self, data_batch, is_train=None):
        """Run forward on ``data_batch``; a batch of other shapes re-shapes the module."""
        self._require_ready("forward")
        current = tuple(tuple(d.shape) for d in self._data_shapes)
        if isinstance(data_batch, list):
            first = data_batch[0].data
            new = tuple(
                tuple([sum(b.data[i].shape[0] for b in data_batch)] + list(d.shape[1:]))
                for i, d in enumerate(first)
            )
        else:
            new = tuple(tuple(d.shape) for d in data_batch.data)
        if current != new:
            if getattr(data_batch, "provide_data", None):
                data_shapes = data_batch.provide_data
            else:
                data_shapes = [
                    DataDesc(d.name, shape, d.dtype, d.layout)
                    for d, shape in zip(self._data_shapes, new)
                ]
            if getattr(data_batch, "provide_label", None):
                label_shapes = data_batch.provide_label
            elif getattr(data_batch, "label", None) and self._label_shapes:
                label_shapes = [
                    DataDesc(d.name, label.shape, d.dtype, d.layout)
                    for d, label in zip(self._label_shapes, data_batch.label)
                ]
            elif self._label_shapes:
                # A batch without labels (prediction): keep the labels, resized to the batch.
                size = new[0][DataDesc.get_batch_axis(self._data_shapes[0].layout)]
                label_shapes = [with_batch(d, size) for d in self._label_shapes]
            else:
                label_shapes = None
            self.reshape(data_shapes, label_shapes)
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        """Run backward (``out_grads``: gradients of the outputs, unless they are losses)."""
        self._require_ready("backward")
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """Update the parameters from the gradients of the last backward."""
        self._require_ready("update")
        if not self.optimizer_initialized:
            raise MXNetError("update: call init_optimizer first")
        self._params_dirty = True
        group = self._exec_group
        if self._update_on_kvstore:
            update_params_on_kvstore(
                group.param_arrays, group.grad_arrays, self._kvstore, group.param_names
            )
        else:
            update_params(
                group.param_arrays,
                group.grad_arrays,
                self._updater,
                len(self._context),
                self._kvstore,
                group.param_names,
            )

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward (joined across devices unless asked not to)."""
        self._require_ready("get_outputs")
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._require_ready("get_input_grads")
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context=True):
        self._require_ready("get_states")
        return self._exec_group.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        self._require_ready("set_states")
        self._exec_group.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with the last outputs and ``labels``."""
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install ``mon`` on every executor."""
        self._require_bound("install_monitor")
        self._exec_group.install_monitor(mon)
