"""The threaded engine: one worker thread per device, ordered by read/write dependencies.

Operations pushed for one device run in push order on that device's worker, which already
orders them; a dependency on another device's operation is waited for explicitly. Every wait
points at an earlier push, so waits can never form a cycle.

An operation that raises stores the error (as ``MXNetError``) on the variables it writes;
operations reading them fail with the same error without running, and the next
``wait_to_read`` of such a variable, or ``waitall``, raises it in the caller's thread.
"""

from __future__ import annotations

import queue
import threading

from ..base import MXNetError
from .var import Failure, Var

__all__ = ["ThreadedEngine"]

# Marks the engine's own worker threads, which never wait for the backlog to shrink.
_thread_role = threading.local()


class _Task:
    """One pushed operation; ``running`` is held from its push until it has run (or failed).

    A bare lock, not a ``threading.Event``: it costs a tenth as much, on every operation.
    """

    __slots__ = ("fn", "op_name", "reads", "writes", "deps", "worker", "running", "order")

    def __init__(self, fn, op_name, reads, writes, deps, worker, order):
        self.fn = fn
        self.op_name = op_name
        self.reads = reads
        self.writes = writes
        self.deps = deps
        self.worker = worker
        self.running = threading.Lock()
        self.running.acquire()
        self.order = order

    def finished(self) -> bool:
        return not self.running.locked()

    def wait(self) -> None:
        """Block until the task has run."""
        with self.running:
            pass


class ThreadedEngine:
    """Runs pushed functions asynchronously on a worker thread per device.

    NumPy releases the GIL inside its kernels, so operations on different devices (``cpu(0)``
    and ``cpu(1)`` included) overlap in time.

    A push waits while ``max_pending`` operations are pending, until half of them finished:
    outputs are allocated when pushed, so an unbounded backlog would hold an unbounded number
    of buffers, none of them back in the pool before its operation ran. (So a pushed function
    must not wait for something its pushing thread does only after many more pushes.)
    """

    name = "ThreadedEnginePerDevice"
    is_sync = False
    max_pending = 64

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._workers: dict = {}
        self._pending = 0
        self._pushed = 0
        # Failures no sync point has raised yet; waitall raises the earliest pushed.
        self._unreported: list[Failure] = []

    def new_var(self):
        return Var()

    def push(self, fn, reads, writes, ctx, op_name="operation"):
        """Run ``fn()`` on ``ctx``'s worker once the writers of ``reads`` and the readers and
        writers of ``writes`` pushed before it have finished."""
        with self._lock:
            if self._pending >= self.max_pending and not getattr(_thread_role, "worker", False):
                while self._pending > self.max_pending // 2:
                    self._idle.wait()
            worker = self._workers.get(ctx)
            if worker is None:
                worker = self._start_worker(ctx)
            deps = []
            for var in reads:
                _add_dep(deps, var.last_write, worker)
            for var in writes:
                _add_dep(deps, var.last_write, worker)
                for reader in var.reads:
                    _add_dep(deps, reader, worker)
            self._pushed += 1
            task = _Task(fn, op_name, reads, writes, deps, worker, self._pushed)
            for var in reads:
                _add_reader(var, task)
            for var in writes:
                var.last_write = task
                var.reads = []
            self._pending += 1
            # NOTE: enqueue under the lock: if another thread could enqueue in between, a
            # task might sit in a queue behind one that waits for it, and both would hang.
            worker.put(task)

    def _start_worker(self, ctx):
        worker = self._workers[ctx] = queue.SimpleQueue()
        thread = threading.Thread(
            target=self._work, args=(worker,), name=f"neomx-engine-{ctx}", daemon=True
        )
        thread.start()
        return worker

    def _work(self, worker):
        _thread_role.worker = True
        while True:
            task = worker.get()
            if task is None:
                return
            for dep in task.deps:
                dep.wait()
            failure = next((v.failure for v in task.reads if v.failure is not None), None)
            new_failure = None
            if failure is None:
                try:
                    task.fn()
                except BaseException as err:  # noqa: BLE001 - a worker must never die
                    error = err if isinstance(err, MXNetError) else _wrap(task.op_name, err)
                    failure = new_failure = Failure(error, task.order)
            for var in task.writes:
                var.failure = failure
            # Drop the closure (and the arrays it holds) before anyone can see the task done:
            # then the buffers of arrays dropped meanwhile are back in their pool when a
            # waiter goes on. This also breaks the var -> task -> var reference cycles.
            task.fn = task.deps = task.reads = task.writes = None
            with self._lock:
                # A failure read from an input was recorded where it first happened.
                if new_failure is not None:
                    self._unreported.append(new_failure)
                self._pending -= 1
                # Wakes waitall (at zero) and pushes held back by a full backlog (at half).
                if self._pending == 0 or self._pending == self.max_pending // 2:
                    self._idle.notify_all()
            task.running.release()

    def wait_to_read(self, var):
        """Block until the last pending write of ``var`` finished; raise its failure."""
        task = var.last_write
        if task is not None:
            task.wait()
        failure = var.failure
        if failure is not None:
            self._report(failure)
            failure.reraise()

    def wait_to_write(self, var):
        """Block until every pending read and write of ``var`` finished."""
        for task in list(var.reads):
            task.wait()
        self.wait_to_read(var)

    def waitall(self):
        """Block until all pushed work finished; raise the earliest pushed failure not yet
        raised (the others still raise where their arrays are read)."""
        with self._lock:
            while self._pending:
                self._idle.wait()
            unreported, self._unreported = self._unreported, []
        if unreported:
            min(unreported, key=lambda failure: failure.order).reraise()

    def shutdown(self):
        """Finish pending work and end the worker threads (a later push starts new ones)."""
        with self._lock:
            while self._pending:
                self._idle.wait()
            workers, self._workers = self._workers, {}
        for worker in workers.values():
            worker.put(None)

    def _report(self, failure):
        with self._lock:
            self._unreported = [f for f in self._unreported if f is not failure]


def _add_dep(deps, task, worker):
    # A task queued earlier on the same worker has finished before this one starts.
    if task is not None and task.worker is not worker and not task.finished():
        deps.append(task)


def _add_reader(var, task):
    reads = var.reads
    if len(reads) >= var.prune_at:
        reads = var.reads = [t for t in reads if not t.finished()]
        var.prune_at = max(8, 2 * len(reads))
    reads.append(task)


def _wrap(op_name, err):
    wrapped = MXNetError(f"{op_name}: {type(err).__name__}: {err}")
    wrapped.__cause__ = err
    return wrapped
