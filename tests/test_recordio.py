"""mx.recordio against RecordIO files written by MXNet 1.9.1 (tests/fixtures/image) and the
test vector of shared/FORMATS.md 3.5."""

import os
import pickle

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "image")
MAGIC = b"\x0a\x23\xd7\xce"
VECTOR_REC = bytes.fromhex(
    "0a23d7ce1d000000"
    "00000000000040400700000000000000000000000000000061626364650000 00"
    "0a23d7ce20000020"
    "020000000000000008000000000000000000000000000000"
    "0000803f00000040"
    "0a23d7ce03000060"
    "78797a00".replace(" ", "")
)


def _bytes(path):
    with open(path, "rb") as stream:
        return stream.read()


def _records():
    def raw(name):
        with open(os.path.join(FIXTURES, "src", name), "rb") as stream:
            return stream.read()

    return [
        (0, (0, 3.0, 100, 0), raw("rgb.png")),
        (1, (0, [1.0, 2.0, 5.0], 101, 0), raw("rgb.jpg")),
        (2, (0, 7.0, 102, 0), raw("gray.png")),
        (5, (0, 1.0, 103, 0), raw("big.jpg")),
        (7, (0, 0.5, 104, 0), b"abc" + MAGIC + b"d" + MAGIC * 2 + b"efgh"),
        (9, (0, [4.0], 105, 0), b""),
    ]


def _write(tmp_path, name, records):
    idx, rec = str(tmp_path / f"{name}.idx"), str(tmp_path / f"{name}.rec")
    with mx.recordio.MXIndexedRecordIO(idx, rec, "w") as writer:
        for key, header, payload in records:
            writer.write_idx(key, mx.recordio.pack(mx.recordio.IRHeader(*header), payload))
    return idx, rec


def test_format_test_vector(tmp_path):
    idx, rec = _write(
        tmp_path,
        "v",
        [(0, (0, 3.0, 7, 0), b"abcde"), (1, (0, [1.0, 2.0], 8, 0), MAGIC + b"xyz")],
    )
    data = _bytes(rec)
    assert data == VECTOR_REC
    assert data == _bytes(os.path.join(FIXTURES, "vector.rec"))
    assert _bytes(idx) == b"0\t0\n1\t40\n"


def test_written_bytes_equal_mxnet(tmp_path):
    idx, rec = _write(tmp_path, "mx", _records())
    for ours, theirs in ((rec, "mx.rec"), (idx, "mx.idx")):
        assert _bytes(ours) == _bytes(os.path.join(FIXTURES, theirs))


def test_read_mxnet_file_random_and_sequential():
    idx, rec = os.path.join(FIXTURES, "mx.idx"), os.path.join(FIXTURES, "mx.rec")
    reader = mx.recordio.MXIndexedRecordIO(idx, rec, "r")
    assert reader.keys == [0, 1, 2, 5, 7, 9]
    for key, header, payload in reversed(_records()):
        got_header, got_payload = mx.recordio.unpack(reader.read_idx(key))
        assert got_payload == payload
        np.testing.assert_array_equal(got_header.label, np.float32(header[1]))
        assert got_header.id == header[2] and got_header.id2 == 0
        assert got_header.flag == (0 if np.isscalar(header[1]) else len(header[1]))
    reader.close()
    with mx.recordio.MXRecordIO(rec, "r") as sequential:
        payloads = [mx.recordio.unpack(sequential.read())[1] for _ in range(6)]
        assert sequential.read() is None
        sequential.reset()
        assert mx.recordio.unpack(sequential.read())[1] == payloads[0]
    assert payloads == [payload for _, _, payload in _records()]


def test_plain_records_and_tell(tmp_path):
    path = str(tmp_path / "plain.rec")
    writer = mx.recordio.MXIndexedRecordIO(str(tmp_path / "plain.idx"), path, "w")
    positions = []
    for i in range(5):
        positions.append(writer.tell())
        writer.write_idx(i, b"record_%d" % i)
    writer.close()
    assert positions == [0, 16, 32, 48, 64]
    reader = mx.recordio.MXRecordIO(path, "r")
    assert [reader.read() for _ in range(5)] == [b"record_%d" % i for i in range(5)]
    assert reader.read() is None


@pytest.mark.parametrize("payload", [b"", MAGIC, MAGIC * 3, b"ab" + MAGIC + b"cd", b"x" * 13])
def test_round_trip_with_magic(tmp_path, payload):
    path = str(tmp_path / "m.rec")
    with mx.recordio.MXRecordIO(path, "w") as writer:
        writer.write(payload)
        writer.write(b"next")
    with mx.recordio.MXRecordIO(path, "r") as reader:
        assert reader.read() == payload
        assert reader.read() == b"next"
    assert os.path.getsize(path) % 4 == 0


def test_corrupt_records_name_the_offset(tmp_path):
    path = tmp_path / "bad.rec"
    good = _bytes(os.path.join(FIXTURES, "vector.rec"))
    path.write_bytes(good[:40] + b"\x00\x00\x00\x00" + good[44:])
    reader = mx.recordio.MXRecordIO(str(path), "r")
    reader.read()
    with pytest.raises(MXNetError, match="offset 40.*magic"):
        reader.read()
    reader.close()
    path.write_bytes(good[:60])
    reader = mx.recordio.MXRecordIO(str(path), "r")
    reader.read()
    with pytest.raises(MXNetError, match="offset 40.*truncated"):
        reader.read()
    reader.close()


def test_errors(tmp_path):
    with pytest.raises(MXNetError, match="invalid flag"):
        mx.recordio.MXRecordIO(str(tmp_path / "x.rec"), "a")
    with pytest.raises(MXNetError, match="cannot open"):
        mx.recordio.MXRecordIO(str(tmp_path / "missing.rec"), "r")
    writer = mx.recordio.MXRecordIO(str(tmp_path / "x.rec"), "w")
    with pytest.raises(MXNetError, match="cannot read"):
        writer.read()
    writer.close()
    idx, rec = _write(tmp_path, "k", _records()[:1])
    reader = mx.recordio.MXIndexedRecordIO(idx, rec, "r")
    with pytest.raises(MXNetError, match="key 3"):
        reader.read_idx(3)
    with pytest.raises(ValueError, match="24 header bytes"):
        mx.recordio.unpack(b"abc")


def test_pickle_reopens(tmp_path):
    idx, rec = _write(tmp_path, "p", _records())
    reader = mx.recordio.MXIndexedRecordIO(idx, rec, "r")
    clone = pickle.loads(pickle.dumps(reader))
    assert clone.read_idx(7) == reader.read_idx(7)


def test_pack_unpack_img_bgr(tmp_path):
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (5, 6, 3)).astype(np.uint8)
    header = mx.recordio.IRHeader(0, 2.0, 3, 0)
    packed = mx.recordio.pack_img(header, img, img_fmt=".png")
    got_header, got = mx.recordio.unpack_img(packed)
    np.testing.assert_array_equal(got, img)
    assert got_header.label == 2.0
    # The stored PNG holds RGB: mx.image.imdecode (to_rgb) flips the BGR input back.
    decoded = mx.image.imdecode(mx.recordio.unpack(packed)[1]).asnumpy()
    np.testing.assert_array_equal(decoded, img[:, :, ::-1])
    gray = mx.recordio.unpack_img(packed, 0)[1]
    assert gray.shape == (5, 6)
    jpeg = mx.recordio.unpack_img(mx.recordio.pack_img(header, img, quality=100))[1]
    assert jpeg.shape == img.shape
