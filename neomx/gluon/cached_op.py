"""``CachedOp``: run a hybridized block's traced graph through planned executors.

One graph serves every call; executors are bound per input signature (shapes, dtypes,
context, which inputs need gradients, recording or not) and reuse their planned buffers
call after call. Parameters are bound by reference, so optimizer updates are seen at once.

Under ``autograd.record()`` one call is ONE node on the autograd tape: its gradient runs the
executor's backward pass. Until that node is differentiated (or dropped) its executor holds
the forward state, so a second call in the same recording (a siamese net, an RNN unrolled
by hand) gets an executor of its own.
"""

from __future__ import annotations

import weakref

from .. import autograd
from ..autograd import Node, Variable, _Absent
from ..base import MXNetError
from ..ndarray.ndarray import NDArray

__all__ = ["CachedOp"]


class _GraphOp:
    """Stands in for a registry operator on the tape: the whole cached graph."""

    differentiable = True
    saves = ()
    auxiliary = ()

    def __init__(self, name, slot, n_outputs):
        self.name = name
        self.slot = slot
        self.n_outputs = n_outputs

    def num_visible_outputs(self, p):
        return self.n_outputs

    def arguments(self, p):
        return self.slot.input_names

    def gradient(self, p, F, inputs, outputs, dys):
        slot = self.slot
        executor = slot.executor
        training = autograd.is_training()
        # NOTE: the executor's kernels also read the training flag: keep it through pause.
        with autograd.pause(train_mode=training):
            executor.backward(list(dys), is_train=training)
            grads = []
            for array in slot.grad_arrays:
                # The executor's gradient arrays are overwritten by its next backward.
                grads.append(None if array is None else array.copy())
        return grads


class _Slot:
    """One bound executor with its input buffers; busy while a tape node needs it."""

    def __init__(self, executor, data_positions, input_names, grad_arrays):
        self.executor = executor
        self.data_positions = data_positions
        self.input_names = input_names
        self.grad_arrays = grad_arrays
        self.node = None

    def busy(self):
        node = self.node() if self.node is not None else None
        return node is not None and node.inputs is not None


class CachedOp:
    """The traced graph ``symbol`` of a block, callable on lists of NDArrays.

    ``data_names`` are the graph's input variables in call order; ``params`` maps the other
    variables' names to their Parameters.
    """

    def __init__(self, symbol, data_names, params, flags=None, name="cachedop"):
        self.symbol = symbol
        self.data_names = list(data_names)
        self.params = dict(params)
        self.flags = dict(flags or {})
        self.name = name
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self._n_outputs = len(symbol.list_outputs())
        self._slots: dict = {}

    def __call__(self, data):
        if len(data) != len(self.data_names):
            raise MXNetError(
                f"{self.name}: the hybridized graph takes {len(self.data_names)} input(s), got "
                f"{len(data)}"
            )
        by_name = dict(zip(self.data_names, data))
        ctx = data[0].context
        recording = autograd.is_recording()
        training = autograd.is_training()
        param_arrays = {name: param.data(ctx) for name, param in self.params.items()}
        args = [by_name[n] if n in by_name else param_arrays[n] for n in self._arg_names]
        on_tape = [recording and _needs_grad(a) for a in args]
        key = (
            ctx,
            tuple((tuple(a.shape), a.dtype) for a in data),
            tuple(on_tape),
            # Bound arrays stay alive with their executor, so their ids are not reused.
            tuple(id(a) for a in param_arrays.values()),
        )
        slots = self._slots.get(key)
        if slots is None:
            # Parameters were replaced (or first call): drop executors bound to old arrays.
            self._slots = {k: v for k, v in self._slots.items() if k[3] == key[3]}
            slots = self._slots[key] = []
        slot = next((s for s in slots if not s.busy()), None)
        if slot is None:
            slot = self._bind(ctx, args, on_tape, param_arrays)
            slots.append(slot)
        executor = slot.executor
        with autograd.pause(train_mode=training):
            for position, value in zip(slot.data_positions, data):
                if position is not None:
                    value.copyto(executor.arg_arrays[position])
            outputs = executor.forward(is_train=training)
            outputs = [out.copy() for out in outputs]
        if recording and any(on_tape):
            parents = [a._ag if tape else None for a, tape in zip(args, on_tape)]
            op = _GraphOp(self.name, slot, self._n_outputs)
            node = Node(
                op, None, parents, [_Absent(a) for a in args], [_Absent(o) for o in outputs]
            )
            for index, out in enumerate(outputs):
                out._ag = (node, index)
            slot.node = weakref.ref(node)
        return outputs

    def _bind(self, ctx, args, on_tape, param_arrays):
        """A new executor for these inputs, bound to the Parameters' arrays."""
        arg_arrays, grad_arrays, reqs = [], [], []
        data_positions = [None] * len(self.data_names)
        for i, (name, array, tape) in enumerate(zip(self._arg_names, args, on_tape)):
            if name in self.params:
                arg_arrays.append(array)
            else:
                data_positions[self.data_names.index(name)] = i
                arg_arrays.append(NDArray._wrap(ctx.xp.zeros(array.shape, array._data.dtype), ctx))
            if tape:
                grad_arrays.append(NDArray._wrap(ctx.xp.zeros(array.shape, array._data.dtype), ctx))
                reqs.append("write")
            else:
                grad_arrays.append(None)
                reqs.append("null")
        aux_arrays = [param_arrays[name] for name in self._aux_names]
        executor = self.symbol.bind(
            ctx, arg_arrays, args_grad=grad_arrays, grad_req=reqs, aux_states=aux_arrays
        )
        return _Slot(executor, data_positions, list(self._arg_names), grad_arrays)


def _needs_grad(array):
    """Whether a gradient of ``array`` is wanted: it is on the tape (a recorded result, or a
    variable whose grad_req is not 'null')."""
    entry = array._ag
    if entry is None:
        return False
    if type(entry) is Variable:
        return entry.grad_req != "null"
    return True
