"""The NDArray surface: properties, printing, conversion, copies, shape methods, arithmetic,
Python protocols, creation defaults and DLPack. Expected values were read off MXNet 1.9.1."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError, MXNetTypeError, MXNetValueError

# ---- properties and printing -------------------------------------------------------------


def test_properties(ctx):
    x = mx.nd.zeros((2, 3, 4), ctx=ctx, dtype="int32")
    assert x.shape == (2, 3, 4) and x.size == 24 and x.ndim == 3
    assert x.dtype is np.int32
    assert x.context == ctx and x.ctx == ctx
    assert x.stype == "default"
    assert x.T.shape == (4, 3, 2)  # MXNet reverses every axis, whatever the ndim
    assert mx.nd.zeros((3,)).T.shape == (3,)


REPRS = [
    (lambda: mx.nd.array([[1, 2]]), "\n[[1. 2.]]\n<NDArray 1x2 @cpu(0)>"),
    (lambda: mx.nd.array([[1, 2], [3, 4]], dtype="int32"),
     "\n[[1 2]\n [3 4]]\n<NDArray 2x2 @cpu(0)>"),
    (lambda: mx.nd.array([1, 2, 3], dtype="int64"), "\n[1 2 3]\n<NDArray 3 @cpu(0)>"),
    (lambda: mx.nd.array([1.5, 2.25]), "\n[1.5  2.25]\n<NDArray 2 @cpu(0)>"),
    (lambda: mx.nd.array([0.1, -2], dtype="float16"), "\n[ 0.1 -2. ]\n<NDArray 2 @cpu(0)>"),
    (lambda: mx.nd.array([[True], [False]], dtype="bool"),
     "\n[[ True]\n [False]]\n<NDArray 2x1 @cpu(0)>"),
    (lambda: mx.nd.array([[1e-5, 123456.7]]),
     "\n[[1.000000e-05 1.234567e+05]]\n<NDArray 1x2 @cpu(0)>"),
    (lambda: mx.nd.zeros((2, 2, 2)),
     "\n[[[0. 0.]\n  [0. 0.]]\n\n [[0. 0.]\n  [0. 0.]]]\n<NDArray 2x2x2 @cpu(0)>"),
    (lambda: mx.nd.zeros((1, 1, 1, 1)), "\n[[[[0.]]]]\n<NDArray 1x1x1x1 @cpu(0)>"),
    (lambda: mx.nd.array([3], dtype="uint8"), "\n[3]\n<NDArray 1 @cpu(0)>"),
    (lambda: mx.nd.array([1], ctx=mx.cpu(1)), "\n[1.]\n<NDArray 1 @cpu(1)>"),
    (lambda: mx.nd.array([np.nan, np.inf]), "\n[nan inf]\n<NDArray 2 @cpu(0)>"),
    (lambda: mx.nd.array(2.5), "\n2.5\n<NDArray  @cpu(0)>"),
    (lambda: mx.nd.arange(2000),
     "\n[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]\n"
     "<NDArray 2000 @cpu(0)>"),
]


@pytest.mark.parametrize("make,text", REPRS, ids=[t.split("<")[1] for _, t in REPRS])
def test_repr_matches_mxnet(make, text):
    assert repr(make()) == text
    assert str(make()) == text


# ---- conversion ---------------------------------------------------------------------------


def test_asnumpy_returns_a_copy(ctx):
    x = mx.nd.ones((2, 2), ctx=ctx)
    host = x.asnumpy()
    host[0, 0] = 7
    assert x.asnumpy()[0, 0] == 1
    assert isinstance(host, np.ndarray) and host.dtype == np.float32


def test_asscalar():
    assert type(mx.nd.array([3.5]).asscalar()) is np.float32
    assert type(mx.nd.array([3], dtype="int64").asscalar()) is np.int64
    assert mx.nd.array([[4]]).asscalar() == 4
    with pytest.raises(MXNetValueError, match=r"asscalar.*\(2,\)"):
        mx.nd.array([3, 4]).asscalar()


def test_astype():
    x = mx.nd.array([1.7, -1.7, 2.5])
    assert x.astype("float32", copy=False) is x
    same = x.astype("float32")
    assert same is not x and same.dtype is np.float32
    assert x.astype(np.int32).asnumpy().tolist() == [1, -1, 2]
    assert x.astype("int32", copy=False).dtype is np.int32
    assert mx.nd.array([300, -1]).astype("uint8").asnumpy().tolist() == [44, 255]
    assert mx.nd.array([0, 0.5]).astype("bool").asnumpy().tolist() == [False, True]
    with pytest.raises(MXNetTypeError, match="astype"):
        x.astype("complex64")


# ---- copies and placement ----------------------------------------------------------------


def test_copy_is_independent(ctx):
    x = mx.nd.arange(4, ctx=ctx)
    y = x.copy()
    assert y is not x and y.context == ctx
    y[0] = 9
    assert x.asnumpy()[0] == 0


def test_copyto():
    target = mx.nd.zeros(4, dtype="int32")
    assert mx.nd.array([1.7, 2, 3, 4]).copyto(target) is target
    assert target.asnumpy().tolist() == [1, 2, 3, 4]
    moved = mx.nd.array([1, 2]).copyto(mx.cpu(1))
    assert moved.context == mx.cpu(1) and moved.asnumpy().tolist() == [1, 2]
    with pytest.raises(MXNetValueError, match=r"copyto.*\(2,\).*\(3,\)"):
        mx.nd.zeros(2).copyto(mx.nd.ones(3))
    with pytest.raises(MXNetTypeError, match="copyto"):
        mx.nd.zeros(2).copyto("cpu(1)")


def test_as_in_context():
    x = mx.nd.zeros(2)
    assert x.as_in_context(mx.cpu(0)) is x
    other = x.as_in_context(mx.cpu(1))
    assert other is not x and other.context == mx.cpu(1)


# ---- shape methods -------------------------------------------------------------------------

RESHAPES = [
    ((6, 4), False, (6, 4)), ((-1,), False, (24,)), ((0, -1), False, (2, 12)),
    ((0, -1), True, (3, 8)), ((-2,), False, (2, 3, 4)), ((-3, 4), False, (6, 4)),
    ((-4, 1, 2, -2), False, (1, 2, 3, 4)), ((2, -4, -1, 3, 4), False, (2, 1, 3, 4)),
    ((0, 0, -1), True, (2, 3, 4)), ((-1, 0), False, (8, 3)), ((-1, 0), True, (6, 4)),
    ((4, -1), True, (4, 6)),
]


@pytest.mark.parametrize("spec,reverse,want", RESHAPES, ids=[f"{s}-{r}" for s, r, _ in RESHAPES])
def test_reshape_codes(spec, reverse, want):
    assert mx.nd.zeros((2, 3, 4)).reshape(spec, reverse=reverse).shape == want


def test_reshape_spellings_and_errors():
    x = mx.nd.zeros((2, 3, 4))
    assert x.reshape(6, 4).shape == x.reshape([6, 4]).shape == x.reshape(shape=(6, 4)).shape
    assert x.reshape(-1).shape == (24,)
    with pytest.raises(MXNetValueError, match=r"reshape.*\(5, 5\)"):
        x.reshape((5, 5))
    with pytest.raises(MXNetValueError, match="reshape"):
        x.reshape()
    with pytest.raises(MXNetTypeError, match="reshape.*foo"):
        x.reshape((6, 4), foo=1)


def test_reshape_is_a_view(engine_type):
    x = mx.nd.arange(24).reshape((2, 3, 4))
    flat = x.reshape((6, 4))
    flat[0] = 100
    assert x.asnumpy()[0, 0].tolist() == [100] * 4
    x[1] = -1
    assert flat.asnumpy()[3:].min() == -1


def test_fluent_shape_methods():
    x = mx.nd.arange(6).reshape((2, 3))
    assert x.reshape_like(mx.nd.zeros((3, 2))).shape == (3, 2)
    assert mx.nd.ones((3,)).broadcast_to((2, 3)).shape == (2, 3)  # MXNet pads the ndim
    assert mx.nd.ones((1, 3)).broadcast_like(x).shape == (2, 3)
    assert x.expand_dims(1).shape == (2, 1, 3) and x.expand_dims(axis=-1).shape == (2, 3, 1)
    assert mx.nd.ones((2, 3, 4)).flatten().shape == (2, 12)
    assert x.transpose().shape == (3, 2) and x.transpose((1, 0)).shape == (3, 2)
    assert x.transpose(axes=(1, 0)).asnumpy().tolist() == [[0, 3], [1, 4], [2, 5]]
    assert mx.nd.array([1, 2]).tile((2,)).asnumpy().tolist() == [1, 2, 1, 2]
    assert mx.nd.array([1, 2]).tile(reps=(2, 2)).shape == (2, 4)
    assert x.clip(1.5, 3.5).asnumpy().tolist() == [[1.5, 1.5, 2], [3, 3.5, 3.5]]
    ints = mx.nd.array([1, 2, 3], dtype="int32")
    assert ints.clip(1.5, 2.5).asnumpy().tolist() == [1, 2, 2]  # bounds cast to int first
    assert x.zeros_like().asnumpy().sum() == 0
    assert ints.ones_like().dtype is np.int32 and ints.ones_like().asnumpy().tolist() == [1] * 3
    with pytest.raises(MXNetValueError, match=r"broadcast_to.*\(4, 3\)"):
        mx.nd.ones((2, 3)).broadcast_to((4, 3))
    with pytest.raises(MXNetValueError, match="broadcast_to.*fewer"):
        mx.nd.ones((1, 3)).broadcast_to((3,))


# ---- arithmetic ----------------------------------------------------------------------------

INTS = mx.nd.array([-7, -3, 3, 7], dtype="int32")
FLOATS = mx.nd.array([-7, -3, 3, 7])
ARITHMETIC = [
    # MXNet casts the scalar to the array's dtype first; integer division truncates.
    ("i+2.7", "int32", lambda: INTS + 2.7, [-5, -1, 5, 9]),
    ("i-2.7", "int32", lambda: INTS - 2.7, [-9, -5, 1, 5]),
    ("i*2.7", "int32", lambda: INTS * 2.7, [-14, -6, 6, 14]),
    ("i/2", "int32", lambda: INTS / 2, [-3, -1, 1, 3]),
    ("i/2.7", "int32", lambda: INTS / 2.7, [-3, -1, 1, 3]),
    ("i%2", "int32", lambda: INTS % 2, [1, 1, 1, 1]),
    ("i%-2", "int32", lambda: INTS % -2, [-1, -1, -1, -1]),
    ("i**2", "int32", lambda: INTS**2, [49, 9, 9, 49]),
    ("i**0.5", "int32", lambda: INTS**0.5, [1, 1, 1, 1]),
    ("2**i", "int32", lambda: 2**INTS, [0, 0, 8, 128]),
    ("10-i", "int32", lambda: 10 - INTS, [17, 13, 7, 3]),
    ("10/i", "int32", lambda: 10 / INTS, [-1, -3, 3, 1]),
    ("10%i", "int32", lambda: 10 % INTS, [-4, -2, 1, 3]),
    ("2.7+i", "int32", lambda: 2.7 + INTS, [-5, -1, 5, 9]),
    ("i>2.5", "int32", lambda: INTS > 2.5, [0, 0, 1, 1]),
    ("i==3", "int32", lambda: INTS == 3, [0, 0, 1, 0]),
    ("i!=3", "int32", lambda: INTS != 3, [1, 1, 0, 1]),
    ("i<=3.5", "int32", lambda: INTS <= 3.5, [1, 1, 1, 0]),
    ("i<-3.5", "int32", lambda: INTS < -3.5, [1, 0, 0, 0]),
    ("uint8-3", "uint8", lambda: mx.nd.array([1, 2], dtype="uint8") - 3, [254, 255]),
    ("uint8+10", "uint8", lambda: mx.nd.array([250], dtype="uint8") + 10, [4]),
    ("int8*100", "int8", lambda: mx.nd.array([5], dtype="int8") * 100, [-12]),
    ("int64+2**40", "int64", lambda: mx.nd.array([1, 2], dtype="int64") + 2**40,
     [2**40 + 1, 2**40 + 2]),
    ("f/2", "float32", lambda: FLOATS / 2, [-3.5, -1.5, 1.5, 3.5]),
    ("f%2", "float32", lambda: FLOATS % 2, [1, 1, 1, 1]),
    ("f%-2", "float32", lambda: FLOATS % -2, [-1, -1, -1, -1]),
    ("10%f", "float32", lambda: 10 % FLOATS, [-4, -2, 1, 3]),
    ("2**f", "float32", lambda: 2**FLOATS, [0.0078125, 0.125, 8, 128]),
    ("f>2", "float32", lambda: FLOATS > 2, [0, 0, 1, 1]),
    ("-f", "float32", lambda: -FLOATS, [7, 3, -3, -7]),
    ("abs(f)", "float32", lambda: abs(FLOATS), [7, 3, 3, 7]),
    ("f+np.float64", "float32", lambda: FLOATS + np.float64(1), [-6, -2, 4, 8]),
    ("f+True", "float32", lambda: FLOATS + True, [-6, -2, 4, 8]),
]


@pytest.mark.parametrize("name,dtype,compute,want", ARITHMETIC, ids=[a[0] for a in ARITHMETIC])
def test_scalar_arithmetic_matches_mxnet(name, dtype, compute, want):
    result = compute()
    assert result.dtype is np.dtype(dtype).type
    assert result.asnumpy().tolist() == want


def test_broadcasting_between_arrays():
    column = mx.nd.array([[1], [2]])
    assert (mx.nd.ones((2, 3)) + column).asnumpy().tolist() == [[2] * 3, [3] * 3]
    assert (mx.nd.ones((2, 1)) * mx.nd.array([1, 2, 3])).shape == (2, 3)
    assert (FLOATS + mx.nd.array([[1], [2]])).shape == (2, 4)
    with pytest.raises(MXNetValueError, match=r"broadcast_add.*\(2, 3\).*\(4, 3\)"):
        mx.nd.ones((2, 3)) + mx.nd.ones((4, 3))
    with pytest.raises(MXNetTypeError, match="broadcast_add.*int32.*float32"):
        FLOATS + INTS


def test_unsupported_operands():
    with pytest.raises(TypeError):
        FLOATS + "a"
    with pytest.raises(TypeError):
        FLOATS - None


def test_in_place_operators_write_in_place(engine_type):
    x = mx.nd.arange(6).reshape((2, 3))
    row = x[1]
    original = x
    x += 1
    x *= mx.nd.array([1, 2, 3])
    x -= 1
    x /= 2
    x **= 2
    x %= 7
    assert x is original
    want = ((np.arange(6).reshape(2, 3) + 1) * [1, 2, 3] - 1) / 2
    want = np.mod(want**2, 7).astype("float32")
    np.testing.assert_allclose(x.asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(row.asnumpy(), want[1], rtol=1e-6)
    counts = mx.nd.array([5, 7], dtype="int32")
    counts /= 2
    counts += 2.7
    assert counts.asnumpy().tolist() == [4, 5] and counts.dtype is np.int32
    with pytest.raises(MXNetValueError, match=r"out has shape \(3,\)"):
        grow = mx.nd.ones((3,))
        grow += mx.nd.ones((2, 3))


# ---- Python protocols ----------------------------------------------------------------------


def test_len_iteration_and_truth():
    x = mx.nd.arange(6).reshape((3, 2))
    assert len(x) == 3
    assert [row.asnumpy().tolist() for row in x] == [[0, 1], [2, 3], [4, 5]]
    assert [item.shape for item in mx.nd.array([1, 2])] == [(1,), (1,)]
    assert bool(mx.nd.array([2])) and not bool(mx.nd.array([0]))
    assert not bool(mx.nd.array([]))
    with pytest.raises(MXNetValueError, match="ambiguous"):
        bool(mx.nd.array([1, 2]))
    with pytest.raises(MXNetTypeError, match="len"):
        len(mx.nd.array(1))


def test_numbers_and_numpy():
    # MXNet 1.9.1 has no __float__/__int__/__array__; neomx converts one-element arrays.
    assert float(mx.nd.array([2.5])) == 2.5 and int(mx.nd.array([2.5])) == 2
    assert [10, 20, 30][mx.nd.array([1], dtype="int32")] == 20
    with pytest.raises(MXNetValueError, match="asscalar"):
        float(mx.nd.array([1, 2]))
    host = np.asarray(mx.nd.array([1, 2], dtype="int32"))
    assert host.dtype == np.int32 and host.tolist() == [1, 2]
    assert np.array(mx.nd.array([1, 2]), dtype="float64").dtype == np.float64


# ---- creation ------------------------------------------------------------------------------


def test_array_dtype_defaults():
    # MXNet 1.9.1 makes float32 arrays from lists and from numpy arrays of any dtype.
    for source in ([1, 2], np.array([1, 2], dtype="int64"), np.array([1.0, 2.0]),
                   np.array([True, False]), np.array([1, 2], dtype="uint8")):
        assert mx.nd.array(source).dtype is np.float32
    assert mx.nd.array(np.array([1, 2], dtype="int64"), dtype="int64").dtype is np.int64
    assert mx.nd.array(mx.nd.array([1, 2], dtype="int32")).dtype is np.int32
    assert mx.nd.array([1.7, -2.2], dtype="int32").asnumpy().tolist() == [1, -2]
    assert mx.nd.array(5).shape == () and mx.nd.array([]).shape == (0,)
    assert mx.nd.array([1, 2], ctx=mx.cpu(1)).context == mx.cpu(1)
    with pytest.raises(MXNetTypeError, match="array"):
        mx.nd.array(["a", "b"])


CREATIONS = [
    ("zeros", lambda: mx.nd.zeros((2,)), "float32", [0, 0]),
    ("zeros-int", lambda: mx.nd.zeros(2, dtype="int32"), "int32", [0, 0]),
    ("ones", lambda: mx.nd.ones((2,)), "float32", [1, 1]),
    ("ones-half", lambda: mx.nd.ones((2,), dtype="float16"), "float16", [1, 1]),
    ("full", lambda: mx.nd.full((2,), 7), "float32", [7, 7]),
    ("full-int", lambda: mx.nd.full((2,), 3.7, dtype="int32"), "int32", [3, 3]),
    ("arange", lambda: mx.nd.arange(3), "float32", [0, 1, 2]),
    ("arange-step", lambda: mx.nd.arange(2, 11, 3), "float32", [2, 5, 8]),
    ("arange-down", lambda: mx.nd.arange(3, 0, -1), "float32", [3, 2, 1]),
    ("arange-repeat", lambda: mx.nd.arange(0, 3, repeat=2), "float32", [0, 0, 1, 1, 2, 2]),
    ("arange-int", lambda: mx.nd.arange(5, repeat=2, dtype="int32"), "int32",
     [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
    ("linspace", lambda: mx.nd.linspace(0, 1, 5), "float32", [0, 0.25, 0.5, 0.75, 1]),
    ("linspace-float64", lambda: mx.nd.linspace(1, 2, 3, dtype="float64"), "float64",
     [1, 1.5, 2]),
    ("linspace-int", lambda: mx.nd.linspace(0, 10, 4, dtype="int32"), "int32", [0, 3, 6, 10]),
    ("eye", lambda: mx.nd.eye(2), "float32", [[1, 0], [0, 1]]),
    ("eye-k", lambda: mx.nd.eye(2, 3, 1), "float32", [[0, 1, 0], [0, 0, 1]]),
    ("eye-below-int", lambda: mx.nd.eye(3, k=-1, dtype="int32"), "int32",
     [[0, 0, 0], [1, 0, 0], [0, 1, 0]]),
]


@pytest.mark.parametrize("name,make,dtype,want", CREATIONS, ids=[c[0] for c in CREATIONS])
def test_creation_defaults(name, make, dtype, want):
    result = make()
    assert result.dtype is np.dtype(dtype).type
    assert result.asnumpy().tolist() == want


def test_empty_and_creation_errors():
    assert mx.nd.empty((2, 3)).dtype is np.float32 and mx.nd.empty(4).shape == (4,)
    with pytest.raises(MXNetValueError, match="_arange.*empty"):
        mx.nd.arange(3, 0)


# ---- DLPack and numpy sharing ---------------------------------------------------------------


def test_dlpack_round_trip_shares_memory():
    x = mx.nd.arange(6).reshape((2, 3))
    alias = mx.nd.from_dlpack(x.to_dlpack_for_write())
    alias[0, 0] = 42
    assert x.asnumpy()[0, 0] == 42
    reader = mx.nd.from_dlpack(mx.nd.to_dlpack_for_read(x))
    assert reader.shape == (2, 3) and reader.context == mx.cpu(0)
    assert mx.nd.from_dlpack(x).asnumpy().tolist() == x.asnumpy().tolist()


def test_dlpack_errors():
    capsule = mx.nd.ones(2).to_dlpack_for_read()
    mx.nd.from_dlpack(capsule)
    with pytest.raises(MXNetValueError, match="consumed only once"):
        mx.nd.from_dlpack(capsule)
    with pytest.raises(MXNetTypeError, match="from_dlpack.*int"):
        mx.nd.from_dlpack(3)


def test_dlpack_with_torch():
    torch = pytest.importorskip("torch")
    from torch.utils import dlpack as torch_dlpack

    tensor = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    from_object = mx.nd.from_dlpack(tensor)
    from_capsule = mx.nd.from_dlpack(torch_dlpack.to_dlpack(tensor))
    tensor[0, 0] = 9
    assert from_object.asnumpy()[0, 0] == 9 and from_capsule.asnumpy()[0, 0] == 9
    assert mx.nd.from_dlpack(torch.arange(3)).dtype is np.int64
    x = mx.nd.zeros((2, 2))
    torch_dlpack.from_dlpack(x.to_dlpack_for_write())[1, 1] = 5
    assert x.asnumpy()[1, 1] == 5
    assert torch.from_dlpack(x).tolist() == [[0, 0], [0, 5]]
    strided = mx.nd.from_dlpack(tensor.t())
    assert strided.shape == (3, 2) and strided.reshape(-1).asnumpy()[:2].tolist() == [9, 3]
    with pytest.raises(MXNetError, match="from_dlpack"):
        mx.nd.from_dlpack(torch.zeros(2, dtype=torch.complex64))


def test_from_numpy():
    source = np.arange(4, dtype="float32")
    shared = mx.nd.from_numpy(source)
    shared[0] = 9
    assert source[0] == 9 and not source.flags.writeable  # MXNet freezes the source
    assert shared.context == mx.cpu(0) and shared.dtype is np.float32
    copied = mx.nd.from_numpy(np.arange(3), zero_copy=False)
    assert copied.dtype is np.int64
    transposed = np.arange(6.0).reshape(2, 3).T
    assert mx.nd.from_numpy(transposed, zero_copy=False).asnumpy().tolist() == transposed.tolist()
    with pytest.raises(MXNetValueError, match="C-contiguous"):
        mx.nd.from_numpy(transposed)
    with pytest.raises(MXNetTypeError, match="from_numpy"):
        mx.nd.from_numpy([1, 2])
