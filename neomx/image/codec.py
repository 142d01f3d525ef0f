"""Decoding and encoding of image files (JPEG, PNG, ...) with Pillow, returning HWC uint8 numpy
arrays laid out as MXNet's OpenCV-based functions lay them out."""

from __future__ import annotations

import io

import numpy as np

from ..base import MXNetError, MXNetValueError

__all__ = ["decode_to_numpy", "encode_from_numpy", "rgb_to_gray"]


def _pil():
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - Pillow is a dependency
        raise MXNetError(
            "mx.image needs Pillow to decode and encode images: pip install Pillow"
        ) from err
    return Image


def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """Grey levels of an HWC RGB uint8 image as OpenCV's PNG reader gives them.

    OpenCV asks libpng for grey (png_set_rgb_to_gray with 0.299, 0.587), which weighs in
    15-bit fixed point and truncates.
    """
    r, g, b = (rgb[..., i].astype(np.int32) for i in range(3))
    return ((r * 9798 + g * 19235 + b * 3735) >> 15).astype(np.uint8)


def decode_to_numpy(buf, mode: str = "color", rgb: bool = True) -> np.ndarray:
    """Decode image bytes to an HWC uint8 array.

    ``mode``: 'color' gives 3 channels, 'gray' 1 channel, 'unchanged' the stored channels
    (1, 3 or 4). Colour channels come in RGB(A) order when ``rgb`` else BGR(A), as OpenCV.
    """
    image_module = _pil()
    try:
        image = image_module.open(io.BytesIO(bytes(buf)))
        if mode == "gray" and image.format == "JPEG":
            # Let libjpeg produce the luma plane directly, as OpenCV's JPEG decoder does.
            image.draft("L", image.size)
        image.load()
    except Exception as err:  # Pillow raises many types for broken data
        raise MXNetError(f"imdecode: cannot decode image ({len(buf)} bytes): {err}") from err
    if image.mode in ("I;16", "I;16B", "I", "F"):
        # OpenCV scales 16-bit images to 8 bits when decoding to 8-bit colour or gray.
        array = np.asarray(image).astype(np.float64)
        if array.max(initial=0) > 255:
            array = array / 256.0
        image = image_module.fromarray(np.clip(array, 0, 255).astype(np.uint8), "L")
    if mode == "gray":
        if image.mode == "L":
            array = np.asarray(image)
        else:
            array = rgb_to_gray(np.asarray(image.convert("RGB")))
        return np.ascontiguousarray(array[:, :, None])
    if mode == "unchanged":
        if image.mode in ("L", "1"):
            return np.ascontiguousarray(np.asarray(image.convert("L"))[:, :, None])
        target = (
            "RGBA"
            if "A" in image.getbands() or image.mode == "P" and ("transparency" in image.info)
            else "RGB"
        )
        array = np.asarray(image.convert(target))
    elif mode == "color":
        array = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    else:
        raise MXNetValueError(f"imdecode: unknown decode mode {mode!r}")
    if not rgb:
        array = array[:, :, [2, 1, 0, 3][: array.shape[2]]]
    return np.ascontiguousarray(array)


def encode_from_numpy(
    array: np.ndarray, img_fmt: str = ".jpg", quality: int = 95, rgb: bool = True
) -> bytes:
    """Encode an HW, HW1, HW3 or HW4 uint8 array (RGB order when ``rgb`` else BGR).

    ``quality`` is the JPEG quality (1-100), or the PNG compression level (0-9) for '.png'.
    """
    image_module = _pil()
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise MXNetValueError(f"imencode: expected a uint8 image, got dtype {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 3:
        if array.shape[2] not in (3, 4):
            raise MXNetValueError(f"imencode: expected 1, 3 or 4 channels, got {array.shape}")
        if not rgb:
            array = array[:, :, [2, 1, 0, 3][: array.shape[2]]]
    elif array.ndim != 2:
        raise MXNetValueError(f"imencode: expected an HxW or HxWxC image, got {array.shape}")
    image = image_module.fromarray(np.ascontiguousarray(array))
    fmt = img_fmt.lower().lstrip(".")
    out = io.BytesIO()
    if fmt in ("jpg", "jpeg"):
        image.save(out, format="JPEG", quality=int(quality))
    elif fmt == "png":
        image.save(out, format="PNG", compress_level=int(min(max(quality, 0), 9)))
    else:
        try:
            image.save(out, format=fmt.upper())
        except (KeyError, ValueError, OSError) as err:
            raise MXNetValueError(f"imencode: cannot encode format {img_fmt!r}: {err}") from err
    return out.getvalue()
