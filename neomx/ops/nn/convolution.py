"""Convolution and the operator its gradient uses for the weight, ``_backward_Convolution_weight``.

The data gradient is a Deconvolution (the transposed convolution) and the weight gradient a
registered operator whose own gradient is a Convolution and a Deconvolution, so gradients of
any order stay in registered operators. The kernels live in ``conv_kernels``.
"""

from __future__ import annotations

from ..infer import is_known, shape_str
from ..params import Params
from ..registry import Op, register
from ..spatial import float_type
from .conv_common import (
    channels_first,
    channels_last,
    check_data_ndim,
    check_groups,
    conv_params,
    geometry,
    known_size,
    non_channel_axes,
    output_sizes,
    refuse_bias,
    restore_layout,
    to_channels_first,
    unify_in_context,
    weight_shape,
)
from .conv_kernels import convolve, weight_gradient


def _skipped_rows(geo, spatial):
    """Per axis, the input rows past the last window (what a transposed convolution must
    give back as ``adj`` to restore the input size)."""
    return tuple(
        (size + 2 * q - spread) % s
        for size, q, spread, s in zip(spatial, geo.pad, geo.spread, geo.stride)
    )


def _common(p, geo):
    """The parameters the gradient operators share with this call."""
    return {
        "kernel": geo.kernel,
        "stride": geo.stride,
        "dilate": geo.dilate,
        "pad": geo.pad,
        "num_group": p.num_group,
        "workspace": p.workspace,
        "layout": p.layout,
    }


def _conv_output(op_name, p, geo, data):
    """Check ``data`` and return (channels, output shape) of a convolution over it."""
    check_data_ndim(op_name, geo, "data", data)
    batch, channels, *spatial = channels_first(data, geo.channel_last)
    check_groups(op_name, p, channels, data)
    out_spatial = output_sizes(op_name, geo, spatial, known_size)
    return channels, channels_last((batch, p.num_filter) + out_spatial, geo.channel_last)


@register("Convolution", aliases=("_npx_convolution",))
class Convolution(Op):
    """Convolve ``data`` with ``num_filter`` learned filters and add a bias.

    ``data`` has 1, 2 or 3 spatial axes, as many as ``kernel``: (N, C, W), (N, C, H, W) or
    (N, C, D, H, W), or channel-last with ``layout`` 'NHWC'/'NDHWC' (MXNet 1.9.1 computes
    those only on GPU; neomx also on CPU). ``weight`` has shape (num_filter, C / num_group,
    *kernel) ((num_filter, *kernel, C / num_group) channel-last) and ``bias`` (num_filter,).
    Each output size along an axis is ``(size + 2 * pad - dilate * (kernel - 1) - 1) //
    stride + 1``. With ``num_group`` > 1 the channels split into groups convolved apart
    (``num_group`` = C gives a depthwise convolution). The operation is a cross-correlation,
    as in every deep-learning framework. Computed as matrix products (im2col + GEMM);
    float16 is computed in float32 (MXNet 1.9.1 refuses float16 on CPU).

    >>> x = mx.nd.ones((1, 1, 4, 4))
    >>> mx.nd.Convolution(x, mx.nd.ones((1, 1, 3, 3)), mx.nd.zeros((1,)), kernel=(3, 3),
    ...                   num_filter=1, pad=(1, 1))[0, 0]
    <BLANKLINE>
    [[4. 6. 6. 4.]
     [6. 9. 9. 6.]
     [6. 9. 9. 6.]
     [4. 6. 6. 4.]]
    <NDArray 4x4 @cpu(0)>
    """

    inputs = ("data", "weight", "bias")
    params = conv_params(transposed=False)
    saves = ("data", "weight")

    def arguments(self, p):
        return self.inputs[:2] if p.no_bias else self.inputs

    def infer_shape(self, p, data, weight, bias=None):
        geo = geometry(self.name, p)
        refuse_bias(self.name, p, bias)
        if data is None:
            return None
        channels, out = _conv_output(self.name, p, geo, data)
        context = (
            f"from data {shape_str(data)} with num_filter={p.num_filter}, "
            f"num_group={p.num_group}, kernel={geo.kernel}, layout={geo.layout}"
        )
        per_group = channels // p.num_group if known_size(channels) else 0
        weight = unify_in_context(
            self.name, "weight", weight, weight_shape(geo, p.num_filter, per_group), context
        )
        if not known_size(channels) and is_known(weight):
            # MXNet infers no further; the weight tells the channels.
            batch, _, *spatial = channels_first(data, geo.channel_last)
            channels = channels_first(weight, geo.channel_last)[1] * p.num_group
            data = channels_last((batch, channels, *spatial), geo.channel_last)
        if p.no_bias:
            return (tuple(data), weight), (out,)
        bias = unify_in_context(self.name, "bias", bias, (p.num_filter,), context)
        return (tuple(data), weight, bias), (out,)

    def infer_type(self, p, *dtypes):
        dtype = float_type(self, p, dtypes)
        return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))

    def forward(self, xp, p, data, weight, bias=None, out=None):
        geo = geometry(self.name, p)
        pads = tuple((q, q) for q in geo.pad)
        result = convolve(
            xp,
            to_channels_first(xp, data, geo.channel_last),
            to_channels_first(xp, weight, geo.channel_last),
            geo.kernel,
            geo.stride,
            geo.dilate,
            pads,
            p.num_group,
            p.workspace,
            out=None if geo.channel_last else out,
        )
        if bias is not None:
            result += bias.reshape((-1,) + (1,) * len(geo.kernel))
        return restore_layout(xp, result, geo.channel_last, out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, weight = inputs[:2]
        geo = geometry(self.name, p)
        _, channels, *spatial = channels_first(data.shape, geo.channel_last)
        common = _common(p, geo)
        d_data = F.Deconvolution(
            dy[0],
            weight,
            adj=_skipped_rows(geo, spatial),
            num_filter=channels,
            no_bias=True,
            **common,
        )
        d_weight = F._backward_Convolution_weight(dy[0], data, num_filter=p.num_filter, **common)
        if p.no_bias:
            return d_data, d_weight
        return d_data, d_weight, F.sum(dy[0], axis=non_channel_axes(geo))


_WEIGHT_GRADIENT_PARAMS = Params(
    **{
        name: spec
        for name, spec in conv_params(transposed=False).fields.items()
        if name not in ("no_bias", "cudnn_tune", "cudnn_off")
    }
)


@register("_backward_Convolution_weight")
class ConvolutionWeightGradient(Op):
    """Return the gradient of a Convolution's weight: the correlation of ``data`` with the
    output gradient ``ograd``, summed over the batch.

    Takes Convolution's window parameters; the result has the weight's shape (num_filter,
    C / num_group, *kernel). Convolution's and Deconvolution's gradients use it; its own
    gradient is a Convolution (w.r.t. ``ograd``) and a Deconvolution (w.r.t. ``data``).
    """

    inputs = ("ograd", "data")
    params = _WEIGHT_GRADIENT_PARAMS

    def infer_shape(self, p, ograd, data):
        geo = geometry(self.name, p)
        if data is None:
            return None
        channels, out = _conv_output(self.name, p, geo, data)
        context = (
            f"(the output of a convolution of data {shape_str(data)} with "
            f"num_filter={p.num_filter}, kernel={geo.kernel}, stride={geo.stride}, "
            f"dilate={geo.dilate}, pad={geo.pad})"
        )
        ograd = unify_in_context(self.name, "ograd", ograd, out, context)
        per_group = channels // p.num_group if known_size(channels) else 0
        return (ograd, tuple(data)), (weight_shape(geo, p.num_filter, per_group),)

    def infer_type(self, p, *dtypes):
        dtype = float_type(self, p, dtypes)
        return None if dtype is None else ((dtype,) * 2, (dtype,))

    def forward(self, xp, p, ograd, data, out=None):
        geo = geometry(self.name, p)
        result = weight_gradient(
            xp,
            to_channels_first(xp, data, geo.channel_last),
            to_channels_first(xp, ograd, geo.channel_last),
            geo.kernel,
            geo.stride,
            geo.dilate,
            geo.pad,
            p.num_group,
            p.workspace,
            out=None if geo.channel_last else out,
        )
        return restore_layout(xp, result, geo.channel_last, out)

    def gradient(self, p, F, inputs, outputs, dy):
        ograd, data = inputs
        geo = geometry(self.name, p)
        _, channels, *spatial = channels_first(data.shape, geo.channel_last)
        common = _common(p, geo)
        d_ograd = F.Convolution(data, dy[0], num_filter=p.num_filter, no_bias=True, **common)
        d_data = F.Deconvolution(
            ograd,
            dy[0],
            adj=_skipped_rows(geo, spatial),
            num_filter=channels,
            no_bias=True,
            **common,
        )
        return d_ograd, d_data
