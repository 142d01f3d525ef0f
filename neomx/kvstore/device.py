"""The ``'device'`` KVStore: sums each key on one of the devices that push it.

Keys are spread over the pushing devices by size (the largest first, each to the device
holding the fewest elements so far), as MXNet's CommDevice does, so that the sums and
optimizer updates of different keys run on different devices' workers at once. This store
also compresses gradients ('2bit') before they travel.
"""

from __future__ import annotations

from .. import ndarray as nd
from .compression import GradientCompression
from .local import KVStore

__all__ = ["DeviceKVStore"]


class DeviceKVStore(KVStore):
    """A KVStore that reduces on the devices; ``mx.kv.create('device')`` makes one.

    >>> kv = mx.kv.create('device')
    >>> kv.init('w', mx.nd.zeros((2,)))
    >>> kv.push('w', [mx.nd.ones((2,), ctx=mx.cpu(0)), mx.nd.ones((2,), ctx=mx.cpu(1))])
    >>> out = mx.nd.zeros((2,), ctx=mx.cpu(1))
    >>> kv.pull('w', out=out)
    >>> out.asnumpy()
    array([2., 2.], dtype=float32)
    """

    def __init__(self, name="device"):
        super().__init__(name)
        # key -> the context its sum is made on; elements placed per context.
        self._merge_ctx = {}
        self._load = {}

    def set_gradient_compression(self, compression_params):
        """Compress every pushed gradient before it is summed.

        ``{'type': '2bit', 'threshold': t}``: each element is sent as +t, -t or 0 and the
        difference is kept (per key and per pushed value) and added to the next push.
        """
        self._compression = GradientCompression(compression_params)

    def _place(self, key, values):
        """The context that sums ``key``: chosen once, for the unplaced keys biggest first."""
        ctx = self._merge_ctx.get(key)
        if ctx is not None:
            return ctx
        devices = []
        for value in values:
            if value.context not in devices:
                devices.append(value.context)
        for device in devices:
            self._load.setdefault(device, 0)
        unplaced = [k for k in self._store if k not in self._merge_ctx]
        unplaced.sort(key=lambda k: -self._store[k].size)
        for k in unplaced:
            chosen = min(devices, key=lambda device: self._load[device])
            self._merge_ctx[k] = chosen
            self._load[chosen] += self._store[k].size
        return self._merge_ctx[key]

    def _reduce(self, key, values):
        ctx = self._place(key, values)
        if self._compression is not None:
            # MXNet compresses even a value already on the summing device, so that no
            # device's gradient is favoured.
            values = [self._compression.compress(key, i, v) for i, v in enumerate(values)]
        elif len(values) == 1:
            return values[0]
        on_ctx = [v.as_in_context(ctx) for v in values]
        return on_ctx[0] if len(on_ctx) == 1 else nd.add_n(*on_ctx)

    def _update_operands(self, key, merged, stored):
        # The weights move to the device the gradients are summed on (MXNet does this for
        # GPUs; here cpu(0) and cpu(1) are distinct devices too) and are updated there.
        if merged.context.compute_ctx != stored.context.compute_ctx:
            stored = self._store[key] = stored.copyto(merged.context)
        return merged, stored
