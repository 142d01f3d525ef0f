"""Make the ``mxnet`` alias permanent in one virtual environment, on request only.

``install_pth`` writes two files into the environment's site-packages: ``neomx_mxnet_alias.pth``
(one ``import`` line, which Python's ``site`` runs at start-up) and ``_neomx_mxnet_alias.py``, a
tiny import hook. The hook imports nothing until a program imports ``mxnet``; then it installs
the alias. ``NEOMX_MXNET_ALIAS=0`` in the environment turns the hook off for one run;
``uninstall_pth`` removes both files.
"""

from __future__ import annotations

import os
import sys
import sysconfig

PTH_NAME = "neomx_mxnet_alias.pth"
HOOK_NAME = "_neomx_mxnet_alias.py"

_PTH_TEXT = "import _neomx_mxnet_alias\n"
_HOOK_TEXT = '''"""Written by `python -m neomx.compat install-pth`: `import mxnet` runs neomx.

Remove with `python -m neomx.compat uninstall-pth`; NEOMX_MXNET_ALIAS=0 turns it off for one run.
"""

import os
import sys


class NeomxMXNetBootstrap:
    """Installs neomx's mxnet alias when a program first imports mxnet."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname != "mxnet" and not fullname.startswith("mxnet."):
            return None
        if NeomxMXNetBootstrap in sys.meta_path:
            sys.meta_path.remove(NeomxMXNetBootstrap)
        from neomx.compat import install_finder

        return install_finder().find_spec(fullname, path, target)


if os.environ.get("NEOMX_MXNET_ALIAS", "1") != "0":
    sys.meta_path.insert(0, NeomxMXNetBootstrap)
'''


def _site_dir(site_dir: str | None) -> str:
    if site_dir is not None:
        return site_dir
    if sys.prefix == sys.base_prefix:
        raise RuntimeError(
            "install-pth: this Python is not a virtual environment; the alias would apply to every "
            "program of the system Python. Activate a venv, or name the directory with --site"
        )
    return sysconfig.get_paths()["purelib"]


def install_pth(site_dir: str | None = None, force: bool = False) -> list:
    """Write the start-up hook into ``site_dir`` (default: this venv's site-packages).

    Refuses when a real ``mxnet`` is installed (it would be hidden) unless ``force``.
    Returns the paths written.
    """
    directory = _site_dir(site_dir)
    real = None if force else _real_mxnet()
    if real is not None:
        raise RuntimeError(
            f"install-pth: a real MXNet is installed at {real}; the alias would hide it. "
            "Uninstall it first, or pass --force"
        )
    os.makedirs(directory, exist_ok=True)
    written = []
    for name, text in ((HOOK_NAME, _HOOK_TEXT), (PTH_NAME, _PTH_TEXT)):
        path = os.path.join(directory, name)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
        written.append(path)
    return written


def uninstall_pth(site_dir: str | None = None) -> list:
    """Remove the start-up hook from ``site_dir``; return the paths removed."""
    directory = _site_dir(site_dir)
    removed = []
    for name in (PTH_NAME, HOOK_NAME):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            os.remove(path)
            removed.append(path)
    return removed


def _real_mxnet() -> str | None:
    """The location of a real ``mxnet`` package on sys.path, ignoring the alias."""
    for entry in sys.path:
        candidate = os.path.join(entry or os.getcwd(), "mxnet", "__init__.py")
        if os.path.isfile(candidate):
            return os.path.dirname(candidate)
    return None
