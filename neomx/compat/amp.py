"""``mxnet.contrib.amp`` (and ``mxnet.contrib.amp.amp``) under the alias.

Automatic mixed precision is not implemented by neomx (its ``amp_cast`` operators exist for
loading graphs that contain them). Libraries import this module and read ``_amp_initialized``
to see whether AMP is on: it never is, and turning it on raises ``MXNetNotImplementedError``.
"""

from __future__ import annotations

import sys

from ..base import MXNetNotImplementedError

__all__ = ["init", "init_trainer", "scale_loss", "unscale", "convert_model", "convert_hybrid_block"]

# A package under the alias (``mxnet.contrib.amp.amp`` is this module again).
__path__: list = []

_amp_initialized = False


def _refuse(name):
    def refuse(*args, **kwargs):
        raise MXNetNotImplementedError(
            f"contrib.amp.{name}: automatic mixed precision is not implemented in neomx; "
            "train in float32, or cast the model and data with astype/cast explicitly"
        )

    refuse.__name__ = name
    refuse.__doc__ = "Not implemented in neomx: raises ``MXNetNotImplementedError``."
    return refuse


init = _refuse("init")
init_trainer = _refuse("init_trainer")
scale_loss = _refuse("scale_loss")
unscale = _refuse("unscale")
convert_model = _refuse("convert_model")
convert_hybrid_block = _refuse("convert_hybrid_block")
convert_symbol = _refuse("convert_symbol")

amp = sys.modules[__name__]
