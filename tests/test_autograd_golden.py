"""neomx's autograd against MXNet 1.9.1's recorded answers (tests/golden/autograd, written by
tools/make_autograd_golden.py from the scenarios in tests/autograd_scenarios.py)."""

from pathlib import Path

import numpy as np
import pytest
from autograd_scenarios import SCENARIOS

import neomx as mx
from neomx.test_utils import assert_almost_equal

GOLDEN = Path(__file__).resolve().parent / "golden" / "autograd"
FILES = sorted(GOLDEN.glob("*.npz"))


def _load(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _prefixed(record, prefix):
    return {key[len(prefix) :]: value for key, value in record.items() if key.startswith(prefix)}


def test_every_scenario_has_a_golden_file():
    have = {path.stem for path in FILES}
    assert have == set(SCENARIOS), "rerun tools/make_autograd_golden.py with the oracle venv"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_scenario_matches_mxnet(path):
    record = _load(path)
    want = _prefixed(record, "out_")
    got = SCENARIOS[path.stem](mx, _prefixed(record, "in_"))
    assert sorted(got) == sorted(want)
    for name, value in got.items():
        values = value.asnumpy()
        assert values.dtype == want[name].dtype, f"{path.stem} {name}: dtype {values.dtype}"
        assert_almost_equal(
            values,
            want[name],
            rtol=1e-5,
            atol=1e-6,
            names=(f"{path.stem}.{name}", "mxnet"),
            use_broadcast=False,
        )
