"""Where Pooling's windows lie: layouts, kernel/stride/pad checks and MXNet 1.9.1's output
sizes ('valid', 'full' and 'same' conventions), as a ``Geometry`` per call."""

from __future__ import annotations

import itertools
from typing import NamedTuple

from ...base import MXNetValueError
from ..infer import shape_str

__all__ = ["Geometry", "geometry", "check_params", "spatial_axes"]

# The layouts MXNet accepts per data rank; the first one is the default.
_LAYOUTS = {3: ("NCW", "NWC"), 4: ("NCHW", "NHWC"), 5: ("NCDHW", "NDHWC")}


class Geometry(NamedTuple):
    """Where the windows of one call lie, per spatial axis of the data."""

    axes: tuple[int, ...]
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad: tuple[int, ...]
    out: tuple[int, ...]
    global_pool: bool

    @property
    def tail(self) -> tuple[int, ...]:
        """Padding after the end of each axis that the last window reaches (the 'full' and
        'same' conventions let it run past the padded data)."""
        return tuple(
            max(0, (o - 1) * s + k - n - p) if o else 0
            for n, k, s, p, o in zip(self.size, self.kernel, self.stride, self.pad, self.out)
        )

    @property
    def padded(self) -> bool:
        return any(self.pad) or any(self.tail)

    @property
    def overlapping(self) -> bool:
        return any(s < k for k, s in zip(self.kernel, self.stride))

    def output_shape(self, shape) -> tuple[int, ...]:
        result = list(shape)
        for axis, size in zip(self.axes, self.out):
            result[axis] = size
        return tuple(result)

    def offsets(self):
        """Every position within a window, in row-major order (MXNet's scan order)."""
        return itertools.product(*(range(k) for k in self.kernel))

    def window(self, ndim, offset) -> tuple:
        """The index of the inputs at ``offset`` within every window (of the padded data)."""
        index = [slice(None)] * ndim
        for axis, first, size, step in zip(self.axes, offset, self.out, self.stride):
            index[axis] = slice(first, first + (size - 1) * step + 1, step)
        return tuple(index)

    def along(self, ndim, n, first) -> tuple:
        """The index of the inputs at offset ``first`` within every window along spatial
        axis number ``n`` only."""
        index = [slice(None)] * ndim
        size, step = self.out[n], self.stride[n]
        index[self.axes[n]] = slice(first, first + (size - 1) * step + 1, step)
        return tuple(index)

    def padded_size(self, n) -> int:
        return self.size[n] + self.pad[n] + self.tail[n]

    def interior(self, ndim) -> tuple:
        """The index of the data within the padded data."""
        index = [slice(None)] * ndim
        for axis, before, size in zip(self.axes, self.pad, self.size):
            index[axis] = slice(before, before + size)
        return tuple(index)


def spatial_axes(op_name, p, shape):
    if not 3 <= len(shape) <= 5:
        raise MXNetValueError(
            f"{op_name}: data has shape {shape_str(shape)}; expected 3, 4 or 5 dimensions "
            "(batch, channel and 1 to 3 spatial axes, or channels last with layout=N...C)"
        )
    choices = _LAYOUTS[len(shape)]
    layout = p.layout or choices[0]
    if layout not in choices:
        raise MXNetValueError(
            f"{op_name}: layout={layout!r} does not fit data of shape {shape_str(shape)}; "
            f"{len(shape)}-D data takes layout {choices[0]!r} or {choices[1]!r}"
        )
    return tuple(range(2, len(shape))) if layout[1] == "C" else tuple(range(1, len(shape) - 1))


def check_params(op_name, p):
    if p.pool_type == "lp" and p.p_value not in (1, 2, 3):
        given = "no p_value" if p.p_value is None else f"p_value={p.p_value}"
        raise MXNetValueError(
            f"{op_name}: pool_type='lp' takes p_value 1, 2 or 3 (as MXNet 1.9.1); got {given}"
        )


def _window_params(op_name, p, shape, axes):
    """The kernel, stride and pad of a non-global call, checked against the data."""
    ndim = len(axes)
    if not p.kernel:
        raise MXNetValueError(f"{op_name}: kernel is required unless global_pool=True")
    if len(p.kernel) != ndim:
        raise MXNetValueError(
            f"{op_name}: kernel {tuple(p.kernel)} has {len(p.kernel)} dimension(s) but data "
            f"{shape_str(shape)} has {ndim} spatial axes"
        )
    stride = tuple(p.stride) or (1,) * ndim
    pad = tuple(p.pad) or (0,) * ndim
    for name, values, low in (("kernel", p.kernel, 1), ("stride", stride, 1), ("pad", pad, 0)):
        if len(values) != ndim:
            raise MXNetValueError(
                f"{op_name}: {name} {values} must have one entry per kernel dimension "
                f"(kernel {tuple(p.kernel)})"
            )
        if any(v is None or v < low for v in values):
            raise MXNetValueError(f"{op_name}: {name} {tuple(values)} must be >= {low} everywhere")
    if p.pooling_convention == "same":
        # MXNet 1.9.1 defines 'same' for 1-D pooling only, without padding.
        if ndim != 1:
            raise MXNetValueError(
                f"{op_name}: pooling_convention='same' supports only 1-D pooling; got kernel "
                f"{tuple(p.kernel)}"
            )
        if any(pad):
            raise MXNetValueError(
                f"{op_name}: pooling_convention='same' takes no padding; got pad {pad}"
            )
    for axis, k, padding in zip(axes, p.kernel, pad):
        if k > shape[axis] + 2 * padding:
            raise MXNetValueError(
                f"{op_name}: kernel {tuple(p.kernel)} exceeds data {shape_str(shape)} padded "
                f"by pad {pad}: on axis {axis}, {k} > {shape[axis]} + 2 * {padding}"
            )
    return tuple(p.kernel), stride, pad


def _output_size(convention, size, kernel, stride, pad):
    if convention == "valid":
        return (size + 2 * pad - kernel) // stride + 1
    if convention == "full":
        return 1 - (-(size + 2 * pad - kernel) // stride)
    return -(-(size + 2 * pad) // stride)


def geometry(op_name, p, shape) -> Geometry:
    """Check a call of Pooling on data of ``shape`` and return where its windows lie."""
    check_params(op_name, p)
    axes = spatial_axes(op_name, p, shape)
    size = tuple(shape[a] for a in axes)
    if p.global_pool:
        # MXNet ignores kernel, stride and pad here: one window covers each map.
        ones = (1,) * len(axes)
        return Geometry(axes, size, size, ones, (0,) * len(axes), ones, True)
    kernel, stride, pad = _window_params(op_name, p, shape, axes)
    out = tuple(
        _output_size(p.pooling_convention, *args) for args in zip(size, kernel, stride, pad)
    )
    return Geometry(axes, size, kernel, stride, pad, out, False)
