"""``mxnet.runtime`` under the alias: which features the running neomx actually has.

MXNet 1.9.1 reports the options its C library was compiled with. neomx has no compiled library,
so each feature here says whether neomx *uses* it in this process: ``CUDA`` when CuPy imports and
sees a GPU (that is when neomx runs on ``mx.gpu()``), ``CUDNN``/``MKLDNN``/``NCCL``/``OPENCV``/
``TENSORRT`` never (neomx's kernels are NumPy/CuPy calls), ``BLAS_*`` from NumPy's build
information, ``CPU_*`` from the instruction sets NumPy dispatches to on this CPU,
``DIST_KVSTORE`` when mpi4py imports.
"""

from __future__ import annotations

import collections
import importlib.util

import numpy as np

__all__ = ["Feature", "Features", "feature_list"]

# MXNet 1.9.1's feature names, in its order.
FEATURE_NAMES = (
    "CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT", "CPU_SSE", "CPU_SSE2", "CPU_SSE3",
    "CPU_SSE4_1", "CPU_SSE4_2", "CPU_SSE4A", "CPU_AVX", "CPU_AVX2", "OPENMP", "SSE", "F16C",
    "JEMALLOC", "BLAS_OPEN", "BLAS_ATLAS", "BLAS_MKL", "BLAS_APPLE", "LAPACK", "MKLDNN", "OPENCV",
    "CAFFE", "PROFILER", "DIST_KVSTORE", "CXX14", "INT64_TENSOR_SIZE", "SIGNAL_HANDLER", "DEBUG",
    "TVM_OP",
)  # fmt: skip

# MXNet feature -> NumPy's name for the instruction set.
_CPU_FLAGS = {
    "CPU_SSE": "SSE", "CPU_SSE2": "SSE2", "CPU_SSE3": "SSE3", "CPU_SSE4_1": "SSE41",
    "CPU_SSE4_2": "SSE42", "CPU_AVX": "AVX", "CPU_AVX2": "AVX2", "SSE": "SSE", "F16C": "F16C",
}  # fmt: skip


class Feature:
    """One feature: its ``name`` and whether it is ``enabled``."""

    def __init__(self, name: str, enabled: bool):
        self.name = name
        self.enabled = bool(enabled)

    def __repr__(self):
        return f"{'✔' if self.enabled else '✖'} {self.name}"


def _cpu_features() -> dict:
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return dict(importlib.import_module(module).__cpu_features__)
        except (ImportError, AttributeError):
            continue
    return {}


def _blas_name() -> str:
    try:
        config = np.show_config(mode="dicts")
        return str(config["Build Dependencies"]["blas"]["name"]).lower()
    except Exception:  # older NumPy: no dict mode; the BLAS is then unknown
        return ""


def _cuda_enabled() -> bool:
    from ..context import num_gpus

    return num_gpus() > 0


def _detect() -> dict:
    cpu = _cpu_features()
    blas = _blas_name()
    enabled = {name: bool(cpu.get(flag)) for name, flag in _CPU_FLAGS.items()}
    enabled.update(
        CUDA=_cuda_enabled(),
        BLAS_OPEN="openblas" in blas,
        BLAS_MKL="mkl" in blas,
        BLAS_ATLAS="atlas" in blas,
        BLAS_APPLE="accelerate" in blas,
        LAPACK=True,  # numpy.linalg
        DIST_KVSTORE=importlib.util.find_spec("mpi4py") is not None,
        INT64_TENSOR_SIZE=True,  # NumPy indexes with 64-bit integers
    )
    return {name: enabled.get(name, False) for name in FEATURE_NAMES}


def feature_list() -> list:
    """Return the list of :class:`Feature` of this process, in MXNet 1.9.1's order."""
    return [Feature(name, on) for name, on in _detect().items()]


class Features(collections.OrderedDict):
    """The features of this process by name, as ``mxnet.runtime.Features`` gives them.

    Examples
    --------
    >>> features = Features()
    >>> features.is_enabled("MKLDNN")
    False
    """

    instance = None

    def __new__(cls):
        if cls.instance is None:
            cls.instance = super().__new__(cls)
            super().__init__(cls.instance, [(f.name, f) for f in feature_list()])
        return cls.instance

    def __init__(self):  # filled once, in __new__
        pass

    def __repr__(self):
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        """Return whether ``feature_name`` is enabled; raise RuntimeError for an unknown one."""
        name = feature_name.upper()
        if name not in self:
            raise RuntimeError(
                f"Feature '{feature_name}' is unknown, known features are: {list(self.keys())}"
            )
        return self[name].enabled
