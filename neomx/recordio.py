"""``mx.recordio``: the dmlc RecordIO container (``.rec``), its text index (``.idx``) and the
image-record payload (``IRHeader`` + label(s) + encoded image), byte-compatible with MXNet 1.9.1.

The layout is described in shared/FORMATS.md section 3. Records are read and written by plain
Python file I/O; images are encoded and decoded with Pillow (OpenCV in MXNet). ``pack_img`` and
``unpack_img`` keep OpenCV's BGR channel order, as MXNet does.
"""

from __future__ import annotations

import numbers
import os
import struct
from collections import namedtuple
from multiprocessing import current_process

import numpy as np

from .base import MXNetError, MXNetValueError

__all__ = [
    "MXRecordIO",
    "MXIndexedRecordIO",
    "IRHeader",
    "pack",
    "unpack",
    "pack_img",
    "unpack_img",
]

# dmlc::RecordIOWriter::kMagic; on disk (little-endian) the bytes 0a 23 d7 ce.
_MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LENGTH_MASK = (1 << 29) - 1
_CHUNK_HEADER = struct.Struct("<II")


def _encode_lrec(cflag: int, length: int) -> int:
    return (cflag << 29) | length


class MXRecordIO:
    """Read or write a RecordIO file sequentially.

    Parameters
    ----------
    uri : str
        Path of the ``.rec`` file.
    flag : str
        ``'w'`` to write (the file is truncated) or ``'r'`` to read.

    Examples
    --------
    >>> writer = mx.recordio.MXRecordIO('tmp.rec', 'w')
    >>> for i in range(3):
    ...     writer.write(b'record_%d' % i)
    >>> writer.close()
    >>> reader = mx.recordio.MXRecordIO('tmp.rec', 'r')
    >>> reader.read()
    b'record_0'
    """

    def __init__(self, uri, flag):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid = None
        self.is_open = False
        self.writable = flag == "w"
        self._file = None
        self.open()

    # ---- lifecycle ---------------------------------------------------------------------------
    def open(self):
        """Open the record file (for writing it is truncated)."""
        if self.flag == "w":
            self._file = open(self.uri, "wb")
            self.writable = True
        elif self.flag == "r":
            try:
                self._file = open(self.uri, "rb")
            except OSError as err:
                raise MXNetError(
                    f"MXRecordIO: cannot open {self.uri!r} for reading: {err}"
                ) from err
            self.writable = False
        else:
            raise MXNetValueError(f"MXRecordIO: invalid flag {self.flag!r}; expected 'r' or 'w'")
        self.pid = current_process().pid
        self.is_open = True

    def close(self):
        """Close the record file; closing twice is harmless."""
        if not self.is_open:
            return
        self._file.close()
        self._file = None
        self.is_open = False
        self.pid = None

    def reset(self):
        """Go back to the first record (in write mode this truncates the file)."""
        self.close()
        self.open()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __getstate__(self):
        # Pickled readers (DataLoader workers) reopen the file in the new process.
        state = dict(self.__dict__)
        state["is_open"] = self.is_open
        state["_file"] = None
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        was_open = state["is_open"]
        self.is_open = False
        if was_open:
            self.open()

    def _check_pid(self, allow_reset=False):
        """A handle opened in another process is reopened (reading) or refused (writing)."""
        if self.pid != current_process().pid:
            if allow_reset:
                self.reset()
            else:
                raise MXNetError("MXRecordIO: forbidden operation in multiple processes")

    def _require(self, writable):
        if not self.is_open:
            raise MXNetError(f"MXRecordIO: {self.uri!r} is closed")
        if writable != self.writable:
            mode = "write" if writable else "read"
            raise MXNetError(
                f"MXRecordIO: {self.uri!r} was opened with flag {self.flag!r}; cannot {mode}"
            )

    # ---- writing -----------------------------------------------------------------------------
    def write(self, buf):
        """Append ``buf`` (bytes) as one record."""
        self._require(writable=True)
        self._check_pid(allow_reset=False)
        if isinstance(buf, str):
            buf = buf.encode("utf-8")
        buf = bytes(buf)
        if len(buf) > _LENGTH_MASK:
            raise MXNetValueError(
                f"MXRecordIO.write: a record holds at most {_LENGTH_MASK} bytes, got {len(buf)}"
            )
        self._file.write(_encode_record(buf))

    # ---- reading -----------------------------------------------------------------------------
    def read(self):
        """Return the next record as bytes, or None at the end of the file."""
        self._require(writable=False)
        self._check_pid(allow_reset=False)
        return _read_record(self._file, self.uri)


def _encode_record(buf: bytes) -> bytes:
    """The chunks of one record: split wherever an aligned word equals the magic."""
    parts = []
    start = 0
    # NOTE: dmlc scans only whole aligned words; a magic straddling an alignment is kept.
    for offset in range(0, len(buf) - 3, 4):
        if buf[offset : offset + 4] == _MAGIC_BYTES:
            parts.append(buf[start:offset])
            start = offset + 4
    parts.append(buf[start:])
    out = bytearray()
    for index, part in enumerate(parts):
        if len(parts) == 1:
            cflag = 0
        elif index == 0:
            cflag = 1
        elif index == len(parts) - 1:
            cflag = 3
        else:
            cflag = 2
        out += _CHUNK_HEADER.pack(_MAGIC, _encode_lrec(cflag, len(part)))
        out += part
        out += b"\x00" * (-len(part) % 4)
    return bytes(out)


def _read_record(stream, uri) -> bytes | None:
    """Read one (possibly split) record from ``stream``; None at a clean end of file."""
    pieces = []
    while True:
        offset = stream.tell()
        header = stream.read(8)
        if not header and not pieces:
            return None
        if len(header) < 8:
            raise MXNetError(
                f"MXRecordIO: corrupt record in {uri!r} at offset {offset}: truncated chunk "
                f"header ({len(header)} of 8 bytes)"
            )
        magic, lrec = _CHUNK_HEADER.unpack(header)
        if magic != _MAGIC:
            raise MXNetError(
                f"MXRecordIO: corrupt record in {uri!r} at offset {offset}: bad magic "
                f"0x{magic:08x} (expected 0x{_MAGIC:08x})"
            )
        cflag, length = lrec >> 29, lrec & _LENGTH_MASK
        expected = (0, 1) if not pieces else (2, 3)
        if cflag not in expected:
            raise MXNetError(
                f"MXRecordIO: corrupt record in {uri!r} at offset {offset}: chunk flag {cflag} "
                f"where {' or '.join(map(str, expected))} was expected"
            )
        payload = stream.read(length)
        if len(payload) < length:
            raise MXNetError(
                f"MXRecordIO: corrupt record in {uri!r} at offset {offset}: payload truncated "
                f"({len(payload)} of {length} bytes)"
            )
        stream.read(-length % 4)
        pieces.append(payload)
        if cflag in (0, 3):
            return _MAGIC_BYTES.join(pieces)


class MXIndexedRecordIO(MXRecordIO):
    """Read or write a RecordIO file with random access through a ``.idx`` index.

    Parameters
    ----------
    idx_path : str
        Path of the index file (``<key>\\t<offset>`` lines).
    uri : str
        Path of the ``.rec`` file.
    flag : str
        ``'w'`` or ``'r'``.
    key_type : type
        Type of the keys (``int`` by default).

    Examples
    --------
    >>> writer = mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'w')
    >>> for i in range(3):
    ...     writer.write_idx(i, b'record_%d' % i)
    >>> writer.close()
    >>> mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'r').read_idx(2)
    b'record_2'
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = os.fspath(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx = {}
        self.keys = []
        if self.writable:
            self.fidx = open(self.idx_path, "w")
            return
        try:
            with open(self.idx_path) as stream:
                lines = stream.readlines()
        except OSError as err:
            super().close()
            raise MXNetError(
                f"MXIndexedRecordIO: cannot open index {self.idx_path!r}: {err}"
            ) from err
        for number, line in enumerate(lines, 1):
            fields = line.strip().split("\t")
            if fields == [""]:
                continue
            try:
                key, offset = self.key_type(fields[0]), int(fields[1])
            except (ValueError, IndexError) as err:
                raise MXNetError(
                    f"MXIndexedRecordIO: {self.idx_path!r} line {number}: expected "
                    f"'<key>\\t<offset>', got {line.rstrip()!r}"
                ) from err
            self.idx[key] = offset
            self.keys.append(key)

    def close(self):
        if not self.is_open:
            return
        super().close()
        if self.fidx is not None:
            self.fidx.close()
            self.fidx = None

    def __getstate__(self):
        state = super().__getstate__()
        state["fidx"] = None
        return state

    def seek(self, idx):
        """Move the read position to the record with key ``idx``."""
        self._require(writable=False)
        self._check_pid(allow_reset=True)
        try:
            position = self.idx[idx]
        except KeyError as err:
            raise MXNetError(
                f"MXIndexedRecordIO: key {idx!r} is not in the index {self.idx_path!r}"
            ) from err
        self._file.seek(position)

    def tell(self):
        """Return the current write position (the offset the next record gets)."""
        self._require(writable=True)
        self._file.flush()
        return self._file.tell()

    def read_idx(self, idx):
        """Return the record with key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Append ``buf`` as the record with key ``idx`` and add it to the index."""
        key = self.key_type(idx)
        position = self.tell()
        self.write(buf)
        self.fidx.write(f"{key}\t{position}\n")
        self.idx[key] = position
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """The header of an image record.

Parameters
----------
flag : int
    The number of labels that follow the header (0: ``label`` holds the only label).
label : float or array of float
    The label, or the labels.
id : int
    A unique id of the record.
id2 : int
    The high bits of the id; normally 0.
"""

_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """Prepend an image-record header (and its labels) to the bytes ``s``.

    >>> packed = mx.recordio.pack(mx.recordio.IRHeader(0, 3.0, 7, 0), b'abc')
    >>> len(packed)
    27
    """
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(
            header.label.asnumpy() if hasattr(header.label, "asnumpy") else header.label,
            dtype=np.float32,
        )
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + bytes(s)
    return struct.pack(_IR_FORMAT, *header) + bytes(s)


def unpack(s):
    """Split a packed record into its ``IRHeader`` and the remaining bytes.

    >>> mx.recordio.unpack(mx.recordio.pack(mx.recordio.IRHeader(0, 3.0, 7, 0), b'abc'))
    (HEADER(flag=0, label=3.0, id=7, id2=0), b'abc')
    """
    if len(s) < _IR_SIZE:
        raise MXNetValueError(
            f"recordio.unpack: a record needs at least {_IR_SIZE} header bytes, got {len(s)}"
        )
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        if len(s) < header.flag * 4:
            raise MXNetValueError(
                f"recordio.unpack: header announces {header.flag} labels but only {len(s)} "
                "bytes follow"
            )
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4 :]
    return header, s


def unpack_img(s, iscolor=-1):
    """Unpack a record and decode its image to a numpy array in BGR order (as OpenCV does).

    ``iscolor``: -1 keeps the stored channels, 0 gives a 2-D grayscale image, 1 a 3-channel one.
    """
    from .image.codec import decode_to_numpy

    header, s = unpack(s)
    if iscolor < 0:
        mode = "unchanged"
    elif iscolor == 0:
        mode = "gray"
    else:
        mode = "color"
    img = decode_to_numpy(s, mode=mode, rgb=False)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    return header, img


def pack_img(header, img, quality=95, img_fmt=".jpg"):
    """Encode ``img`` (a numpy array, BGR as in OpenCV) and pack it with ``header``.

    ``quality`` is the JPEG quality, or for ``'.png'`` the compression level (0-9).
    """
    from .image.codec import encode_from_numpy

    buf = encode_from_numpy(np.asarray(img), img_fmt, quality, rgb=False)
    return pack(header, buf)
