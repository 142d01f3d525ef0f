"""Operators that rearrange data without computing on it: reshape, transpose, broadcast, tile."""

from __future__ import annotations

from ..base import MXNetValueError
from .infer import is_known, normalize_axis, shape_str
from .kernels import into
from .params import Bool, Int, OptShape, Params, Shape
from .registry import Op, register

__all__ = ["infer_reshape"]


def _prod(dims) -> int:
    total = 1
    for dim in dims:
        total *= dim
    return total


def infer_reshape(op_name: str, src: tuple, spec: tuple, reverse: bool = False) -> tuple:
    """Apply MXNet's reshape codes (0 copy, -1 infer, -2 rest, -3 merge, -4 split) to ``src``.

    >>> infer_reshape("reshape", (2, 3, 4), (-4, 1, 2, -3))
    (1, 2, 12)
    """
    dims = tuple(reversed(src)) if reverse else tuple(src)
    codes = tuple(reversed(spec)) if reverse else tuple(spec)

    def fail(why):
        return MXNetValueError(
            f"{op_name}: cannot reshape array of shape {shape_str(src)} into shape "
            f"{shape_str(spec)}{' (reverse=True)' if reverse else ''}: {why}"
        )

    out, src_idx, infer_at, i = [], 0, -1, 0
    while i < len(codes):
        code = codes[i]
        if code > 0:
            out.append(code)
            src_idx += 1
        elif code == 0:
            if src_idx >= len(dims):
                raise fail(f"0 at position {i} has no input dimension to copy")
            out.append(dims[src_idx])
            src_idx += 1
        elif code == -1:
            if infer_at >= 0:
                raise fail("only one dimension can be -1")
            infer_at = len(out)
            out.append(1)
            src_idx += 1
        elif code == -2:
            out.extend(dims[src_idx:])
            src_idx = len(dims)
        elif code == -3:
            if src_idx + 1 >= len(dims):
                raise fail("-3 needs two input dimensions to merge")
            out.append(dims[src_idx] * dims[src_idx + 1])
            src_idx += 2
        elif code == -4:
            if i + 2 >= len(codes) or src_idx >= len(dims):
                raise fail("-4 must be followed by two dimensions and split an input dimension")
            whole, first, second = dims[src_idx], codes[i + 1], codes[i + 2]
            if first == -1 and second == -1:
                raise fail("-4 cannot split into two unknown (-1) dimensions")
            first = whole // second if first == -1 else first
            second = whole // first if second == -1 else second
            if first * second != whole:
                raise fail(f"-4 splits {whole} into {first} x {second}")
            out += [first, second]
            src_idx += 1
            i += 2
        else:
            raise fail(f"invalid code {code}")
        i += 1
    total = _prod(dims)
    if infer_at >= 0:
        known = _prod(out)
        if known == 0 or total % known:
            raise fail(f"the size {total} is not a multiple of {known}")
        out[infer_at] = total // known
    if _prod(out) != total:
        raise fail(f"sizes differ ({total} vs {_prod(out)})")
    return tuple(reversed(out)) if reverse else tuple(out)


class _KnownInput(Op):
    """An operator whose output shape follows from a fully known input shape."""

    def infer_shape(self, p, *shapes):
        if not all(is_known(s) for s in shapes):
            return None
        return shapes, (self.output_shape(p, *shapes),)

    def output_shape(self, p, *shapes):
        raise NotImplementedError


@register("Reshape", aliases=("reshape",))
class Reshape(_KnownInput):
    """Return the data with a new shape; the codes 0, -1, -2, -3, -4 are MXNet's."""

    params = Params(
        shape=Shape(()),
        reverse=Bool(False),
        target_shape=Shape(()),
        keep_highest=Bool(False),
    )

    def output_shape(self, p, data):
        if p.shape:
            return infer_reshape(self.name, data, p.shape, p.reverse)
        if p.target_shape:
            spec = tuple(-1 if d == 0 else d for d in p.target_shape)
            if p.keep_highest:
                spec = (data[0],) + spec[1:]
            return infer_reshape(self.name, data, spec)
        raise MXNetValueError(f"{self.name}: parameter 'shape' is required")

    def forward(self, xp, p, data, out=None):
        return into(xp, data.reshape(self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.reshape_like(dy[0], inputs[0]),)

    def infer_shape_from_outputs(self, p, shapes, out_shapes):
        # MXNet 1.9.1 (ReverseReshapeInferShape) completes one unknown input dimension from
        # a fully known output: reshape((-1,)) of a (16, 0) weight feeding (96,) gives (16, 6).
        data, out = shapes[0], out_shapes[0]
        if data is None or not is_known(out):
            return None
        unknown = [axis for axis, dim in enumerate(data) if dim == 0]
        if len(unknown) != 1:
            return None
        known = _prod(d for d in data if d)
        if _prod(out) % known:
            raise MXNetValueError(
                f"{self.name}: the output has shape {shape_str(out)}, which no input of shape "
                f"{shape_str(data)} (0 = unknown) reshapes into"
            )
        axis = unknown[0]
        return (data[:axis] + (_prod(out) // known,) + data[axis + 1 :],)


@register("Flatten", aliases=("flatten",))
class Flatten(_KnownInput):
    """Collapse all axes but the first: shape (d0, d1, ..., dk) becomes (d0, d1*...*dk)."""

    def output_shape(self, p, data):
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: cannot flatten a 0-d array")
        return (data[0], _prod(data[1:]))

    def forward(self, xp, p, data, out=None):
        return into(xp, data.reshape(self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.reshape_like(dy[0], inputs[0]),)


@register("expand_dims")
class ExpandDims(_KnownInput):
    """Insert an axis of size 1 at ``axis``."""

    params = Params(axis=Int())

    def output_shape(self, p, data):
        axis = normalize_axis(self.name, p.axis, len(data) + 1)
        return data[:axis] + (1,) + data[axis:]

    def forward(self, xp, p, data, out=None):
        return into(xp, data.reshape(self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.reshape_like(dy[0], inputs[0]),)


@register("transpose")
class Transpose(_KnownInput):
    """Permute the axes; with no ``axes`` reverse them."""

    params = Params(axes=Shape(()))

    def _axes(self, ndim, axes):
        if not axes:
            return tuple(range(ndim - 1, -1, -1))
        if sorted(a % ndim if -ndim <= a < ndim else a for a in axes) != list(range(ndim)):
            raise MXNetValueError(
                f"{self.name}: axes {axes} are not a permutation of the {ndim} axes"
            )
        return tuple(a % ndim for a in axes)

    def output_shape(self, p, data):
        return tuple(data[a] for a in self._axes(len(data), p.axes))

    def forward(self, xp, p, data, out=None):
        return into(xp, xp.transpose(data, self._axes(data.ndim, p.axes)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        axes = self._axes(len(inputs[0].shape), p.axes)
        inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        return (F.transpose(dy[0], axes=inverse),)


@register("broadcast_to")
class BroadcastTo(_KnownInput):
    """Broadcast axes of size 1 to ``shape``; a 0 in ``shape`` keeps that axis."""

    params = Params(shape=Shape(()))
    broadcasts = True

    def output_shape(self, p, data):
        if len(p.shape) != len(data):
            raise MXNetValueError(
                f"{self.name}: shape {p.shape} must have as many axes as the input {data}"
            )
        out = []
        for axis, (have, want) in enumerate(zip(data, p.shape)):
            want = have if want == 0 else want
            if have != want and have != 1:
                raise MXNetValueError(
                    f"{self.name}: cannot broadcast input {shape_str(data)} to {p.shape} "
                    f"(axis {axis}: {have} vs {want})"
                )
            out.append(want)
        return tuple(out)

    def forward(self, xp, p, data, out=None):
        return into(xp, xp.broadcast_to(data, self.output_shape(p, data.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (dy[0],)


@register("broadcast_like")
class BroadcastLike(_KnownInput):
    """Broadcast ``lhs`` to the shape of ``rhs`` (or of chosen axes of it)."""

    inputs = ("lhs", "rhs")
    params = Params(lhs_axes=OptShape(), rhs_axes=OptShape())
    broadcasts = True

    def output_shape(self, p, lhs, rhs):
        target = list(lhs)
        if p.lhs_axes is None:
            if len(lhs) != len(rhs):
                raise MXNetValueError(
                    f"{self.name}: lhs {shape_str(lhs)} and rhs {shape_str(rhs)} differ in ndim"
                )
            target = list(rhs)
        else:
            if len(p.lhs_axes) != len(p.rhs_axes or ()):
                raise MXNetValueError(f"{self.name}: lhs_axes and rhs_axes must have equal length")
            for la, ra in zip(p.lhs_axes, p.rhs_axes):
                target[normalize_axis(self.name, la, len(lhs))] = rhs[
                    normalize_axis(self.name, ra, len(rhs))
                ]
        for axis, (have, want) in enumerate(zip(lhs, target)):
            if have not in (1, want):
                raise MXNetValueError(
                    f"{self.name}: cannot broadcast lhs {shape_str(lhs)} to {tuple(target)} "
                    f"(axis {axis}: {have} vs {want})"
                )
        return tuple(target)

    def infer_type(self, p, lhs, rhs):
        return _lhs_type(lhs, rhs)

    def forward(self, xp, p, lhs, rhs, out=None):
        return into(xp, xp.broadcast_to(lhs, self.output_shape(p, lhs.shape, rhs.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return dy[0], None


def _lhs_type(lhs, rhs):
    """Only the shape of rhs matters: MXNet 1.9.1 lets its dtype differ from lhs's."""
    return None if lhs is None else ((lhs, rhs), (lhs,))


@register("reshape_like")
class ReshapeLike(_KnownInput):
    """Reshape ``lhs`` to the shape of ``rhs``, or replace lhs axes [lhs_begin, lhs_end) with
    rhs axes [rhs_begin, rhs_end)."""

    inputs = ("lhs", "rhs")
    params = Params(lhs_begin=Int(None), lhs_end=Int(None), rhs_begin=Int(None), rhs_end=Int(None))

    def output_shape(self, p, lhs, rhs):
        def span(begin, end, ndim):
            begin = 0 if begin is None else normalize_axis(self.name, begin, ndim, "begin")
            end = ndim if end is None else (end if end >= 0 else end + ndim)
            return begin, end

        lb, le = span(p.lhs_begin, p.lhs_end, len(lhs))
        rb, re_ = span(p.rhs_begin, p.rhs_end, len(rhs))
        target = tuple(lhs[:lb]) + tuple(rhs[rb:re_]) + tuple(lhs[le:])
        if _prod(target) != _prod(lhs):
            raise MXNetValueError(
                f"{self.name}: cannot reshape lhs {shape_str(lhs)} to {shape_str(target)} "
                f"taken from rhs {shape_str(rhs)}"
            )
        return target

    def infer_type(self, p, lhs, rhs):
        return _lhs_type(lhs, rhs)

    def forward(self, xp, p, lhs, rhs, out=None):
        return into(xp, lhs.reshape(self.output_shape(p, lhs.shape, rhs.shape)), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return F.reshape_like(dy[0], inputs[0]), None


@register("tile")
class Tile(_KnownInput):
    """Repeat the whole array ``reps`` times along each axis."""

    params = Params(reps=Shape())

    def _aligned(self, p, data):
        ndim = max(len(data), len(p.reps))
        return (1,) * (ndim - len(data)) + tuple(data), (1,) * (ndim - len(p.reps)) + p.reps

    def output_shape(self, p, data):
        if any(r < 1 for r in p.reps):
            raise MXNetValueError(f"{self.name}: reps {p.reps} must all be >= 1")
        dims, reps = self._aligned(p, data)
        return tuple(d * r for d, r in zip(dims, reps))

    def forward(self, xp, p, data, out=None):
        self.output_shape(p, data.shape)
        return into(xp, xp.tile(data, p.reps), out)

    def gradient(self, p, F, inputs, outputs, dy):
        dims, reps = self._aligned(p, inputs[0].shape)
        split = tuple(v for pair in zip(reps, dims) for v in pair)
        summed = F.sum(F.reshape(dy[0], shape=split), axis=tuple(range(0, len(split), 2)))
        return (F.reshape_like(summed, inputs[0]),)
