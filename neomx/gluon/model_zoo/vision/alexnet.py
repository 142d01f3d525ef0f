"""AlexNet (Krizhevsky 2014, "One weird trick", arXiv:1404.5997): the single-tower variant.

Names follow MXNet 1.9.1's model zoo (``alexnet0_conv0_`` ... ``alexnet0_dense2_``).
"""

from __future__ import annotations

from ... import nn
from ...hybrid import HybridBlock
from ..model_store import load_pretrained
from ._factory import document_pretrained

__all__ = ["AlexNet", "alexnet"]


class AlexNet(HybridBlock):
    """Five convolutions (with ReLU) and three max-pools, then two Dense-4096 with dropout.

    Parameters
    ----------
    classes : int, default 1000
        Output classes.

    Examples
    --------
    >>> net = AlexNet(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.zeros((1, 3, 63, 63))).shape
    (1, 10)
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                # (channels, kernel, stride, padding, max-pool after)
                for channels, kernel, stride, padding, pool in (
                    (64, 11, 4, 2, True),
                    (192, 5, 1, 2, True),
                    (384, 3, 1, 1, False),
                    (256, 3, 1, 1, False),
                    (256, 3, 1, 1, True),
                ):
                    self.features.add(
                        nn.Conv2D(channels, kernel, stride, padding, activation="relu")
                    )
                    if pool:
                        self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
                self.features.add(nn.Flatten())
                for _ in range(2):
                    self.features.add(nn.Dense(4096, activation="relu"))
                    self.features.add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


@document_pretrained
def alexnet(pretrained=False, ctx=None, root=None, **kwargs):
    """Return AlexNet.

    Parameters
    ----------
    {pretrained_parameters}
    **kwargs
        Passed to :class:`AlexNet` (``classes``, ``prefix``, ``params``).
    """
    net = AlexNet(**kwargs)
    if pretrained:
        load_pretrained(net, "alexnet", ctx, root)
    return net
