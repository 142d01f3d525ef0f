"""Image resampling that reproduces OpenCV's ``cv::resize`` (which MXNet's image functions call)
with NumPy: nearest (0), bilinear (1), bicubic (2), area (3) and Lanczos-4 (4) interpolation.

Each axis is resampled by a dense (out, in) weight matrix built with OpenCV's coordinate
mapping (pixel centres, ``(d + 0.5) * scale - 0.5``) and border replication. OpenCV computes
uint8 results in fixed point, so values may differ from it by one grey level.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import MXNetValueError

__all__ = ["resize_array", "INTERPOLATIONS"]

INTERPOLATIONS = {0: "nearest", 1: "bilinear", 2: "bicubic", 3: "area", 4: "lanczos4"}
_CUBIC_A = -0.75


def _cubic(x: float):
    a = _CUBIC_A
    c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    c1 = ((a + 2) * x - (a + 3)) * x * x + 1
    c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
    return (c0, c1, c2, 1.0 - c0 - c1 - c2)


def _lanczos4(x: float):
    if x < np.finfo(np.float32).eps:
        return (0, 0, 0, 1, 0, 0, 0, 0)
    taps = []
    for i in range(8):
        t = x + 3 - i
        taps.append(math.sin(math.pi * t) * math.sin(math.pi * t / 4) / (math.pi**2 * t * t / 4))
    total = sum(taps)
    return tuple(tap / total for tap in taps)


def _area_down(n_in: int, n_out: int) -> np.ndarray:
    """OpenCV's INTER_AREA weights when shrinking: each output averages the input it covers."""
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in))
    for d in range(n_out):
        start, stop = d * scale, d * scale + scale
        cell = min(scale, n_in - start)
        first, last = math.ceil(start), min(math.floor(stop), n_in - 1)
        first = min(first, last)
        if first - start > 1e-3:
            weights[d, first - 1] += (first - start) / cell
        weights[d, first:last] += 1.0 / cell
        if stop - last > 1e-3:
            weights[d, last] += min(min(stop - last, 1.0), cell) / cell
    return weights


def _axis_weights(n_in: int, n_out: int, interp: int, area_shrink: bool) -> np.ndarray:
    """The (n_out, n_in) matrix that resamples one axis."""
    if interp == 3 and area_shrink:
        return _area_down(n_in, n_out)
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in))
    for d in range(n_out):
        if interp == 0:
            weights[d, min(int(math.floor(d * scale)), n_in - 1)] = 1.0
            continue
        if interp == 3:
            # INTER_AREA when enlarging: bilinear with coefficients snapped to the cell edges.
            s = int(math.floor(d * scale))
            f = (d + 1) - (s + 1) / scale
            f = 0.0 if f <= 0 else f - math.floor(f)
            taps, origin = (1.0 - f, f), s
        else:
            x = (d + 0.5) * scale - 0.5
            s = int(math.floor(x))
            f = x - s
            if interp == 1:
                if s < 0:
                    s, f = 0, 0.0
                if s >= n_in - 1:
                    s, f = n_in - 1, 0.0
                taps, origin = (1.0 - f, f), s
            elif interp == 2:
                taps, origin = _cubic(f), s - 1
            elif interp == 4:
                taps, origin = _lanczos4(f), s - 3
            else:
                raise MXNetValueError(f"imresize: unknown interpolation {interp}")
        for k, w in enumerate(taps):
            weights[d, min(max(origin + k, 0), n_in - 1)] += w
    return weights


def resize_array(src: np.ndarray, width: int, height: int, interp: int = 1) -> np.ndarray:
    """Resize an HWC (or HW) numpy image to ``height`` x ``width`` as cv::resize does."""
    if interp not in INTERPOLATIONS:
        raise MXNetValueError(
            f"imresize: interp must be one of {sorted(INTERPOLATIONS)} "
            f"({', '.join(INTERPOLATIONS.values())}), got {interp}"
        )
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise MXNetValueError(f"imresize: output size must be positive, got w={width}, h={height}")
    in_h, in_w = src.shape[:2]
    if in_h == 0 or in_w == 0:
        raise MXNetValueError(f"imresize: cannot resize an empty image of shape {src.shape}")
    if (in_h, in_w) == (height, width):
        return src.copy()
    area_shrink = in_w >= width and in_h >= height
    rows = _axis_weights(in_h, height, interp, area_shrink)
    cols = _axis_weights(in_w, width, interp, area_shrink)
    work = src.astype(np.float64)
    out = np.tensordot(rows, work, axes=(1, 0))
    out = np.moveaxis(np.tensordot(cols, out, axes=(1, 1)), 0, 1)
    if np.issubdtype(src.dtype, np.integer):
        info = np.iinfo(src.dtype)
        return np.clip(np.floor(out + 0.5), info.min, info.max).astype(src.dtype)
    return out.astype(src.dtype)
