"""VGG 11/13/16/19 (Simonyan & Zisserman 2014, arXiv:1409.1556), with or without BatchNorm.

Names follow MXNet 1.9.1's model zoo: every layer sits flat in ``vgg0_`` (``vgg0_conv0_``,
``vgg0_batchnorm0_``, ``vgg0_dense0_``).
"""

from __future__ import annotations

from .... import initializer
from ... import nn
from ...hybrid import HybridBlock
from ..model_store import load_pretrained
from ._factory import document_pretrained, variant

__all__ = [
    "VGG",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "vgg11_bn",
    "vgg13_bn",
    "vgg16_bn",
    "vgg19_bn",
    "get_vgg",
]


class VGG(HybridBlock):
    """Stacks of 3x3 convolutions, each stack closed by a 2x2 max-pool, then three Dense layers.

    Parameters
    ----------
    layers : list of int
        Convolutions per stack.
    filters : list of int
        Channels of each stack.
    classes : int, default 1000
        Output classes.
    batch_norm : bool, default False
        Put a BatchNorm after every convolution.

    Examples
    --------
    >>> net = VGG([1, 1, 2, 2, 2], [64, 128, 256, 512, 512], classes=10)
    """

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise ValueError(
                f"VGG: layers and filters must have the same length; got {list(layers)} and "
                f"{list(filters)}"
            )
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(
                    nn.Dense(
                        4096,
                        activation="relu",
                        weight_initializer="normal",
                        bias_initializer="zeros",
                    )
                )
                self.features.add(nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal", bias_initializer="zeros")

    @staticmethod
    def _make_features(layers, filters, batch_norm):
        features = nn.HybridSequential(prefix="")
        for num_convs, channels in zip(layers, filters):
            for _ in range(num_convs):
                features.add(
                    nn.Conv2D(
                        channels,
                        kernel_size=3,
                        padding=1,
                        weight_initializer=initializer.Xavier(
                            rnd_type="gaussian", factor_type="out", magnitude=2
                        ),
                        bias_initializer="zeros",
                    )
                )
                if batch_norm:
                    features.add(nn.BatchNorm())
                features.add(nn.Activation("relu"))
            features.add(nn.MaxPool2D(strides=2))
        return features

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth: (convolutions per stack, channels per stack)
vgg_spec = {
    11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
    13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
    16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
    19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512]),
}


@document_pretrained
def get_vgg(num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """Return VGG with ``num_layers`` layers (11, 13, 16 or 19).

    Parameters
    ----------
    num_layers : int
        11, 13, 16 or 19.
    {pretrained_parameters}
    **kwargs
        Passed to :class:`VGG` (``classes``, ``batch_norm``, ``prefix``).
    """
    if num_layers not in vgg_spec:
        raise ValueError(f"Invalid number of layers: {num_layers}. Options are {sorted(vgg_spec)}")
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        suffix = "_bn" if kwargs.get("batch_norm") else ""
        load_pretrained(net, f"vgg{num_layers}{suffix}", ctx, root)
    return net


vgg11 = variant("vgg11", "VGG-11", get_vgg, 11)
vgg13 = variant("vgg13", "VGG-13", get_vgg, 13)
vgg16 = variant("vgg16", "VGG-16", get_vgg, 16)
vgg19 = variant("vgg19", "VGG-19", get_vgg, 19)
vgg11_bn = variant("vgg11_bn", "VGG-11 with BatchNorm", get_vgg, 11, batch_norm=True)
vgg13_bn = variant("vgg13_bn", "VGG-13 with BatchNorm", get_vgg, 13, batch_norm=True)
vgg16_bn = variant("vgg16_bn", "VGG-16 with BatchNorm", get_vgg, 16, batch_norm=True)
vgg19_bn = variant("vgg19_bn", "VGG-19 with BatchNorm", get_vgg, 19, batch_norm=True)
