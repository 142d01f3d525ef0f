"""mx.nd's Python-level wrappers of operators: histogram, split_v2, moveaxis, concatenate and
onehot_encode (the operators themselves are tested by tests/ops)."""

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError

DATA = np.array([[0, 1], [2, 2], [3, 4]], np.float32)


def test_histogram_with_a_range_runs_the_operator():
    counts, edges = mx.nd.histogram(mx.nd.array(DATA), bins=3, range=(0, 3))
    want_counts, want_edges = np.histogram(DATA, bins=3, range=(0, 3))
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts.asnumpy(), want_counts)
    np.testing.assert_allclose(edges.asnumpy(), want_edges)


def test_histogram_with_edges():
    counts, edges = mx.nd.histogram(mx.nd.array(DATA), bins=mx.nd.array([0, 1, 4]))
    np.testing.assert_array_equal(counts.asnumpy(), [1, 5])
    np.testing.assert_array_equal(edges.asnumpy(), [0, 1, 4])


def test_histogram_without_a_range_spans_the_data_as_float32():
    # MXNet 1.9.1 returns numpy's answer here, made into float32 arrays.
    counts, edges = mx.nd.histogram(mx.nd.array(DATA), bins=3)
    want_counts, want_edges = np.histogram(DATA, bins=3)
    assert counts.dtype == np.float32 and edges.dtype == np.float32
    np.testing.assert_array_equal(counts.asnumpy(), want_counts)
    np.testing.assert_allclose(edges.asnumpy(), want_edges, rtol=1e-6)


def test_histogram_refuses_other_bins():
    with pytest.raises(MXNetError, match="histogram: bins"):
        mx.nd.histogram(mx.nd.array(DATA), bins=[0, 1, 2])
    with pytest.raises(ValueError):
        mx.nd.histogram(mx.nd.array(DATA), bins=2.5)


@pytest.mark.parametrize(
    "indices_or_sections, axis",
    [(3, 0), (2, 1), ((1, 4), 0), ([2], 0), ((), 1), ((1, 1), 1)],
)
def test_split_v2_matches_numpy_split(indices_or_sections, axis):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    got = mx.nd.split_v2(mx.nd.array(x), indices_or_sections, axis=axis)
    got = got if isinstance(got, list) else [got]
    points = (
        list(indices_or_sections)
        if isinstance(indices_or_sections, (tuple, list))
        else (indices_or_sections)
    )
    want = np.split(x, points, axis=axis)
    assert len(got) == len(want)
    for part, expected in zip(got, want):
        np.testing.assert_array_equal(part.asnumpy(), expected)


def test_split_v2_squeezes_parts_of_size_one():
    parts = mx.nd.split_v2(mx.nd.array(DATA), 2, axis=1, squeeze_axis=True)
    np.testing.assert_array_equal(parts[1].asnumpy(), DATA[:, 1])


def test_split_v2_errors():
    x = mx.nd.array(DATA)
    with pytest.raises(MXNetError, match="split_v2.*equal"):
        mx.nd.split_v2(x, 2)
    with pytest.raises(ValueError, match="split_v2.*int or a tuple"):
        mx.nd.split_v2(x, "2")


@pytest.mark.parametrize(
    "source, destination",
    [(0, 1), (0, -1), ([0, 1], [-1, -2]), ((2, 0), (0, 1)), (1, 1)],
)
def test_moveaxis_matches_numpy(source, destination):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    got = mx.nd.moveaxis(mx.nd.array(x), source, destination)
    np.testing.assert_array_equal(got.asnumpy(), np.moveaxis(x, source, destination))


@pytest.mark.parametrize(
    "source, destination, match",
    [
        (3, 0, "source axis 3"),
        (0, -4, "destination axis -4"),
        ([0, 0], [1, 2], "repeat"),
        ([0, 1], [0], "same number"),
    ],
)
def test_moveaxis_errors(source, destination, match):
    with pytest.raises(ValueError, match=f"moveaxis.*{match}"):
        mx.nd.moveaxis(mx.nd.zeros((2, 3, 4)), source, destination)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_matches_numpy(axis):
    parts = [np.ones((2, 2), np.float32), np.arange(4, dtype=np.float32).reshape(2, 2)]
    got = mx.nd.concatenate([mx.nd.array(p) for p in parts], axis=axis)
    np.testing.assert_array_equal(got.asnumpy(), np.concatenate(parts, axis=axis))


def test_concatenate_of_one_array():
    x = mx.nd.ones((2, 2))
    assert mx.nd.concatenate([x], always_copy=False) is x
    copied = mx.nd.concatenate([x])
    assert copied is not x
    np.testing.assert_array_equal(copied.asnumpy(), x.asnumpy())


def test_concatenate_errors():
    with pytest.raises(ValueError, match="concatenate.*non-empty"):
        mx.nd.concatenate([])
    with pytest.raises(TypeError, match=r"concatenate: arrays\[1\]"):
        mx.nd.concatenate([mx.nd.ones((1,)), np.ones(1)])
    with pytest.raises(MXNetError, match="Concat"):
        mx.nd.concatenate([mx.nd.ones((2, 2)), mx.nd.ones((2, 3))])


def test_concatenate_is_differentiable():
    x, y = mx.nd.ones((1, 2)), mx.nd.ones((2, 2))
    x.attach_grad()
    with mx.autograd.record():
        z = mx.nd.concatenate([x, y]) * mx.nd.array([[1, 2], [3, 4], [5, 6]])
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 2]])


def test_onehot_encode_writes_and_returns_out():
    out = mx.nd.full((3, 4), 7.0)
    result = mx.nd.onehot_encode(mx.nd.array([0, 2, 5]), out)
    assert result is out
    np.testing.assert_array_equal(out.asnumpy(), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
