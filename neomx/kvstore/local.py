"""The in-process KVStore (``'local'``): sums pushed values on the CPU and keeps the store there.

Keys are ints or strs (one kind per store). A push of several values under one key (one per
device, say) stores their sum; with an optimizer set, the sum is a gradient and the store
holds the weights it updates. A pull copies the stored value into every array given. Work
goes through the engine like any other operation, so pushes and pulls are asynchronous and
a device's share of the copies runs on that device's worker.
"""

from __future__ import annotations

from numbers import Integral

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import cpu_pinned
from ..ndarray import NDArray
from ..ndarray.serialization import _write_atomically
from .base import KVStoreBase

__all__ = ["KVStore"]


def _key_kind(key):
    if isinstance(key, str):
        return str
    if isinstance(key, Integral) and not isinstance(key, bool):
        return int
    raise MXNetTypeError(f"unexpected type for keys: {type(key)} (keys are ints or strs)")


def _flatten(keys, values, what):
    """Pair every value with its key, as MXNet reads (key, value) arguments: a key with an
    NDArray or a list of NDArrays, or a list of keys with one such value per key."""
    if isinstance(keys, (list, tuple)):
        if not isinstance(values, (list, tuple)) or len(values) != len(keys):
            given = len(values) if isinstance(values, (list, tuple)) else "an NDArray"
            raise MXNetValueError(
                f"{what}: {len(keys)} keys need {len(keys)} values (or lists of values), "
                f"got {given}"
            )
        pairs, kind = [], None
        for key, value in zip(keys, values):
            sub_pairs, sub_kind = _flatten(key, value, what)
            if kind is not None and sub_kind is not kind:
                raise MXNetTypeError(f"{what}: inconsistent types of keys detected.")
            kind = sub_kind
            pairs.extend(sub_pairs)
        return pairs, kind
    kind = _key_kind(keys)
    key = keys if kind is str else int(keys)
    if isinstance(values, NDArray):
        return [(key, values)], kind
    if isinstance(values, (list, tuple)) and values:
        for value in values:
            if not isinstance(value, NDArray):
                raise MXNetTypeError(
                    f"{what}: key {key!r}: expected NDArrays, got {type(value).__name__}"
                )
        return [(key, value) for value in values], kind
    raise MXNetTypeError(
        f"{what}: key {key!r}: expected an NDArray or a list of NDArrays, got {values!r}"
    )


class KVStore(KVStoreBase):
    """A single-process key-value store; ``mx.kv.create('local')`` makes one.

    >>> kv = mx.kv.create('local')
    >>> kv.init(3, mx.nd.ones((2, 3)))
    >>> kv.push(3, [mx.nd.ones((2, 3)), mx.nd.ones((2, 3)) * 2])
    >>> out = mx.nd.zeros((2, 3))
    >>> kv.pull(3, out=out)
    >>> out.asnumpy()[0]
    array([3., 3., 3.], dtype=float32)
    """

    def __init__(self, name="local"):
        self._type = name
        # Where init puts the stored values (MXNet: pinned host memory).
        self._store_ctx = cpu_pinned(0)
        self._store = {}
        # The int that orders each str key (order of first init), as MXNet numbers them.
        self._str_order = {}
        self._key_kind = None
        self._updater = None
        self._compression = None

    # ---- properties ----------------------------------------------------------------------
    @property
    def type(self):
        """The type name the store was created with (``'local'``, ``'device'``, ...)."""
        return self._type

    @property
    def rank(self):
        """This worker's rank: 0 (one process)."""
        return 0

    @property
    def num_workers(self):
        """The number of workers: 1 (one process)."""
        return 1

    def is_capable(self, capability):
        """Return whether the store supports ``capability``: it runs optimizers."""
        if str(capability).lower() == KVStoreBase.OPTIMIZER:
            return True
        raise MXNetValueError(f"Unknown capability: {capability}")

    def __repr__(self):
        return f"<KVStore {self._type!r}: {len(self._store)} keys>"

    # ---- keys ----------------------------------------------------------------------------
    def _grouped(self, keys, values, what, init=False):
        """The values of each key, keys in MXNet's order (ints ascending, strs by first
        init); checks the kind of key against the store's."""
        pairs, kind = _flatten(keys, values, what)
        if self._key_kind is None:
            self._key_kind = kind
        elif kind is not self._key_kind:
            raise MXNetTypeError(
                f"{what}: Mixed key types are not allowed: the store has "
                f"{self._key_kind.__name__} keys, got {kind.__name__} keys"
            )
        groups = {}
        for key, value in pairs:
            groups.setdefault(key, []).append(value)
        if kind is str:
            for key in groups:
                if key not in self._str_order and not init:
                    raise MXNetError(f"{what}: key {key!r} has not been inited")
            return sorted(groups.items(), key=lambda item: self._str_order.get(item[0], 0))
        return sorted(groups.items())

    def _stored(self, key, what):
        try:
            return self._store[key]
        except KeyError:
            raise MXNetError(
                f"{what}: key {key!r} has not been inited; call init (or broadcast) first"
            ) from None

    # ---- init, push, pull ----------------------------------------------------------------
    def init(self, key, value):
        """Store the initial ``value`` of ``key`` (or of each key of a list); a key is
        initialised once."""
        pairs, _ = _flatten(key, value, "init")
        self._grouped(key, value, "init", init=True)
        seen = set()
        for k, _ in pairs:
            if k in self._store or k in seen:
                raise MXNetError(
                    f"init: duplicate init of key {k!r}. Please double check if you called "
                    "kv.init or kv.broadcast with this key multiple times"
                )
            seen.add(k)
        with autograd.pause():
            for k, array in pairs:
                if isinstance(k, str):
                    self._str_order[k] = len(self._str_order)
                self._store[k] = array.copyto(self._store_ctx)

    def push(self, key, value, priority=0):
        """Sum the values pushed under each key into the store (or, with an optimizer set,
        update the stored weights with that sum as their gradient)."""
        with autograd.pause():
            for k, values in self._grouped(key, value, "push"):
                stored = self._stored(k, "push")
                for i, array in enumerate(values):
                    if array.shape != stored.shape:
                        raise MXNetValueError(
                            f"push: key {k!r}: value {i} has shape {array.shape}, but the key "
                            f"holds shape {stored.shape}"
                        )
                merged = self._reduce(k, values)
                if self._updater is None:
                    merged.copyto(stored)
                    continue
                merged, stored = self._update_operands(k, merged, stored)
                self._updater(k.encode() if isinstance(k, str) else k, merged, stored)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the stored value of each key into its array(s) of ``out``."""
        if out is None:
            raise MXNetValueError("pull: out must be given (the arrays to copy the values to)")
        with autograd.pause():
            for k, outs in self._grouped(key, out, "pull"):
                stored = self._stored(k, "pull")
                for array in outs:
                    if array.shape != stored.shape:
                        raise MXNetValueError(
                            f"pull: key {k!r}: out has shape {array.shape}, but the key holds "
                            f"shape {stored.shape}"
                        )
                    stored.copyto(array)

    def pushpull(self, key, value, out=None, priority=0):
        """``push(key, value)`` then ``pull(key, out)``; ``out`` defaults to ``value``."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key, value, out, priority=0):
        """``init(key, value)`` then ``pull(key, out)``: copy ``value`` to every array of
        ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull for row-sparse parameters; with dense storage every row is copied."""
        if row_ids is None:
            raise MXNetValueError("row_sparse_pull: row_ids must be given")
        self.pull(key, out, priority)

    # ---- how sums are made ---------------------------------------------------------------
    def _reduce(self, key, values):
        """The sum of ``values`` (on the store's host; a lone value as it is)."""
        if self._compression is not None:
            values = [self._compression.compress(key, i, v) for i, v in enumerate(values)]
        if len(values) == 1:
            return values[0]
        host = [v.as_in_context(self._store_ctx) for v in values]
        return nd.add_n(*host)

    def _update_operands(self, key, merged, stored):
        """The gradient and weight arrays the updater gets, on one device."""
        if merged.context.compute_ctx != stored.context.compute_ctx:
            merged = merged.copyto(stored.context)
        return merged, stored

    # ---- optimizer -----------------------------------------------------------------------
    def set_optimizer(self, optimizer):
        """Update the stored weights with ``optimizer`` at every push."""
        from ..optimizer import get_updater

        self._set_updater(get_updater(optimizer))

    def _set_updater(self, updater):
        """Call ``updater(key, merged_gradient, stored_weight)`` at every push."""
        self._updater = updater

    def _require_updater(self, what):
        if self._updater is None or not hasattr(self._updater, "get_states"):
            raise MXNetError(
                f"{what}: the store has no optimizer; call set_optimizer (or create the "
                "Trainer with update_on_kvstore=True) first"
            )
        return self._updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the optimizer states to ``fname`` (MXNet's Updater pickle)."""
        states = self._require_updater("save_optimizer_states").get_states(dump_optimizer)
        _write_atomically(str(fname), [states])

    def load_optimizer_states(self, fname):
        """Read optimizer states written by ``save_optimizer_states`` (or by MXNet)."""
        updater = self._require_updater("load_optimizer_states")
        with open(fname, "rb") as stream:
            updater.set_states(stream.read())

    def set_gradient_compression(self, compression_params):
        """Compress pushed gradients ('2bit'); only 'device' (and dist) stores can."""
        raise MXNetError(
            f"Gradient compression is not supported for this type of kvstore ({self._type!r}); "
            "use mx.kv.create('device')"
        )

    # ---- multi-machine no-ops ------------------------------------------------------------
    def _barrier(self):
        """Wait for all workers: one process has nothing to wait for."""

    def _send_command_to_servers(self, head, body):
        """Send a command to the servers: a local store has none."""
