"""Shared plumbing of the benchmark scripts: timing, one subprocess per framework, tables.

A benchmark script measures each framework in a fresh process of its own: the parent runs the
script again with ``--only NAME`` under the right interpreter, the child prints its figures as
one JSON line, and the parent prints them side by side. MXNet 1.9.1 needs NumPy 1.x, so its
part runs under another interpreter: ``--mxnet-python``, else ``$NEOMX_MXNET_PYTHON``, else
``/opt/mxvenv/bin/python`` when it exists.

The scripts import this module as ``harness``: Python puts a script's own folder first on
``sys.path``, so ``python benchmarks/ops.py`` finds it from any working directory. It must
also run under the MXNet interpreter, so it uses the standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

DEFAULT_MXNET_PYTHON = "/opt/mxvenv/bin/python"
# A timed batch runs at least this long, so timer resolution and one-off costs do not count.
MIN_BATCH_S = 0.2
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# ---- timing -------------------------------------------------------------------------------


def no_wait():
    """The ``finish`` of a synchronous framework: nothing to wait for."""
    return None


def repeat_call(call):
    """Turn ``call()`` into a loop ``run(number)`` that calls it ``number`` times."""

    def run(number):
        for _ in range(number):
            call()

    return run


def run_batch(run, number, finish=no_wait):
    """Seconds that ``run(number)`` followed by ``finish()`` takes."""
    start = time.perf_counter()
    run(number)
    finish()
    return time.perf_counter() - start


def batch_size(run, finish=no_wait, min_batch_s=MIN_BATCH_S):
    """The number of calls that makes a batch run at least ``min_batch_s`` (as timeit's
    autorange grows it; the batches it tries also warm the caches up)."""
    number = 1
    while True:
        seconds = run_batch(run, number, finish)
        if seconds >= min_batch_s:
            return number
        number *= 2 if seconds * 4 >= min_batch_s else 10


def best_per_call(run, finish=no_wait, repeat=5, min_batch_s=MIN_BATCH_S):
    """Best seconds per call over ``repeat`` batches of ``run(number)`` then ``finish()``.

    ``run`` is a loop that makes ``number`` calls (see ``repeat_call``), so that the smallest
    operations pay no more Python overhead than the loop itself. The best batch estimates an
    idle machine: on a shared one, other processes only ever slow a batch down.
    """
    number = batch_size(run, finish, min_batch_s)
    return min(run_batch(run, number, finish) for _ in range(repeat)) / number


# ---- one framework per process ------------------------------------------------------------


def mxnet_python(given=None):
    """The interpreter with MXNet 1.9.1 installed, or None where there is none."""
    if given:
        return given
    from_env = os.environ.get("NEOMX_MXNET_PYTHON")
    if from_env:
        return from_env
    return DEFAULT_MXNET_PYTHON if os.path.exists(DEFAULT_MXNET_PYTHON) else None


def thread_env(threads):
    """Environment variables that set every library's thread pool size (none for None)."""
    return {} if not threads else {name: str(threads) for name in THREAD_VARIABLES}


def run_part(script, name, arguments=(), python=None, env=None):
    """Run ``script --only name *arguments`` under ``python`` and return its JSON result.

    The script prints its result as the last line of its output. On failure the result is
    ``{"error": why}``: the last line of the error output, or that the interpreter cannot be
    run or (``python`` None, where no MXNet interpreter was found) that there is none.
    """
    if python is None:
        return {"error": "no MXNet interpreter (--mxnet-python)"}
    command = [python, os.path.abspath(script), "--only", name, *arguments]
    environment = dict(os.environ, **(env or {}))
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
    except OSError as err:  # no such interpreter, say
        return {"error": f"cannot run {python}: {err}"}
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_parts(script, parts, arguments=()):
    """Run each ``(label, python, name, env)`` of ``parts`` (see ``run_part``), one after the
    other; return ``[(label, result)]``."""
    return [
        (label, run_part(script, name, arguments, python, env))
        for label, python, name, env in parts
    ]


def engine_parts(mxnet=None):
    """The parts of the per-call overhead scripts: neomx and MXNet under both engines, and
    PyTorch (which those scripts limit to one thread)."""
    here = sys.executable
    naive = {"MXNET_ENGINE_TYPE": "NaiveEngine"}
    threaded = {"MXNET_ENGINE_TYPE": "ThreadedEnginePerDevice"}
    return [
        ("neomx NaiveEngine", here, "neomx", naive),
        ("neomx ThreadedEnginePerDevice", here, "neomx", threaded),
        ("torch CPU, 1 thread", here, "torch", None),
        ("mxnet 1.9.1 ThreadedEnginePerDevice", mxnet, "mxnet", threaded),
        ("mxnet 1.9.1 NaiveEngine", mxnet, "mxnet", naive),
    ]


def report_part(result):
    """In the child process: hand ``result`` (a JSON-able dict) back to the parent."""
    print(json.dumps(result))


def argument_parser(doc, repeat=5):
    """An ArgumentParser with the options every script shares: --repeat, --mxnet-python and
    the internal --only (which framework this process measures)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=repeat, help="timed batches per figure")
    parser.add_argument("--mxnet-python", help="interpreter with mxnet 1.9.1 installed")
    parser.add_argument("--only", help=argparse.SUPPRESS)
    return parser


# ---- report -------------------------------------------------------------------------------


def machine_line():
    return f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"


def labelled_rows(results, cells):
    """Table rows of ``[(label, result)]``: the label, then ``cells(result)``, or the error of
    a part that failed."""
    return [
        [label, f"n/a: {result['error']}"] if "error" in result else [label, *cells(result)]
        for label, result in results
    ]


def print_errors(results, labels=None):
    """Print why each part of ``results`` (a dict by name) that failed did."""
    for name, result in results.items():
        if "error" in result:
            print(f"  {(labels or {}).get(name, name)}: n/a, {result['error']}")


TABLES_VARIABLE = "NEOMX_BENCH_TABLES"


def record_table(headers, rows):
    """Append the table as one JSON line to the file ``$NEOMX_BENCH_TABLES`` names, if any
    (benchmarks/run.py collects every script's tables that way)."""
    path = os.environ.get(TABLES_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps({"headers": list(headers), "rows": rows}) + "\n")


def print_table(headers, rows):
    """Print ``rows`` (lists of strings) under ``headers`` in aligned columns.

    The first column is aligned left, the others right. A row shorter than the headers (a
    framework that failed, say) prints its last cell as it is, unaligned.
    """
    record_table(headers, rows)
    full = [row for row in rows if len(row) == len(headers)]
    widths = [max(len(row[i]) for row in [headers, *full]) for i in range(len(headers))]
    widths[0] = max(len(row[0]) for row in [headers, *rows])
    for row in [headers, *rows]:
        cells = [f"{row[0]:<{widths[0]}}"]
        for i, cell in enumerate(row[1:], 1):
            last_of_short = i == len(row) - 1 and len(row) < len(headers)
            cells.append(f"  {cell}" if last_of_short else f"{cell:>{widths[i] + 2}}")
        print("".join(cells).rstrip())
