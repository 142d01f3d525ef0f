"""``gluon.Trainer``: applies an optimizer to a set of Parameters after ``backward``.

With Parameters on several devices the Trainer keeps their copies in sync through a KVStore:
the gradients of all copies are summed, and either the store updates the weights once and
copies them back to every device (``update_on_kvstore``), or every device applies the same
update to its own copy with the summed gradient.
"""

from __future__ import annotations

import weakref

from .. import kvstore as kvs
from .. import optimizer as opt
from ..base import MXNetError, MXNetValueError, env_flag
from ..ndarray.serialization import _write_atomically
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer"]

# MXNet's local store stops updating on the store for parameters this big (elements).
_BIG_PARAMETER = 1024 * 1024 * 16


def _create_kvstore(kvstore, num_device, arrays):
    """The store to use and whether the weights are updated on it (MXNet's rules)."""
    update_on_kvstore = bool(int(env_flag("MXNET_UPDATE_ON_KVSTORE", "1")))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, kvs.KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            # One device on one machine: nothing to reduce.
            kv = None
        else:
            kv = kvs.create(kvstore)
            if kvstore == "local" and max(a.size for a in arrays) > _BIG_PARAMETER:
                update_on_kvstore = False
    else:
        raise MXNetValueError(
            f"Trainer: kvstore must be a KVStore, a str or None, got {type(kvstore).__name__}"
        )
    if kv is None:
        return None, False
    return kv, update_on_kvstore and kv.is_capable(kvs.KVStoreBase.OPTIMIZER)


class _GradWrites:
    """Which gradient arrays were written (by ``backward``) since the Trainer used them.

    MXNet keeps a "fresh gradient" flag that its backward sets. Here every in-place write
    of an array that has a write counter (``NDArray._version``) bumps the counter, backward's
    included, so the Trainer gives each gradient array a counter and compares it with the
    value it saw last; writes of its own are absorbed. The first time it meets an array it
    cannot know what came before, so a buffer still all zeros (as allocated) counts as not
    written and any other as written.
    """

    def __init__(self):
        # id(array) -> [weakref to it, counter value seen, fresh (None: unknown)]
        self._entries = {}

    def _entry(self, grad):
        entry = self._entries.get(id(grad))
        if entry is None or entry[0]() is not grad:
            if grad._version is None:
                grad._version = [0]
            entry = self._entries[id(grad)] = [weakref.ref(grad), grad._version[0], None]
        return entry

    def watch(self, grad):
        """Start following ``grad`` (before the backward passes it should see)."""
        self._entry(grad)

    def is_fresh(self, grad) -> bool:
        """Whether ``grad`` was written since it was last consumed."""
        entry = self._entry(grad)
        count = grad._version[0]
        if count != entry[1]:
            entry[1], entry[2] = count, True
        elif entry[2] is None:
            entry[2] = bool(grad.asnumpy().any())
        return entry[2]

    def absorb(self, grad):
        """Forget a write the Trainer itself just made (summing across devices)."""
        entry = self._entry(grad)
        entry[1] = grad._version[0]

    def consume(self, grad):
        """Mark ``grad`` as used by an update."""
        self._entry(grad)[2] = False


class Trainer:
    """Apply an optimizer to a set of Parameters; call ``step`` after ``backward``.

    Parameters
    ----------
    params : ParameterDict, dict or list of Parameter
        The Parameters to update (a dict is taken in sorted key order).
    optimizer : str or Optimizer
        The optimizer, or the registered name of one.
    optimizer_params : dict, optional
        Arguments of the optimizer (``learning_rate``, ``wd``, ``momentum``, ...) when it is
        given by name.
    kvstore : str or KVStore or None, default 'device'
        How copies on several devices are kept in sync (ignored on one device).
    compression_params : dict, optional
        Gradient compression for the store, e.g. ``{'type': '2bit', 'threshold': 0.5}``.
    update_on_kvstore : bool, optional
        Update the weights on the store (True) or on every device (False); by default the
        store does it when it can (``MXNET_UPDATE_ON_KVSTORE`` says otherwise).

    Examples
    --------
    >>> net = mx.gluon.nn.Dense(1, in_units=2)
    >>> net.initialize(mx.init.One())
    >>> trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    >>> with mx.autograd.record():
    ...     loss = net(mx.nd.ones((4, 2))).sum()
    >>> loss.backward()
    >>> trainer.step(4)
    >>> net.weight.data().asnumpy()
    array([[0.9, 0.9]], dtype=float32)
    """

    def __init__(
        self,
        params,
        optimizer,
        optimizer_params=None,
        kvstore="device",
        compression_params=None,
        update_on_kvstore=None,
    ):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise MXNetValueError(
                f"First argument must be a list or dict of Parameters, got {type(params)}."
            )
        self._params = []
        self._param2idx = {}
        self._contains_sparse_weight = False
        self._contains_sparse_grad = False
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise MXNetValueError(
                    "First argument must be a list or dict of Parameters, got list of "
                    f"{type(param)}."
                )
            self._param2idx[param.name] = i
            self._params.append(param)
            param._set_trainer(self)
            if param._stype != "default":
                self._contains_sparse_weight = True
            if param._grad_stype != "default":
                self._contains_sparse_grad = True
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._distributed = None
        self._params_to_init = []
        self._grad_writes = _GradWrites()
        self._watch_grads()
        self._reset_kvstore()

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            if contexts is not None and contexts != ctx:
                raise MXNetValueError(
                    "All Parameters must be initialized on the same set of contexts, but "
                    f"Parameter {param.name} is initialized on {ctx} while previous "
                    f"Parameters are initialized on {contexts}."
                )
            contexts = ctx
        return contexts

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise MXNetValueError(
                    "optimizer_params must be None if optimizer is an instance of Optimizer "
                    "instead of str"
                )
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    def _watch_grads(self):
        for param in self._params:
            if param.grad_req != "null" and param._grad is not None:
                for grad in param._grad:
                    self._grad_writes.watch(grad)

    # ---- the KVStore ---------------------------------------------------------------------
    def _init_params(self):
        """Put the initialised Parameters into the store (deferred ones wait)."""
        if not self._kv_initialized:
            raise MXNetError("Cannot initialize parameters in KVStore when KVStore is not set up.")
        waiting = []
        if self._kvstore:
            for param in self._params_to_init:
                if param._deferred_init:
                    waiting.append(param)
                    continue
                arrays = param._check_and_get(param._data, list)
                idx = self._param2idx[param.name]
                if param._stype != "default":
                    self._kvstore.init(idx, arrays[0])
                else:
                    self._kvstore.broadcast(idx, arrays[0], arrays)
        self._params_to_init = waiting

    def _reset_kvstore(self):
        """Forget the store; the next step makes a new one (after ``set_data``, say)."""
        if self._kvstore and "dist" in self._kvstore.type:
            raise MXNetError("Cannot reset distributed KVStore.")
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        config = self._kvstore_params
        arrays = [param.data(self._contexts[0]) for param in self._params]
        kvstore, update_on_kvstore = _create_kvstore(config["kvstore"], len(self._contexts), arrays)
        self._distributed = "dist" in kvstore.type if kvstore else False
        if self._contains_sparse_weight:
            # MXNet updates row-sparse weights on the store only.
            if config["update_on_kvstore"] is False:
                raise MXNetValueError(
                    "Cannot set update_on_kvstore=False when sparse weights are present."
                )
            update_on_kvstore = kvstore is not None
        elif self._contains_sparse_grad:
            update_on_kvstore = self._distributed
            if config["update_on_kvstore"] is not None:
                if config["update_on_kvstore"] is False and self._distributed:
                    raise MXNetValueError(
                        "Cannot set update_on_kvstore=False on dist kvstore when sparse "
                        "gradients are present."
                    )
                update_on_kvstore = config["update_on_kvstore"]
        else:
            if self._distributed and "async" in kvstore.type:
                update_on_kvstore = True
                if config["update_on_kvstore"] is False:
                    raise MXNetValueError(
                        "Please set update_on_kvstore=True when training in async mode."
                    )
            if config["update_on_kvstore"] is not None:
                update_on_kvstore = config["update_on_kvstore"]
            if update_on_kvstore and kvstore is not None and not kvstore.is_capable("optimizer"):
                if config["update_on_kvstore"]:
                    raise MXNetValueError(
                        f"Please set update_on_kvstore=False when training with {type(kvstore)}"
                    )
                update_on_kvstore = False
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._kvstore = kvstore
            self._update_on_kvstore = update_on_kvstore
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def _prepare(self):
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    # ---- learning rate -------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The optimizer's current learning rate."""
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning(
                "Optimizer has to be defined before its learning rate can be accessed."
            )
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        """The Optimizer the Trainer applies."""
        if isinstance(self._optimizer, opt.Optimizer):
            return self._optimizer
        raise UserWarning("Optimizer has not been initialized yet")

    def set_learning_rate(self, lr):
        """Set the optimizer's learning rate (not allowed with an LR scheduler)."""
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its learning rate is mutated.")
        self._optimizer.set_learning_rate(lr)

    # ---- training ------------------------------------------------------------------------
    def _check_and_rescale_grad(self, scale):
        if self._update_on_kvstore and self._distributed and self._kv_initialized:
            if self._optimizer.rescale_grad != scale:
                raise UserWarning(
                    "Possible change in the `batch_size` from previous `step` detected. "
                    "Optimizer gradient normalizing factor will not change w.r.t new "
                    "batch_size when update_on_kvstore=True and when distributed kvstore is "
                    "used."
                )
        self._optimizer.rescale_grad = scale

    def step(self, batch_size, ignore_stale_grad=False):
        """Make one update of the Parameters, with gradients scaled by ``1 / batch_size``.

        Call it after ``backward`` and outside ``autograd.record()``; it is
        ``allreduce_grads()`` followed by ``update()``. With ``ignore_stale_grad`` the
        Parameters that backward did not reach since the last step are left alone instead
        of raising an error.
        """
        self._check_and_rescale_grad(self._scale / batch_size)
        self._prepare()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum the gradients of each Parameter over its devices (into every copy).

        For transforming the summed gradients (clipping, say) before ``update``; not
        available when the store updates the weights (``update_on_kvstore=True``).
        """
        self._prepare()
        if self._kvstore and self._update_on_kvstore:
            raise MXNetError(
                "allreduce_grads() when parameters are updated on kvstore is not supported. "
                "Try setting `update_on_kvstore` to False when creating trainer."
            )
        self._allreduce_grads()

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            if self._update_on_kvstore:
                self._kvstore.pushpull(i, grads, out=param.list_data(), priority=-i)
                continue
            # The sum overwrites the gradients: settle their freshness first, and do not
            # count this write as backward's.
            for grad in grads:
                self._grad_writes.is_fresh(grad)
            self._kvstore.pushpull(i, grads, priority=-i)
            for grad in grads:
                self._grad_writes.absorb(grad)

    def update(self, batch_size, ignore_stale_grad=False):
        """Apply the optimizer with gradients scaled by ``1 / batch_size`` (after
        ``allreduce_grads``); not available with ``update_on_kvstore=True``."""
        self._prepare()
        if self._kvstore and self._update_on_kvstore:
            raise MXNetError(
                "update() when parameters are updated on kvstore is not supported. Try "
                "setting `update_on_kvstore` to False when creating trainer."
            )
        self._check_and_rescale_grad(self._scale / batch_size)
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad=False):
        loss_scaler = getattr(self, "_amp_loss_scaler", None)
        if loss_scaler is not None and loss_scaler.has_overflow(self._params):
            return
        updates = [[] for _ in self._updaters]
        writes = self._grad_writes
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            if not ignore_stale_grad:
                for data, grad in zip(param.list_data(), grads):
                    if not writes.is_fresh(grad):
                        raise UserWarning(
                            f"Gradient of Parameter `{param.name}` on context {data.context} "
                            "has not been updated by backward since last `step`. This could "
                            "mean a bug in your model that made it only use a subset of the "
                            "Parameters (Blocks) for this iteration. If you are intentionally "
                            "only using a subset, call step with ignore_stale_grad=True to "
                            "suppress this warning and skip updating of Parameters with stale "
                            "gradient"
                        )
            if self._kvstore and self._update_on_kvstore:
                # NOTE: as in MXNet, the store already updated every weight, and gradients
                # stay "fresh" from then on.
                continue
            for pending, data, grad in zip(updates, param.list_data(), grads):
                if not ignore_stale_grad or writes.is_fresh(grad):
                    pending.append((i, grad, data))
                    writes.consume(grad)
        if self._kvstore and self._update_on_kvstore:
            return
        for updater, pending in zip(self._updaters, updates):
            if pending:
                indices, grads, weights = zip(*pending)
                updater(list(indices), list(grads), list(weights))

    # ---- states --------------------------------------------------------------------------
    def save_states(self, fname):
        """Write the optimizer and its states (momentum, ...) to ``fname`` (MXNet's
        Updater pickle); Parameter ``lr_mult``/``wd_mult`` are not saved."""
        self._prepare()
        if self._update_on_kvstore:
            if self._params_to_init:
                raise MXNetError(
                    "Cannot save trainer states when some parameters are not yet initialized "
                    "in kvstore."
                )
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
        else:
            _write_atomically(str(fname), [self._updaters[0].get_states(dump_optimizer=True)])

    def load_states(self, fname):
        """Read states written by ``save_states`` (by neomx or MXNet 1.9.1). Only arrays,
        numbers, containers, optimizers and LR schedulers are loaded; no code runs."""
        self._prepare()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, "rb") as stream:
                states = stream.read()
            for updater in self._updaters:
                updater.set_states(states)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
