"""Gradient compression: MXNet 1.9.1's '2bit' quantisation with error feedback.

Each element of a gradient becomes one of three values: ``+threshold``, ``-threshold`` or 0.
What is left over (the residual) is kept per key and per pushing device and added to the next
gradient of that device, so nothing is lost, only delayed. MXNet packs the codes 16 to a
float32 word (bits ``11`` for +threshold, ``10`` for -threshold, most significant pair
first); ``quantize_2bit``/``dequantize_2bit`` write and read those bytes exactly.
"""

from __future__ import annotations

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError, MXNetValueError

__all__ = ["GradientCompression", "quantize_2bit", "dequantize_2bit", "compressed_size"]


class GradientCompression:
    """The compression settings of a store and the residuals of its keys.

    Parameters
    ----------
    params : dict
        ``{'type': '2bit', 'threshold': 0.5}``; ``type`` is required, ``threshold`` (> 0)
        defaults to 0.5. Values may be strings, as MXNet passes them. Other keys are ignored.
    """

    def __init__(self, params):
        if not isinstance(params, dict):
            raise MXNetValueError(
                "set_gradient_compression: expected a dict such as {'type': '2bit', "
                f"'threshold': 0.5}}, got {type(params).__name__}"
            )
        if "type" not in params:
            raise MXNetValueError(
                "set_gradient_compression: Required parameter type of string is not presented"
            )
        kind = str(params["type"])
        if kind != "2bit":
            raise MXNetValueError(
                f"set_gradient_compression: Unknown type for gradient compression {kind} "
                "(supported: '2bit')"
            )
        raw = params.get("threshold", 0.5)
        try:
            threshold = float(raw)
        except (TypeError, ValueError) as err:
            raise MXNetValueError(
                "set_gradient_compression: Invalid Parameter format for threshold expect "
                f"float but value='{raw}'"
            ) from err
        if not threshold > 0:
            raise MXNetValueError(
                f"set_gradient_compression: threshold must be greater than 0, got {threshold}"
            )
        self.type = kind
        # The kernels compare and add in float32, as MXNet's do.
        self.threshold = float(np.float32(threshold))
        # (key, index of the pushing value) -> residual, on that value's device.
        self._residuals = {}

    def compress(self, key, index, grad):
        """Return what the receiver of ``grad`` sees (each element +-threshold or 0) and keep
        the rest in the residual of (``key``, ``index``); both stay on ``grad``'s device."""
        residual = self._residuals.get((key, index))
        if residual is None or residual.shape != grad.shape or residual.context != grad.context:
            residual = self._residuals[(key, index)] = nd.zeros(
                grad.shape, ctx=grad.context, dtype=grad.dtype
            )
        residual += grad
        # MXNet's quantize kernel: >= threshold sends +threshold, <= -threshold sends
        # -threshold, and the residual keeps the difference; the sent values are exact.
        sent = (
            nd.greater_equal(residual, self.threshold) - nd.lesser_equal(residual, -self.threshold)
        ) * self.threshold
        residual -= sent
        return sent


def compressed_size(size: int) -> int:
    """How many float32 words hold the 2bit codes of ``size`` values (16 per word)."""
    return (int(size) + 15) // 16


def quantize_2bit(grad, residual, threshold):
    """Quantize ``grad`` with error feedback as MXNet does; return the packed codes.

    ``residual`` (float32, same shape) is updated in place. The result is a float32 array of
    ``compressed_size(grad.size)`` words whose bytes are MXNet's.

    >>> residual = np.zeros(3, np.float32)
    >>> codes = quantize_2bit(np.array([0.6, -0.7, 0.1], np.float32), residual, 0.5)
    >>> codes.view(np.uint8)[:1], residual.round(4)
    (array([224], dtype=uint8), array([ 0.1, -0.2,  0.1], dtype=float32))
    """
    grad = np.asarray(grad, dtype=np.float32).reshape(-1)
    flat = residual.reshape(-1)
    if flat.size != grad.size or residual.dtype != np.float32:
        raise MXNetError(
            f"quantize_2bit: residual must be float32 of {grad.size} elements, got "
            f"{residual.dtype} of {flat.size}"
        )
    threshold = np.float32(threshold)
    flat += grad
    positive = flat >= threshold
    negative = ~positive & (flat <= -threshold)
    flat[positive] -= threshold
    flat[negative] += threshold
    codes = np.zeros(compressed_size(grad.size) * 16, np.uint8)
    codes[: grad.size][positive] = 3
    codes[: grad.size][negative] = 2
    # Four 2-bit codes per byte, the first element in the two most significant bits.
    quads = codes.reshape(-1, 4)
    packed = (quads[:, 0] << 6) | (quads[:, 1] << 4) | (quads[:, 2] << 2) | quads[:, 3]
    return packed.astype(np.uint8).view(np.float32)


def dequantize_2bit(codes, size, threshold):
    """Unpack ``size`` values from MXNet's 2bit ``codes``: +-threshold or 0 (float32)."""
    data = np.ascontiguousarray(codes, dtype=np.float32).view(np.uint8)
    if data.size * 4 < size:
        raise MXNetError(
            f"dequantize_2bit: {np.asarray(codes).size} words hold at most {data.size * 4} "
            f"values, not {size}"
        )
    shifts = np.array([6, 4, 2, 0], np.uint8)
    values = ((data[:, None] >> shifts) & 3).reshape(-1)[: int(size)]
    threshold = np.float32(threshold)
    out = np.zeros(int(size), np.float32)
    out[values == 3] = threshold
    out[values == 2] = -threshold
    return out
