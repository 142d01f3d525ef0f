"""Imperative differentiation (``mx.autograd``): a tape of recorded registry calls.

Under ``record()``, every operator call with an input on the tape adds a ``Node`` (the
operator, its parameters, what its gradient needs) and marks its outputs with an entry
``(node, index)`` in ``NDArray._ag``; arrays with ``attach_grad`` carry a ``Variable`` there.
``backward`` walks the nodes from the heads in reverse topological order and applies each
operator's registered gradient (``neomx.ops.gradient.input_gradients``); with
``create_graph=True`` that walk is itself recorded, which gives higher-order gradients.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager

from .base import MXNetError, MXNetValueError
from .ops.gradient import input_gradients
from .ops.invoke import set_tape

__all__ = [
    "record",
    "pause",
    "train_mode",
    "predict_mode",
    "is_recording",
    "is_training",
    "set_recording",
    "set_training",
    "backward",
    "grad",
    "mark_variables",
    "Function",
]


class _State(threading.local):
    recording = False
    training = False


_state = _State()
state = _state
# How many threads are recording now: invoke's hot path reads this one number and looks at
# the (slower) thread-local flag only when it is not zero.
active = [0]
_active_lock = threading.Lock()


def _set_recording_flag(value: bool) -> None:
    if value != _state.recording:
        with _active_lock:
            active[0] += 1 if value else -1
        _state.recording = value


def is_recording() -> bool:
    """Whether operations are being recorded for differentiation."""
    return _state.recording


def is_training() -> bool:
    """Whether layers such as Dropout and BatchNorm run in training mode."""
    return _state.training


def set_recording(is_recording: bool) -> bool:  # noqa: A002 - MXNet's argument name
    """Turn recording on or off; return the previous state."""
    previous = _state.recording
    _set_recording_flag(bool(is_recording))
    return previous


def set_training(train_mode: bool) -> bool:
    """Turn training mode on or off; return the previous state."""
    previous, _state.training = _state.training, bool(train_mode)
    return previous


@contextmanager
def _scope(recording, training):
    previous = (_state.recording, _state.training)
    if recording is not None:
        _set_recording_flag(recording)
    if training is not None:
        _state.training = training
    try:
        yield
    finally:
        _set_recording_flag(previous[0])
        _state.training = previous[1]


def record(train_mode: bool = True):
    """Record the operations in the block so that ``backward`` can differentiate them.

    >>> x = mx.nd.array([1., 2.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x * x
    >>> y.backward(); x.grad.asnumpy()
    array([2., 4.], dtype=float32)
    """
    return _scope(True, train_mode)


def pause(train_mode: bool = False):
    """Stop recording inside the block (training mode off unless ``train_mode``)."""
    return _scope(False, train_mode)


def train_mode():
    """Run the block in training mode without changing recording."""
    return _scope(None, True)


def predict_mode():
    """Run the block in inference mode without changing recording."""
    return _scope(None, False)


class Variable:
    """The tape entry of an array with a gradient buffer (``attach_grad``/``mark_variables``)."""

    __slots__ = ("grad", "grad_req", "__weakref__")

    def __init__(self, grad, grad_req):
        self.grad = grad
        self.grad_req = grad_req


class _Absent:
    """What a node keeps of an input or output its gradient does not read: shape and dtype."""

    __slots__ = ("shape", "dtype", "context")

    def __init__(self, array):
        self.shape = array.shape
        self.dtype = array.dtype
        self.context = array.context


class Node:
    """One recorded operator call."""

    __slots__ = (
        "op", "p", "parents", "inputs", "outputs", "n_outputs", "versions", "freed", "__weakref__"
    )

    def __init__(self, op, p, parents, inputs, outputs):
        self.op = op
        self.p = p
        self.parents = parents
        self.inputs = inputs
        self.outputs = outputs
        self.n_outputs = len(outputs)
        self.versions = [_version_of(x) for x in (*inputs, *outputs) if not isinstance(x, _Absent)]
        self.freed = False

    def check_versions(self):
        arrays = [x for x in (*self.inputs, *self.outputs) if not isinstance(x, _Absent)]
        for array, version in zip(arrays, self.versions):
            if array._version[0] != version:
                raise MXNetError(
                    f"autograd: an input or output of {self.op.name} was modified in place "
                    f"after it was recorded (shape {array.shape}); its gradient would be wrong. "
                    "Copy the array before changing it, or record again"
                )


def _version_of(array):
    if array._version is None:
        array._version = [0]
    return array._version[0]


def record_call(op, p, inputs, outputs):
    """Put one operator call on the tape if any input is on it (called by ``invoke``)."""
    parents = [x._ag for x in inputs]
    if all(parent is None for parent in parents):
        return
    saves = op.saves
    saved_inputs = [
        x if saves is None or name in saves else _Absent(x)
        for name, x in zip(op.arguments(p), inputs)
    ]
    keep_outputs = saves is None or "outputs" in saves
    saved_outputs = [o if keep_outputs else _Absent(o) for o in outputs]
    node = Node(op, p, parents, saved_inputs, saved_outputs)
    for index, out in enumerate(outputs):
        out._ag = (node, index)


def check_writable(op, outs):
    """Refuse, before running, an ``out=`` write into an array on the tape while recording."""
    for out in outs:
        if out._ag is not None:
            raise MXNetError(
                f"{op.name}: cannot write into an array that is already part of a recorded "
                "graph (or has attach_grad) while recording; call backward first, or do the "
                "in-place update outside autograd.record()"
            )


def mark_variables(variables, gradients, grad_reqs="write"):
    """Mark arrays as variables whose gradients ``backward`` writes into ``gradients``."""
    from .ndarray.ndarray import NDArray

    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    if not len(variables) == len(gradients) == len(grad_reqs):
        raise MXNetValueError(
            f"mark_variables: got {len(variables)} variables, {len(gradients)} gradients and "
            f"{len(grad_reqs)} grad_reqs; they must have equal lengths"
        )
    for variable, gradient, req in zip(variables, gradients, grad_reqs):
        if req not in ("write", "add", "null"):
            raise MXNetValueError(
                f"mark_variables: grad_req must be 'write', 'add' or 'null', got {req!r}"
            )
        variable._ag = Variable(gradient, req)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _topological(heads):
    """The recorded nodes reachable from the heads' entries, inputs before their users."""
    order, seen = [], set()
    stack = [(entry[0], False) for entry in heads if isinstance(entry, tuple)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            if isinstance(parent, tuple) and id(parent[0]) not in seen:
                stack.append((parent[0], False))
    return order


def _accumulate(store, key, value):
    current = store.get(key)
    store[key] = value if current is None else current + value


def _run_backward(heads, head_grads, retain_graph, create_graph, train_mode):
    """Differentiate ``heads``; return {id(Variable): gradient} for reached variables."""
    from . import ndarray as nd

    heads = _as_list(heads)
    if head_grads is None:
        head_grads = [None] * len(heads)
    head_grads = _as_list(head_grads)
    if len(head_grads) != len(heads):
        raise MXNetValueError(
            f"backward: got {len(head_grads)} head gradients for {len(heads)} heads"
        )
    for index, (head, head_grad) in enumerate(zip(heads, head_grads)):
        if head_grad is not None and head_grad.shape != head.shape:
            raise MXNetValueError(
                f"backward: head_grads[{index}] has shape {head_grad.shape}, but its head has "
                f"shape {head.shape}"
            )
        if head._ag is None:
            raise MXNetError(
                "backward: cannot differentiate an array that is not in a recorded graph; "
                "compute it inside autograd.record() (and pass retain_graph=True to "
                "differentiate the same graph twice)"
            )
    grads: dict = {}
    variable_grads: dict = {}
    with _scope(create_graph, train_mode):
        for head, head_grad in zip(heads, head_grads):
            seed = head_grad if head_grad is not None else nd.ones_like(head)
            _accumulate(variable_grads if isinstance(head._ag, Variable) else grads,
                        _key(head._ag), seed)
        order = _topological([head._ag for head in heads])
        for node in reversed(order):
            dys = [grads.pop((id(node), i), None) for i in range(node.n_outputs)]
            if all(dy is None for dy in dys):
                continue
            if node.freed:
                raise MXNetError(
                    f"backward: the graph through {node.op.name} was already freed by a "
                    "previous backward; pass retain_graph=True to differentiate it twice"
                )
            node.check_versions()
            in_grads = input_gradients(node.op, node.p, node.inputs, node.outputs, dys, nd)
            for parent, in_grad in zip(node.parents, in_grads):
                if parent is None or in_grad is None:
                    continue
                if isinstance(parent, Variable):
                    _accumulate(variable_grads, id(parent), in_grad)
                else:
                    _accumulate(grads, (id(parent[0]), parent[1]), in_grad)
    if not retain_graph:
        for node in order:
            node.freed = True
            node.inputs = node.outputs = ()
    return variable_grads


def _key(entry):
    return id(entry) if isinstance(entry, Variable) else (id(entry[0]), entry[1])


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute the gradients of ``heads`` into the ``.grad`` of the recorded variables."""
    variables = _variables_of(heads)
    results = _run_backward(heads, head_grads, retain_graph, False, train_mode)
    for variable in variables:
        gradient = results.get(id(variable))
        if gradient is None or variable.grad_req == "null":
            continue
        if variable.grad_req == "add":
            variable.grad += gradient
        else:
            variable.grad[:] = gradient


def _variables_of(heads):
    """Every Variable reachable from the heads."""
    found, seen = [], set()
    entries = [h._ag for h in _as_list(heads) if h._ag is not None]
    for entry in entries:
        if isinstance(entry, Variable) and id(entry) not in seen:
            seen.add(id(entry))
            found.append(entry)
    for node in _topological(entries):
        for parent in node.parents:
            if isinstance(parent, Variable) and id(parent) not in seen:
                seen.add(id(parent))
                found.append(parent)
    return found


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):
    """Return a list of the gradients of ``heads`` for ``variables`` (``.grad`` untouched).

    With ``create_graph=True`` the returned gradients are themselves recorded, so they can be
    differentiated again.
    """
    variables = _as_list(variables)
    for i, variable in enumerate(variables):
        if not isinstance(variable._ag, Variable):
            raise MXNetValueError(
                f"grad: variables[{i}] is not marked; call attach_grad() on it before recording"
            )
    if retain_graph is None:
        retain_graph = create_graph
    results = _run_backward(heads, head_grads, retain_graph, create_graph, train_mode)
    for i, variable in enumerate(variables):
        if id(variable._ag) not in results:
            raise MXNetValueError(
                f"grad: cannot differentiate with respect to variables[{i}]: it is unreachable "
                "from the heads"
            )
    return [results[id(variable._ag)] for variable in variables]


class _FunctionOp:
    """Lets a tape node call a user ``Function``'s backward as its gradient."""

    differentiable = True
    saves = None

    def __init__(self, function):
        self.function = function
        self.name = type(function).__name__

    def gradient(self, p, F, inputs, outputs, dy):
        from . import ndarray as nd

        dys = [g if g is not None else nd.zeros_like(o) for g, o in zip(dy, outputs)]
        with pause():
            grads = self.function.backward(*dys)
        return list(_as_list(grads))


class Function:
    """A differentiable operation with a hand-written ``forward`` and ``backward``.

    Subclasses define ``forward(*inputs)`` and ``backward(*output_grads)`` on NDArrays and
    may keep arrays for backward with ``save_for_backward``.
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        """Keep arrays that ``backward`` needs (available as ``self.saved_tensors``)."""
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        if self._used:
            raise MXNetError(f"{type(self).__name__}: each Function instance can be called once")
        self._used = True
        recording = is_recording()
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = not isinstance(outputs, (list, tuple))
        outputs = _as_list(outputs)
        if recording:
            parents = [x._ag for x in inputs]
            if any(parent is not None for parent in parents):
                node = Node(_FunctionOp(self), None, parents, list(inputs), outputs)
                for index, out in enumerate(outputs):
                    out._ag = (node, index)
        return outputs[0] if single else outputs


set_tape(sys.modules[__name__])
