"""DataLoader workers: forked processes, or threads, that read samples and batch them.

``ProcessPool`` forks ``num_workers`` processes that inherit the dataset (nothing is pickled
but the sample indices). The main process sends each worker small tasks, ``(task, indices,
seed, slot)``, over a socket; the worker batches the samples into shared buffer ``slot`` and
answers with a small header (``shared.py``). The main process waits on the sockets and on the
process sentinels at once, so a worker that dies is noticed at once, and every wait has a
deadline. ``ThreadPool`` runs the same ``load_batch`` in threads, handing batches over as they
are.

Failures are reported in the main process as ``MXNetError``s naming the worker, the sample
index and the worker's traceback. After a timeout or a dead worker the pool is stopped (a
stuck worker cannot be trusted) and the DataLoader starts a new one on its next pass.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import random
import signal
import threading
import time
import traceback
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing.connection import wait

import numpy as np

from ... import engine
from ... import random as mx_random
from ...base import MXNetError
from ...ndarray import NDArray
from .batchify import (
    collate,
    default_batchify_fn,
    default_mp_batchify_fn,
    map_leaves,
    materialize,
)
from .shared import MainBuffers, WorkerBuffers

__all__ = ["ProcessPool", "ThreadPool", "load_batch", "LoadError"]

# What a worker is doing, in its cell of the pool's shared progress array.
_IDLE = -1
_BATCHIFY = -2
_STOP_WAIT_S = 1.0


class LoadError(Exception):
    """A sample or a batch failed to load: ``message`` says which, ``details`` the
    traceback."""

    def __init__(self, message: str, details: str):
        super().__init__(message)
        self.message = message
        self.details = details


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def load_batch(dataset, indices, batchify_fn, ctx, progress=None, cell=0):
    """Fetch ``dataset[i]`` for each of ``indices`` and batch them.

    With the default batchify the result has ``Stack`` leaves still to fill when ``ctx`` is
    None (a worker process fills them into shared memory), else NDArrays on ``ctx``. Errors
    raise ``LoadError`` naming the sample. ``progress[cell]`` tracks the sample being read.
    """
    samples = []
    for index in indices:
        if progress is not None:
            progress[cell] = index
        try:
            samples.append(dataset[index])
        except Exception as err:
            raise LoadError(
                f"dataset[{index}] raised {_describe(err)}", traceback.format_exc()
            ) from None
    if progress is not None:
        progress[cell] = _BATCHIFY
    try:
        if _is_default(batchify_fn):
            tree = collate(samples, "default_batchify_fn")
            return tree if ctx is None else materialize(tree, ctx)
        return batchify_fn(samples)
    except Exception as err:
        raise LoadError(
            f"batchify_fn raised {_describe(err)} on the batch of samples {_span(indices)}",
            traceback.format_exc(),
        ) from None
    finally:
        if progress is not None:
            progress[cell] = _IDLE


def _is_default(batchify_fn) -> bool:
    return batchify_fn is default_batchify_fn or batchify_fn is default_mp_batchify_fn


def _span(indices) -> str:
    """The indices of a batch, shortened when long."""
    indices = list(indices)
    if len(indices) <= 8:
        return str(indices)
    return f"[{', '.join(map(str, indices[:4]))}, ..., {indices[-1]}] ({len(indices)} samples)"


def seed_worker(seed) -> None:
    """Seed numpy, ``random`` and ``mx.random`` for one batch from ``seed`` (a tuple of ints),
    so that a batch's random augmentations do not depend on which worker makes it."""
    numpy_seed, python_seed = np.random.SeedSequence(seed).generate_state(2).tolist()
    np.random.seed(numpy_seed)
    random.seed(python_seed)
    mx_random.seed(numpy_seed)


def _worker_error(worker, pid, message, details):
    return MXNetError(
        f"DataLoader worker {worker} (pid {pid}): {message}\n\n"
        f"Traceback in the worker:\n{details.rstrip()}"
    )


# ---- processes ----------------------------------------------------------------------------


def _process_main(worker, conn, inherited, dataset, batchify_fn, parent_pid, progress):
    """The loop of worker process ``worker``: run tasks from ``conn`` until told to stop, the
    socket closes or the parent process is gone."""
    for other in inherited:
        other.close()
    # Ctrl-C goes to the main process, which stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # NOTE: a threaded engine's threads do not survive fork; run operations synchronously.
    if engine.current.name != "NaiveEngine":
        engine.current = engine.NaiveEngine()
    buffers = WorkerBuffers()
    while True:
        try:
            if not conn.poll(_STOP_WAIT_S):
                if os.getppid() != parent_pid:
                    return
                continue
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        task_id, indices, seed, slot = task
        try:
            if seed is not None:
                seed_worker(seed)
            tree = load_batch(dataset, indices, batchify_fn, None, progress, worker)
            header = buffers.pack(tree, slot)
            del tree
            reply = ("ok", task_id, slot, buffers.new_size, header)
            payload = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except LoadError as err:
            reply = ("error", task_id, slot, buffers.new_size, (err.message, err.details))
            payload = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except Exception as err:
            details = (
                f"could not hand the batch of samples {_span(indices)} to the main process: "
                f"{_describe(err)}",
                traceback.format_exc(),
            )
            reply = ("error", task_id, slot, buffers.new_size, details)
            payload = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        try:
            conn.send_bytes(payload)
            if buffers.new_size is not None:
                buffers.send_fd(conn, parent_pid)
        except OSError:
            return


def _stop(processes, conns, at_once=False):
    """Stop the worker processes: ask them to exit, then terminate (and kill) stragglers;
    every process is joined, so no zombie remains."""
    if not at_once:
        for conn in conns:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + _STOP_WAIT_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(_STOP_WAIT_S)
        if process.is_alive():
            process.kill()
            process.join()
    for conn in conns:
        conn.close()


class ProcessPool:
    """``num_workers`` forked processes that load batches of ``dataset`` into shared memory;
    arrays come back as NDArrays on ``ctx``."""

    def __init__(self, dataset, batchify_fn, num_workers: int, ctx):
        self._ctx = ctx
        self._lock = threading.RLock()
        self._results: dict = {}
        self._cancelled: set = set()
        self._next_task = 0
        self.broken: str | None = None
        # Everything pending in the parent is finished before its memory is copied.
        engine.waitall()
        fork = multiprocessing.get_context("fork")
        self._progress = fork.RawArray("q", [_IDLE] * num_workers)
        self._conns, self._processes = [], []
        # Filled in place below, so that workers already started are stopped if one fails to.
        self._finalizer = weakref.finalize(self, _stop, self._processes, self._conns)
        parent_pid = os.getpid()
        for worker in range(num_workers):
            main_end, worker_end = fork.Pipe(duplex=True)
            process = fork.Process(
                target=_process_main,
                args=(
                    worker,
                    worker_end,
                    [*self._conns, main_end],
                    dataset,
                    batchify_fn,
                    parent_pid,
                    self._progress,
                ),
                name=f"neomx-dataloader-worker-{worker}",
                daemon=True,
            )
            with warnings.catch_warnings():
                # NOTE: Python 3.12+ warns that forking a threaded process may deadlock; the
                # child uses none of the parent's threads (engine reset, work finished above).
                warnings.filterwarnings("ignore", ".*fork.*", DeprecationWarning)
                process.start()
            worker_end.close()
            self._conns.append(main_end)
            self._processes.append(process)
        self._buffers = [MainBuffers() for _ in range(num_workers)]
        self._in_flight: list[dict] = [{} for _ in range(num_workers)]

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    def submit(self, indices, seed) -> int:
        """Send the batch of ``indices`` to the least busy worker; return its task id."""
        indices = [int(i) for i in indices]
        with self._lock:
            self._check()
            worker = min(range(len(self._processes)), key=lambda k: len(self._in_flight[k]))
            slot = self._buffers[worker].take_slot()
            task_id = self._next_task
            self._next_task += 1
            try:
                self._conns[worker].send((task_id, indices, seed, slot))
            except OSError:
                self._processes[worker].join(_STOP_WAIT_S)
                self._check_deaths()
                raise
            self._in_flight[worker][task_id] = indices
            return task_id

    def get(self, task_id: int, timeout: float):
        """The batch of task ``task_id``; raises ``MXNetError`` if it failed, if its worker
        died, or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while task_id not in self._results:
                self._check()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._time_out(task_id, timeout)
                ready = set(wait([*self._conns, *self.sentinels], remaining))
                for worker, conn in enumerate(self._conns):
                    if conn in ready:
                        self._receive(worker)
                if ready.difference(self._conns):
                    self._check_deaths()
            status, value = self._results.pop(task_id)
        if status == "error":
            raise value
        return value

    @property
    def sentinels(self):
        return [process.sentinel for process in self._processes]

    def cancel(self, task_ids) -> None:
        """Forget tasks whose batches are no longer wanted (an iterator left early)."""
        with self._lock:
            for task_id in task_ids:
                if self._results.pop(task_id, None) is None:
                    self._cancelled.add(task_id)

    def shutdown(self) -> None:
        """Stop the workers now."""
        self._finalizer()

    def _receive(self, worker: int) -> None:
        conn = self._conns[worker]
        try:
            status, task_id, slot, new_size, body = pickle.loads(conn.recv_bytes())
            if new_size is not None:
                self._buffers[worker].receive_fd(conn, slot, new_size)
        except (EOFError, OSError):
            # The worker closed its socket: it is exiting; wait for it to say how.
            self._processes[worker].join(_STOP_WAIT_S)
            self._check_deaths()
            raise
        self._in_flight[worker].pop(task_id, None)
        if task_id in self._cancelled:
            self._cancelled.discard(task_id)
            self._buffers[worker].give_slot(slot)
        elif status == "ok":
            self._results[task_id] = ("ok", self._buffers[worker].unpack(body, slot, self._ctx))
        else:
            self._buffers[worker].give_slot(slot)
            message, details = body
            error = _worker_error(worker, self._processes[worker].pid, message, details)
            self._results[task_id] = ("error", error)

    def _check(self) -> None:
        if self.broken is not None:
            raise MXNetError(f"DataLoader: the worker processes were stopped: {self.broken}")

    def _check_deaths(self) -> None:
        """Raise (and stop the pool) if a worker process has exited."""
        for worker, process in enumerate(self._processes):
            if process.exitcode is None:
                continue
            code = process.exitcode
            how = (
                f"killed by signal {signal.Signals(-code).name}"
                if code < 0
                else f"exit code {code}"
            )
            sample = self._progress[worker]
            where = ""
            if self._in_flight[worker]:
                batches = " and ".join(_span(ix) for ix in self._in_flight[worker].values())
                where = f" while loading the samples {batches}"
                if sample >= 0:
                    where += f" (at sample {sample})"
            self._break(f"worker {worker} (pid {process.pid}) exited unexpectedly ({how}){where}")

    def _time_out(self, task_id: int, timeout: float) -> None:
        for worker, tasks in enumerate(self._in_flight):
            if task_id in tasks:
                sample = self._progress[worker]
                at = f", at sample {sample}" if sample >= 0 else ""
                self._break(
                    f"timed out after {timeout} s waiting for the batch of samples "
                    f"{_span(tasks[task_id])} from worker {worker} "
                    f"(pid {self._processes[worker].pid}{at}); raise the DataLoader's timeout "
                    "if loading a batch legitimately takes that long"
                )
        self._break(f"timed out after {timeout} s waiting for task {task_id}")

    def _break(self, why: str) -> None:
        self.broken = why
        self._finalizer.detach()
        _stop(self._processes, self._conns, at_once=True)
        self._results.clear()
        raise MXNetError(f"DataLoader: {why}")


# ---- threads ------------------------------------------------------------------------------


class ThreadPool:
    """``num_workers`` threads that load batches in this process (``thread_pool=True``)."""

    def __init__(self, dataset, batchify_fn, num_workers: int, ctx):
        self._dataset = dataset
        self._batchify_fn = batchify_fn
        self._ctx = ctx
        self._executor = ThreadPoolExecutor(num_workers, "neomx-dataloader")
        self._futures: dict = {}
        self._next_task = 0
        self._lock = threading.Lock()
        self.broken: str | None = None
        self._finalizer = weakref.finalize(self, _stop_threads, self._executor)

    def submit(self, indices, seed) -> int:
        # NOTE: threads share numpy's random state, so seeds are not set per batch here.
        del seed
        with self._lock:
            task_id = self._next_task
            self._next_task += 1
            self._futures[task_id] = (
                self._executor.submit(
                    load_batch, self._dataset, list(indices), self._batchify_fn, self._ctx
                ),
                list(indices),
            )
        return task_id

    def get(self, task_id: int, timeout: float):
        with self._lock:
            future, indices = self._futures.pop(task_id)
        try:
            batch = future.result(timeout)
        except FutureTimeout:
            raise MXNetError(
                f"DataLoader: timed out after {timeout} s waiting for the batch of samples "
                f"{_span(indices)} from a worker thread; raise the DataLoader's timeout if "
                "loading a batch legitimately takes that long"
            ) from None
        except LoadError as err:
            raise MXNetError(
                f"DataLoader worker thread: {err.message}\n\n"
                f"Traceback in the worker:\n{err.details.rstrip()}"
            ) from None
        if self._ctx.device_type == "cpu_pinned" and not _is_default(self._batchify_fn):
            batch = map_leaves(lambda x: x.as_in_context(self._ctx), batch, NDArray)
        return batch

    def cancel(self, task_ids) -> None:
        with self._lock:
            for task_id in task_ids:
                entry = self._futures.pop(task_id, None)
                if entry is not None:
                    entry[0].cancel()

    def shutdown(self) -> None:
        self._finalizer()


def _stop_threads(executor) -> None:
    executor.shutdown(wait=False, cancel_futures=True)
