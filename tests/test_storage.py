"""The per-context memory pool: freed large buffers are reused, never while a view lives.

Each test uses its own context (``cpu(5)`` and up) so that its pool starts empty and no
other test's arrays land in it. Buffers are compared by their data pointers.
"""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import neomx as mx
from neomx.base import POOL_MIN_BYTES
from neomx.storage import Pool, pool_for

SHAPE = (257, 263)  # float32, about 264 KiB: pooled, and a size no other test uses
BIG = 1_000_000  # the 1M-element add of DESIGN.md's Memory section


@pytest.fixture
def ctx(request):
    """A context of its own with an empty pool (overrides conftest's device list).

    Tests that do not ask for ``engine_type`` run under NaiveEngine, whatever
    MXNET_ENGINE_TYPE says: they free arrays and expect the buffers back at once.
    """
    ctx = mx.cpu(5)
    ctx.empty_cache()
    if "engine_type" in request.fixturenames:
        yield ctx
    else:
        with mx.engine.engine_scope("NaiveEngine"):
            yield ctx
    ctx.empty_cache()


def _pointer(array) -> int:
    return array.__array_interface__["data"][0]


def _buffer_of(x) -> int:
    """The address of the pooled buffer behind NDArray ``x``."""
    assert x._chunk is not None, "expected a pooled array"
    return _pointer(x._chunk.raw)


def _pooled_size(shape, dtype=np.float32) -> int:
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    return -(-nbytes // 4096) * 4096


def test_freed_array_returns_its_buffer_and_the_next_allocation_reuses_it(ctx):
    pool = pool_for(ctx)
    x = mx.nd.zeros(SHAPE, ctx=ctx)
    buffer = _buffer_of(x)
    assert _pointer(x._data) == buffer
    del x
    assert pool.idle_bytes == _pooled_size(SHAPE)
    reused = pool.reused
    y = mx.nd.ones(SHAPE, ctx=ctx)
    assert pool.reused == reused + 1
    assert _buffer_of(y) == buffer
    assert pool.idle_bytes == 0
    np.testing.assert_array_equal(y.asnumpy(), np.ones(SHAPE))  # nothing stale shows through


def test_reuse_needs_the_same_page_count(ctx):
    pool = pool_for(ctx)
    mx.nd.zeros(SHAPE, ctx=ctx)  # allocated and freed at once
    assert pool.idle_bytes == _pooled_size(SHAPE)
    reused = pool.reused
    other = mx.nd.zeros((SHAPE[0] * 2, SHAPE[1]), ctx=ctx)
    assert pool.reused == reused
    assert pool.idle_bytes == _pooled_size(SHAPE)
    del other


@pytest.mark.parametrize("dtype", ["float16", "int64", "uint8"])
def test_other_dtypes_are_pooled_too(ctx, dtype):
    pool = pool_for(ctx)
    x = mx.nd.zeros(SHAPE, ctx=ctx, dtype=dtype)
    buffer = _buffer_of(x)
    del x
    y = mx.nd.empty(SHAPE, ctx=ctx, dtype=dtype)
    assert _buffer_of(y) == buffer
    assert y.dtype == np.dtype(dtype)
    assert pool.reused >= 1


def test_small_arrays_bypass_the_pool(ctx):
    pool = pool_for(ctx)
    small = mx.nd.zeros((POOL_MIN_BYTES // 4 - 1,), ctx=ctx)
    assert small._chunk is None
    del small
    assert pool.idle_bytes == 0


def test_pinned_and_shared_memory_use_the_cpu_pool():
    assert pool_for(mx.cpu_pinned(5)) is pool_for(mx.cpu(5))
    assert pool_for(mx.cpu_shared(5)) is pool_for(mx.cpu(5))
    assert pool_for(mx.cpu(6)) is not pool_for(mx.cpu(5))


# ---- views keep the buffer out of the pool ------------------------------------------------


def test_reshape_view_keeps_the_buffer_until_it_dies(ctx):
    pool = pool_for(ctx)
    x = mx.nd.zeros(SHAPE, ctx=ctx)
    buffer = _buffer_of(x)
    view = x.reshape(-1)
    del x
    assert pool.idle_bytes == 0
    other = mx.nd.zeros(SHAPE, ctx=ctx)
    assert _buffer_of(other) != buffer
    view += 1  # still the array's storage
    del view
    assert pool.idle_bytes == _pooled_size(SHAPE)
    assert _buffer_of(mx.nd.empty(SHAPE, ctx=ctx)) == buffer


@pytest.mark.parametrize(
    "hold",
    [
        lambda x: x._data,
        lambda x: x._data[1:3],
        lambda x: x.to_dlpack_for_read(),
        lambda x: x.to_dlpack_for_write(),
        lambda x: np.from_dlpack(x),
        lambda x: np.asarray(x._data),
    ],
    ids=["data", "slice_of_data", "dlpack_read", "dlpack_write", "from_dlpack", "asarray"],
)
def test_numpy_views_prevent_reuse(ctx, hold):
    pool = pool_for(ctx)
    x = mx.nd.full(SHAPE, 3.0, ctx=ctx)
    buffer = _buffer_of(x)
    held = hold(x)
    del x
    assert pool.idle_bytes == 0
    other = mx.nd.full(SHAPE, 4.0, ctx=ctx)
    assert _buffer_of(other) != buffer
    if isinstance(held, np.ndarray):
        assert np.all(held == 3.0)  # the user's view is intact
    del held
    assert pool.idle_bytes == _pooled_size(SHAPE)  # reusable once the last view died
    assert _buffer_of(mx.nd.empty(SHAPE, ctx=ctx)) == buffer


def test_copies_do_not_hold_the_buffer(ctx):
    pool = pool_for(ctx)
    x = mx.nd.full(SHAPE, 2.0, ctx=ctx)
    copies = [x.asnumpy(), np.array(x)]
    del x
    assert pool.idle_bytes == _pooled_size(SHAPE)
    assert all(np.all(c == 2.0) for c in copies)


def test_array_in_a_reference_cycle_returns_its_buffer(ctx):
    pool = pool_for(ctx)
    cycle = [mx.nd.zeros(SHAPE, ctx=ctx)]
    cycle.append(cycle)
    del cycle
    gc.collect()
    assert pool.idle_bytes == _pooled_size(SHAPE)


# ---- operators write into pooled buffers --------------------------------------------------


@pytest.mark.parametrize(
    "add", [lambda a, b: a + b, lambda a, b: mx.nd.elemwise_add(a, b)], ids=["plus", "elemwise"]
)
def test_large_add_result_comes_from_the_pool(ctx, add, engine_type):
    pool = pool_for(ctx)
    a = mx.nd.ones((BIG,), ctx=ctx)
    b = mx.nd.full((BIG,), 2.0, ctx=ctx)
    c = add(a, b)
    c.wait_to_read()
    buffer = _buffer_of(c)
    assert _pointer(c._data) == buffer
    del c
    reused = pool.reused
    d = add(a, b)
    assert pool.reused == reused + 1
    assert _buffer_of(d) == buffer
    np.testing.assert_array_equal(d.asnumpy(), np.full(BIG, 3.0, dtype=np.float32))


def test_out_argument_writes_into_the_given_buffer(ctx, engine_type):
    a = mx.nd.ones((BIG,), ctx=ctx)
    out = mx.nd.zeros((BIG,), ctx=ctx)
    buffer = _pointer(out._data)
    result = mx.nd.elemwise_add(a, a, out=out)
    assert result is out
    assert _pointer(out._data) == buffer
    np.testing.assert_array_equal(out.asnumpy(), np.full(BIG, 2.0, dtype=np.float32))


def test_in_place_update_keeps_its_buffer(ctx, engine_type):
    pool = pool_for(ctx)
    x = mx.nd.zeros(SHAPE, ctx=ctx)
    buffer = _buffer_of(x)
    for _ in range(3):
        x += 1
    assert _buffer_of(x) == buffer
    np.testing.assert_array_equal(x.asnumpy(), np.full(SHAPE, 3.0))
    assert pool.idle_bytes == 0


def test_pending_operation_keeps_its_input_buffer(ctx):
    with mx.engine.engine_scope("ThreadedEnginePerDevice") as engine:
        gate = threading.Event()
        engine.push(lambda: gate.wait(30), [], [], ctx, "gate")
        host = np.arange(np.prod(SHAPE), dtype=np.float32).reshape(SHAPE)
        x = mx.nd.array(host, ctx=ctx)
        buffer = _buffer_of(x)
        doubled = x * 2  # queued behind the gate, reads x's buffer later
        del x
        # Written at once by the host, so a wrongly reused buffer would corrupt `doubled`.
        overwrite = mx.nd.array(np.full(SHAPE, -1.0, dtype=np.float32), ctx=ctx)
        assert _buffer_of(overwrite) != buffer
        gate.set()
        np.testing.assert_array_equal(doubled.asnumpy(), host * 2)


# ---- emptying and bounds ------------------------------------------------------------------


def test_empty_cache_drops_idle_buffers(ctx):
    pool = pool_for(ctx)
    arrays = [mx.nd.zeros(SHAPE, ctx=ctx) for _ in range(3)]
    del arrays
    assert pool.idle_bytes == 3 * _pooled_size(SHAPE)
    ctx.empty_cache()
    assert pool.idle_bytes == 0
    reused = pool.reused
    mx.nd.zeros(SHAPE, ctx=ctx)
    assert pool.reused == reused


def test_idle_bytes_stay_within_max_bytes(ctx, monkeypatch):
    pool = pool_for(ctx)
    size = _pooled_size(SHAPE)
    monkeypatch.setattr(pool, "max_bytes", size + size // 2)
    arrays = [mx.nd.zeros(SHAPE, ctx=ctx) for _ in range(3)]
    del arrays
    assert pool.idle_bytes == size
    reused = pool.reused
    first, second = mx.nd.zeros(SHAPE, ctx=ctx), mx.nd.zeros(SHAPE, ctx=ctx)
    assert pool.reused == reused + 1
    del first, second
    assert pool.idle_bytes <= pool.max_bytes


def test_pool_rounds_sizes_to_pages():
    pool = Pool(np, max_bytes=1 << 20)
    raw = pool.take(5000)
    assert raw.nbytes == 8192 and raw.dtype == np.uint8
    address = _pointer(raw)
    pool.give(raw)
    assert pool.idle_bytes == 0  # `raw` here is a reference the pool must respect
    del raw
    assert pool.idle_bytes == 8192
    assert _pointer(pool.take(8192)) == address
    assert pool.reused == 1
    assert pool.take(8193).nbytes == 12288


def test_pool_lets_go_of_buffers_beyond_max_bytes():
    pool = Pool(np, max_bytes=8192)
    pool.give(pool.take(8192))
    pool.give(pool.take(4096))
    assert pool.idle_bytes == 8192
    pool.take(4096)
    assert pool.reused == 0
    pool.clear()
    assert pool.idle_bytes == 0
    pool.take(8192)
    assert pool.reused == 0
