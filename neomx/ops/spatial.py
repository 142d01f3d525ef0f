"""Spatial sampling on NCHW images: GridGenerator, BilinearSampler, SpatialTransformer and the
backward operators their gradients use.

A sampling grid has shape (batch, 2, height, width): channel 0 holds x, channel 1 y, both
normalised so that -1 and 1 are the centres of the first and last input pixels. Points outside
the input read zeros.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .infer import is_known, shape_str, unify, unify_dtype
from .kernels import into
from .params import Bool, Enum, Params, Shape
from .registry import Op, register

__all__ = ["float_type", "check_ndim", "into_each"]


def float_type(op, p, dtypes):
    """Return the one floating dtype of all inputs (MXNet 1.9.1 rejects integers here)."""
    names = op.arguments(p)
    dtype = unify_dtype(op.name, names, dtypes)
    if dtype is None:
        return None
    if np.dtype(dtype).kind != "f":
        raise MXNetTypeError(
            f"{op.name}: {names[0]} has dtype {np.dtype(dtype).name}; only floating-point "
            "types (float16, float32, float64) are supported"
        )
    return dtype


def into_each(xp, values, out):
    """``into`` for several outputs; ``out`` is None or holds a buffer or None per output."""
    if out is None:
        out = (None,) * len(values)
    return tuple(into(xp, value, buf) for value, buf in zip(values, out))


def check_ndim(op_name, what, shape, ndim, layout):
    """Raise unless ``shape`` has ``ndim`` dimensions, naming the expected ``layout``."""
    if len(shape) != ndim:
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(shape)}; expected {ndim} dimensions ({layout})"
        )


def _check_size(op_name, what, shape, axis, size):
    if shape[axis] != size:
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(shape)}; expected size {size} on axis {axis}"
        )


def _check_target(op_name, target_shape):
    if len(target_shape) != 2 or min(target_shape) < 1:
        raise MXNetValueError(
            f"{op_name}: target_shape={tuple(target_shape)} must be two positive sizes "
            "(height, width)"
        )


# ---- bilinear sampling ----------------------------------------------------------------------


class _Corners:
    """The four pixels around each grid point, per batch element and flattened point.

    ``flat``, ``inside`` and ``weight`` list the corners top-left, top-right, bottom-left,
    bottom-right; ``right`` and ``down`` are the fractional offsets from the top-left one.
    """

    def __init__(self, xp, grid, height, width):
        points = (grid.shape[0], grid.shape[2] * grid.shape[3])
        # MXNet's arithmetic, in the grid's dtype: pixel = (g + 1) * (size - 1) / 2.
        x = ((grid[:, 0] + 1) * (width - 1) / 2).reshape(points)
        y = ((grid[:, 1] + 1) * (height - 1) / 2).reshape(points)
        left, top = xp.floor(x), xp.floor(y)
        self.right, self.down = x - left, y - top
        stay_x, stay_y = 1 - self.right, 1 - self.down
        self.flat, self.inside, self.weight = [], [], []
        for row_offset, col_offset, weight in (
            (0, 0, stay_y * stay_x),
            (0, 1, stay_y * self.right),
            (1, 0, self.down * stay_x),
            (1, 1, self.down * self.right),
        ):
            row, col = top + row_offset, left + col_offset
            # NaN and infinite coordinates compare False: they fall outside, as in MXNet.
            inside = (row >= 0) & (row <= height - 1) & (col >= 0) & (col <= width - 1)
            # Integer arithmetic: float16 holds whole numbers exactly only up to 2048.
            row, col = (xp.where(inside, v, 0).astype(np.int64) for v in (row, col))
            self.flat.append(row * width + col)
            self.inside.append(inside)
            self.weight.append(weight)

    def values(self, xp, data):
        """The data at each corner, zero outside: (batch, channels, points) per corner."""
        batch, channels, height, width = data.shape
        pixels = data.reshape(batch, channels, height * width)
        points = self.flat[0].shape[1]
        if pixels.shape[2] == 0:
            return [xp.zeros((batch, channels, points), dtype=data.dtype)] * 4
        return [
            xp.where(inside[:, None, :], xp.take_along_axis(pixels, flat[:, None, :], axis=2), 0)
            for flat, inside in zip(self.flat, self.inside)
        ]


def bilinear_sample(xp, data, grid):
    """Sample ``data`` (N, C, H, W) at ``grid`` (N, 2, Ho, Wo); return (N, C, Ho, Wo)."""
    corners = _Corners(xp, grid, *data.shape[2:])
    values = corners.values(xp, data)
    result = values[0] * corners.weight[0][:, None, :]
    for value, weight in zip(values[1:], corners.weight[1:]):
        result += value * weight[:, None, :]
    return result.reshape(data.shape[:2] + grid.shape[2:])


def bilinear_sample_backward(xp, ograd, data, grid):
    """Return the gradients of ``bilinear_sample`` w.r.t. data and grid."""
    batch, channels, height, width = data.shape
    if data.size == 0:
        return xp.zeros_like(data), xp.zeros_like(grid)
    corners = _Corners(xp, grid, height, width)
    head = ograd.reshape(batch, channels, grid.shape[2] * grid.shape[3])
    # Each corner adds head * weight into its pixel; one bincount sums all four at once.
    base = xp.arange(batch * channels, dtype=np.int64).reshape(batch, channels, 1)
    index = xp.concatenate(
        [(base * (height * width) + flat[:, None, :]).reshape(-1) for flat in corners.flat]
    )
    added = xp.concatenate(
        [
            xp.where(inside[:, None, :], head * weight[:, None, :], 0).reshape(-1)
            for inside, weight in zip(corners.inside, corners.weight)
        ]
    )
    d_data = xp.bincount(index, weights=added, minlength=data.size).astype(data.dtype)
    top_left, top_right, bottom_left, bottom_right = corners.values(xp, data)
    right, down = corners.right[:, None, :], corners.down[:, None, :]
    # The bilinear form's slopes along x and y, scaled from pixels to grid units.
    slope_x = (top_right - top_left) * (1 - down) + (bottom_right - bottom_left) * down
    slope_y = (bottom_left - top_left) * (1 - right) + (bottom_right - top_right) * right
    d_x = (head * slope_x).sum(axis=1) * (width - 1) / 2
    d_y = (head * slope_y).sum(axis=1) * (height - 1) / 2
    d_grid = xp.stack([d_x, d_y], axis=1).reshape(grid.shape).astype(grid.dtype)
    return d_data.reshape(data.shape), d_grid


def _sampler_shapes(op_name, data, grid):
    check_ndim(op_name, "data", data, 4, "batch, channel, height, width")
    check_ndim(op_name, "grid", grid, 4, "batch, 2, height, width")
    _check_size(op_name, "grid", grid, 1, 2)
    if grid[0] != data[0]:
        raise MXNetValueError(
            f"{op_name}: grid {shape_str(grid)} and data {shape_str(data)} differ in batch size"
        )
    return (data[0], data[1], grid[2], grid[3])


@register("BilinearSampler")
class BilinearSampler(Op):
    """Sample ``data`` (N, C, H, W) bilinearly at the points of ``grid`` (N, 2, Ho, Wo).

    ``grid[:, 0]`` holds x and ``grid[:, 1]`` y, normalised to [-1, 1] over the input's pixel
    centres; points outside read zeros. The output has shape (N, C, Ho, Wo). Gradients flow
    to both the data and the grid. ``cudnn_off`` is accepted for compatibility.

    >>> data = mx.nd.array([[[[1, 2], [3, 4]]]])
    >>> mx.nd.BilinearSampler(data, mx.nd.array([[[[0.0]], [[-1.0]]]]))
    <BLANKLINE>
    [[[[1.5]]]]
    <NDArray 1x1x1x1 @cpu(0)>
    """

    inputs = ("data", "grid")
    params = Params(cudnn_off=Bool(None))

    def infer_shape(self, p, data, grid):
        if not is_known(data) or not is_known(grid):
            return None
        return (data, grid), (_sampler_shapes(self.name, data, grid),)

    def infer_type(self, p, data, grid):
        dtype = float_type(self, p, (data, grid))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, data, grid, out=None):
        return into(xp, bilinear_sample(xp, data, grid), out)

    def gradient(self, p, F, inputs, outputs, dy):
        d_data, d_grid = F._backward_BilinearSampler(dy[0], *inputs)
        return d_data, d_grid


@register("_backward_BilinearSampler")
class BackwardBilinearSampler(Op):
    """Return the gradients of ``BilinearSampler(data, grid)`` w.r.t. data and grid, given
    the output gradient ``ograd``."""

    inputs = ("ograd", "data", "grid")
    differentiable = False

    def num_outputs(self, p):
        return 2

    def infer_shape(self, p, ograd, data, grid):
        if not is_known(data) or not is_known(grid):
            return None
        ograd = unify(self.name, "ograd", ograd, _sampler_shapes(self.name, data, grid))
        return (ograd, data, grid), (data, grid)

    def infer_type(self, p, ograd, data, grid):
        dtype = float_type(self, p, (ograd, data, grid))
        return None if dtype is None else ((dtype,) * 3, (dtype, dtype))

    def forward(self, xp, p, ograd, data, grid, out=None):
        return into_each(xp, bilinear_sample_backward(xp, ograd, data, grid), out)


# ---- grid generation ------------------------------------------------------------------------


def _target_points(xp, dtype, height, width):
    """The (3, H*W) homogeneous target coordinates x, y, 1 in [-1, 1], row-major.

    As in MXNet 1.9.1 a size of 1 divides by zero and yields NaN coordinates.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        step_x = dtype.type(np.float64(2.0) / (width - 1))
        step_y = dtype.type(np.float64(2.0) / (height - 1))
        index = xp.arange(height * width)
        x = (index % width).astype(dtype) * step_x - 1
        y = (index // width).astype(dtype) * step_y - 1
    return xp.stack([x, y, xp.ones(height * width, dtype=dtype)])


def _warp_offsets(xp, dtype, height, width):
    """The pixel coordinates (2, H, W) a flow field is added to, and the (2, 1, 1) divisors
    mapping pixels to [-1, 1]."""
    rows, cols = xp.meshgrid(
        xp.arange(height, dtype=dtype), xp.arange(width, dtype=dtype), indexing="ij"
    )
    halves = xp.asarray([(width - 1) / 2, (height - 1) / 2], dtype=dtype).reshape(2, 1, 1)
    return xp.stack([cols, rows]), halves


def generate_grid(xp, transform_type, data, target_shape):
    """The sampling grid of an affine matrix batch (N, 6) or a flow field (N, 2, H, W)."""
    if transform_type == "affine":
        height, width = target_shape
        points = _target_points(xp, data.dtype, height, width)
        grid = xp.matmul(data.reshape(-1, 2, 3), points)
        return grid.reshape(data.shape[0], 2, height, width)
    offsets, halves = _warp_offsets(xp, data.dtype, *data.shape[2:])
    with np.errstate(divide="ignore", invalid="ignore"):
        return (data + offsets) / halves - 1


def _grid_shapes(op_name, transform_type, data, target_shape):
    if transform_type == "affine":
        check_ndim(op_name, "data", data, 2, "batch, 6: affine matrices")
        _check_size(op_name, "data", data, 1, 6)
        _check_target(op_name, target_shape)
        return (data[0], 2) + tuple(target_shape)
    check_ndim(op_name, "data", data, 4, "batch, 2, height, width: a flow field")
    _check_size(op_name, "data", data, 1, 2)
    return tuple(data)


_TRANSFORMS = ("affine", "warp")


@register("GridGenerator")
class GridGenerator(Op):
    """Generate the sampling grid of ``BilinearSampler`` from a transformation.

    ``transform_type='affine'``: ``data`` (N, 6) holds row-major 2x3 matrices mapping target
    coordinates (x, y, 1) in [-1, 1] to source ones; the grid has shape (N, 2) + target_shape.
    ``transform_type='warp'``: ``data`` (N, 2, H, W) is an optical flow in pixels (x, y) added
    to each pixel's position; ``target_shape`` is ignored. A target size of 1 divides by zero
    and gives non-finite coordinates, as in MXNet 1.9.1.

    >>> mx.nd.GridGenerator(mx.nd.array([[1, 0, 0, 0, 1, 0]]), transform_type='affine',
    ...                     target_shape=(2, 3))[0, 0]
    <BLANKLINE>
    [[-1.  0.  1.]
     [-1.  0.  1.]]
    <NDArray 2x3 @cpu(0)>
    """

    params = Params(transform_type=Enum(_TRANSFORMS), target_shape=Shape((0, 0)))
    saves = ()

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        return (data,), (_grid_shapes(self.name, p.transform_type, data, p.target_shape),)

    def infer_type(self, p, data):
        dtype = float_type(self, p, (data,))
        return None if dtype is None else ((dtype,), (dtype,))

    def forward(self, xp, p, data, out=None):
        return into(xp, generate_grid(xp, p.transform_type, data, p.target_shape), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._backward_GridGenerator(dy[0], transform_type=p.transform_type),)


def grid_backward(xp, transform_type, ograd):
    """The gradient of ``generate_grid`` w.r.t. its data, from the grid's gradient."""
    batch, _, height, width = ograd.shape
    if transform_type == "affine":
        points = _target_points(xp, ograd.dtype, height, width)
        flat = ograd.reshape(batch, 2, height * width)
        return xp.matmul(flat, points.T).reshape(batch, 6)
    _, halves = _warp_offsets(xp, ograd.dtype, height, width)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ograd / halves


@register("_backward_GridGenerator")
class BackwardGridGenerator(Op):
    """Return the gradient of ``GridGenerator`` w.r.t. its data, given the grid's gradient
    ``ograd`` (N, 2, H, W): an (N, 6) array for ``'affine'``, (N, 2, H, W) for ``'warp'``."""

    inputs = ("ograd",)
    params = Params(transform_type=Enum(_TRANSFORMS))
    saves = ()

    def infer_shape(self, p, ograd):
        if not is_known(ograd):
            return None
        check_ndim(self.name, "ograd", ograd, 4, "batch, 2, height, width")
        _check_size(self.name, "ograd", ograd, 1, 2)
        out = (ograd[0], 6) if p.transform_type == "affine" else tuple(ograd)
        return (ograd,), (out,)

    def infer_type(self, p, ograd):
        dtype = float_type(self, p, (ograd,))
        return None if dtype is None else ((dtype,), (dtype,))

    def forward(self, xp, p, ograd, out=None):
        return into(xp, grid_backward(xp, p.transform_type, ograd), out)

    def gradient(self, p, F, inputs, outputs, dy):
        # Linear in ograd: its adjoint is the affine grid map itself (which has no offset),
        # or for 'warp' the same per-channel scaling.
        if p.transform_type == "affine":
            target = tuple(inputs[0].shape[2:])
            return (F.GridGenerator(dy[0], transform_type="affine", target_shape=target),)
        return (F._backward_GridGenerator(dy[0], transform_type="warp"),)


@register("SpatialTransformer")
class SpatialTransformer(Op):
    """Warp ``data`` (N, C, H, W) by the affine matrices ``loc`` (N, 6) onto a grid of
    ``target_shape``: ``BilinearSampler(data, GridGenerator(loc, 'affine', target_shape))``.

    Only ``transform_type='affine'`` and ``sampler_type='bilinear'`` exist, as in MXNet
    1.9.1. Gradients flow to both data and loc. ``cudnn_off`` is accepted for compatibility.

    >>> data = mx.nd.array([[[[1, 2], [3, 4]]]])
    >>> mx.nd.SpatialTransformer(data, mx.nd.array([[1, 0, 0, 0, 1, 0]]), target_shape=(2, 2),
    ...                          transform_type='affine', sampler_type='bilinear')
    <BLANKLINE>
    [[[[1. 2.]
       [3. 4.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """

    inputs = ("data", "loc")
    params = Params(
        target_shape=Shape((0, 0)),
        transform_type=Enum(("affine",)),
        sampler_type=Enum(("bilinear",)),
        cudnn_off=Bool(None),
    )

    def infer_shape(self, p, data, loc):
        if not is_known(data):
            return None
        check_ndim(self.name, "data", data, 4, "batch, channel, height, width")
        _check_target(self.name, p.target_shape)
        loc = unify(self.name, "loc", loc, (data[0], 6))
        return (data, loc), (tuple(data[:2]) + tuple(p.target_shape),)

    def infer_type(self, p, data, loc):
        dtype = float_type(self, p, (data, loc))
        return None if dtype is None else ((dtype, dtype), (dtype,))

    def forward(self, xp, p, data, loc, out=None):
        grid = generate_grid(xp, "affine", loc, p.target_shape)
        return into(xp, bilinear_sample(xp, data, grid), out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, loc = inputs
        grid = F.GridGenerator(loc, transform_type="affine", target_shape=p.target_shape)
        d_data, d_grid = F._backward_BilinearSampler(dy[0], data, grid)
        return d_data, F._backward_GridGenerator(d_grid, transform_type="affine")
