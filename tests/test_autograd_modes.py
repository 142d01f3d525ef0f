"""autograd's recording and training flags: record/pause/train_mode/predict_mode, their
nesting, set_recording/set_training, and that the flags belong to one thread."""

import threading

import pytest

import neomx as mx
from neomx import autograd


def _flags():
    return autograd.is_recording(), autograd.is_training()


def test_flags_start_off():
    assert _flags() == (False, False)


# (scope, flags inside) as MXNet 1.9.1 sets them, entered from the default state.
SCOPES = [
    ("record", autograd.record, (True, True)),
    ("record-predict", lambda: autograd.record(train_mode=False), (True, False)),
    ("pause", autograd.pause, (False, False)),
    ("pause-train", lambda: autograd.pause(train_mode=True), (False, True)),
    ("train_mode", autograd.train_mode, (False, True)),
    ("predict_mode", autograd.predict_mode, (False, False)),
]


@pytest.mark.parametrize("scope,inside", [s[1:] for s in SCOPES], ids=[s[0] for s in SCOPES])
def test_scope_sets_and_restores_the_flags(scope, inside):
    with scope():
        assert _flags() == inside
    assert _flags() == (False, False)


def test_nesting_as_mxnet():
    # The flags MXNet 1.9.1 reports at each level of this nesting.
    with autograd.record():
        assert _flags() == (True, True)
        with autograd.pause():
            assert _flags() == (False, False)
            with autograd.record(train_mode=False):
                assert _flags() == (True, False)
                with autograd.train_mode():
                    assert _flags() == (True, True)
                assert _flags() == (True, False)
            assert _flags() == (False, False)
        with autograd.pause(train_mode=True):
            assert _flags() == (False, True)
        with autograd.predict_mode():
            assert _flags() == (True, False)
        assert _flags() == (True, True)
    with autograd.train_mode(), autograd.pause():
        # pause sets training off unless asked, even inside train_mode.
        assert _flags() == (False, False)
    assert _flags() == (False, False)


def test_scope_restores_the_flags_after_an_error():
    with pytest.raises(KeyError):
        with autograd.record():
            raise KeyError("inside")
    assert _flags() == (False, False)


def test_set_recording_and_set_training_return_the_previous_state():
    try:
        assert autograd.set_recording(True) is False
        assert autograd.set_recording(True) is True
        assert autograd.is_recording()
        assert autograd.set_training(True) is False
        assert autograd.is_training()
    finally:
        assert autograd.set_recording(False) is True
        assert autograd.set_training(False) is True
    assert _flags() == (False, False)


def test_set_recording_records():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    previous = autograd.set_recording(True)
    try:
        y = x * x
    finally:
        autograd.set_recording(previous)
    y.backward()
    assert x.grad.asnumpy().tolist() == [2.0, 4.0]


def test_flags_are_per_thread():
    seen = {}

    def worker():
        seen["before"] = _flags()
        with autograd.record(train_mode=False):
            seen["inside"] = _flags()

    with autograd.record():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        # The other thread's record() did not change this thread's flags, nor end them.
        assert _flags() == (True, True)
    assert seen == {"before": (False, False), "inside": (True, False)}


def test_other_threads_do_not_record_into_this_tape():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    results = {}

    def worker():
        results["y"] = x * 3

    with autograd.record():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    with pytest.raises(mx.MXNetError, match="not in a recorded graph"):
        results["y"].backward()


def test_operations_outside_record_are_not_recorded():
    x = mx.nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        with autograd.pause():
            y = x * 2
    with pytest.raises(mx.MXNetError, match="not in a recorded graph"):
        y.backward()
