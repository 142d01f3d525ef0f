"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016, arXiv:1602.07360).

Names follow MXNet 1.9.1's model zoo: every convolution sits flat in ``squeezenet0_``
(``squeezenet0_conv0_`` ... ``squeezenet0_conv25_``).
"""

from __future__ import annotations

from ... import nn
from ...contrib.nn import HybridConcurrent
from ...hybrid import HybridBlock
from ..model_store import load_pretrained
from ._factory import document_pretrained, variant

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


def _conv_relu(channels, kernel_size, padding=0):
    block = nn.HybridSequential(prefix="")
    block.add(nn.Conv2D(channels, kernel_size, padding=padding))
    block.add(nn.Activation("relu"))
    return block


def _fire(squeeze, expand1x1, expand3x3):
    """A fire module: a 1x1 squeeze, then 1x1 and 3x3 expansions concatenated on channels."""
    fire = nn.HybridSequential(prefix="")
    fire.add(_conv_relu(squeeze, 1))
    expand = HybridConcurrent(axis=1, prefix="")
    expand.add(_conv_relu(expand1x1, 1))
    expand.add(_conv_relu(expand3x3, 3, 1))
    fire.add(expand)
    return fire


def _pool():
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


class SqueezeNet(HybridBlock):
    """SqueezeNet: a convolution stem, eight fire modules, a 1x1 classifier and 13x13 averaging.

    Parameters
    ----------
    version : str
        ``'1.0'`` or ``'1.1'`` (1.1 has a 3x3 stem and pools earlier: 2.4x less computation).
    classes : int, default 1000
        Output classes.

    The final 13x13 average pool needs inputs of at least 213x213 (1.0) or 209x209 (1.1).
    """

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        if version not in ("1.0", "1.1"):
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1.0 or 1.1 expected")
        # (squeeze, expand) channels of the fire modules; 'pool' marks a max-pool
        if version == "1.0":
            stem_channels, stem_kernel = 96, 7
            plan = [16, 16, 32, "pool", 32, 48, 48, 64, "pool", 64]
        else:
            stem_channels, stem_kernel = 64, 3
            plan = [16, 16, "pool", 32, 32, "pool", 48, 48, 64, 64]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(stem_channels, kernel_size=stem_kernel, strides=2))
            self.features.add(nn.Activation("relu"))
            self.features.add(_pool())
            for step in plan:
                self.features.add(_pool() if step == "pool" else _fire(step, 4 * step, 4 * step))
            self.features.add(nn.Dropout(0.5))

            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1))
            self.output.add(nn.Activation("relu"))
            self.output.add(nn.AvgPool2D(13))
            self.output.add(nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


@document_pretrained
def get_squeezenet(version, pretrained=False, ctx=None, root=None, **kwargs):
    """Return SqueezeNet ``version`` (``'1.0'`` or ``'1.1'``).

    Parameters
    ----------
    version : str
        ``'1.0'`` or ``'1.1'``.
    {pretrained_parameters}
    **kwargs
        Passed to :class:`SqueezeNet` (``classes``, ``prefix``).
    """
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        load_pretrained(net, f"squeezenet{version}", ctx, root)
    return net


squeezenet1_0 = variant("squeezenet1_0", "SqueezeNet 1.0", get_squeezenet, "1.0")
squeezenet1_1 = variant("squeezenet1_1", "SqueezeNet 1.1", get_squeezenet, "1.1")
