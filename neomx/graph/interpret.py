"""Run a graph directly, node by node, without binding an executor.

Two interpreters share the node walk:

- ``evaluate`` runs each node on NDArrays through the operator's one call path (``invoke``),
  so autograd records it under ``record()`` like any imperative code; tests and the
  control-flow gradients use it.
- ``run_arrays`` runs each node's forward kernel on raw device arrays (NumPy or CuPy), with
  no engine and no tape: what a control-flow operator's kernel does for its body, which may
  itself run on an engine worker, where pushing more work and waiting for it could deadlock.

Variables are fed by name or by node (a subgraph's placeholders are fed by node, as two of
them may share a name).
"""

from __future__ import annotations

from ..base import MXNetError, MXNetValueError
from ..context import current_context
from .node import topo_order

__all__ = ["evaluate", "run_arrays", "graph_inputs", "context_of"]


def graph_inputs(entries):
    """The variable nodes of the graph behind ``entries``, in ``list_inputs`` order."""
    return [node for node in topo_order(entries) if node.op is None]


def _entries(symbol_or_entries):
    outputs = getattr(symbol_or_entries, "_outputs", None)
    return list(symbol_or_entries if outputs is None else outputs)


def _fed(node, feed):
    if node in feed:
        return feed[node]
    if node.name in feed:
        return feed[node.name]
    known = sorted(key if isinstance(key, str) else key.name for key in feed)
    raise MXNetValueError(
        f"evaluate: no value for the graph input {node.name!r}; fed inputs are {known}"
    )


def _walk(entries, feed, run):
    values = {}
    for node in topo_order(entries):
        if node.op is None:
            values[(node, 0)] = _fed(node, feed)
            continue
        arrays = [values[entry] for entry in node.inputs]
        for index, value in enumerate(run(node, arrays)):
            values[(node, index)] = value
    return [values[entry] for entry in entries]


def evaluate(entries, feed):
    """Run the graph behind ``entries`` (a Symbol or a list of ``(node, index)``) on NDArrays.

    ``feed`` maps variable names (or variable nodes) to NDArrays. Each operator runs through
    ``invoke``, so under ``autograd.record()`` the whole evaluation is recorded. Returns the
    list of output NDArrays, one per entry.

    >>> x = mx.sym.var('x')
    >>> evaluate(x * 2 + 1, {'x': mx.nd.array([1, 2])})[0].asnumpy()
    array([3., 5.], dtype=float32)
    """
    from ..ops.invoke import invoke_all

    def run(node, arrays):
        return invoke_all(node.op, arrays, node.p)

    return _walk(_entries(entries), feed, run)


def context_of(array):
    """The Context a raw array lives on: a CuPy array's GPU, else the current CPU context."""
    device = getattr(array, "device", None)
    device_id = getattr(device, "id", None)
    if device_id is not None and type(array).__module__.startswith("cupy"):
        from ..context import gpu

        return gpu(device_id)
    ctx = current_context()
    if ctx.device_type == "gpu":
        from ..context import cpu

        return cpu()
    return ctx


def run_arrays(entries, feed, xp, ctx=None, is_train=False):
    """Run the graph behind ``entries`` on raw arrays of array module ``xp``; no engine, no
    tape. ``feed`` maps variable names or nodes to arrays. Returns one array per entry.

    Each operator's inputs are checked by its shape inference first, so a bad shape fails
    with the operator's own message rather than a NumPy error.
    """
    from ..rng import generator

    def run(node, arrays):
        op, p = node.op, node.p
        shapes = [a.shape for a in arrays]
        op.check_shapes(p, shapes)
        extras = {}
        for name in op.runtime:
            if name == "is_train":
                extras[name] = is_train
            elif name == "rng":
                extras[name] = generator(ctx if ctx is not None else context_of(arrays[0]))
            else:
                raise MXNetError(f"{op.name}: unknown runtime argument {name!r}")
        try:
            result = op.forward(xp, p, *arrays, out=None, **extras)
        except Exception as err:
            if type(err).__module__.startswith("neomx"):
                raise
            raise MXNetError(
                f"{op.name} '{node.name}': failed on inputs of shape "
                f"{', '.join(str(s) for s in shapes)}: {type(err).__name__}: {err}"
            ) from err
        results = (result,) if op.num_outputs(p) == 1 else tuple(result)
        return [xp.asarray(r) for r in results]

    return _walk(_entries(entries), feed, run)
