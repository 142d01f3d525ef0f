"""The ``mxnet`` alias: a meta-path finder that makes ``import mxnet[.X.Y]`` resolve to neomx.

Nothing here runs on ``import neomx``; :func:`install_mxnet_alias` puts the finder at the head of
``sys.meta_path`` and :func:`uninstall_mxnet_alias` takes it (and every ``mxnet*`` entry of
``sys.modules`` it made) away again.

How names map
-------------
``mxnet`` itself is a small proxy module (:class:`MXNetModule`): its ``__version__`` is the MXNet
API version neomx implements (``1.9.1``) and every other attribute comes from ``neomx`` or from
the table below, imported on first use. ``mxnet.A.B`` resolves through ``_RENAMES`` (first the
longest matching prefix), and otherwise to ``neomx.A.B``. A mapped module is the neomx module
*object itself*, so classes are shared: ``mxnet.nd.NDArray is neomx.nd.NDArray``, and
``isinstance`` works across both names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types

MXNET_VERSION = "1.9.1"
ALIAS = "mxnet"

# MXNet 1.9.1 module name (relative to ``mxnet``) -> the neomx module that implements it.
# Names not listed map to ``neomx.<same name>``; a listed prefix also maps its submodules
# (``mxnet.nd.random`` -> ``neomx.ndarray.random``).
_RENAMES = {
    "nd": "neomx.ndarray",
    "sym": "neomx.symbol",
    "init": "neomx.initializer",
    "kv": "neomx.kvstore",
    "mod": "neomx.module",
    "mon": "neomx.monitor",
    "viz": "neomx.visualization",
    "img": "neomx.image",
    "rnd": "neomx.random",
    "executor": "neomx.symbol.executor",
    "io.io": "neomx.io",
    "io.utils": "neomx.io",
    "kvstore.kvstore": "neomx.kvstore",
    "optimizer.optimizer": "neomx.optimizer",
    "base": "neomx.compat.base",
    "libinfo": "neomx.compat.libinfo",
    "runtime": "neomx.compat.runtime",
    "util": "neomx.compat.util",
    "notebook": "neomx.compat.notebook",
    "notebook.callback": "neomx.compat.notebook_callback",
    "contrib": "neomx.compat.contrib",
    "contrib.ndarray": "neomx.ndarray.contrib",
    "contrib.symbol": "neomx.symbol.contrib",
    "contrib.autograd": "neomx.compat.contrib_autograd",
    "contrib.text": "neomx.compat.text",
    "contrib.amp": "neomx.compat.amp",
    "contrib.amp.amp": "neomx.compat.amp",
    "profiler": "neomx.profiler",
    "operator": "neomx.operator",
    "error": "neomx.compat.base",
    "registry": "neomx.compat.registry",
}

# Parts of MXNet 1.9.1 that neomx does not implement: importing them raises ImportError with
# this explanation instead of a bare "No module named".
_UNSUPPORTED = {
    "np": "the NumPy-compatible interface (mxnet.np/npx, MXNet 2.0 style)",
    "npx": "the NumPy-compatible interface (mxnet.np/npx, MXNet 2.0 style)",
    "numpy": "the NumPy-compatible interface (mxnet.np/npx, MXNet 2.0 style)",
    "numpy_extension": "the NumPy-compatible interface (mxnet.np/npx, MXNet 2.0 style)",
    "rtc": "runtime-compiled CUDA kernels (mxnet.rtc)",
    "torch": "the Torch plugin (mxnet.torch)",
    "th": "the Torch plugin (mxnet.th)",
    "library": "loading compiled operator libraries (mxnet.library)",
    "tvmop": "TVM operators (mxnet.tvmop)",
}


def _target(fullname: str) -> str | None:
    """The neomx module name that implements the MXNet module ``fullname`` (``mxnet.X...``)."""
    if fullname == ALIAS:
        return None
    rest = fullname[len(ALIAS) + 1 :]
    parts = rest.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in _RENAMES:
            return ".".join([_RENAMES[prefix], *parts[cut:]])
    return "neomx." + rest


def _unsupported_error(fullname: str) -> ImportError | None:
    head = fullname[len(ALIAS) + 1 :].split(".")[0]
    if head in _UNSUPPORTED:
        # ImportError, not ModuleNotFoundError: ``from mxnet import np`` then shows this text.
        return ImportError(
            f"{fullname}: neomx does not implement {_UNSUPPORTED[head]}; "
            "it implements MXNet 1.9.1's nd/sym/gluon/module API",
            name=fullname,
        )
    return None


class MXNetModule(types.ModuleType):
    """The ``mxnet`` module under the alias: ``neomx`` with MXNet 1.9.1's version and names."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        import neomx

        if name not in _RENAMES and hasattr(neomx, name):
            value = getattr(neomx, name)
        elif name in _UNSUPPORTED:
            raise AttributeError(str(_unsupported_error(f"{ALIAS}.{name}")))
        else:
            try:
                value = importlib.import_module(f"{ALIAS}.{name}")
            except ModuleNotFoundError as err:
                if err.name not in (f"{ALIAS}.{name}", _target(f"{ALIAS}.{name}")):
                    raise
                extra = getattr(importlib.import_module("neomx.compat.util"), name, None)
                if extra is None:
                    raise AttributeError(f"module 'mxnet' has no attribute '{name}'") from None
                value = extra
        setattr(self, name, value)  # later lookups skip __getattr__
        return value

    def __dir__(self):
        import neomx

        names = set(super().__dir__()) | set(dir(neomx)) | set(_RENAMES)
        return sorted(n for n in names if "." not in n)


def _make_top_module(spec) -> MXNetModule:
    import neomx

    module = MXNetModule(ALIAS, "neomx under the MXNet 1.9.1 name (see neomx.compat)")
    module.__version__ = MXNET_VERSION
    module.__path__ = []  # a package, so that ``import mxnet.X`` asks our finder
    module.__neomx_version__ = neomx.__version__
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__package__ = ALIAS
    return module


class _AliasLoader(importlib.abc.Loader):
    """Hands out existing neomx modules (or the ``mxnet`` proxy) under their MXNet names."""

    def __init__(self, target: str | None):
        self.target = target
        self._saved_spec = None

    def create_module(self, spec):
        if self.target is None:
            return _make_top_module(spec)
        module = importlib.import_module(self.target)
        # NOTE: the import system overwrites ``__spec__`` of what create_module returns; the
        # neomx module keeps its own, restored in exec_module.
        self._saved_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        if self.target is not None:
            module.__spec__ = self._saved_spec


class MXNetAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``mxnet`` and ``mxnet.*`` and maps them to neomx (see the module docstring)."""

    def __init__(self):
        self.lock = threading.RLock()

    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        error = _unsupported_error(fullname) if fullname != ALIAS else None
        if error is not None:
            raise error
        neomx_name = _target(fullname)
        is_package = True
        if neomx_name is not None:
            loaded = sys.modules.get(neomx_name)
            if loaded is not None:  # also the generated namespaces (nd.op, sym.contrib...)
                is_package = hasattr(loaded, "__path__")
            else:
                try:
                    found = importlib.util.find_spec(neomx_name)
                except (ModuleNotFoundError, ValueError):
                    found = None
                if found is None:
                    return None  # the import system then raises ModuleNotFoundError('mxnet...')
                is_package = found.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(neomx_name), is_package=is_package
        )


_finder: MXNetAliasFinder | None = None
_install_lock = threading.Lock()


def is_installed() -> bool:
    """Return whether the ``mxnet`` alias is installed in this interpreter."""
    return _finder is not None and _finder in sys.meta_path


def install_finder() -> MXNetAliasFinder:
    """Put the alias finder at the head of ``sys.meta_path`` (if absent) and return it.

    Unlike :func:`install_mxnet_alias` this imports nothing, so an import hook may call it
    while ``import mxnet`` is in progress.
    """
    global _finder
    with _install_lock:
        if _finder is None:
            _finder = MXNetAliasFinder()
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        return _finder


def install_mxnet_alias() -> types.ModuleType:
    """Make ``import mxnet`` (and every ``mxnet.*`` module) resolve to neomx; return ``mxnet``.

    Idempotent. Raises ``ImportError`` if a different ``mxnet`` (real MXNet) is already
    imported, since two frameworks under one name cannot both be right.

    Examples
    --------
    >>> import neomx.compat
    >>> mx = neomx.compat.install_mxnet_alias()
    >>> import mxnet.ndarray as F
    >>> F.ones((2,)).asnumpy().tolist(), mx.__version__
    ([1.0, 1.0], '1.9.1')
    >>> neomx.compat.uninstall_mxnet_alias()
    """
    existing = sys.modules.get(ALIAS)
    if existing is not None and not isinstance(existing, MXNetModule):
        raise ImportError(
            f"install_mxnet_alias: a real 'mxnet' is already imported from "
            f"{getattr(existing, '__file__', '?')}; install the alias before importing it"
        )
    install_finder()
    return importlib.import_module(ALIAS)


def uninstall_mxnet_alias() -> None:
    """Remove the ``mxnet`` alias: the finder and every ``mxnet``/``mxnet.*`` module it made.

    Objects already created (NDArrays, Blocks) keep working: they are neomx objects.
    """
    with _install_lock:
        if _finder is not None and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        top = sys.modules.get(ALIAS)
        if top is not None and not isinstance(top, MXNetModule):
            return  # a real mxnet imported after the alias was removed: not ours to touch
        for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
            del sys.modules[name]  # each one is a neomx module under its MXNet name
