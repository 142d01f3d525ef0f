"""A compiled graph: a flat list of operator calls on preallocated device arrays.

``Program`` turns graph nodes into steps ``(forward kernel, xp, params, input arrays, output
buffers)`` once, so running it is one loop calling ``op.forward(xp, p, *arrays, out=...)``: no
NDArray wrapping, parameter parsing, inference or engine push per operator. The buffers come
from a memory plan (neomx.graph.memory): values whose lifetimes do not overlap share storage,
and elementwise operators write in place where the input dies.

Every entry of the graph is either *external* (an array the caller holds: arguments,
auxiliary states, head gradients, outputs, gradient arrays) or planned here.
"""

from __future__ import annotations

import numpy as np

from ..base import POOL_MIN_BYTES, MXNetError
from ..ops.infer import shape_str
from ..rng import generator
from ..storage import Chunk, pool_for
from .memory import PlanStep, plan_memory

__all__ = ["Program"]


def _nbytes(shape, dtype) -> int:
    count = np.dtype(dtype).itemsize
    for dim in shape:
        count *= dim
    return count


class Program:
    """Forward and backward steps of one graph, with planned buffers.

    Parameters
    ----------
    phases : list of list of Node
        The operator nodes of each phase (forward, backward), each in a topological order;
        phases run in this order, a later one reading values of earlier ones.
    shapes, dtypes : dict
        {entry: shape} and {entry: numpy dtype} for every entry.
    external : dict
        {entry: device array} for the entries the caller holds.
    ctx_of : callable
        Node -> Context it runs on.
    reuse : bool
        Plan shared storage (True) or one buffer per value (False).
    labels : dict, optional
        {entry: monitor name} for entries named other than by their node.
    """

    def __init__(self, phases, shapes, dtypes, external, ctx_of, reuse=True, labels=None):
        self.shapes = shapes
        self.dtypes = dtypes
        self.labels = labels or {}
        nodes = [node for phase in phases for node in phase]
        plan_steps = []
        device, nbytes = {}, {}
        for node in nodes:
            ctx = ctx_of(node)
            outs = [(node, i) for i in range(node.num_outputs())]
            for entry in outs:
                device[entry] = ctx.compute_ctx
                nbytes[entry] = _nbytes(shapes[entry], dtypes[entry])
            plan_steps.append(PlanStep(node.inputs, outs, self._inplace_positions(node)))
        for node in nodes:
            for entry in node.inputs:
                if entry[0].op is None and entry not in external:
                    raise MXNetError(f"executor: variable '{entry[0].name}' has no array bound")
        # Values a later phase reads stay alive through it: running a phase again (backward
        # twice after one forward) must find them unchanged.
        keep = set()
        produced = {}
        for number, phase in enumerate(phases):
            for node in phase:
                for entry in node.inputs:
                    if produced.get(entry[0], number) < number:
                        keep.add(entry)
                produced[node] = number
        self.plan = plan_memory(
            plan_steps, nbytes, device, external=set(external), keep=keep, reuse=reuse
        )
        self._chunks = []
        raws = [self._allocate(size, dev) for size, dev in zip(self.plan.sizes, self.plan.devices)]
        arrays = dict(external)
        for entry, storage in self.plan.storage_of.items():
            shape, dtype = shapes[entry], np.dtype(dtypes[entry])
            arrays[entry] = raws[storage][: nbytes[entry]].view(dtype).reshape(shape)
        self.arrays = arrays
        self.ctx_of = ctx_of
        self.phases = [[self._compile(node, ctx_of(node)) for node in phase] for phase in phases]

    # ---- building ---------------------------------------------------------------------

    def _inplace_positions(self, node):
        positions = getattr(node.op, "inplace", ())
        if not positions or node.op.mutates:
            return ()
        out = (node, 0)
        return tuple(
            i
            for i in positions
            if i < len(node.inputs)
            and self.shapes[node.inputs[i]] == self.shapes[out]
            and np.dtype(self.dtypes[node.inputs[i]]) == np.dtype(self.dtypes[out])
        )

    def _allocate(self, size, ctx):
        xp = ctx.xp
        if size < POOL_MIN_BYTES or xp is not np:
            return xp.empty(size, dtype=np.uint8)
        pool = pool_for(ctx)
        raw = pool.take(size)
        # The chunk hands the buffer back to the pool when the program goes away.
        self._chunks.append(Chunk(raw, pool))
        return raw

    def _compile(self, node, ctx):
        op = node.op
        arrays = self.arrays
        ins = tuple(arrays[entry] for entry in node.inputs)
        outs = tuple(arrays[(node, i)] for i in range(node.num_outputs()))
        runtime = tuple(op.runtime) if op.runtime else None
        out = outs[0] if len(outs) == 1 else outs
        return (op.forward, ctx.xp, node.p, ins, out, len(outs) > 1, runtime, node, ctx)

    # ---- running ----------------------------------------------------------------------

    def run(self, phase, is_train, monitor=None, monitor_all=False):
        """Run the steps of phase number ``phase``; ``is_train`` goes to the kernels that
        ask for it. ``monitor(name, array)`` sees every step's outputs (and inputs)."""
        steps = self.phases[phase]
        if monitor is not None:
            return self._run_monitored(steps, is_train, monitor, monitor_all, phase > 0)
        step = None
        try:
            for step in steps:
                forward, xp, p, ins, out, multi, runtime, node, ctx = step
                if runtime is None:
                    result = forward(xp, p, *ins, out=out)
                else:
                    result = forward(xp, p, *ins, out=out, **_runtime(runtime, is_train, ctx))
                if multi:
                    for buffer, value in zip(out, result):
                        if value is not buffer:
                            xp.copyto(buffer, value, casting="unsafe")
                elif result is not out:
                    xp.copyto(out, result, casting="unsafe")
        except Exception as err:
            raise _step_error(step, err) from err

    def _run_monitored(self, steps, is_train, monitor, monitor_all, labelled_only):
        from ..ndarray.ndarray import NDArray

        for step in steps:
            node, ctx = step[7], step[8]
            if monitor_all:
                names = node.input_names()
                for i, array in enumerate(step[3]):
                    label = f"{node.name}_{names[i] if i < len(names) else i}"
                    monitor(label, NDArray._wrap(array, ctx))
            self.run_step(step, is_train)
            outs = step[4] if step[5] else (step[4],)
            for i in range(node.num_visible_outputs()):
                label = self.labels.get((node, i))
                if label is None and not labelled_only:
                    label = node.output_name(i)
                if label is not None:
                    monitor(label, NDArray._wrap(outs[i], ctx))

    def run_step(self, step, is_train):
        forward, xp, p, ins, out, multi, runtime, node, ctx = step
        try:
            extras = _runtime(runtime, is_train, ctx) if runtime else {}
            result = forward(xp, p, *ins, out=out, **extras)
        except Exception as err:
            raise _step_error(step, err) from err
        if multi:
            for buffer, value in zip(out, result):
                if value is not buffer:
                    xp.copyto(buffer, value, casting="unsafe")
        elif result is not out:
            xp.copyto(out, result, casting="unsafe")

    def value(self, entry):
        """The device array that holds ``entry`` (valid until a step overwrites it)."""
        return self.arrays[entry]

    def num_steps(self, phase) -> int:
        return len(self.phases[phase])


def _runtime(names, is_train, ctx):
    extras = {}
    for name in names:
        if name == "is_train":
            extras[name] = is_train
        elif name == "rng":
            extras[name] = generator(ctx)
        else:
            raise MXNetError(f"executor: unknown runtime argument {name!r}")
    return extras


def _step_error(step, err):
    if step is None:
        return MXNetError(f"executor: {type(err).__name__}: {err}")
    node = step[7]
    if isinstance(err, MXNetError):
        try:
            return type(err)(f"Error in operator {node.name}: {err}")
        except TypeError:
            return err
    shapes = ", ".join(shape_str(x.shape) for x in step[3])
    return MXNetError(
        f"{node.op.name} '{node.name}': failed on inputs of shape {shapes}: "
        f"{type(err).__name__}: {err}"
    )
