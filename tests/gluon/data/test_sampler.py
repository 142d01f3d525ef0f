"""Samplers: order, batching (keep/discard/rollover) and lengths, as MXNet 1.9.1 gives them."""

from __future__ import annotations

import numpy as np
import pytest

from neomx.base import MXNetValueError
from neomx.gluon import data


def test_sequential_sampler():
    assert list(data.SequentialSampler(4)) == [0, 1, 2, 3]
    assert list(data.SequentialSampler(3, start=5)) == [5, 6, 7]
    assert len(data.SequentialSampler(3, start=5)) == 3
    assert list(data.SequentialSampler(0)) == []


def test_random_sampler_is_a_seeded_permutation(seed):
    sampler = data.RandomSampler(10)
    first = list(sampler)
    assert sorted(first) == list(range(10)) and len(sampler) == 10
    assert all(type(i) is int for i in first)
    np.random.seed(seed)
    again = list(sampler)
    np.random.seed(seed)
    assert list(sampler) == again


def test_filter_sampler():
    sampler = data.FilterSampler(lambda x: x > 2, [5, 1, 3, 0, 9])
    assert list(sampler) == [0, 2, 4]
    assert len(sampler) == 3


@pytest.mark.parametrize(
    "last_batch, expected",
    [
        ("keep", [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]),
        ("discard", [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
        ("rollover", [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
    ],
)
def test_batch_sampler_first_pass(last_batch, expected):
    sampler = data.BatchSampler(data.SequentialSampler(10), 3, last_batch)
    assert len(sampler) == len(expected)
    assert list(sampler) == expected


def test_batch_sampler_rollover_carries_the_rest_into_the_next_pass():
    sampler = data.BatchSampler(data.SequentialSampler(10), 3, "rollover")
    assert list(sampler) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(sampler) == 3  # (1 left over + 10) // 3
    assert list(sampler) == [[9, 0, 1], [2, 3, 4], [5, 6, 7]]
    assert list(sampler) == [[8, 9, 0], [1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert list(sampler) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_batch_sampler_exact_and_empty():
    assert list(data.BatchSampler(data.SequentialSampler(4), 2)) == [[0, 1], [2, 3]]
    assert list(data.BatchSampler(data.SequentialSampler(0), 2)) == []
    assert len(data.BatchSampler(data.SequentialSampler(1), 2, "discard")) == 0


def test_batch_sampler_errors():
    with pytest.raises(MXNetValueError, match="last_batch must be one of.*'bad'"):
        list(data.BatchSampler(data.SequentialSampler(4), 3, "bad"))
    with pytest.raises(MXNetValueError, match="last_batch"):
        len(data.BatchSampler(data.SequentialSampler(4), 3, "bad"))
    with pytest.raises(MXNetValueError, match="batch_size must be a positive integer"):
        data.BatchSampler(data.SequentialSampler(4), 0)


def test_interval_sampler():
    assert list(data.IntervalSampler(13, 3)) == [0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11]
    assert len(data.IntervalSampler(13, 3)) == 13
    short = data.IntervalSampler(13, 3, rollover=False)
    assert list(short) == [0, 3, 6, 9, 12]
    assert len(short) == 5
    assert list(data.IntervalSampler(2, 2)) == [0, 1]
    with pytest.raises(MXNetValueError, match="interval 4 must be in"):
        data.IntervalSampler(3, 4)


def test_sampler_base_is_abstract():
    with pytest.raises(NotImplementedError):
        iter(data.Sampler())
    with pytest.raises(NotImplementedError):
        len(data.Sampler())
