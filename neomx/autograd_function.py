"""``mx.autograd.Function``: a differentiable operation with a hand-written backward, put on
the autograd tape as one node whose gradient calls the user's ``backward``."""

from __future__ import annotations

from .autograd import Node, _Absent, is_recording, is_training, pause
from .base import MXNetError, MXNetTypeError
from .ndarray.ndarray import NDArray

__all__ = ["Function"]


class _FunctionOp:
    """Stands in for a registry operator on the tape: a ``Function``'s backward is its
    gradient."""

    differentiable = True
    saves = ()

    def __init__(self, function, n_outputs):
        self.function = function
        self.name = type(function).__name__
        self.n_outputs = n_outputs

    def num_visible_outputs(self, p):
        return self.n_outputs

    def gradient(self, p, F, inputs, outputs, dys):
        # As in MXNet, a Function's backward is not recorded (create_graph stops here) and
        # sees the training flag of the backward call.
        with pause(train_mode=is_training()):
            grads = self.function.backward(*dys)
        grads = [grads] if isinstance(grads, NDArray) else list(grads)
        if len(grads) != len(inputs):
            raise MXNetError(
                f"{self.name}.backward returned {len(grads)} gradient(s) for {len(inputs)} input(s)"
            )
        for i, (g, x) in enumerate(zip(grads, inputs)):
            if not isinstance(g, NDArray) or g.shape != x.shape:
                raise MXNetError(
                    f"{self.name}.backward: gradient {i} must be an NDArray of its input's "
                    f"shape {x.shape}, got {getattr(g, 'shape', type(g).__name__)}"
                )
        return grads


class Function:
    """A differentiable operation with a hand-written ``forward`` and ``backward``.

    Subclasses define ``forward(*inputs)`` and ``backward(*output_grads)`` on NDArrays;
    ``backward`` returns one gradient per input and may use what ``forward`` kept with
    ``save_for_backward``. Each instance is called once.

    >>> class Square(mx.autograd.Function):
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x * x
    ...     def backward(self, dy):
    ...         x, = self.saved_tensors
    ...         return 2 * x * dy
    >>> x = mx.nd.array([3.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = Square()(x)
    >>> y.backward(); x.grad.asnumpy()
    array([6.], dtype=float32)
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        """Keep arrays that ``backward`` needs (available as ``self.saved_tensors``)."""
        self.saved_tensors = args

    def forward(self, *inputs):
        """Compute the outputs from the inputs (not recorded)."""
        raise NotImplementedError

    def backward(self, *output_grads):
        """Return the gradients of the inputs given the gradients of the outputs."""
        raise NotImplementedError

    def __call__(self, *inputs):
        name = type(self).__name__
        if self._used:
            raise MXNetError(
                f"{name}: a Function instance can be called only once; create a new one for "
                "each call"
            )
        self._used = True
        for i, x in enumerate(inputs):
            if not isinstance(x, NDArray):
                raise MXNetTypeError(
                    f"{name}: input {i} must be an NDArray, got {type(x).__name__}"
                )
        recording = is_recording()
        with pause(train_mode=is_training()):
            returned = self.forward(*inputs)
        outputs = [returned] if isinstance(returned, NDArray) else list(returned)
        parents = [x._ag for x in inputs]
        if recording and parents.count(None) < len(parents):
            # An output already on a tape (an input returned as is) gets a view of its own.
            outputs = [o._view(o._data) if o._ag is not None else o for o in outputs]
            absent = [_Absent(x) for x in inputs]
            op = _FunctionOp(self, len(outputs))
            node = Node(op, None, parents, absent, [_Absent(o) for o in outputs])
            for index, out in enumerate(outputs):
                out._ag = (node, index)
        if isinstance(returned, NDArray):
            return outputs[0]
        return type(returned)(outputs) if isinstance(returned, (list, tuple)) else outputs
