"""What Convolution, Deconvolution and their gradient operators share besides the kernels
(``conv_kernels``): the parameters, layouts, geometry checks and shape helpers, with MXNet
1.9.1's defaults and error cases."""

from __future__ import annotations

import functools
from typing import NamedTuple

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify
from ..params import Bool, Enum, Int, Params, Shape

__all__ = [
    "conv_params",
    "Geometry",
    "geometry",
    "check_data_ndim",
    "check_groups",
    "channels_first",
    "channels_last",
    "to_channels_first",
    "output_sizes",
    "restore_layout",
    "known_size",
    "unify_in_context",
    "refuse_bias",
    "weight_shape",
    "non_channel_axes",
]

# MXNet 1.9.1's choices: there is no 'NWC'. Its CPU kernels run only the channel-first
# layouts ("Only support NCW, NCHW and NCDHW layout"); neomx also computes NHWC and NDHWC,
# as MXNet's GPU build does.
LAYOUTS = ("NCDHW", "NCHW", "NCW", "NDHWC", "NHWC")
_CHANNEL_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_CHANNEL_LAST = {2: "NHWC", 3: "NDHWC"}


def conv_params(transposed: bool) -> Params:
    """The parameters of Convolution, or of Deconvolution with ``transposed`` (MXNet's order
    and defaults: Deconvolution adds ``adj`` and ``target_shape``, has no bias by default and
    a smaller default workspace)."""
    fields = {
        "kernel": Shape(doc="The kernel size: (w,), (h, w) or (d, h, w)."),
        "stride": Shape((), doc="The stride per spatial axis (default 1)."),
        "dilate": Shape((), doc="The dilation per spatial axis (default 1)."),
        "pad": Shape((), doc="The zero padding on both sides of each spatial axis (default 0)."),
    }
    if transposed:
        fields["adj"] = Shape(
            (), doc="Extra output size at the far end of each axis (ignored with target_shape)."
        )
        fields["target_shape"] = Shape(
            (), doc="The output's spatial shape; pad and adj are then computed from it."
        )
    fields.update(
        num_filter=Int(min=1, doc="The number of output channels."),
        num_group=Int(1, min=1, doc="The number of groups the channels are split into."),
        workspace=Int(
            512 if transposed else 1024,
            min=0,
            doc="The most memory (MB) the column buffer may take; larger batches run in chunks.",
        ),
        no_bias=Bool(transposed, doc="Whether to leave out the bias."),
        cudnn_tune=Enum(
            ("fastest", "limited_workspace", "off"),
            None,
            doc="cuDNN's algorithm choice in MXNet; accepted and ignored.",
        ),
        cudnn_off=Bool(False, doc="Turn cuDNN off in MXNet; accepted and ignored."),
        layout=Enum(
            LAYOUTS,
            None,
            doc="The data layout; None means NCW, NCHW or NCDHW by kernel dimensions.",
        ),
    )
    return Params(**fields)


class Geometry(NamedTuple):
    """Validated window geometry: one entry per spatial axis, defaults filled in."""

    kernel: tuple
    stride: tuple
    dilate: tuple
    pad: tuple
    adj: tuple
    channel_last: bool
    layout: str

    @property
    def spread(self) -> tuple:
        """The extent of the dilated kernel along each axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilate))


@functools.lru_cache(maxsize=512)
def geometry(op_name: str, p) -> Geometry:
    """Check the window parameters of ``p`` as MXNet does and fill in the defaults."""
    kernel = tuple(p.kernel)
    ndim = len(kernel)
    if not 1 <= ndim <= 3:
        raise MXNetValueError(
            f"{op_name}: kernel={kernel} must have 1, 2 or 3 dimensions: (w,), (h, w) or (d, h, w)"
        )
    if any(k is None or k < 1 for k in kernel):
        raise MXNetValueError(f"{op_name}: kernel={kernel} must be at least 1 on every axis")
    filled = {}
    for name, default in (("stride", 1), ("dilate", 1), ("pad", 0), ("adj", 0)):
        value = tuple(getattr(p, name, ()))
        if not value:
            value = (default,) * ndim
        elif len(value) != ndim:
            raise MXNetValueError(
                f"{op_name}: {name}={value} must have as many dimensions as kernel={kernel}"
            )
        if any(v is None or v < default for v in value):
            raise MXNetValueError(
                f"{op_name}: {name}={value} must be at least {default} on every axis"
            )
        filled[name] = value
    layout = p.layout or _CHANNEL_FIRST[ndim]
    fitting = [name for name in (_CHANNEL_FIRST[ndim], _CHANNEL_LAST.get(ndim)) if name]
    if layout not in fitting:
        raise MXNetValueError(
            f"{op_name}: layout='{layout}' does not fit the {ndim}-D kernel={kernel}; use "
            + " or ".join(repr(name) for name in fitting)
        )
    return Geometry(
        kernel,
        filled["stride"],
        filled["dilate"],
        filled["pad"],
        filled["adj"],
        layout in _CHANNEL_LAST.values(),
        layout,
    )


def check_data_ndim(op_name: str, geo: Geometry, what: str, shape) -> None:
    """Raise unless ``shape`` has the batch, channel and kernel's spatial axes."""
    if len(shape) != 2 + len(geo.kernel):
        raise MXNetValueError(
            f"{op_name}: {what} has shape {shape_str(shape)}; the {len(geo.kernel)}-D "
            f"kernel={geo.kernel} needs {2 + len(geo.kernel)}-D {what} ({geo.layout})"
        )


def check_groups(op_name: str, p, channels, data) -> None:
    """Raise unless ``num_group`` divides ``num_filter`` and the (known) data channels."""
    if p.num_filter % p.num_group:
        raise MXNetValueError(
            f"{op_name}: num_filter={p.num_filter} is not divisible by num_group={p.num_group}"
        )
    if known_size(channels) and channels % p.num_group:
        raise MXNetValueError(
            f"{op_name}: data has shape {shape_str(data)} with {channels} channels, not "
            f"divisible by num_group={p.num_group}"
        )


def channels_first(shape, channel_last: bool) -> tuple:
    """(N, *spatial, C) -> (N, C, *spatial) when ``channel_last``."""
    shape = tuple(shape)
    return (shape[0], shape[-1]) + shape[1:-1] if channel_last else shape


def channels_last(shape, channel_last: bool) -> tuple:
    """(N, C, *spatial) -> (N, *spatial, C) when ``channel_last``: the inverse of
    ``channels_first``."""
    shape = tuple(shape)
    return (shape[0],) + shape[2:] + (shape[1],) if channel_last else shape


def to_channels_first(xp, array, channel_last: bool):
    """A channel-first view of data (N, *spatial, C) or of a weight (F, *kernel, C), as the
    channel-last layouts store them."""
    return xp.moveaxis(array, -1, 1) if channel_last else array


def restore_layout(xp, result, channel_last: bool, out=None):
    """Return a channel-first kernel ``result`` in the caller's layout, written into ``out``
    when given (channel-first results were already computed there)."""
    if not channel_last:
        return result
    moved = xp.moveaxis(result, 1, -1)
    if out is None:
        return xp.ascontiguousarray(moved)
    xp.copyto(out, moved)
    return out


def output_sizes(op_name: str, geo: Geometry, spatial, known) -> tuple:
    """The output's spatial sizes of a convolution over ``spatial``; a size that is not
    ``known(size)`` stays 0 (unknown)."""
    sizes = []
    for axis, (size, s, spread, q) in enumerate(zip(spatial, geo.stride, geo.spread, geo.pad)):
        if not known(size):
            sizes.append(0)
            continue
        if spread > size + 2 * q:
            raise MXNetValueError(
                f"{op_name}: the kernel spans {spread} on spatial axis {axis} (kernel="
                f"{geo.kernel}, dilate={geo.dilate}), more than the padded input size "
                f"{size + 2 * q} (size {size}, pad {q})"
            )
        sizes.append((size + 2 * q - spread) // s + 1)
    return tuple(sizes)


def known_size(size) -> bool:
    """Whether one dimension is known (0 is unknown in graph inference, MXNet 1.x)."""
    return is_known((size,))


def refuse_bias(op_name: str, p, bias) -> None:
    """Raise where ``no_bias`` is set but a bias was given (MXNet: "expects 2 inputs")."""
    if p.no_bias and bias is not None:
        raise MXNetValueError(
            f"{op_name}: with no_bias=True the inputs are (data, weight), but a bias of shape "
            f"{shape_str(bias)} was given too; pass no_bias=False to use it"
        )


def unify_in_context(op_name, what, given, expected, context):
    """``unify``, with ``context`` (where the expected shape comes from) in the error."""
    try:
        return unify(op_name, what, given, expected)
    except MXNetValueError as err:
        raise MXNetValueError(f"{err} {context}") from None


def weight_shape(geo, filters, channels_per_group):
    """The weight's shape in the layout of ``geo``: (F, C/g, *kernel), or (F, *kernel, C/g)
    for the channel-last layouts (as MXNet lays NHWC weights out)."""
    if geo.channel_last:
        return (filters,) + geo.kernel + (channels_per_group,)
    return (filters, channels_per_group) + geo.kernel


def non_channel_axes(geo) -> tuple:
    """The axes of an (N, C, *spatial) array in ``geo``'s layout that are not channels."""
    ndim = len(geo.kernel)
    return (
        (0,) + tuple(range(1, 1 + ndim)) if geo.channel_last else (0,) + tuple(range(2, 2 + ndim))
    )
