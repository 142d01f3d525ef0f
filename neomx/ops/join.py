"""Joining, splitting and slicing: concat, stack, split, slice, slice_axis, _slice_assign."""

from __future__ import annotations

from ..base import MXNetValueError
from .infer import is_known, normalize_axis, shape_str, unify_dtype
from .kernels import cast_scalar
from .params import Bool, Float, Int, Params, Shape
from .registry import Op, register


class _Variadic(Op):
    variadic = True
    params = Params(num_args=Int(min=1))

    def arguments(self, p):
        return tuple(f"arg{i}" for i in range(p.num_args))

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))


@register("Concat", aliases=("concat",))
class Concat(_Variadic):
    """Join the arrays along axis ``dim``; all other axes must match."""

    params = Params(num_args=Int(min=1), dim=Int(1))

    def infer_shape(self, p, *shapes):
        if not all(is_known(s) for s in shapes):
            return None
        first = shapes[0]
        axis = normalize_axis(self.name, p.dim, len(first), "dim")
        total = 0
        for i, shape in enumerate(shapes):
            if len(shape) != len(first) or any(
                a != b for k, (a, b) in enumerate(zip(shape, first)) if k != axis
            ):
                raise MXNetValueError(
                    f"{self.name}: arg{i} has shape {shape_str(shape)}, which does not match "
                    f"arg0 {shape_str(first)} outside dim {p.dim}"
                )
            total += shape[axis]
        return shapes, (first[:axis] + (total,) + first[axis + 1 :],)

    def forward(self, xp, p, *arrays, out=None):
        axis = p.dim % arrays[0].ndim
        return xp.concatenate(arrays, axis=axis, out=out)

    def gradient(self, p, F, inputs, outputs, dy):
        axis = p.dim % len(inputs[0].shape)
        grads, begin = [], 0
        for x in inputs:
            end = begin + x.shape[axis]
            grads.append(F.slice_axis(dy[0], axis=axis, begin=begin, end=end))
            begin = end
        return tuple(grads)


@register("_rnn_param_concat")
class RNNParamConcat(Concat):
    """Concat as Gluon's fused RNN layers use it to join their parameters into one vector.

    Unlike Concat, it infers inputs backwards from a known output, as MXNet 1.9.1's
    RNNParamConcatShape does: so the RNN operator's ``parameters`` size decides the first
    layer's unknown ``i2h_weight`` widths in deferred initialisation.
    """

    def infer_shape_from_outputs(self, p, shapes, out_shapes):
        out = out_shapes[0]
        if out is None:
            return None
        axis = normalize_axis(self.name, p.dim, len(out), "dim")
        # Every input takes the output's dimensions off the concatenation axis.
        completed = []
        for i, shape in enumerate(shapes):
            shape = (0,) * len(out) if shape is None else shape
            if len(shape) != len(out):
                raise MXNetValueError(
                    f"{self.name}: arg{i} has shape {shape_str(shape)}, which does not match "
                    f"the output {shape_str(out)} outside dim {p.dim}"
                )
            completed.append(tuple(d if k == axis or d else out[k] for k, d in enumerate(shape)))
        unknown = [i for i, shape in enumerate(completed) if shape[axis] == 0]
        # MXNet splits what is left evenly among one or two unknown inputs (the two
        # directions' first-layer weights); with more it cannot tell, so they stay unknown.
        if out[axis] and 1 <= len(unknown) <= 2:
            residual = out[axis] - sum(s[axis] for s in completed)
            if residual < 0 or residual % len(unknown):
                known = [s for s in completed if s[axis]]
                raise MXNetValueError(
                    f"{self.name}: the output has size {out[axis]} along dim {p.dim}, which "
                    f"{len(unknown)} unknown input(s) of equal size cannot fill next to the "
                    f"known inputs {', '.join(shape_str(s) for s in known)}"
                )
            for i in unknown:
                shape = completed[i]
                completed[i] = shape[:axis] + (residual // len(unknown),) + shape[axis + 1 :]
        return tuple(completed)


@register("stack")
class Stack(_Variadic):
    """Join the arrays along a new axis ``axis``; all shapes must be equal."""

    params = Params(axis=Int(0), num_args=Int(min=1))

    def infer_shape(self, p, *shapes):
        if not all(is_known(s) for s in shapes):
            return None
        for i, shape in enumerate(shapes):
            if shape != shapes[0]:
                raise MXNetValueError(
                    f"{self.name}: arg{i} has shape {shape_str(shape)}, but arg0 has "
                    f"{shape_str(shapes[0])}; stacked arrays must have equal shapes"
                )
        axis = normalize_axis(self.name, p.axis, len(shapes[0]) + 1)
        return shapes, (shapes[0][:axis] + (len(shapes),) + shapes[0][axis:],)

    def forward(self, xp, p, *arrays, out=None):
        return xp.stack(arrays, axis=p.axis, out=out)

    def gradient(self, p, F, inputs, outputs, dy):
        parts = F.split(dy[0], num_outputs=len(inputs), axis=p.axis, squeeze_axis=True)
        return (parts,) if len(inputs) == 1 else tuple(parts)


@register("SliceChannel", aliases=("split",))
class SliceChannel(Op):
    """Split the input into ``num_outputs`` equal parts along ``axis``."""

    params = Params(num_outputs=Int(min=1), axis=Int(1), squeeze_axis=Bool(False))

    def num_outputs(self, p):
        return p.num_outputs

    def output_names(self, p):
        # Numbered even when there is one (MXNet 1.9.1: ``split0_output0``).
        return tuple(f"output{i}" for i in range(p.num_outputs))

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        axis = normalize_axis(self.name, p.axis, len(data))
        if data[axis] % p.num_outputs:
            raise MXNetValueError(
                f"{self.name}: axis {p.axis} of input {shape_str(data)} (size {data[axis]}) "
                f"cannot be split into num_outputs={p.num_outputs} equal parts"
            )
        if p.squeeze_axis and data[axis] != p.num_outputs:
            raise MXNetValueError(
                f"{self.name}: squeeze_axis=True needs num_outputs={p.num_outputs} to equal "
                f"the size {data[axis]} of axis {p.axis}"
            )
        part = data[:axis] + (data[axis] // p.num_outputs,) + data[axis + 1 :]
        if p.squeeze_axis:
            part = data[:axis] + data[axis + 1 :]
        return (data,), (part,) * p.num_outputs

    def forward(self, xp, p, data, out=None):
        axis = p.axis % data.ndim
        parts = xp.split(data, p.num_outputs, axis=axis)
        if p.squeeze_axis:
            parts = [xp.squeeze(part, axis=axis) for part in parts]
        if out is None:
            outs = (None,) * len(parts)
        else:
            # The call path passes a lone output as an array, several as a tuple.
            outs = (out,) if p.num_outputs == 1 else out
        results = []
        for part, buf in zip(parts, outs):
            if buf is None:
                results.append(part.copy())
            else:
                xp.copyto(buf, part)
                results.append(buf)
        return results[0] if p.num_outputs == 1 else tuple(results)

    def gradient(self, p, F, inputs, outputs, dy):
        outs = outputs if isinstance(outputs, (list, tuple)) else (outputs,)
        grads = [g if g is not None else F.zeros_like(o) for g, o in zip(dy, outs)]
        if p.squeeze_axis:
            grads = [F.expand_dims(g, axis=p.axis) for g in grads]
        return (F.concat(*grads, dim=p.axis),)


def _slices(op_name, shape, begin, end, step):
    """Python slices per axis for MXNet's slice parameters (None means the default)."""
    if len(begin) != len(end) or (step and len(step) != len(begin)):
        raise MXNetValueError(
            f"{op_name}: begin {begin}, end {end} and step {step} must have equal lengths"
        )
    if len(begin) > len(shape):
        raise MXNetValueError(
            f"{op_name}: begin {begin} has more axes than the input {shape_str(shape)}"
        )
    slices = []
    for axis, (b, e) in enumerate(zip(begin, end)):
        s = step[axis] if step else None
        if s == 0:
            raise MXNetValueError(f"{op_name}: step[{axis}] cannot be 0")
        slices.append(slice(b, e, s))
    return tuple(slices)


@register("slice", aliases=("crop",))
class Slice(Op):
    """Take ``data[begin:end:step]`` along the first ``len(begin)`` axes."""

    params = Params(begin=Shape(), end=Shape(), step=Shape(()))

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        index = _slices(self.name, data, p.begin, p.end, p.step)
        out = tuple(len(range(*sl.indices(dim))) for sl, dim in zip(index, data))
        return (data,), (out + tuple(data[len(index) :]),)

    def forward(self, xp, p, data, out=None):
        view = data[_slices(self.name, data.shape, p.begin, p.end, p.step)]
        if out is None:
            return view.copy()
        xp.copyto(out, view)
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        return (
            F._slice_assign(F.zeros_like(inputs[0]), dy[0], begin=p.begin, end=p.end, step=p.step),
        )


@register("slice_axis")
class SliceAxis(Op):
    """Take ``data[begin:end]`` along ``axis``; ``end=None`` means to the end."""

    params = Params(axis=Int(), begin=Int(), end=Int(None))

    def _as_slice(self, p, ndim):
        axis = normalize_axis(self.name, p.axis, ndim)
        return axis, (None,) * axis + (p.begin,), (None,) * axis + (p.end,)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        axis, begin, end = self._as_slice(p, len(data))
        index = _slices(self.name, data, begin, end, ())
        size = len(range(*index[axis].indices(data[axis])))
        return (data,), (data[:axis] + (size,) + data[axis + 1 :],)

    def forward(self, xp, p, data, out=None):
        axis, begin, end = self._as_slice(p, data.ndim)
        view = data[_slices(self.name, data.shape, begin, end, ())]
        if out is None:
            return view.copy()
        xp.copyto(out, view)
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        axis, begin, end = self._as_slice(p, len(inputs[0].shape))
        return (F._slice_assign(F.zeros_like(inputs[0]), dy[0], begin=begin, end=end),)


@register("_slice_assign", aliases=("_crop_assign",))
class SliceAssign(Op):
    """Return ``lhs`` with ``lhs[begin:end:step]`` replaced by ``rhs``."""

    inputs = ("lhs", "rhs")
    params = Params(begin=Shape(), end=Shape(), step=Shape(()))

    def infer_shape(self, p, lhs, rhs):
        if not is_known(lhs):
            return None
        index = _slices(self.name, lhs, p.begin, p.end, p.step)
        region = tuple(len(range(*sl.indices(d))) for sl, d in zip(index, lhs)) + lhs[len(index) :]
        if rhs is not None and tuple(rhs) != region:
            raise MXNetValueError(
                f"{self.name}: rhs has shape {shape_str(rhs)}; the slice of lhs "
                f"{shape_str(lhs)} has shape {shape_str(region)}"
            )
        return (lhs, region), (lhs,)

    def forward(self, xp, p, lhs, rhs, out=None):
        result = lhs.copy() if out is None else out
        if out is not None and out is not lhs:
            xp.copyto(out, lhs)
        result[_slices(self.name, lhs.shape, p.begin, p.end, p.step)] = rhs
        return result

    def gradient(self, p, F, inputs, outputs, dy):
        hole = F._slice_assign_scalar(dy[0], scalar=0.0, begin=p.begin, end=p.end, step=p.step)
        return hole, F.slice(dy[0], begin=p.begin, end=p.end, step=p.step)


@register("_slice_assign_scalar", aliases=("_crop_assign_scalar",))
class SliceAssignScalar(Op):
    """Return ``data`` with ``data[begin:end:step]`` set to ``scalar``."""

    params = Params(scalar=Float(0.0), begin=Shape(), end=Shape(), step=Shape(()))

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        _slices(self.name, data, p.begin, p.end, p.step)
        return (data,), (data,)

    def forward(self, xp, p, data, out=None):
        result = data.copy() if out is None else out
        if out is not None and out is not data:
            xp.copyto(out, data)
        # MXNet casts the scalar as C++ does: 2.7 -> 2 and -1 -> 255 in uint8.
        scalar = cast_scalar(data.dtype, p.scalar)
        result[_slices(self.name, data.shape, p.begin, p.end, p.step)] = scalar
        return result

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._slice_assign_scalar(dy[0], scalar=0.0, begin=p.begin, end=p.end, step=p.step),)
