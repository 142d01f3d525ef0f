"""``BaseModule``: the training loop (``fit``), evaluation (``score``) and prediction
(``predict``, ``iter_predict``) that every module shares, on top of the abstract
bind / init / forward / backward / update interface the subclasses implement.
"""

from __future__ import annotations

import logging
import time
import warnings

from .. import metric as _metric
from .. import ndarray as nd
from ..base import MXNetError, MXNetValueError
from ..context import cpu
from ..initializer import Uniform
from ..io import DataDesc
from ..model import BatchEndParam
from ..ndarray import NDArray

__all__ = ["BaseModule", "check_input_names", "parse_data_desc"]


def _as_list(obj):
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def check_input_names(symbol, names, typename, throw):
    """Check that each of ``names`` is an argument of ``symbol``: raise or warn if not."""
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [
            arg for arg in args if not arg.endswith(("_weight", "_bias", "_gamma", "_beta"))
        ]
        message = (
            f"You created Module with Module(..., {typename}_names={list(names)}) but input "
            f"with name '{name}' is not found in symbol.list_arguments(). Did you mean one of:"
            "\n\t" + "\n\t".join(candidates)
        )
        if throw:
            raise MXNetValueError(message)
        warnings.warn(message, stacklevel=3)


def _check_names_match(data_names, data_shapes, name, throw):
    actual = [desc[0] for desc in data_shapes]
    if sorted(data_names) != sorted(actual):
        message = (
            f"Data provided by {name}_shapes don't match names specified by {name}_names "
            f"({data_shapes} vs. {list(data_names)})"
        )
        if throw:
            raise MXNetValueError(message)
        warnings.warn(message, stacklevel=3)


def parse_data_desc(data_names, label_names, data_shapes, label_shapes):
    """The data and label shapes as DataDesc lists, checked against the expected names."""
    data_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in data_shapes]
    _check_names_match(data_names, data_shapes, "data", True)
    if label_shapes is not None:
        label_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in label_shapes]
        _check_names_match(label_names, label_shapes, "label", False)
    else:
        _check_names_match(label_names, [], "label", False)
    return data_shapes, label_shapes


class BaseModule:
    """The module interface: a network that can be bound, initialised, trained and run.

    A module goes through states: created, ``bind`` (memory for given input shapes),
    ``init_params``, ``init_optimizer``; then ``forward``/``backward``/``update`` train it.
    ``fit``, ``score``, ``predict`` and ``iter_predict`` drive those steps over a DataIter.
    """

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    # ---- high-level API ------------------------------------------------------------------

    def forward_backward(self, data_batch):
        """Run ``forward(is_train=True)`` then ``backward``."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(
        self,
        eval_data,
        eval_metric,
        num_batch=None,
        batch_end_callback=None,
        score_end_callback=None,
        reset=True,
        epoch=0,
        sparse_row_id_fn=None,
    ):
        """Evaluate ``eval_metric`` over ``eval_data``; return its ``[(name, value)]``.

        >>> mod.score(val_iter, ['mse', 'acc'])  # doctest: +SKIP
        """
        self._require_ready("score")
        if reset:
            eval_data.reset()
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            if isinstance(eval_batch, list):
                self.update_metric(eval_metric, [b.label for b in eval_batch], pre_sliced=True)
            else:
                self.update_metric(eval_metric, eval_batch.label)
            if batch_end_callback is not None:
                params = BatchEndParam(epoch, nbatch, eval_metric, locals())
                for callback in _as_list(batch_end_callback):
                    callback(params)
            actual_num_batch += 1
        if score_end_callback:
            params = BatchEndParam(epoch, actual_num_batch, eval_metric, locals())
            for callback in _as_list(score_end_callback):
                callback(params)
        return eval_metric.get_name_value()

    def _unpadded_outputs(self, batch):
        pad = batch.pad or 0
        return [out[0 : out.shape[0] - pad] for out in self.get_outputs()]

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yield ``(outputs, nbatch, batch)`` for each batch, padding removed.

        >>> for outputs, i, batch in mod.iter_predict(val_iter):  # doctest: +SKIP
        ...     pred = outputs[0].argmax(axis=1)
        """
        self._require_ready("iter_predict")
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            yield self._unpadded_outputs(eval_batch), nbatch, eval_batch

    def predict(
        self,
        eval_data,
        num_batch=None,
        merge_batches=True,
        reset=True,
        always_output_list=False,
        sparse_row_id_fn=None,
    ):
        """Run forward over ``eval_data`` (an iterator, or one NDArray/NumPy array) and
        collect the outputs, padding removed.

        With ``merge_batches`` each output is joined over the batches (one NDArray when the
        network has one output, unless ``always_output_list``); otherwise a list per batch.
        """
        self._require_ready("predict")
        if isinstance(eval_data, NDArray) or hasattr(eval_data, "__array_interface__"):
            from ..io import NDArrayIter

            data = eval_data if isinstance(eval_data, NDArray) else nd.array(eval_data)
            size = self.data_shapes[0].shape[0]
            eval_data = NDArrayIter(data, batch_size=size, last_batch_handle="pad")
        if reset:
            eval_data.reset()
        output_list = []
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            output_list.append([out.copy() for out in self._unpadded_outputs(eval_batch)])
        if not output_list:
            return output_list
        if not merge_batches:
            return output_list
        counts = {len(outputs) for outputs in output_list}
        if len(counts) != 1:
            raise MXNetError(
                "Cannot merge batches, as num of outputs is not the same in mini-batches. "
                "Maybe bucketing is used?"
            )
        merged = [nd.concat(*parts, dim=0) for parts in zip(*output_list)]
        if len(merged) == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(
        self,
        train_data,
        eval_data=None,
        eval_metric="acc",
        epoch_end_callback=None,
        batch_end_callback=None,
        kvstore="local",
        optimizer="sgd",
        optimizer_params=(("learning_rate", 0.01),),
        eval_end_callback=None,
        eval_batch_end_callback=None,
        initializer=None,
        arg_params=None,
        aux_params=None,
        allow_missing=False,
        force_rebind=False,
        force_init=False,
        begin_epoch=0,
        num_epoch=None,
        validation_metric=None,
        monitor=None,
        sparse_row_id_fn=None,
    ):
        """Train on ``train_data`` for epochs ``begin_epoch`` .. ``num_epoch - 1``.

        Binds, initialises parameters (``initializer``, default ``Uniform(0.01)``, or
        ``arg_params``/``aux_params``) and the optimizer, then for each batch runs
        forward, backward, update and the metric, calling ``batch_end_callback`` with a
        ``BatchEndParam``; after each epoch it logs ``Epoch[i] Train-<metric>=<value>`` and
        ``Epoch[i] Time cost=<s>``, calls ``epoch_end_callback(epoch, symbol, arg_params,
        aux_params)``, and scores ``eval_data`` if given.

        >>> mod.fit(train_iter, eval_data=val_iter, optimizer='sgd',
        ...         optimizer_params={'learning_rate': 0.1}, num_epoch=10)  # doctest: +SKIP
        """
        if num_epoch is None:
            raise MXNetValueError("fit: please specify number of epochs (num_epoch)")
        if initializer is None:
            initializer = Uniform(0.01)
        self.bind(
            data_shapes=train_data.provide_data,
            label_shapes=train_data.provide_label,
            for_training=True,
            force_rebind=force_rebind,
        )
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(
            initializer=initializer,
            arg_params=arg_params,
            aux_params=aux_params,
            allow_missing=allow_missing,
            force_init=force_init,
        )
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer, optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            eval_name_vals = []
            data_iter = iter(train_data)
            try:
                next_batch = next(data_iter)
            except StopIteration:
                next_batch = None
            nbatch = 0
            while next_batch is not None:
                data_batch = next_batch
                if monitor is not None:
                    monitor.tic()
                self.forward_backward(data_batch)
                self.update()
                if isinstance(data_batch, list):
                    self.update_metric(eval_metric, [b.label for b in data_batch], pre_sliced=True)
                else:
                    self.update_metric(eval_metric, data_batch.label)
                try:
                    next_batch = next(data_iter)
                    self.prepare(next_batch, sparse_row_id_fn=sparse_row_id_fn)
                except StopIteration:
                    next_batch = None
                if monitor is not None:
                    monitor.toc_print()
                if next_batch is None:
                    eval_name_vals = eval_metric.get_global_name_value()
                if batch_end_callback is not None:
                    params = BatchEndParam(epoch, nbatch, eval_metric, locals())
                    for callback in _as_list(batch_end_callback):
                        callback(params)
                nbatch += 1
            for name, value in eval_name_vals:
                self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)
            self.logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)
            # Sync the devices' copies (and the host copies the callbacks see).
            arg_params, aux_params = self.get_params()
            self.set_params(arg_params, aux_params)
            if epoch_end_callback is not None:
                for callback in _as_list(epoch_end_callback):
                    callback(epoch, self.symbol, arg_params, aux_params)
            if eval_data is not None:
                results = self.score(
                    eval_data,
                    validation_metric,
                    score_end_callback=eval_end_callback,
                    batch_end_callback=eval_batch_end_callback,
                    epoch=epoch,
                )
                for name, value in results:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, value)
            train_data.reset()

    def _require_bound(self, what):
        if not self.binded:
            raise MXNetError(f"{what}: call bind first")

    def _require_ready(self, what):
        if not (self.binded and self.params_initialized):
            raise MXNetError(f"{what}: call bind and init_params first")

    def _skip_init_optimizer(self, force_init, message="optimizer already initialized, ignoring."):
        """Check ``init_optimizer`` may run; True (after logging ``message``, as MXNet does)
        when the optimizer is already set up and ``force_init`` is off."""
        self._require_ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning(message)
            return True
        return False

    # ---- symbol and shapes (subclasses provide) -----------------------------------------

    @property
    def symbol(self):
        """The Symbol of this module."""
        return self._symbol

    @property
    def data_names(self):
        raise NotImplementedError()

    @property
    def output_names(self):
        raise NotImplementedError()

    @property
    def data_shapes(self):
        raise NotImplementedError()

    @property
    def label_shapes(self):
        raise NotImplementedError()

    @property
    def output_shapes(self):
        raise NotImplementedError()

    # ---- parameters ----------------------------------------------------------------------

    def get_params(self):
        raise NotImplementedError()

    def init_params(
        self,
        initializer=None,
        arg_params=None,
        aux_params=None,
        allow_missing=False,
        force_init=False,
        allow_extra=False,
    ):
        raise NotImplementedError()

    def set_params(
        self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False
    ):
        """Set the parameters (``init_params`` with the given values)."""
        self.init_params(
            initializer=None,
            arg_params=arg_params,
            aux_params=aux_params,
            allow_missing=allow_missing,
            force_init=force_init,
            allow_extra=allow_extra,
        )

    def _set_params_copying(self, arg_params, aux_params, allow_missing, force_init, allow_extra):
        """``set_params`` of MXNet's Module and BucketingModule: without ``allow_missing`` it
        is ``init_params``; with it, the given values are copied as they are (``_copy_params``)
        and the host copies are left dirty."""
        if not allow_missing:
            BaseModule.set_params(
                self, arg_params, aux_params, allow_missing, force_init, allow_extra
            )
            return
        if self.params_initialized and not force_init:
            warnings.warn(
                "Parameters already initialized and force_init=False. set_params call ignored.",
                stacklevel=3,  # the caller of set_params
            )
            return
        self._copy_params(arg_params, aux_params, allow_missing, force_init, allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def _copy_params(self, arg_params, aux_params, allow_missing, force_init, allow_extra):
        raise NotImplementedError()

    def save_params(self, fname):
        """Save the parameters to ``fname`` with ``arg:``/``aux:`` keys."""
        arg_params, aux_params = self.get_params()
        arrays = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
        arrays.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
        nd.save(fname, arrays)

    def load_params(self, fname):
        """Load parameters saved by ``save_params`` (or a checkpoint's .params file)."""
        arg_params, aux_params = {}, {}
        for key, value in nd.load(fname).items():
            kind, _, name = key.partition(":")
            if kind == "arg":
                arg_params[name] = value
            elif kind == "aux":
                aux_params[name] = value
            else:
                raise MXNetValueError(f"Invalid param file {fname}: key {key!r}")
        self.set_params(arg_params, aux_params)

    def get_states(self, merge_multi_context=True):
        """The state inputs; a module without states returns []."""
        if not (self.binded and self.params_initialized):
            raise MXNetError("get_states: call bind and init_params first")
        return []

    def set_states(self, states=None, value=None):
        """Set the state inputs; a module without states has none to set."""
        if not (self.binded and self.params_initialized):
            raise MXNetError("set_states: call bind and init_params first")

    def install_monitor(self, mon):
        raise NotImplementedError()

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Get ready for ``data_batch`` (nothing to do for dense parameters)."""
        if sparse_row_id_fn is not None:
            warnings.warn(
                "sparse_row_id_fn is not used: parameters are stored densely", stacklevel=2
            )

    # ---- computation (subclasses provide) ------------------------------------------------

    def forward(self, data_batch, is_train=None):
        raise NotImplementedError()

    def backward(self, out_grads=None):
        raise NotImplementedError()

    def get_outputs(self, merge_multi_context=True):
        raise NotImplementedError()

    def get_input_grads(self, merge_multi_context=True):
        raise NotImplementedError()

    def update(self):
        raise NotImplementedError()

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        raise NotImplementedError()

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
        raise NotImplementedError()

    def init_optimizer(
        self,
        kvstore="local",
        optimizer="sgd",
        optimizer_params=(("learning_rate", 0.01),),
        force_init=False,
    ):
        raise NotImplementedError()
