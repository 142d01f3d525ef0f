"""The Updater (what a KVStore or Trainer calls to apply an optimizer) and the loading of its
pickled states.

``get_states`` pickles the states (and the optimizer) as MXNet 1.9.1 does. ``set_states``
reads those bytes, or MXNet's own, with an unpickler that builds nothing but NDArrays, NumPy
values, plain containers, optimizers and LR schedulers: loading never runs other code.
"""

from __future__ import annotations

import io
import pickle
import sys

from ..base import MXNetValueError
from ..ndarray import NDArray
from ..ndarray.serialization import array_from_record
from .optimizer import Optimizer

__all__ = ["Updater", "get_updater", "StatesError"]


class StatesError(MXNetValueError, pickle.UnpicklingError):
    """Optimizer states that cannot be loaded: unreadable, or naming code to run."""


class Updater:
    """Apply an optimizer to parameters by index, keeping one state per index.

    ``updater(index, grad, weight)`` creates the state on first use and updates ``weight``
    in place; ``index``, ``grad`` and ``weight`` may be lists. Optimizers with an
    ``aggregate_num`` (SGD, LARS, LAMB) get the parameters of one dtype in groups of that
    size, for their multi-tensor operators.

    Examples
    --------
    >>> updater = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1))
    >>> weight = mx.nd.ones((2,))
    >>> updater(0, mx.nd.ones((2,)), weight)
    >>> weight
    <BLANKLINE>
    [0.9 0.9]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        if not isinstance(index, (list, tuple)):
            indices, grads, weights = [index], [grad], [weight]
        else:
            indices, grads, weights = list(index), list(grad), list(weight)
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        if not self.aggregate_updates:
            for i, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(i, w, g, self.states[i])
            return
        # One group per dtype (a fused call takes one dtype), in order of first appearance.
        groups = {}
        for i, w, g in zip(indices, weights, grads):
            groups.setdefault(w.dtype, []).append((i, w, g))
        size = self.optimizer.aggregate_num
        for members in groups.values():
            group_indices, group_weights, group_grads = zip(*members)
            for start in range(0, len(group_indices), size):
                chunk = slice(start, start + size)
                states = [self.states[i] for i in group_indices[chunk]]
                self.optimizer.update_multi_precision(
                    group_indices[chunk], group_weights[chunk], group_grads[chunk], states
                )

    def sync_state_context(self, state, context):
        """Return ``state`` with its arrays on ``context``."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(item, context) for item in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states):
        """Load states saved by ``get_states`` (from neomx or MXNet 1.9.1)."""
        loaded = loads(states)
        optimizer = self.optimizer
        if isinstance(loaded, tuple) and len(loaded) == 2:
            loaded, optimizer = loaded
        if not isinstance(loaded, dict) or not isinstance(optimizer, Optimizer):
            raise StatesError(
                "set_states: expected a dict of states by index (and an optimizer), got "
                f"{type(loaded).__name__}"
            )
        self.states, self.optimizer = loaded, optimizer
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """Return the states as bytes; with ``dump_optimizer`` the optimizer too (its learning
        rate, schedule and update counts)."""
        return pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer):
    """Return an ``Updater`` for ``optimizer``."""
    return Updater(optimizer)


# ---- restricted loading ------------------------------------------------------------------
_BUILTINS = {"bytearray", "set", "frozenset", "complex", "slice", "object"}
_NUMPY_MODULES = {"numpy", "numpy.core.multiarray", "numpy._core.multiarray"}
_NUMPY_NAMES = {"dtype", "ndarray", "scalar", "_reconstruct"}


class _MXNetArray:
    """What an NDArray pickled by MXNet unpickles to at first: its record bytes, turned into
    an NDArray once loading is done."""

    handle = None

    def __new__(cls, *args, **kwargs):
        # MXNet's NDArray is rebuilt with its constructor arguments (a handle); ignore them.
        return super().__new__(cls)

    def __setstate__(self, state):
        self.handle = state.get("handle") if isinstance(state, dict) else None


def _subclass_in(module_name, name, base):
    """``module_name.name`` if that module is already imported and it is a ``base`` class."""
    module = sys.modules.get(module_name)
    value = getattr(module, name, None) if module is not None else None
    if isinstance(value, type) and issubclass(value, base):
        return value
    return None


class _StateUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        from .. import lr_scheduler

        if module == "builtins" and name in _BUILTINS:
            return getattr(__import__("builtins"), name)
        if module == "copyreg" and name == "_reconstructor":
            import copyreg

            return copyreg._reconstructor
        if module in _NUMPY_MODULES and name in _NUMPY_NAMES:
            return super().find_class(module, name)
        if (module, name) == ("neomx.ndarray.serialization", "array_from_record"):
            return array_from_record
        if (module, name) == ("mxnet.ndarray.ndarray", "NDArray"):
            return _MXNetArray
        # MXNet's classes load as neomx's of the same name.
        if module.startswith("mxnet.optimizer"):
            found = _subclass_in("neomx.optimizer", name, Optimizer)
        elif module == "mxnet.lr_scheduler":
            found = _subclass_in("neomx.lr_scheduler", name, lr_scheduler.LRScheduler)
        else:
            found = _subclass_in(module, name, Optimizer) or _subclass_in(
                module, name, lr_scheduler.LRScheduler
            )
        if found is not None:
            return found
        raise StatesError(
            f"set_states: refusing to load {module}.{name}: optimizer states may hold only "
            "NDArrays, NumPy values, containers, optimizers and LR schedulers (whose classes "
            "must be imported before loading)"
        )


def _restore(value):
    """Replace MXNet's pickled arrays inside ``value`` by NDArrays (containers, optimizers
    and schedulers are walked)."""
    from ..lr_scheduler import LRScheduler

    if isinstance(value, _MXNetArray):
        return None if value.handle is None else array_from_record(bytes(value.handle))
    if isinstance(value, dict):
        for key in value:
            value[key] = _restore(value[key])
        return value
    if isinstance(value, list):
        value[:] = [_restore(item) for item in value]
        return value
    if isinstance(value, tuple):
        return tuple(_restore(item) for item in value)
    if isinstance(value, (Optimizer, LRScheduler)):
        _restore(value.__dict__)
    return value


def loads(data):
    """Unpickle optimizer states (restricted as above)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise StatesError(
            f"set_states: expected the bytes of get_states, got {type(data).__name__}"
        )
    try:
        loaded = _StateUnpickler(io.BytesIO(bytes(data))).load()
    except StatesError:
        raise
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
    ) as err:
        raise StatesError(f"set_states: the states are not readable: {err}") from err
    return _restore(loaded)
