"""Apply an operator's gradient definition: the one place that turns ``Op.gradient`` into
input gradients of the right shapes (autograd and the numeric checks both call it)."""

from __future__ import annotations

from ..base import MXNetError

__all__ = ["input_gradients"]


def input_gradients(op, p, inputs, outputs, dys, F):
    """Return one gradient per input (None where no gradient flows).

    ``dys`` holds one output gradient per output (None for an output that got none).
    Operators that broadcast return unreduced gradients; they are summed back to the
    input shapes here.
    """
    if not op.differentiable:
        raise MXNetError(f"{op.name}: operator is not differentiable")
    grads = op.gradient(p, F, list(inputs), list(outputs), tuple(dys))
    if grads is None or len(grads) != len(inputs):
        raise MXNetError(
            f"{op.name}: gradient returned {0 if grads is None else len(grads)} value(s) "
            f"for {len(inputs)} input(s)"
        )
    reduced = []
    for x, g in zip(inputs, grads):
        if g is not None and tuple(g.shape) != tuple(x.shape):
            g = F._broadcast_backward(g, x)
        reduced.append(g)
    return reduced
