"""Dropout's random behaviour under autograd: it follows is_training(), draws from the
context's stream (the same under record() as outside), and its gradient uses the same mask.
The deterministic calls are in the operator harness (tests/ops/cases_nn.py)."""

import contextlib

import numpy as np
import pytest

import neomx as mx
from neomx import autograd

SHAPE = (8, 50)


def _dropped(y):
    """Whether each element was dropped (x is all ones: kept ones become 1 / (1 - p))."""
    values = y.asnumpy()
    assert set(np.unique(values)) <= {0.0, 2.0}, "kept elements must be scaled by 1 / (1 - p)"
    return values == 0


def _is_random(y):
    dropped = _dropped(y)
    return dropped.any() and not dropped.all()


# (name, the scopes entered in order, whether Dropout mode='training' drops inside them)
SCOPES = [
    ("outside", [], False),
    ("record", [autograd.record], True),
    ("record-predict", [lambda: autograd.record(train_mode=False)], False),
    ("train_mode", [autograd.train_mode], True),
    ("predict_mode-in-record", [autograd.record, autograd.predict_mode], False),
    ("pause-in-record", [autograd.record, autograd.pause], False),
    ("pause-train", [lambda: autograd.pause(train_mode=True)], True),
]


@pytest.mark.parametrize("scopes,drops", [s[1:] for s in SCOPES], ids=[s[0] for s in SCOPES])
def test_training_mode_drops_only_while_training(scopes, drops, seed):
    mx.random.seed(seed)
    x = mx.nd.ones(SHAPE)
    with contextlib.ExitStack() as stack:
        for scope in scopes:
            stack.enter_context(scope())
        training = mx.nd.Dropout(x, p=0.5)
        always = mx.nd.Dropout(x, p=0.5, mode="always")
    assert _is_random(always), "mode='always' drops in every mode"
    if drops:
        assert _is_random(training)
    else:
        assert training.asnumpy().tolist() == x.asnumpy().tolist()


def test_dropout_rate_and_scale(seed):
    mx.random.seed(seed)
    with autograd.train_mode():
        y = mx.nd.Dropout(mx.nd.ones((100, 100)), p=0.3)
    values = y.asnumpy()
    kept = values != 0
    np.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    assert 0.25 < 1 - kept.mean() < 0.35


def test_axes_share_one_draw(seed):
    mx.random.seed(seed)
    with autograd.train_mode():
        y = mx.nd.Dropout(mx.nd.ones((4, 30, 5)), p=0.5, axes=(1,)).asnumpy()
    assert (y == y[:, :1, :]).all(), "the mask is shared along axis 1"
    assert 0 < (y == 0).mean() < 1


def test_the_stream_under_record_is_the_stream_outside(seed):
    x = mx.nd.ones(SHAPE)
    mx.random.seed(seed)
    outside = mx.nd.Dropout(x, p=0.5, mode="always").asnumpy()
    mx.random.seed(seed)
    with autograd.record():
        inside = mx.nd.Dropout(x, p=0.5).asnumpy()
    mx.random.seed(seed)
    with autograd.train_mode():
        trained = mx.nd.Dropout(x, p=0.5).asnumpy()
    assert _is_random(mx.nd.array(outside))
    np.testing.assert_array_equal(outside, inside)
    np.testing.assert_array_equal(outside, trained)


def test_reseeding_repeats_and_draws_move_on(seed):
    x = mx.nd.ones(SHAPE)
    mx.random.seed(seed)
    with autograd.record():
        first, second = mx.nd.Dropout(x), mx.nd.Dropout(x)
    mx.random.seed(seed)
    with autograd.record():
        again = mx.nd.Dropout(x)
    assert not np.array_equal(first.asnumpy(), second.asnumpy())
    np.testing.assert_array_equal(first.asnumpy(), again.asnumpy())


def test_gradient_uses_the_forward_mask(seed):
    mx.random.seed(seed)
    x = mx.nd.array(np.random.uniform(1, 2, SHAPE))
    x.attach_grad()
    head = mx.nd.array(np.random.normal(size=SHAPE))
    with autograd.record():
        y = mx.nd.Dropout(x, p=0.5)
    y.backward(head)
    mask = y.asnumpy() / x.asnumpy()
    assert set(np.unique(mask.round(5))) == {0.0, 2.0}
    np.testing.assert_allclose(x.grad.asnumpy(), head.asnumpy() * mask, rtol=1e-5)


def test_gradient_in_predict_mode_is_the_identity():
    x = mx.nd.array(np.random.uniform(1, 2, SHAPE))
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = mx.nd.Dropout(x, p=0.5) * 3
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full(SHAPE, 3.0, np.float32))


def test_backward_train_mode_does_not_redraw(seed):
    # The mask is drawn once, in forward; backward's train_mode only sets is_training().
    mx.random.seed(seed)
    x = mx.nd.ones(SHAPE)
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Dropout(x, p=0.5)
    y.backward(train_mode=False)
    np.testing.assert_array_equal(x.grad.asnumpy(), y.asnumpy())
