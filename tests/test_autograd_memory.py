"""What the tape keeps alive: only what gradients need (Op.saves), released by backward
without retain_graph, and freed by reference counting alone when a graph is dropped (the
cycle collector is off in these tests)."""

import gc
import weakref

import numpy as np
import pytest

import neomx as mx
from neomx import autograd


@pytest.fixture
def no_gc():
    """Free only by reference counting: a reference cycle would keep its arrays alive."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


class _Watch:
    """Weak references to an array and to its numpy buffer."""

    def __init__(self, array):
        self.refs = [weakref.ref(array), weakref.ref(array._data)]

    @property
    def alive(self):
        mx.nd.waitall()  # a threaded engine's pending operations hold their arrays
        return [ref() is not None for ref in self.refs]


def _variable(shape=(3, 4)):
    x = mx.nd.array(np.random.uniform(1, 2, shape))
    x.attach_grad()
    return x


@pytest.mark.parametrize("shape", [(3, 4), (300, 400)], ids=["small", "pooled"])
def test_backward_releases_the_intermediates(no_gc, shape):
    x = _variable(shape)
    with autograd.record():
        h = mx.nd.exp(x)
        y = h * h
    watch = _Watch(h)
    del h
    assert watch.alive == [True, True], "the gradient of h * h needs h"
    y.backward()
    assert watch.alive == [False, False]
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.exp(2 * x.asnumpy()), rtol=1e-5)


def test_retain_graph_keeps_them_until_the_head_goes(no_gc):
    x = _variable()
    with autograd.record():
        h = mx.nd.exp(x)
        y = h * h
    watch = _Watch(h)
    del h
    y.backward(retain_graph=True)
    assert watch.alive == [True, True]
    y.backward()
    assert watch.alive == [False, False]


def test_a_dropped_graph_is_freed_without_backward(no_gc):
    x = _variable()
    with autograd.record():
        h = mx.nd.exp(x)
        y = mx.nd.exp(h * h)
    watches = [_Watch(h), _Watch(y)]
    del h, y
    assert [w.alive for w in watches] == [[False, False]] * 2


def test_the_tape_keeps_only_what_op_saves_names(no_gc):
    # take keeps its indices only; Dropout its outputs (the mask) only: the array between
    # them is needed by neither gradient.
    x = _variable((4, 3))
    indices = mx.nd.array([3, 0, 0], dtype="int64")
    with autograd.record():
        picked = mx.nd.take(x, indices)
        y = mx.nd.Dropout(picked, p=0.5)
    watch = _Watch(picked)
    del picked
    assert watch.alive == [False, False]
    y.backward()
    mask = y.asnumpy() / mx.nd.take(x, indices).asnumpy()
    want = np.zeros((4, 3))
    np.add.at(want, [3, 0, 0], mask)
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5)


def test_gradients_do_not_outlive_backward(no_gc):
    x = _variable()
    seen = []
    with autograd.record():
        y = _Spy(seen)(x * 2) * 3
    y.backward()
    mx.nd.waitall()
    assert seen and all(ref() is None for ref in seen)


class _Spy(autograd.Function):
    """The identity, remembering weakly the output gradient its backward received."""

    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def forward(self, x):
        return x * 1

    def backward(self, dy):
        self.seen.append(weakref.ref(dy))
        return dy * 1
