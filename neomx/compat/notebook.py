"""``mxnet.notebook`` under the alias: its one submodule is ``callback``."""

from . import notebook_callback as callback

# A package under the alias: ``import mxnet.notebook.callback`` is resolved by the alias finder.
__path__: list = []

__all__ = ["callback"]
