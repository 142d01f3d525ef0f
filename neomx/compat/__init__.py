"""Run unmodified MXNet 1.x code on neomx: the opt-in ``mxnet`` alias.

Three ways in, none of them silent:

* ``python -m neomx run prog.py args...`` runs one script with the alias installed;
* :func:`install_mxnet_alias` installs it in a running interpreter (embedding), and
  :func:`uninstall_mxnet_alias` removes it;
* ``python -m neomx.compat install-pth`` makes it permanent in a virtual environment (a ``.pth``
  hook that installs the alias on the first ``import mxnet``), ``uninstall-pth`` removes it.

Under the alias ``mxnet.__version__`` is ``'1.9.1'`` (the MXNet API neomx implements) while
``neomx.__version__`` stays neomx's, and ``mxnet.X`` *is* the neomx module (``mxnet.nd.NDArray is
neomx.nd.NDArray``). See docs/compat.md.
"""

from .alias import (
    MXNET_VERSION,
    install_finder,
    install_mxnet_alias,
    is_installed,
    uninstall_mxnet_alias,
)
from .launcher import run_module, run_script
from .pth import install_pth, uninstall_pth

__all__ = [
    "MXNET_VERSION",
    "install_finder",
    "install_mxnet_alias",
    "install_pth",
    "is_installed",
    "run_module",
    "run_script",
    "uninstall_mxnet_alias",
    "uninstall_pth",
]
