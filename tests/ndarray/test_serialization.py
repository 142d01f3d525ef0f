"""mx.nd.save / load / load_frombuffer and NDArray pickling (FORMATS.md 1).

Golden files in tests/fixtures/formats were written by MXNet 1.9.1 with
tools/make_format_fixtures.py; their expected values sit beside them as plain numpy.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError, MXNetTypeError, MXNetValueError
from neomx.ndarray import records
from neomx.ndarray.serialization import array_from_record, array_to_record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "formats"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
with np.load(FIXTURES / "expected.npz", allow_pickle=False) as _archive:
    EXPECTED = dict(_archive)
REWRITABLE = sorted(case for case, entry in MANIFEST.items() if entry["rewrite"])

DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int32", "int64", "bool"]
# Only the C++ side of MXNet knows these flags; neomx reads and writes them all the same.
EXTRA_DTYPES = ["int16", "uint16", "uint32", "uint64"]
V1, V2, V3 = records.V1_MAGIC, records.V2_MAGIC, records.V3_MAGIC

# FORMATS.md 1.8, written by MXNet 1.9.1.
DICT_VECTOR = bytes.fromhex(
    "1201000000000000 0000000000000000 0200000000000000"
    "c9fa93f9 00000000 02000000 0200000000000000 0300000000000000 01000000 00000000 00000000"
    "0000803f 00000040 00004040 00008040 0000a040 0000c040"
    "c9fa93f9 00000000 01000000 0500000000000000 01000000 00000000 06000000"
    "0000000000000000 0100000000000000 0200000000000000 0300000000000000 0400000000000000"
    "0200000000000000 0500000000000000 6172673a77 0500000000000000 6175783a62"
)
SPARSE_VECTOR = bytes.fromhex(
    "1201000000000000 0000000000000000 0200000000000000"
    "c9fa93f9 02000000 01000000 0200000000000000 02000000 0300000000000000 0200000000000000"
    "01000000 00000000 00000000 06000000 01000000 0400000000000000 06000000 01000000"
    "0200000000000000 0000803f 00000040 0000000000000000 0100000000000000 0200000000000000"
    "0200000000000000 0100000000000000 0000000000000000"
    "c9fa93f9 01000000 02000000 0100000000000000 0200000000000000 02000000 0300000000000000"
    "0200000000000000 01000000 00000000 00000000 06000000 01000000 0100000000000000"
    "00000040 00004040 0100000000000000"
    "0000000000000000"
)
NPX_VECTOR = bytes.fromhex(
    "1201000000000000 0000000000000000 0200000000000000"
    "cafa93f9 00000000 00000000 01000000 00000000 00000000 00004040"
    "cafa93f9 00000000 02000000 0200000000000000 0000000000000000 01000000 00000000 00000000"
    "0000000000000000"
)


# ---- helpers that build files by hand ---------------------------------------------------------
def list_file(records_, names=None, count=None):
    """A list file around raw records; ``count`` may lie."""
    out = struct.pack("<QQQ", 0x112, 0, len(records_) if count is None else count)
    out += b"".join(records_)
    names = names or []
    out += struct.pack("<Q", len(names))
    for name in names:
        out += struct.pack("<Q", len(name)) + name
    return out


def shape_bytes(shape, ndim=None):
    ndim = len(shape) if ndim is None else ndim
    return struct.pack(f"<i{len(shape)}q", ndim, *shape)


def tail(flag=0, device=(1, 0)):
    return struct.pack("<iii", *device, flag)


def v2_record(values, magic=V2, device=(1, 0)):
    flag = mx.base.dtype_flag(values.dtype)
    header = struct.pack("<Ii", magic, 0) + shape_bytes(values.shape)
    return header + tail(flag, device) + values.tobytes()


def load_bytes(content):
    return mx.nd.load_frombuffer(content)


def assert_same(array, want):
    got = array.asnumpy()
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert got.tobytes() == want.tobytes()  # NaN payloads and signed zeros too


def to_nd(values):
    return mx.nd.array(values, dtype=values.dtype)


# ---- MXNet 1.9.1 fixtures ---------------------------------------------------------------------
def fixture_values(case):
    entry = MANIFEST[case]
    return [EXPECTED[f"{case}.{index}"] for index in range(entry["count"])]


@pytest.mark.parametrize("case", sorted(MANIFEST))
def test_fixture_loads_to_expected_values(case):
    entry = MANIFEST[case]
    loaded = mx.nd.load(FIXTURES / entry["file"])
    if entry["names"]:
        assert isinstance(loaded, dict) and list(loaded) == entry["names"]
        arrays = list(loaded.values())
    else:
        assert isinstance(loaded, list)
        arrays = loaded
    wants = fixture_values(case)
    assert len(arrays) == len(wants)
    for array, want in zip(arrays, wants):
        assert isinstance(array, mx.nd.NDArray) and array.context == mx.cpu(0)
        assert_same(array, want)


@pytest.mark.parametrize("case", REWRITABLE)
def test_save_writes_mxnet_bytes(case, tmp_path):
    entry = MANIFEST[case]
    arrays = [to_nd(values) for values in fixture_values(case)]
    if entry["kind"] == "dict":
        data = dict(zip(entry["names"], arrays))
    else:
        data = arrays[0] if entry["kind"] == "single" else arrays
    mx.nd.save(tmp_path / "out.nd", data)
    assert (tmp_path / "out.nd").read_bytes() == (FIXTURES / entry["file"]).read_bytes()


@pytest.mark.parametrize("case", REWRITABLE)
def test_load_then_save_is_byte_identical(case, tmp_path):
    original = (FIXTURES / MANIFEST[case]["file"]).read_bytes()
    mx.nd.save(str(tmp_path / "again.nd"), load_bytes(original))
    assert (tmp_path / "again.nd").read_bytes() == original


def test_sparse_fixture_is_loaded_dense():
    loaded = mx.nd.load(FIXTURES / "sparse.nd")
    assert all(array.stype == "default" for array in loaded.values())
    np.testing.assert_array_equal(loaded["csr"].asnumpy(), [[0, 1], [2, 0], [0, 0]])


# ---- FORMATS.md test vectors ------------------------------------------------------------------
def test_dict_vector():
    loaded = load_bytes(DICT_VECTOR)
    assert list(loaded) == ["arg:w", "aux:b"]
    assert_same(loaded["arg:w"], np.array([[1, 2, 3], [4, 5, 6]], np.float32))
    assert_same(loaded["aux:b"], np.arange(5, dtype=np.int64))


def test_dict_vector_written(tmp_path):
    data = {
        "arg:w": mx.nd.array([[1, 2, 3], [4, 5, 6]]),
        "aux:b": mx.nd.array(np.arange(5), dtype="int64"),
    }
    mx.nd.save(tmp_path / "v.params", data)
    assert (tmp_path / "v.params").read_bytes() == DICT_VECTOR


def test_sparse_vector():
    csr, row_sparse = load_bytes(SPARSE_VECTOR)
    assert_same(csr, np.array([[0, 1], [2, 0], [0, 0]], np.float32))
    assert_same(row_sparse, np.array([[0, 0], [2, 3], [0, 0]], np.float32))


def test_npx_vector(tmp_path):
    scalar, empty = load_bytes(NPX_VECTOR)
    assert_same(scalar, np.array(3.0, np.float32))
    assert_same(empty, np.ones((2, 0), np.float32))
    mx.nd.save(tmp_path / "npx.nd", [scalar, empty])
    assert (tmp_path / "npx.nd").read_bytes() == NPX_VECTOR


# ---- round trips ------------------------------------------------------------------------------
def sample(dtype, shape):
    rng = np.random.RandomState(len(shape) * 31 + len(dtype))
    if dtype == "bool":
        return rng.random_sample(shape) > 0.5
    return (rng.standard_normal(shape) * 50).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES + EXTRA_DTYPES)
@pytest.mark.parametrize("shape", [(2, 3), (1,), (5, 1, 2), (2, 0, 3), (0,), ()], ids=str)
def test_dtype_round_trip(dtype, shape, tmp_path):
    values = sample(dtype, shape)
    mx.nd.save(tmp_path / "a.nd", {"x": to_nd(values)})
    assert_same(mx.nd.load(tmp_path / "a.nd")["x"], values)


@pytest.mark.parametrize("dtype", DTYPES)
def test_record_layout(dtype):
    values = sample(dtype, (3, 2))
    assert array_to_record(to_nd(values)) == v2_record(values)


def test_list_tuple_single_and_dict(tmp_path):
    a, b = mx.nd.ones((2,)), mx.nd.zeros((1, 3), dtype="int32")
    path = tmp_path / "f.nd"
    for data in ([a, b], (a, b)):
        mx.nd.save(path, data)
        assert [x.shape for x in mx.nd.load(path)] == [(2,), (1, 3)]
    mx.nd.save(path, a)
    (single,) = mx.nd.load(path)
    assert_same(single, np.ones(2, np.float32))
    mx.nd.save(path, {"b": b, "a": a})
    assert list(mx.nd.load(path)) == ["b", "a"]
    mx.nd.save(path, {})
    assert mx.nd.load(path) == []


def test_saves_views_and_non_contiguous_arrays(tmp_path):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    views = [base.T, base[1:3, ::2], base.reshape(2, 12)]
    mx.nd.save(tmp_path / "v.nd", [mx.nd.NDArray(view, mx.cpu(0)) for view in views])
    for loaded, view in zip(mx.nd.load(tmp_path / "v.nd"), views):
        assert_same(loaded, view)


def test_loaded_arrays_are_writable_copies():
    content = bytearray(DICT_VECTOR)
    loaded = load_bytes(content)["arg:w"]
    content[:] = bytes(len(content))
    assert loaded._data.flags.writeable
    assert loaded.asnumpy()[1].tolist() == [4, 5, 6]


def test_save_from_any_context_loads_on_cpu(ctx, tmp_path):
    values = sample("float32", (2, 2))
    mx.nd.save(tmp_path / "c.nd", [mx.nd.array(values, ctx=ctx)])
    (loaded,) = mx.nd.load(tmp_path / "c.nd")
    assert loaded.context == mx.cpu(0)
    assert_same(loaded, values)


def test_load_frombuffer_accepts_bytes_like():
    for buffer in (DICT_VECTOR, bytearray(DICT_VECTOR), memoryview(DICT_VECTOR)):
        assert list(mx.nd.load_frombuffer(buffer)) == ["arg:w", "aux:b"]
    with pytest.raises(MXNetTypeError, match="load_frombuffer"):
        mx.nd.load_frombuffer(DICT_VECTOR.hex())


@pytest.mark.parametrize("shape", [(2, 3), (), (0, 2)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_pickle_round_trip(shape, dtype):
    values = sample(dtype, shape)
    restored = pickle.loads(pickle.dumps(to_nd(values)))
    assert isinstance(restored, mx.nd.NDArray)
    assert_same(restored, values)


def test_record_rejects_trailing_bytes():
    record = array_to_record(mx.nd.ones((2,)))
    assert_same(array_from_record(record), np.ones(2, np.float32))
    with pytest.raises(MXNetValueError, match="2 bytes follow"):
        array_from_record(record + b"\0\0")


# ---- older and unusual records ----------------------------------------------------------------
def test_v1_record():
    values = sample("float64", (2, 3))
    record = struct.pack("<I", V1) + shape_bytes(values.shape) + tail(1) + values.tobytes()
    assert_same(load_bytes(list_file([record]))[0], values)


def test_pre_v1_record():
    values = sample("int32", (3, 1, 2))
    shape = struct.pack("<I3I", 3, *values.shape)  # ndim stands where the magic would be
    record = shape + tail(4) + values.tobytes()
    assert_same(load_bytes(list_file([record, record]))[1], values)


@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 1), (3,)], ids=str)
def test_v3_records_load_as_ndarray(shape):
    # TODO(serialization): expect mx.np.ndarray here once mx.np exists.
    values = sample("float32", shape)
    loaded = load_bytes(list_file([v2_record(values, magic=V3)], names=[b"x"]))["x"]
    assert type(loaded) is mx.nd.NDArray
    assert_same(loaded, values)


def test_bfloat16_loads_as_float32():
    bits = np.array([0x3F80, 0xC010, 0x0000, 0x7F80], dtype="<u2")  # 1, -2.25, 0, inf
    record = struct.pack("<Ii", V2, 0) + shape_bytes((2, 2)) + tail(12) + bits.tobytes()
    want = np.array([[1, -2.25], [0, np.inf]], np.float32)
    assert_same(load_bytes(list_file([record]))[0], want)


def test_device_fields_are_ignored():
    values = sample("float32", (2,))
    (loaded,) = load_bytes(list_file([v2_record(values, device=(2, 7))]))
    assert loaded.context == mx.cpu(0)
    assert_same(loaded, values)


def test_bytes_after_the_names_are_ignored():
    assert list(load_bytes(DICT_VECTOR + b"junk")) == ["arg:w", "aux:b"]


# ---- hostile and broken files -----------------------------------------------------------------
def old_records_file():
    v1 = struct.pack("<I", V1) + shape_bytes((2,)) + tail(6) + bytes(16)
    pre_v1 = struct.pack("<II", 1, 3) + tail(3) + bytes(3)
    return list_file([v1, pre_v1], names=[b"v1", b"pre-v1"])


TRUNCATED = {
    "dict vector": DICT_VECTOR,
    "sparse vector": SPARSE_VECTOR,
    "npx vector": NPX_VECTOR,
    "old records": old_records_file(),
    **{
        name: (FIXTURES / name).read_bytes()
        for name in ("sparse.nd", "bfloat16.nd", "unicode_names.nd")
    },
}


@pytest.mark.parametrize("case", sorted(TRUNCATED))
def test_every_truncation_raises_mxnet_error(case):
    content = TRUNCATED[case]
    assert len(load_bytes(content)) > 0
    for length in range(len(content)):
        with pytest.raises(MXNetValueError, match="load_frombuffer: "):
            load_bytes(content[:length])


def test_truncated_file_names_the_file_and_the_shortfall(tmp_path):
    path = tmp_path / "cut.params"
    path.write_bytes(DICT_VECTOR[:70])
    with pytest.raises(
        MXNetError, match=r"cut\.params': record 0: data needs 24 bytes but only 6 "
    ):
        mx.nd.load(path)


def test_random_corruption_never_escapes_mxnet_error(seed):
    rng = np.random.RandomState(seed)
    for content in (DICT_VECTOR, SPARSE_VECTOR, NPX_VECTOR):
        for _ in range(150):
            corrupted = bytearray(content)
            for position in rng.randint(0, len(content), size=rng.randint(1, 4)):
                corrupted[position] = rng.randint(256)
            try:
                load_bytes(bytes(corrupted))
            except MXNetError:
                pass


def dense_record(shape_part, flag=0, data=b""):
    return struct.pack("<Ii", V2, 0) + shape_part + tail(flag) + data


HOSTILE = {
    "empty file": (b"", "too short"),
    "wrong magic": (b"\x89PNG\r\n\x1a\n" + bytes(40), "bad list magic 0xA1A0A0D474E5089"),
    "lying array count": (list_file([], count=2**40), "array count 1099511627776 cannot fit"),
    "name count neither 0 nor N": (
        list_file([DICT_VECTOR[24:88]], names=[b"a", b"b"]),
        "name count 2 is neither 0 nor the array count 1",
    ),
    "huge name length": (
        list_file([DICT_VECTOR[24:88]])[:-8] + struct.pack("<QQ", 1, 2**62),
        "name 0 needs 4611686018427387904 bytes",
    ),
    "bad utf-8 name": (list_file([DICT_VECTOR[24:88]], names=[b"\xff\xfe"]), "not valid UTF-8"),
    "ndim too large": (list_file([dense_record(shape_bytes((), ndim=1000))]), "ndim 1000"),
    "negative ndim": (list_file([dense_record(shape_bytes((), ndim=-3))]), "ndim -3"),
    "negative dim": (list_file([dense_record(shape_bytes((2, -4)))]), "negative dimension"),
    "lying dims": (
        list_file([dense_record(shape_bytes((1000, 1000)), data=bytes(12))]),
        "record 0: data needs 4000000 bytes but only 20 remain",
    ),
    "dims that overflow": (
        list_file([dense_record(shape_bytes((2**40, 2**40, 2**40)))]),
        "too large",
    ),
    "zero-size with huge dims": (
        list_file([dense_record(shape_bytes((0, 2**62, 2**62)))]),
        "too large",
    ),
    "dims cut short": (
        list_file([dense_record(shape_bytes((2, 3)))[:20]])[:-8],
        r"record 0: shape \(2 dims\) needs 16 bytes but only 8 remain",
    ),
    "unknown dtype flag": (list_file([dense_record(shape_bytes((1,)), flag=99)]), "dtype flag 99"),
    "unknown storage type": (
        list_file([struct.pack("<Ii", V2, 7) + shape_bytes((1,))]),
        "unknown storage type 7",
    ),
    "bad record magic": (
        list_file([struct.pack("<I", 0xDEADBEEF) + bytes(40)]),
        "unknown record magic 0xDEADBEEF",
    ),
    "empty v2 record": (list_file([dense_record(shape_bytes(()))[:12]]), "empty"),
    "unknown v3 shape": (
        list_file([struct.pack("<Iii", V3, 0, -1)]),
        "empty",
    ),
    "unknown v3 dim": (
        list_file([struct.pack("<Ii", V3, 0) + shape_bytes((2, -1)) + tail()]),
        r"unknown dimension \(-1\)",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_raises_clear_error(case):
    content, message = HOSTILE[case]
    with pytest.raises(MXNetValueError, match=message):
        load_bytes(content)


def sparse_record(stype, storage_shape, shape, aux, values=b"", aux_flags=None):
    """A sparse V2 record; ``aux`` lists (shape, raw bytes) per aux array."""
    out = struct.pack("<Ii", V2, stype) + shape_bytes(storage_shape) + shape_bytes(shape)
    out += tail(0)
    for index, (aux_shape, _) in enumerate(aux):
        flag = 6 if aux_flags is None else aux_flags[index]
        out += struct.pack("<i", flag) + shape_bytes(aux_shape)
    return out + values + b"".join(raw for _, raw in aux)


def int64s(*values):
    return np.array(values, dtype="<i8").tobytes()


SPARSE_HOSTILE = {
    "csr indptr falls": (
        sparse_record(2, (1,), (2, 2), [((3,), int64s(0, 1, 0)), ((1,), int64s(0))], bytes(4)),
        "indptr must rise",
    ),
    "csr column out of range": (
        sparse_record(2, (1,), (2, 2), [((3,), int64s(0, 1, 1)), ((1,), int64s(5))], bytes(4)),
        "column index out of range",
    ),
    "csr wrong indptr length": (
        sparse_record(2, (1,), (2, 2), [((2,), int64s(0, 1)), ((1,), int64s(0))], bytes(4)),
        "csr parts do not fit",
    ),
    "csr not 2-d": (
        sparse_record(2, (0,), (2, 2, 2), [((3,), int64s(0, 0, 0)), ((0,), b"")]),
        "csr arrays are 2-D",
    ),
    "csr float indices": (
        sparse_record(2, (0,), (2, 2), [((3,), bytes(12)), ((0,), b"")], aux_flags=[0, 6]),
        "not an integer",
    ),
    "row index out of range": (
        sparse_record(1, (1, 2), (3, 2), [((1,), int64s(3))], bytes(8)),
        "row index out of range",
    ),
    "row_sparse rows of the wrong width": (
        sparse_record(1, (1, 3), (3, 2), [((1,), int64s(0))], bytes(12)),
        "row_sparse parts do not fit",
    ),
    "dense size beyond the limit": (
        sparse_record(2, (0,), (2**12, 2**20), [((2**12 + 1,), bytes(8 * 2**12 + 8)), ((0,), b"")]),
        "would take 17179869184 bytes as a dense array, more than the limit of 67108864",
    ),
}


@pytest.mark.parametrize("case", sorted(SPARSE_HOSTILE))
def test_hostile_sparse_record_raises(case):
    record, message = SPARSE_HOSTILE[case]
    with pytest.raises(MXNetValueError, match=message):
        load_bytes(list_file([record]))


def test_missing_file_raises_mxnet_error_that_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="absent.nd.*No such file") as caught:
        mx.nd.load(tmp_path / "absent.nd")
    assert isinstance(caught.value, MXNetError)


# ---- atomic save ------------------------------------------------------------------------------
BAD_DATA = {
    "list item": ([mx.nd.ones((1,)), np.ones(1)], MXNetTypeError, "item 1 has type ndarray"),
    "dict value": ({"a": mx.nd.ones((1,)), "b": 3}, MXNetTypeError, "'b' has type int"),
    "dict key": ({1: mx.nd.ones((1,))}, MXNetTypeError, "dict key 1 is not a str"),
    "container": (5, MXNetValueError, "data has type int"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_data_leaves_no_file_and_keeps_the_old_one(case, tmp_path):
    data, error, message = BAD_DATA[case]
    with pytest.raises(error, match=message):
        mx.nd.save(tmp_path / "new.nd", data)
    assert os.listdir(tmp_path) == []
    (tmp_path / "old.nd").write_bytes(DICT_VECTOR)
    with pytest.raises(error):
        mx.nd.save(tmp_path / "old.nd", data)
    assert os.listdir(tmp_path) == ["old.nd"]
    assert (tmp_path / "old.nd").read_bytes() == DICT_VECTOR


def test_failed_write_removes_the_temporary_file(tmp_path, monkeypatch):
    (tmp_path / "old.nd").write_bytes(DICT_VECTOR)

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        mx.nd.save(tmp_path / "old.nd", [mx.nd.ones((3,))])
    assert os.listdir(tmp_path) == ["old.nd"]
    assert (tmp_path / "old.nd").read_bytes() == DICT_VECTOR


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "w.nd"
    path.write_bytes(b"x" * 1000)
    mx.nd.save(
        str(path),
        {
            "arg:w": mx.nd.array([[1, 2, 3], [4, 5, 6]]),
            "aux:b": mx.nd.array(np.arange(5), dtype="int64"),
        },
    )
    assert path.read_bytes() == DICT_VECTOR
    assert os.listdir(tmp_path) == ["w.nd"]
