"""Convolution layers: Conv1D/2D/3D and their transposes Conv1DTranspose/2D/3D."""

from __future__ import annotations

import numbers

from ... import symbol
from ..hybrid import HybridBlock
from .activations import Activation
from .layer_errors import call_op

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
]


def expand_tuple(value, ndim, what, layer):
    """``value`` as a tuple of ``ndim`` ints (a single number is repeated)."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * ndim
    value = tuple(value)
    if len(value) != ndim:
        raise ValueError(f"{layer}: {what} must be a number or a list of {ndim} ints, got {value}")
    return value


def check_layout(layer, layout, allowed):
    if layout not in allowed:
        names = " and ".join(repr(name) for name in allowed)
        raise ValueError(f"{layer}: only supports {names} layout for now, got {layout!r}")


def _infer_weight_shapes(op_name, data_shape, kwargs):
    """The (data, weight, bias) shapes the operator infers from a partly known data shape."""
    data = symbol.var("data", shape=data_shape)
    out = getattr(symbol, op_name)(data, **kwargs)
    return out.infer_shape_partial()[0]


class _Conv(HybridBlock):
    """Shared body of the convolution layers; ``op_name`` picks Convolution or Deconvolution.

    The public layers set ``_ndim`` and the ``_layouts`` they accept."""

    _ndim = 0
    _layouts: tuple = ()

    def __init__(
        self,
        channels,
        kernel_size,
        strides,
        padding,
        dilation,
        groups,
        layout,
        in_channels=0,
        activation=None,
        use_bias=True,
        weight_initializer=None,
        bias_initializer="zeros",
        op_name="Convolution",
        adj=None,
        prefix=None,
        params=None,
    ):
        super().__init__(prefix=prefix, params=params)
        ndim = len(kernel_size)
        name = self.__class__.__name__
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._op_name = op_name
            self._kwargs = {
                "kernel": kernel_size,
                "stride": expand_tuple(strides, ndim, "strides", name),
                "dilate": expand_tuple(dilation, ndim, "dilation", name),
                "pad": expand_tuple(padding, ndim, "padding", name),
                "num_filter": channels,
                "num_group": groups,
                "no_bias": not use_bias,
                "layout": layout,
            }
            if adj is not None:
                self._kwargs["adj"] = adj
            # Let the operator's shape inference lay out the weight: a batch of one with the
            # given (or unknown, 0) channel count.
            data_shape = [0] * (ndim + 2)
            data_shape[layout.find("N")] = 1
            data_shape[layout.find("C")] = in_channels
            weight_shapes = _infer_weight_shapes(op_name, tuple(data_shape), self._kwargs)
            self.weight = self.params.get(
                "weight",
                shape=weight_shapes[1],
                init=weight_initializer,
                allow_deferred_init=True,
            )
            self.bias = None
            if use_bias:
                self.bias = self.params.get(
                    "bias",
                    shape=weight_shapes[2],
                    init=bias_initializer,
                    allow_deferred_init=True,
                )
            self.act = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        if bias is None:
            out = call_op(self, op, x, weight, name="fwd", **self._kwargs)
        else:
            out = call_op(self, op, x, weight, bias, name="fwd", **self._kwargs)
        if self.act is not None:
            out = self.act(out)
        return out

    def _alias(self):
        return "conv"

    def _checked_kernel(self, kernel_size, layout):
        """Check ``layout`` against the layer's layouts; return ``kernel_size`` as a tuple."""
        name = self.__class__.__name__
        check_layout(name, layout, self._layouts)
        return expand_tuple(kernel_size, self._ndim, "kernel_size", name)

    def __repr__(self):
        k = self._kwargs
        ndim = len(k["kernel"])
        parts = [f"kernel_size={k['kernel']}", f"stride={k['stride']}"]
        if k["pad"] != (0,) * ndim:
            parts.append(f"padding={k['pad']}")
        if k["dilate"] != (1,) * ndim:
            parts.append(f"dilation={k['dilate']}")
        # NOTE: MXNet 1.9.1 looks for an ``out_pad`` attribute that its layers never set (they
        # store ``outpad``), so output_padding is never printed; neomx prints the same.
        if k["num_group"] != 1:
            parts.append(f"groups={k['num_group']}")
        if self.bias is None:
            parts.append("bias=False")
        if self.act:
            parts.append(f"{self.act}")
        shape = self.weight.shape
        mapping = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{self.__class__.__name__}({mapping}, {', '.join(parts)})"


class _ConvND(_Conv):
    """Shared constructor of Conv1D/2D/3D (the ``Convolution`` operator), in their argument
    order."""

    def __init__(
        self, channels, kernel_size, strides, padding, dilation, groups, layout, activation,
        use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
    ):  # fmt: skip
        kernel_size = self._checked_kernel(kernel_size, layout)
        op_name = kwargs.pop("op_name", "Convolution")
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
            activation, use_bias, weight_initializer, bias_initializer, op_name, **kwargs,
        )  # fmt: skip


class Conv1D(_ConvND):
    """1-D convolution over ``(N, C, W)`` input.

    Parameters
    ----------
    channels : int
        Number of output channels (filters).
    kernel_size : int or tuple of 1 int
        Width of the window.
    strides, padding, dilation : int or tuple of 1 int
        Step, zero padding on both sides, and spacing of the window taps.
    groups : int
        Split input and output channels into this many independent groups.
    layout : str
        Only ``'NCW'``.
    activation : str, optional
        An ``Activation`` act_type applied to the output.
    use_bias : bool
        Whether to add a bias per output channel.
    weight_initializer, bias_initializer : str or Initializer
        Initialisers.
    in_channels : int
        Number of input channels; 0 infers it from the first input.

    Examples
    --------
    >>> mx.gluon.nn.Conv1D(8, 3)
    Conv1D(None -> 8, kernel_size=(3,), stride=(1,))
    """

    _ndim = 1
    _layouts = ("NCW",)

    def __init__(
        self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1, layout="NCW",
        activation=None, use_bias=True, weight_initializer=None, bias_initializer="zeros",
        in_channels=0, **kwargs,
    ):  # fmt: skip
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, activation,
            use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


class Conv2D(_ConvND):
    """2-D convolution over ``(N, C, H, W)`` (or ``NHWC``) input.

    Parameters are those of :class:`Conv1D`, with tuples of 2 ints and layout ``'NCHW'`` or
    ``'NHWC'``.

    Examples
    --------
    >>> mx.gluon.nn.Conv2D(16, 3)
    Conv2D(None -> 16, kernel_size=(3, 3), stride=(1, 1))
    """

    _ndim = 2
    _layouts = ("NCHW", "NHWC")

    def __init__(
        self, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
        layout="NCHW", activation=None, use_bias=True, weight_initializer=None,
        bias_initializer="zeros", in_channels=0, **kwargs,
    ):  # fmt: skip
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, activation,
            use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


class Conv3D(_ConvND):
    """3-D convolution over ``(N, C, D, H, W)`` (or ``NDHWC``) input.

    Parameters are those of :class:`Conv1D`, with tuples of 3 ints and layout ``'NCDHW'`` or
    ``'NDHWC'``.
    """

    _ndim = 3
    _layouts = ("NCDHW", "NDHWC")

    def __init__(
        self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1),
        groups=1, layout="NCDHW", activation=None, use_bias=True, weight_initializer=None,
        bias_initializer="zeros", in_channels=0, **kwargs,
    ):  # fmt: skip
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, activation,
            use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


class _ConvTranspose(_Conv):
    """Shared constructor of the transposed convolutions (the ``Deconvolution`` operator)."""

    def __init__(
        self, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
        activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
    ):  # fmt: skip
        kernel_size = self._checked_kernel(kernel_size, layout)
        name = self.__class__.__name__
        output_padding = expand_tuple(output_padding, self._ndim, "output_padding", name)
        op_name = kwargs.pop("op_name", "Deconvolution")
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
            activation, use_bias, weight_initializer, bias_initializer, op_name=op_name,
            adj=output_padding, **kwargs,
        )  # fmt: skip
        self.outpad = output_padding


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution (the gradient of Conv1D) over ``(N, C, W)`` input.

    Parameters are those of :class:`Conv1D`, plus ``output_padding`` (int or tuple of 1 int):
    extra size added on one side of the output, to pick among the sizes a stride allows.
    """

    _ndim = 1
    _layouts = ("NCW",)

    def __init__(
        self, channels, kernel_size, strides=1, padding=0, output_padding=0, dilation=1,
        groups=1, layout="NCW", activation=None, use_bias=True, weight_initializer=None,
        bias_initializer="zeros", in_channels=0, **kwargs,
    ):  # fmt: skip
        super().__init__(
            channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
            activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution over ``(N, C, H, W)`` (or ``NHWC``) input.

    Parameters are those of :class:`Conv1DTranspose`, with tuples of 2 ints.

    Examples
    --------
    >>> mx.gluon.nn.Conv2DTranspose(8, 2, strides=2, in_channels=4)
    Conv2DTranspose(8 -> 4, kernel_size=(2, 2), stride=(2, 2))
    """

    _ndim = 2
    _layouts = ("NCHW", "NHWC")

    def __init__(
        self, channels, kernel_size, strides=(1, 1), padding=(0, 0), output_padding=(0, 0),
        dilation=(1, 1), groups=1, layout="NCHW", activation=None, use_bias=True,
        weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs,
    ):  # fmt: skip
        super().__init__(
            channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
            activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip


class Conv3DTranspose(_ConvTranspose):
    """3-D transposed convolution over ``(N, C, D, H, W)`` (or ``NDHWC``) input.

    Parameters are those of :class:`Conv1DTranspose`, with tuples of 3 ints.
    """

    _ndim = 3
    _layouts = ("NCDHW", "NDHWC")

    def __init__(
        self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
        output_padding=(0, 0, 0), dilation=(1, 1, 1), groups=1, layout="NCDHW",
        activation=None, use_bias=True, weight_initializer=None, bias_initializer="zeros",
        in_channels=0, **kwargs,
    ):  # fmt: skip
        super().__init__(
            channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
            activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs,
        )  # fmt: skip
