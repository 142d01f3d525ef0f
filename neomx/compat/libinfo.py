"""``mxnet.libinfo`` under the alias: the version and build features of what runs ``mxnet``.

neomx has no compiled library: :func:`find_lib_path` and :func:`find_include_path` return empty
results instead of paths to ``libmxnet.so``; ``features`` is :func:`neomx.compat.runtime.Features`.
"""

from __future__ import annotations

from .alias import MXNET_VERSION

__version__ = MXNET_VERSION


def find_lib_path(prefix: str = "libmxnet") -> list:
    """Return the paths of MXNet's shared library: none, since neomx is pure Python."""
    return []


def find_include_path() -> str:
    """Return MXNet's C++ include directory: ``''``, since neomx ships no C++ headers."""
    return ""


def find_conf_path(prefix: str = "tvmop") -> str:
    """Return the path of MXNet's TVM-op config: ``''``, neomx has no TVM operators."""
    return ""


def __getattr__(name):
    if name == "features":
        from .runtime import Features

        return Features()
    raise AttributeError(f"module 'mxnet.libinfo' has no attribute '{name}'")
