"""The convolution kernels: each convolution becomes BLAS matrix products.

The kernels work on channel-first arrays (N, C, *spatial), 1 to 3 spatial axes. The sliding
windows of the padded input are copied once, with one strided copy, into a contiguous column
buffer (im2col) of shape (samples, C * K, L) (K kernel points, L output positions), which a
single ``matmul`` multiplies by the weight, one GEMM per sample and group. A batch is split
into chunks only where its columns would exceed the ``workspace`` parameter (megabytes, as in
MXNet). Column buffers come from the storage pool, so repeated calls reuse memory that is
already faulted in.

The transposed convolution (the data gradient, and Deconvolution's forward) with unit strides
is a convolution of the zero-padded output gradient with the flipped, transposed weight, so it
needs no scatter at all; with larger strides it is a GEMM followed by col2im: one strided
slice add per kernel point. The weight gradient multiplies the forward's columns by the
output gradient sample by sample (one batched ``matmul``) and sums the products, or, where
those weight-sized products would outgrow the columns (few positions, many filters), lays the
columns out (C * K, samples * L) so that one GEMM per group folds the batch in. float16 is
computed in float32.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...storage import scratch

__all__ = ["convolve", "convolve_transpose", "weight_gradient"]


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


def _padded_size(shape, pads) -> int:
    """Elements of the buffer ``_pad_or_crop`` needs for an input of ``shape`` (none where it
    adds no zeros)."""
    if not any(before > 0 or after > 0 for before, after in pads):
        return 0
    return math.prod(shape[:2]) * math.prod(
        size + before + after for size, (before, after) in zip(shape[2:], pads)
    )


def _pad_or_crop(xp, data, pads, buffer):
    """``data`` with ``(before, after)`` zeros added to each spatial axis (negative values
    crop), in ``buffer`` (1-D, at least ``_padded_size`` long) when zeros are added."""
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
    padded = buffer[: math.prod(shape)].reshape(shape)
    # Zero only the margins: the inside is overwritten.
    for axis, (before, after) in enumerate(grow, start=2):
        margin = [slice(None)] * padded.ndim
        margin[axis] = slice(0, before)
        padded[tuple(margin)] = 0
        margin[axis] = slice(shape[axis] - after, shape[axis])
        padded[tuple(margin)] = 0
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
    size = min(step, batch)
    with (
        scratch(xp, (size * per_sample,), dtype) as buffer,
        scratch(xp, (_padded_size((size,) + data.shape[1:], pads),), dtype) as pad_buffer,
    ):
        for start in range(0, batch, step):
            chunk = data[start : start + step]
            size = chunk.shape[0]
            source = _pad_or_crop(xp, chunk, pads, pad_buffer)
            windows = _windows(xp, source, kernel, stride, dilate, counts)
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
    per_sample = rows * groups * positions
    step = _chunk(batch, per_sample * dtype.itemsize, workspace)
    offsets = list(itertools.product(*(range(k) for k in kernel)))
    inner = (slice(None), slice(None)) + tuple(slice(q, q + size) for q, size in zip(pad, spatial))
    with (
        scratch(xp, (min(step, batch) * per_sample,), dtype) as buffer,
        scratch(xp, (math.prod(canvas_shape),), dtype) as canvas_buffer,
    ):
        canvas = canvas_buffer[: math.prod(canvas_shape)].reshape(canvas_shape)
        canvas.fill(0)
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
    if batch == 0:
        result[...] = 0
        return _finish(xp, result, out, data.dtype)
    # Each sample's product is weight-sized. Where that is no larger than its columns, the
    # columns are the forward's (cheapest to gather) and the products are summed; else (few
    # positions, many filters) the columns are laid out (C, *kernel, samples, *counts) so the
    # batch joins the positions in one GEMM per group.
    folded = filters // groups > positions
    spatial_axes = tuple(range(2, 2 + len(kernel)))
    kernel_axes = tuple(a + len(kernel) for a in spatial_axes)
    order = (
        (1,) + kernel_axes + (0,) + spatial_axes if folded else (0, 1) + kernel_axes + spatial_axes
    )
    per_sample = channels * math.prod(kernel) * positions
    step = _chunk(batch, per_sample * dtype.itemsize, workspace)
    size = min(step, batch)
    per_sample_products = filters * (positions if folded else rows)
    with (
        scratch(xp, (size * per_sample,), dtype) as buffer,
        scratch(xp, (size * per_sample_products,), dtype) as product_buffer,
        scratch(xp, (_padded_size((size,) + data.shape[1:], pads),), dtype) as pad_buffer,
    ):
        for start in range(0, batch, step):
            chunk = data[start : start + step]
            size = chunk.shape[0]
            source = _pad_or_crop(xp, chunk, pads, pad_buffer)
            windows = _windows(xp, source, kernel, stride, dilate, counts)
            columns = buffer[: size * per_sample].reshape(windows.transpose(order).shape)
            xp.copyto(columns, windows.transpose(order), casting="unsafe")
            heads = ograd[start : start + size].reshape(size, groups, filters // groups, positions)
            target = grouped if start == 0 else None
            if folded:
                joined = product_buffer[: size * per_sample_products].reshape(
                    groups, filters // groups, size, positions
                )
                xp.copyto(joined, heads.transpose(1, 2, 0, 3), casting="unsafe")
                product = xp.matmul(
                    joined.reshape(groups, filters // groups, size * positions),
                    xp.swapaxes(columns.reshape(groups, rows, size * positions), 1, 2),
                    out=target,
                )
            else:
                products = product_buffer[: size * per_sample_products].reshape(
                    size, groups, filters // groups, rows
                )
                xp.matmul(
                    heads.astype(dtype, copy=False),
                    xp.swapaxes(columns.reshape(size, groups, rows, positions), 2, 3),
                    out=products,
                )
                product = products.sum(axis=0, out=target)
            if start:
                grouped += product
    return _finish(xp, result, out, data.dtype)
