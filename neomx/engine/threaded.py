"""The threaded engine: one worker thread per device, ordered by read/write dependencies.

Operations pushed for one device run in push order on that device's worker, which already
orders them; a dependency on another device's operation is waited for explicitly. Every wait
points at an earlier push, so waits can never form a cycle.
"""

from __future__ import annotations

import queue
import threading

from ..base import MXNetError


class Var:
    """The engine's handle on one array storage: its last writer and the readers since."""

    __slots__ = ("last_write", "reads", "error")

    def __init__(self):
        self.last_write = None
        self.reads = []
        self.error = None


class _Task:
    __slots__ = ("fn", "op_name", "reads", "writes", "deps", "event", "error", "reported")

    def __init__(self, fn, op_name, reads, writes, deps):
        self.fn = fn
        self.op_name = op_name
        self.reads = reads
        self.writes = writes
        self.deps = deps
        self.event = threading.Event()
        self.error = None
        self.reported = False


class ThreadedEngine:
    """Runs pushed functions asynchronously on a worker thread per device."""

    name = "ThreadedEnginePerDevice"
    is_sync = False

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._queues = {}
        self._pending = 0
        self._failed = []

    def new_var(self):
        return Var()

    def push(self, fn, reads, writes, ctx, op_name="operation"):
        with self._lock:
            deps = []
            for var in reads:
                if var.last_write is not None:
                    deps.append(var.last_write)
            for var in writes:
                if var.last_write is not None:
                    deps.append(var.last_write)
                deps.extend(var.reads)
            task = _Task(fn, op_name, reads, writes, deps)
            for var in reads:
                var.reads = [t for t in var.reads if not t.event.is_set()]
                var.reads.append(task)
            for var in writes:
                var.last_write = task
                var.reads = []
            self._pending += 1
            work = self._queues.get(ctx)
            if work is None:
                work = self._queues[ctx] = queue.SimpleQueue()
                worker = threading.Thread(
                    target=self._work, args=(work,), name=f"neomx-engine-{ctx}", daemon=True
                )
                worker.start()
        work.put(task)

    def _work(self, work):
        while True:
            task = work.get()
            for dep in task.deps:
                dep.event.wait()
            task.deps = None
            error = next((var.error for var in task.reads if var.error is not None), None)
            if error is None:
                try:
                    task.fn()
                except BaseException as err:  # noqa: BLE001 - a worker must never die
                    error = err if isinstance(err, MXNetError) else _wrap(task.op_name, err)
            task.fn = None
            for var in task.writes:
                var.error = error
            with self._lock:
                if error is not None:
                    task.error = error
                    self._failed.append(task)
                self._pending -= 1
                if self._pending == 0:
                    self._idle.notify_all()
            task.event.set()

    def wait_to_read(self, var):
        task = var.last_write
        if task is not None:
            task.event.wait()
        if var.error is not None:
            self._mark_reported(var.error)
            raise var.error

    def wait_to_write(self, var):
        for task in list(var.reads):
            task.event.wait()
        self.wait_to_read(var)

    def waitall(self):
        with self._lock:
            while self._pending:
                self._idle.wait()
            unreported = [t for t in self._failed if not t.reported]
            self._failed = []
        if unreported:
            raise unreported[0].error

    def _mark_reported(self, error):
        with self._lock:
            for task in self._failed:
                if task.error is error:
                    task.reported = True


def _wrap(op_name, err):
    wrapped = MXNetError(f"{op_name}: {type(err).__name__}: {err}")
    wrapped.__cause__ = err
    return wrapped
