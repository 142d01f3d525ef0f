"""``mx.model``: checkpoints (``prefix-symbol.json`` + ``prefix-%04d.params`` with ``arg:`` and
``aux:`` keys, as MXNet 1.9.1 writes them) and the gradient-exchange helpers that Module uses.

>>> import tempfile, os
>>> prefix = os.path.join(tempfile.mkdtemp(), 'net')
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
>>> mx.model.save_checkpoint(prefix, 1, net, {'fc_weight': mx.nd.ones((2, 3))}, {})
>>> sym, args, aux = mx.model.load_checkpoint(prefix, 1)
>>> sorted(args), sym.list_outputs()
(['fc_weight'], ['fc_output'])
"""

from __future__ import annotations

import logging
import os
from collections import namedtuple

import numpy as np

from . import ndarray as nd
from . import symbol as sym
from .base import MXNetTypeError, MXNetValueError
from .context import cpu

__all__ = [
    "BatchEndParam",
    "save_checkpoint",
    "load_checkpoint",
    "load_params",
    "create_kvstore",
    "initialize_kvstore",
    "update_params",
    "update_params_on_kvstore",
]

BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])

# MXNet moves the optimizer off the KVStore when a parameter holds more elements than this.
_BIG_PARAMETER = 1024 * 1024 * 16


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (unless ``symbol`` is None) and ``prefix-%04d.params``.

    Parameters are stored on the CPU under ``arg:<name>`` and ``aux:<name>``; the files
    load in MXNet 1.x (``mx.model.load_checkpoint``, ``Module.load``,
    ``SymbolBlock.imports``).
    """
    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
    arrays = {f"arg:{name}": value.as_in_context(cpu()) for name, value in arg_params.items()}
    arrays.update(
        {f"aux:{name}": value.as_in_context(cpu()) for name, value in (aux_params or {}).items()}
    )
    param_name = f"{prefix}-{epoch:04d}.params"
    nd.save(param_name, arrays)
    logging.info('Saved checkpoint to "%s"', param_name)


def load_params(prefix, epoch):
    """Read ``prefix-%04d.params`` and return ``(arg_params, aux_params)``."""
    path = f"{prefix}-{epoch:04d}.params"
    if not os.path.exists(path):
        raise MXNetValueError(f"load_params: no parameter file {path!r}")
    saved = nd.load(path)
    if not isinstance(saved, dict):
        raise MXNetValueError(f"load_params: {path!r} holds a list of arrays, not named ones")
    arg_params, aux_params = {}, {}
    for key, value in saved.items():
        kind, _, name = key.partition(":")
        if kind == "arg":
            arg_params[name] = value
        elif kind == "aux":
            aux_params[name] = value
    return arg_params, aux_params


def load_checkpoint(prefix, epoch):
    """Read a checkpoint; return ``(symbol, arg_params, aux_params)``.

    The ``arg:``/``aux:`` prefixes are stripped, so the names match the symbol's.
    """
    symbol = sym.load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


# ---- gradient exchange (what Module.init_optimizer and Module.update call) ----------------


def create_kvstore(kvstore, num_device, arg_params):
    """The KVStore to use and whether it runs the optimizer: ``(kvstore or None, bool)``.

    A string names a store type; one device and no 'dist' store needs no store at all.
    """
    from . import kvstore as kvs

    update_on_kvstore = bool(int(os.environ.get("MXNET_UPDATE_ON_KVSTORE", "1")))
    if kvstore is None:
        store = None
    elif isinstance(kvstore, kvs.KVStoreBase):
        store = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            store = None
        else:
            store = kvs.create(kvstore)
            if kvstore == "local" and arg_params:
                largest = max(int(np.prod(value.shape)) for value in arg_params.values())
                if largest > _BIG_PARAMETER:
                    update_on_kvstore = False
    else:
        raise MXNetTypeError("kvstore must be KVStore, str or None")
    if store is None:
        update_on_kvstore = False
    else:
        update_on_kvstore &= bool(store.is_capable(kvs.KVStoreBase.OPTIMIZER))
    return store, update_on_kvstore


def initialize_kvstore(kvstore, param_arrays, arg_params, param_names, update_on_kvstore):
    """Put every parameter into the store (and, if it updates, copy it back to the devices)."""
    for index, arrays in enumerate(param_arrays):
        name = param_names[index]
        kvstore.init(name, arg_params[name])
        if update_on_kvstore:
            kvstore.pull(name, arrays, priority=-index)


def update_params_on_kvstore(param_arrays, grad_arrays, kvstore, param_names):
    """Push each parameter's per-device gradients (the store sums and updates), pull weights."""
    for index, (arrays, grads) in enumerate(zip(param_arrays, grad_arrays)):
        if grads[0] is None:
            continue
        name = param_names[index]
        kvstore.push(name, grads, priority=-index)
        kvstore.pull(name, out=arrays, priority=-index)


def update_params(param_arrays, grad_arrays, updater, num_device, kvstore=None, param_names=None):
    """Sum the gradients across devices (through ``kvstore`` when given), then update each
    device's copy of each parameter with ``updater``.

    Device ``k``'s copy of parameter ``i`` is updated under index ``i * num_device + k``, so
    the optimizer keeps one state per copy, as in MXNet.
    """
    per_device = [[] for _ in range(num_device)]
    for index, (arrays, grads) in enumerate(zip(param_arrays, grad_arrays)):
        if grads[0] is None:
            continue
        if kvstore is not None:
            name = param_names[index]
            kvstore.push(name, grads, priority=-index)
            kvstore.pull(name, out=grads, priority=-index)
        elif len(grads) > 1:
            # NOTE: MXNet without a store updates each copy with its own gradient (the copies
            # drift apart); neomx sums them, which is what data parallelism means.
            total = nd.add_n(*[g.as_in_context(grads[0].context) for g in grads])
            for grad in grads:
                total.copyto(grad)
        for k, (weight, grad) in enumerate(zip(arrays, grads)):
            per_device[k].append((index * num_device + k, grad, weight))
    for updates in per_device:
        if updates:
            indices, grads, weights = zip(*updates)
            updater(list(indices), list(grads), list(weights))
