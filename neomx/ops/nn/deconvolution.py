"""Deconvolution: the transposed convolution (the data gradient of a Convolution run forward).

Its gradient is a Convolution (w.r.t. data) and ``_backward_Convolution_weight`` (w.r.t. the
weight), both differentiable again.
"""

from __future__ import annotations

from ...base import MXNetValueError
from ..infer import is_known, shape_str
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
    refuse_bias,
    restore_layout,
    to_channels_first,
    unify_in_context,
    weight_shape,
)
from .conv_kernels import convolve_transpose


def padding(op_name, p, geo, spatial):
    """Return (pad, adj, output sizes) for an input of spatial sizes ``spatial``.

    As in MXNet 1.9.1: without ``target_shape`` (or with only zeros in it) the output size is
    ``stride * (size - 1) + dilate * (kernel - 1) + 1 - 2 * pad + adj``; with it, the output
    has that shape and ``pad`` and ``adj`` are derived from the difference ``total`` to the
    unpadded size: ``pad = ceil(total / 2)``, ``adj = total % 2``. ``adj`` must stay below
    the stride. Unknown sizes (0) give unknown output sizes.
    """
    target = tuple(p.target_shape)
    use_target = any(target)
    if use_target and len(target) != len(geo.kernel):
        raise MXNetValueError(
            f"{op_name}: target_shape={target} must have as many dimensions as kernel={geo.kernel}"
        )
    pads, adjs, sizes = [], [], []
    for axis, (size, s, spread) in enumerate(zip(spatial, geo.stride, geo.spread)):
        full = s * (size - 1) + spread
        if use_target:
            if known_size(size) and full < target[axis]:
                raise MXNetValueError(
                    f"{op_name}: target_shape={target} is too big on spatial axis {axis}: an "
                    f"input of size {size} gives at most {full} (kernel={geo.kernel}, "
                    f"stride={geo.stride}, dilate={geo.dilate})"
                )
            total = full - target[axis]
            pad, adj, out = (total + 1) // 2, total % 2, target[axis]
        else:
            pad, adj = geo.pad[axis], geo.adj[axis]
            out = full - 2 * pad + adj
            if known_size(size) and out < 1:
                raise MXNetValueError(
                    f"{op_name}: the output would have size {out} on spatial axis {axis} "
                    f"(input size {size}, kernel={geo.kernel}, stride={geo.stride}, "
                    f"dilate={geo.dilate}, pad={geo.pad}, adj={geo.adj}); reduce pad"
                )
        if adj >= s:
            raise MXNetValueError(
                f"{op_name}: adj={adj} on spatial axis {axis} must be smaller than the stride "
                f"{s} (stride={geo.stride}, target_shape={target})"
            )
        pads.append(pad)
        adjs.append(adj)
        sizes.append(out if known_size(size) else 0)
    return tuple(pads), tuple(adjs), tuple(sizes)


@register("Deconvolution", aliases=("_npx_deconvolution",))
class Deconvolution(Op):
    """Apply the transposed convolution (also called fractionally strided convolution).

    It maps ``data`` back the way a Convolution with the same ``kernel``, ``stride``,
    ``dilate`` and ``pad`` maps its input forward (it is that Convolution's data gradient):
    ``data`` (N, C, *spatial) with ``weight`` (C, num_filter / num_group, *kernel) gives
    (N, num_filter, *out), where ``out = stride * (size - 1) + dilate * (kernel - 1) + 1 - 2 *
    pad + adj``, or ``target_shape`` when given (then ``pad`` and ``adj`` are derived from
    it). Channel-last layouts put the weight's channels last: (C, *kernel, num_filter /
    num_group). ``no_bias`` defaults to True, as in MXNet. float16 is computed in float32.

    >>> x = mx.nd.ones((1, 1, 2, 2))
    >>> mx.nd.Deconvolution(x, mx.nd.ones((1, 1, 2, 2)), kernel=(2, 2), num_filter=1)[0, 0]
    <BLANKLINE>
    [[1. 2. 1.]
     [2. 4. 2.]
     [1. 2. 1.]]
    <NDArray 3x3 @cpu(0)>
    """

    inputs = ("data", "weight", "bias")
    params = conv_params(transposed=True)
    saves = ("data", "weight")

    def arguments(self, p):
        return self.inputs[:2] if p.no_bias else self.inputs

    def infer_shape(self, p, data, weight, bias=None):
        geo = geometry(self.name, p)
        refuse_bias(self.name, p, bias)
        if data is None:
            return None
        check_data_ndim(self.name, geo, "data", data)
        batch, channels, *spatial = channels_first(data, geo.channel_last)
        check_groups(self.name, p, channels, data)
        sizes = padding(self.name, p, geo, spatial)[2]
        context = (
            f"from data {shape_str(data)} with num_filter={p.num_filter}, "
            f"num_group={p.num_group}, kernel={geo.kernel}, layout={geo.layout}"
        )
        # The weight of the convolution this transposes: (C, num_filter / num_group, *kernel).
        expected = weight_shape(geo, channels, p.num_filter // p.num_group)
        weight = unify_in_context(self.name, "weight", weight, expected, context)
        if not known_size(channels) and is_known(weight):
            channels = weight[0]
            data = channels_last((batch, channels, *spatial), geo.channel_last)
        out = channels_last((batch, p.num_filter) + sizes, geo.channel_last)
        if p.no_bias:
            return (tuple(data), weight), (out,)
        bias = unify_in_context(self.name, "bias", bias, (p.num_filter,), context)
        return (tuple(data), weight, bias), (out,)

    def infer_type(self, p, *dtypes):
        dtype = float_type(self, p, dtypes)
        return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))

    def forward(self, xp, p, data, weight, bias=None, out=None):
        geo = geometry(self.name, p)
        x = to_channels_first(xp, data, geo.channel_last)
        pad, _, sizes = padding(self.name, p, geo, x.shape[2:])
        result = convolve_transpose(
            xp,
            x,
            to_channels_first(xp, weight, geo.channel_last),
            geo.kernel,
            geo.stride,
            geo.dilate,
            pad,
            sizes,
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
        channels, *spatial = channels_first(data.shape, geo.channel_last)[1:]
        pad = padding(self.name, p, geo, spatial)[0]
        # The Convolution this transposes, from the output's num_filter to data's channels.
        common = {
            "kernel": geo.kernel,
            "stride": geo.stride,
            "dilate": geo.dilate,
            "pad": pad,
            "num_filter": channels,
            "num_group": p.num_group,
            "workspace": p.workspace,
            "layout": p.layout,
        }
        d_data = F.Convolution(dy[0], weight, no_bias=True, **common)
        d_weight = F._backward_Convolution_weight(data, dy[0], **common)
        if p.no_bias:
            return d_data, d_weight
        return d_data, d_weight, F.sum(dy[0], axis=non_channel_axes(geo))
