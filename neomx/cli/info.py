"""``neomx info``: the version, the optional back ends present, the devices and the engine."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform

HELP = "show the neomx version, NumPy/CuPy/MPI availability, devices and engine"


def add_arguments(parser):
    del parser  # no options


def _version(distribution):
    """The installed version of ``distribution``, or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _blas():
    """The BLAS NumPy was built with, as 'name version', or None where NumPy does not say."""
    import numpy as np

    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.25 can only print it
        return None
    blas = config.get("Build Dependencies", {}).get("blas", {})
    name = blas.get("name")
    return f"{name} {blas.get('version', '')}".strip() if name else None


def _cupy_line():
    if importlib.util.find_spec("cupy") is None:
        return "not installed (GPUs: pip install 'neomx[gpu]')"
    from .. import context

    return f"{_version('cupy') or 'installed'}, {context.num_gpus()} GPU(s) visible"


def _mpi_line():
    if importlib.util.find_spec("mpi4py") is None:
        return "not installed (distributed KVStore: pip install 'neomx[dist]')"
    line = f"mpi4py {_version('mpi4py') or ''}".rstrip()
    try:
        from mpi4py import MPI

        library = MPI.Get_library_version().splitlines()[0].strip()
        line += f", {library}"
    except Exception as err:  # noqa: BLE001 - a broken MPI install is reported, not raised
        line += f" (cannot start MPI: {' '.join(str(err).split())})"
    return line


def report():
    """The lines ``neomx info`` prints."""
    import numpy as np

    from .. import __file__ as package_file
    from .. import __version__, context, engine

    gpus = context.num_gpus()
    devices = ["cpu(0)"] + [f"gpu({i})" for i in range(gpus)]
    blas = _blas()
    return [
        f"neomx        {__version__} ({os.path.dirname(package_file)})",
        f"Python       {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}",
        f"NumPy        {np.__version__}" + (f" ({blas})" if blas else ""),
        f"CuPy         {_cupy_line()}",
        f"MPI          {_mpi_line()}",
        f"devices      {', '.join(devices)} ({os.cpu_count()} CPU cores; cpu(i) for any i "
        "names a separate CPU device)",
        f"engine       {engine.get_engine().name} (set MXNET_ENGINE_TYPE to "
        "NaiveEngine or ThreadedEnginePerDevice)",
    ]


def run(args):
    del args
    print("\n".join(report()))
    return 0
