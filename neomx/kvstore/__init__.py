"""``mx.kv`` / ``mx.kvstore``: key-value stores that sum gradients across devices.

>>> kv = mx.kv.create('local')
>>> kv.init(0, mx.nd.zeros((2,)))
>>> kv.push(0, [mx.nd.ones((2,), ctx=mx.cpu(0)), mx.nd.ones((2,), ctx=mx.cpu(1))])
>>> out = mx.nd.zeros((2,))
>>> kv.pull(0, out=out)
>>> out.asnumpy()
array([2., 2.], dtype=float32)
"""

from . import base, compression, device, local
from .base import KVStoreBase, TestStore, create
from .device import DeviceKVStore
from .local import KVStore

__all__ = [
    "KVStore",
    "KVStoreBase",
    "DeviceKVStore",
    "TestStore",
    "create",
    "base",
    "compression",
    "device",
    "local",
]
