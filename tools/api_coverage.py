"""Which public names of real MXNet 1.9.1's namespaces neomx has.

Two steps, because MXNet 1.9.1 and neomx need different NumPy versions:

    /opt/mxvenv/bin/python tools/api_coverage.py dump     # real MXNet -> tools/mxnet_api.json
    python tools/api_coverage.py [--missing]              # neomx: coverage per namespace

Names listed in ``EXCUSED`` are left out on purpose; each carries its reason.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

NAMESPACES = (
    "nd",
    "nd.random",
    "nd.linalg",
    "sym",
    "sym.random",
    "sym.linalg",
    "sym.contrib",
    "sym.Symbol",
)
API_FILE = Path(__file__).with_name("mxnet_api.json")

EXCUSED = {
    # Sparse storage (CSR/row_sparse) is not implemented yet.
    "cast_storage": "sparse-only",
    "sparse": "sparse-only",
    "_sparse_retain": "sparse-only",
    "sparse_retain": "sparse-only",
    "csr_matrix": "sparse-only",
    "row_sparse_array": "sparse-only",
    # Wrappers around C handles and the C library loader: nothing to call in neomx.
    "NDArrayBase": "C handle type of MXNet's ctypes layer",
    "CachedOp": "C-level object; hybridize covers it",
    "_LIB": "MXNet's C library",
    "check_call": "MXNet's C call helper",
    # Python plumbing of MXNet's generated modules, not API.
    **{
        name: "MXNet module plumbing"
        for name in (
            "gen__internal",
            "gen_contrib",
            "gen_image",
            "gen_op",
            "gen_sparse",
            "register",
            "utils",
            "numeric_types",
            "get_indexing_dispatch_code",
            "get_oshape_of_gather_nd_op",
            "indexing_key_expand_implicit_axes",
        )
    },
    # Later issues: the NumPy interface, mx.image (data issue), custom operators.
    **{name: "NumPy interface (later issue)" for name in ("np", "npx", "numpy", "numpy_extension")},
    "image": "mx.image (data issue)",
    "imdecode": "mx.image (data issue)",
    "Custom": "CustomOp API (later issue)",
    # Deprecated or legacy layers, left to the NN-operator issue's follow-ups.
    "Convolution_v1": "deprecated",
    "Pooling_v1": "deprecated",
}


# Names excused in one namespace only.
EXCUSED_IN = {
    # What MXNet's generated contrib module imports, not API.
    "sym.contrib": {
        name: "MXNet module plumbing"
        for name in (
            "AttrScope",
            "Symbol",
            "SymbolHandle",
            "ctypes",
            "math",
            "symbol",
            "copy",
            "uniform",
        )
    },
    "sym": {"gen_linalg": "MXNet module plumbing"},
    "sym.Symbol": {
        "as_np_ndarray": "NumPy interface (later issue)",
        "get_backend_symbol": "subgraph backends (MKLDNN/TensorRT) do not exist in neomx",
        "optimize_for": "subgraph backends (MKLDNN/TensorRT) do not exist in neomx",
    },
}


def public_names(module) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("__"))


def dump() -> None:
    import mxnet as mx

    found = {}
    for space in NAMESPACES:
        module = mx
        for part in space.split("."):
            module = getattr(module, part)
        found[space] = public_names(module)
    API_FILE.write_text(json.dumps({"mxnet": mx.__version__, "names": found}, indent=1) + "\n")
    print(f"wrote {API_FILE} ({sum(len(v) for v in found.values())} names)")


def coverage(show_missing: bool) -> int:
    import neomx

    reference = json.loads(API_FILE.read_text())["names"]
    total_missing = 0
    for space in NAMESPACES:
        module = neomx
        for part in space.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        excused = EXCUSED_IN.get(space, {})
        names = [
            n
            for n in reference[space]
            if not n.startswith("_") and n not in EXCUSED and n not in excused
        ]
        missing = [n for n in names if module is None or not hasattr(module, n)]
        total_missing += len(missing)
        share = 100.0 * (len(names) - len(missing)) / max(len(names), 1)
        print(f"mx.{space:<12} {len(names) - len(missing):4d} / {len(names):4d}  ({share:5.1f}%)")
        if show_missing and missing:
            print("    missing: " + ", ".join(missing))
    excused = sorted(EXCUSED)
    print(f"excused ({len(excused)}): " + ", ".join(f"{n} ({EXCUSED[n]})" for n in excused))
    for space, names in EXCUSED_IN.items():
        listed = ", ".join(f"{n} ({why})" for n, why in sorted(names.items()))
        print(f"excused in mx.{space}: {listed}")
    return total_missing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("dump", "report"), default="report")
    parser.add_argument("--missing", action="store_true", help="list the missing names")
    args = parser.parse_args(argv)
    if args.command == "dump":
        dump()
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    importlib.invalidate_caches()
    coverage(args.missing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
