"""MXNet's random image operators (``mx.nd.image.random_*``, registered as ``_image_random_*``):
flips, brightness, contrast, saturation, hue, colour jitter and PCA lighting.

Each call draws from its context's generator (``runtime = ("rng",)``), so ``mx.random.seed``
makes it reproducible; one draw serves the whole call (an image, or a batch where neomx takes
NHWC batches and MXNet 1.9.1 refuses them). The kernels are ``neomx.image.adjust``'s, and the
factor ranges are MXNet's: ``[min_factor, max_factor]``, and ``1 + U(-amount, amount)`` for
colour jitter.

Gradients: a flip's gradient flips the head gradient back when the call flipped, and
brightness scales it by the factor drawn; both read a hidden second output holding the draw.
Lighting adds a shift that does not depend on the image (gradient: the head gradient).
MXNet 1.9.1 gives contrast, saturation, hue and colour jitter the head gradient unchanged,
which is not their gradient; neomx leaves them not differentiable.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .image import add_lighting, adjust, cast_back, check_image, to_device, to_host
from .infer import is_known
from .kernels import into
from .params import Float, Params
from .registry import Op, register


def _uniform(rng, low, high):
    """One float from U[low, high) on ``rng`` (numpy's or cupy's generator)."""
    return low + (high - low) * float(rng.random())


def _work_dtype(dtype):
    """The dtype brightness computes in: the image's when it is a float, else float32."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


class _RandomImage(Op):
    """A random image operator with one visible output shaped like its input."""

    runtime = ("rng",)
    saves = ()
    # The last axis of an image holds its channels: MXNet takes 1 or 3.
    channels = (1, 3)

    def check(self, p, data):
        check_image(self.name, data, channels=self.channels)

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        self.check(p, data)
        return (data,), (data,) * self.num_outputs(p)

    def run(self, xp, kernel, data, out, *args):
        values = kernel(to_host(xp, data), *args)
        return into(xp, to_device(xp, values), out)


class _FactorParams:
    params = Params(
        min_factor=Float(doc="Minimum factor."), max_factor=Float(doc="Maximum factor.")
    )

    def check(self, p, data):
        super().check(p, data)
        if p.min_factor > p.max_factor:
            raise MXNetValueError(
                f"{self.name}: min_factor={p.min_factor} must not exceed max_factor={p.max_factor}"
            )


class _WithDraw(_RandomImage):
    """A random operator whose second, hidden output holds its draw, shaped (1, ...) with the
    image's number of axes, for the gradient."""

    saves = ("outputs",)

    def num_outputs(self, p):
        return 2

    def num_visible_outputs(self, p):
        return 1

    def output_names(self, p):
        return ("output", "draw")

    def infer_shape(self, p, data):
        if not is_known(data):
            return None
        self.check(p, data)
        return (data,), (data, (1,) * len(data))

    def infer_type(self, p, dtype):
        if dtype is None:
            return None
        # The draw takes the image's dtype (the gradient multiplies by it; integer images
        # have no gradient to speak of).
        return (dtype,), (dtype, dtype)

    def outputs(self, xp, result, draw, out):
        """Return (result, draw array) through the ``out`` buffers when given."""
        out_buf, draw_buf = out if out is not None else (None, None)
        draw_array = xp.full((1,) * result.ndim, draw, dtype=np.float64).astype(result.dtype)
        return into(xp, result, out_buf), into(xp, draw_array, draw_buf)


class _RandomFlip(_WithDraw):
    channels = None
    axis = -2
    flip_op = ""

    def forward(self, xp, p, data, out=None, *, rng=None):
        flipped = float(rng.random()) < 0.5
        if flipped:
            result = xp.flip(data, axis=self.axis)
        else:
            result = data if out is not None else data.copy()
        return self.outputs(xp, result, 1.0 if flipped else 0.0, out)

    def gradient(self, p, F, inputs, outputs, dy):
        flipped = F.broadcast_like(outputs[1], dy[0])
        return (F.where(flipped, getattr(F, self.flip_op)(dy[0]), dy[0]),)


@register("_image_random_flip_left_right", aliases=("_npx__image_random_flip_left_right",))
class RandomFlipLeftRight(_RandomFlip):
    """Mirror an HWC (or NHWC) image left to right with probability 0.5.

    MXNet 1.9.1's flip kernel scrambles the pixels of most images; this flips them.
    """

    axis = -2
    flip_op = "_image_flip_left_right"


@register("_image_random_flip_top_bottom", aliases=("_npx__image_random_flip_top_bottom",))
class RandomFlipTopBottom(_RandomFlip):
    """Flip an HWC (or NHWC) image upside down with probability 0.5.

    MXNet 1.9.1's flip kernel scrambles the pixels of many images; this flips them.
    """

    axis = -3
    flip_op = "_image_flip_top_bottom"


@register("_image_random_brightness", aliases=("_npx__image_random_brightness",))
class RandomBrightness(_FactorParams, _WithDraw):
    """Scale an HWC image's intensities by a factor from U[min_factor, max_factor].

    >>> mx.nd.image.random_brightness(mx.nd.ones((1, 1, 3)), 2, 2).asnumpy().ravel()
    array([2., 2., 2.], dtype=float32)
    """

    def forward(self, xp, p, data, out=None, *, rng=None):
        alpha = _uniform(rng, p.min_factor, p.max_factor)
        work = _work_dtype(data.dtype)
        result = cast_back(xp, data.astype(work) * work.type(alpha), data.dtype)
        return self.outputs(xp, result, alpha, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.broadcast_mul(dy[0], outputs[1]),)


class _RandomColor(_FactorParams, _RandomImage):
    differentiable = False
    # The kernel's name in _KERNELS.
    kernel = ""

    def forward(self, xp, p, data, out=None, *, rng=None):
        alpha = _uniform(rng, p.min_factor, p.max_factor)
        kernel = _KERNELS[self.kernel]
        return self.run(xp, kernel, data, out, alpha)


@register("_image_random_contrast", aliases=("_npx__image_random_contrast",))
class RandomContrast(_RandomColor):
    """Blend an HWC image with its mean grey level: ``alpha * x + (1 - alpha) * mean``, alpha
    from U[min_factor, max_factor].

    >>> mx.nd.image.random_contrast(mx.nd.ones((1, 1, 3)), 0.5, 0.5).asnumpy().ravel()
    array([1., 1., 1.], dtype=float32)
    """

    kernel = "contrast"


@register("_image_random_saturation", aliases=("_npx__image_random_saturation",))
class RandomSaturation(_RandomColor):
    """Blend each pixel of an HWC image with its grey level: ``alpha * x + (1 - alpha) *
    gray``, alpha from U[min_factor, max_factor].

    MXNet 1.9.1's kernel blends RGB images with ``0.114 * blue`` instead of the grey level;
    this blends with the grey level, as its documentation says.
    """

    kernel = "saturation"


# One-channel images are their own grey level. adjust's kernels weigh R, G and B, whose
# weights sum to 1 only up to float32 rounding; that would move truncated integer results.


def _contrast(image, alpha):
    if image.shape[-1] != 1:
        return adjust().adjust_contrast(image, alpha)
    values = image.astype(np.float32)
    mean = values.mean(axis=(-3, -2, -1), keepdims=True)
    return cast_back(np, values * np.float32(alpha) + mean * np.float32(1.0 - alpha), image.dtype)


def _saturation(image, alpha):
    return image.copy() if image.shape[-1] == 1 else adjust().adjust_saturation(image, alpha)


def _hue(image, alpha):
    # A grey image has no hue to rotate (MXNet 1.9.1 returns zeros for it).
    return image.copy() if image.shape[-1] == 1 else adjust().adjust_hue(image, alpha)


_KERNELS = {"contrast": _contrast, "saturation": _saturation, "hue": _hue}


@register("_image_random_hue", aliases=("_npx__image_random_hue",))
class RandomHue(_RandomColor):
    """Rotate the hue of an RGB HWC image by ``alpha`` turns in HLS space, alpha from
    U[min_factor, max_factor] (a whole turn leaves the image as it is).

    >>> mx.nd.image.random_hue(mx.nd.array([[[255, 0, 0]]]), 1, 1).asnumpy().ravel()
    array([255.,   0.,   0.], dtype=float32)
    """

    kernel = "hue"


def _jitter_steps():
    return (adjust().adjust_brightness, _contrast, _saturation, _hue)


@register("_image_random_color_jitter", aliases=("_npx__image_random_color_jitter",))
class RandomColorJitter(_RandomImage):
    """Randomly jitter the brightness, contrast, saturation and hue of an HWC image, in a
    random order; each amount ``a`` > 0 applies its adjustment with a factor from
    ``1 + U(-a, a)``.

    MXNet 1.9.1 leaves the output unwritten when every amount is 0; this returns the image.
    """

    params = Params(
        brightness=Float(doc="How much to jitter brightness."),
        contrast=Float(doc="How much to jitter contrast."),
        saturation=Float(doc="How much to jitter saturation."),
        hue=Float(doc="How much to jitter hue."),
    )
    differentiable = False

    def check(self, p, data):
        super().check(p, data)
        amounts = {
            "brightness": p.brightness,
            "contrast": p.contrast,
            "saturation": p.saturation,
            "hue": p.hue,
        }
        for name, amount in amounts.items():
            if amount < 0:
                raise MXNetValueError(f"{self.name}: {name}={amount} must be >= 0")

    def forward(self, xp, p, data, out=None, *, rng=None):
        image = to_host(xp, data)
        amounts = (p.brightness, p.contrast, p.saturation, p.hue)
        steps = _jitter_steps()
        for index in np.argsort(to_host(xp, rng.random(4))):
            amount = amounts[int(index)]
            if amount > 0:
                image = steps[int(index)](image, 1.0 + _uniform(rng, -amount, amount))
        return into(xp, to_device(xp, image.copy() if image is data else image), out)


@register("_image_random_lighting", aliases=("_npx__image_random_lighting",))
class RandomLighting(_RandomImage):
    """Add AlexNet-style PCA lighting noise to an RGB HWC image: ``adjust_lighting`` with
    alphas drawn from N(0, alpha_std).
    """

    params = Params(alpha_std=Float(0.05, doc="Level of the lighting noise."))
    channels = (3,)

    def forward(self, xp, p, data, out=None, *, rng=None):
        alpha = to_host(xp, rng.standard_normal(3)) * p.alpha_std
        return into(xp, add_lighting(xp, data, alpha), out)

    def gradient(self, p, F, inputs, outputs, dy):
        # The noise does not depend on the image.
        return (F.identity(dy[0]),)
