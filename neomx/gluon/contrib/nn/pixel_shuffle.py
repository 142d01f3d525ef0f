"""Sub-pixel upsampling layers: PixelShuffle1D, PixelShuffle2D, PixelShuffle3D.

Each moves factors of the channel axis into the spatial axes with reshape/transpose only, so
the layers hybridize and need no shapes: MXNet's reshape codes do the bookkeeping (0 copies a
dimension, -3 merges two, -4 splits one into the two values that follow).
"""

from __future__ import annotations

from ...hybrid import HybridBlock

__all__ = ["PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]


def _factors(layer, factor, ndim):
    try:
        return (int(factor),) * ndim
    except TypeError:
        factors = tuple(int(f) for f in factor)
        if len(factors) != ndim:
            raise ValueError(
                f"{layer}: factor must be an int or {ndim} ints, got {len(factors)} values"
            ) from None
        return factors


class PixelShuffle1D(HybridBlock):
    """Turn ``(N, f * C, W)`` into ``(N, C, W * f)``.

    Parameters
    ----------
    factor : int
        The upsampling factor.

    Examples
    --------
    >>> mx.gluon.contrib.nn.PixelShuffle1D(2)(mx.nd.ones((1, 4, 3))).shape
    (1, 2, 6)
    """

    def __init__(self, factor):
        super().__init__()
        self._factor = int(factor)

    def hybrid_forward(self, F, x):
        f = self._factor
        x = F.reshape(x, (0, -4, -1, f, 0))  # (N, C, f, W)
        x = F.transpose(x, (0, 1, 3, 2))  # (N, C, W, f)
        return F.reshape(x, (0, 0, -3))  # (N, C, W * f)

    def __repr__(self):
        return f"{self.__class__.__name__}({self._factor})"


class PixelShuffle2D(HybridBlock):
    """Turn ``(N, f1 * f2 * C, H, W)`` into ``(N, C, H * f1, W * f2)``.

    Parameters
    ----------
    factor : int or (int, int)
        Upsampling factors for H and W.
    """

    def __init__(self, factor):
        super().__init__()
        self._factors = _factors("PixelShuffle2D", factor, 2)

    def hybrid_forward(self, F, x):
        f1, f2 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2, 0, 0))  # (N, C, f1 * f2, H, W)
        x = F.reshape(x, (0, 0, -4, f1, f2, 0, 0))  # (N, C, f1, f2, H, W)
        x = F.transpose(x, (0, 1, 4, 2, 5, 3))  # (N, C, H, f1, W, f2)
        return F.reshape(x, (0, 0, -3, -3))  # (N, C, H * f1, W * f2)

    def __repr__(self):
        return f"{self.__class__.__name__}({self._factors})"


class PixelShuffle3D(HybridBlock):
    """Turn ``(N, f1 * f2 * f3 * C, D, H, W)`` into ``(N, C, D * f1, H * f2, W * f3)``.

    Parameters
    ----------
    factor : int or (int, int, int)
        Upsampling factors for D, H and W.
    """

    def __init__(self, factor):
        super().__init__()
        self._factors = _factors("PixelShuffle3D", factor, 3)

    def hybrid_forward(self, F, x):
        f1, f2, f3 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2 * f3, 0, 0, 0))  # (N, C, f1*f2*f3, D, H, W)
        x = F.reshape(x, (0, 0, -4, f1, f2 * f3, 0, 0, 0))  # (N, C, f1, f2*f3, D, H, W)
        x = F.reshape(x, (0, 0, 0, -4, f2, f3, 0, 0, 0))  # (N, C, f1, f2, f3, D, H, W)
        x = F.transpose(x, (0, 1, 5, 2, 6, 3, 7, 4))  # (N, C, D, f1, H, f2, W, f3)
        return F.reshape(x, (0, 0, -3, -3, -3))  # (N, C, D*f1, H*f2, W*f3)

    def __repr__(self):
        return f"{self.__class__.__name__}({self._factors})"
