"""``mx.image`` functions: reading, decoding, resizing, cropping and normalising HWC images.

Images are NDArrays of shape (height, width, channels), uint8 straight from the decoder, in RGB
order (``to_rgb=True``) as in MXNet 1.9.1. Decoding uses Pillow and resizing reproduces OpenCV's
``cv::resize``. Random choices come from neomx's CPU random stream, so ``mx.random.seed`` makes
them reproducible.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import cpu
from ..rng import generator
from .codec import decode_to_numpy
from .resize import resize_array

__all__ = [
    "imread",
    "imdecode",
    "imresize",
    "scale_down",
    "copyMakeBorder",
    "resize_short",
    "fixed_crop",
    "random_crop",
    "center_crop",
    "color_normalize",
    "random_size_crop",
    "imrotate",
    "random_rotate",
]


def host_rng() -> np.random.Generator:
    """The random stream the image functions draw from (the CPU stream of mx.random)."""
    return generator(cpu())


def uniform(low: float, high: float) -> float:
    """One draw from U[low, high) on the image random stream."""
    return float(host_rng().uniform(low, high))


def randint(low: int, high: int) -> int:
    """One integer in [low, high] (both ends included, as Python's random.randint)."""
    return int(host_rng().integers(low, high + 1))


def as_numpy(src) -> np.ndarray:
    """The numpy array behind ``src`` (an NDArray or array-like)."""
    return src.asnumpy() if isinstance(src, nd.NDArray) else np.asarray(src)


def like(array: np.ndarray, src, out=None):
    """Wrap ``array`` as an NDArray on ``src``'s context (into ``out`` when given)."""
    ctx = src.context if isinstance(src, nd.NDArray) else None
    result = nd.array(array, ctx=ctx, dtype=array.dtype)
    if out is not None:
        out[:] = result
        return out
    return result


def _decode_mode(flag: int) -> str:
    if flag == 0:
        return "gray"
    return "unchanged" if flag < 0 else "color"


def imdecode(buf, flag=1, to_rgb=True, out=None):
    """Decode an image file held in memory (JPEG, PNG, ...) to an HWC uint8 NDArray.

    Parameters
    ----------
    buf : bytes, bytearray, numpy.ndarray or NDArray
        The encoded image.
    flag : int
        1 for 3 colour channels, 0 for one grey channel (shape (h, w, 1)), -1 unchanged.
    to_rgb : bool
        Return RGB order (True) or OpenCV's BGR order (False).

    Examples
    --------
    >>> with open('cat.jpg', 'rb') as f:  # doctest: +SKIP
    ...     img = mx.image.imdecode(f.read())
    >>> img.shape  # doctest: +SKIP
    (224, 224, 3)
    """
    if isinstance(buf, nd.NDArray):
        buf = buf.asnumpy().astype(np.uint8).tobytes()
    elif isinstance(buf, np.ndarray):
        buf = buf.astype(np.uint8, copy=False).tobytes()
    elif not isinstance(buf, (bytes, bytearray, memoryview)):
        raise MXNetValueError(
            "imdecode: buf must be bytes, bytearray, numpy.ndarray or NDArray, got "
            f"{type(buf).__name__} (encode a str to bytes first)"
        )
    array = decode_to_numpy(buf, mode=_decode_mode(flag), rgb=bool(to_rgb))
    return like(array, None, out)


def imread(filename, flag=1, to_rgb=True, out=None):
    """Read and decode an image file to an HWC uint8 NDArray (see ``imdecode``).

    >>> img = mx.image.imread('cat.jpg')  # doctest: +SKIP
    """
    try:
        with open(os.fspath(filename), "rb") as stream:
            buf = stream.read()
    except OSError as err:
        raise MXNetError(f"imread: cannot read image file {filename!r}: {err}") from err
    try:
        return imdecode(buf, flag, to_rgb, out)
    except MXNetError as err:
        raise MXNetError(f"imread: {filename!r}: {err}") from err


def imresize(src, w, h, interp=1, out=None):
    """Resize ``src`` (HWC) to width ``w`` and height ``h``.

    ``interp``: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos (OpenCV's codes).

    >>> mx.image.imresize(mx.nd.zeros((4, 6, 3), dtype='uint8'), 3, 2).shape
    (2, 3, 3)
    """
    array = as_numpy(src)
    if array.ndim not in (2, 3):
        raise MXNetValueError(f"imresize: expected an HWC image, got shape {array.shape}")
    return like(resize_array(array, w, h, interp), src, out)


def scale_down(src_size, size):
    """Shrink the crop ``size`` (w, h) to fit ``src_size`` (w, h), keeping its aspect ratio.

    >>> mx.image.scale_down((640, 480), (720, 120))
    (640, 106)
    """
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


_BORDERS = {0: "constant", 1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect"}


def copyMakeBorder(src, top, bot, left, right, type=0, value=0.0, values=None, out=None):  # noqa: N802, A002
    """Pad an HWC image with a border, like ``cv::copyMakeBorder``.

    ``type``: 0 constant (``value``, or per channel ``values``), 1 replicate, 2 reflect,
    3 wrap, 4 reflect-101.

    >>> mx.image.copyMakeBorder(mx.nd.ones((2, 2, 3)), 1, 1, 1, 1).shape
    (4, 4, 3)
    """
    if type not in _BORDERS:
        raise MXNetValueError(f"copyMakeBorder: unknown border type {type}; expected 0-4")
    array = as_numpy(src)
    pads = [(int(top), int(bot)), (int(left), int(right))] + [(0, 0)] * (array.ndim - 2)
    if min(min(pad) for pad in pads) < 0:
        raise MXNetValueError(f"copyMakeBorder: borders must be >= 0, got {top, bot, left, right}")
    if type != 0:
        return like(np.pad(array, pads, mode=_BORDERS[type]), src, out)
    result = np.pad(array, pads, mode="constant", constant_values=0)
    fill = np.asarray(values if values is not None else value, dtype=np.float64)
    mask = np.ones(result.shape[:2], dtype=bool)
    mask[pads[0][0] : pads[0][0] + array.shape[0], pads[1][0] : pads[1][0] + array.shape[1]] = False
    result[mask] = fill if fill.ndim == 0 or array.ndim == 2 else fill[: array.shape[-1]]
    return like(result, src, out)


def get_interp_method(interp, sizes=()):
    """Resolve MXNet's auto (9) and random (10) interpolation codes to OpenCV's 0-4.

    ``sizes`` is (old_h, old_w, new_h, new_w): auto picks cubic to enlarge, area to shrink and
    bilinear otherwise.
    """
    if interp == 9:
        if sizes:
            old_h, old_w, new_h, new_w = sizes
            if new_h > old_h and new_w > old_w:
                return 2
            if new_h < old_h and new_w < old_w:
                return 3
            return 1
        return 2
    if interp == 10:
        return randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise MXNetValueError(f"unknown interpolation method {interp}; expected 0-4, 9 or 10")
    return interp


def resize_short(src, size, interp=2):
    """Resize so that the shorter side is ``size``, keeping the aspect ratio.

    >>> mx.image.resize_short(mx.nd.zeros((4, 8, 3), dtype='uint8'), 2).shape
    (2, 4, 3)
    """
    h, w = src.shape[:2]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """Crop the box at (x0, y0) of width ``w``, height ``h``; resize it to ``size`` if given.

    >>> mx.image.fixed_crop(mx.nd.zeros((4, 4, 3)), 1, 1, 2, 3).shape
    (3, 2, 3)
    """
    out = src[y0 : y0 + h, x0 : x0 + w]
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, size[1], size[0])
        out = imresize(out, *size, interp=get_interp_method(interp, sizes))
    return out


def random_crop(src, size, interp=2):
    """Crop a random box of ``size`` (w, h) (shrunk to fit); return (crop, (x0, y0, w, h))."""
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = randint(0, w - new_w)
    y0 = randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src, size, interp=2):
    """Crop the central box of ``size`` (w, h) (shrunk to fit); return (crop, box).

    >>> crop, box = mx.image.center_crop(mx.nd.zeros((4, 6, 3)), (2, 2))
    >>> box
    (2, 1, 2, 2)
    """
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def color_normalize(src, mean, std=None):
    """Subtract ``mean`` and divide by ``std`` (in place on ``src``, as MXNet does).

    >>> mx.image.color_normalize(mx.nd.ones((1, 1, 3)), mx.nd.array([1, 0, 0])).asnumpy()
    array([[[0., 1., 1.]]], dtype=float32)
    """
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """Crop a random box covering a fraction ``area`` of the image with aspect ratio in
    ``ratio``, resized to ``size`` (w, h); fall back to a centre crop after 10 tries.

    Returns (crop, (x0, y0, w, h)).
    """
    if "min_area" in kwargs:
        area = kwargs.pop("min_area")
    if kwargs:
        raise MXNetTypeError(f"random_size_crop: unexpected arguments {sorted(kwargs)}")
    h, w = src.shape[:2]
    src_area = h * w
    if isinstance(area, numbers.Number):
        area = (area, 1.0)
    log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
    for _ in range(10):
        target_area = uniform(area[0], area[1]) * src_area
        new_ratio = np.exp(uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = randint(0, w - new_w)
            y0 = randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def _rotate_numpy(images: np.ndarray, degrees: np.ndarray, zoom_in: bool, zoom_out: bool):
    """Rotate NCHW float images about their centres (bilinear, zeros outside)."""
    n, _, h, w = images.shape
    radians = np.deg2rad(degrees.astype(np.float64))
    half_h, half_w = (h - 1) / 2.0, (w - 1) / 2.0
    ys, xs = np.meshgrid(np.arange(h) - half_h, np.arange(w) - half_w, indexing="ij")
    out = np.zeros_like(images)
    for i in range(n):
        cos, sin = np.cos(radians[i]), np.sin(radians[i])
        scale = 1.0
        if zoom_in or zoom_out:
            diag, corner = np.hypot(h, w), np.arctan2(h, w)
            max_x = max(
                abs(diag * np.cos(corner + abs(radians[i]))),
                abs(diag * np.cos(corner - abs(radians[i]))),
            )
            max_y = max(
                abs(diag * np.sin(corner + abs(radians[i]))),
                abs(diag * np.sin(corner - abs(radians[i]))),
            )
            scale = max(max_x / w, max_y / h) if zoom_out else min(w / max_x, h / max_y)
        # The output pixel (x, y) samples the source at the inversely rotated position.
        src_x = (xs * cos - ys * sin) * scale + half_w
        src_y = (xs * sin + ys * cos) * scale + half_h
        x0, y0 = np.floor(src_x).astype(int), np.floor(src_y).astype(int)
        fx, fy = src_x - x0, src_y - y0
        for dy, dx, weight in (
            (0, 0, (1 - fx) * (1 - fy)),
            (0, 1, fx * (1 - fy)),
            (1, 0, (1 - fx) * fy),
            (1, 1, fx * fy),
        ):
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            values = images[i][:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
            out[i] += (values * (weight * inside)).astype(images.dtype)
    return out


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """Rotate CHW (or NCHW) float32 image(s) anticlockwise by ``rotation_degrees``.

    ``zoom_in`` scales so that no empty corner shows; ``zoom_out`` so that the whole image fits.
    """
    if zoom_in and zoom_out:
        raise MXNetValueError("imrotate: zoom_in and zoom_out cannot both be True")
    if src.dtype != np.float32:
        raise MXNetTypeError(f"imrotate: only float32 images are supported, got {src.dtype}")
    array = as_numpy(src)
    single = array.ndim == 3
    if single:
        if not isinstance(rotation_degrees, numbers.Number):
            raise MXNetTypeError("imrotate: one image needs one (scalar) rotation angle")
        array = array[None]
    elif array.ndim != 4:
        raise MXNetValueError(f"imrotate: expected CHW or NCHW images, got shape {array.shape}")
    degrees = (
        np.broadcast_to(
            np.asarray(as_numpy(rotation_degrees), dtype=np.float64).ravel(), (len(array),)
        )
        if isinstance(rotation_degrees, numbers.Number)
        else np.asarray(as_numpy(rotation_degrees), dtype=np.float64).ravel()
    )
    if len(degrees) != len(array):
        raise MXNetValueError(f"imrotate: {len(array)} images but {len(degrees)} rotation angles")
    rotated = _rotate_numpy(array, degrees, zoom_in, zoom_out)
    return like(rotated[0] if single else rotated, src)


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """Rotate image(s) by angles drawn uniformly from ``angle_limits`` (degrees)."""
    if src.ndim == 3:
        degrees = uniform(*angle_limits)
    else:
        degrees = host_rng().uniform(angle_limits[0], angle_limits[1], size=src.shape[0])
    return imrotate(src, degrees, zoom_in=zoom_in, zoom_out=zoom_out)
