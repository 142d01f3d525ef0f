"""Pooling and padding layers: Max/Avg/GlobalMax/GlobalAvg Pool1D/2D/3D, ReflectionPad2D."""

from __future__ import annotations

import numbers

from ..hybrid import HybridBlock
from .conv_layers import check_layout, expand_tuple
from .layer_errors import call_op

__all__ = [
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "ReflectionPad2D",
]

_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}


class _Pooling(HybridBlock):
    """Shared body of the pooling layers (the ``Pooling`` operator)."""

    def __init__(
        self,
        pool_size,
        strides,
        padding,
        ceil_mode,
        global_pool,
        pool_type,
        layout,
        count_include_pad=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        ndim = len(pool_size)
        name = self.__class__.__name__
        if strides is None:
            strides = pool_size
        self._kwargs = {
            "kernel": pool_size,
            "stride": expand_tuple(strides, ndim, "strides", name),
            "pad": expand_tuple(padding, ndim, "padding", name),
            "global_pool": global_pool,
            "pool_type": pool_type,
            "layout": layout,
            # ceil_mode rounds the output size up: MXNet's 'full' pooling convention.
            "pooling_convention": "full" if ceil_mode else "valid",
        }
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self):
        return "pool"

    def hybrid_forward(self, F, x):
        return call_op(self, F.Pooling, x, name="fwd", **self._kwargs)

    def __repr__(self):
        k = self._kwargs
        return (
            f"{self.__class__.__name__}(size={k['kernel']}, stride={k['stride']}, "
            f"padding={k['pad']}, ceil_mode={k['pooling_convention'] == 'full'}, "
            f"global_pool={k['global_pool']}, pool_type={k['pool_type']}, layout={k['layout']})"
        )


def _pool_size(layer, ndim, pool_size, layout):
    check_layout(layer, layout, _LAYOUTS[ndim])
    return expand_tuple(pool_size, ndim, "pool_size", layer)


class _LocalPool(_Pooling):
    """Max or average pooling over windows; the subclass fixes the rank and the type."""

    _ndim = 0
    _pool_type = ""

    def __init__(self, pool_size, strides, padding, layout, ceil_mode, count_include_pad, **kw):
        size = _pool_size(self.__class__.__name__, self._ndim, pool_size, layout)
        super().__init__(
            size, strides, padding, ceil_mode, False, self._pool_type, layout, count_include_pad,
            **kw,
        )  # fmt: skip


class MaxPool1D(_LocalPool):
    """Max pooling over windows of ``(N, C, W)`` (or ``NWC``) input.

    Parameters
    ----------
    pool_size : int or tuple of 1 int
        Window size.
    strides : int or tuple, optional
        Step between windows; None uses ``pool_size``.
    padding : int or tuple
        Padding on both sides.
    layout : str
        ``'NCW'`` or ``'NWC'``.
    ceil_mode : bool
        Round the output size up instead of down.
    """

    _ndim, _pool_type = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False, **kw):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, None, **kw)


class MaxPool2D(_LocalPool):
    """Max pooling over windows of ``(N, C, H, W)`` (or ``NHWC``) input; see :class:`MaxPool1D`.

    Examples
    --------
    >>> mx.gluon.nn.MaxPool2D()
    MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, \
pool_type=max, layout=NCHW)
    """

    _ndim, _pool_type = 2, "max"

    def __init__(
        self, pool_size=(2, 2), strides=None, padding=0, layout="NCHW", ceil_mode=False, **kw
    ):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, None, **kw)


class MaxPool3D(_LocalPool):
    """Max pooling over windows of ``(N, C, D, H, W)`` (or ``NDHWC``) input."""

    _ndim, _pool_type = 3, "max"

    def __init__(
        self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False, layout="NCDHW", **kw
    ):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, None, **kw)


class AvgPool1D(_LocalPool):
    """Average pooling over windows of ``(N, C, W)`` (or ``NWC``) input.

    Parameters are those of :class:`MaxPool1D`, plus ``count_include_pad`` (bool): whether
    padded positions count in the divisor.
    """

    _ndim, _pool_type = 1, "avg"

    def __init__(
        self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False,
        count_include_pad=True, **kw,
    ):  # fmt: skip
        super().__init__(pool_size, strides, padding, layout, ceil_mode, count_include_pad, **kw)


class AvgPool2D(_LocalPool):
    """Average pooling over windows of ``(N, C, H, W)`` (or ``NHWC``) input."""

    _ndim, _pool_type = 2, "avg"

    def __init__(
        self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False, layout="NCHW",
        count_include_pad=True, **kw,
    ):  # fmt: skip
        super().__init__(pool_size, strides, padding, layout, ceil_mode, count_include_pad, **kw)


class AvgPool3D(_LocalPool):
    """Average pooling over windows of ``(N, C, D, H, W)`` (or ``NDHWC``) input."""

    _ndim, _pool_type = 3, "avg"

    def __init__(
        self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False, layout="NCDHW",
        count_include_pad=True, **kw,
    ):  # fmt: skip
        super().__init__(pool_size, strides, padding, layout, ceil_mode, count_include_pad, **kw)


class _GlobalPool(_Pooling):
    """Pool all spatial positions to one; the subclass fixes the rank and the type."""

    _ndim = 0
    _pool_type = ""

    def __init__(self, layout, **kwargs):
        check_layout(self.__class__.__name__, layout, _LAYOUTS[self._ndim])
        size = (1,) * self._ndim
        super().__init__(size, None, 0, True, True, self._pool_type, layout, **kwargs)


class GlobalMaxPool1D(_GlobalPool):
    """Maximum over the whole width of ``(N, C, W)`` input, giving ``(N, C, 1)``."""

    _ndim, _pool_type = 1, "max"

    def __init__(self, layout="NCW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalMaxPool2D(_GlobalPool):
    """Maximum over each channel of ``(N, C, H, W)`` input, giving ``(N, C, 1, 1)``."""

    _ndim, _pool_type = 2, "max"

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalMaxPool3D(_GlobalPool):
    """Maximum over each channel of ``(N, C, D, H, W)`` input."""

    _ndim, _pool_type = 3, "max"

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalAvgPool1D(_GlobalPool):
    """Mean over the whole width of ``(N, C, W)`` input, giving ``(N, C, 1)``."""

    _ndim, _pool_type = 1, "avg"

    def __init__(self, layout="NCW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalAvgPool2D(_GlobalPool):
    """Mean over each channel of ``(N, C, H, W)`` input, giving ``(N, C, 1, 1)``."""

    _ndim, _pool_type = 2, "avg"

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalAvgPool3D(_GlobalPool):
    """Mean over each channel of ``(N, C, D, H, W)`` input."""

    _ndim, _pool_type = 3, "avg"

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__(layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pad the last two axes of 4-D input by reflecting it at the borders.

    Parameters
    ----------
    padding : int or tuple of 8 ints
        An int pads H and W by that much on both sides; 8 ints are ``pad_width`` of the ``pad``
        operator (before/after for each of the 4 axes; N and C must get 0).

    Examples
    --------
    >>> mx.gluon.nn.ReflectionPad2D(1)(mx.nd.ones((1, 1, 2, 2))).shape
    (1, 1, 4, 4)
    """

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, numbers.Integral):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        padding = tuple(padding)
        if len(padding) != 8:
            raise ValueError(f"ReflectionPad2D: padding must be an int or 8 ints, got {padding}")
        self._padding = padding

    def hybrid_forward(self, F, x):
        return call_op(self, F.pad, x, mode="reflect", pad_width=self._padding)
