"""``DataParallelExecutorGroup``: one Executor per device, each running a slice of the batch.

The batch is split along its batch axis in proportion to ``workload``; each device's
executor shares its parameter arrays with the matching executor of a shared group
(BucketingModule). Outputs are joined back along the batch axis; gradients stay per device
(Module sums them through a KVStore before updating).
"""

from __future__ import annotations

import logging

from .. import ndarray as nd
from ..base import MXNetError, MXNetValueError
from ..context import cpu
from ..io import DataDesc
from ..ndarray import NDArray

__all__ = ["DataParallelExecutorGroup", "split_input_slice"]


def split_input_slice(batch_size, work_load_list):
    """Split ``range(batch_size)`` into one slice per device, sized by ``work_load_list``."""
    total = sum(work_load_list)
    sizes = [round(load * batch_size / total) for load in work_load_list]
    if sum(sizes) < batch_size:
        sizes[-1] += batch_size - sum(sizes)
    slices, end = [], 0
    for size in sizes:
        begin = int(min(end, batch_size))
        end = int(min(begin + size, batch_size))
        if begin >= end:
            raise MXNetValueError(
                f"Too many slices: a batch of {batch_size} cannot be split over the work loads "
                f"{list(work_load_list)} without an empty part"
            )
        slices.append(slice(begin, end))
    return slices


def _as_descs(shapes):
    if shapes is None:
        return []
    return [s if isinstance(s, DataDesc) else DataDesc(*s) for s in shapes]


def _slice_of(array, part, axis, ctx=None):
    """The ``part`` (a slice) of ``array`` along ``axis`` (axis < 0: the whole array)."""
    if axis < 0:
        piece = array
    elif part.start == 0 and array.shape[axis] == part.stop:
        piece = array
    else:
        piece = array.slice_axis(axis=axis, begin=part.start, end=part.stop)
    return piece if ctx is None else piece.as_in_context(ctx)


def merge_parts(outputs, major_axis):
    """Join each output's per-device parts along its batch axis (on the first device)."""
    merged = []
    for parts, axis in zip(outputs, major_axis):
        if axis >= 0 and len(parts) > 1:
            ctx = parts[0].context
            merged.append(nd.concat(*[p.as_in_context(ctx) for p in parts], dim=axis))
        else:
            merged.append(parts[0])
    return merged


class DataParallelExecutorGroup:
    """Executors of one Symbol on several devices, fed slices of each batch.

    Module builds this; most users never see it. ``param_arrays[i][k]`` (and
    ``grad_arrays``) is device ``k``'s copy of the ``i``-th parameter.
    """

    def __init__(
        self,
        symbol,
        contexts,
        workload,
        data_shapes,
        label_shapes,
        param_names,
        for_training,
        inputs_need_grad,
        shared_group=None,
        logger=logging,
        fixed_param_names=None,
        grad_req="write",
        state_names=None,
        group2ctxs=None,
    ):
        self.param_names = list(param_names)
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.symbol = symbol
        self.contexts = list(contexts)
        self.workload = list(workload)
        self.group2ctxs = group2ctxs
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.logger = logger
        self.fixed_param_names = list(fixed_param_names or [])
        self.state_names = list(state_names or [])
        data_names = [d.name for d in _as_descs(data_shapes)]
        self.grad_req = self._requests("null" if not for_training else grad_req, data_names)
        if shared_group is not None:
            self.shared_data_arrays = shared_group.shared_data_arrays
        else:
            self.shared_data_arrays = [{} for _ in self.contexts]
        self.execs = []
        self._default_execs = None
        self.batch_size = None
        self.slices = None
        self.data_arrays = None
        self.label_arrays = None
        self.param_arrays = None
        self.grad_arrays = None
        self.aux_arrays = None
        self.data_grad_arrays = None
        self.output_names = symbol.list_outputs()
        self.output_layouts = [
            DataDesc.get_batch_axis(symbol[i].attr("__layout__"))
            for i in range(len(self.output_names))
        ]
        self.num_outputs = len(self.output_names)
        self.bind_exec(data_shapes, label_shapes, shared_group)

    def _requests(self, grad_req, data_names):
        def default(name, req):
            if name in self.param_names:
                return "null" if name in self.fixed_param_names else req
            if name in data_names:
                return req if self.inputs_need_grad else "null"
            return "null"

        if isinstance(grad_req, str):
            return {name: default(name, grad_req) for name in self.arg_names}
        if isinstance(grad_req, (list, tuple)):
            if len(grad_req) != len(self.arg_names):
                raise MXNetValueError("grad_req: the list must have one entry per argument")
            return dict(zip(self.arg_names, grad_req))
        if isinstance(grad_req, dict):
            requests = {name: default(name, "write") for name in self.arg_names}
            requests.update(grad_req)
            return requests
        raise MXNetValueError("grad_req must be a str, a list or a dict")

    # ---- binding -------------------------------------------------------------------------

    def decide_slices(self, data_shapes):
        """Check the batch sizes agree; split the batch over the devices."""
        sizes = set()
        for desc in data_shapes:
            axis = DataDesc.get_batch_axis(desc.layout)
            if axis >= 0:
                sizes.add(desc.shape[axis])
        if len(sizes) != 1:
            shapes = [(d.name, d.shape) for d in data_shapes]
            raise MXNetValueError(f"all data must have the same batch size: {shapes}")
        self.batch_size = sizes.pop()
        self.slices = split_input_slice(self.batch_size, self.workload)
        return [DataDesc.get_batch_axis(desc.layout) for desc in data_shapes]

    def _sliced_shapes(self, shapes, part, axes):
        result = []
        for desc, axis in zip(shapes, axes):
            shape = list(desc.shape)
            if axis >= 0:
                shape[axis] = part.stop - part.start
            result.append(DataDesc(desc.name, tuple(shape), desc.dtype, desc.layout))
        return result

    def bind_exec(self, data_shapes, label_shapes, shared_group=None, reshape=False):
        """Bind (or with ``reshape`` re-shape) one executor per device."""
        data_shapes, label_shapes = _as_descs(data_shapes), _as_descs(label_shapes)
        self.data_layouts = self.decide_slices(data_shapes)
        self.label_layouts = [DataDesc.get_batch_axis(d.layout) for d in label_shapes]
        for i in range(len(self.contexts)):
            data_i = self._sliced_shapes(data_shapes, self.slices[i], self.data_layouts)
            label_i = self._sliced_shapes(label_shapes, self.slices[i], self.label_layouts)
            if reshape:
                shapes = {d.name: d.shape for d in data_i + label_i}
                self.execs[i] = self._default_execs[i].reshape(
                    partial_shaping=True, allow_up_sizing=True, **shapes
                )
            else:
                self.execs.append(self._bind_ith_exec(i, data_i, label_i, shared_group))
        self.data_shapes, self.label_shapes = data_shapes, label_shapes
        self.data_names = [d.name for d in data_shapes]
        self.label_names = [d.name for d in label_shapes]
        self._collect_arrays()

    def _bind_ith_exec(self, i, data_shapes, label_shapes, shared_group):
        shared_exec = None if shared_group is None else shared_group.execs[i]
        inputs = [d for d in data_shapes + label_shapes if d.name in self.arg_names]
        group2ctx = self.group2ctxs[i] if self.group2ctxs else None
        return self.symbol.simple_bind(
            ctx=self.contexts[i],
            grad_req=self.grad_req,
            type_dict={d.name: d.dtype for d in inputs},
            shared_arg_names=self.param_names,
            shared_exec=shared_exec,
            shared_buffer=self.shared_data_arrays[i],
            group2ctx=group2ctx,
            **{d.name: d.shape for d in inputs},
        )

    def _collect_arrays(self):
        execs = self.execs
        self.data_arrays = [
            [(self.slices[i], e.arg_dict[name]) for i, e in enumerate(execs)]
            for name in self.data_names
        ]
        # Labels the symbol does not take (an iterator's extra labels) are not loaded.
        self.label_arrays = [
            [(self.slices[i], e.arg_dict[name]) for i, e in enumerate(execs)]
            if name in self.arg_names
            else []
            for name in self.label_names
        ]
        params = [i for i, name in enumerate(self.arg_names) if name in self.param_names]
        self.param_arrays = [[e.arg_arrays[i] for e in execs] for i in params]
        self.grad_arrays = (
            [[e.grad_arrays[i] for e in execs] for i in params] if self.for_training else None
        )
        inputs = [self.arg_names.index(name) for name in self.data_names]
        self.data_grad_arrays = (
            [[e.grad_arrays[i] for e in execs] for i in inputs] if self.inputs_need_grad else None
        )
        self.aux_arrays = [[e.aux_arrays[i] for e in execs] for i in range(len(self.aux_names))]

    def reshape(self, data_shapes, label_shapes):
        """Re-shape the executors for new input shapes, sharing the parameters."""
        data_shapes, label_shapes = _as_descs(data_shapes), _as_descs(label_shapes)
        if data_shapes == self.data_shapes and label_shapes == self.label_shapes:
            return
        if self._default_execs is None:
            self._default_execs = list(self.execs)
        self.bind_exec(data_shapes, label_shapes, reshape=True)

    # ---- parameters ----------------------------------------------------------------------

    def set_params(self, arg_params, aux_params, allow_extra=False):
        """Copy the given parameters into every device's executor."""
        for exe in self.execs:
            exe.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Copy the device-averaged parameters into ``arg_params``/``aux_params`` (in place)."""
        for names, blocks, target in (
            (self.param_names, self.param_arrays, arg_params),
            (self.aux_names, self.aux_arrays, aux_params),
        ):
            for name, block in zip(names, blocks):
                if len(block) == 1:
                    value = block[0]
                else:
                    value = nd.add_n(*[w.copyto(cpu()) for w in block]) / len(block)
                value.astype(target[name].dtype).copyto(target[name])

    # ---- running -------------------------------------------------------------------------

    def _load(self, sources, targets, axes):
        for source, parts, axis in zip(sources, targets, axes):
            if isinstance(source, (list, tuple)):  # already one piece per device
                for piece, (_, target) in zip(source, parts):
                    piece.copyto(target)
                continue
            for part, target in parts:
                _slice_of(source, part, axis).copyto(target)

    def forward(self, data_batch, is_train=None):
        """Load ``data_batch`` into the executors (sliced per device) and run forward."""
        self._load(data_batch.data, self.data_arrays, self.data_layouts)
        if is_train is None:
            is_train = self.for_training
        if self.label_arrays and data_batch.label:
            self._load(data_batch.label, self.label_arrays, self.label_layouts)
        for exe in self.execs:
            exe.forward(is_train=is_train)

    def get_output_shapes(self):
        """[(name, shape)] of the outputs for the whole batch."""
        shapes = []
        for name, array, axis in zip(self.output_names, self.execs[0].outputs, self.output_layouts):
            shape = list(array.shape)
            if axis >= 0:
                shape[axis] = self.batch_size
            shapes.append((name, tuple(shape)))
        return shapes

    def get_outputs(self, merge_multi_context=True, begin=0, end=None):
        """The outputs: joined across devices, or ``[[per device] per output]``."""
        end = self.num_outputs if end is None else end
        outputs = [[exe.outputs[i] for exe in self.execs] for i in range(begin, end)]
        if merge_multi_context:
            return merge_parts(outputs, self.output_layouts[begin:end])
        return outputs

    def get_states(self, merge_multi_context=True):
        """The state inputs (``state_names``), joined across devices or per device."""
        states = [[exe.arg_dict[name] for exe in self.execs] for name in self.state_names]
        if merge_multi_context:
            return merge_parts(states, [0] * len(states))
        return states

    def set_states(self, states=None, value=None):
        """Set the state inputs from arrays (per device) or to one scalar ``value``."""
        if states is not None:
            if value is not None:
                raise MXNetValueError("set_states: give states or value, not both")
            self._load(
                states,
                [[(None, exe.arg_dict[name]) for exe in self.execs] for name in self.state_names],
                [0] * len(states),
            )
        else:
            if value is None:
                raise MXNetValueError("set_states: give states or value")
            for name in self.state_names:
                for exe in self.execs:
                    exe.arg_dict[name][:] = value

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs (needs ``inputs_need_grad``)."""
        if not self.inputs_need_grad:
            raise MXNetError("get_input_grads: bind with inputs_need_grad=True first")
        if merge_multi_context:
            return merge_parts(self.data_grad_arrays, self.data_layouts)
        return self.data_grad_arrays

    def backward(self, out_grads=None):
        """Run backward on every device with its slice of ``out_grads``."""
        if not self.for_training:
            raise MXNetError("backward: re-bind with for_training=True to run backward")
        if out_grads is None:
            out_grads = []
        elif isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        for i, (exe, part) in enumerate(zip(self.execs, self.slices)):
            pieces = [
                _slice_of(grad, part, axis, self.contexts[i])
                for grad, axis in zip(out_grads, self.output_layouts)
            ]
            exe.backward(out_grads=pieces)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with each device's outputs and its slice of ``labels``."""
        for i, (exe, part) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                sliced = labels[i]
            else:
                sliced = [
                    _slice_of(label, part, axis) for label, axis in zip(labels, self.label_layouts)
                ]
            eval_metric.update_dict(
                dict(zip(self.label_names, sliced)), dict(zip(self.output_names, exe.outputs))
            )

    def install_monitor(self, mon):
        """Install ``mon`` (a Monitor) on every executor."""
        for exe in self.execs:
            mon.install(exe)
