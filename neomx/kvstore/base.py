"""The KVStore interface, its registry and ``create``.

A KVStore sums the values pushed under a key (one per device, say) and hands the sum, or the
weights an optimizer made of it, back to whoever pulls the key. ``KVStoreBase.register`` adds a
store type that ``create`` finds by its lower-cased class name, as in MXNet 1.9.1; ``TestStore``
is the smallest such store, an in-process reference to test others against.
"""

from __future__ import annotations

import warnings

from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..ndarray import NDArray

__all__ = ["KVStoreBase", "TestStore", "create"]


class KVStoreBase:
    """The interface of a key-value store for data-parallel training.

    Subclasses implement ``broadcast``, ``pushpull``, ``set_optimizer``, ``is_capable``,
    ``save_optimizer_states``, ``load_optimizer_states`` and the ``type``, ``rank`` and
    ``num_workers`` properties; ``register`` makes ``create`` know them.
    """

    OPTIMIZER = "optimizer"
    kv_registry: dict[str, type] = {}

    def broadcast(self, key, value, out, priority=0):
        """Store ``value`` under ``key`` and copy it into every array of ``out``."""
        raise NotImplementedError()

    def pushpull(self, key, value, out=None, priority=0):
        """Sum ``value`` (a list is summed) into the store and write the result to ``out``
        (to ``value`` when ``out`` is None)."""
        raise NotImplementedError()

    def set_optimizer(self, optimizer):
        """Update the stored values with ``optimizer`` whenever gradients are pushed."""
        raise NotImplementedError()

    def is_capable(self, capability):
        """Return whether the store can do ``capability`` (``KVStoreBase.OPTIMIZER``)."""
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the optimizer states (and with ``dump_optimizer`` the optimizer) to ``fname``."""
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        """Read optimizer states written by ``save_optimizer_states``."""
        raise NotImplementedError()

    @property
    def type(self):
        """The store type, e.g. ``'local'``."""
        raise NotImplementedError()

    @property
    def rank(self):
        """This worker's number, in ``[0, num_workers)``."""
        raise NotImplementedError()

    @property
    def num_workers(self):
        """How many workers share the store."""
        raise NotImplementedError()

    @staticmethod
    def register(klass):
        """Register a KVStore class under its lower-cased name (a class decorator).

        >>> @mx.kv.KVStoreBase.register
        ... class MyStore(mx.kv.KVStoreBase):
        ...     pass
        >>> type(mx.kv.create('mystore')).__name__
        'MyStore'
        >>> del mx.kv.KVStoreBase.kv_registry['mystore']
        """
        if not isinstance(klass, type):
            raise MXNetTypeError(f"KVStoreBase.register: expected a class, got {klass!r}")
        name = klass.__name__.lower()
        previous = KVStoreBase.kv_registry.get(name)
        if previous is not None and previous is not klass:
            warnings.warn(
                f"WARNING: New kvstore {klass.__module__}.{klass.__name__} is overriding "
                f"existing kvstore {previous.__module__}.{previous.__name__}",
                stacklevel=2,
            )
        KVStoreBase.kv_registry[name] = klass
        return klass


@KVStoreBase.register
class TestStore(KVStoreBase):
    """A store that keeps nothing: ``pushpull`` sums the values it is given, ``broadcast``
    copies. It cannot run an optimizer.

    >>> kv = mx.kv.create('teststore')
    >>> out = mx.nd.zeros((2,))
    >>> kv.pushpull(0, [mx.nd.ones((2,)), mx.nd.ones((2,))], out=out)
    >>> out.asnumpy()
    array([2., 2.], dtype=float32)
    """

    def broadcast(self, key, value, out, priority=0):
        for array in out if isinstance(out, (list, tuple)) else [out]:
            array[:] = value

    def pushpull(self, key, value, out=None, priority=0):
        if isinstance(value, NDArray):
            total = value
            targets = [] if out is None else out
        else:
            ctx = value[0].context
            total = value[0].as_in_context(ctx).copy()
            for array in value[1:]:
                total += array.as_in_context(ctx)
            targets = value if out is None else out
        for array in targets if isinstance(targets, (list, tuple)) else [targets]:
            array[:] = total

    @staticmethod
    def is_capable(capability):
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return False
        raise MXNetValueError(f"Unknown capability: {capability}")

    @property
    def type(self):
        return "teststore"

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1

    def set_optimizer(self, optimizer):
        raise MXNetError("TestStore cannot run an optimizer; update the weights outside it")

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise MXNetError("TestStore has no optimizer states to save")

    def load_optimizer_states(self, fname):
        raise MXNetError("TestStore has no optimizer states to load")


_DIST_HELP = (
    "distributed KVStores run on MPI: install mpi4py and an MPI runtime "
    "(pip install 'neomx[dist]', which brings mpi4py and mpich) and start the script with "
    "the launcher, e.g. python -m neomx.launch -n 2 train.py"
)


def create(name="local"):
    """Create a KVStore of type ``name``.

    ``'local'`` sums on the CPU and updates the weights there; ``'device'`` sums each key on
    one of the devices that pushed it (spread by size) and updates there, and supports
    gradient compression. As in MXNet, any other name without ``dist``/``nccl`` in it makes a
    local store of that type name (``'local_allreduce_cpu'``); the ``dist_*`` types need MPI.
    Names of classes registered with ``KVStoreBase.register`` come first.

    >>> kv = mx.kv.create('device')
    >>> kv.type, kv.rank, kv.num_workers
    ('device', 0, 1)
    """
    if not isinstance(name, str):
        raise MXNetTypeError("name must be a string")
    name = name.lower()
    registered = KVStoreBase.kv_registry.get(name)
    if registered is not None:
        return registered()
    if "dist" in name or "p3" in name:
        return _create_dist(name)
    from .device import DeviceKVStore
    from .local import KVStore

    if "nccl" in name:
        from ..context import num_gpus

        # MXNet builds without NCCL refuse the type; with GPUs, summing on the devices is
        # what it stands for here.
        if num_gpus() == 0:
            raise MXNetError(
                f"mx.kv.create('{name}'): the NCCL KVStore needs GPUs and none is available "
                "(CuPy sees no CUDA device); use 'device' or 'local' to sum on CPUs"
            )
        return DeviceKVStore(name)
    if "device" in name:
        return DeviceKVStore(name)
    return KVStore(name)


def _create_dist(name):
    try:
        import mpi4py  # noqa: F401
    except ImportError as err:
        raise MXNetError(f"mx.kv.create('{name}'): {_DIST_HELP}") from err
    try:
        from . import dist
    except ImportError as err:
        if err.name != f"{__package__}.dist":
            raise
        raise MXNetError(
            f"mx.kv.create('{name}'): this neomx has no distributed KVStore yet (mpi4py is "
            "installed, but neomx.kvstore.dist is missing)"
        ) from err
    return dist.create(name)
