"""``mxnet.contrib.autograd`` under the alias: MXNet's first autograd API, on neomx's autograd."""

from __future__ import annotations

import functools

from .. import autograd as _autograd

__all__ = [
    "set_is_training", "train_section", "test_section", "mark_variables", "backward",
    "compute_gradient", "grad_and_loss", "grad",
]  # fmt: skip


def set_is_training(is_train: bool) -> bool:
    """Turn recording and training mode on or off together; return the previous state."""
    previous = _autograd.set_recording(is_train)
    _autograd.set_training(is_train)
    return previous


def train_section():
    """Return a scope that records operations in training mode (``autograd.record()``)."""
    return _autograd.record(train_mode=True)


def test_section():
    """Return a scope that does not record, in prediction mode (``autograd.pause()``)."""
    return _autograd.pause(train_mode=False)


mark_variables = _autograd.mark_variables


def backward(outputs, out_grads=None, retain_graph=False):
    """Compute the gradients of the marked variables from ``outputs``."""
    _autograd.backward(outputs, head_grads=out_grads, retain_graph=retain_graph)


compute_gradient = backward


def grad_and_loss(func, argnum=None):
    """Return a function that computes ``(gradients, loss)`` of ``func`` at its arguments."""

    @functools.wraps(func)
    def wrapped(*args):
        from ..ndarray import NDArray, zeros_like

        variables = list(args)
        if argnum is not None:
            indices = argnum if isinstance(argnum, list) else [argnum]
            variables = [args[i] for i in indices]
        for x in variables:
            if not isinstance(x, NDArray):
                raise TypeError("grad_and_loss: every differentiated argument must be an NDArray")
        grads = [zeros_like(x) for x in variables]
        mark_variables(variables, grads)
        with train_section():
            outputs = func(*args)
        backward([outputs] if isinstance(outputs, NDArray) else outputs)
        return grads, outputs

    return wrapped


def grad(func, argnum=None):
    """Return a function that computes the gradients of ``func`` at its arguments."""
    grad_with_loss = grad_and_loss(func, argnum)

    @functools.wraps(grad_with_loss)
    def wrapped(*args):
        return grad_with_loss(*args)[0]

    return wrapped
