"""Record real MXNet 1.9.1's Symbol API behaviour into tests/fixtures/symbol_api.json.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_symbol_api_fixture.py

Two parts:

``ops``: for every operator MXNet registers (but gradient, NumPy-interface and image ones),
the Symbols of a few parameter sets: none (or ``PARAMS``), then those of up to four of its
cases in tests/ops/cases_*.py, with any required parameter MXNet reports missing filled in.
Each is called with name 'n' on auto-created inputs (operators without input names get
positional variables ``in0``, ``in1``...), and records ``list_arguments``, ``list_outputs``,
``list_auxiliary_states`` and the operator name symbol JSON stores; per operator, whether
its front end takes ``*data`` (variadic), or MXNet's error. test_symbol_ops.py compares the
operators neomx registers.

``api``: scenarios of the Symbol API (naming, AttrScope, Variable, arithmetic, indexing,
inference, composition, ...), each a small function run here and by
tests/symbol/test_symbol_api.py, which compares neomx with the recorded values. The scenario
functions live in tests/symbol/symbol_scenarios.py (they import only ``mx``), so both sides run
the same code. Tests never import mxnet.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
OUTPUT = TESTS / "fixtures" / "symbol_api.json"

# Parameters for operators whose case tables give none that MXNet accepts on Symbols.
PARAMS = {
    "Concat": {"num_args": 2},
    "concat": {"num_args": 2},
    "add_n": {"num_args": 2},
    "ElementWiseSum": {"num_args": 2},
    "stack": {"num_args": 2},
    "_rnn_param_concat": {"num_args": 2},
    "UpSampling": {"scale": 2, "sample_type": "nearest", "num_args": 1},
    "amp_multicast": {"num_outputs": 2},
    "multi_all_finite": {"num_arrays": 2},
    "multi_sum_sq": {"num_arrays": 2},
    "khatri_rao": {"num_args": 2},
    "Crop": {"num_args": 1, "h_w": (1, 1)},
    "_sparse_ElementWiseSum": {"num_args": 2},
    "_sparse_add_n": {"num_args": 2},
    "_sparse_concat": {"num_args": 2},
}
# Operators whose Symbols crash MXNet 1.9.1 itself.
CRASHES = {
    "reset_arrays": "MXNet 1.9.1 segfaults listing the outputs (the op has none)",
    "_NDArray": "wraps a C callback pointer; crashes without one",
    "_Native": "wraps a C callback pointer; crashes without one",
}


def load_case_params():
    """The params of each operator's first case in tests/ops/cases_*.py (numpy-only tables)."""
    sys.path.insert(0, str(TESTS))
    case = importlib.import_module("ops.case")
    for path in sorted((TESTS / "ops").glob("cases_*.py")):
        importlib.import_module(f"ops.{path.stem}")
    return {name: [c.params for c in cases] for name, cases in case.CASES.items()}


def error_message(error):
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in reversed(lines):
        if "MXNetError" in line or "Check failed" in line:
            return line
    return lines[-1] if lines else type(error).__name__


def oracle_function(mx, op_name):
    """The Symbol front end of ``op_name`` exactly as MXNet generates it."""
    import ctypes

    from mxnet.base import _LIB, OpHandle, c_str, check_call
    from mxnet.symbol.register import _make_symbol_function

    handle = OpHandle()
    check_call(_LIB.NNGetOpHandle(c_str(op_name), ctypes.byref(handle)))
    return _make_symbol_function(handle, op_name, op_name), handle


# Values for required parameters MXNet reports missing, by name, then by type.
REQUIRED_BY_NAME = {
    "dtype": "float32",
    "mode": "constant",
    "pad_width": (0, 0, 0, 0, 1, 1, 1, 1),
    "axis": (0,),
    "num_outputs": 2,
    "begin": (0,),
    "end": (1,),
}
REQUIRED_BY_TYPE = {
    "float": 0.1,
    "int": 2,
    "long": 2,
    "Shape(tuple)": (1,),
    "tuple of <float>": (0.1, 0.1),
    "tuple of <int>": (1, 1),
}
MISSING = re.compile(r"Required parameter (\w+) of (.+?) is not presented")


def call_with_required(mx, function, handle, params):
    """Call ``function`` on auto-created inputs, filling in parameters MXNet says it needs.

    Operators without input names (the optimizer updates) cannot auto-create inputs; they get
    as many positional variables ``in0``, ``in1``, ... as they take. Return the Symbol, the
    parameters and that count (0 when the inputs were auto-created).
    """
    params = dict(params)
    positional = 0
    for _ in range(24):
        try:
            with mx.name.NameManager():
                if not positional:
                    return function(name="n", **params), params, 0
                # The generated front end passes inputs by name, which these refuse.
                from mxnet._ctypes.symbol import _symbol_creator

                inputs = [mx.sym.var(f"in{i}") for i in range(positional)]
                keys, values = list(params), [str(v) for v in params.values()]
                sym = _symbol_creator(handle.value, inputs, None, keys, values, "n", False)
                return sym, params, positional
        except mx.base.MXNetError as err:
            if "Not enough argument" in str(err) or "Incorrect number of argument" in str(err):
                positional += 1
                if positional > 12:
                    raise
                continue
            found = MISSING.search(str(err))
            if not found or found.group(1) in params or found.group(2) == "ptr":
                raise
            key, kind = found.groups()
            params[key] = REQUIRED_BY_NAME.get(key, REQUIRED_BY_TYPE.get(kind, 1))
    raise RuntimeError("too many required parameters")


def record_op(mx, op_name, candidates):
    """The Symbol of each distinct parameter set (first ones that MXNet accepts)."""
    function, handle = oracle_function(mx, op_name)
    variadic = any(
        p.kind is inspect.Parameter.VAR_POSITIONAL
        for p in inspect.signature(function).parameters.values()
    )
    variants, errors, seen = [], [], []
    for params in candidates:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        try:
            sym, params, positional = call_with_required(mx, function, handle, params)
            if params in seen:
                continue
            seen.append(params)
            node = json.loads(sym.tojson())["nodes"][-1]
            variants.append(
                {
                    "params": {
                        k: list(v) if isinstance(v, tuple) else v for k, v in params.items()
                    },
                    "arguments": sym.list_arguments(),
                    "outputs": sym.list_outputs(),
                    "auxiliary": sym.list_auxiliary_states(),
                    "op": node["op"],
                    "positional": positional,
                }
            )
        except Exception as err:  # noqa: BLE001 - record MXNet's refusal
            errors.append(error_message(err))
    record = {"variadic": variadic, "variants": variants}
    if not variants:
        record["error"] = errors[-1] if errors else "no parameters"
    return record


# Gradient operators and the NumPy interface are not part of mx.sym's operator surface.
SKIPPED_PREFIXES = ("_backward", "_np", "_contrib_backward", "_image_", "_sg_", "_cv")


def all_op_names():
    import ctypes

    from mxnet.base import _LIB, check_call, py_str

    size = ctypes.c_uint()
    names = ctypes.POINTER(ctypes.c_char_p)()
    check_call(_LIB.MXListAllOpNames(ctypes.byref(size), ctypes.byref(names)))
    return sorted(py_str(names[i]) for i in range(size.value))


def record_ops(mx):
    names = [n for n in all_op_names() if not n.startswith(SKIPPED_PREFIXES)]
    cases = load_case_params()
    result = {}
    for op_name in names:
        candidates = [PARAMS[op_name]] if op_name in PARAMS else [{}]
        candidates += cases.get(op_name, [])[:4]
        if op_name in CRASHES:
            result[op_name] = {"variadic": True, "variants": [], "error": CRASHES[op_name]}
            continue
        if os.environ.get("VERBOSE"):
            print(op_name, file=sys.stderr, flush=True)
        result[op_name] = record_op(mx, op_name, candidates)
    return result


def record_api(mx):
    sys.path.insert(0, str(TESTS / "symbol"))
    scenarios = importlib.import_module("symbol_scenarios")
    result = {}
    for name, function in scenarios.SCENARIOS.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = function(mx)
            except Exception as err:  # noqa: BLE001 - the scenario records the error
                value = {"error": type(err).__name__, "message": error_message(err)}
        if caught:
            value = {"value": value, "warnings": [str(w.message) for w in caught]}
        result[name] = scenarios.jsonable(value)
    return result


def main():
    os.environ.setdefault("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "0")
    import mxnet as mx

    data = {"mxnet": mx.__version__, "ops": record_ops(mx), "api": record_api(mx)}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT}: {len(data['ops'])} operators, {len(data['api'])} scenarios")


if __name__ == "__main__":
    main()
