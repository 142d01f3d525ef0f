"""Imperative differentiation (``mx.autograd``): a tape of recorded registry calls.

Under ``record()``, every operator call with an input on the tape adds a ``Node`` (the
operator, its parameters, what its gradient needs) and marks its outputs with an entry
``(node, index)`` in ``NDArray._ag``; arrays with ``attach_grad`` carry a ``Variable`` there.
``backward`` walks the nodes from the heads in reverse topological order and applies each
operator's registered gradient (``neomx.ops.gradient.input_gradients``); with
``create_graph=True`` that walk is itself recorded, which gives higher-order gradients.

A node keeps only what ``Op.saves`` names, and never the output arrays themselves (they
refer to the node, so that would be a reference cycle): dropping a graph frees its buffers at
once, and ``backward`` without ``retain_graph`` frees each node's buffers as it passes.
``Function`` (neomx/autograd_function.py) puts user code on the tape as one node.
"""

from __future__ import annotations

import itertools
import sys
import threading
from contextlib import contextmanager

from . import ndarray as nd
from .base import MXNetError, MXNetTypeError, MXNetValueError
from .ndarray.ndarray import NDArray
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
    "get_symbol",
]

_wrap = NDArray._wrap

# As MXNet, name what is recorded by two process-wide counts (``get_symbol`` shows them):
# marked variables (and constant inputs) are "var<k>"/"null<k>", operator calls "node_<k>".
_variable_count = itertools.count()
_node_count = itertools.count()


# ---- recording and training state ---------------------------------------------------------


class _State(threading.local):
    recording = False
    training = False


state = _State()
# How many threads are recording now: invoke's hot path reads this one number and looks at
# the (slower) thread-local flag only when it is not zero.
active = [0]
_active_lock = threading.Lock()


def _set_recording_flag(value: bool) -> None:
    if value != state.recording:
        with _active_lock:
            active[0] += 1 if value else -1
        state.recording = value


def is_recording() -> bool:
    """Return whether operations are being recorded for differentiation (in this thread).

    >>> with mx.autograd.record():
    ...     mx.autograd.is_recording()
    True
    """
    return state.recording


def is_training() -> bool:
    """Return whether layers such as Dropout run in training mode (in this thread).

    >>> with mx.autograd.record():
    ...     mx.autograd.is_training()
    True
    """
    return state.training


def set_recording(is_recording: bool) -> bool:  # noqa: A002 - MXNet's argument name
    """Turn recording on or off; return the previous state.

    >>> mx.autograd.set_recording(False)
    False
    """
    previous = state.recording
    _set_recording_flag(bool(is_recording))
    return previous


def set_training(train_mode: bool) -> bool:
    """Turn training mode on or off; return the previous state.

    >>> mx.autograd.set_training(False)
    False
    """
    previous, state.training = state.training, bool(train_mode)
    return previous


@contextmanager
def _scope(recording, training):
    """Set the flags that are not None for the block; restore both afterwards."""
    previous = (state.recording, state.training)
    if recording is not None:
        _set_recording_flag(recording)
    if training is not None:
        state.training = training
    try:
        yield
    finally:
        _set_recording_flag(previous[0])
        state.training = previous[1]


def record(train_mode: bool = True):
    """Record the operations in the block so that ``backward`` can differentiate them.

    >>> x = mx.nd.array([1., 2.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x * x
    >>> y.backward(); x.grad.asnumpy()
    array([2., 4.], dtype=float32)
    """
    return _scope(True, bool(train_mode))


def pause(train_mode: bool = False):
    """Stop recording inside the block (training mode off unless ``train_mode``).

    >>> with mx.autograd.record(), mx.autograd.pause():
    ...     mx.autograd.is_recording(), mx.autograd.is_training()
    (False, False)
    """
    return _scope(False, bool(train_mode))


def train_mode():
    """Run the block in training mode without changing recording.

    >>> with mx.autograd.train_mode():
    ...     mx.autograd.is_training()
    True
    """
    return _scope(None, True)


def predict_mode():
    """Run the block in inference mode without changing recording.

    >>> with mx.autograd.record(), mx.autograd.predict_mode():
    ...     mx.autograd.is_training()
    False
    """
    return _scope(None, False)


# ---- the tape -----------------------------------------------------------------------------


class Variable:
    """The tape entry of an array with a gradient buffer (``attach_grad``/``mark_variables``)."""

    __slots__ = ("grad", "grad_req", "name", "__weakref__")

    def __init__(self, grad, grad_req):
        self.grad = grad
        self.grad_req = grad_req
        self.name = f"var{next(_variable_count)}"


class _Absent:
    """What a node keeps of an input or output its gradient does not read (``Op.saves``)."""

    __slots__ = ("shape", "dtype", "context")

    def __init__(self, array):
        self.shape = array.shape
        self.dtype = array._data.dtype
        self.context = array._ctx

    def placeholder(self):
        """An array of the right shape, dtype and context that costs no memory.

        Gradients still read an absent input's shape (the broadcast reduction does). Floating
        placeholders hold NaN, so a gradient that reads values its ``saves`` left out shows
        up at once in the numeric gradient checks.
        """
        xp = self.context.xp
        fill = float("nan") if self.dtype.kind in "fc" else 0
        return _wrap(xp.broadcast_to(xp.full((), fill, self.dtype), self.shape), self.context)


def _counter(array):
    """The in-place write counter ``array`` shares with its views (made on first use)."""
    counter = array._version
    if counter is None:
        counter = array._version = [0]
    return counter


def _twin(array):
    """An NDArray sharing ``array``'s buffer, engine variable and write counter, not its entry."""
    twin = _wrap(array._data, array._ctx, array._chunk)
    twin._var = array._var
    twin._version = _counter(array)
    return twin


class Node:
    """One recorded operator call.

    ``parents[i]`` is the tape entry of input i (None for a constant). ``inputs`` and
    ``outputs`` hold what ``op.saves`` names (inputs as given, outputs as twins) and
    ``_Absent`` for the rest; ``versions`` pairs each kept array with its write count when
    recorded. Freeing a node sets these three to None. ``number`` counts recorded calls
    (``get_symbol`` names the node ``node_<number>``, as MXNet does).
    """

    __slots__ = (
        "op",
        "p",
        "parents",
        "inputs",
        "outputs",
        "n_outputs",
        "versions",
        "number",
        "__weakref__",
    )

    def __init__(self, op, p, parents, inputs, outputs):
        self.number = next(_node_count)
        self.op = op
        self.p = p
        self.parents = parents
        self.inputs = inputs
        self.outputs = outputs
        self.n_outputs = len(outputs)
        # (array, its write count): _counter inlined, as this runs for every recorded call.
        self.versions = versions = []
        for array in (*inputs, *outputs):
            if type(array) is not _Absent:
                counter = array._version
                if counter is None:
                    counter = array._version = [0]
                versions.append((array, counter[0]))

    def saved(self, entries):
        """The kept inputs and outputs for the gradient, placeholders for the rest.

        Raises if the node was freed or a kept array was written in place since it was
        recorded. With ``entries`` the outputs carry this node's tape entries, so that a
        recorded gradient (``create_graph``) depends on them.
        """
        if self.inputs is None:
            raise MXNetError(
                f"backward: the graph through {self.op.name} was freed by an earlier backward; "
                "pass retain_graph=True to differentiate a graph more than once"
            )
        for array, version in self.versions:
            if array._version[0] != version:
                raise MXNetError(
                    f"backward: an input or output of {self.op.name} (shape {array.shape}) was "
                    "written in place after it was recorded, so its gradient would be wrong; "
                    "change a copy instead, or record the computation again"
                )
        inputs, outputs = self.inputs, self.outputs
        if self.op.saves is not None:
            inputs = [x.placeholder() if type(x) is _Absent else x for x in inputs]
            outputs = [x.placeholder() if type(x) is _Absent else x for x in outputs]
        if entries:
            outputs = [_entry_twin(x, (self, i)) for i, x in enumerate(outputs)]
        return inputs, outputs

    def free(self):
        self.inputs = self.outputs = self.versions = None


def _entry_twin(array, entry):
    """A twin of ``array`` that is the tape entry ``entry`` (for recorded gradients)."""
    twin = _twin(array)
    twin._ag = entry
    return twin


def record_call(op, p, inputs, outputs):
    """Put one operator call on the tape if any input is on it (called by ``invoke``)."""
    # MXNet 1.x clears the graph a backward() frees, so its outputs (an RNN state carried
    # into the next batch without detach) enter later recordings as constants.
    parents = [
        None if type(entry) is tuple and entry[0].inputs is None else entry
        for entry in (x._ag for x in inputs)
    ]
    if parents.count(None) == len(parents):
        return
    saves = op.saves
    if saves is None:
        kept_inputs = list(inputs)
        kept_outputs = [_twin(out) for out in outputs]
    else:
        kept_inputs = [
            x if name in saves else _Absent(x) for name, x in zip(op.arguments(p), inputs)
        ]
        keep = "outputs" in saves
        kept_outputs = [_twin(out) if keep else _Absent(out) for out in outputs]
    node = Node(op, p, parents, kept_inputs, kept_outputs)
    if op.auxiliary:
        # Auxiliary states are read live: a gradient may update one in place (MXNet's
        # IdentityAttachKLSparseReg updates moving_avg in backward), so writes after recording
        # are expected, also between two uses in one graph or two backward calls.
        states = [x for name, x in zip(op.arguments(p), inputs) if name in op.auxiliary]
        node.versions = [
            (array, version)
            for array, version in node.versions
            if not any(array is state for state in states)
        ]
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
    """Mark arrays as variables whose gradients ``backward`` writes into ``gradients``.

    ``grad_reqs`` is ``'write'`` (overwrite), ``'add'`` (accumulate) or ``'null'`` (none),
    one for all or one per variable.

    >>> x = mx.nd.array([1., 2.]); g = mx.nd.zeros(2)
    >>> mx.autograd.mark_variables([x], [g])
    """
    variables, gradients = _as_list(variables), _as_list(gradients)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not len(variables) == len(gradients) == len(reqs):
        raise MXNetValueError(
            f"mark_variables: got {len(variables)} variables, {len(gradients)} gradients and "
            f"{len(reqs)} grad_reqs; they must have equal lengths"
        )
    for i, (variable, gradient, req) in enumerate(zip(variables, gradients, reqs)):
        if req not in ("write", "add", "null"):
            raise MXNetValueError(
                f"mark_variables: grad_req must be 'write', 'add' or 'null', got {req!r}"
            )
        if not (isinstance(variable, NDArray) and isinstance(gradient, NDArray)):
            raise MXNetTypeError(
                f"mark_variables: variables[{i}] and gradients[{i}] must be NDArrays, got "
                f"{type(variable).__name__} and {type(gradient).__name__}"
            )
        if gradient.shape != variable.shape:
            raise MXNetValueError(
                f"mark_variables: gradients[{i}] has shape {gradient.shape}, but its variable "
                f"has shape {variable.shape}"
            )
        variable._ag = Variable(gradient, req)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


# ---- backward -----------------------------------------------------------------------------


def _walk(entries, wanted):
    """Return (nodes, needed, reached) for the graph behind the tape ``entries``.

    ``nodes``: every node the entries depend on, inputs before their users; ``needed``: the
    nodes a gradient flows through to a wanted Variable; ``reached``: the wanted Variables
    found. ``wanted`` is a set of Variables, or None for every one whose grad_req is not null.
    """

    def is_wanted(parent):
        return parent.grad_req != "null" if wanted is None else parent in wanted

    nodes, needed, seen = [], set(), set()
    reached = {e: None for e in entries if type(e) is Variable and is_wanted(e)}
    stack = [(entry[0], False) for entry in entries if type(entry) is tuple]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            nodes.append(node)
            for parent in node.parents:
                if type(parent) is tuple:
                    if parent[0] in needed:
                        needed.add(node)
                elif parent is not None and is_wanted(parent):
                    reached[parent] = None
                    needed.add(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p[0], False) for p in node.parents if type(p) is tuple)
    return nodes, needed, list(reached)


def _accumulate(grads, key, value):
    current = grads.get(key)
    grads[key] = value if current is None else current if value is None else current + value


def _seeds(heads, head_grads):
    """The heads as a list and their output gradients (ones where none is given)."""
    heads = _as_list(heads)
    head_grads = [None] * len(heads) if head_grads is None else _as_list(head_grads)
    if len(head_grads) != len(heads):
        raise MXNetValueError(
            f"backward: got {len(head_grads)} head gradients for {len(heads)} heads"
        )
    seeds = []
    for i, (head, head_grad) in enumerate(zip(heads, head_grads)):
        if not isinstance(head, NDArray):
            raise MXNetTypeError(
                f"backward: heads[{i}] must be an NDArray, got {type(head).__name__}"
            )
        if head._ag is None:
            raise MXNetError(
                f"backward: heads[{i}] is not in a recorded graph; compute it inside "
                "autograd.record() from arrays with attach_grad()"
            )
        if head_grad is None:
            head_grad = nd.ones(head.shape, ctx=head.context, dtype=head.dtype)
        elif not isinstance(head_grad, NDArray) or head_grad.shape != head.shape:
            raise MXNetValueError(
                f"backward: head_grads[{i}] must be an NDArray of its head's shape "
                f"{head.shape}, got {getattr(head_grad, 'shape', type(head_grad).__name__)}"
            )
        seeds.append(head_grad)
    return heads, seeds


def _run_backward(heads, head_grads, retain_graph, create_graph, train_mode, wanted=None):
    """Differentiate ``heads``; return {Variable: gradient} for the wanted Variables reached
    (None for one no gradient reaches through the graph, i.e. zero).

    ``wanted``: a list of Variables (``grad``), or None for all with a grad_req other than
    'null' (``backward``). Raises if none (``backward``) or not all (``grad``) are reached.
    """
    heads, seeds = _seeds(heads, head_grads)
    entries = [head._ag for head in heads]
    nodes, needed, reached = _walk(entries, None if wanted is None else set(wanted))
    _check_reached(wanted, reached)
    targets = set(reached)
    grads: dict = {}
    for entry, seed in zip(entries, seeds):
        _accumulate(grads, entry, seed)
    with _scope(create_graph, train_mode):
        for node in reversed(nodes):
            if node not in needed:
                continue
            dys = [grads.pop((node, i), None) for i in range(node.n_outputs)]
            present = [dy for dy in dys if dy is not None]
            if not present:
                continue
            inputs, outputs = node.saved(create_graph)
            if not retain_graph:
                node.free()
            if len(present) < len(dys):
                _fill_visible(node, dys, outputs)
            in_grads = input_gradients(node.op, node.p, inputs, outputs, dys, nd)
            for parent, in_grad in zip(node.parents, in_grads):
                # Not into constants, unwanted variables or nodes leading to none.
                if (
                    in_grad is not None
                    and parent is not None
                    and (parent[0] in needed if type(parent) is tuple else parent in targets)
                ):
                    _accumulate(grads, parent, in_grad)
    if not retain_graph:
        for node in nodes:
            node.free()
    return {variable: grads.get(variable) for variable in reached}


def _fill_visible(node, dys, outputs):
    """Give zeros to the visible outputs that got no gradient, as MXNet does, so gradients
    need not handle None for them; hidden outputs (a dropout mask) keep None."""
    for i in range(node.op.num_visible_outputs(node.p)):
        if dys[i] is None:
            out = outputs[i]
            dys[i] = nd.zeros(out.shape, ctx=out.context, dtype=out.dtype)


def _check_reached(wanted, reached):
    if wanted is None:
        if not reached:
            raise MXNetError(
                "backward: no array in the graph of the heads requires a gradient; call "
                "attach_grad() (with grad_req 'write' or 'add') on an input before recording"
            )
        return
    found = set(reached)
    for i, variable in enumerate(wanted):
        if variable not in found:
            raise MXNetValueError(
                f"grad: cannot differentiate with respect to variables[{i}]: it is unreachable "
                "from the heads"
            )


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute the gradients of ``heads`` into the ``.grad`` of the recorded variables.

    The gradients of several heads add up; ``head_grads`` (one per head, None for ones)
    are the heads' output gradients. A variable with grad_req ``'write'`` gets the new
    gradient, one with ``'add'`` adds it to what its ``.grad`` holds. Without
    ``retain_graph`` the graph is freed: differentiating it again is an error.

    >>> x = mx.nd.array([1., 2.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y, z = x * x, x * 3
    >>> mx.autograd.backward([y, z]); x.grad.asnumpy()
    array([5., 7.], dtype=float32)
    """
    results = _run_backward(heads, head_grads, retain_graph, False, train_mode)
    with pause():
        for variable, gradient in results.items():
            if variable.grad_req == "add":
                if gradient is not None:
                    variable.grad += gradient
            elif gradient is None:
                nd.zeros_like(variable.grad, out=variable.grad)
            else:
                gradient.copyto(variable.grad)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False, train_mode=True):
    """Return the gradients of ``heads`` for ``variables`` as a list (``.grad`` untouched).

    With ``create_graph=True`` the returned gradients are themselves recorded, so they can
    be differentiated again; ``retain_graph`` defaults to ``create_graph``.

    >>> x = mx.nd.array([1., 2.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x * x * x
    ...     dx = mx.autograd.grad(y, x, create_graph=True)[0]
    >>> dx.backward(); x.grad.asnumpy()
    array([ 6., 12.], dtype=float32)
    """
    variables = _as_list(variables)
    marks = []
    for i, variable in enumerate(variables):
        mark = getattr(variable, "_ag", None)
        if type(mark) is not Variable or mark.grad_req == "null":
            raise MXNetValueError(
                f"grad: variables[{i}] does not require a gradient; call attach_grad() on it "
                "(grad_req 'write' or 'add') before recording"
            )
        marks.append(mark)
    if retain_graph is None:
        retain_graph = create_graph
    results = _run_backward(heads, head_grads, retain_graph, create_graph, train_mode, marks)
    return [
        nd.zeros_like(variable) if results[mark] is None else results[mark]
        for variable, mark in zip(variables, marks)
    ]


set_tape(sys.modules[__name__])

# At the end: custom functions build on the tape above.
from .autograd_function import Function  # noqa: E402
from .autograd_symbol import get_symbol  # noqa: E402
