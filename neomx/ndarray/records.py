"""One array record of MXNet's NDArray file format (FORMATS.md 1.2-1.5): write and bounded read.

Writing produces exactly MXNet 1.9.1's dense records. Reading accepts every record version MXNet
ever wrote (pre-V1, V1, V2, V3; dense, csr, row_sparse) and checks each declared size against the
bytes that remain before it allocates anything, so a truncated or hostile file raises
``MXNetValueError`` instead of crashing, hanging or exhausting memory.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from ..base import MXNetTypeError, MXNetValueError, dtype_flag, dtype_from_flag

__all__ = ["Cursor", "write_record", "read_record", "V1_MAGIC", "V2_MAGIC", "V3_MAGIC"]

V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9  # legacy shape semantics (mx.nd)
V3_MAGIC = 0xF993FACA  # NumPy shape semantics (mx.np, npx.save)

_DENSE, _ROW_SPARSE, _CSR = 0, 1, 2
_STYPE_NAMES = {_DENSE: "dense", _ROW_SPARSE: "row_sparse", _CSR: "csr"}
_AUX_COUNT = {_ROW_SPARSE: 1, _CSR: 2}
_BFLOAT16_FLAG = 12
_CPU_DEVICE = (1, 0)  # MXNet writes (cpu, 0) for host arrays; neomx ignores it on load
# NumPy 1.x arrays have at most 32 dimensions, and MXNet never wrote more.
MAX_NDIM = 32
# A sparse record is densified on load (neomx has no sparse storage yet), and its dense size is
# not bounded by the file size. So that a small file cannot ask for gigabytes, the dense copy may
# take at most this many bytes, or this many times the bytes the record stores, if more.
SPARSE_DENSE_FLOOR = 64 * 1024**2
SPARSE_DENSE_RATIO = 1024
# NumPy refuses arrays whose nonzero dimensions multiply past this many bytes.
_MAX_NBYTES = 2**63 - 1

_HEADER = struct.Struct("<Iii")  # magic, storage type, ndim
_TAIL = struct.Struct("<iii")  # device type, device id, dtype flag


class Cursor:
    """Reads little-endian fields from a byte buffer, checking each size before reading it.

    ``source`` names the file (or buffer) and ``context`` the part being read, so that every
    error says where the problem is: ``'a.params': record 3: data needs 4000 bytes but ...``.
    """

    __slots__ = ("view", "offset", "source", "context")

    def __init__(self, buffer, source: str):
        try:
            self.view = memoryview(buffer).cast("B")
        except TypeError as err:
            raise MXNetTypeError(
                f"{source}: expected a contiguous bytes-like object, got {type(buffer).__name__}"
            ) from err
        self.offset = 0
        self.source = source
        self.context = ""

    @property
    def remaining(self) -> int:
        return len(self.view) - self.offset

    def error(self, message: str) -> MXNetValueError:
        return MXNetValueError(f"{self.source}: {self.context}{message}")

    def take(self, nbytes: int, what: str) -> memoryview:
        """Return the next ``nbytes`` bytes (a view, no copy) or raise if fewer remain."""
        if nbytes > self.remaining:
            raise self.error(f"{what} needs {nbytes} bytes but only {self.remaining} remain")
        start = self.offset
        self.offset += nbytes
        return self.view[start : self.offset]

    def unpack(self, layout: struct.Struct, what: str) -> tuple:
        return layout.unpack(self.take(layout.size, what))

    def u32(self, what: str) -> int:
        return struct.unpack("<I", self.take(4, what))[0]

    def i32(self, what: str) -> int:
        return struct.unpack("<i", self.take(4, what))[0]

    def u64(self, what: str) -> int:
        return struct.unpack("<Q", self.take(8, what))[0]


# ---- writing ----------------------------------------------------------------------------------
def write_record(host: np.ndarray, numpy_semantics: bool) -> list:
    """Return the pieces (bytes, then the data buffer) of one dense record for ``host``.

    ``numpy_semantics`` selects a V3 record (needed for 0-d arrays); otherwise V2, as ``mx.nd``.
    The data piece is a uint8 view of ``host`` when it is already C-contiguous little-endian, so
    large arrays reach the file without a copy.
    """
    flag = dtype_flag(host.dtype)
    magic = V3_MAGIC if numpy_semantics else V2_MAGIC
    header = _HEADER.pack(magic, _DENSE, host.ndim) + struct.pack(f"<{host.ndim}q", *host.shape)
    # NOTE: not np.ascontiguousarray, which turns a 0-d array into shape (1,) (FORMATS.md 4).
    data = np.asarray(host, dtype=host.dtype.newbyteorder("<"), order="C")
    return [header + _TAIL.pack(*_CPU_DEVICE, flag), data.reshape(-1).view(np.uint8)]


# ---- reading ----------------------------------------------------------------------------------
def read_record(cursor: Cursor) -> tuple[np.ndarray, bool]:
    """Read one record; return its values as a dense numpy array and whether it was V3.

    The array may be a read-only little-endian view of the buffer: the caller copies it.
    Device fields are skipped. Sparse records come back densified and bfloat16 as float32.
    """
    magic = cursor.u32("record magic")
    numpy_semantics = magic == V3_MAGIC
    stype, storage_shape = _DENSE, None
    if magic in (V2_MAGIC, V3_MAGIC):
        stype = cursor.i32("storage type")
        if stype not in _STYPE_NAMES:
            raise cursor.error(
                f"unknown storage type {stype} (expected 0 dense, 1 row_sparse, 2 csr)"
            )
        if stype != _DENSE:
            storage_shape = _read_shape(cursor, "storage shape", numpy_semantics)
        shape = _read_shape(cursor, "shape", numpy_semantics)
        if stype != _DENSE and storage_shape is None and shape is not None:
            raise cursor.error(f"the {_STYPE_NAMES[stype]} record has no storage shape")
    elif magic == V1_MAGIC:
        shape = _read_shape(cursor, "shape", False)
    else:
        shape = _read_pre_v1_shape(cursor, magic)
    if shape is None:
        # MXNet writes nothing after the shape of an array that has no data; its Python frontend
        # cannot load such a record either.
        raise cursor.error("the record holds an empty (uninitialised) array with no data")
    _device_type, _device_id, flag = cursor.unpack(_TAIL, "device and dtype fields")
    dtype = _dtype_for_flag(cursor, flag, "dtype flag")
    if stype == _DENSE:
        values = _read_values(cursor, dtype, shape, "data")
    else:
        aux_layouts = [_read_aux_layout(cursor, index) for index in range(_AUX_COUNT[stype])]
        values = _read_values(cursor, dtype, storage_shape, "data")
        aux = [
            _read_values(cursor, aux_dtype, aux_shape, f"aux array {index}")
            for index, (aux_dtype, aux_shape) in enumerate(aux_layouts)
        ]
        stored = values.nbytes + sum(part.nbytes for part in aux)
        _check_dense_size(cursor, _STYPE_NAMES[stype], shape, dtype, stored)
        densify = _densify_csr if stype == _CSR else _densify_row_sparse
        values = densify(cursor, shape, values, *aux)
    if flag == _BFLOAT16_FLAG:
        # A bfloat16 is the upper half of a float32: shift the bits into place.
        values = (values.astype(np.uint32) << 16).view(np.float32)
    elif values.dtype == np.bool_:
        # Bytes other than 0 and 1 would make NumPy bools that compare unequal to True.
        values = values.view(np.uint8) != 0
    return values, numpy_semantics


def _read_shape(cursor: Cursor, what: str, numpy_semantics: bool) -> tuple | None:
    """Read i32 ndim + i64 dims; None for MXNet's 'no shape' (V2/V1 ndim 0, V3 ndim -1)."""
    ndim = cursor.i32(f"{what} ndim")
    if numpy_semantics and ndim == -1 or not numpy_semantics and ndim == 0:
        return None
    _check_ndim(cursor, ndim, what)
    raw = cursor.take(8 * ndim, f"{what} ({ndim} dims)")
    return _check_dims(cursor, struct.unpack(f"<{ndim}q", raw), what, numpy_semantics)


def _read_pre_v1_shape(cursor: Cursor, ndim: int) -> tuple | None:
    """Read a pre-V1 shape, whose u32 ndim stands where later versions put the magic."""
    if ndim == 0:
        return None
    if ndim > MAX_NDIM:
        raise cursor.error(
            f"unknown record magic 0x{ndim:08X} (not V1/V2/V3, and too large for the ndim of a "
            "pre-V1 record): not an MXNet NDArray record"
        )
    raw = cursor.take(4 * ndim, f"shape ({ndim} dims)")
    return _check_dims(cursor, struct.unpack(f"<{ndim}I", raw), "shape", False)


def _check_ndim(cursor: Cursor, ndim: int, what: str) -> None:
    if ndim < 0 or ndim > MAX_NDIM:
        raise cursor.error(f"{what} has ndim {ndim}; expected 0 to {MAX_NDIM}")


def _check_dims(cursor: Cursor, dims: tuple, what: str, numpy_semantics: bool) -> tuple:
    for dim in dims:
        if dim < 0:
            if numpy_semantics and dim == -1:
                raise cursor.error(
                    f"{what} {dims} has an unknown dimension (-1); such an array has no data"
                )
            raise cursor.error(f"{what} {dims} has a negative dimension")
    # In V2 a 0 dimension nominally means 'unknown', but MXNet 1.9.1 loads it as a zero-size
    # axis, and so does neomx.
    return dims


def _dtype_for_flag(cursor: Cursor, flag: int, what: str) -> np.dtype:
    """The little-endian numpy dtype of the stored bytes for an mshadow flag."""
    if flag == _BFLOAT16_FLAG:
        return np.dtype("<u2")  # raw bfloat16 bit patterns, converted after reading
    try:
        dtype = dtype_from_flag(flag)
    except MXNetValueError:
        raise cursor.error(f"{what} {flag} is not a known dtype") from None
    return dtype.newbyteorder("<")


def _read_values(cursor: Cursor, dtype: np.dtype, shape: tuple, what: str) -> np.ndarray:
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if math.prod(dim for dim in shape if dim) * dtype.itemsize >= _MAX_NBYTES:
        raise cursor.error(f"{what} of shape {shape} and dtype {dtype.name} is too large")
    raw = cursor.take(nbytes, what)
    return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)


def _read_aux_layout(cursor: Cursor, index: int) -> tuple[np.dtype, tuple]:
    what = f"aux array {index}"
    flag = cursor.i32(f"{what} dtype flag")
    dtype = _dtype_for_flag(cursor, flag, f"{what} dtype flag")
    if dtype.kind not in "iu" or flag == _BFLOAT16_FLAG:
        raise cursor.error(f"{what} holds indices but has dtype flag {flag}, not an integer")
    shape = _read_shape(cursor, f"{what} shape", False)
    if shape is None or len(shape) != 1:
        raise cursor.error(f"{what} shape {shape} is not 1-D")
    return dtype, shape


def _check_dense_size(cursor, kind: str, shape: tuple, dtype: np.dtype, stored: int) -> None:
    nbytes = math.prod(shape) * dtype.itemsize
    limit = max(SPARSE_DENSE_FLOOR, SPARSE_DENSE_RATIO * stored)
    if nbytes > limit:
        raise cursor.error(
            f"the {kind} array of shape {shape} would take {nbytes} bytes as a dense array, "
            f"more than the limit of {limit} bytes for a record that stores {stored}; "
            "neomx has no sparse storage yet"
        )


def _densify_csr(cursor, shape, values, indptr, indices) -> np.ndarray:
    """Scatter a csr matrix (values, row pointers, column indices) into a dense array."""
    if len(shape) != 2:
        raise cursor.error(f"csr array has shape {shape}; csr arrays are 2-D")
    rows, cols = shape
    nnz = values.shape[0] if values.ndim == 1 else -1
    if nnz < 0 or indptr.shape != (rows + 1,) or indices.shape != (nnz,):
        raise cursor.error(
            f"csr parts do not fit shape {shape}: values {values.shape}, indptr {indptr.shape} "
            f"(expected ({rows + 1},)), indices {indices.shape} (expected (values length,))"
        )
    indptr = indptr.astype(np.int64)
    counts = np.diff(indptr)
    if indptr[0] != 0 or indptr[-1] != nnz or (counts < 0).any():
        raise cursor.error(f"csr indptr must rise from 0 to {nnz}")
    indices = indices.astype(np.int64)
    if nnz and (indices.min() < 0 or indices.max() >= cols):
        raise cursor.error(f"csr column index out of range for {cols} columns")
    dense = np.zeros(shape, dtype=values.dtype)
    dense[np.repeat(np.arange(rows), counts), indices] = values
    return dense


def _densify_row_sparse(cursor, shape, values, indices) -> np.ndarray:
    """Scatter the stored rows of a row_sparse array into a dense array."""
    if not shape or values.shape[1:] != shape[1:] or indices.shape != values.shape[:1]:
        raise cursor.error(
            f"row_sparse parts do not fit shape {shape}: values {values.shape}, "
            f"indices {indices.shape}"
        )
    indices = indices.astype(np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= shape[0]):
        raise cursor.error(f"row_sparse row index out of range for {shape[0]} rows")
    dense = np.zeros(shape, dtype=values.dtype)
    dense[indices] = values
    return dense
