"""UpSampling of NCHW images by an integer factor: nearest neighbour (one or more inputs,
concatenated or summed) and bilinear (a depthwise transposed convolution with a given kernel,
as MXNet 1.9.1 does it), with the backward operator of the bilinear form."""

from __future__ import annotations

from ..base import MXNetValueError
from .infer import is_known, shape_str, unify
from .kernels import into
from .params import Enum, Int, Params
from .registry import Op, register
from .spatial import check_ndim, float_type, into_each

_LAYOUT = "batch, channel, height, width"


def kernel_size(scale: int) -> int:
    """The bilinear kernel's size for ``scale``: 2 * scale - scale % 2."""
    return 2 * scale - scale % 2


def _blocks(xp, weight, scale):
    """The kernel (C, 1, k, k) as (C, 2, s, 2, s) blocks: offset a = q * s + r lands on output
    row (i + q) * s + r of input row i. An odd scale's k = 2s - 1 is padded with zeros."""
    channels, size = weight.shape[0], weight.shape[2]
    padded = xp.zeros((channels, 2 * scale, 2 * scale), dtype=weight.dtype)
    padded[:, :size, :size] = weight[:, 0]
    return padded.reshape(channels, 2, scale, 2, scale)


def bilinear_upsample(xp, data, weight, scale):
    """The depthwise transposed convolution of ``data`` (N, C, H, W) with ``weight``
    (C, 1, k, k), stride ``scale`` and padding scale // 2: shape (N, C, H*s, W*s)."""
    batch, channels, height, width = data.shape
    blocks = _blocks(xp, weight, scale)
    canvas = xp.zeros((batch, channels, height + 1, scale, width + 1, scale), dtype=data.dtype)
    spread = data[:, :, :, None, :, None]
    # Four shifted block products instead of k * k strided scatters.
    for q in (0, 1):
        for r in (0, 1):
            block = blocks[:, q, :, r, :].reshape(1, channels, 1, scale, 1, scale)
            canvas[:, :, q : q + height, :, r : r + width, :] += spread * block
    pad = scale // 2
    canvas = canvas.reshape(batch, channels, (height + 1) * scale, (width + 1) * scale)
    return canvas[:, :, pad : pad + height * scale, pad : pad + width * scale]


def bilinear_upsample_backward(xp, ograd, data, weight, scale):
    """Return the gradients of ``bilinear_upsample`` w.r.t. data and weight."""
    batch, channels, height, width = data.shape
    pad = scale // 2
    canvas = xp.zeros(
        (batch, channels, (height + 1) * scale, (width + 1) * scale), dtype=ograd.dtype
    )
    canvas[:, :, pad : pad + height * scale, pad : pad + width * scale] = ograd
    canvas = canvas.reshape(batch, channels, height + 1, scale, width + 1, scale)
    blocks = _blocks(xp, weight, scale)
    d_data = xp.zeros_like(data)
    d_blocks = xp.zeros_like(blocks)
    for q in (0, 1):
        for r in (0, 1):
            window = canvas[:, :, q : q + height, :, r : r + width, :]
            d_data += xp.einsum("ncirjt,crt->ncij", window, blocks[:, q, :, r, :])
            d_blocks[:, q, :, r, :] = xp.einsum("ncirjt,ncij->crt", window, data)
    size = weight.shape[2]
    d_weight = d_blocks.reshape(channels, 2 * scale, 2 * scale)[:, :size, :size]
    return d_data, d_weight.reshape(weight.shape)


def _check_bilinear(op_name, p, data):
    check_ndim(op_name, "data", data, 4, _LAYOUT)
    if p.num_filter != data[1]:
        raise MXNetValueError(
            f"{op_name}: num_filter={p.num_filter} must equal the channels of data "
            f"{shape_str(data)} ({data[1]}) for sample_type='bilinear'"
        )
    size = kernel_size(p.scale)
    return (data[1], 1, size, size)


def _nearest_factors(op_name, p, shapes):
    """Each input's upsampling factor and the output shape (all inputs reach the size of
    the first one times ``scale``, each by its own integer factor)."""
    for i, shape in enumerate(shapes):
        check_ndim(op_name, f"arg{i}", shape, 4, _LAYOUT)
    first = shapes[0]
    height, width = first[2] * p.scale, first[3] * p.scale
    factors, channels = [p.scale], first[1]
    for i, shape in enumerate(shapes[1:], 1):
        factor = height // shape[2] if shape[2] else 0
        if (
            shape[0] != first[0]
            or factor < 1
            or (shape[2] * factor, shape[3] * factor)
            != (
                height,
                width,
            )
        ):
            raise MXNetValueError(
                f"{op_name}: arg{i} has shape {shape_str(shape)}; with arg0 "
                f"{shape_str(first)} and scale={p.scale} it must have batch {first[0]} and a "
                f"height and width that an integer factor takes to ({height}, {width})"
            )
        if p.multi_input_mode == "sum" and shape[1] != first[1]:
            raise MXNetValueError(
                f"{op_name}: arg{i} has {shape[1]} channels but arg0 {first[1]}; "
                "multi_input_mode='sum' needs equal channels"
            )
        factors.append(factor)
        channels += shape[1] if p.multi_input_mode == "concat" else 0
    return factors, (first[0], channels, height, width)


def _repeat(xp, data, factor):
    batch, channels, height, width = data.shape
    spread = xp.broadcast_to(
        data[:, :, :, None, :, None], (batch, channels, height, factor, width, factor)
    )
    return spread.reshape(batch, channels, height * factor, width * factor)


@register("UpSampling")
class UpSampling(Op):
    """Upsample NCHW images by the integer factor ``scale``.

    ``sample_type='nearest'`` repeats each pixel; several inputs are each brought to the size
    of the first one times ``scale`` and concatenated along the channels
    (``multi_input_mode='concat'``) or added (``'sum'``). ``sample_type='bilinear'`` takes
    ``data`` and a ``weight`` of shape (C, 1, 2s - s % 2, 2s - s % 2) and applies it as a
    depthwise transposed convolution (stride ``scale``, padding ``scale // 2``);
    ``num_filter`` must equal the channels C. ``workspace`` is accepted for compatibility.

    >>> mx.nd.UpSampling(mx.nd.array([[[[1, 2]]]]), scale=2, sample_type='nearest')
    <BLANKLINE>
    [[[[1. 1. 2. 2.]
       [1. 1. 2. 2.]]]]
    <NDArray 1x1x2x4 @cpu(0)>
    """

    variadic = True
    params = Params(
        scale=Int(min=1),
        num_filter=Int(0, min=0),
        sample_type=Enum(("bilinear", "nearest")),
        multi_input_mode=Enum(("concat", "sum"), "concat"),
        num_args=Int(min=1),
        workspace=Int(512, min=0),
    )

    def arguments(self, p):
        if p.sample_type == "bilinear":
            return ("data", "weight")
        return tuple(f"arg{i}" for i in range(p.num_args))

    def infer_shape(self, p, *shapes):
        names = self.arguments(p)
        if len(shapes) != len(names):
            raise MXNetValueError(
                f"{self.name}: expected {len(names)} input(s) {list(names)} for "
                f"sample_type={p.sample_type!r}, got {len(shapes)}"
            )
        if p.sample_type == "bilinear":
            data, weight = shapes
            if not is_known(data):
                return None
            weight = unify(self.name, "weight", weight, _check_bilinear(self.name, p, data))
            return (data, weight), ((data[0], data[1], data[2] * p.scale, data[3] * p.scale),)
        if not all(is_known(s) for s in shapes):
            return None
        return shapes, (_nearest_factors(self.name, p, shapes)[1],)

    def infer_type(self, p, *dtypes):
        dtype = float_type(self, p, dtypes)
        return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))

    def forward(self, xp, p, *arrays, out=None):
        if p.sample_type == "bilinear":
            return into(xp, bilinear_upsample(xp, *arrays, p.scale), out)
        factors, _ = _nearest_factors(self.name, p, [a.shape for a in arrays])
        parts = [_repeat(xp, a, f) for a, f in zip(arrays, factors)]
        if p.multi_input_mode == "concat":
            return xp.concatenate(parts, axis=1, out=out)
        result = parts[0].copy() if out is None else into(xp, parts[0], out)
        for part in parts[1:]:
            result += part
        return result

    def gradient(self, p, F, inputs, outputs, dy):
        if p.sample_type == "bilinear":
            d_data, d_weight = F._backward_UpSampling(dy[0], *inputs, scale=p.scale)
            return d_data, d_weight
        factors, _ = _nearest_factors(self.name, p, [x.shape for x in inputs])
        grads, begin = [], 0
        for x, factor in zip(inputs, factors):
            batch, channels, height, width = x.shape
            part = dy[0]
            if p.multi_input_mode == "concat" and len(inputs) > 1:
                part = F.slice_axis(part, axis=1, begin=begin, end=begin + channels)
                begin += channels
            blocks = F.reshape(part, shape=(batch, channels, height, factor, width, factor))
            grads.append(F.sum(blocks, axis=(3, 5)))
        return tuple(grads)


@register("_backward_UpSampling")
class BackwardUpSampling(Op):
    """Return the gradients of bilinear ``UpSampling(data, weight, scale=scale)`` w.r.t. data
    and weight, given the output gradient ``ograd``."""

    inputs = ("ograd", "data", "weight")
    params = Params(scale=Int(min=1))

    def num_outputs(self, p):
        return 2

    def infer_shape(self, p, ograd, data, weight):
        if not is_known(data):
            return None
        check_ndim(self.name, "data", data, 4, _LAYOUT)
        size = kernel_size(p.scale)
        weight = unify(self.name, "weight", weight, (data[1], 1, size, size))
        expected = (data[0], data[1], data[2] * p.scale, data[3] * p.scale)
        ograd = unify(self.name, "ograd", ograd, expected)
        return (ograd, data, weight), (data, weight)

    def infer_type(self, p, ograd, data, weight):
        dtype = float_type(self, p, (ograd, data, weight))
        return None if dtype is None else ((dtype,) * 3, (dtype, dtype))

    def forward(self, xp, p, ograd, data, weight, out=None):
        grads = bilinear_upsample_backward(xp, ograd, data, weight, p.scale)
        return into_each(xp, grads, out)

    def gradient(self, p, F, inputs, outputs, dy):
        # The upsampling f(data, weight) is bilinear, so this backward is linear in ograd and
        # in each of data and weight: every gradient is f or this backward again.
        ograd, data, weight = inputs
        head_data, head_weight = dy
        terms = []
        if head_data is not None:
            terms.append(self._upsample(F, p, head_data, weight))
        if head_weight is not None:
            terms.append(self._upsample(F, p, data, head_weight))
        d_ograd = None
        if terms:
            d_ograd = terms[0] if len(terms) == 1 else F.elemwise_add(*terms)
        d_data = d_weight = None
        if head_weight is not None:
            d_data = F._backward_UpSampling(ograd, data, head_weight, scale=p.scale)[0]
        if head_data is not None:
            d_weight = F._backward_UpSampling(ograd, head_data, weight, scale=p.scale)[1]
        return d_ograd, d_data, d_weight

    def _upsample(self, F, p, data, weight):
        return F.UpSampling(
            data,
            weight,
            scale=p.scale,
            sample_type="bilinear",
            num_filter=weight.shape[0],
            num_args=2,
        )
