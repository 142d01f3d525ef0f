"""``gluon.data.vision.transforms``: image transformations as Blocks, for ``Dataset.transform``
and ``transform_first``.

As in MXNet 1.9.1, the transforms that are HybridBlocks there (Cast, ToTensor, Normalize,
Resize, CropResize, the flips and the colour and lighting jitters) call the ``mx.nd.image`` /
``mx.sym.image`` operators, so they hybridize; random ones draw from ``mx.random``'s stream of
the image's context, so ``mx.random.seed`` makes them reproducible. The crops that pick a box
at random, rotations and RandomGray (which MXNet 1.9.1 makes Blocks, or lacks) compute with
NumPy on the CPU stream. Flips and saturation are correct (MXNet 1.9.1's kernels are not).
"""

from __future__ import annotations

import numbers

import numpy as np

from .... import image as _image
from .... import ndarray as nd
from ....base import MXNetError, MXNetValueError
from ....image import adjust
from ....image.image import host_rng
from ...block import Block
from ...hybrid import HybridBlock
from ...nn import HybridSequential, Sequential

__all__ = [
    "Compose",
    "HybridCompose",
    "Cast",
    "ToTensor",
    "Normalize",
    "Resize",
    "CenterCrop",
    "CropResize",
    "RandomResizedCrop",
    "RandomCrop",
    "RandomFlipLeftRight",
    "RandomFlipTopBottom",
    "RandomBrightness",
    "RandomContrast",
    "RandomSaturation",
    "RandomHue",
    "RandomColorJitter",
    "RandomLighting",
    "RandomRotation",
    "Rotate",
    "RandomApply",
    "RandomGray",
]


class Compose(Sequential):
    """Chain transforms; runs of consecutive HybridBlocks are grouped in a HybridSequential.

    >>> from neomx.gluon.data.vision import transforms
    >>> t = transforms.Compose([transforms.Resize(4), transforms.ToTensor()])
    >>> t(mx.nd.zeros((8, 8, 3), dtype='uint8')).shape
    (3, 4, 4)
    """

    def __init__(self, transforms):
        super().__init__()
        group = []
        for transform in list(transforms) + [None]:
            if isinstance(transform, HybridBlock):
                group.append(transform)
                continue
            if len(group) == 1:
                self.add(group[0])
            elif group:
                block = HybridSequential()
                block.add(*group)
                self.add(block)
            group = []
            if transform is not None:
                self.add(transform)


class HybridCompose(HybridSequential):
    """Chain HybridBlock transforms in one HybridSequential.

    >>> from neomx.gluon.data.vision import transforms
    >>> t = transforms.HybridCompose([transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
    >>> t(mx.nd.zeros((2, 2, 3), dtype='uint8')).shape
    (3, 2, 2)
    """

    def __init__(self, transforms):
        super().__init__()
        for transform in transforms:
            if not isinstance(transform, HybridBlock):
                raise MXNetValueError(
                    f"HybridCompose: {type(transform).__name__} is not a HybridBlock; use Compose"
                )
            self.add(transform)

    def hybridize(self, active=True, **kwargs):
        if any(isinstance(child, _ImageTransform) for child in self._children.values()):
            # NOTE: NumPy-kernel transforms cannot be traced; the chain stays imperative.
            for child in self._children.values():
                child.hybridize(active, **kwargs)
            return
        super().hybridize(active, **kwargs)


class _ImageTransform(HybridBlock):
    """A transform computed by a NumPy kernel (``_apply(numpy image) -> numpy image``) where
    MXNet has no operator (RandomGray)."""

    def hybridize(self, active=True, **kwargs):
        # NOTE: the NumPy kernel cannot be traced into a Symbol; the block stays imperative,
        # which gives the same numbers as MXNet's hybridized operator.
        super().hybridize(False, **kwargs)

    def hybrid_forward(self, F, x):
        if not isinstance(x, nd.NDArray):
            raise MXNetError(
                f"{type(self).__name__}: image transforms run on NDArrays; they cannot be "
                "traced into a Symbol (keep them out of hybridized networks)"
            )
        out = self._apply(x.asnumpy())
        return nd.array(out, ctx=x.context, dtype=out.dtype)

    def _apply(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Cast(HybridBlock):
    """Cast to ``dtype`` (float32 by default).

    >>> mx.gluon.data.vision.transforms.Cast()(mx.nd.ones((1,), dtype='uint8')).dtype
    <class 'numpy.float32'>
    """

    def __init__(self, dtype="float32"):
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F, x):
        return F.cast(x, self._dtype)


class ToTensor(HybridBlock):
    """HWC (or NHWC) images in [0, 255] to CHW (NCHW) float32 in [0, 1].

    >>> mx.gluon.data.vision.transforms.ToTensor()(mx.nd.full((1, 1, 3), 255)).asnumpy()
    array([[[1.]],
    <BLANKLINE>
           [[1.]],
    <BLANKLINE>
           [[1.]]], dtype=float32)
    """

    def hybrid_forward(self, F, x):
        return F.image.to_tensor(x)


class Normalize(HybridBlock):
    """(x - mean) / std per channel of CHW (or NCHW) tensors; ``mean``/``std`` are numbers or
    one value per channel.

    >>> t = mx.gluon.data.vision.transforms.Normalize(0.5, 0.25)
    >>> t(mx.nd.ones((1, 1, 1))).asnumpy().ravel()
    array([2.], dtype=float32)
    """

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean, self._std = mean, std

    def hybrid_forward(self, F, x):
        return F.image.normalize(x, self._mean, self._std)


class Resize(HybridBlock):
    """Resize HWC (NHWC) images to ``size``: an int (square, or the short side with
    ``keep_ratio``) or (width, height); ``interpolation`` uses OpenCV's codes (1: bilinear).

    >>> mx.gluon.data.vision.transforms.Resize((4, 2))(mx.nd.zeros((6, 6, 3))).shape
    (2, 4, 3)
    """

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._size, self._keep, self._interpolation = size, keep_ratio, interpolation

    def hybrid_forward(self, F, x):
        return F.image.resize(x, self._size, self._keep, self._interpolation)


def _pair(size):
    return (size, size) if isinstance(size, numbers.Number) else tuple(size)


class CenterCrop(Block):
    """Crop the centre (w, h) box (an int for a square) of an HWC image, resizing if the image
    is smaller.

    >>> mx.gluon.data.vision.transforms.CenterCrop(2)(mx.nd.zeros((4, 6, 3))).shape
    (2, 2, 3)
    """

    def __init__(self, size, interpolation=1):
        super().__init__()
        self._args = (_pair(size), interpolation)

    def forward(self, x):
        return _image.center_crop(x, *self._args)[0]


class CropResize(HybridBlock):
    """Crop the box at (x, y) of ``width`` x ``height``, then resize it to ``size`` if given.

    >>> mx.gluon.data.vision.transforms.CropResize(0, 0, 3, 2)(mx.nd.zeros((4, 4, 3))).shape
    (2, 3, 3)
    """

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._box = (x, y, width, height)
        self._size = size
        self._interpolation = 1 if interpolation is None else interpolation

    def hybrid_forward(self, F, x):
        out = F.image.crop(x, *self._box)
        if self._size:
            out = F.image.resize(out, self._size, False, self._interpolation)
        return out


class RandomResizedCrop(Block):
    """Crop a random box (area fraction in ``scale``, aspect ratio in ``ratio``) and resize it
    to ``size``.

    >>> mx.gluon.data.vision.transforms.RandomResizedCrop(3)(mx.nd.zeros((8, 8, 3))).shape
    (3, 3, 3)
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        super().__init__()
        self._args = (_pair(size), scale, ratio, interpolation)

    def forward(self, x):
        return _image.random_size_crop(x, *self._args)[0]


class RandomCrop(Block):
    """Pad (optionally) and crop a random (w, h) box of an HWC image.

    ``pad`` is an int for every side or (top, bottom, left, right); padding uses
    ``pad_value``.

    >>> mx.gluon.data.vision.transforms.RandomCrop(4, pad=2)(mx.nd.zeros((4, 4, 3))).shape
    (4, 4, 3)
    """

    def __init__(self, size, pad=None, pad_value=0, interpolation=1):
        super().__init__()
        self._args = (_pair(size), interpolation)
        if isinstance(pad, numbers.Integral):
            pad = (pad, pad, pad, pad)
        elif pad is not None and len(pad) != 4:
            raise MXNetValueError(
                f"RandomCrop: pad must be an int or (top, bottom, left, right), got {pad}"
            )
        self._pad = pad
        self._pad_value = pad_value

    def forward(self, x):
        if self._pad is not None:
            x = _image.copyMakeBorder(x, *self._pad, type=0, value=self._pad_value)
        return _image.random_crop(x, *self._args)[0]


class RandomFlipLeftRight(HybridBlock):
    """Mirror HWC (NHWC) images left to right with probability 0.5."""

    def hybrid_forward(self, F, x):
        return F.image.random_flip_left_right(x)


class RandomFlipTopBottom(HybridBlock):
    """Flip HWC (NHWC) images upside down with probability 0.5."""

    def hybrid_forward(self, F, x):
        return F.image.random_flip_top_bottom(x)


def _factor_range(name, amount):
    if amount < 0:
        raise MXNetValueError(f"{name}: the jitter amount must be >= 0, got {amount}")
    return max(0.0, 1.0 - amount), 1.0 + amount


class _RandomFactor(HybridBlock):
    """A colour jitter by a factor from U[max(0, 1 - amount), 1 + amount]."""

    def __init__(self, amount):
        super().__init__()
        self._args = _factor_range(type(self).__name__, amount)


class RandomBrightness(_RandomFactor):
    """Scale the intensities by a factor from U[max(0, 1 - brightness), 1 + brightness]."""

    def hybrid_forward(self, F, x):
        return F.image.random_brightness(x, *self._args)


class RandomContrast(_RandomFactor):
    """Blend with the mean grey level by a factor from U[max(0, 1 - contrast), 1 + contrast]."""

    def hybrid_forward(self, F, x):
        return F.image.random_contrast(x, *self._args)


class RandomSaturation(_RandomFactor):
    """Blend with the per-pixel grey level by a factor from
    U[max(0, 1 - saturation), 1 + saturation]."""

    def hybrid_forward(self, F, x):
        return F.image.random_saturation(x, *self._args)


class RandomHue(_RandomFactor):
    """Rotate the hue by a factor from U[max(0, 1 - hue), 1 + hue] turns (a whole turn leaves
    the image as it is)."""

    def hybrid_forward(self, F, x):
        return F.image.random_hue(x, *self._args)


class RandomColorJitter(HybridBlock):
    """Jitter brightness, contrast, saturation and hue in a random order, each amount ``a`` > 0
    by a factor from 1 + U(-a, a) (see ``mx.nd.image.random_color_jitter``)."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        for amount in (brightness, contrast, saturation, hue):
            _factor_range("RandomColorJitter", amount)
        self._args = (brightness, contrast, saturation, hue)

    def hybrid_forward(self, F, x):
        return F.image.random_color_jitter(x, *self._args)


class RandomLighting(HybridBlock):
    """AlexNet-style PCA lighting noise with standard deviation ``alpha``."""

    def __init__(self, alpha):
        super().__init__()
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.image.random_lighting(x, self._alpha)


class RandomGray(_ImageTransform):
    """With probability ``p``, replace RGB by its grey level (kept in three channels)."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def _apply(self, x):
        if host_rng().random() < self.p:
            return adjust.to_gray(x)
        return x


class Rotate(Block):
    """Rotate CHW (NCHW) float32 images by ``rotation_degrees`` (see ``mx.image.imrotate``)."""

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        super().__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x):
        return _image.imrotate(x, *self._args)


class RandomRotation(Block):
    """Rotate CHW (NCHW) float32 images by an angle from U[angle_limits], with probability
    ``rotate_with_proba``."""

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise MXNetValueError(
                f"RandomRotation: angle_limits must be increasing, got {angle_limits}"
            )
        if not 0 <= rotate_with_proba <= 1:
            raise MXNetValueError(
                f"RandomRotation: rotate_with_proba must be in [0, 1], got {rotate_with_proba}"
            )
        self._args = (angle_limits, zoom_in, zoom_out)
        self._proba = rotate_with_proba

    def forward(self, x):
        if host_rng().random() > self._proba:
            return x
        return _image.random_rotate(x, *self._args)


class RandomApply(Sequential):
    """Apply ``transforms`` (a Block) with probability ``p``."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x):
        if self.p < host_rng().random():
            return x
        return self.transforms(x)
