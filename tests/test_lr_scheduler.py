"""mx.lr_scheduler: the learning rates of every scheduler equal real MXNet 1.9.1's
(tests/golden/optimizer/lr_scheduler.json, written by tools/make_optimizer_golden.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import neomx as mx

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS / "optimizer"))
import optimizer_cases as cases  # noqa: E402

GOLDEN = json.loads((TESTS / "golden" / "optimizer" / "lr_scheduler.json").read_text())


def make(name):
    kind, kwargs = cases.SCHEDULERS[name]
    return getattr(mx.lr_scheduler, kind)(**kwargs)


@pytest.mark.parametrize("name", sorted(cases.SCHEDULERS))
def test_sequence_matches_mxnet(name):
    scheduler = make(name)
    values = [scheduler(n) for n in range(cases.SCHEDULE_STEPS + 1)]
    assert values == GOLDEN[name]["sequence"]


@pytest.mark.parametrize("name", sorted(cases.SCHEDULERS))
def test_jumps_match_mxnet(name):
    scheduler = make(name)
    assert [scheduler(n) for n in cases.SCHEDULE_JUMPS] == GOLDEN[name]["jumps"]


def test_warmup_modes():
    linear = mx.lr_scheduler.PolyScheduler(
        max_update=20, base_lr=1.0, warmup_steps=4, warmup_begin_lr=0.2
    )
    assert [linear(n) for n in range(5)] == [0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    constant = mx.lr_scheduler.CosineScheduler(
        max_update=20, base_lr=1.0, warmup_steps=3, warmup_begin_lr=0.1, warmup_mode="constant"
    )
    assert [constant(n) for n in range(4)] == [0.1, 0.1, 0.1, 1.0]


def test_base_class_needs_call():
    with pytest.raises(NotImplementedError):
        mx.lr_scheduler.LRScheduler()(1)


@pytest.mark.parametrize(
    ("make_scheduler", "error", "match"),
    [
        (lambda: mx.lr_scheduler.FactorScheduler(step=0), ValueError, "greater or equal than 1"),
        (lambda: mx.lr_scheduler.FactorScheduler(step=2, factor=1.5), ValueError, "no more than 1"),
        (lambda: mx.lr_scheduler.MultiFactorScheduler(step=[5, 3]), ValueError, "increasing"),
        (lambda: mx.lr_scheduler.MultiFactorScheduler(step=[0, 3]), ValueError, "greater or equal"),
        (lambda: mx.lr_scheduler.MultiFactorScheduler(step=4), ValueError, "non-empty list"),
        (lambda: mx.lr_scheduler.PolyScheduler(max_update=0), ValueError, "strictly positive"),
        (lambda: mx.lr_scheduler.CosineScheduler(max_update=2.5), TypeError, "must be an int"),
        (
            lambda: mx.lr_scheduler.CosineScheduler(max_update=9, warmup_mode="cubic"),
            ValueError,
            "only linear and constant",
        ),
        (
            lambda: mx.lr_scheduler.PolyScheduler(max_update=9, warmup_steps=-1),
            ValueError,
            "positive or 0",
        ),
        (
            lambda: mx.lr_scheduler.PolyScheduler(max_update=9, warmup_steps=1.5),
            TypeError,
            "warmup_steps must be an int",
        ),
        (
            lambda: mx.lr_scheduler.FactorScheduler(step=2, base_lr=0.1, warmup_begin_lr=0.5),
            ValueError,
            "higher than warmup_begin_lr",
        ),
    ],
)
def test_bad_parameters(make_scheduler, error, match):
    with pytest.raises(error, match=match) as info:
        make_scheduler()
    assert isinstance(info.value, mx.MXNetError)
