"""NumPy kernels of the ``gluon.data.vision.transforms`` (MXNet's ``_image_*`` operators):
to_tensor, normalize, crop, resize, flips and the colour adjustments, on HWC or NHWC images
(CHW/NCHW for normalize).

uint8 results saturate and truncate toward zero, as MXNet's kernels cast.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .resize import resize_array

__all__ = [
    "to_tensor",
    "normalize",
    "crop",
    "resize",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "adjust_lighting",
    "to_gray",
]

_LUMA = np.array([0.299, 0.587, 0.114])
_PCA_EIGVAL = np.array([55.46, 4.794, 1.148])
_PCA_EIGVEC = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
)


def _check_image(name, x, layouts=(3, 4)):
    if x.ndim not in layouts:
        raise MXNetValueError(
            f"{name}: expected an image of {' or '.join(f'{n}-d' for n in layouts)} shape "
            f"(HWC or NHWC), got shape {x.shape}"
        )


def cast_like(values: np.ndarray, dtype) -> np.ndarray:
    """Cast float results back to ``dtype`` (integer types saturate and truncate)."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.trunc(np.clip(values, info.min, info.max)).astype(dtype)
    return values.astype(dtype)


def to_tensor(x: np.ndarray) -> np.ndarray:
    """HWC (or NHWC) in [0, 255] to CHW (NCHW) float32 in [0, 1]."""
    _check_image("ToTensor", x)
    out = np.moveaxis(x.astype(np.float32), -1, -3) / np.float32(255.0)
    return np.ascontiguousarray(out)


def normalize(x: np.ndarray, mean, std) -> np.ndarray:
    """(x - mean) / std per channel of a CHW (or NCHW) float tensor."""
    _check_image("Normalize", x)
    channels = x.shape[-3]
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    std = np.atleast_1d(np.asarray(std, dtype=np.float64))
    for name, value in (("mean", mean), ("std", std)):
        if value.size not in (1, channels):
            raise MXNetValueError(
                f"Normalize: {name} has {value.size} values; expected 1 or {channels} (the "
                f"channels of input shape {x.shape})"
            )
    shape = (-1, 1, 1)
    out = (x.astype(np.float64) - mean.reshape(shape)) / std.reshape(shape)
    return out.astype(x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32)


def crop(x: np.ndarray, x0: int, y0: int, width: int, height: int) -> np.ndarray:
    """The box at (x0, y0) of ``width`` x ``height`` of an HWC or NHWC image."""
    _check_image("crop", x)
    h, w = x.shape[-3], x.shape[-2]
    if x0 < 0 or y0 < 0 or width <= 0 or height <= 0 or x0 + width > w or y0 + height > h:
        raise MXNetValueError(
            f"crop: box x={x0}, y={y0}, width={width}, height={height} does not fit an image "
            f"of height {h} and width {w}"
        )
    return np.ascontiguousarray(x[..., y0 : y0 + height, x0 : x0 + width, :])


def resize_size(shape_hw, size, keep_ratio: bool):
    """The (width, height) MXNet's image resize gives an image of (h, w)."""
    h, w = shape_hw
    if isinstance(size, (int, np.integer)):
        size = (int(size),)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        if keep_ratio:
            if h > w:
                return size[0], h * size[0] // w
            return w * size[0] // h, size[0]
        return size[0], size[0]
    if len(size) != 2:
        raise MXNetValueError(f"Resize: size must be an int or (width, height), got {size}")
    return size


def resize(x: np.ndarray, size, keep_ratio=False, interpolation=1) -> np.ndarray:
    """Resize an HWC or NHWC image (OpenCV interpolation codes)."""
    _check_image("Resize", x)
    width, height = resize_size(x.shape[-3:-1], size, keep_ratio)
    if x.ndim == 3:
        return resize_array(x, width, height, interpolation)
    return np.stack([resize_array(image, width, height, interpolation) for image in x])


def adjust_brightness(x: np.ndarray, alpha: float) -> np.ndarray:
    """Scale the intensities by ``alpha``."""
    return cast_like(x.astype(np.float32) * np.float32(alpha), x.dtype)


def _luma(x: np.ndarray) -> np.ndarray:
    return (x.astype(np.float32) * _LUMA.astype(np.float32)).sum(axis=-1, keepdims=True)


def adjust_contrast(x: np.ndarray, alpha: float) -> np.ndarray:
    """Blend each image with its mean grey level: ``alpha * x + (1 - alpha) * mean``."""
    _check_image("RandomContrast", x)
    mean = _luma(x).mean(axis=(-3, -2, -1), keepdims=True)
    out = x.astype(np.float32) * np.float32(alpha) + mean * np.float32(1.0 - alpha)
    return cast_like(out, x.dtype)


def adjust_saturation(x: np.ndarray, alpha: float) -> np.ndarray:
    """Blend each pixel with its grey level: ``alpha * x + (1 - alpha) * gray``.

    MXNet 1.9.1's kernel blends with ``0.114 * blue`` instead of the grey level (a bug); this
    one blends with the luma, as its documentation says.
    """
    _check_image("RandomSaturation", x)
    out = x.astype(np.float32) * np.float32(alpha) + _luma(x) * np.float32(1.0 - alpha)
    return cast_like(out, x.dtype)


def _rgb_to_hls(rgb):
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    vmax, vmin = np.maximum(np.maximum(r, g), b), np.minimum(np.minimum(r, g), b)
    diff = vmax - vmin
    lightness = (vmax + vmin) / 2
    safe = np.where(diff > 0, diff, 1.0)
    denominator = np.where(lightness < 0.5, vmax + vmin, 2.0 - vmax - vmin)
    saturation = np.where(diff > 0, diff / np.where(denominator > 0, denominator, 1.0), 0.0)
    hue = np.where(
        vmax == r, (g - b) / safe, np.where(vmax == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe)
    )
    hue = np.where(diff > 0, (hue * 60.0) % 360.0, 0.0)
    return hue, lightness, saturation


def _hls_to_rgb(hue, lightness, saturation):
    p2 = np.where(
        lightness <= 0.5,
        lightness * (1 + saturation),
        lightness + saturation - lightness * saturation,
    )
    p1 = 2 * lightness - p2

    def channel(h):
        h = h % 360.0
        return np.select(
            [h < 60, h < 180, h < 240],
            [p1 + (p2 - p1) * h / 60.0, p2, p1 + (p2 - p1) * (240.0 - h) / 60.0],
            p1,
        )

    rgb = np.stack([channel(hue + 120.0), channel(hue), channel(hue - 120.0)], axis=-1)
    grey = np.stack([lightness] * 3, axis=-1)
    return np.where((saturation == 0)[..., None], grey, rgb)


def adjust_hue(x: np.ndarray, alpha: float) -> np.ndarray:
    """Rotate the hue by ``alpha`` turns (alpha = 1 is a full turn) in HLS space."""
    _check_image("RandomHue", x)
    if x.shape[-1] != 3:
        raise MXNetValueError(f"RandomHue: expected 3 (RGB) channels, got shape {x.shape}")
    rgb = x.astype(np.float64) / 255.0
    hue, lightness, saturation = _rgb_to_hls(rgb)
    out = _hls_to_rgb(hue + alpha * 360.0, lightness, saturation) * 255.0
    return cast_like(out, x.dtype)


def adjust_lighting(x: np.ndarray, alpha) -> np.ndarray:
    """AlexNet PCA lighting: add ``eigvec . (alpha * eigval)`` to the RGB channels."""
    _check_image("RandomLighting", x)
    shift = _PCA_EIGVEC @ (np.asarray(alpha, dtype=np.float64) * _PCA_EIGVAL)
    return cast_like(x.astype(np.float32) + shift.astype(np.float32), x.dtype)


def to_gray(x: np.ndarray) -> np.ndarray:
    """Replace RGB by its luma in all three channels."""
    _check_image("RandomGray", x)
    return cast_like(np.repeat(_luma(x), x.shape[-1], axis=-1), x.dtype)
