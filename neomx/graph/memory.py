"""Static memory planning: which values of a program share a buffer.

A program is a list of steps, each reading some values and writing others. Values the caller
holds (arguments, auxiliary states, gradients, outputs: *external* values) keep their own
arrays; every other value gets a *storage*, a raw buffer that values whose lifetimes do not
overlap share, as MXNet's graph executor plans them:

- a value lives from the step that writes it to the last step that reads it (values written
  and never read die at once); ``keep`` values live to the end of the program;
- when a value dies its storage returns to a free list, from which the next value takes the
  smallest storage that fits (or grows the largest free one, which costs less than a new one);
- in place: an operator that allows it (``Op.inplace``) writes its output into the storage of
  an input whose last reader it is, when sizes and devices agree.

A step's outputs never share storage with its inputs otherwise: a kernel may read its inputs
after writing its outputs.
"""

from __future__ import annotations

__all__ = ["PlanStep", "MemoryPlan", "plan_memory"]


class PlanStep:
    """What the planner knows of one step: the value ids it reads and writes, and the
    positions of the inputs whose storage its first output may take (``inplace``)."""

    __slots__ = ("inputs", "outputs", "inplace")

    def __init__(self, inputs, outputs, inplace=()):
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.inplace = tuple(inplace)


class MemoryPlan:
    """The result: ``storage_of`` {value id: storage index}; ``sizes`` and ``devices`` per
    storage; ``planned_bytes`` (the storages' total) and ``naive_bytes`` (one buffer per
    value); ``inplace`` counts the values written in place."""

    def __init__(self, storage_of, sizes, devices, naive_bytes, inplace):
        self.storage_of = storage_of
        self.sizes = sizes
        self.devices = devices
        self.naive_bytes = naive_bytes
        self.inplace = inplace

    @property
    def planned_bytes(self) -> int:
        return sum(self.sizes)

    def __repr__(self):
        return (
            f"<MemoryPlan {len(self.sizes)} storages, {self.planned_bytes} bytes planned, "
            f"{self.naive_bytes} naive, {self.inplace} in place>"
        )


def _last_reads(steps, keep):
    end = len(steps)
    last = {}
    for index, step in enumerate(steps):
        for value in step.inputs:
            last[value] = index
    for value in keep:
        last[value] = end
    return last


def plan_memory(steps, nbytes, device, external=(), keep=(), reuse=True) -> MemoryPlan:
    """Plan storages for the values of ``steps`` (a list of PlanStep).

    ``nbytes``/``device`` map a value id to its size and its device (a hashable key; only
    values of one device share storage). ``external`` values get none; ``keep`` values are
    never released. With ``reuse=False`` every value gets a storage of its own (the naive
    plan, for comparison and debugging).
    """
    external = set(external)
    last = _last_reads(steps, keep)
    storage_of: dict = {}
    sizes: list[int] = []
    devices: list = []
    free: dict = {}  # device -> list of free storage indices
    naive = 0
    inplace_count = 0

    def new_storage(size, dev):
        sizes.append(size)
        devices.append(dev)
        return len(sizes) - 1

    def take(size, dev):
        pool = free.get(dev)
        if not pool:
            return new_storage(size, dev)
        fitting = [s for s in pool if sizes[s] >= size]
        if fitting:
            chosen = min(fitting, key=sizes.__getitem__)
        else:
            chosen = max(pool, key=sizes.__getitem__)
            sizes[chosen] = size
        pool.remove(chosen)
        return chosen

    for index, step in enumerate(steps):
        claimed = set()
        for position, value in enumerate(step.outputs):
            if value in external or value in storage_of:
                continue
            size, dev = nbytes[value], device[value]
            naive += size
            if not reuse:
                storage_of[value] = new_storage(size, dev)
                continue
            chosen = None
            if position == 0:
                for i in step.inplace:
                    source = step.inputs[i]
                    if (
                        source in storage_of
                        and last.get(source) == index
                        and nbytes[source] == size
                        and device[source] == dev
                        and storage_of[source] not in claimed
                    ):
                        chosen = storage_of[source]
                        inplace_count += 1
                        break
            if chosen is None:
                chosen = take(size, dev)
            claimed.add(chosen)
            storage_of[value] = chosen
        if not reuse:
            continue
        released = set()
        for value in (*step.inputs, *step.outputs):
            storage = storage_of.get(value)
            if (
                storage is None
                or value in released
                or last.get(value, index) != index
                or storage in claimed
                and value in step.inputs
            ):
                continue
            released.add(value)
            free.setdefault(device[value], []).append(storage)
    return MemoryPlan(storage_of, sizes, devices, naive, inplace_count)
