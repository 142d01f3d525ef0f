"""``mx.profiler``: MXNet 1.9.1's profiler API, recording the events that user code marks.

neomx does not time its operators here (``benchmarks/`` and Python's own profilers do that); what
this module keeps are the user-level objects of MXNet's API: :class:`Task`, :class:`Frame` and
:class:`Event` durations, :class:`Counter` values and :class:`Marker` instants, recorded while the
profiler state is ``'run'``. :func:`dump` writes them as a Chrome trace (``chrome://tracing``,
Perfetto) to the configured ``filename``; :func:`dumps` returns a text table of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time

from .base import MXNetValueError

__all__ = [
    "set_config", "profiler_set_config", "set_state", "profiler_set_state", "dump",
    "dump_profile", "dumps", "pause", "resume", "Domain", "Task", "Frame", "Event", "Counter",
    "Marker", "scope",
]  # fmt: skip

_CONFIG_KEYS = {
    "filename", "profile_all", "profile_symbolic", "profile_imperative", "profile_memory",
    "profile_api", "contiguous_dump", "dump_period", "aggregate_stats", "profile_process",
    "continuous_dump",
}  # fmt: skip

_lock = threading.Lock()
_state = {"config": {"filename": "profile.json"}, "running": False, "paused": False, "events": []}


def set_config(**kwargs) -> None:
    """Set profiler options (``filename``, ``profile_all``, ``aggregate_stats``, ...)."""
    unknown = set(kwargs) - _CONFIG_KEYS
    if unknown:
        raise MXNetValueError(
            f"profiler.set_config: unknown option(s) {sorted(unknown)}; "
            f"known: {sorted(_CONFIG_KEYS)}"
        )
    _state["config"].update(kwargs)


def profiler_set_config(mode="symbolic", filename="profile.json") -> None:
    """Set the output file (the deprecated form of :func:`set_config`)."""
    set_config(profile_all=mode == "all", filename=filename)


def set_state(state="stop", profile_process="worker") -> None:
    """Start (``'run'``) or stop (``'stop'``) recording."""
    if state not in ("run", "stop"):
        raise MXNetValueError(f"profiler.set_state: state must be 'run' or 'stop', got {state!r}")
    _state["running"] = state == "run"


profiler_set_state = set_state


def pause(profile_process="worker") -> None:
    """Stop recording until :func:`resume`."""
    _state["paused"] = True


def resume(profile_process="worker") -> None:
    """Resume recording after :func:`pause`."""
    _state["paused"] = False


def _recording() -> bool:
    return _state["running"] and not _state["paused"]


def _now_us() -> float:
    return time.perf_counter_ns() / 1000.0


def _record(event: dict) -> None:
    if _recording():
        event.setdefault("pid", os.getpid())
        event.setdefault("tid", threading.get_ident() % 2**31)
        with _lock:
            _state["events"].append(event)


def dump(finished=True, profile_process="worker") -> None:
    """Write the recorded events to the configured file as a Chrome trace."""
    with _lock:
        events = list(_state["events"])
        if finished:
            _state["events"].clear()
    path = _state["config"].get("filename", "profile.json")
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, handle)
    os.replace(tmp, path)


def dump_profile() -> None:
    """Write the trace (the deprecated form of :func:`dump`)."""
    dump(True)


def dumps(reset=False, format="table", sort_by="total", ascending=False):  # noqa: A002
    """Return the recorded durations aggregated per name, as a table or JSON."""
    totals: dict = {}
    with _lock:
        for event in _state["events"]:
            if event.get("ph") == "X":
                row = totals.setdefault((event["cat"], event["name"]), [0, 0.0, float("inf"), 0.0])
                row[0] += 1
                row[1] += event["dur"] / 1000.0
                row[2] = min(row[2], event["dur"] / 1000.0)
                row[3] = max(row[3], event["dur"] / 1000.0)
        if reset:
            _state["events"].clear()
    keys = {"count": 0, "total": 1, "min": 2, "max": 3, "avg": 1}
    if sort_by not in keys:
        raise MXNetValueError(f"profiler.dumps: sort_by must be one of {sorted(keys)}")
    items = sorted(totals.items(), key=lambda kv: kv[1][keys[sort_by]], reverse=not ascending)
    if format == "json":
        return json.dumps(
            {
                f"{d}::{n}": {"count": c, "total": t, "min": lo, "max": hi}
                for (d, n), (c, t, lo, hi) in items
            }
        )
    if format != "table":
        raise MXNetValueError(f"profiler.dumps: format must be 'table' or 'json', got {format!r}")
    lines = [
        "Profile Statistics:",
        f"{'Name':<40}{'Total Count':>12}{'Time (ms)':>14}{'Min (ms)':>12}{'Max (ms)':>12}",
    ]
    for (domain, name), (count, total, low, high) in items:
        lines.append(
            f"{domain + '::' + name:<40}{count:>12}{total:>14.4f}{low:>12.4f}{high:>12.4f}"
        )
    return "\n".join(lines)


class Domain:
    """A named group of profiling objects."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)


_DEFAULT_DOMAIN = Domain("default")


class _Duration:
    """A named span: ``start()`` ... ``stop()``."""

    def __init__(self, domain, name):
        self.domain = domain
        self.name = name
        self._start = None

    def start(self):
        self._start = _now_us()

    def stop(self):
        if self._start is not None:
            end = _now_us()
            _record({"name": self.name, "cat": str(self.domain), "ph": "X", "ts": self._start,
                     "dur": end - self._start})  # fmt: skip
            self._start = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __str__(self):
        return self.name


class Task(_Duration):
    """A span of work in ``domain``."""


class Frame(_Duration):
    """A span that repeats (one frame of a loop) in ``domain``."""


class Event(_Duration):
    """A span with only a name (in the ``default`` domain)."""

    def __init__(self, name):
        super().__init__(_DEFAULT_DOMAIN, name)


class Counter:
    """A named number in ``domain``; each change is recorded."""

    def __init__(self, domain, name, value=None):
        self.domain = domain
        self.name = name
        self.value = 0
        if value is not None:
            self.set_value(value)

    def _emit(self):
        _record({"name": self.name, "cat": str(self.domain), "ph": "C", "ts": _now_us(),
                 "args": {self.name: self.value}})  # fmt: skip

    def set_value(self, value):
        self.value = value
        self._emit()

    def increment(self, delta=1):
        self.set_value(self.value + delta)

    def decrement(self, delta=1):
        self.set_value(self.value - delta)

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __str__(self):
        return self.name


class Marker:
    """A named instant in ``domain``."""

    def __init__(self, domain, name):
        self.domain = domain
        self.name = name

    def mark(self, scope="process"):
        if scope not in ("global", "process", "thread", "task", "marker"):
            raise MXNetValueError(f"Marker.mark: unknown scope {scope!r}")
        letter = {"global": "g", "process": "p"}.get(scope, "t")
        _record(
            {"name": self.name, "cat": str(self.domain), "ph": "i", "ts": _now_us(), "s": letter}
        )


@contextlib.contextmanager
def scope(name="<unk>:", append_mode=False):
    """Name the work done in the ``with`` block (recorded as an Event)."""
    with Event(name):
        yield
