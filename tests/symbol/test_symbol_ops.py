"""Every registered operator's Symbol against MXNet 1.9.1: the variables it creates for missing
inputs, its outputs and auxiliary states (tests/fixtures/symbol_api.json, written by
tools/make_symbol_api_fixture.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import neomx as mx
from neomx import ops

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "symbol_api.json").read_text())
RECORDS = FIXTURE["ops"]
# Deliberate differences, each with its reason.
DEVIATIONS = {
    "_broadcast_backward": "neomx's reads the target shape from a second input, like",
    **{
        name: "MXNet 1.9.1 names every input it creates for these n_weight_0; neomx names "
        "them weight_0, grad_0, mean_0, ..., rescale_grad (same arguments and auxiliary states)"
        for name in ("_multi_adamw_update", "_multi_mp_adamw_update")
    },
}
CHECKED = sorted(n for n in RECORDS if n in ops.REGISTRY and n not in DEVIATIONS)
VARIANTS = [
    pytest.param(name, i, id=f"{name}-{i}")
    for name in CHECKED
    for i in range(len(RECORDS[name]["variants"]))
]


def _params(record):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in record["params"].items()}


@pytest.mark.parametrize(("name", "index"), VARIANTS)
def test_auto_created_inputs_and_outputs(name, index):
    record = RECORDS[name]["variants"][index]
    # Operators without input names (optimizer updates) take their inputs positionally.
    inputs = [mx.sym.var(f"in{i}") for i in range(record["positional"])]
    with mx.name.NameManager():
        sym = getattr(mx.sym._internal, name)(*inputs, name="n", **_params(record))
    assert sym.list_arguments() == record["arguments"]
    assert sym.list_outputs() == record["outputs"]
    assert sym.list_auxiliary_states() == record["auxiliary"]


@pytest.mark.parametrize("name", CHECKED)
def test_variadic_matches(name):
    assert ops.REGISTRY[name].variadic == RECORDS[name]["variadic"]


# MXNet 1.9.1 writes _np_cumsum for cumsum (its alias); either name loads in both.
JSON_NAME_DEVIATIONS = {"cumsum"}


@pytest.mark.parametrize(
    "name", [n for n in CHECKED if RECORDS[n]["variants"] and n not in JSON_NAME_DEVIATIONS]
)
def test_json_operator_name(name):
    # Symbol JSON stores the operator's canonical name, which aliases resolve to.
    assert ops.REGISTRY[name].name == RECORDS[name]["variants"][0]["op"]


def test_fixture_covers_the_registry():
    assert len(CHECKED) > 400
