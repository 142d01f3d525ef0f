"""Inception v3 (Szegedy et al. 2015, arXiv:1512.00567).

Names follow MXNet 1.9.1's model zoo: the stem sits flat in ``inception30_``, the mixed blocks
are ``inception30_A1_`` ... ``inception30_E2_`` with every convolution flat inside its block.
"""

from __future__ import annotations

from ... import nn
from ...contrib.nn import HybridConcurrent
from ...hybrid import HybridBlock
from ..model_store import load_pretrained
from ._factory import document_pretrained

__all__ = ["Inception3", "inception_v3"]


def _conv_bn_relu(channels, kernel_size, strides=None, padding=None):
    block = nn.HybridSequential(prefix="")
    options = {"channels": channels, "kernel_size": kernel_size}
    if strides is not None:
        options["strides"] = strides
    if padding is not None:
        options["padding"] = padding
    block.add(nn.Conv2D(use_bias=False, **options))
    block.add(nn.BatchNorm(epsilon=0.001))
    block.add(nn.Activation("relu"))
    return block


def _branch(pool, *convs):
    """An optional pool (``'avg'``: 3x3 stride 1 same-size, ``'max'``: 3x3 stride 2), then
    conv-BN-ReLU units, each ``(channels, kernel, strides, padding)`` with None for default."""
    branch = nn.HybridSequential(prefix="")
    if pool == "avg":
        branch.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif pool == "max":
        branch.add(nn.MaxPool2D(pool_size=3, strides=2))
    for conv in convs:
        branch.add(_conv_bn_relu(*conv))
    return branch


def _mixed(prefix, *branches):
    """Run ``branches`` (argument tuples for :func:`_branch`) side by side, concatenated."""
    block = HybridConcurrent(axis=1, prefix=prefix)
    with block.name_scope():
        for branch in branches:
            block.add(_branch(*branch))
    return block


def _block_a(pool_features, prefix):
    return _mixed(
        prefix,
        (None, (64, 1)),
        (None, (48, 1), (64, 5, None, 2)),
        (None, (64, 1), (96, 3, None, 1), (96, 3, None, 1)),
        ("avg", (pool_features, 1)),
    )


def _block_b(prefix):
    return _mixed(
        prefix,
        (None, (384, 3, 2)),
        (None, (64, 1), (96, 3, None, 1), (96, 3, 2)),
        ("max",),
    )


def _block_c(channels_7x7, prefix):
    c = channels_7x7
    return _mixed(
        prefix,
        (None, (192, 1)),
        (None, (c, 1), (c, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0))),
        (
            None,
            (c, 1),
            (c, (7, 1), None, (3, 0)),
            (c, (1, 7), None, (0, 3)),
            (c, (7, 1), None, (3, 0)),
            (192, (1, 7), None, (0, 3)),
        ),
        ("avg", (192, 1)),
    )


def _block_d(prefix):
    return _mixed(
        prefix,
        (None, (192, 1), (320, 3, 2)),
        (None, (192, 1), (192, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0)), (192, 3, 2)),
        ("max",),
    )


def _split_1x3_3x1():
    """Two parallel branches, 1x3 and 3x1 convolutions of 384 channels, concatenated."""
    split = HybridConcurrent(axis=1, prefix="")
    split.add(_branch(None, (384, (1, 3), None, (0, 1))))
    split.add(_branch(None, (384, (3, 1), None, (1, 0))))
    return split


def _block_e(prefix):
    block = HybridConcurrent(axis=1, prefix=prefix)
    with block.name_scope():
        block.add(_branch(None, (320, 1)))
        # NOTE: the layers below are made in this order (first branch, 3x3 branch, 3x3-double
        # branch, then the pool branch); MXNet numbers conv/batchnorm names by creation order.
        branch_3x3 = nn.HybridSequential(prefix="")
        block.add(branch_3x3)
        branch_3x3.add(_branch(None, (384, 1)))
        branch_3x3.add(_split_1x3_3x1())
        branch_3x3dbl = nn.HybridSequential(prefix="")
        block.add(branch_3x3dbl)
        branch_3x3dbl.add(_branch(None, (448, 1), (384, 3, None, 1)))
        branch_3x3dbl.add(_split_1x3_3x1())
        block.add(_branch("avg", (192, 1)))
    return block


class Inception3(HybridBlock):
    """Inception v3: a convolution stem, mixed blocks A x3, B, C x4, D, E x2, 8x8 averaging.

    Parameters
    ----------
    classes : int, default 1000
        Output classes.

    The final 8x8 average pool needs inputs of at least 299x299.
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(_conv_bn_relu(32, 3, 2))
            self.features.add(_conv_bn_relu(32, 3))
            self.features.add(_conv_bn_relu(64, 3, None, 1))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
            self.features.add(_conv_bn_relu(80, 1))
            self.features.add(_conv_bn_relu(192, 3))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
            self.features.add(_block_a(32, "A1_"))
            self.features.add(_block_a(64, "A2_"))
            self.features.add(_block_a(64, "A3_"))
            self.features.add(_block_b("B_"))
            self.features.add(_block_c(128, "C1_"))
            self.features.add(_block_c(160, "C2_"))
            self.features.add(_block_c(160, "C3_"))
            self.features.add(_block_c(192, "C4_"))
            self.features.add(_block_d("D_"))
            self.features.add(_block_e("E1_"))
            self.features.add(_block_e("E2_"))
            self.features.add(nn.AvgPool2D(pool_size=8))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


@document_pretrained
def inception_v3(pretrained=False, ctx=None, root=None, **kwargs):
    """Return Inception v3.

    Parameters
    ----------
    {pretrained_parameters}
    **kwargs
        Passed to :class:`Inception3` (``classes``, ``prefix``).
    """
    net = Inception3(**kwargs)
    if pretrained:
        load_pretrained(net, "inceptionv3", ctx, root)
    return net
