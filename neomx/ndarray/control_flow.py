"""``mx.nd.contrib.foreach``, ``while_loop`` and ``cond``: control flow run as Python.

The body runs once per iteration on NDArrays, so under ``autograd.record()`` every operation
is recorded and gradients flow through the loop like through any imperative code. The
symbolic versions (``mx.sym.contrib.*``) take the same bodies and return the same structures.
"""

from __future__ import annotations

from ..base import MXNetTypeError, MXNetValueError
from .ndarray import NDArray

__all__ = ["foreach", "while_loop", "cond", "flatten", "regroup"]


def flatten(value, leaf_type, what):
    """Return ``(leaves, fmt)`` for a leaf or a nested list/tuple of leaves; ``regroup``
    rebuilds the structure (a leaf's fmt is 0, a list's is the list of its items' fmts)."""
    if isinstance(value, leaf_type):
        return [value], 0
    if value is None:
        return [], []
    if not isinstance(value, (list, tuple)):
        raise MXNetTypeError(
            f"{what} must be a {leaf_type.__name__} or a nested list of them, got "
            f"{type(value).__name__}"
        )
    leaves, fmt = [], []
    for item in value:
        sub_leaves, sub_fmt = flatten(item, leaf_type, what)
        leaves.extend(sub_leaves)
        fmt.append(sub_fmt)
    return leaves, fmt


def regroup(leaves, fmt):
    """The inverse of ``flatten``: put ``leaves`` back into the structure ``fmt``."""

    def build(position, fmt):
        if fmt == 0:
            return leaves[position], position + 1
        items = []
        for sub_fmt in fmt:
            item, position = build(position, sub_fmt)
            items.append(item)
        return items, position

    return build(0, fmt)[0]


def _as_bool(value, what):
    if isinstance(value, NDArray):
        if value.size != 1:
            raise MXNetValueError(f"{what} must have exactly one element, got shape {value.shape}")
        value = value.asscalar()
    try:
        return bool(value)
    except (TypeError, ValueError):
        raise MXNetValueError(f"{what}: cannot convert {value!r} to bool") from None


def foreach(body, data, init_states):
    """Run ``body`` over slices of ``data`` along axis 0, carrying states.

    ``out, states = body(data[i], states)`` per slice (a list of slices when ``data`` is a
    list); returns the outputs stacked along a new axis 0 (same structure as ``out``) and
    the last states.

    >>> step = lambda x, states: (x + states[0], [states[0] * 2])
    >>> outs, states = mx.nd.contrib.foreach(step, mx.nd.ones((2, 3)), [mx.nd.ones(3)])
    >>> outs.shape, states[0].asnumpy()
    ((2, 3), array([4., 4., 4.], dtype=float32))
    """
    flat_data, _ = flatten(data, NDArray, "foreach: data")
    flatten(init_states, NDArray, "foreach: init_states")
    if not flat_data:
        raise MXNetValueError("foreach: data must hold at least one NDArray")
    length = flat_data[0].shape[0]
    states = init_states
    steps, out_fmt = [], None
    for i in range(length):
        slices = data[i] if isinstance(data, NDArray) else [d[i] for d in data]
        outs, states = body(slices, states)
        outs, out_fmt = flatten(outs, NDArray, "foreach: the body's output")
        steps.append(outs)
    if out_fmt is None:
        raise MXNetValueError("foreach: data has length 0 along axis 0; nothing to iterate")
    from . import stack

    stacked = [stack(*items) for items in zip(*steps)]
    return regroup(stacked, out_fmt), states


def while_loop(cond, func, loop_vars, max_iterations=None):
    """Run ``func`` while ``cond`` holds, at most ``max_iterations`` times.

    ``cond(*loop_vars)`` returns a one-element NDArray; ``step_output, loop_vars =
    func(*loop_vars)``. Returns the step outputs stacked along a new axis 0 and padded with
    zeros to ``max_iterations`` rows (MXNet 1.9.1 pads with uninitialised memory), and the
    final loop variables (an NDArray when ``loop_vars`` was one). With no iteration the
    outputs are ``[]``.

    >>> outs, i = mx.nd.contrib.while_loop(lambda i: i < 3, lambda i: (i * 10, i + 1),
    ...                                    mx.nd.array([0]), max_iterations=4)
    >>> outs.asnumpy().ravel(), i.asnumpy()
    (array([ 0., 10., 20.,  0.], dtype=float32), array([3.], dtype=float32))
    """
    if max_iterations is None:
        raise MXNetValueError("while_loop: max_iterations must be given")
    if isinstance(max_iterations, NDArray):
        max_iterations = max_iterations.asscalar()
    max_iterations = int(max_iterations)
    single = isinstance(loop_vars, NDArray)
    loop_vars = [loop_vars] if single else list(loop_vars)
    if not loop_vars:
        raise MXNetValueError("while_loop: loop_vars must hold at least one NDArray")
    steps, out_fmt = [], None
    while len(steps) < max_iterations and _as_bool(cond(*loop_vars), "while_loop: cond"):
        step_output, new_vars = func(*loop_vars)
        new_vars = [] if new_vars is None else new_vars
        new_vars = [new_vars] if isinstance(new_vars, NDArray) else list(new_vars)
        if len(new_vars) != len(loop_vars):
            raise MXNetValueError(
                f"while_loop: func returned {len(new_vars)} loop variables for "
                f"{len(loop_vars)}; the number must stay the same"
            )
        flat, out_fmt = flatten(step_output, NDArray, "while_loop: step output")
        if steps and len(flat) != len(steps[0]):
            raise MXNetValueError(
                "while_loop: the number of step outputs must be the same in each step"
            )
        steps.append(flat)
        loop_vars = new_vars
    from ..ops.control_flow import pad_steps

    outputs = pad_steps(steps, len(steps[0]) if steps else 0, max_iterations)
    if out_fmt is not None:
        outputs = regroup(outputs, out_fmt)
    return outputs, loop_vars[0] if single else loop_vars


def cond(pred, then_func, else_func):
    """Return ``then_func()`` if the one-element ``pred`` is true, else ``else_func()``.

    >>> mx.nd.contrib.cond(mx.nd.array([1]), lambda: mx.nd.ones(2),
    ...                    lambda: mx.nd.zeros(2)).asnumpy()
    array([1., 1.], dtype=float32)
    """
    return then_func() if _as_bool(pred, "cond: pred") else else_func()
