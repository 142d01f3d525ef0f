"""``Executor``: a Symbol bound to devices and arrays, compiled into one planned program.

Binding infers every shape and dtype, traces the backward graph from the registry's gradient
definitions (neomx.graph.gradient) for the arguments whose ``grad_req`` is not 'null', and
compiles forward and backward into a flat program of operator calls on buffers planned once
(neomx.graph.program, neomx.graph.memory). ``forward`` and ``backward`` each run their part of
the program as one engine operation. Outputs are arrays the executor owns: each forward
overwrites them, as in MXNet.
"""

from __future__ import annotations

from .. import engine as _engine
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..graph.gradient import build_backward
from ..graph.infer import infer_shapes, infer_types
from ..graph.node import Node, topo_order, variables
from ..graph.passes import eliminate_common_subexpressions, optimize
from ..graph.placement import place
from ..graph.program import Program
from ..ndarray.ndarray import NDArray
from ..ops.infer import shape_str
from ..ops.registry import REGISTRY

__all__ = ["Executor"]

# Plan shared storage and in-place writes (False: one buffer per value, for comparisons).
PLAN_MEMORY = True

_COPY = REGISTRY["_copy"]
_ADD = REGISTRY["elemwise_add"]
_ZEROS_LIKE = REGISTRY["zeros_like"]
_DEVICE_COPY = REGISTRY["_CrossDeviceCopy"]


class Executor:
    """A bound Symbol: run ``forward`` and ``backward`` on its arrays.

    Made by ``Symbol.bind``, ``Symbol.simple_bind`` or ``Executor.reshape``; ``arg_arrays``,
    ``grad_arrays`` and ``aux_arrays`` are the arrays given (or allocated) there, in
    ``list_arguments``/``list_auxiliary_states`` order.

    >>> x = mx.sym.var('x')
    >>> ex = (x * 2).bind(mx.cpu(), {'x': mx.nd.ones((2,))})
    >>> ex.forward()[0].asnumpy()
    array([2., 2.], dtype=float32)
    """

    def __init__(self, symbol, ctx, arg_arrays, grad_arrays, grad_reqs, aux_arrays, group2ctx=None):
        self._symbol = symbol
        self._ctx = ctx
        self._group2ctx = group2ctx
        self.arg_arrays = list(arg_arrays)
        self.grad_arrays = list(grad_arrays)
        self.aux_arrays = list(aux_arrays)
        self._grad_req = list(grad_reqs)
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self.arg_dict = dict(zip(self._arg_names, self.arg_arrays))
        self.grad_dict = dict(zip(self._arg_names, self.grad_arrays))
        self.aux_dict = dict(zip(self._aux_names, self.aux_arrays))
        self._monitor = None
        self._monitor_all = False
        self._is_train = False
        self._compile()

    # ---- building -------------------------------------------------------------------------

    def _compile(self):
        symbol = self._symbol
        arg_nodes, aux_nodes = variables(symbol._nodes())
        bound = dict(zip(arg_nodes, self.arg_arrays))
        bound.update(zip(aux_nodes, self.aux_arrays))
        # Dead-node and common-subexpression elimination; variables keep their identity.
        outputs = optimize(symbol._outputs)
        group2ctx = self._group2ctx or None
        placement = {}
        if group2ctx:
            fixed = {node: array.context for node, array in bound.items()}
            outputs, placement = place(outputs, group2ctx, self._ctx, fixed)
        self._placement = placement
        nodes = topo_order(outputs)
        shapes, dtypes = _infer(nodes, bound)
        reqs = dict(zip(arg_nodes, self._grad_req))
        wanted = [node for node in arg_nodes if reqs[node] != "null"]
        external = {(node, 0): array._data for node, array in bound.items()}
        grads = dict(zip(arg_nodes, self.grad_arrays))
        # Outputs: arrays of the executor's own; a variable or repeated output is copied.
        self.outputs = []
        forward_extra = []
        for entry in outputs:
            ctx = self._ctx_of(entry[0])
            array = NDArray._wrap(ctx.xp.zeros(shapes[entry], dtypes[entry]), ctx)
            self.outputs.append(array)
            if entry[0].op is None or entry in external:
                node = self._extra(
                    _COPY, f"{entry[0].name}_output_copy", [entry], ctx, shapes, dtypes
                )
                forward_extra.append(node)
                entry = (node, 0)
            external[entry] = array._data
        forward_nodes = [n for n in nodes if n.op is not None] + forward_extra
        self._head_arrays = []
        backward_nodes, labels = [], {}
        if wanted:
            backward = build_backward(outputs, shapes, dtypes, wanted)
            labels = backward.labels
            finals = self._backward_graph(backward, outputs, wanted, shapes, dtypes)
            forward_set = set(forward_nodes)
            self._forward_set = forward_set
            finals = self._gradient_steps(finals, wanted, reqs, grads, shapes, dtypes, external)
            backward_nodes = [
                n for n in topo_order(finals) if n.op is not None and n not in forward_set
            ]
            used = {src for n in backward_nodes for src, _ in n.inputs}
            for head, entry in zip(backward.head_grads, outputs):
                if head is None or head not in used:
                    self._head_arrays.append(None)
                    continue
                ctx = self._ctx_of(entry[0])
                array = NDArray._wrap(ctx.xp.zeros(shapes[(head, 0)], dtypes[(head, 0)]), ctx)
                external[(head, 0)] = array._data
                self._head_arrays.append(array)
        self._program = Program(
            [forward_nodes, backward_nodes],
            shapes,
            dtypes,
            external,
            self._ctx_of,
            reuse=PLAN_MEMORY,
            labels=labels,
        )
        self._has_backward = bool(backward_nodes)
        self._forward_written = self.outputs + self.aux_arrays
        self._backward_written = [
            grads[node] for node in wanted if grads[node] is not None
        ] + self.aux_arrays
        self._engine_state = _engine.current.new_var()

    def _ctx_of(self, node):
        return self._placement.get(node, self._ctx)

    def _extra(self, op, name, inputs, ctx, shapes, dtypes):
        """A node the executor adds (copies, gradient writes), placed on ``ctx``."""
        node = Node(op, name, {}, op.params.parse(op.name, {}), inputs)
        shapes[(node, 0)], dtypes[(node, 0)] = shapes[inputs[-1]], dtypes[inputs[-1]]
        if ctx != self._ctx or self._placement:
            self._placement[node] = ctx
        return node

    def _backward_graph(self, backward, outputs, wanted, shapes, dtypes):
        """The gradient entries of ``wanted`` after CSE and placement (None: no gradient)."""
        present = [backward.grads[v] for v in wanted if backward.grads[v] is not None]
        entries = eliminate_common_subexpressions(list(outputs) + present)
        if self._placement:
            fixed = dict(self._placement)
            for head, entry in zip(backward.head_grads, outputs):
                if head is not None:
                    fixed[head] = self._placement[entry[0]]
            entries, placement = place(entries, self._group2ctx, self._ctx, fixed)
            self._placement.update(placement)
        _complete(topo_order(entries), shapes, dtypes)
        found = iter(entries[len(outputs) :])
        return {v: (next(found) if backward.grads[v] is not None else None) for v in wanted}

    def _gradient_steps(self, found, wanted, reqs, grads, shapes, dtypes, external):
        """Write each wanted gradient (``found``: {variable: entry or None}) into its array;
        return the entries that compute them all."""
        nodes = topo_order([g for g in found.values() if g is not None])
        readers: dict = {}
        for node in nodes:
            for entry in node.inputs:
                readers[entry] = readers.get(entry, 0) + 1
        finals = []
        for variable in wanted:
            array, grad, req = grads[variable], found[variable], reqs[variable]
            ctx = array.context
            target = Node(None, f"{variable.name}_grad")
            shapes[(target, 0)], dtypes[(target, 0)] = shapes[(variable, 0)], dtypes[(variable, 0)]
            if ctx != self._ctx or self._placement:
                self._placement[target] = ctx
            external[(target, 0)] = array._data
            if grad is not None and self._ctx_of(grad[0]) != ctx:
                grad = (
                    self._extra(
                        _DEVICE_COPY, f"{variable.name}_grad_transfer", [grad], ctx, shapes, dtypes
                    ),
                    0,
                )
                self._placement[grad[0]] = ctx
            if req == "write" and grad is None:
                step = self._extra(
                    _ZEROS_LIKE, f"{variable.name}_grad_zeros", [(target, 0)], ctx, shapes, dtypes
                )
            elif req == "write" and (
                grad[0].op is not None
                and grad[0] not in self._forward_set
                and readers.get(grad, 0) == 0
                and grad not in external
            ):
                # The last gradient step writes straight into the gradient array.
                external[grad] = array._data
                finals.append(grad)
                continue
            elif req == "write":
                step = self._extra(_COPY, f"{variable.name}_grad_copy", [grad], ctx, shapes, dtypes)
            elif grad is None:
                continue
            else:
                step = self._extra(
                    _ADD, f"{variable.name}_grad_add", [(target, 0), grad], ctx, shapes, dtypes
                )
            external[(step, 0)] = array._data
            finals.append((step, 0))
        return finals

    # ---- running --------------------------------------------------------------------------

    def forward(self, is_train=False, **kwargs):
        """Compute the outputs; ``kwargs`` first copy new values into arguments by name.

        Returns ``outputs``, overwritten by the next forward. ``is_train`` runs layers such
        as Dropout and BatchNorm in training mode (BatchNorm updates its moving statistics).
        """
        for name, value in kwargs.items():
            if not isinstance(value, NDArray) and not hasattr(value, "__array_interface__"):
                raise MXNetValueError(
                    "forward: only accepts keyword arguments of NDArrays and numpy.ndarrays"
                )
            target = self.arg_dict.get(name)
            if target is None:
                raise MXNetTypeError(f"Unknown argument {name}")
            if tuple(target.shape) != tuple(value.shape):
                raise MXNetValueError(
                    f"Shape not match! Argument {name}, need: {target.shape}, received: "
                    f"{tuple(value.shape)}"
                )
            target[:] = value
        self._is_train = bool(is_train)
        reads = self.arg_arrays
        self._launch(0, self._is_train, reads, self._forward_written, "forward")
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Compute the gradients of the arguments into ``grad_arrays``.

        ``out_grads`` (an NDArray, a list of them, or a dict by output name) are the
        gradients of the outputs. Outputs of loss layers (``SoftmaxOutput``, ``make_loss``)
        ignore them; any other output needs one, as in MXNet.
        """
        if out_grads is None:
            out_grads = []
        elif isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        elif isinstance(out_grads, dict):
            out_grads = [out_grads[name] for name in self._output_names]
        for value in out_grads:
            if not isinstance(value, NDArray):
                raise MXNetTypeError("backward: out_grads must be NDArrays")
        for i, head in enumerate(self._head_arrays):
            if head is None:
                continue
            if i >= len(out_grads) or out_grads[i] is None:
                raise MXNetError(
                    "Because the last operator is not Loss function, head_gradient is "
                    "required when calling backward. If you are attempting to minimize the "
                    "output as an objective, please modify your network and pass it through "
                    f"the make_loss symbol. (output {i}: {self._output_names[i]})"
                )
            if tuple(out_grads[i].shape) != tuple(head.shape):
                raise MXNetValueError(
                    f"backward: out_grads[{i}] has shape {shape_str(out_grads[i].shape)}; "
                    f"output {self._output_names[i]} has shape {shape_str(head.shape)}"
                )
            out_grads[i].copyto(head)
        if not self._has_backward:
            return
        reads = self.arg_arrays + [h for h in self._head_arrays if h is not None]
        self._launch(1, bool(is_train), reads, self._backward_written, "backward")

    def _launch(self, phase, is_train, reads, written, what):
        for array in written:
            if array._version is not None:
                array._version[0] += 1
        program = self._program
        monitor = self._monitor
        eng = _engine.current
        if monitor is not None or eng.is_sync:
            if not eng.is_sync:
                # The callback may read arrays (asnumpy): run in this thread, in order.
                eng.waitall()
            program.run(phase, is_train, monitor, self._monitor_all)
            return
        monitor_all = self._monitor_all

        def run():
            program.run(phase, is_train, None, monitor_all)

        eng.push(
            run,
            [x._engine_var() for x in reads],
            [x._engine_var() for x in written] + [self._engine_state],
            self._ctx,
            f"Executor.{what}",
        )

    # ---- views and helpers ---------------------------------------------------------------

    @property
    def output_dict(self):
        """{output name: output array}; names must be unique."""
        names = self._output_names
        if len(set(names)) != len(names):
            raise MXNetValueError(f"Duplicate names detected, {names}")
        return dict(zip(names, self.outputs))

    @property
    def planned_bytes(self) -> int:
        """Bytes of the planned intermediate buffers (outputs and bound arrays excluded)."""
        return self._program.plan.planned_bytes

    @property
    def naive_bytes(self) -> int:
        """Bytes the intermediates would take with one buffer each."""
        return self._program.plan.naive_bytes

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, array)`` on every operator output as it is computed
        (with ``monitor_all`` also on its inputs); None removes the callback."""
        self._monitor = callback
        self._monitor_all = bool(monitor_all)

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy values into the arguments and auxiliary states by name (cast as needed)."""
        for name, array in (arg_params or {}).items():
            if name in self.arg_dict:
                target = self.arg_dict[name]
                array.astype(target.dtype).copyto(target)
            elif not allow_extra_params:
                raise MXNetValueError(f'Find name "{name}" that is not in the arguments')
        for name, array in (aux_params or {}).items():
            if name in self.aux_dict:
                target = self.aux_dict[name]
                array.astype(target.dtype).copyto(target)
            elif not allow_extra_params:
                raise MXNetValueError(f"Find name {name} that is not in the auxiliary states")

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """Return an executor for new input shapes that shares this one's arrays.

        Arrays whose shape stays share storage; smaller ones are views of the old ones;
        larger ones are new (only with ``allow_up_sizing``). Without ``partial_shaping``,
        an argument whose shape is not given must keep its shape.
        """
        from .binding import reshape_arrays

        args, grads, aux = reshape_arrays(self, partial_shaping, allow_up_sizing, kwargs)
        return Executor(self._symbol, self._ctx, args, grads, self._grad_req, aux, self._group2ctx)

    def debug_str(self):
        """Return the program (forward and backward steps) and its memory plan as text."""
        lines = ["Symbol Outputs:"]
        lines += [f"\toutput[{i}]={name}" for i, name in enumerate(self._output_names)]
        for title, steps in zip(("Forward", "Backward"), self._program.phases):
            lines.append(f"{title}: {len(steps)} steps")
            for step in steps:
                node = step[7]
                lines.append("-" * 20)
                lines.append(f"Op:{node.op.name}, Name={node.name}")
                lines.append("Inputs:")
                lines += [
                    f"\targ[{i}]={src.output_name(index)} {shape_str(step[3][i].shape)}"
                    for i, (src, index) in enumerate(node.inputs)
                ]
        plan = self._program.plan
        lines.append(
            f"Total {plan.planned_bytes / 2**20:.3f} MB allocated for intermediates "
            f"({plan.naive_bytes / 2**20:.3f} MB without planning, {len(plan.sizes)} buffers, "
            f"{plan.inplace} written in place)"
        )
        return "\n".join(lines) + "\n"

    def __repr__(self):
        return f"<Executor {self._symbol!r} @{self._ctx}>"


def _infer(nodes, bound):
    """Shapes and dtypes of every entry, given the bound arrays; all must be known."""
    shapes = infer_shapes(nodes, {node: array.shape for node, array in bound.items()})
    dtypes = infer_types(nodes, {node: array._data.dtype for node, array in bound.items()})
    for node, array in bound.items():
        if shapes.get((node, 0)) != tuple(array.shape):
            raise MXNetValueError(
                f"bind: {node.name} has shape {shape_str(array.shape)}; the graph needs "
                f"{shape_str(shapes.get((node, 0)))}"
            )
        if dtypes.get((node, 0)) != array._data.dtype:
            raise MXNetTypeError(
                f"bind: {node.name} has dtype {array._data.dtype}; the graph needs "
                f"{dtypes.get((node, 0))}"
            )
    for node in nodes:
        for i in range(node.num_outputs()):
            if shapes.get((node, i)) is None:
                raise MXNetError(f"bind: cannot infer the shape of {node.output_name(i)}")
            if dtypes.get((node, i)) is None:
                raise MXNetError(f"bind: cannot infer the dtype of {node.output_name(i)}")
    return shapes, dtypes


def _complete(nodes, shapes, dtypes):
    """Fill in the shapes and dtypes of nodes that passes added (copies, merged twins)."""
    for node in nodes:
        if node.op is None or (node, 0) in shapes:
            continue
        in_shapes = [shapes[entry] for entry in node.inputs]
        in_types = [dtypes[entry] for entry in node.inputs]
        out_shapes = node.op.check_shapes(node.p, in_shapes)
        out_types = node.op.infer_type(node.p, *in_types)[1]
        for i, (shape, dtype) in enumerate(zip(out_shapes, out_types)):
            shapes[(node, i)], dtypes[(node, i)] = tuple(shape), dtype
