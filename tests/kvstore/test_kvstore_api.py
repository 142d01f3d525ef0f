"""mx.kv: create, the store types, keys and values as MXNet 1.9.1 takes them, and the errors
(behaviour checked against MXNet; tests/kvstore/test_kvstore_golden.py replays its numbers)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import neomx as mx


def ones(shape, ctx=0, value=1.0):
    return mx.nd.full(shape, value, ctx=mx.cpu(ctx))


@pytest.mark.parametrize("name", ["local", "device", "Local", "local_allreduce_cpu", "foo"])
def test_create_local_types(name):
    kv = mx.kv.create(name)
    assert isinstance(kv, mx.kv.KVStore) and isinstance(kv, mx.kv.KVStoreBase)
    assert (kv.type, kv.rank, kv.num_workers) == (name.lower(), 0, 1)
    assert kv.is_capable("optimizer") and kv.is_capable(mx.kv.KVStoreBase.OPTIMIZER)
    with pytest.raises(ValueError, match="Unknown capability: xx"):
        kv.is_capable("xx")


def test_create_default_and_bad_name():
    assert mx.kv.create().type == "local"
    assert mx.kvstore is mx.kv
    with pytest.raises(TypeError, match="name must be a string"):
        mx.kv.create(3)


@pytest.mark.parametrize(
    "name", ["dist_sync", "dist_async", "dist_device_sync", "dist_sync_device"]
)
def test_dist_without_mpi_names_what_to_install(name):
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        with pytest.raises(mx.MXNetError, match="mpi4py.*neomx\\[dist\\]"):
            mx.kv.create(name)
    else:
        pytest.skip("mpi4py is installed")


def test_nccl_without_gpus():
    if mx.num_gpus():
        assert mx.kv.create("nccl").type == "nccl"
    else:
        # MXNet builds without NCCL refuse it too ("compile with USE_NCCL=1 to use nccl").
        with pytest.raises(mx.MXNetError, match="NCCL KVStore needs GPUs"):
            mx.kv.create("nccl")


def test_register_and_test_store():
    @mx.kv.KVStoreBase.register
    class MyStore(mx.kv.TestStore):
        pass

    try:
        assert type(mx.kv.create("MyStore")) is MyStore
        with pytest.warns(UserWarning, match="is overriding existing kvstore"):
            mx.kv.KVStoreBase.register(type("MyStore", (mx.kv.TestStore,), {}))
    finally:
        del mx.kv.KVStoreBase.kv_registry["mystore"]
    kv = mx.kv.create("teststore")
    assert kv.type == "teststore" and not kv.is_capable("optimizer")
    values = [ones((2,), 0), ones((2,), 1, 3.0)]
    kv.pushpull(0, values)
    assert [v.asnumpy().tolist() for v in values] == [[4.0, 4.0], [4.0, 4.0]]
    out = [mx.nd.zeros((2,), ctx=mx.cpu(1))]
    kv.broadcast(0, ones((2,), 0, 7.0), out)
    assert out[0].asnumpy().tolist() == [7.0, 7.0]


@pytest.mark.parametrize("kind", ["local", "device"])
@pytest.mark.parametrize("key", [3, "w"])
def test_push_sums_and_pull_copies(kind, key, engine_type):
    kv = mx.kv.create(kind)
    kv.init(key, mx.nd.zeros((2, 3)))
    kv.push(key, [ones((2, 3), 0), ones((2, 3), 1, 2.0), ones((2, 3), 2, 4.0)])
    outs = [mx.nd.zeros((2, 3), ctx=mx.cpu(i)) for i in range(3)]
    kv.pull(key, out=outs)
    for i, out in enumerate(outs):
        assert out.context == mx.cpu(i)
        np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 7.0))
    # A lone value replaces the stored one.
    kv.push(key, ones((2, 3), 1, 5.0))
    out = mx.nd.zeros((2, 3))
    kv.pull(key, out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), 5.0))


def test_stored_value_is_a_copy():
    kv = mx.kv.create("local")
    value = ones((2,))
    kv.init(0, value)
    value[:] = 9
    pushed = ones((2,), value=2.0)
    kv.push(0, pushed)
    pushed[:] = 5
    out = mx.nd.zeros((2,))
    kv.pull(0, out=out)
    # MXNet may alias the pushed array; neomx always keeps its own copy.
    assert out.asnumpy().tolist() == [2.0, 2.0]


def test_lists_of_keys():
    kv = mx.kv.create("local")
    kv.init([0, 1], [mx.nd.zeros((2,)), mx.nd.zeros((3,))])
    kv.push([0, 1], [[ones((2,), 0), ones((2,), 1)], ones((3,), 0, 3.0)])
    outs = [[mx.nd.zeros((2,)), mx.nd.zeros((2,), ctx=mx.cpu(1))], [mx.nd.zeros((3,))]]
    kv.pull([0, 1], out=outs)
    assert [[o.asnumpy().tolist() for o in group] for group in outs] == [
        [[2.0, 2.0], [2.0, 2.0]],
        [[3.0, 3.0, 3.0]],
    ]
    # The same key twice in one push: all its values are summed.
    kv.push([0, 0], [ones((2,)), ones((2,), value=2.0)])
    out = mx.nd.zeros((2,))
    kv.pull(0, out=out)
    assert out.asnumpy().tolist() == [3.0, 3.0]


def test_pushpull_writes_value_when_out_is_none():
    kv = mx.kv.create("device")
    kv.init(0, mx.nd.zeros((2,)))
    values = [ones((2,), 0), ones((2,), 1, 3.0)]
    kv.pushpull(0, values)
    assert [v.asnumpy().tolist() for v in values] == [[4.0, 4.0], [4.0, 4.0]]


def test_broadcast_inits_then_pulls():
    kv = mx.kv.create("device")
    outs = [mx.nd.zeros((2,), ctx=mx.cpu(i)) for i in range(2)]
    kv.broadcast("w", ones((2,), value=7.0), out=outs)
    assert [o.asnumpy().tolist() for o in outs] == [[7.0, 7.0], [7.0, 7.0]]
    with pytest.raises(mx.MXNetError, match="duplicate init of key 'w'.*kv.broadcast"):
        kv.broadcast("w", ones((2,)), out=outs)


def test_key_errors():
    kv = mx.kv.create("local")
    kv.init(3, mx.nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match="duplicate init of key 3"):
        kv.init(3, mx.nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match="duplicate init of key 4"):
        kv.init(4, [mx.nd.zeros((2,)), mx.nd.zeros((2,))])
    with pytest.raises(mx.MXNetError, match="key 9 has not been inited"):
        kv.pull(9, out=mx.nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match="key 9 has not been inited"):
        kv.push(9, mx.nd.zeros((2,)))
    with pytest.raises(TypeError, match="Mixed key types are not allowed"):
        kv.init("a", mx.nd.zeros((2,)))
    with pytest.raises(TypeError, match="inconsistent types of keys"):
        kv.push([3, "a"], [mx.nd.zeros((2,)), mx.nd.zeros((2,))])
    with pytest.raises(TypeError, match="unexpected type for keys"):
        kv.push(1.5, mx.nd.zeros((2,)))
    with pytest.raises(ValueError, match="2 keys need 2 values"):
        kv.pull([3, 3], out=[mx.nd.zeros((2,))])
    with pytest.raises(ValueError, match="out must be given"):
        kv.pull(3)
    with pytest.raises(ValueError, match="pull: key 3: out has shape \\(3,\\).*\\(2,\\)"):
        kv.pull(3, out=mx.nd.zeros((3,)))
    with pytest.raises(ValueError, match="push: key 3: value 1 has shape \\(3,\\)"):
        kv.push(3, [mx.nd.zeros((2,)), mx.nd.zeros((3,))])
    str_kv = mx.kv.create("local")
    str_kv.init("a", mx.nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match="key 'b' has not been inited"):
        str_kv.push("b", mx.nd.zeros((2,)))


@pytest.mark.parametrize("kind", ["local", "device"])
def test_updater_gets_key_merged_gradient_and_weight(kind):
    kv = mx.kv.create(kind)
    calls = []

    def updater(key, grad, weight):
        calls.append((key, grad.asnumpy().tolist(), weight.asnumpy().tolist()))
        weight[:] = weight - grad

    kv._set_updater(updater)
    kv.init(0, ones((2,), value=10.0))
    kv.init(1, ones((2,), value=10.0))
    kv.push([1, 0], [[ones((2,), 0), ones((2,), 1)], [ones((2,), 1), ones((2,), 0)]])
    # Keys in ascending order, as MXNet groups them.
    assert calls == [(0, [2.0, 2.0], [10.0, 10.0]), (1, [2.0, 2.0], [10.0, 10.0])]
    out = mx.nd.zeros((2,), ctx=mx.cpu(1))
    kv.pull(0, out=out)
    assert out.asnumpy().tolist() == [8.0, 8.0]
    str_kv = mx.kv.create(kind)
    str_kv._set_updater(updater)
    str_kv.init("s", mx.nd.zeros((2,)))
    str_kv.push("s", ones((2,)))
    # MXNet hands str keys to updaters as bytes.
    assert calls[-1][0] == b"s"


def test_device_store_spreads_keys_over_devices():
    kv = mx.kv.create("device")
    kv.init([0, 1, 2], [mx.nd.zeros((100,)), mx.nd.zeros((60,)), mx.nd.zeros((50,))])
    devices = [mx.cpu(0), mx.cpu(1)]
    kv.push(1, [mx.nd.ones((60,), ctx=c) for c in devices])
    assert kv._merge_ctx == {0: mx.cpu(0), 1: mx.cpu(1), 2: mx.cpu(1)}
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=1.0))
    kv.push(1, [mx.nd.ones((60,), ctx=c) for c in devices])
    # 2 - 1.0 * 2: the weights are updated on the device that sums them.
    assert kv._store[1].context == mx.cpu(1)
    out = mx.nd.zeros((60,))
    kv.pull(1, out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.zeros(60))


@pytest.mark.parametrize("kind", ["local", "device"])
def test_optimizer_states_roundtrip(kind, tmp_path):
    kv = mx.kv.create(kind)
    with pytest.raises(mx.MXNetError, match="no optimizer; call set_optimizer"):
        kv.save_optimizer_states(str(tmp_path / "x"))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init(0, mx.nd.zeros((3,)))
    kv.push(0, [ones((3,), 0), ones((3,), 1)])
    path = tmp_path / "kv.states"
    kv.save_optimizer_states(str(path), dump_optimizer=True)
    states, optimizer = pickle.loads(path.read_bytes())
    np.testing.assert_allclose(states[0].asnumpy(), np.full(3, -0.2))
    assert optimizer.momentum == 0.9
    other = mx.kv.create(kind)
    other.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    other.init(0, mx.nd.zeros((3,)))
    other.load_optimizer_states(str(path))
    for store in (kv, other):
        store.push(0, [ones((3,), 0), ones((3,), 1)])
    a, b = mx.nd.zeros((3,)), mx.nd.zeros((3,))
    kv.pull(0, out=a)
    other.pull(0, out=b)
    # ``other`` started from 0 with kv's momentum: one momentum step behind kv's weights.
    np.testing.assert_allclose(b.asnumpy(), np.full(3, -0.2 * 0.9 - 0.2), rtol=1e-6)
    np.testing.assert_allclose(a.asnumpy(), np.full(3, -0.2 - 0.38), rtol=1e-6)


def test_compression_only_on_device_stores():
    with pytest.raises(mx.MXNetError, match="Gradient compression is not supported"):
        mx.kv.create("local").set_gradient_compression({"type": "2bit"})
    kv = mx.kv.create("device")
    with pytest.raises(ValueError, match="Unknown type for gradient compression 1bit"):
        kv.set_gradient_compression({"type": "1bit"})
    with pytest.raises(ValueError, match="Required parameter type"):
        kv.set_gradient_compression({"threshold": 1})
    with pytest.raises(ValueError, match="threshold must be greater than 0"):
        kv.set_gradient_compression({"type": "2bit", "threshold": 0})
    with pytest.raises(ValueError, match="expect float but value='abc'"):
        kv.set_gradient_compression({"type": "2bit", "threshold": "abc"})
    kv.set_gradient_compression({"type": "2bit", "threshold": "0.25", "other": 1})
    assert kv._compression.threshold == 0.25


def test_row_sparse_pull_of_dense_storage():
    kv = mx.kv.create("local")
    kv.init(0, ones((3, 2), value=4.0))
    out = mx.nd.zeros((3, 2))
    kv.row_sparse_pull(0, out=out, row_ids=mx.nd.array([0, 2]))
    assert out.asnumpy().tolist() == [[4.0, 4.0]] * 3
    with pytest.raises(ValueError, match="row_ids must be given"):
        kv.row_sparse_pull(0, out=out)


@pytest.mark.parametrize(
    "module",
    [
        "kvstore",
        "kvstore.base",
        "kvstore.local",
        "kvstore.device",
        "kvstore.compression",
        "gluon.trainer",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(f"neomx.{module}"),
        extraglobs={"mx": mx, "np": np},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0 and result.failed == 0
