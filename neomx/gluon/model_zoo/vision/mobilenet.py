"""MobileNet v1 (Howard et al. 2017, arXiv:1704.04861) and v2 (Sandler et al. 2018,
arXiv:1801.04381), with width multipliers 1.0, 0.75, 0.5 and 0.25.

Names follow MXNet 1.9.1's model zoo: v1 layers sit flat in ``mobilenet0_``; v2 has
``mobilenetv20_features_`` with one ``linearbottleneck{i}_`` per inverted-residual block, and
``mobilenetv20_output_pred_`` for the 1x1 classifier.
"""

from __future__ import annotations

from ... import nn
from ...hybrid import HybridBlock
from ..model_store import load_pretrained
from ._factory import document_pretrained, variant

__all__ = [
    "MobileNet",
    "MobileNetV2",
    "mobilenet1_0",
    "mobilenet_v2_1_0",
    "mobilenet0_75",
    "mobilenet_v2_0_75",
    "mobilenet0_5",
    "mobilenet_v2_0_5",
    "mobilenet0_25",
    "mobilenet_v2_0_25",
    "get_mobilenet",
    "get_mobilenet_v2",
]


class RELU6(HybridBlock):
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""

    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name="relu6")


def _add_conv(
    out, channels=1, kernel=1, stride=1, pad=0, num_group=1, active=True, relu6=False
):  # fmt: skip
    """Append conv (no bias), BatchNorm and, if ``active``, ReLU (or ReLU6) to ``out``."""
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False))
    out.add(nn.BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else nn.Activation("relu"))


def _add_conv_dw(out, dw_channels, channels, stride, relu6=False):
    """Append a depthwise 3x3 conv unit and a pointwise 1x1 conv unit to ``out``."""
    _add_conv(out, dw_channels, 3, stride, 1, num_group=dw_channels, relu6=relu6)
    _add_conv(out, channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """MobileNet v2's inverted residual: 1x1 expand (x``t``), 3x3 depthwise, 1x1 linear project,
    with the input added back when stride is 1 and the channels do not change.

    Parameters
    ----------
    in_channels : int
        Input channels.
    channels : int
        Output channels.
    t : int
        Expansion factor.
    stride : int
        Stride of the depthwise convolution.
    """

    def __init__(self, in_channels, channels, t, stride, **kwargs):
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        expanded = in_channels * t
        with self.name_scope():
            self.out = nn.HybridSequential()
            _add_conv(self.out, expanded, relu6=True)
            _add_conv(self.out, expanded, 3, stride, 1, num_group=expanded, relu6=True)
            _add_conv(self.out, channels, active=False)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


class MobileNet(HybridBlock):
    """MobileNet v1: a 3x3 stem and 13 depthwise-separable units, global pooling, Dense.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier: every layer has ``int(channels * multiplier)`` channels.
    classes : int, default 1000
        Output classes.
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        dw_channels = [32, 64, 128, 128, 256, 256] + [512] * 6 + [1024]
        channels = [64, 128, 128, 256, 256, 512] + [512] * 5 + [1024, 1024]
        strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), kernel=3, pad=1, stride=2)
                for dwc, c, s in zip(dw_channels, channels, strides):
                    _add_conv_dw(self.features, int(dwc * multiplier), int(c * multiplier), s)
                self.features.add(nn.GlobalAvgPool2D())
                self.features.add(nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNet v2: a 3x3 stem, 17 inverted residuals, a 1x1 conv to 1280, a 1x1 classifier.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier (the 1280-channel head only widens for multipliers above 1).
    classes : int, default 1000
        Output classes.
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        # (expansion t, output channels, repeats, first stride) of each bottleneck group
        groups = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                  (6, 160, 3, 2), (6, 320, 1, 1)]  # fmt: skip
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), 3, 2, 1, relu6=True)
                in_channels = int(32 * multiplier)
                for t, c, repeats, first_stride in groups:
                    out_channels = int(c * multiplier)
                    for i in range(repeats):
                        self.features.add(
                            LinearBottleneck(
                                in_channels, out_channels, t, first_stride if i == 0 else 1
                            )
                        )
                        in_channels = out_channels
                last_channels = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _add_conv(self.features, last_channels, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix="output_")
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix="pred_"), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _version_suffix(multiplier):
    """``'1.0'``, ``'0.75'``, ``'0.5'``, ``'0.25'``: how MXNet names the pretrained files."""
    suffix = f"{multiplier:.2f}"
    return suffix[:-1] if suffix in ("1.00", "0.50") else suffix


@document_pretrained
def get_mobilenet(multiplier, pretrained=False, ctx=None, root=None, **kwargs):
    """Return MobileNet v1 with width ``multiplier``.

    Parameters
    ----------
    multiplier : float
        Width multiplier (pretrained weights exist for 1.0, 0.75, 0.5 and 0.25).
    {pretrained_parameters}
    **kwargs
        Passed to :class:`MobileNet` (``classes``, ``prefix``).
    """
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenet{_version_suffix(multiplier)}", ctx, root)
    return net


@document_pretrained
def get_mobilenet_v2(multiplier, pretrained=False, ctx=None, root=None, **kwargs):
    """Return MobileNet v2 with width ``multiplier``; arguments as :func:`get_mobilenet`.

    Examples
    --------
    >>> net = get_mobilenet_v2(0.25, classes=10)
    >>> net.initialize()
    >>> net(mx.nd.zeros((1, 3, 32, 32))).shape
    (1, 10)
    """
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenetv2_{_version_suffix(multiplier)}", ctx, root)
    return net


mobilenet1_0 = variant("mobilenet1_0", "MobileNet v1 1.0", get_mobilenet, 1.0)
mobilenet0_75 = variant("mobilenet0_75", "MobileNet v1 0.75", get_mobilenet, 0.75)
mobilenet0_5 = variant("mobilenet0_5", "MobileNet v1 0.5", get_mobilenet, 0.5)
mobilenet0_25 = variant("mobilenet0_25", "MobileNet v1 0.25", get_mobilenet, 0.25)
mobilenet_v2_1_0 = variant("mobilenet_v2_1_0", "MobileNet v2 1.0", get_mobilenet_v2, 1.0)
mobilenet_v2_0_75 = variant("mobilenet_v2_0_75", "MobileNet v2 0.75", get_mobilenet_v2, 0.75)
mobilenet_v2_0_5 = variant("mobilenet_v2_0_5", "MobileNet v2 0.5", get_mobilenet_v2, 0.5)
mobilenet_v2_0_25 = variant("mobilenet_v2_0_25", "MobileNet v2 0.25", get_mobilenet_v2, 0.25)
