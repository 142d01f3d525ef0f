"""MXNet's deterministic image operators (``mx.nd.image.*``, registered as ``_image_*``):
to_tensor, normalize, crop, resize, the flips and adjust_lighting. The random ones live in
image_random.py.

Images are HWC or NHWC (CHW or NCHW for normalize). The kernels are the NumPy ones of
``neomx.image.adjust``; on a GPU the image goes through the host for those (these operators
run in data pipelines, on small images). Integer results saturate and truncate toward zero, as
MXNet's kernels cast.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .infer import is_known, shape_str
from .kernels import into
from .params import Bool, FloatTuple, Int, Params, Shape
from .registry import register
from .shape import _KnownInput

__all__ = ["add_lighting", "adjust", "cast_back", "check_image", "to_host", "to_device"]


def adjust():
    """The ``neomx.image.adjust`` kernels, imported on first use: the ``neomx.image`` package
    imports ``neomx.ndarray``, which imports the operators."""
    from ..image import adjust as kernels

    return kernels


def to_host(xp, array):
    """``array`` as a NumPy array (copied off a GPU)."""
    return array if xp is np else xp.asnumpy(array)


def to_device(xp, array):
    """A NumPy result as an array of ``xp`` (copied onto the GPU)."""
    return array if xp is np else xp.asarray(array)


def check_image(op_name, shape, ndims=(3, 4), layout="(height, width, channels)", channels=None):
    """Refuse shapes that are not images: ``ndims`` axes, and ``channels`` in the last axis
    (the channel axis of HWC) when given."""
    if len(shape) not in ndims:
        batched = " or (N, " + layout[1:] if 4 in ndims else ""
        raise MXNetValueError(
            f"{op_name}: input must have shape {layout}{batched}, got {shape_str(shape)}"
        )
    if channels is not None and shape[-1] not in channels:
        raise MXNetValueError(
            f"{op_name}: the last axis of input {shape_str(shape)} holds the channels; expected "
            f"{' or '.join(map(str, channels))} of them, got {shape[-1]}"
        )


class _ImageOp(_KnownInput):
    """An image operator whose output keeps the input's dtype."""

    saves = ()


# ---- to_tensor and normalize --------------------------------------------------------------


@register("_image_to_tensor", aliases=("_npx__image_to_tensor",))
class ToTensor(_ImageOp):
    """Convert an HWC (or NHWC) image with values in [0, 255] to a CHW (NCHW) float32 tensor
    with values in [0, 1].

    >>> mx.nd.image.to_tensor(mx.nd.full((1, 2, 3), 255, dtype='uint8')).shape
    (3, 1, 2)
    """

    def output_shape(self, p, data):
        check_image(self.name, data)
        return data[:-3] + (data[-1],) + data[-3:-1]

    def infer_type(self, p, dtype):
        return (dtype,), (np.dtype(np.float32),)

    def forward(self, xp, p, data, out=None):
        values = xp.moveaxis(data.astype(np.float32, copy=False), -1, -3) / np.float32(255.0)
        return into(xp, values, out)

    def gradient(self, p, F, inputs, outputs, dy):
        # MXNet 1.9.1 declares a gradient of the wrong shape (backward fails); this is the
        # gradient of the forward: move the channels back and divide by 255.
        data = inputs[0]
        axes = (1, 2, 0) if len(data.shape) == 3 else (0, 2, 3, 1)
        grad = F.transpose(dy[0], axes=axes) / 255.0
        return (F.cast(grad, dtype=np.dtype(data.dtype).name),)


def _channel_values(op_name, name, values, channels, shape):
    if len(values) not in (1, channels):
        raise MXNetValueError(
            f"{op_name}: {name} has {len(values)} values; expected 1 or {channels} (the "
            f"channels of input {shape_str(shape)})"
        )


class _Normalize(_ImageOp):
    params = Params(
        mean=FloatTuple((0.0, 0.0, 0.0, 0.0), doc="The mean of each channel (or one for all)."),
        std=FloatTuple((1.0, 1.0, 1.0, 1.0), doc="The standard deviation of each channel."),
    )

    def output_shape(self, p, data):
        check_image(self.name, data, layout="(channels, height, width)")
        channels = data[-3]
        _channel_values(self.name, "mean", p.mean, channels, data)
        _channel_values(self.name, "std", p.std, channels, data)
        return data

    def scaled(self, xp, data, mean, std):
        """``(data - mean) / std`` per channel, computed in float32 (float64 for float64)
        and cast back to the input's dtype."""
        work = np.float64 if data.dtype == np.float64 else np.float32
        shape = (-1, 1, 1)
        mean = xp.asarray(np.asarray(mean, dtype=work).reshape(shape))
        std = xp.asarray(np.asarray(std, dtype=work).reshape(shape))
        values = (data.astype(work, copy=False) - mean) / std
        return cast_back(xp, values, data.dtype)


def cast_back(xp, values, dtype):
    """Float ``values`` as ``dtype``: integer types saturate and truncate toward zero."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        if info is not None:
            values = xp.clip(values, info.min, info.max)
        values = xp.trunc(values)
    return values.astype(dtype, copy=False)


@register("_image_normalize", aliases=("_npx__image_normalize",))
class Normalize(_Normalize):
    """Normalize a CHW (or NCHW) tensor per channel: ``(data[c] - mean[c]) / std[c]``.

    A single mean or std value applies to every channel. Integer inputs give integer results
    (truncated), as in MXNet.

    >>> mx.nd.image.normalize(mx.nd.ones((3, 1, 1)), mean=(0, 1, 2), std=(2, 2, 2)).asnumpy()
    array([[[ 0.5]],
    <BLANKLINE>
           [[ 0. ]],
    <BLANKLINE>
           [[-0.5]]], dtype=float32)
    """

    def forward(self, xp, p, data, out=None):
        return into(xp, self.scaled(xp, data, p.mean, p.std), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._backward_image_normalize(dy[0], mean=p.mean, std=p.std),)


@register("_backward_image_normalize")
class NormalizeBackward(_Normalize):
    """The gradient of ``_image_normalize``: ``dy[c] / std[c]`` (``mean`` is ignored)."""

    def forward(self, xp, p, data, out=None):
        return into(xp, self.scaled(xp, data, (0.0,), p.std), out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._backward_image_normalize(dy[0], mean=p.mean, std=p.std),)


# ---- flips ----------------------------------------------------------------------------------


class _Flip(_ImageOp):
    # The axis flipped, counted from the end of an HWC image.
    axis = -2

    def output_shape(self, p, data):
        # MXNet 1.9.1 takes only one HWC image with 1 or 3 channels; batches and other
        # channel counts flip as well here.
        check_image(self.name, data)
        return data

    def forward(self, xp, p, data, out=None):
        return into(xp, xp.flip(data, axis=self.axis), out)


@register("_image_flip_left_right", aliases=("_npx__image_flip_left_right",))
class FlipLeftRight(_Flip):
    """Mirror an HWC (or NHWC) image left to right.

    MXNet 1.9.1's kernel scrambles the pixels of most images; this flips them.

    >>> mx.nd.image.flip_left_right(mx.nd.array([[[1], [2]]])).asnumpy().ravel()
    array([2., 1.], dtype=float32)
    """

    axis = -2

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._image_flip_left_right(dy[0]),)


@register("_image_flip_top_bottom", aliases=("_npx__image_flip_top_bottom",))
class FlipTopBottom(_Flip):
    """Flip an HWC (or NHWC) image upside down.

    MXNet 1.9.1's kernel scrambles the pixels of many images; this flips them.

    >>> mx.nd.image.flip_top_bottom(mx.nd.array([[[1]], [[2]]])).asnumpy().ravel()
    array([2., 1.], dtype=float32)
    """

    axis = -3

    def gradient(self, p, F, inputs, outputs, dy):
        return (F._image_flip_top_bottom(dy[0]),)


# ---- crop and resize --------------------------------------------------------------------


class _CropParams(_ImageOp):
    params = Params(
        x=Int(doc="Left boundary of the cropping area."),
        y=Int(doc="Top boundary of the cropping area."),
        width=Int(doc="Width of the cropping area."),
        height=Int(doc="Height of the cropping area."),
    )

    def check_box(self, p, image):
        check_image(self.name, image)
        h, w = image[-3], image[-2]
        if p.width <= 0 or p.height <= 0:
            raise MXNetValueError(
                f"{self.name}: width and height must be > 0, got width={p.width}, height={p.height}"
            )
        # MXNet 1.9.1 reads outside the image for a negative x or y; neomx refuses them.
        if p.x < 0 or p.y < 0 or p.x + p.width > w or p.y + p.height > h:
            raise MXNetValueError(
                f"{self.name}: the box x={p.x}, y={p.y}, width={p.width}, height={p.height} "
                f"does not fit input {shape_str(image)} (height {h}, width {w})"
            )

    def box_shape(self, p, image):
        return tuple(image[:-3]) + (p.height, p.width, image[-1])


@register("_image_crop", aliases=("_npx__image_crop",))
class Crop(_CropParams):
    """Crop the box at (x, y) of ``width`` x ``height`` from an HWC (or NHWC) image.

    >>> mx.nd.image.crop(mx.nd.zeros((4, 6, 3)), 1, 1, 2, 3).shape
    (3, 2, 3)
    """

    def output_shape(self, p, data):
        self.check_box(p, data)
        return self.box_shape(p, data)

    def forward(self, xp, p, data, out=None):
        window = data[..., p.y : p.y + p.height, p.x : p.x + p.width, :]
        return into(xp, window, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (
            F._backward_image_crop(dy[0], inputs[0], x=p.x, y=p.y, width=p.width, height=p.height),
        )


@register("_backward_image_crop")
class CropBackward(_CropParams):
    """The gradient of ``_image_crop``: ``dy`` placed at the box in zeros shaped like
    ``data`` (only ``data``'s shape is read)."""

    inputs = ("dy", "data")

    def infer_shape(self, p, dy, data):
        if not is_known(data):
            return None
        self.check_box(p, data)
        want = self.box_shape(p, data)
        if is_known(dy) and tuple(dy) != want:
            raise MXNetValueError(
                f"{self.name}: dy has shape {shape_str(dy)}; expected {shape_str(want)}"
            )
        return (want, data), (data,)

    def infer_type(self, p, dy, data):
        dtype = dy if dy is not None else data
        if dtype is None:
            return None
        return (dtype, data if data is not None else dtype), (dtype,)

    def forward(self, xp, p, dy, data, out=None):
        if out is None:
            out = xp.zeros(data.shape, dtype=dy.dtype)
        else:
            out[...] = 0
        out[..., p.y : p.y + p.height, p.x : p.x + p.width, :] = dy
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        crop = F._image_crop(dy[0], x=p.x, y=p.y, width=p.width, height=p.height)
        return (crop, F.zeros_like(inputs[1]))


@register("_image_resize", aliases=("_npx__image_resize",))
class Resize(_ImageOp):
    """Resize an HWC (or NHWC) image to ``size`` = (width, height), or to a square (or, with
    ``keep_ratio``, its short side) when ``size`` is one number, as OpenCV's resize does.

    ``interp`` is OpenCV's code: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos.

    >>> mx.nd.image.resize(mx.nd.zeros((4, 6, 3)), size=(3, 2)).shape
    (2, 3, 3)
    """

    params = Params(
        size=Shape((), doc="The new size: (width, height), or one number."),
        keep_ratio=Bool(False, doc="Resize the short side to size (when size is one number)."),
        interp=Int(1, doc="OpenCV's interpolation code."),
    )
    differentiable = False

    def target(self, p, data):
        check_image(self.name, data)
        if len(p.size) not in (1, 2):
            raise MXNetValueError(
                f"{self.name}: size must be (width, height) or one number, got {p.size}"
            )
        if any(s <= 0 for s in p.size):
            raise MXNetValueError(f"{self.name}: size must be positive, got {p.size}")
        if p.interp not in range(5):
            raise MXNetValueError(
                f"{self.name}: interp must be 0 (nearest), 1 (bilinear), 2 (bicubic), 3 (area) "
                f"or 4 (Lanczos), got {p.interp}"
            )
        if data[-3] == 0 or data[-2] == 0:
            raise MXNetValueError(f"{self.name}: cannot resize an empty image {shape_str(data)}")
        return adjust().resize_size(data[-3:-1], p.size, p.keep_ratio)

    def output_shape(self, p, data):
        width, height = self.target(p, data)
        return tuple(data[:-3]) + (height, width, data[-1])

    def forward(self, xp, p, data, out=None):
        host = to_host(xp, data)
        values = adjust().resize(host, p.size, p.keep_ratio, p.interp)
        return into(xp, to_device(xp, values), out)


def add_lighting(xp, data, alpha):
    """``data`` plus AlexNet's PCA lighting shift for ``alpha``, computed in float32 (float64
    for float64 images) and cast back."""
    # adjust_lighting of a black pixel is the shift (float32, as MXNet computes it).
    shift = adjust().adjust_lighting(np.zeros((1, 1, 3), np.float32), alpha).reshape(3)
    work = np.float64 if data.dtype == np.float64 else np.float32
    values = data.astype(work, copy=False) + xp.asarray(shift.astype(work))
    return cast_back(xp, values, data.dtype)


@register("_image_adjust_lighting", aliases=("_npx__image_adjust_lighting",))
class AdjustLighting(_ImageOp):
    """Add AlexNet-style PCA lighting to an RGB HWC image: the eigenvectors of ImageNet's RGB
    covariance times ``alpha * eigenvalues``.

    >>> mx.nd.image.adjust_lighting(mx.nd.zeros((1, 1, 3)), alpha=(0, 0, 0)).asnumpy().ravel()
    array([0., 0., 0.], dtype=float32)
    """

    params = Params(alpha=FloatTuple(doc="The lighting alphas for the R, G, B channels."))

    def output_shape(self, p, data):
        # MXNet 1.9.1 also takes one channel but then reads past its eigenvalues.
        check_image(self.name, data, ndims=(3,), channels=(3,))
        if len(p.alpha) != 3:
            raise MXNetValueError(f"{self.name}: alpha must have 3 values, got {p.alpha}")
        return data

    def forward(self, xp, p, data, out=None):
        return into(xp, add_lighting(xp, data, p.alpha), out)

    def gradient(self, p, F, inputs, outputs, dy):
        # The shift does not depend on the image.
        return (F.identity(dy[0]),)
