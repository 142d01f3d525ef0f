"""The engines: ThreadedEnginePerDevice must give NaiveEngine's results, keep every error,
and overlap independent work on different devices.

Ordering tests block a worker with a gate (a pushed function waiting on an Event) so that a
wrong order would be observable, and never sleep or compare durations.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError, MXNetValueError
from neomx.ops.registry import REGISTRY

THREADED = "ThreadedEnginePerDevice"
# A guard against hanging forever when an engine is broken, never a speed expectation.
HANG_GUARD_S = 30


@pytest.fixture
def threaded():
    with mx.engine.engine_scope(THREADED) as engine:
        yield engine


def _block(ctx, writes=()):
    """Push a function that holds ``ctx``'s worker until the returned Event is set."""
    gate = threading.Event()
    mx.engine.get_engine().push(
        lambda: gate.wait(HANG_GUARD_S), [], [w._engine_var() for w in writes], ctx, "gate"
    )
    return gate


# ---- the same results as NaiveEngine -----------------------------------------------------


def _read_after_write():
    a = mx.nd.array(np.arange(12, dtype=np.float32).reshape(3, 4))
    b = a * 2
    c = b + a
    d = c * b - 1
    return [a, b, c, d]


def _write_after_read():
    a = mx.nd.array(np.arange(6, dtype=np.float32))
    before = a * 10  # reads a ...
    a += 1  # ... before this write
    after = a * 10
    return [before, after, a]


def _in_place_loop():
    x = mx.nd.zeros((64, 1024))  # 256 KiB: its buffers come from the pool
    snapshots = []
    for step in range(20):
        x += 1
        if step % 5 == 0:
            snapshots.append(x * 1)
    return [x, *snapshots]


def _views_share_storage():
    x = mx.nd.zeros((4, 6))
    flat = x.reshape(24)
    square = x.reshape((6, 4))
    flat += 1
    square *= 3
    x += 2
    return [x, flat, square, flat + square.reshape(24)]


def _across_devices():
    a = mx.nd.array(np.arange(8, dtype=np.float32), ctx=mx.cpu(0))
    b = a.copyto(mx.cpu(1))
    b *= 3
    a += 100  # must not reach b, which was copied before
    c = b.copyto(mx.cpu(0)) + a
    back = mx.nd.zeros((8,), ctx=mx.cpu(1))
    c.copyto(back)
    back += 1
    return [a, b, c, back]


def _many_ops():
    x = mx.nd.ones((3, 5))
    results = []
    for i in range(30):
        y = (x + i) * 0.5
        x = mx.nd.elemwise_add(x, y) - y
        results.append(mx.nd.sum(y))
    return [x, *results]


@pytest.mark.parametrize(
    "program",
    [
        _read_after_write,
        _write_after_read,
        _in_place_loop,
        _views_share_storage,
        _across_devices,
        _many_ops,
    ],
)
def test_threaded_results_equal_naive(program):
    with mx.engine.engine_scope("NaiveEngine"):
        expected = [(r.asnumpy(), r.context) for r in program()]
    with mx.engine.engine_scope(THREADED):
        got = [(r.asnumpy(), r.context) for r in program()]
    assert len(got) == len(expected)
    for (want, want_ctx), (have, have_ctx) in zip(expected, got):
        np.testing.assert_array_equal(have, want)
        assert have_ctx == want_ctx


def test_read_waits_for_a_write_on_another_device(threaded):
    a = mx.nd.zeros((4,), ctx=mx.cpu(0))
    data = a._data

    def slow_write():
        gate.wait(HANG_GUARD_S)
        data[:] = 7

    gate = threading.Event()
    threaded.push(slow_write, [], [a._engine_var()], mx.cpu(0), "slow_write")
    copy = a.copyto(mx.cpu(1))  # runs on cpu(1)'s worker, which is free
    gate.set()
    np.testing.assert_array_equal(copy.asnumpy(), [7, 7, 7, 7])


def test_write_waits_for_a_read_on_another_device(threaded):
    a = mx.nd.array([1.0, 2.0], ctx=mx.cpu(0))
    gate = _block(mx.cpu(1))
    copy = a.copyto(mx.cpu(1))  # queued behind the gate
    a += 10  # cpu(0) is free, yet must wait for the copy to read a
    gate.set()
    np.testing.assert_array_equal(copy.asnumpy(), [1.0, 2.0])
    np.testing.assert_array_equal(a.asnumpy(), [11.0, 12.0])


def test_writes_to_one_array_keep_push_order_across_devices(threaded):
    a = mx.nd.zeros((3,))
    data = a._data
    gate = _block(mx.cpu(1))
    var = a._engine_var()
    threaded.push(lambda: data.fill(1), [], [var], mx.cpu(1), "first")
    threaded.push(lambda: data.fill(2), [], [var], mx.cpu(0), "second")
    gate.set()
    np.testing.assert_array_equal(a.asnumpy(), [2, 2, 2])


def test_wait_to_write_waits_for_pending_readers(threaded):
    a = mx.nd.ones((2,))
    finished = []
    gate = _block(mx.cpu(1))
    threaded.push(lambda: finished.append("read"), [a._engine_var()], [], mx.cpu(1), "reader")
    threading.Thread(target=gate.set).start()  # released while this thread waits
    a.wait_to_write()
    assert finished == ["read"]


def test_concurrent_pushers_do_not_deadlock(threaded):
    # Several threads push chains that cross both devices; a task must never be queued
    # behind one that waits for it.
    arrays = [mx.nd.zeros((8,), ctx=mx.cpu(i % 2)) for i in range(4)]

    def pusher(i):
        x = arrays[i]
        for _ in range(100):
            x += 1
            y = x.copyto(mx.cpu(1 - i % 2))
            y += 1

    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    waiter = threading.Thread(target=mx.nd.waitall, daemon=True)
    waiter.start()
    waiter.join(HANG_GUARD_S)
    assert not waiter.is_alive(), "the engine deadlocked"
    for x in arrays:
        np.testing.assert_array_equal(x.asnumpy(), np.full(8, 100.0))


def test_a_full_backlog_holds_pushes_back(threaded, monkeypatch):
    monkeypatch.setattr(threaded, "max_pending", 4)
    seen = []
    var = threaded.new_var()
    for i in range(40):
        # Runs on the worker: the pending count includes this task and those queued after.
        threaded.push(lambda i=i: seen.append((i, threaded._pending)), [], [var], mx.cpu(), "n")
    mx.nd.waitall()
    assert [i for i, _ in seen] == list(range(40))
    assert max(pending for _, pending in seen) <= 4


# ---- errors -------------------------------------------------------------------------------


def _fail(engine, array, error=None, op_name="failing_op"):
    """Push an operation writing ``array`` that raises ``error`` (a ValueError by default)."""

    def run():
        raise error if error is not None else ValueError("bad value inside")

    engine.push(run, [], [array._engine_var()], array.context, op_name)


def test_error_surfaces_at_wait_to_read_and_asnumpy(threaded):
    a = mx.nd.ones((2,))
    _fail(threaded, a)
    with pytest.raises(MXNetError, match="failing_op: ValueError: bad value inside") as info:
        a.wait_to_read()
    assert isinstance(info.value.__cause__, ValueError)
    # Reading a failed array keeps raising: its data was never written.
    with pytest.raises(MXNetError, match="failing_op"):
        a.asnumpy()


def test_error_surfaces_at_waitall(threaded):
    a = mx.nd.ones((2,))
    _fail(threaded, a)
    with pytest.raises(MXNetError, match="failing_op"):
        mx.nd.waitall()
    mx.nd.waitall()  # reported once: the next waitall is clean


def test_error_raised_at_wait_is_not_raised_again_by_waitall(threaded):
    a = mx.nd.ones((2,))
    _fail(threaded, a)
    with pytest.raises(MXNetError):
        a.wait_to_read()
    mx.nd.waitall()


def test_mxnet_errors_keep_their_type(threaded):
    a = mx.nd.ones((2,))
    _fail(threaded, a, MXNetValueError("custom: wrong"))
    with pytest.raises(MXNetValueError, match="^custom: wrong$"):
        a.asnumpy()


def test_worker_survives_an_error(threaded):
    a = mx.nd.ones((2,))
    _fail(threaded, a)
    b = mx.nd.array([1.0, 2.0]) * 3  # same device, pushed after the failure
    np.testing.assert_array_equal(b.asnumpy(), [3.0, 6.0])
    with pytest.raises(MXNetError):
        mx.nd.waitall()
    np.testing.assert_array_equal((b + 1).asnumpy(), [4.0, 7.0])


def test_error_propagates_to_readers_without_running_them(threaded):
    a = mx.nd.ones((2,))
    _fail(threaded, a)
    ran = []
    b = mx.nd.zeros((2,), ctx=mx.cpu(1))
    threaded.push(lambda: ran.append(1), [a._engine_var()], [b._engine_var()], mx.cpu(1), "r")
    c = a + 1
    d = c * 2
    for result in (b, c, d):
        with pytest.raises(MXNetError, match="failing_op: ValueError"):
            result.asnumpy()
    assert ran == []


def test_successful_overwrite_clears_an_error(threaded):
    a = mx.nd.ones((3,))
    _fail(threaded, a)
    with pytest.raises(MXNetError):
        mx.nd.waitall()
    mx.nd.array([4.0, 5.0, 6.0]).copyto(a)
    np.testing.assert_array_equal(a.asnumpy(), [4.0, 5.0, 6.0])


def test_kernel_failure_names_the_operator(threaded, monkeypatch):
    exp = REGISTRY["exp"]

    def broken(xp, p, *inputs, out=None):
        raise FloatingPointError("kernel blew up")

    x = mx.nd.ones((2, 2))
    monkeypatch.setattr(exp, "forward", broken)
    y = mx.nd.exp(x)  # validation passes: the failure happens on the worker
    with pytest.raises(MXNetError, match=r"exp.*FloatingPointError: kernel blew up"):
        mx.nd.waitall()
    z = y + 1
    with pytest.raises(MXNetError, match=r"exp.*kernel blew up"):
        z.asnumpy()


def test_every_failure_is_kept(threaded):
    first, second = mx.nd.ones((2,)), mx.nd.ones((2,), ctx=mx.cpu(1))
    _fail(threaded, first, ValueError("one"), "op_one")
    _fail(threaded, second, ValueError("two"), "op_two")
    with pytest.raises(MXNetError, match="op_one"):
        mx.nd.waitall()
    with pytest.raises(MXNetError, match="op_two"):
        second.asnumpy()


def test_repeated_raises_do_not_grow_the_traceback(threaded):
    a = mx.nd.ones((2,))
    _fail(threaded, a)
    depths = []
    for _ in range(3):
        with pytest.raises(MXNetError) as info:
            a.asnumpy()
        depths.append(len(info.traceback))
    assert depths[0] == depths[1] == depths[2]


def test_naive_engine_raises_at_the_call():
    def run():
        raise ValueError("now")

    with mx.engine.engine_scope("NaiveEngine") as engine:
        with pytest.raises(MXNetError, match="naive_op: ValueError: now"):
            engine.push(run, [], [], mx.cpu(), "naive_op")


# ---- switching engines --------------------------------------------------------------------


def test_engine_scope_switches_and_restores():
    before = mx.engine.get_engine()
    with mx.engine.engine_scope(THREADED) as engine:
        assert engine.name == THREADED
        assert mx.engine.get_engine() is engine
    assert mx.engine.get_engine() is before


def test_engine_scope_restores_even_when_pending_work_failed():
    before = mx.engine.get_engine()
    with pytest.raises(MXNetError, match="failing_op"):
        with mx.engine.engine_scope(THREADED) as engine:
            _fail(engine, mx.nd.ones((2,)))
    assert mx.engine.get_engine() is before


def test_engine_scope_ends_its_workers():
    before = set(threading.enumerate())
    with mx.engine.engine_scope(THREADED):
        (mx.nd.ones((2,), ctx=mx.cpu(0)) + mx.nd.ones((2,), ctx=mx.cpu(0))).wait_to_read()
        (mx.nd.ones((2,), ctx=mx.cpu(1)) * 2).wait_to_read()
        started = set(threading.enumerate()) - before
        workers = [t for t in started if t.name.startswith("neomx-engine-")]
    assert workers
    for worker in workers:
        worker.join(HANG_GUARD_S)
        assert not worker.is_alive()


def test_views_made_under_naive_share_the_variable_after_a_switch():
    x = mx.nd.zeros((4, 4))
    view = x.reshape(16)
    with mx.engine.engine_scope(THREADED):
        # Shared, a view's read waits for the write through the base array.
        assert view._engine_var() is x._engine_var()
        gate = _block(mx.cpu(0))
        x += 1
        gate.set()
        np.testing.assert_array_equal(view.asnumpy(), np.ones(16))


def test_set_engine_returns_the_previous_engine():
    before = mx.engine.get_engine()
    try:
        previous = mx.engine.set_engine(THREADED)
        assert previous is before
        assert mx.engine.get_engine().name == THREADED
        np.testing.assert_array_equal((mx.nd.ones((2,)) + 1).asnumpy(), [2.0, 2.0])
    finally:
        mx.engine.set_engine(before.name)
    assert mx.engine.get_engine().name == before.name


def test_unknown_engine_name_raises():
    with pytest.raises(MXNetValueError, match="NoSuchEngine"):
        with mx.engine.engine_scope("NoSuchEngine"):
            pass


# ---- bulk ---------------------------------------------------------------------------------


def test_set_bulk_size_returns_the_previous_size():
    original = mx.engine.set_bulk_size(7)
    try:
        assert mx.engine.set_bulk_size(3) == 7
        assert mx.engine.set_bulk_size(3) == 3
    finally:
        mx.engine.set_bulk_size(original)


def test_bulk_is_accepted_and_restores(engine_type):
    original = mx.engine.set_bulk_size(4)
    try:
        x = mx.nd.zeros((3,))
        with mx.engine.bulk(10):
            for _ in range(12):
                x += 1
            assert mx.engine.set_bulk_size(10) == 10
        assert mx.engine.set_bulk_size(4) == 4
        np.testing.assert_array_equal(x.asnumpy(), [12, 12, 12])
    finally:
        mx.engine.set_bulk_size(original)


# ---- independent devices run at the same time ---------------------------------------------


def _overlap(intervals_a, intervals_b):
    """Whether some op of each chain starts before some op of the other ends."""
    starts_a, ends_a = zip(*intervals_a)
    starts_b, ends_b = zip(*intervals_b)
    return min(starts_a) < max(ends_b) and min(starts_b) < max(ends_a)


def test_independent_chains_overlap(threaded):
    # Each chain's first op meets the other's at a barrier before it multiplies: both workers
    # then provably run at once, so the intervals overlap however loaded the machine is.
    # An engine that serialised the chains would break the barrier and fail the ops.
    barrier = threading.Barrier(2, timeout=HANG_GUARD_S)
    rng = np.random.default_rng(0)
    matrices = {name: rng.standard_normal((400, 400)) for name in "ab"}
    intervals = {"a": [], "b": []}

    def step(name, first):
        def run():
            start = time.perf_counter()
            if first:
                barrier.wait()
            matrices[name] = np.tanh(matrices[name] @ matrices[name])
            intervals[name].append((start, time.perf_counter()))

        return run

    chain_vars = {"a": threaded.new_var(), "b": threaded.new_var()}
    for i in range(4):
        for name, ctx in (("a", mx.cpu(0)), ("b", mx.cpu(1))):
            threaded.push(step(name, i == 0), [], [chain_vars[name]], ctx, f"matmul_{name}")
    mx.nd.waitall()
    assert len(intervals["a"]) == len(intervals["b"]) == 4
    assert _overlap(intervals["a"], intervals["b"])


def test_ndarray_chains_on_two_cpus_overlap(threaded):
    # NDArray operations on cpu(0) and cpu(1) go to the two devices' workers; a first pushed
    # op per chain meets the other at a barrier (as above) and the last one stamps the end.
    barrier = threading.Barrier(2, timeout=HANG_GUARD_S)
    intervals = {}
    arrays, expected = {}, {}

    def stamp(times, meet=False):
        def run():
            times.append(time.perf_counter())
            if meet:
                barrier.wait()

        return run

    for ctx in (mx.cpu(0), mx.cpu(1)):
        host = np.linspace(0, 1, 256 * 1024, dtype=np.float32)
        x = mx.nd.array(host, ctx=ctx)
        var = x._engine_var()
        starts, ends = [], []
        threaded.push(stamp(starts, meet=True), [], [var], ctx, "start")
        for _ in range(5):
            x *= 1.5
            x += 1.0
            host = host * np.float32(1.5) + np.float32(1.0)
        threaded.push(stamp(ends), [var], [], ctx, "end")
        intervals[ctx] = (starts, ends)
        arrays[ctx], expected[ctx] = x, host
    mx.nd.waitall()
    (starts_a, ends_a), (starts_b, ends_b) = intervals.values()
    assert _overlap(list(zip(starts_a, ends_a)), list(zip(starts_b, ends_b)))
    for ctx, x in arrays.items():
        assert x.context == ctx
        np.testing.assert_allclose(x.asnumpy(), expected[ctx], rtol=1e-6)
