"""``mxnet.notebook`` under the alias: its one submodule is ``callback``."""

from . import notebook_callback as callback

__all__ = ["callback"]
