"""DataLoader: batching, order, workers (processes and threads), shared memory, failures and
clean-up."""

from __future__ import annotations

import collections
import gc
import mmap
import os
import signal
import time

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError, MXNetTypeError, MXNetValueError
from neomx.gluon import data
from neomx.gluon.data.batchify import default_batchify_fn, default_mp_batchify_fn

# (num_workers, thread_pool): in this process, one and two worker processes, two threads.
WORKERS = [(0, False), (1, False), (2, False), (2, True)]
WORKER_IDS = ["main", "1proc", "2proc", "2threads"]


def children() -> list[int]:
    """The live (or zombie) child processes of this process."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            found.append(int(entry))
    return found


@pytest.fixture
def no_stray_processes():
    """Fails the test if it leaves child processes behind once its objects are collected."""
    before = set(children())
    yield
    gc.collect()
    assert set(children()) - before == set()


def as_lists(batches):
    return [[x.asnumpy().tolist() for x in batch] for batch in batches]


def pairs(length=10):
    return data.ArrayDataset(np.arange(length, dtype="float32"), np.arange(length) * 10)


# ---- batching -----------------------------------------------------------------------------


@pytest.mark.parametrize("workers, threads", WORKERS, ids=WORKER_IDS)
def test_batches_and_order(workers, threads, no_stray_processes):
    loader = data.DataLoader(pairs(), batch_size=4, num_workers=workers, thread_pool=threads)
    expected = [
        [[0.0, 1.0, 2.0, 3.0], [0, 10, 20, 30]],
        [[4.0, 5.0, 6.0, 7.0], [40, 50, 60, 70]],
        [[8.0, 9.0], [80, 90]],
    ]
    assert len(loader) == 3
    for _ in range(2):
        batches = list(loader)
        assert as_lists(batches) == expected
        x, y = batches[0]
        assert isinstance(x, mx.nd.NDArray) and x.dtype == np.float32 and y.dtype == np.int64
        # As MXNet 1.9.1: worker batches are in shared memory.
        assert x.context == (mx.cpu_shared(0) if workers else mx.cpu(0))


@pytest.mark.parametrize("workers, threads", WORKERS, ids=WORKER_IDS)
def test_many_batches_keep_the_sampler_order(workers, threads, seed):
    images = np.random.rand(203, 3, 5, 4).astype("float32")
    labels = np.arange(203)
    loader = data.DataLoader(
        data.ArrayDataset(images, labels),
        batch_size=8,
        shuffle=True,
        num_workers=workers,
        thread_pool=threads,
        prefetch=3,
    )
    np.random.seed(seed)
    order = np.concatenate([y.asnumpy() for _, y in loader])
    np.random.seed(seed)
    got = np.concatenate([x.asnumpy() for x, _ in loader])
    assert sorted(order.tolist()) == labels.tolist()
    np.testing.assert_array_equal(got, images[order])


def test_default_batchify_numbers_keep_numpy_dtypes():
    assert default_batchify_fn([1, 2, 3]).dtype == np.int64
    assert default_batchify_fn([1.5, 2.0]).dtype == np.float64
    assert default_batchify_fn([np.float32(1), np.float32(2)]).dtype == np.float32
    assert default_batchify_fn([np.uint8(1), np.uint8(2)]).dtype == np.uint8
    assert default_batchify_fn([True, False]).dtype == np.bool_
    # A list of numbers is one row, as in MXNet 1.9.1.
    rows = default_batchify_fn([[1, 2], [3, 4]])
    assert rows.shape == (2, 2) and rows.asnumpy().tolist() == [[1, 2], [3, 4]]


def test_default_batchify_arrays_and_structures():
    samples = [
        (mx.nd.ones((2, 3)) * i, np.full((4,), i, dtype="int32"), {"w": float(i), "v": [i, i]})
        for i in range(3)
    ]
    batch = default_batchify_fn(samples)
    assert isinstance(batch, list) and len(batch) == 3
    nd_part, np_part, dict_part = batch
    assert nd_part.shape == (3, 2, 3) and nd_part.dtype == np.float32
    assert nd_part.asnumpy()[:, 0, 0].tolist() == [0, 1, 2]
    assert np_part.shape == (3, 4) and np_part.dtype == np.int32
    assert set(dict_part) == {"w", "v"}
    assert dict_part["w"].asnumpy().tolist() == [0.0, 1.0, 2.0]
    assert dict_part["v"].asnumpy().tolist() == [[0, 0], [1, 1], [2, 2]]
    # A list holding arrays is batched field by field.
    fields = default_batchify_fn([[np.ones(2), np.zeros(1)]] * 2)
    assert [f.shape for f in fields] == [(2, 2), (2, 1)]
    assert default_mp_batchify_fn([np.ones(2)] * 2).context == mx.cpu_shared(0)


def test_default_batchify_zero_size_and_one_sample():
    assert default_batchify_fn([np.zeros((0, 3))] * 2).shape == (2, 0, 3)
    assert default_batchify_fn([mx.nd.ones((1,))]).shape == (1, 1)


def test_default_batchify_errors():
    with pytest.raises(MXNetValueError, match="same shape; sample 0 has .3,. and sample 1 has"):
        default_batchify_fn([np.ones(3), np.ones(4)])
    with pytest.raises(MXNetValueError, match="same dtype"):
        default_batchify_fn([np.ones(3, "float32"), np.ones(3, "float64")])
    with pytest.raises(MXNetTypeError, match="cannot batch samples of type str"):
        default_batchify_fn(["a", "b"])
    with pytest.raises(MXNetTypeError, match="cannot batch samples of type object"):
        default_batchify_fn([object()])
    with pytest.raises(MXNetValueError, match="same number of fields"):
        default_batchify_fn([(1, 2), (1,)])


@pytest.mark.parametrize("workers, threads", WORKERS, ids=WORKER_IDS)
def test_custom_batchify_keeps_types(workers, threads):
    def batchify(samples):
        values = [s for s, _ in samples]
        return (
            mx.nd.array(values),
            np.array(values, dtype="int16"),
            [f"s{v}" for v in values],
            {"n": len(samples)},
        )

    dataset = data.ArrayDataset(list(range(5)), list(range(5)))
    loader = data.DataLoader(
        dataset, batch_size=2, batchify_fn=batchify, num_workers=workers, thread_pool=threads
    )
    nd_part, np_part, names, extra = list(loader)[1]
    assert isinstance(nd_part, mx.nd.NDArray) and nd_part.asnumpy().tolist() == [2, 3]
    assert isinstance(np_part, np.ndarray) and np_part.dtype == np.int16
    assert np_part.tolist() == [2, 3] and names == ["s2", "s3"] and extra == {"n": 2}


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize(
    "last_batch, sizes",
    [("keep", [4, 4, 2]), ("discard", [4, 4]), ("rollover", [4, 4])],
)
def test_last_batch(workers, last_batch, sizes):
    loader = data.DataLoader(pairs(), batch_size=4, last_batch=last_batch, num_workers=workers)
    assert len(loader) == len(sizes)
    assert [x.shape[0] for x, _ in loader] == sizes
    if last_batch == "rollover":
        assert len(loader) == 3
        second = [x.asnumpy().tolist() for x, _ in loader]
        assert second[0] == [8.0, 9.0, 0.0, 1.0] and len(second) == 3


def test_batch_sampler_argument():
    batches = data.BatchSampler(data.SequentialSampler(6, start=2), 3)
    loader = data.DataLoader(pairs(), batch_sampler=batches)
    assert [y.asnumpy().tolist() for _, y in loader] == [[20, 30, 40], [50, 60, 70]]


def test_sampler_argument():
    loader = data.DataLoader(pairs(), batch_size=3, sampler=data.IntervalSampler(10, 5))
    expected = [[0, 50, 10], [60, 20, 70], [30, 80, 40], [90]]
    assert [y.asnumpy().tolist() for _, y in loader] == expected


def test_argument_errors():
    with pytest.raises(MXNetValueError, match="batch_size must be specified"):
        data.DataLoader(pairs())
    with pytest.raises(MXNetValueError, match="shuffle must not be specified"):
        data.DataLoader(pairs(), 2, shuffle=True, sampler=data.SequentialSampler(10))
    batches = data.BatchSampler(data.SequentialSampler(10), 2)
    for extra in ({"batch_size": 2}, {"shuffle": True}, {"last_batch": "keep"}):
        with pytest.raises(MXNetValueError, match="must not be specified if batch_sampler"):
            data.DataLoader(pairs(), batch_sampler=batches, **extra)
    with pytest.raises(MXNetValueError, match="last_batch must be one of"):
        data.DataLoader(pairs(), 2, last_batch="drop")
    with pytest.raises(MXNetValueError, match="timeout must be positive"):
        data.DataLoader(pairs(), 2, timeout=0)


@pytest.mark.parametrize("workers, threads", WORKERS, ids=WORKER_IDS)
@pytest.mark.parametrize("custom", [False, True], ids=["default", "custom"])
def test_pin_memory(workers, threads, custom):
    batchify = (lambda s: mx.nd.array(np.stack(s))) if custom else None
    loader = data.DataLoader(
        np.ones((4, 2), "float32"),
        batch_size=2,
        pin_memory=True,
        pin_device_id=0,
        batchify_fn=batchify,
        num_workers=workers,
        thread_pool=threads,
    )
    batches = list(loader)
    assert all(batch.context == mx.cpu_pinned(0) for batch in batches)
    assert (batches[0] + mx.nd.ones((2, 2))).asnumpy().tolist() == [[2, 2], [2, 2]]


def test_auto_reload_loads_the_next_pass_ahead():
    fetched = []

    def record(x):
        fetched.append(int(x))
        return x

    dataset = data.SimpleDataset(list(range(4))).transform(record)
    loader = data.DataLoader(dataset, batch_size=2, auto_reload=True)
    assert len(list(loader)) == 2
    assert len(list(loader)) == 2
    assert fetched == [0, 1, 2, 3] * 2
    loader.clean()
    assert len(list(iter(loader))) == 2


# ---- random augmentations in workers ------------------------------------------------------


class Noisy(data.Dataset):
    """Samples that draw from numpy's and mx's random streams, as augmentations do."""

    def __len__(self):
        return 24

    def __getitem__(self, idx):
        noise = mx.nd.random.uniform(shape=(2,)).asnumpy()
        return np.concatenate([noise, np.random.rand(2)]).astype("float32")


def noisy_pass(workers, seed):
    np.random.seed(seed)
    mx.random.seed(seed)
    loader = data.DataLoader(Noisy(), batch_size=4, num_workers=workers)
    return np.concatenate([x.asnumpy() for x in loader])


def test_worker_randomness_is_reproducible_and_independent_of_worker_count(seed):
    first = noisy_pass(2, seed)
    np.testing.assert_array_equal(first, noisy_pass(2, seed))
    np.testing.assert_array_equal(first, noisy_pass(1, seed))
    # Batches (and so workers) do not repeat each other's random numbers.
    assert len(np.unique(first.round(6), axis=0)) == len(first)
    assert not np.array_equal(first, noisy_pass(2, seed + 1))


def test_workers_run_nd_operations_under_the_threaded_engine(engine_type):
    images = np.random.rand(12, 3, 4, 4).astype("float32")
    dataset = data.ArrayDataset(images).transform(lambda x: mx.nd.array(x) * 2 + 1)
    loader = data.DataLoader(dataset, batch_size=5, num_workers=2)
    got = np.concatenate([x.asnumpy() for x in loader])
    np.testing.assert_allclose(got, images * 2 + 1, rtol=1e-6)


# ---- shared memory ------------------------------------------------------------------------


def test_worker_batches_are_views_of_shared_buffers_that_are_reused(no_stray_processes):
    images = np.random.rand(64, 8, 8).astype("float32")
    loader = data.DataLoader(images, batch_size=4, num_workers=2, prefetch=2)
    for _ in range(3):
        for batch in loader:
            # A view of the main process's mapping of the worker's buffer, not a copy.
            assert isinstance(batch._data.base.base.obj, mmap.mmap)
    pool = loader._pool
    # 16 batches a pass, yet each worker only ever filled a few buffers.
    assert all(len(buffers._maps) <= 3 for buffers in pool._buffers)


def test_batches_kept_alive_stay_valid(no_stray_processes):
    images = np.random.rand(40, 16).astype("float32")
    loader = data.DataLoader(images, batch_size=4, num_workers=2)
    kept = list(loader)
    for batch in kept:
        batch[:] = -1  # writing one batch must not touch another
    kept = list(loader)
    del loader
    gc.collect()
    np.testing.assert_array_equal(np.concatenate([b.asnumpy() for b in kept]), images)


def test_growing_batches_and_empty_arrays():
    sizes = [1, 1, 50, 50, 2000, 2000, 3, 3]

    def batchify(samples):
        n = samples[0]
        return mx.nd.ones((n, 100)) * n, np.zeros((0, 5))

    loader = data.DataLoader(sizes, batch_size=2, batchify_fn=batchify, num_workers=1)
    for n, (big, empty) in zip(sizes[::2], loader):
        assert big.shape == (n, 100) and float(big.asnumpy().mean()) == n
        assert empty.shape == (0, 5)


# ---- failures -----------------------------------------------------------------------------


class Failing(data.Dataset):
    """Sample 7 raises, kills its process, or hangs for ``hang_s``, depending on ``mode``."""

    def __init__(self, mode, hang_s=60.0):
        self.mode = mode
        self.hang_s = hang_s

    def __len__(self):
        return 16

    def __getitem__(self, idx):
        if idx == 7:
            if self.mode == "raise":
                raise ValueError("bad sample")
            if self.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.mode == "hang":
                time.sleep(self.hang_s)
        return np.full((2,), idx, dtype="float32")


@pytest.mark.parametrize("workers, threads", WORKERS, ids=WORKER_IDS)
def test_worker_error_names_the_sample(workers, threads, no_stray_processes):
    loader = data.DataLoader(
        Failing("raise"), batch_size=4, num_workers=workers, thread_pool=threads
    )
    it = iter(loader)
    assert next(it).shape == (4, 2)
    error = MXNetError if workers else ValueError
    with pytest.raises(error, match=r"bad sample") as info:
        next(it)
    if workers:
        assert r"dataset[7] raised ValueError: bad sample" in str(info.value)
        assert "Traceback in the worker" in str(info.value)
    # The pass goes on after the failed batch, and a new pass works.
    assert [b.asnumpy()[0, 0] for b in it] == [8, 12]
    assert next(iter(loader)).shape == (4, 2)


def test_batchify_error_names_the_batch():
    def batchify(samples):
        raise KeyError("no way")

    loader = data.DataLoader(list(range(8)), batch_size=4, batchify_fn=batchify, num_workers=1)
    with pytest.raises(MXNetError, match=r"batchify_fn raised KeyError.*samples \[0, 1, 2, 3\]"):
        next(iter(loader))


def test_killed_worker_raises_and_the_next_pass_restarts(no_stray_processes):
    loader = data.DataLoader(Failing("kill"), batch_size=4, num_workers=2)
    start = time.monotonic()
    with pytest.raises(MXNetError, match=r"exited unexpectedly \(killed by signal SIGKILL\)"):
        list(loader)
    assert time.monotonic() - start < 10
    with pytest.raises(MXNetError, match=r"samples \[4, 5, 6, 7\].*\(at sample 7\)"):
        list(loader)
    # The pool that lost a worker is stopped; iterating again starts fresh workers.
    loader._dataset.mode = "ok"
    assert len(list(loader)) == 4


def test_worker_killed_from_outside_while_waiting(no_stray_processes):
    slow = data.SimpleDataset(list(range(8))).transform(lambda x: time.sleep(0.5) or x)
    loader = data.DataLoader(slow, batch_size=4, num_workers=1, timeout=30)
    it = iter(loader)
    os.kill(loader._pool.pids[0], signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(MXNetError, match=r"worker 0 \(pid \d+\) exited unexpectedly.*\[0, 1"):
        next(it)
    assert time.monotonic() - start < 10
    with pytest.raises(MXNetError, match="worker processes were stopped"):
        next(it)


@pytest.mark.parametrize("threads", [False, True], ids=["processes", "threads"])
def test_timeout(threads, no_stray_processes):
    # A thread cannot be stopped, so the hanging one must end soon by itself.
    hang = Failing("hang", hang_s=1.5 if threads else 60.0)
    loader = data.DataLoader(hang, batch_size=4, num_workers=2, thread_pool=threads, timeout=0.5)
    it = iter(loader)
    next(it)
    start = time.monotonic()
    with pytest.raises(MXNetError, match=r"timed out after 0.5 s.*samples \[4, 5, 6, 7\]"):
        next(it)
    assert time.monotonic() - start < 10
    if not threads:
        assert "at sample 7" in loader._pool.broken


# ---- clean-up -----------------------------------------------------------------------------


def test_workers_are_reused_across_passes_and_stopped_by_gc(no_stray_processes):
    loader = data.DataLoader(pairs(40), batch_size=4, num_workers=2)
    list(loader)
    pids = loader._pool.pids
    assert set(pids) <= set(children())
    list(loader)
    assert loader._pool.pids == pids
    del loader
    gc.collect()
    assert not set(pids) & set(children())


def test_breaking_out_early_and_interleaved_passes(no_stray_processes):
    loader = data.DataLoader(pairs(40), batch_size=4, num_workers=2, prefetch=4)
    for _ in loader:
        break
    first, second = iter(loader), iter(loader)
    got = collections.defaultdict(list)
    for _ in range(10):
        got["a"].append(next(first)[1].asnumpy()[0])
        got["b"].append(next(second)[1].asnumpy()[0])
    assert got["a"] == got["b"] == [i * 40 for i in range(10)]
    del first
    assert len(list(second)) == 0
    assert len(list(loader)) == 10


def test_iterator_outliving_its_loader_keeps_the_workers(no_stray_processes):
    it = iter(data.DataLoader(pairs(20), batch_size=4, num_workers=2))
    gc.collect()
    assert len(list(it)) == 5
    assert len(it) == 5


def test_loader_in_a_reference_cycle_is_cleaned_by_gc(no_stray_processes):
    loader = data.DataLoader(pairs(20), batch_size=4, num_workers=2)
    loader.self_reference = loader
    next(iter(loader))
    del loader
