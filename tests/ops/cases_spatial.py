"""Cases of GridGenerator, BilinearSampler, SpatialTransformer and the backward operators
_backward_GridGenerator and _backward_BilinearSampler.

Bilinear sampling is piecewise linear: the makers put every sampling point at least 0.05
pixel away from integer positions, so the numeric gradients never straddle a kink.
"""

import numpy as np

from .case import NEOMX_ONLY, Case, ErrorCase, add, add_errors, fixed, floats, ints

# neomx's backward operators take (ograd, inputs...); MXNet's differ.
NEOMX_ONLY.update({"_backward_GridGenerator", "_backward_BilinearSampler"})

AFFINE = {"transform_type": "affine"}
WARP = {"transform_type": "warp"}
TRANSFORMER = {"transform_type": "affine", "sampler_type": "bilinear"}
IDENTITY = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])


# ---- references -----------------------------------------------------------------------------


def _axis(size):
    # MXNet divides by size - 1: a single position is NaN.
    return np.linspace(-1.0, 1.0, size) if size > 1 else np.full(size, np.nan)


def _target(height, width):
    """Target x (columns) and y (rows) in [-1, 1]."""
    return _axis(width), _axis(height)


def _affine_grid(theta, target_shape):
    height, width = target_shape
    x, y = _target(height, width)
    grid = np.empty((theta.shape[0], 2, height, width))
    for n, matrix in enumerate(theta.astype(np.float64).reshape(-1, 2, 3)):
        for row in range(2):
            a, b, c = matrix[row]
            grid[n, row] = a * x[None, :] + b * y[:, None] + c
    return grid.astype(theta.dtype)


def _affine(target_shape):
    return lambda theta: _affine_grid(theta, target_shape)


def _warp(flow):
    _, _, height, width = flow.shape
    grid = flow.astype(np.float64).copy()
    grid[:, 0] = (grid[:, 0] + np.arange(width)[None, None, :]) * 2 / (width - 1) - 1
    grid[:, 1] = (grid[:, 1] + np.arange(height)[None, :, None]) * 2 / (height - 1) - 1
    return grid.astype(flow.dtype)


def _neighbours(data_shape, x, y):
    """(row, col, weight, d weight/dx, d weight/dy) of the in-range pixels around (x, y)."""
    height, width = data_shape[2:]
    left, top = int(np.floor(x)), int(np.floor(y))
    found = []
    for row in (top, top + 1):
        for col in (left, left + 1):
            if 0 <= row < height and 0 <= col < width:
                wx, wy = 1 - abs(x - col), 1 - abs(y - row)
                found.append(
                    (
                        row,
                        col,
                        wx * wy,
                        (1 if col > left else -1) * wy,
                        (1 if row > top else -1) * wx,
                    )
                )
    return found


def _points(data, grid):
    """Yield (n, i, j, x, y): each grid point in pixel coordinates (float64)."""
    height, width = data.shape[2:]
    for n, i, j in np.ndindex(grid.shape[0], *grid.shape[2:]):
        x = (float(grid[n, 0, i, j]) + 1) * (width - 1) / 2
        y = (float(grid[n, 1, i, j]) + 1) * (height - 1) / 2
        yield n, i, j, x, y


def _sample(data, grid):
    out = np.zeros(data.shape[:2] + grid.shape[2:])
    for n, i, j, x, y in _points(data, grid):
        for row, col, weight, _, _ in _neighbours(data.shape, x, y):
            out[n, :, i, j] += weight * data[n, :, row, col].astype(np.float64)
    return out.astype(data.dtype)


def _sample_backward(ograd, data, grid):
    height, width = data.shape[2:]
    d_data = np.zeros(data.shape)
    d_grid = np.zeros(grid.shape)
    for n, i, j, x, y in _points(data, grid):
        head = ograd[n, :, i, j].astype(np.float64)
        for row, col, weight, slope_x, slope_y in _neighbours(data.shape, x, y):
            value = data[n, :, row, col].astype(np.float64)
            d_data[n, :, row, col] += head * weight
            d_grid[n, 0, i, j] += np.sum(head * value) * slope_x * (width - 1) / 2
            d_grid[n, 1, i, j] += np.sum(head * value) * slope_y * (height - 1) / 2
    return d_data.astype(data.dtype), d_grid.astype(grid.dtype)


def _grid_backward(transform_type):
    def reference(ograd):
        n, _, height, width = ograd.shape
        g = ograd.astype(np.float64)
        if transform_type == "warp":
            scale = np.array([2 / (width - 1), 2 / (height - 1)]).reshape(1, 2, 1, 1)
            return (g * scale).astype(ograd.dtype)
        x, y = _target(height, width)
        theta = np.stack(
            [
                (g * x[None, None, None, :]).sum(axis=(2, 3)),
                (g * y[None, None, :, None]).sum(axis=(2, 3)),
                g.sum(axis=(2, 3)),
            ],
            axis=-1,
        )
        return theta.reshape(n, 6).astype(ograd.dtype)

    return reference


def _transform(target_shape):
    return lambda data, loc: _sample(data, _affine_grid(loc, target_shape))


# ---- input makers ---------------------------------------------------------------------------


def _pixel_grid(rng, data_shape, grid_shape):
    """A grid whose points sit at integer + [0.2, 0.8) pixels, some outside the input."""
    height, width = data_shape[2:]
    grid = np.empty(grid_shape)
    for axis, size in ((0, width), (1, height)):
        pixels = rng.integers(-2, size + 1, size=(grid_shape[0],) + tuple(grid_shape[2:]))
        pixels = pixels + rng.uniform(0.2, 0.8, size=pixels.shape)
        # A size-1 axis maps every grid value to pixel 0, so any grid value will do.
        grid[:, axis] = pixels * 2 / (size - 1) - 1 if size > 1 else pixels
    return grid


def sampler(data_shape, grid_hw, dtype="float32"):
    def make(rng):
        data = rng.uniform(-1, 1, size=data_shape)
        grid = _pixel_grid(rng, data_shape, (data_shape[0], 2) + tuple(grid_hw))
        return [data.astype(dtype), grid.astype(dtype)]

    return make


def sampler_backward(data_shape, grid_hw, dtype="float32"):
    def make(rng):
        data, grid = sampler(data_shape, grid_hw, dtype)(rng)
        ograd = rng.standard_normal(data_shape[:2] + tuple(grid_hw))
        return [ograd.astype(dtype), data, grid]

    return make


def _away_from_pixels(grid, data_shape):
    height, width = data_shape[2:]
    for axis, size in ((0, width), (1, height)):
        pixels = (grid[:, axis].astype(np.float64) + 1) * (size - 1) / 2
        if size > 1 and np.any(np.abs(pixels - np.round(pixels)) < 0.05):
            return False
    return True


def transformer(data_shape, target_shape, dtype="float32"):
    """Data and near-identity affine matrices whose grid avoids integer pixel positions."""

    def make(rng):
        data = rng.uniform(-1, 1, size=data_shape).astype(dtype)
        while True:
            loc = (IDENTITY + rng.uniform(-0.3, 0.3, size=(data_shape[0], 6))).astype(dtype)
            if _away_from_pixels(_affine_grid(loc, target_shape), data_shape):
                return [data, loc]

    return make


def matrices(batch, dtype="float32"):
    return lambda rng: [(IDENTITY + rng.uniform(-0.5, 0.5, size=(batch, 6))).astype(dtype)]


# ---- cases ----------------------------------------------------------------------------------

# MXNet 1.9.1's GridGenerator runs float32 only ("Other DTypes are not supported!"); neomx
# takes every float type, so those cases have no golden file.
add(
    "GridGenerator",
    Case(matrices(2), {**AFFINE, "target_shape": [3, 4]}, _affine((3, 4)), label="affine"),
    Case(matrices(1), {**AFFINE, "target_shape": [2, 2]}, _affine((2, 2)), label="affine-2x2"),
    Case(
        matrices(1),
        {**AFFINE, "target_shape": [1, 1]},
        _affine((1, 1)),
        grad=False,
        label="affine-1x1-nan",
    ),
    Case(
        matrices(2, "float64"),
        {**AFFINE, "target_shape": [2, 3]},
        _affine((2, 3)),
        label="affine-float64",
        golden=False,
    ),
    Case(
        matrices(2, "float16"),
        {**AFFINE, "target_shape": [2, 3]},
        _affine((2, 3)),
        label="affine-float16",
        golden=False,
    ),
    Case(floats((2, 2, 3, 4), low=-2, high=2), WARP, _warp, label="warp"),
    Case(
        floats((1, 2, 2, 2)), {**WARP, "target_shape": [5, 5]}, _warp, label="warp-ignores-target"
    ),
    Case(
        fixed([[[[0.5]], [[-0.5]]]], dtype="float32"),
        WARP,
        lambda f: np.full(f.shape, np.inf, f.dtype) * np.sign(f),
        grad=False,
        label="warp-1x1-inf",
    ),
    Case(floats((1, 2, 3, 2), dtype="float64"), WARP, _warp, label="warp-float64", golden=False),
)
add_errors(
    "GridGenerator",
    ErrorCase(
        floats((2, 5)),
        {**AFFINE, "target_shape": [2, 2]},
        match=r"GridGenerator.*data.*\(2, 5\).*size 6",
    ),
    ErrorCase(
        floats((2, 2, 3)),
        {**AFFINE, "target_shape": [2, 2]},
        match=r"GridGenerator.*data.*2 dimensions",
    ),
    ErrorCase(floats((2, 6)), AFFINE, match=r"GridGenerator.*target_shape=\(0, 0\)"),
    ErrorCase(floats((1, 3, 2, 2)), WARP, match=r"GridGenerator.*data.*size 2 on axis 1"),
    ErrorCase(
        ints((2, 6)), {**AFFINE, "target_shape": [2, 2]}, match=r"GridGenerator.*int32.*floating"
    ),
)

add(
    "_backward_GridGenerator",
    Case(floats((2, 2, 3, 4)), AFFINE, _grid_backward("affine"), label="affine"),
    Case(
        floats((1, 2, 1, 2)), AFFINE, _grid_backward("affine"), label="affine-one-row", grad=False
    ),
    Case(floats((2, 2, 3, 4)), WARP, _grid_backward("warp"), label="warp"),
)

add(
    "BilinearSampler",
    Case(sampler((2, 3, 5, 4), (3, 6)), reference=_sample, label="nchw"),
    Case(sampler((1, 2, 4, 4), (4, 4)), {"cudnn_off": True}, _sample, label="cudnn-off"),
    Case(sampler((1, 1, 1, 1), (1, 1)), reference=_sample, label="one-element"),
    Case(sampler((2, 1, 1, 3), (2, 2)), reference=_sample, label="single-row"),
    Case(sampler((1, 2, 3, 3), (2, 3), "float64"), reference=_sample, label="float64"),
    Case(sampler((1, 2, 3, 3), (2, 3), "float16"), reference=_sample, label="float16"),
    # MXNet 1.x refuses zero-size arrays (0 is an unknown dimension in its inference).
    Case(sampler((0, 2, 3, 3), (2, 2)), reference=_sample, label="zero-batch", golden=False),
    Case(sampler((1, 2, 3, 3), (0, 2)), reference=_sample, label="zero-grid", golden=False),
    # On the pixels, the border and beyond: exact values, gradients at the kinks unchecked.
    Case(
        fixed([[[[1, 2], [3, 4]]]], [[[[1, -1, 1.5, 0]], [[1, -1, 0.2, 0]]]], dtype="float32"),
        reference=_sample,
        grad=False,
        label="pixels-and-border",
    ),
)
add_errors(
    "BilinearSampler",
    ErrorCase(floats((1, 1, 3, 3), (1, 3, 2, 2)), match=r"BilinearSampler.*grid.*size 2"),
    ErrorCase(floats((1, 1, 3, 3), (2, 2, 2, 2)), match=r"BilinearSampler.*batch"),
    ErrorCase(floats((1, 3, 3), (1, 2, 2, 2)), match=r"BilinearSampler.*data.*4 dimensions"),
    ErrorCase(floats((1, 1, 3, 3), (1, 2, 2)), match=r"BilinearSampler.*grid.*4 dimensions"),
    ErrorCase(ints((1, 1, 3, 3), (1, 2, 2, 2)), match=r"BilinearSampler.*floating"),
)

add(
    "_backward_BilinearSampler",
    Case(sampler_backward((2, 3, 5, 4), (3, 6)), reference=_sample_backward, label="nchw"),
    Case(sampler_backward((1, 1, 1, 1), (1, 2)), reference=_sample_backward, label="one-pixel"),
    Case(
        sampler_backward((1, 2, 3, 3), (2, 2), "float64"),
        reference=_sample_backward,
        label="float64",
    ),
)

add(
    "SpatialTransformer",
    Case(
        transformer((2, 3, 5, 4), (3, 4)),
        {**TRANSFORMER, "target_shape": [3, 4]},
        _transform((3, 4)),
        label="affine",
    ),
    Case(
        transformer((1, 2, 4, 6), (5, 2)),
        {**TRANSFORMER, "target_shape": [5, 2], "cudnn_off": True},
        _transform((5, 2)),
        label="tall-target",
    ),
    Case(
        transformer((1, 1, 1, 1), (2, 2)),
        {**TRANSFORMER, "target_shape": [2, 2]},
        _transform((2, 2)),
        label="one-pixel",
    ),
    Case(
        transformer((2, 2, 3, 3), (2, 3), "float64"),
        {**TRANSFORMER, "target_shape": [2, 3]},
        _transform((2, 3)),
        label="float64",
    ),
    # MXNet 1.9.1 has no float16 matrix product on CPU: no golden file.
    Case(
        transformer((1, 2, 3, 3), (2, 3), "float16"),
        {**TRANSFORMER, "target_shape": [2, 3]},
        _transform((2, 3)),
        label="float16",
        golden=False,
    ),
)
add_errors(
    "SpatialTransformer",
    ErrorCase(
        floats((1, 1, 3, 3), (1, 6)),
        TRANSFORMER,
        match=r"SpatialTransformer.*target_shape=\(0, 0\)",
    ),
    ErrorCase(
        floats((1, 1, 3, 3), (1, 5)),
        {**TRANSFORMER, "target_shape": [2, 2]},
        match=r"SpatialTransformer.*loc.*\(1, 5\).*\(1, 6\)",
    ),
    ErrorCase(
        floats((2, 1, 3, 3), (1, 6)),
        {**TRANSFORMER, "target_shape": [2, 2]},
        match=r"SpatialTransformer.*loc.*\(1, 6\).*\(2, 6\)",
    ),
    ErrorCase(
        floats((1, 3, 3), (1, 6)),
        {**TRANSFORMER, "target_shape": [2, 2]},
        match=r"SpatialTransformer.*data.*4 dimensions",
    ),
    ErrorCase(
        floats((1, 1, 3, 3), (1, 6)),
        {**TRANSFORMER, "target_shape": [2, 2, 2]},
        match=r"SpatialTransformer.*target_shape",
    ),
)
