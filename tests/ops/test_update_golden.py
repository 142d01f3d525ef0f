"""neomx's optimizer updates against MXNet 1.9.1 over three steps (tests/golden/update, written
by tools/make_update_golden.py): the outputs and every input, states included, after each step."""

import json
from pathlib import Path

import numpy as np
import pytest

import neomx as mx

from . import harness
from .case import CASES
from .cases_update import RETURNS_WEIGHT, STEPS

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "update"
FILES = sorted(GOLDEN.glob("*.npz"))


def _load(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _inputs(record):
    values = []
    while f"in{len(values)}" in record:
        values.append(record[f"in{len(values)}"])
    return values


def test_golden_files_match_the_case_tables():
    """Every update case has a file and every file a case: else rerun the tool."""
    wanted = {case.id for name in STEPS for case in CASES[name]}
    have = {path.stem for path in FILES}
    assert not wanted - have, f"missing (run tools/make_update_golden.py): {wanted - have}"
    assert not have - wanted, f"golden files without a case: {have - wanted}"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_three_steps_match_mxnet(path, engine_type):
    record = _load(path)
    op_name = str(record["op"])
    params = json.loads(str(record["params"]))
    arrays = harness.to_nd(_inputs(record), mx.cpu())
    function = getattr(mx.nd, op_name)
    step = 0
    while f"out{step}" in record:
        if step:
            grad = record[f"grad{step}"]
            arrays[1] = mx.nd.array(grad, dtype=grad.dtype)
        out = arrays[0] if op_name in RETURNS_WEIGHT else None
        got = function(*arrays, out=out, **params)
        harness.assert_outputs(f"{op_name} step {step}", [got], [record[f"out{step}"]])
        want = [record[f"step{step}_{i}"] for i in range(len(arrays))]
        harness.assert_outputs(f"{op_name} step {step} inputs", arrays, want)
        step += 1
    assert step == 3
