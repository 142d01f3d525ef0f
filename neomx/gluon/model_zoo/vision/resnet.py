"""ResNet v1 (He et al. 2015, arXiv:1512.03385) and v2 (He et al. 2016, arXiv:1603.05027).

v1 adds the shortcut before the last ReLU (post-activation); v2 puts BatchNorm and ReLU in front
of each convolution (pre-activation). Layer names and nesting follow MXNet 1.9.1's model zoo, so
its ``.params`` files load as they are: the net is ``resnetv10_`` / ``resnetv20_``, the stages
``stage1_`` ... ``stage4_``, and the blocks add no prefix of their own.
"""

from __future__ import annotations

from ... import nn
from ...hybrid import HybridBlock
from ..model_store import load_pretrained
from ._factory import document_pretrained, variant

__all__ = [
    "ResNetV1",
    "ResNetV2",
    "BasicBlockV1",
    "BasicBlockV2",
    "BottleneckV1",
    "BottleneckV2",
    "resnet18_v1",
    "resnet34_v1",
    "resnet50_v1",
    "resnet101_v1",
    "resnet152_v1",
    "resnet18_v2",
    "resnet34_v2",
    "resnet50_v2",
    "resnet101_v2",
    "resnet152_v2",
    "get_resnet",
]


def _conv3x3(channels, stride, in_channels):
    return nn.Conv2D(
        channels, kernel_size=3, strides=stride, padding=1, use_bias=False, in_channels=in_channels
    )


def _projection_v1(channels, stride, in_channels):
    """The 1x1 convolution + BatchNorm that reshapes the shortcut of a v1 block."""
    shortcut = nn.HybridSequential(prefix="")
    shortcut.add(
        nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False, in_channels=in_channels)
    )
    shortcut.add(nn.BatchNorm())
    return shortcut


class BasicBlockV1(HybridBlock):
    """Two 3x3 convolutions with a shortcut, post-activation (ResNet-18/34 v1).

    Parameters
    ----------
    channels : int
        Output channels.
    stride : int
        Stride of the first convolution (2 halves the feature map).
    downsample : bool, default False
        Whether the shortcut needs a 1x1 projection (stride or channels change).
    in_channels : int, default 0
        Input channels; 0 infers them from the first input.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        self.body.add(_conv3x3(channels, stride, in_channels))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(_conv3x3(channels, 1, channels))
        self.body.add(nn.BatchNorm())
        self.downsample = _projection_v1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.Activation(shortcut + self.body(x), act_type="relu")


class BottleneckV1(HybridBlock):
    """1x1 reduce, 3x3, 1x1 expand convolutions with a shortcut, post-activation (ResNet-50+ v1).

    Parameters are those of :class:`BasicBlockV1`; ``channels`` counts the expanded output, the
    inner convolutions use ``channels // 4``.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        inner = channels // 4
        self.body = nn.HybridSequential(prefix="")
        # MXNet 1.9.1's v1 bottleneck keeps a bias on its two 1x1 convolutions (and the strided
        # one comes first); its pretrained files hold those biases.
        self.body.add(nn.Conv2D(inner, kernel_size=1, strides=stride))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(_conv3x3(inner, 1, inner))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(nn.Conv2D(channels, kernel_size=1, strides=1))
        self.body.add(nn.BatchNorm())
        self.downsample = _projection_v1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.Activation(self.body(x) + shortcut, act_type="relu")


class BasicBlockV2(HybridBlock):
    """Two pre-activated 3x3 convolutions with a shortcut (ResNet-18/34 v2).

    Parameters are those of :class:`BasicBlockV1`.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = (
            nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)
            if downsample
            else None
        )

    def hybrid_forward(self, F, x):
        x = F.Activation(self.bn1(x), act_type="relu")
        # v2 projects the pre-activated input, not the raw one.
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.conv1(x)
        x = self.conv2(F.Activation(self.bn2(x), act_type="relu"))
        return x + shortcut


class BottleneckV2(HybridBlock):
    """Pre-activated 1x1 reduce, 3x3 (strided), 1x1 expand convolutions (ResNet-50+ v2).

    Parameters are those of :class:`BasicBlockV1`.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        inner = channels // 4
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(inner, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(inner, stride, inner)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = (
            nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)
            if downsample
            else None
        )

    def hybrid_forward(self, F, x):
        x = F.Activation(self.bn1(x), act_type="relu")
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.conv1(x)
        x = self.conv2(F.Activation(self.bn2(x), act_type="relu"))
        x = self.conv3(F.Activation(self.bn3(x), act_type="relu"))
        return x + shortcut


def _check_spec(layers, channels):
    if len(layers) != len(channels) - 1:
        raise ValueError(
            f"ResNet: channels must have one entry more than layers (the stem's); got "
            f"layers={list(layers)}, channels={list(channels)}"
        )


def _make_stage(block, num_blocks, channels, stride, stage_index, in_channels):
    stage = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels, prefix=""))
        for _ in range(num_blocks - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=""))
    return stage


class ResNetV1(HybridBlock):
    """ResNet v1: a 7x7 stem (or a 3x3 one for small images), four stages, pooling, Dense.

    Parameters
    ----------
    block : type
        :class:`BasicBlockV1` or :class:`BottleneckV1`.
    layers : list of int
        Blocks per stage.
    channels : list of int
        Output channels of the stem and of each stage (one more entry than ``layers``).
    classes : int, default 1000
        Output classes.
    thumbnail : bool, default False
        Use a single 3x3 stride-1 convolution as the stem (for 32x32 images such as CIFAR).

    Examples
    --------
    >>> net = ResNetV1(BasicBlockV1, [2, 2, 2, 2], [64, 64, 128, 256, 512], classes=10)
    """

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        _check_spec(layers, channels)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(nn.Conv2D(channels[0], 7, 2, 3, use_bias=False))
                self.features.add(nn.BatchNorm())
                self.features.add(nn.Activation("relu"))
                self.features.add(nn.MaxPool2D(3, 2, 1))
            for i, num_blocks in enumerate(layers):
                self.features.add(
                    _make_stage(
                        block, num_blocks, channels[i + 1], 1 if i == 0 else 2, i + 1, channels[i]
                    )
                )
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class ResNetV2(HybridBlock):
    """ResNet v2: input BatchNorm, stem, four pre-activation stages, BatchNorm-ReLU, Dense.

    Parameters are those of :class:`ResNetV1`, with ``block`` one of :class:`BasicBlockV2` or
    :class:`BottleneckV2`.
    """

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        _check_spec(layers, channels)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            # A parameter-free input normalisation (no scale, no shift): only moving statistics.
            self.features.add(nn.BatchNorm(scale=False, center=False))
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(nn.Conv2D(channels[0], 7, 2, 3, use_bias=False))
                self.features.add(nn.BatchNorm())
                self.features.add(nn.Activation("relu"))
                self.features.add(nn.MaxPool2D(3, 2, 1))
            in_channels = channels[0]
            for i, num_blocks in enumerate(layers):
                self.features.add(
                    _make_stage(
                        block, num_blocks, channels[i + 1], 1 if i == 0 else 2, i + 1, in_channels
                    )
                )
                in_channels = channels[i + 1]
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.GlobalAvgPool2D())
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes, in_units=in_channels)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth: (block kind, blocks per stage, channels of the stem and of each stage)
resnet_spec = {
    18: ("basic_block", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
    34: ("basic_block", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
    50: ("bottle_neck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
    101: ("bottle_neck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
    152: ("bottle_neck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048]),
}
resnet_net_versions = [ResNetV1, ResNetV2]
resnet_block_versions = [
    {"basic_block": BasicBlockV1, "bottle_neck": BottleneckV1},
    {"basic_block": BasicBlockV2, "bottle_neck": BottleneckV2},
]


@document_pretrained
def get_resnet(version, num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """Return ResNet v``version`` with ``num_layers`` layers (18, 34, 50, 101 or 152).

    Parameters
    ----------
    version : int
        1 or 2.
    num_layers : int
        18, 34, 50, 101 or 152.
    {pretrained_parameters}
    **kwargs
        Passed to :class:`ResNetV1` / :class:`ResNetV2` (``classes``, ``thumbnail``, ``prefix``).

    Examples
    --------
    >>> net = get_resnet(1, 18, classes=10)
    >>> net.initialize()
    >>> net(mx.nd.zeros((1, 3, 32, 32))).shape
    (1, 10)
    """
    if num_layers not in resnet_spec:
        raise ValueError(
            f"Invalid number of layers: {num_layers}. Options are {sorted(resnet_spec)}"
        )
    if version not in (1, 2):
        raise ValueError(f"Invalid resnet version: {version}. Options are 1 and 2.")
    block_kind, layers, channels = resnet_spec[num_layers]
    block = resnet_block_versions[version - 1][block_kind]
    net = resnet_net_versions[version - 1](block, layers, channels, **kwargs)
    if pretrained:
        load_pretrained(net, f"resnet{num_layers}_v{version}", ctx, root)
    return net


resnet18_v1 = variant("resnet18_v1", "ResNet-18 v1", get_resnet, 1, 18)
resnet34_v1 = variant("resnet34_v1", "ResNet-34 v1", get_resnet, 1, 34)
resnet50_v1 = variant("resnet50_v1", "ResNet-50 v1", get_resnet, 1, 50)
resnet101_v1 = variant("resnet101_v1", "ResNet-101 v1", get_resnet, 1, 101)
resnet152_v1 = variant("resnet152_v1", "ResNet-152 v1", get_resnet, 1, 152)
resnet18_v2 = variant("resnet18_v2", "ResNet-18 v2", get_resnet, 2, 18)
resnet34_v2 = variant("resnet34_v2", "ResNet-34 v2", get_resnet, 2, 34)
resnet50_v2 = variant("resnet50_v2", "ResNet-50 v2", get_resnet, 2, 50)
resnet101_v2 = variant("resnet101_v2", "ResNet-101 v2", get_resnet, 2, 101)
resnet152_v2 = variant("resnet152_v2", "ResNet-152 v2", get_resnet, 2, 152)
