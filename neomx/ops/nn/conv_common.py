"""What Convolution, Deconvolution and their gradients share: parameters, layouts, geometry
checks and the matrix-product kernels.

The kernels work on channel-first arrays (N, C, *spatial), 1 to 3 spatial axes, and turn each
convolution into BLAS matrix products. The sliding windows of the padded input are copied once,
with one strided copy, into a contiguous column buffer (im2col) of shape (samples, C * K, L)
(K kernel points, L output positions), which a single ``matmul`` multiplies by the weight, one
GEMM per sample and group. A batch is split into chunks only where its columns would exceed
the ``workspace`` parameter (megabytes, as in MXNet). Column buffers come from the storage
pool, so repeated calls reuse memory that is already faulted in.

The transposed convolution (the data gradient, and Deconvolution's forward) with unit strides
is a convolution of the zero-padded output gradient with the flipped, transposed weight, so it
needs no scatter at all; with larger strides it is a GEMM followed by col2im: one strided
slice add per kernel point. The weight gradient folds the batch into the matrix product: the
columns are laid out (C * K, samples * L) so one GEMM per group sums over samples and
positions together. float16 is computed in float32.
"""

from __future__ import annotations

import functools
import itertools
import math
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from ...base import MXNetValueError
from ...context import cpu
from ...storage import pool_for
from ..infer import shape_str
from ..params import Bool, Enum, Int, Params, Shape

__all__ = [
    "conv_params",
    "Geometry",
    "geometry",
    "channels_first",
    "channels_last",
    "weight_to_channels_first",
    "output_sizes",
    "convolve",
    "convolve_transpose",
    "weight_gradient",
]

# MXNet 1.9.1's choices: there is no 'NWC'. Its CPU kernels run only the channel-first
# layouts ("Only support NCW, NCHW and NCDHW layout"); neomx also computes NHWC and NDHWC,
# as MXNet's GPU build does.
LAYOUTS = ("NCDHW", "NCHW", "NCW", "NDHWC", "NHWC")
_CHANNEL_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_CHANNEL_LAST = {2: "NHWC", 3: "NDHWC"}


def conv_params(transposed: bool) -> Params:
    """The parameters of Convolution, or of Deconvolution with ``transposed`` (MXNet's order
    and defaults: Deconvolution adds ``adj`` and ``target_shape``, has no bias by default and
    a smaller default workspace)."""
    fields = {
        "kernel": Shape(doc="The kernel size: (w,), (h, w) or (d, h, w)."),
        "stride": Shape((), doc="The stride per spatial axis (default 1)."),
        "dilate": Shape((), doc="The dilation per spatial axis (default 1)."),
        "pad": Shape((), doc="The zero padding on both sides of each spatial axis (default 0)."),
    }
    if transposed:
        fields["adj"] = Shape(
            (), doc="Extra output size at the far end of each axis (ignored with target_shape)."
        )
        fields["target_shape"] = Shape(
            (), doc="The output's spatial shape; pad and adj are then computed from it."
        )
    fields.update(
        num_filter=Int(min=1, doc="The number of output channels."),
        num_group=Int(1, min=1, doc="The number of groups the channels are split into."),
        workspace=Int(
            512 if transposed else 1024,
            min=0,
            doc="The most memory (MB) the column buffer may take; larger batches run in chunks.",
        ),
        no_bias=Bool(transposed, doc="Whether to leave out the bias."),
        cudnn_tune=Enum(
            ("fastest", "limited_workspace", "off"),
            None,
            doc="cuDNN's algorithm choice in MXNet; accepted and ignored.",
        ),
        cudnn_off=Bool(False, doc="Turn cuDNN off in MXNet; accepted and ignored."),
        layout=Enum(
            LAYOUTS,
            None,
            doc="The data layout; None means NCW, NCHW or NCDHW by kernel dimensions.",
        ),
    )
    return Params(**fields)


class Geometry(NamedTuple):
    """Validated window geometry: one entry per spatial axis, defaults filled in."""

    kernel: tuple
    stride: tuple
    dilate: tuple
    pad: tuple
    adj: tuple
    channel_last: bool
    layout: str

    @property
    def spread(self) -> tuple:
        """The extent of the dilated kernel along each axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilate))


@functools.lru_cache(maxsize=512)
def geometry(op_name: str, p) -> Geometry:
    """Check the window parameters of ``p`` as MXNet does and fill in the defaults."""
    kernel = tuple(p.kernel)
    ndim = len(kernel)
    if not 1 <= ndim <= 3:
        raise MXNetValueError(
            f"{op_name}: kernel={kernel} must have 1, 2 or 3 dimensions: (w,), (h, w) or "
            "(d, h, w)"
        )
    if any(k is None or k < 1 for k in kernel):
        raise MXNetValueError(f"{op_name}: kernel={kernel} must be at least 1 on every axis")
    filled = {}
    for name, default in (("stride", 1), ("dilate", 1), ("pad", 0), ("adj", 0)):
        value = tuple(getattr(p, name, ()))
        if not value:
            value = (default,) * ndim
        elif len(value) != ndim:
            raise MXNetValueError(
                f"{op_name}: {name}={value} must have as many dimensions as kernel={kernel}"
            )
        if any(v is None or v < default for v in value):
            raise MXNetValueError(
                f"{op_name}: {name}={value} must be at least {default} on every axis"
            )
        filled[name] = value
    layout = p.layout or _CHANNEL_FIRST[ndim]
    if layout not in (_CHANNEL_FIRST[ndim], _CHANNEL_LAST.get(ndim)):
        fits = " or ".join(repr(name) for name in (_CHANNEL_FIRST[ndim], _CHANNEL_LAST.get(ndim)))
        raise MXNetValueError(
            f"{op_name}: layout='{layout}' does not fit the {ndim}-D kernel={kernel}; "
            f"use {fits.replace(' or None', '')}"
        )
    return Geometry(
        kernel, filled["stride"], filled["dilate"], filled["pad"], filled["adj"],
        layout in _CHANNEL_LAST.values(), layout,
    )


def check_data_ndim(op_name: str, geo: Geometry, what: str, shape) -> None:
    """Raise unless ``shape`` has the batch, channel and kernel's spatial axes."""
    if len(shape) != 2 + len(geo.kernel):
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(shape)}; the {len(geo.kernel)}-D "
            f"kernel={geo.kernel} needs {2 + len(geo.kernel)}-D {what} ({geo.layout})"
        )


def channels_first(shape, channel_last: bool) -> tuple:
    """(N, *spatial, C) -> (N, C, *spatial) when ``channel_last``."""
    shape = tuple(shape)
    return (shape[0], shape[-1]) + shape[1:-1] if channel_last else shape


def channels_last(shape, channel_last: bool) -> tuple:
    """(N, C, *spatial) -> (N, *spatial, C) when ``channel_last``: the inverse of
    ``channels_first``."""
    shape = tuple(shape)
    return (shape[0],) + shape[2:] + (shape[1],) if channel_last else shape


def to_channels_first(xp, array, channel_last: bool):
    """A channel-first view of ``array``."""
    return xp.moveaxis(array, -1, 1) if channel_last else array


def weight_to_channels_first(xp, weight, channel_last: bool):
    """A (F, C, *kernel) view of a weight stored (F, *kernel, C) in the channel-last layouts
    (MXNet's NHWC weight layout)."""
    return xp.moveaxis(weight, -1, 1) if channel_last else weight


def output_sizes(op_name: str, geo: Geometry, spatial, known) -> tuple:
    """The output's spatial sizes of a convolution over ``spatial``; a size that is not
    ``known(size)`` stays 0 (unknown)."""
    sizes = []
    for axis, (size, s, spread, q) in enumerate(zip(spatial, geo.stride, geo.spread, geo.pad)):
        if not known(size):
            sizes.append(0)
            continue
        if spread > size + 2 * q:
            raise MXNetValueError(
                f"{op_name}: the kernel spans {spread} on spatial axis {axis} (kernel="
                f"{geo.kernel}, dilate={geo.dilate}), more than the padded input size "
                f"{size + 2 * q} (size {size}, pad {q})"
            )
        sizes.append((size + 2 * q - spread) // s + 1)
    return tuple(sizes)


# ---- memory -------------------------------------------------------------------------------


@contextmanager
def _scratch(xp, count: int, dtype):
    """A 1-D buffer of ``count`` elements of ``dtype`` for the duration of the block. NumPy's
    comes from (and goes back to) the host storage pool, already faulted in; CuPy keeps a
    memory pool of its own."""
    dtype = np.dtype(dtype)
    if xp is not np:
        yield xp.empty(max(count, 1), dtype=dtype)
        return
    nbytes = max(count, 1) * dtype.itemsize
    pool = pool_for(cpu())
    raw = pool.take(nbytes)
    try:
        yield raw[:nbytes].view(dtype)
    finally:
        pool.give(raw)


def _compute_dtype(dtype):
    # NumPy has no BLAS for float16 (its matmul is a plain loop) and rounds each product:
    # compute in float32 and round once, as MXNet's GPU kernels accumulate float16.
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def _chunk(batch: int, per_sample: int, workspace_mb: int) -> int:
    """How many samples fit the workspace at once (at least one)."""
    return max(1, min(batch, (workspace_mb << 20) // max(per_sample, 1)))


def _result_buffer(xp, shape, dtype, out):
    """``out`` when the kernel can write into it directly, else a new array."""
    if out is not None and out.dtype == dtype and out.flags.c_contiguous:
        return out
    return xp.empty(shape, dtype=dtype)


def _finish(xp, result, out, dtype):
    """``result`` in ``dtype``, written into ``out`` when given and not already there."""
    if out is None:
        return result if result.dtype == dtype else result.astype(dtype)
    if result is not out:
        xp.copyto(out, result, casting="unsafe")
    return out


# ---- windows ------------------------------------------------------------------------------


def _pad_or_crop(xp, data, pads):
    """``data`` with ``(before, after)`` zeros added to each spatial axis (negative: cropped)."""
    if not any(before or after for before, after in pads):
        return data
    crop = (slice(None), slice(None)) + tuple(
        slice(max(-before, 0), size - max(-after, 0))
        for (before, after), size in zip(pads, data.shape[2:])
    )
    data = data[crop]
    grow = tuple((max(before, 0), max(after, 0)) for before, after in pads)
    if not any(before or after for before, after in grow):
        return data
    shape = data.shape[:2] + tuple(
        size + before + after for size, (before, after) in zip(data.shape[2:], grow)
    )
    padded = xp.zeros(shape, dtype=data.dtype)
    inner = (slice(None), slice(None)) + tuple(
        slice(before, before + size) for size, (before, _) in zip(data.shape[2:], grow)
    )
    padded[inner] = data
    return padded


def _windows(xp, source, kernel, stride, dilate, counts):
    """The view (N, C, *counts, *kernel) of the sliding windows of a padded ``source``."""
    spread = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilate))
    axes = tuple(range(2, 2 + len(kernel)))
    view = xp.lib.stride_tricks.sliding_window_view(source, spread, axis=axes)
    index = (
        (slice(None), slice(None))
        + tuple(slice(0, s * (n - 1) + 1, s) for s, n in zip(stride, counts))
        + tuple(slice(None, None, d) for d in dilate)
    )
    return view[index]


def _counts(spatial, kernel, stride, dilate, pads):
    return tuple(
        (size + before + after - d * (k - 1) - 1) // s + 1
        for size, k, s, d, (before, after) in zip(spatial, kernel, stride, dilate, pads)
    )


# ---- kernels ------------------------------------------------------------------------------


def convolve(xp, data, weight, kernel, stride, dilate, pads, groups, workspace, out=None):
    """Correlate ``data`` (N, C, *S) with ``weight`` (F, C // groups, *kernel).

    ``pads`` holds ``(before, after)`` per spatial axis (negative values crop). Returns
    (N, F, *counts), written into ``out`` when given.
    """
    batch, channels = data.shape[:2]
    filters = weight.shape[0]
    counts = _counts(data.shape[2:], kernel, stride, dilate, pads)
    dtype = _compute_dtype(data.dtype)
    positions = math.prod(counts)
    rows = channels // groups * math.prod(kernel)
    matrices = xp.ascontiguousarray(weight, dtype=dtype).reshape(groups, filters // groups, rows)
    result = _result_buffer(xp, (batch, filters) + counts, dtype, out)
    grouped = result.reshape(batch, groups, filters // groups, positions)
    pointwise = all(k == 1 for k in kernel) and all(s == 1 for s in stride)
    if pointwise and not any(before or after for before, after in pads):
        # A 1x1 convolution's columns are the data itself.
        columns = xp.ascontiguousarray(data, dtype=dtype).reshape(batch, groups, rows, positions)
        xp.matmul(matrices, columns, out=grouped)
        return _finish(xp, result, out, data.dtype)
    spatial_axes = tuple(range(2, 2 + len(kernel)))
    order = (0, 1) + tuple(a + len(kernel) for a in spatial_axes) + spatial_axes
    per_sample = channels * math.prod(kernel) * positions
    step = _chunk(batch, per_sample * dtype.itemsize, workspace)
    with _scratch(xp, min(step, batch) * per_sample, dtype) as buffer:
        for start in range(0, batch, step):
            chunk = data[start : start + step]
            size = chunk.shape[0]
            windows = _windows(xp, _pad_or_crop(xp, chunk, pads), kernel, stride, dilate, counts)
            columns = buffer[: size * per_sample].reshape((size, channels) + kernel + counts)
            xp.copyto(columns, windows.transpose(order), casting="unsafe")
            xp.matmul(
                matrices,
                columns.reshape(size, groups, rows, positions),
                out=grouped[start : start + size],
            )
    return _finish(xp, result, out, data.dtype)


def convolve_transpose(
    xp, ograd, weight, kernel, stride, dilate, pad, spatial, groups, workspace, out=None
):
    """The transpose of ``convolve`` with symmetric ``pad``: map ``ograd`` (N, F, *counts) back
    onto an input of spatial shape ``spatial`` through ``weight`` (F, C // groups, *kernel).

    This is the data gradient of a convolution and the forward pass of Deconvolution; input
    positions that no window covers get zeros. Returns (N, C, *spatial).
    """
    batch, filters = ograd.shape[:2]
    channels = weight.shape[1] * groups
    dtype = _compute_dtype(ograd.dtype)
    if all(s == 1 for s in stride):
        # Unit strides: a convolution of the padded ograd with the flipped, transposed weight.
        per_group = weight.reshape((groups, filters // groups, weight.shape[1]) + kernel)
        flipped = xp.swapaxes(per_group, 1, 2).reshape((channels, filters // groups) + kernel)
        flipped = flipped[(slice(None), slice(None)) + (slice(None, None, -1),) * len(kernel)]
        pads = tuple(
            (d * (k - 1) - q, size + q - count)
            for k, d, q, size, count in zip(kernel, dilate, pad, spatial, ograd.shape[2:])
        )
        ones = (1,) * len(kernel)
        return convolve(xp, ograd, flipped, kernel, ones, dilate, pads, groups, workspace, out)
    counts = ograd.shape[2:]
    positions = math.prod(counts)
    rows = channels // groups * math.prod(kernel)
    transposed = xp.swapaxes(
        xp.ascontiguousarray(weight, dtype=dtype).reshape(groups, filters // groups, rows), 1, 2
    )
    canvas_shape = (batch, channels) + tuple(
        max(q + size, s * (n - 1) + d * (k - 1) + 1)
        for q, size, s, n, d, k in zip(pad, spatial, stride, counts, dilate, kernel)
    )
    canvas = xp.zeros(canvas_shape, dtype=dtype)
    per_sample = rows * groups * positions
    step = _chunk(batch, per_sample * dtype.itemsize, workspace)
    offsets = list(itertools.product(*(range(k) for k in kernel)))
    with _scratch(xp, min(step, batch) * per_sample, dtype) as buffer:
        for start in range(0, batch, step):
            chunk = ograd[start : start + step]
            size = chunk.shape[0]
            columns = buffer[: size * per_sample].reshape(size, groups, rows, positions)
            grouped = chunk.reshape(size, groups, filters // groups, positions)
            xp.matmul(transposed, grouped.astype(dtype, copy=False), out=columns)
            columns = columns.reshape((size, channels) + kernel + counts)
            target = canvas[start : start + size]
            # col2im: one strided add per kernel point (never a loop over pixels).
            for offset in offsets:
                window = (slice(None), slice(None)) + tuple(
                    slice(o * d, o * d + s * (n - 1) + 1, s)
                    for o, d, s, n in zip(offset, dilate, stride, counts)
                )
                target[window] += columns[(slice(None), slice(None)) + offset]
    inner = (slice(None), slice(None)) + tuple(slice(q, q + size) for q, size in zip(pad, spatial))
    if out is None:
        return canvas[inner].astype(ograd.dtype)
    xp.copyto(out, canvas[inner], casting="unsafe")
    return out


def weight_gradient(xp, data, ograd, kernel, stride, dilate, pad, groups, workspace, out=None):
    """The gradient of ``convolve``'s weight: ``data`` (N, C, *S) and the output gradient
    ``ograd`` (N, F, *counts) give (F, C // groups, *kernel)."""
    batch, channels = data.shape[:2]
    filters = ograd.shape[1]
    counts = ograd.shape[2:]
    dtype = _compute_dtype(data.dtype)
    positions = math.prod(counts)
    rows = channels // groups * math.prod(kernel)
    pads = tuple((q, q) for q in pad)
    result = _result_buffer(xp, (filters, channels // groups) + kernel, dtype, out)
    grouped = result.reshape(groups, filters // groups, rows)
    spatial_axes = tuple(range(2, 2 + len(kernel)))
    # Columns (C, *kernel, samples, *counts): the batch joins the positions in one GEMM.
    order = (1,) + tuple(a + len(kernel) for a in spatial_axes) + (0,) + spatial_axes
    per_sample = channels * math.prod(kernel) * positions
    step = _chunk(batch, per_sample * dtype.itemsize, workspace)
    if batch == 0:
        result[...] = 0
        return _finish(xp, result, out, data.dtype)
    size = min(step, batch)
    with (
        _scratch(xp, size * per_sample, dtype) as buffer,
        _scratch(xp, size * filters * positions, dtype) as gradient_buffer,
    ):
        for start in range(0, batch, step):
            chunk = data[start : start + step]
            size = chunk.shape[0]
            windows = _windows(xp, _pad_or_crop(xp, chunk, pads), kernel, stride, dilate, counts)
            columns = buffer[: size * per_sample].reshape((channels,) + kernel + (size,) + counts)
            xp.copyto(columns, windows.transpose(order), casting="unsafe")
            heads = gradient_buffer[: size * filters * positions].reshape(
                groups, filters // groups, size, positions
            )
            per_group = ograd[start : start + size].reshape(
                size, groups, filters // groups, positions
            )
            xp.copyto(heads, per_group.transpose(1, 2, 0, 3), casting="unsafe")
            product = xp.matmul(
                heads.reshape(groups, filters // groups, size * positions),
                xp.swapaxes(columns.reshape(groups, rows, size * positions), 1, 2),
                out=grouped if start == 0 else None,
            )
            if start:
                grouped += product
    return _finish(xp, result, out, data.dtype)
