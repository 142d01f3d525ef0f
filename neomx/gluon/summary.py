"""``Block.summary``: the layer table MXNet 1.9.1 prints (output shapes, parameter counts)."""

from __future__ import annotations

from collections import OrderedDict

from ..base import MXNetError
from ..ndarray.ndarray import NDArray

__all__ = ["print_summary"]


def _shape_text(value):
    """Shapes of (nested) outputs as MXNet prints them: ``(2, 4)``, ``(2, 4), (3,)``."""

    def shapes(item):
        if isinstance(item, (list, tuple)):
            return [shapes(x) for x in item]
        return item.shape if isinstance(item, NDArray) else item

    found = shapes(value)
    return str(found)[1:-1] if isinstance(found, list) else str(found)


def print_summary(block, inputs):
    """Run ``block`` on ``inputs`` with hooks on every layer and print the table."""
    from .containers import HybridSequential, Sequential
    from .hybrid import HybridBlock

    rows = OrderedDict()
    rows["Input"] = {"shape": _shape_text(inputs), "n": 0, "trainable": 0, "shared": 0}
    seen = set()
    handles = []

    def hook(layer, _, outputs):
        key = f"{type(layer).__name__}-{len(rows)}"
        row = rows[key] = {"shape": _shape_text(outputs), "n": 0, "trainable": 0, "shared": 0}
        for param in layer.params.values():
            size = param.data().size
            row["n"] += size
            if param.grad_req != "null":
                row["trainable"] += size
            if param in seen:
                row["shared"] += size
            else:
                seen.add(param)

    def register(layer):
        if isinstance(layer, HybridBlock) and layer._active:
            raise MXNetError(f'"{layer.name}" must not be hybridized to print summary.')
        if not isinstance(layer, (Sequential, HybridSequential)):
            handles.append(layer.register_forward_hook(hook))

    try:
        block.apply(register)
        block(*inputs)
        line = "{:>20}  {:>42} {:>15}"
        print("-" * 80)
        print(line.format("Layer (type)", "Output Shape", "Param #"))
        print("=" * 80)
        total = trainable = shared = 0
        for key, row in rows.items():
            print(line.format(key, str(row["shape"]), row["n"]))
            total += row["n"]
            trainable += row["trainable"]
            shared += row["shared"]
        print("=" * 80)
        print("Parameters in forward computation graph, duplicate included")
        print(f"   Total params: {total}")
        print(f"   Trainable params: {trainable}")
        print(f"   Non-trainable params: {total - trainable}")
        print(f"Shared params in forward computation graph: {shared}")
        print(f"Unique parameters in model: {total - shared}")
        print("-" * 80)
    finally:
        for handle in handles:
            handle.detach()
