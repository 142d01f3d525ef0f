"""Contexts (devices) and the pieces of ``mx.base`` every layer uses: errors and dtypes.

Expected strings are what MXNet 1.9.1 prints for the same calls.
"""

from __future__ import annotations

import importlib.util
import pickle
import threading

import numpy as np
import pytest

import neomx as mx
from neomx.base import (
    DTYPE_FLAGS,
    MXNetError,
    MXNetIndexError,
    MXNetNotImplementedError,
    MXNetTypeError,
    MXNetValueError,
    _Null,
    dtype_flag,
    dtype_from_flag,
    dtype_name,
    dtype_np,
    env_flag,
)

_HAS_CUPY = importlib.util.find_spec("cupy") is not None


# ---- Context values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, text, device_type, device_id, typeid",
    [
        (lambda: mx.cpu(), "cpu(0)", "cpu", 0, 1),
        (lambda: mx.cpu(1), "cpu(1)", "cpu", 1, 1),
        (lambda: mx.gpu(2), "gpu(2)", "gpu", 2, 2),
        (lambda: mx.cpu_pinned(), "cpu_pinned(0)", "cpu_pinned", 0, 3),
        (lambda: mx.cpu_shared(3), "cpu_shared(3)", "cpu_shared", 3, 5),
        (lambda: mx.Context("cpu", 4), "cpu(4)", "cpu", 4, 1),
        (lambda: mx.Context(mx.gpu(1)), "gpu(1)", "gpu", 1, 2),
    ],
)
def test_context_fields_and_text(make, text, device_type, device_id, typeid):
    ctx = make()
    assert str(ctx) == text
    assert repr(ctx) == text
    assert ctx.device_type == device_type
    assert ctx.device_id == device_id
    assert ctx.device_typeid == typeid


def test_context_type_tables_match_mxnet():
    assert mx.Context.devtype2str == {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    assert mx.Context.devstr2type == {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}


def test_context_equality_and_hash():
    assert mx.cpu() == mx.cpu(0)
    assert mx.cpu(1) == mx.Context("cpu", 1)
    assert mx.cpu() != mx.cpu(1)
    assert mx.cpu() != mx.gpu(0)
    # Pinned memory mixes with cpu arrays, but it is still another device.
    assert mx.cpu() != mx.cpu_pinned(0)
    assert mx.cpu() != "cpu(0)"
    assert mx.cpu() != None  # noqa: E711 - __eq__ must not fail on other types
    assert hash(mx.cpu(1)) == hash(mx.Context("cpu", 1))
    assert {mx.cpu(0): "a", mx.cpu(1): "b"}[mx.Context("cpu", 0)] == "a"
    assert len({mx.cpu(), mx.cpu(0), mx.Context(mx.cpu()), mx.cpu(1)}) == 2


def test_context_copy_is_independent_value():
    original = mx.gpu(3)
    copied = mx.Context(original)
    assert copied == original and copied is not original


@pytest.mark.parametrize("device_type", ["tpu", "CPU", ""])
def test_unknown_device_type_raises(device_type):
    with pytest.raises(MXNetValueError, match=repr(device_type)):
        mx.Context(device_type, 0)


@pytest.mark.parametrize("device_id", [-1, 1.5, "0"])
def test_bad_device_id_raises(device_id):
    with pytest.raises(MXNetValueError, match="device_id"):
        mx.Context("cpu", device_id)


# ---- scoping ------------------------------------------------------------------------------


def test_current_context_defaults_to_cpu0():
    assert mx.current_context() == mx.cpu(0)
    assert mx.context.current_context() == mx.cpu(0)


def test_with_scopes_nest_and_restore():
    with mx.cpu(1) as outer:
        assert outer == mx.cpu(1)
        assert mx.current_context() == mx.cpu(1)
        with mx.gpu(2) as inner:
            assert inner == mx.gpu(2)
            assert mx.current_context() == mx.gpu(2)
        assert mx.current_context() == mx.cpu(1)
    assert mx.current_context() == mx.cpu(0)


def test_with_scope_restores_after_an_exception():
    with pytest.raises(KeyError), mx.cpu(2):
        raise KeyError("inside")
    assert mx.current_context() == mx.cpu(0)


def test_the_same_context_object_can_be_entered_twice():
    ctx = mx.cpu(1)
    with ctx:
        with ctx:
            assert mx.current_context() == mx.cpu(1)
        assert mx.current_context() == mx.cpu(1)
    assert mx.current_context() == mx.cpu(0)


def test_scope_is_thread_local():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def other_thread():
        seen["before"] = mx.current_context()
        with mx.cpu(7):
            inside.set()
            release.wait()
            seen["inside"] = mx.current_context()

    with mx.cpu(1):
        thread = threading.Thread(target=other_thread)
        thread.start()
        inside.wait()
        # The other thread is inside its own `with mx.cpu(7)`; this one still sees cpu(1).
        assert mx.current_context() == mx.cpu(1)
        release.set()
        thread.join()
    assert seen == {"before": mx.cpu(0), "inside": mx.cpu(7)}
    assert mx.current_context() == mx.cpu(0)


def test_arrays_are_created_on_the_scoped_context():
    with mx.cpu(1):
        assert mx.nd.zeros((2,)).context == mx.cpu(1)
        assert mx.nd.array([1, 2]).context == mx.cpu(1)
        assert mx.nd.ones((2,)).context == mx.cpu(1)
    assert mx.nd.zeros((2,), ctx=mx.cpu(2)).context == mx.cpu(2)
    assert mx.nd.zeros((2,), ctx=mx.cpu_pinned(0)).context == mx.cpu_pinned(0)


# ---- GPUs without CuPy ---------------------------------------------------------------------


@pytest.mark.skipif(_HAS_CUPY, reason="CuPy is installed; a GPU may be present")
def test_no_gpus_without_cupy():
    assert mx.num_gpus() == 0
    assert mx.context.num_gpus() == 0


@pytest.mark.skipif(_HAS_CUPY, reason="CuPy is installed; a GPU may be present")
@pytest.mark.parametrize(
    "create",
    [
        lambda: mx.nd.array([1.0, 2.0], ctx=mx.gpu(0)),
        lambda: mx.nd.zeros((2, 3), ctx=mx.gpu(0)),
        lambda: mx.nd.empty((2, 3), ctx=mx.gpu(0)),
        lambda: mx.nd.ones((2,)).copyto(mx.gpu(0)),
        lambda: mx.nd.ones((2,)).as_in_context(mx.gpu(0)),
    ],
    ids=["array", "zeros", "empty", "copyto", "as_in_context"],
)
def test_gpu_array_without_a_gpu_raises_clearly(create):
    with pytest.raises(MXNetError, match=r"gpu\(0\).*(CuPy|GPU)"):
        create()


@pytest.mark.skipif(_HAS_CUPY, reason="CuPy is installed; a GPU may be present")
def test_gpu_scope_without_a_gpu_raises_at_creation():
    gpu = mx.gpu(0)  # naming a GPU is fine; using it is the error
    with gpu, pytest.raises(MXNetError, match=r"gpu\(0\)"):
        mx.nd.ones((2,))


# ---- arrays on several contexts ------------------------------------------------------------


@pytest.mark.parametrize(
    "combine",
    [lambda a, b: a + b, lambda a, b: mx.nd.elemwise_add(a, b), lambda a, b: a * b],
    ids=["plus", "elemwise_add", "times"],
)
def test_mixing_cpu0_and_cpu1_names_both(combine, engine_type):
    a = mx.nd.ones((2, 3), ctx=mx.cpu(0))
    b = mx.nd.ones((2, 3), ctx=mx.cpu(1))
    with pytest.raises(MXNetError, match=r"cpu\(0\).*cpu\(1\)") as info:
        combine(a, b)
    assert isinstance(info.value, ValueError)
    with pytest.raises(MXNetError, match=r"cpu\(1\).*cpu\(0\)"):
        combine(b, a)


@pytest.mark.parametrize("pinned", [mx.cpu_pinned(0), mx.cpu_shared(0)], ids=str)
def test_pinned_and_shared_mix_with_cpu(pinned, engine_type):
    a = mx.nd.array([1.0, 2.0], ctx=mx.cpu(0))
    p = mx.nd.array([10.0, 20.0], ctx=pinned)
    for result in (a + p, p + a, mx.nd.elemwise_add(p, a)):
        assert result.context == mx.cpu(0)
        np.testing.assert_array_equal(result.asnumpy(), [11.0, 22.0])
    np.testing.assert_array_equal((p * p).asnumpy(), [100.0, 400.0])


@pytest.mark.parametrize("pinned", [mx.cpu_pinned(0), mx.cpu_shared(0)], ids=str)
def test_copies_between_pinned_and_cpu(pinned, engine_type):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    p = mx.nd.array(host, ctx=pinned)
    to_cpu = p.copyto(mx.cpu(0))
    assert to_cpu.context == mx.cpu(0)
    back = to_cpu.as_in_context(pinned)
    assert back.context == pinned
    into = mx.nd.zeros((2, 3))
    p.copyto(into)
    for result in (to_cpu, back, into):
        np.testing.assert_array_equal(result.asnumpy(), host)


def test_copy_between_cpu0_and_cpu1(engine_type):
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = mx.nd.array(host, ctx=mx.cpu(0))
    b = a.copyto(mx.cpu(1))
    assert b.context == mx.cpu(1)
    b += 1
    c = b.as_in_context(mx.cpu(0))
    assert c.context == mx.cpu(0)
    np.testing.assert_array_equal(c.asnumpy(), host + 1)
    # The source is untouched and as_in_context to its own device is a no-op.
    np.testing.assert_array_equal(a.asnumpy(), host)
    assert a.as_in_context(mx.cpu(0)) is a
    # copyto into an existing array on the other device, dtype cast included.
    target = mx.nd.zeros((3, 4), ctx=mx.cpu(1), dtype="float64")
    assert a.copyto(target) is target
    assert target.dtype == np.float64
    np.testing.assert_array_equal(target.asnumpy(), host)


def test_copyto_shape_mismatch_raises():
    with pytest.raises(MXNetValueError, match=r"copyto.*\(2,\).*\(3,\)"):
        mx.nd.ones((2,)).copyto(mx.nd.zeros((3,), ctx=mx.cpu(1)))


# ---- mx.base: errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, builtin",
    [
        (MXNetValueError, ValueError),
        (MXNetTypeError, TypeError),
        (MXNetIndexError, IndexError),
        (MXNetNotImplementedError, NotImplementedError),
    ],
)
def test_error_subclasses_are_also_builtin_errors(cls, builtin):
    assert issubclass(cls, MXNetError)
    assert issubclass(cls, builtin)
    with pytest.raises(builtin, match="message"):
        raise cls("message")


def test_mxnet_error_is_a_runtime_error_as_in_mxnet():
    assert issubclass(MXNetError, RuntimeError)
    assert mx.MXNetError is MXNetError
    assert mx.base.MXNetError is MXNetError


def test_null_marker():
    assert repr(_Null) == "_Null"
    assert type(_Null)() is _Null
    assert pickle.loads(pickle.dumps(_Null)) is _Null


def test_env_flag_reads_the_environment(monkeypatch):
    monkeypatch.setenv("NEOMX_TEST_CONTEXT_FLAG", "on")
    assert env_flag("NEOMX_TEST_CONTEXT_FLAG", "off") == "on"
    monkeypatch.delenv("NEOMX_TEST_CONTEXT_FLAG")
    assert env_flag("NEOMX_TEST_CONTEXT_FLAG", "off") == "off"


# ---- mx.base: dtypes ---------------------------------------------------------------------

# FORMATS.md table 1.4 (mshadow type flags).
_FLAGS = {
    "float32": 0,
    "float64": 1,
    "float16": 2,
    "uint8": 3,
    "int32": 4,
    "int8": 5,
    "int64": 6,
    "bool": 7,
    "int16": 8,
    "uint16": 9,
    "uint32": 10,
    "uint64": 11,
}


def test_flag_table_matches_formats_doc():
    assert {name: flag for name, flag in DTYPE_FLAGS.items() if name in _FLAGS} == _FLAGS


@pytest.mark.parametrize("name, flag", sorted(_FLAGS.items(), key=lambda item: item[1]))
def test_dtype_by_name_numpy_dtype_and_type(name, flag):
    expected = np.dtype(name)
    for given in (name, np.dtype(name), expected.type):
        assert dtype_np(given) == expected
        assert dtype_name(given) == name
        assert dtype_flag(given) == flag
    assert dtype_from_flag(flag) == expected


def test_dtype_defaults_to_float32():
    assert dtype_np(None) == np.float32


@pytest.mark.parametrize("dtype", ["foo", "complex64", np.complex128, object, "U8"])
def test_unknown_dtype_raises(dtype):
    with pytest.raises(MXNetTypeError, match="dtype"):
        dtype_np(dtype)


def test_dtype_error_names_the_caller():
    with pytest.raises(TypeError, match="^astype: "):
        dtype_np("nope", where="astype")


@pytest.mark.parametrize("flag", [-1, 99])
def test_unknown_dtype_flag_raises(flag):
    with pytest.raises(MXNetValueError, match=str(flag)):
        dtype_from_flag(flag)
