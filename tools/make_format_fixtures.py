"""Golden NDArray files (FORMATS.md 1), checked in both directions between MXNet 1.9.1 and neomx.

Three modes::

    # MXNet -> neomx: write fixtures with the real mxnet 1.9.1 (tests read them, never mxnet)
    /opt/mxvenv/bin/python tools/make_format_fixtures.py write tests/fixtures/formats
    # neomx -> MXNet: write the same content (and a few neomx-only cases) with neomx ...
    /opt/devvenv/bin/python tools/make_format_fixtures.py neomx-write /tmp/neomx_formats
    # ... then check that mxnet reads those files to the expected values and re-saves them
    # byte for byte
    /opt/mxvenv/bin/python tools/make_format_fixtures.py check /tmp/neomx_formats

Every directory holds the array files, ``manifest.json`` (per file: how it was saved, names,
record semantics, whether neomx must reproduce its bytes) and ``expected.npz`` (the values a
reader must get, as plain numpy, key ``<case>.<index>``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import numpy as np

MANIFEST = "manifest.json"
EXPECTED = "expected.npz"
DTYPES = ("float16", "float32", "float64", "uint8", "int8", "int32", "int64", "bool")


# ---- content, as plain numpy ------------------------------------------------------------------
def _values(rng, dtype, shape):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 10).astype(dtype)
    if dtype.kind == "b":
        return rng.random_sample(shape) > 0.5
    info = np.iinfo(dtype)
    # int64 values beyond 32 bits make sure all 8 bytes are written.
    low, high = max(info.min, -(2**40)), min(info.max, 2**40)
    return rng.randint(low, high, size=shape, dtype=np.int64).astype(dtype)


def dense_cases():
    """The cases both MXNet and neomx can write: {case: (kind, names, arrays, numpy_semantics)}.

    ``kind`` is how ``save`` was called: 'list', 'dict' or 'single' (one bare array).
    """
    rng = np.random.RandomState(1901)
    shapes = [(2, 3), (4,), (1, 2, 2), (3, 1), (2, 2, 1, 2), (5,), (2, 3), (3, 2)]
    dtypes = {f"arg:{name}": _values(rng, name, shape) for name, shape in zip(DTYPES, shapes)}
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4e38], dtype=np.float32)
    plain = [
        _values(rng, "float32", (4,)),
        _values(rng, "float64", (2, 2, 2)),
        _values(rng, "int32", (1, 3)),
        _values(rng, "uint8", (5, 1, 1, 2)),
        specials,
    ]
    return {
        "dtypes": ("dict", list(dtypes), list(dtypes.values()), False),
        "list": ("list", None, plain, False),
        "single": ("single", None, [_values(rng, "float32", (3,))], False),
        "empty_list": ("list", None, [], False),
        "empty_dict": ("dict", [], [], False),
        "unicode_names": (
            "dict",
            ["gewicht_ä", "重み", "aux:running_mean"],
            [
                _values(rng, "float32", (2,)),
                _values(rng, "int8", (3,)),
                _values(rng, "float16", (1,)),
            ],
            False,
        ),
        "large": ("list", None, [_values(rng, "float32", (64, 48))], False),
        # FORMATS.md 1.8's NumPy-mode vector: a 0-d and a zero-size array in V3 records.
        "npx": ("list", None, [np.array(3.0, dtype=np.float32), np.ones((2, 0), np.float32)], True),
    }


def neomx_only_cases():
    """Cases only neomx writes (MXNet's legacy mx.nd cannot create these arrays)."""
    return {
        # Zero-size arrays go in V2 records; MXNet 1.9.1 loads them as zero-size NDArrays.
        "zero_size": (
            "dict",
            ["a", "b"],
            [np.zeros((2, 0), np.float32), np.zeros((0,), np.int64)],
            False,
        ),
        # 0-d arrays make neomx write the whole file in NumPy semantics (V3 records).
        "scalars": (
            "list",
            None,
            [np.array(2.5, np.float64), np.array(-7, np.int64), np.ones((2, 2), np.float16)],
            True,
        ),
    }


def _entry(file, kind, names, arrays, numpy_semantics, rewrite):
    return {
        "file": file,
        "kind": kind,
        "names": names,
        "count": len(arrays),
        "numpy_semantics": numpy_semantics,
        "rewrite": rewrite,
    }


def _package(kind, names, arrays):
    """What to pass to ``save`` for a case: a dict, a list or one bare array."""
    if kind == "dict":
        return dict(zip(names, arrays))
    return arrays[0] if kind == "single" else arrays


def _write_sidecars(directory, manifest, expected):
    with open(os.path.join(directory, MANIFEST), "w", encoding="utf-8") as stream:
        json.dump(manifest, stream, indent=1, ensure_ascii=False, sort_keys=True)
        stream.write("\n")
    np.savez(os.path.join(directory, EXPECTED), **expected)


def _file_name(case):
    return f"{case}.params" if case == "dtypes" else f"{case}.nd"


# ---- MXNet -> neomx ---------------------------------------------------------------------------
def write_mxnet(directory):
    """Write the fixtures with real mxnet 1.9.1."""
    import mxnet as mx

    os.makedirs(directory, exist_ok=True)
    manifest, expected = {}, {}
    for case, (kind, names, arrays, numpy_semantics) in dense_cases().items():
        file = _file_name(case)
        path = os.path.join(directory, file)
        if numpy_semantics:
            mx.npx.set_np()
            try:
                mx.npx.save(path, [mx.np.array(a, dtype=a.dtype) for a in arrays])
            finally:
                mx.npx.reset_np()
        else:
            nd = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
            mx.nd.save(path, _package(kind, names, nd))
        manifest[case] = _entry(file, kind, names, arrays, numpy_semantics, True)
        expected.update({f"{case}.{i}": a for i, a in enumerate(arrays)})
    for case, (kind, names, arrays, originals) in _mxnet_only_cases(mx).items():
        file = _file_name(case)
        mx.nd.save(os.path.join(directory, file), _package(kind, names, arrays))
        manifest[case] = _entry(file, kind, names, arrays, False, False)
        expected.update({f"{case}.{i}": a for i, a in enumerate(originals)})
    _write_sidecars(directory, manifest, expected)
    print(f"wrote {len(manifest)} fixture files with mxnet {mx.__version__} to {directory}")


def _mxnet_only_cases(mx):
    """Sparse and bfloat16 arrays: {case: (kind, names, mxnet arrays, expected numpy values)}."""
    sparse = mx.nd.sparse
    csr = sparse.csr_matrix(
        (np.array([1.0, 2.0], np.float32), np.array([1, 0]), np.array([0, 1, 2, 2])), shape=(3, 2)
    )
    row_sparse = sparse.row_sparse_array(
        (np.array([[2.0, 3.0]], np.float32), np.array([1])), shape=(3, 2)
    )
    csr64 = mx.nd.array(
        [[0, 1.5, 0, 0, -2], [0, 0, 0, 0, 0], [3, 0, 0, 4.25, 0], [0, 0, 0, 0, 7]], dtype="float64"
    ).tostype("csr")
    rows3d = sparse.row_sparse_array(
        (np.arange(8, dtype=np.int32).reshape(2, 2, 2), np.array([0, 3])), shape=(4, 2, 2)
    )
    empty_csr = mx.nd.zeros((3, 2), stype="csr")
    empty_rows = mx.nd.zeros((2, 3), stype="row_sparse", dtype="float16")
    sparse_arrays = [csr, row_sparse, csr64, rows3d, empty_csr, empty_rows]
    names = ["csr", "row_sparse", "csr_float64", "row_sparse_3d", "csr_empty", "row_sparse_empty"]
    bfloat16 = np.dtype([("bfloat16", np.uint16)])
    source = mx.nd.array([1.5, -2.25, 3.0e5, 1 / 3, 0.0, -1e-20], dtype="float32")
    bf = mx.nd.amp_cast(source, dtype=bfloat16)
    bf_values = mx.nd.amp_cast(bf, dtype="float32").asnumpy()
    return {
        "sparse": (
            "dict",
            names,
            sparse_arrays,
            [a.tostype("default").asnumpy() for a in sparse_arrays],
        ),
        "bfloat16": ("list", None, [bf], [bf_values]),
    }


# ---- neomx -> MXNet ---------------------------------------------------------------------------
def write_neomx(directory):
    """Write every dense case (and the neomx-only ones) with neomx, for ``check``."""
    import neomx as mx

    os.makedirs(directory, exist_ok=True)
    manifest, expected = {}, {}
    cases = {**dense_cases(), **neomx_only_cases()}
    for case, (kind, names, arrays, numpy_semantics) in cases.items():
        file = _file_name(case)
        nd = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
        mx.nd.save(os.path.join(directory, file), _package(kind, names, nd))
        manifest[case] = _entry(file, kind, names, arrays, numpy_semantics, True)
        expected.update({f"{case}.{i}": a for i, a in enumerate(arrays)})
    _write_sidecars(directory, manifest, expected)
    print(f"wrote {len(manifest)} files with neomx to {directory}")


def check(directory):
    """Check with mxnet that each file loads to the expected values and re-saves identically."""
    import mxnet as mx

    with open(os.path.join(directory, MANIFEST), encoding="utf-8") as stream:
        manifest = json.load(stream)
    with np.load(os.path.join(directory, EXPECTED), allow_pickle=False) as archive:
        expected = dict(archive)
    failures = 0
    for case, entry in sorted(manifest.items()):
        try:
            _check_one(mx, directory, case, entry, expected)
        except Exception as err:  # noqa: BLE001 - report every failing file, then fail
            failures += 1
            print(f"FAIL {entry['file']}: {type(err).__name__}: {err}")
        else:
            print(f"ok   {entry['file']}")
    print(f"{len(manifest) - failures} of {len(manifest)} files ok (mxnet {mx.__version__})")
    return 1 if failures else 0


def _check_one(mx, directory, case, entry, expected):
    path = os.path.join(directory, entry["file"])
    numpy_semantics = entry["numpy_semantics"]
    if numpy_semantics:
        mx.npx.set_np()
    try:
        loaded = (mx.npx.load if numpy_semantics else mx.nd.load)(path)
        if entry["names"]:
            assert isinstance(loaded, dict), f"expected a dict, got {type(loaded).__name__}"
            assert list(loaded) == entry["names"], f"names {list(loaded)} != {entry['names']}"
            arrays = list(loaded.values())
        else:
            assert isinstance(loaded, list), f"expected a list, got {type(loaded).__name__}"
            arrays = loaded
        assert len(arrays) == entry["count"], f"{len(arrays)} arrays, expected {entry['count']}"
        for index, array in enumerate(arrays):
            want = expected[f"{case}.{index}"]
            got = array.asnumpy()
            assert got.dtype == want.dtype, f"array {index}: dtype {got.dtype} != {want.dtype}"
            assert got.shape == want.shape, f"array {index}: shape {got.shape} != {want.shape}"
            np.testing.assert_array_equal(got, want, err_msg=f"array {index}")
            # Bit for bit, so that NaN payloads and the sign of zero count too.
            assert got.tobytes() == want.tobytes(), f"array {index}: bits differ"
        with tempfile.TemporaryDirectory() as scratch:
            again = os.path.join(scratch, "again.nd")
            (mx.npx.save if numpy_semantics else mx.nd.save)(again, loaded)
            with open(again, "rb") as stream, open(path, "rb") as original:
                resaved, written = stream.read(), original.read()
        assert resaved == written, (
            f"mxnet's re-save differs from neomx's file ({len(resaved)} vs {len(written)} bytes, "
            f"first difference at byte {_first_difference(resaved, written)})"
        )
    finally:
        if numpy_semantics:
            mx.npx.reset_np()


def _first_difference(left, right):
    return next(
        (i for i, (a, b) in enumerate(zip(left, right)) if a != b), min(len(left), len(right))
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("mode", choices=("write", "neomx-write", "check"))
    parser.add_argument("directory")
    args = parser.parse_args(argv)
    if args.mode == "write":
        write_mxnet(args.directory)
    elif args.mode == "neomx-write":
        write_neomx(args.directory)
    else:
        return check(args.directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
