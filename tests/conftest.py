"""Shared fixtures: ``ctx`` (cpu, plus gpu(0) when CuPy sees a device) and a replayable seed."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

import neomx as mx

_CONTEXTS = [mx.cpu(0)] + ([mx.gpu(0)] if mx.num_gpus() > 0 else [])


@pytest.fixture(params=_CONTEXTS, ids=str)
def ctx(request):
    """Each device the tests can run on."""
    return request.param


@pytest.fixture
def seed(request):
    """Seed numpy and random; the seed is printed on failure, NEOMX_TEST_SEED replays it."""
    value = int(os.environ.get("NEOMX_TEST_SEED", random.randrange(2**31)))
    np.random.seed(value)
    random.seed(value)
    yield value
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"\nreplay with NEOMX_TEST_SEED={value}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


@pytest.fixture(params=["NaiveEngine", "ThreadedEnginePerDevice"])
def engine_type(request):
    """Run the test under each engine."""
    with mx.engine.engine_scope(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def fresh_names():
    """Each test names Symbol nodes from fresh counters (``fullyconnected0``, ``_plus0``...), so
    expected names do not depend on which tests ran before in the same worker."""
    mx.attribute.AttrScope._subgraph_names.clear()
    with mx.name.NameManager():
        yield
