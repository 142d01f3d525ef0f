"""``mx.nd.save`` / ``mx.nd.load``: MXNet's NDArray list files, byte for byte (FORMATS.md 1).

A file is a header (list magic, reserved word, array count), the array records (see
``records``) and an optional list of names. neomx writes what MXNet 1.9.1 writes; it reads every
record version MXNet wrote, never unpickles anything, and turns a truncated or hostile file into
an ``MXNetValueError`` that names the file and the problem.
"""

from __future__ import annotations

import os
import struct
import uuid

import numpy as np

from ..base import MXNetOSError, MXNetTypeError, MXNetValueError
from ..context import cpu
from .creation import _from_host
from .ndarray import NDArray
from .records import Cursor, read_record, write_record

__all__ = ["save", "load", "load_frombuffer", "array_to_record", "array_from_record"]

LIST_MAGIC = 0x112
_LIST_HEADER = struct.Struct("<QQQ")  # list magic, reserved (0), array count
_U64 = struct.Struct("<Q")
# The smallest record that loads (pre-V1, shape (0,)) takes this many bytes; an array count
# that cannot fit in the file is rejected before anything is read.
_MIN_RECORD_BYTES = 20


def save(fname, data) -> None:
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray to ``fname``.

    The file has the bytes MXNet 1.9.1's ``mx.nd.save`` writes for the same arrays (V2 records,
    device recorded as cpu(0)), so MXNet loads it. A dict keeps its order and names; a single
    array is saved as a list of one. 0-d arrays, which MXNet's legacy records cannot hold, make
    neomx write the whole file in NumPy semantics (V3 records, as ``mx.npx.save``), which
    MXNet reads with ``mx.npx.load``. The file is replaced atomically: it is written to a
    temporary file in the same directory, then renamed, so a failed save leaves no partial file
    and an existing file intact.

    Parameters
    ----------
    fname : str or os.PathLike
        The file to write.
    data : NDArray, list or tuple of NDArray, or dict of str to NDArray
        What to save.

    Examples
    --------
    >>> x = mx.nd.ones((2, 3))
    >>> mx.nd.save('arrays.nd', {'x': x})
    >>> mx.nd.load('arrays.nd')['x'].shape
    (2, 3)
    """
    names, arrays = _split(data)
    hosts = [_host_array(array) for array in arrays]
    pieces = _file_pieces(names, hosts)
    _write_atomically(os.fspath(fname), pieces)


def load(fname):
    """Load the arrays that ``save`` (or MXNet's ``mx.nd.save`` / ``npx.save``) wrote.

    Returns a list when the file has no names and a dict (in file order) when it has them; an
    empty list and an empty dict both come back as ``[]``, as in MXNet. Arrays are loaded onto
    ``cpu(0)``; the device recorded in the file is ignored. Every record version is read:

    - V2 (``mx.nd``, Gluon 1.x, Module) and the older V1 and pre-V1 records: NDArrays.
    - V3 (NumPy semantics, ``npx.save``): also NDArrays, 0-d and zero-size shapes included.
    - Sparse records (csr, row_sparse): neomx has no sparse arrays yet, so they are loaded as
      the equivalent dense NDArray.
    - bfloat16 (dtype flag 12, written by MXNet's AMP): neomx has no bfloat16 dtype, so these
      arrays are converted exactly to float32.

    A file that is not an MXNet NDArray file, or is truncated or corrupted, raises
    ``MXNetValueError`` naming the file and the problem. Nothing is unpickled or executed.

    Parameters
    ----------
    fname : str or os.PathLike
        The file to read.

    Returns
    -------
    list of NDArray or dict of str to NDArray

    Examples
    --------
    >>> mx.nd.save('arrays.nd', [mx.nd.zeros((2,)), mx.nd.ones((3,))])
    >>> [x.shape for x in mx.nd.load('arrays.nd')]
    [(2,), (3,)]
    """
    path = os.fspath(fname)
    try:
        with open(path, "rb") as stream:
            content = stream.read()
    except OSError as err:
        raise MXNetOSError(f"load: cannot read {path!r}: {err.strerror}") from err
    return _parse(content, repr(path))


def load_frombuffer(buf):
    """Load arrays from the bytes of a file that ``save`` wrote (see ``load``).

    Parameters
    ----------
    buf : bytes, bytearray or memoryview
        The file content.

    Returns
    -------
    list of NDArray or dict of str to NDArray

    Examples
    --------
    >>> mx.nd.save('arrays.nd', {'w': mx.nd.ones((2,))})
    >>> with open('arrays.nd', 'rb') as f:
    ...     mx.nd.load_frombuffer(f.read())['w'].asnumpy()
    array([1., 1.], dtype=float32)
    """
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise MXNetTypeError(
            f"load_frombuffer: expected bytes, bytearray or memoryview, got {type(buf).__name__}"
        )
    return _parse(buf, "load_frombuffer")


def array_to_record(array) -> bytes:
    """Return one array record (FORMATS.md 1.2) of ``array``, without the list header.

    These are the bytes MXNet keeps under ``'handle'`` when it pickles an NDArray: V2, or V3
    for a 0-d array.

    Examples
    --------
    >>> record = array_to_record(mx.nd.ones((2,)))
    >>> len(record), array_from_record(record).shape
    (40, (2,))
    """
    if not isinstance(array, NDArray):
        raise MXNetTypeError(f"array_to_record: expected an NDArray, got {type(array).__name__}")
    host = _host_array(array)
    return b"".join(write_record(host, host.ndim == 0))


def array_from_record(record) -> NDArray:
    """Return the NDArray (on cpu(0)) held by one array record, the inverse of ``array_to_record``.

    Examples
    --------
    >>> array_from_record(array_to_record(mx.nd.array([1, 2]))).asnumpy()
    array([1., 2.], dtype=float32)
    """
    cursor = Cursor(record, "array record")
    values, _ = read_record(cursor)
    if cursor.remaining:
        raise cursor.error(f"{cursor.remaining} bytes follow the record")
    return _from_host(values, cpu(0))


# ---- writing ----------------------------------------------------------------------------------
def _split(data) -> tuple[list | None, list]:
    """Return (names or None, arrays) for what ``save`` accepts, checking every type first."""
    if isinstance(data, NDArray):
        return None, [data]
    if isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            if not isinstance(value, NDArray):
                raise MXNetTypeError(
                    f"save: item {index} has type {type(value).__name__}; "
                    "a list can only hold NDArrays"
                )
        return None, list(data)
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise MXNetTypeError(f"save: dict key {key!r} is not a str")
            if not isinstance(value, NDArray):
                raise MXNetTypeError(
                    f"save: the value of {key!r} has type {type(value).__name__}, not NDArray"
                )
        return list(data.keys()), list(data.values())
    # MXNet raises ValueError here (and TypeError for bad items), so match both.
    raise MXNetValueError(
        f"save: data has type {type(data).__name__}; expected an NDArray, a list of NDArrays "
        "or a dict of str -> NDArray"
    )


def _host_array(array: NDArray) -> np.ndarray:
    """The array's values as a host numpy array, without a copy for CPU arrays."""
    array.wait_to_read()
    data = array._data
    return data.get() if array.context.device_typeid == 2 else data


def _file_pieces(names: list | None, hosts: list) -> list:
    # MXNet refuses a file that mixes record versions, so one 0-d array (V3 only) makes the
    # whole file NumPy-semantics, where every other shape is representable too.
    # TODO(serialization): write V3 exactly for mx.np arrays once mx.np exists.
    numpy_semantics = any(host.ndim == 0 for host in hosts)
    pieces = [_LIST_HEADER.pack(LIST_MAGIC, 0, len(hosts))]
    for host in hosts:
        pieces.extend(write_record(host, numpy_semantics))
    encoded = [name.encode("utf-8") for name in names or ()]
    pieces.append(_U64.pack(len(encoded)))
    for name in encoded:
        pieces.append(_U64.pack(len(name)) + name)
    return pieces


def _write_atomically(path: str, pieces: list) -> None:
    directory, base = os.path.split(path)
    # Same directory, so that os.replace is an atomic rename; the name is cut so that it stays
    # within the file system's name length limit whenever the target name does.
    temporary = os.path.join(directory, f".{base[:64]}.{uuid.uuid4().hex}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as a plain open() would.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            for piece in pieces:
                stream.write(piece)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


# ---- reading ----------------------------------------------------------------------------------
def _parse(buffer, source: str):
    cursor = Cursor(buffer, source)
    if cursor.remaining < _LIST_HEADER.size:
        raise cursor.error(
            f"only {cursor.remaining} bytes, too short for the {_LIST_HEADER.size}-byte header "
            "of an MXNet NDArray file"
        )
    magic = cursor.u64("list magic")
    if magic != LIST_MAGIC:
        raise cursor.error(
            f"bad list magic 0x{magic:X} (expected 0x{LIST_MAGIC:X}), not an MXNet NDArray file"
        )
    cursor.u64("reserved word")
    count = cursor.u64("array count")
    if count > cursor.remaining // _MIN_RECORD_BYTES:
        raise cursor.error(
            f"array count {count} cannot fit in the {cursor.remaining} bytes that remain"
        )
    hosts = []
    for index in range(count):
        cursor.context = f"record {index}: "
        hosts.append(read_record(cursor)[0])
    cursor.context = ""
    names = _read_names(cursor, count)
    # MXNet ignores anything after the names; so does neomx.
    arrays = [_from_host(host, cpu(0)) for host in hosts]
    if not names:
        return arrays
    return dict(zip(names, arrays))


def _read_names(cursor: Cursor, count: int) -> list:
    name_count = cursor.u64("name count")
    if name_count not in (0, count):
        raise cursor.error(f"name count {name_count} is neither 0 nor the array count {count}")
    names = []
    for index in range(name_count):
        length = cursor.u64(f"length of name {index}")
        raw = cursor.take(length, f"name {index}")
        try:
            names.append(str(raw, "utf-8"))
        except UnicodeDecodeError as err:
            raise cursor.error(f"name {index} is not valid UTF-8 ({err.reason})") from None
    return names
