"""Run every benchmark script, print one summary table and write benchmarks/RESULTS.md.

Each script under benchmarks/ compares neomx with PyTorch CPU and MXNet 1.9.1 by itself, one
framework per process (see harness.py: MXNet runs under ``--mxnet-python``, else
``$NEOMX_MXNET_PYTHON``, else /opt/mxvenv/bin/python). This runner starts each script with
``$NEOMX_BENCH_TABLES`` set, so every table the script prints is also recorded as JSON; from
those it builds one table: workload, milliseconds for each framework, and the ratios
neomx / PyTorch and neomx / MXNet (below 1: neomx is faster). RESULTS.md also keeps each
script's full output. Run it on an otherwise idle machine (``make bench``)::

    python benchmarks/run.py [--quick] [--only ops.py gluon.py] [--output benchmarks/RESULTS.md]

``--quick`` times each workload once (a smoke test of the scripts; the figures mean little).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
NOT_BENCHMARKS = {"harness.py", "run.py", "gemm_reference.py"}
# How a script's tables map onto the summary: "columns" (a column per framework, a row per
# workload) or "rows" (a row per framework and engine, a column per workload), and the factor
# that turns its figures into milliseconds. Scripts not listed appear in full only.
LAYOUTS = {
    "ops.py": ("columns", 1.0),
    "nn_ops.py": ("columns", 1.0),
    "gluon.py": ("columns", 1.0),
    "rnn.py": ("rows", 1.0),
    "op_overhead.py": ("rows", 1e-3),  # microseconds
    "autograd_overhead.py": ("rows", 1e-3),  # microseconds per operation
}
QUICK_ARGUMENTS = {"dataloader.py": ["--images", "512", "--rounds", "1", "--workers", "0"]}
FRAMEWORKS = ("neomx", "torch", "mxnet")
NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?(?:e[-+]?\d+)?)")


def scripts():
    return sorted(
        name
        for name in os.listdir(HERE)
        if name.endswith(".py")
        and name not in NOT_BENCHMARKS
        and "__main__" in open(os.path.join(HERE, name), encoding="utf-8").read()
    )


def framework_of(label):
    """'neomx', 'torch' or 'mxnet' for a column header or row label, else None."""
    text = label.lower()
    if "/" in text or "vs" in text.split() or "gflop" in text or "ratio" in text:
        return None
    for name, keys in (("neomx", ("neomx",)), ("torch", ("pytorch", "torch")), ("mxnet",) * 2):
        if text.startswith(keys) or text == name:
            return name
    return None


def number(cell):
    match = NUMBER.match(str(cell))
    return float(match.group(1)) if match else None


def summarise_columns(table, factor):
    headers = table["headers"]
    columns = {framework_of(h): i for i, h in reversed(list(enumerate(headers))) if i}
    columns.pop(None, None)
    if "neomx" not in columns:
        return []
    rows = []
    for row in table["rows"]:
        if len(row) != len(headers):
            continue
        times = {name: number(row[i]) for name, i in columns.items()}
        rows.append((row[0], {k: v * factor for k, v in times.items() if v is not None}))
    return rows


def _ignored_column(header):
    """Whether a column holds no time (a ratio, a share, page faults, a version)."""
    text = header.lower()
    if not text or any(key in text for key in ("vs", "share", "fault", "version", "gflop")):
        return True
    return "/" in text and not text.endswith(("s/call", "s/step"))  # us/call, ms/step are times


def summarise_rows(table, factor):
    headers = table["headers"]
    by_framework = {}
    for row in table["rows"]:
        name = framework_of(row[0])
        if name and len(row) == len(headers):
            by_framework.setdefault(name, []).append(row)
    rows = []
    for ours in by_framework.get("neomx", []):
        variant = ours[0].split()[-1] if len(ours[0].split()) > 1 else ""
        picked = {"neomx": ours}
        for other in ("torch", "mxnet"):
            candidates = by_framework.get(other, [])
            same = [r for r in candidates if variant and r[0].split()[-1] == variant]
            if same or candidates:
                picked[other] = (same or candidates)[0]
        for i, header in enumerate(headers[1:], 1):
            if _ignored_column(header):
                continue
            times = {k: number(r[i]) for k, r in picked.items()}
            label = f"{header} ({ours[0]})"
            rows.append((label, {k: v * factor for k, v in times.items() if v is not None}))
    return rows


def run_script(name, args):
    """(seconds, full output, recorded tables) of one benchmark script."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as tables:
        path = tables.name
    command = [sys.executable, os.path.join(HERE, name)]
    if args.mxnet_python:
        command += ["--mxnet-python", args.mxnet_python]
    if args.quick:
        source = open(os.path.join(HERE, name), encoding="utf-8").read()
        command += ["--repeat", "1"] + (["--quick"] if '"--quick"' in source else [])
        command += QUICK_ARGUMENTS.get(name, [])
    env = dict(os.environ, **{harness.TABLES_VARIABLE: path})
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    output = done.stdout + (
        f"\n[exit status {done.returncode}]\n{done.stderr}" * bool(done.returncode)
    )
    with open(path, encoding="utf-8") as stream:
        recorded = [json.loads(line) for line in stream if line.strip()]
    os.unlink(path)
    return seconds, output, recorded


def _ms(value):
    return "n/a" if value is None else f"{value:.4g}"


def _ratio(ours, theirs):
    return "n/a" if ours is None or not theirs else f"{ours / theirs:.2f}x"


def summary_rows(results):
    rows = []
    for name, (_, _, tables) in results.items():
        layout, factor = LAYOUTS.get(name, (None, 1.0))
        summarise = {"columns": summarise_columns, "rows": summarise_rows}.get(layout)
        for table in tables if summarise else []:
            for workload, times in summarise(table, factor):
                ours, torch, mxnet = (times.get(k) for k in FRAMEWORKS)
                rows.append(
                    [f"{name[:-3]}: {workload}", _ms(ours), _ms(torch), _ms(mxnet)]
                    + [_ratio(ours, torch), _ratio(ours, mxnet)]
                )
    return rows


HEADERS = ["workload", "neomx ms", "PyTorch ms", "MXNet 1.9.1 ms", "neomx/PyTorch", "neomx/MXNet"]


def _thread_settings():
    """The BLAS/OpenMP thread variables in effect (they decide the figures on a shared box)."""
    given = [
        f"{name}={os.environ[name]}" for name in harness.THREAD_VARIABLES if name in os.environ
    ]
    return ", ".join(given) or "library defaults (all cores)"


def markdown(results, rows, args):
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `benchmarks/run.py{' --quick' if args.quick else ''}` on {now}.",
        f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{harness.machine_line()}.",
        f"MXNet interpreter: {harness.mxnet_python(args.mxnet_python) or 'none (n/a)'}.",
        f"Thread settings: {_thread_settings()}.",
        "",
        "Times are the best of several timed batches, in milliseconds; a ratio below 1 means "
        "neomx is faster. Each script's own output, below, says exactly what a row measures.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    for name, (seconds, output, _) in results.items():
        lines += ["", f"## {name} ({seconds:.0f} s)", "", "```", output.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one timing per workload")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run these scripts only")
    parser.add_argument("--mxnet-python", help="interpreter with mxnet 1.9.1 installed")
    parser.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"))
    args = parser.parse_args(argv)
    chosen = scripts()
    if args.only:
        unknown = set(args.only) - set(chosen)
        if unknown:
            parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
        chosen = [name for name in chosen if name in args.only]
    results = {}
    for name in chosen:
        print(f"running {name} ...", flush=True)
        results[name] = run_script(name, args)
        print(f"  {results[name][0]:.0f} s", flush=True)
    rows = summary_rows(results)
    harness.print_table(HEADERS, rows)
    with open(args.output, "w", encoding="utf-8") as stream:
        stream.write(markdown(results, rows, args))
    print(f"wrote {args.output}")
    failed = [name for name, (_, output, _) in results.items() if "[exit status" in output]
    if failed:
        print(f"failed: {', '.join(failed)} (their output is in {args.output})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
