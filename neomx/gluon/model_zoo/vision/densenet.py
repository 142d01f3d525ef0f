"""DenseNet 121/161/169/201 (Huang et al. 2016, arXiv:1608.06993).

Names follow MXNet 1.9.1's model zoo: the stem and transitions sit flat in ``densenet0_``,
the dense blocks are ``densenet0_stage1_`` ... ``densenet0_stage4_``.
"""

from __future__ import annotations

from ... import nn
from ...contrib.nn import HybridConcurrent, Identity
from ...hybrid import HybridBlock
from ..model_store import load_pretrained
from ._factory import document_pretrained, variant

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _dense_layer(growth_rate, bn_size, dropout):
    """BN-ReLU-1x1 conv (bottleneck), BN-ReLU-3x3 conv; the output is concatenated to the
    input, so each layer adds ``growth_rate`` channels."""
    new_features = nn.HybridSequential(prefix="")
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False))
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    layer = HybridConcurrent(axis=1, prefix="")
    layer.add(Identity())
    layer.add(new_features)
    return layer


def _dense_block(num_layers, bn_size, growth_rate, dropout, stage_index):
    block = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with block.name_scope():
        for _ in range(num_layers):
            block.add(_dense_layer(growth_rate, bn_size, dropout))
    return block


def _transition(channels):
    """BN-ReLU-1x1 conv to ``channels``, then a 2x2 average pool halving the feature map."""
    transition = nn.HybridSequential(prefix="")
    transition.add(nn.BatchNorm())
    transition.add(nn.Activation("relu"))
    transition.add(nn.Conv2D(channels, kernel_size=1, use_bias=False))
    transition.add(nn.AvgPool2D(pool_size=2, strides=2))
    return transition


class DenseNet(HybridBlock):
    """DenseNet-BC: a 7x7 stem, dense blocks joined by halving transitions, 7x7 averaging.

    Parameters
    ----------
    num_init_features : int
        Channels of the stem.
    growth_rate : int
        Channels each dense layer adds.
    block_config : list of int
        Dense layers per block.
    bn_size : int, default 4
        The bottleneck convolution has ``bn_size * growth_rate`` channels.
    dropout : float, default 0
        Dropout rate after each dense layer (0: none).
    classes : int, default 1000
        Output classes.

    The final 7x7 average pool needs inputs of at least 221x221.
    """

    def __init__(
        self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0, classes=1000,
        **kwargs,
    ):  # fmt: skip
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(
                nn.Conv2D(num_init_features, kernel_size=7, strides=2, padding=3, use_bias=False)
            )
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_dense_block(num_layers, bn_size, growth_rate, dropout, i + 1))
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    num_features //= 2
                    self.features.add(_transition(num_features))
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.AvgPool2D(pool_size=7))
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth: (stem channels, growth rate, dense layers per block)
densenet_spec = {
    121: (64, 32, [6, 12, 24, 16]),
    161: (96, 48, [6, 12, 36, 24]),
    169: (64, 32, [6, 12, 32, 32]),
    201: (64, 32, [6, 12, 48, 32]),
}


@document_pretrained
def get_densenet(num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """Return DenseNet with ``num_layers`` layers (121, 161, 169 or 201).

    Parameters
    ----------
    num_layers : int
        121, 161, 169 or 201.
    {pretrained_parameters}
    **kwargs
        Passed to :class:`DenseNet` (``classes``, ``bn_size``, ``dropout``, ``prefix``).
    """
    if num_layers not in densenet_spec:
        raise ValueError(
            f"Invalid number of layers: {num_layers}. Options are {sorted(densenet_spec)}"
        )
    num_init_features, growth_rate, block_config = densenet_spec[num_layers]
    net = DenseNet(num_init_features, growth_rate, block_config, **kwargs)
    if pretrained:
        load_pretrained(net, f"densenet{num_layers}", ctx, root)
    return net


densenet121 = variant("densenet121", "DenseNet-121", get_densenet, 121)
densenet161 = variant("densenet161", "DenseNet-161", get_densenet, 161)
densenet169 = variant("densenet169", "DenseNet-169", get_densenet, 169)
densenet201 = variant("densenet201", "DenseNet-201", get_densenet, 201)
