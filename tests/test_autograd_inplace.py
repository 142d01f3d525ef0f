"""In-place writes and the tape: refused while recording into arrays on the tape (as MXNet
1.9.1), and detected at backward when they changed an array the gradient reads (MXNet would
silently use the new values)."""

import numpy as np
import pytest

import neomx as mx
from neomx import autograd
from neomx.base import MXNetError

WRITTEN = "written in place after it was recorded"


def _variable(values):
    x = mx.nd.array(values)
    x.attach_grad()
    return x


# Each writes into ``target`` in place, outside record().
WRITES = {
    "setitem": lambda target: target.__setitem__(slice(None), 5),
    "setitem-part": lambda target: target.__setitem__(0, 5),
    "iadd": lambda target: target.__iadd__(1),
    "imul-array": lambda target: target.__imul__(mx.nd.ones(target.shape)),
    "out=": lambda target: mx.nd.exp(mx.nd.ones(target.shape), out=target),
    "copyto": lambda target: mx.nd.ones(target.shape).copyto(target),
    "view": lambda target: target.reshape((-1,))[0:1].__setitem__(slice(None), 5),
    "detached": lambda target: target.detach().__setitem__(slice(None), 5),
    "dlpack": lambda target: mx.nd.from_dlpack(target.to_dlpack_for_write()).__setitem__(
        slice(None), 5
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_writing_a_recorded_input_is_detected(write):
    x = _variable([[1.0, 2.0]])
    with autograd.record():
        y = x * x
    write(x)
    with pytest.raises(MXNetError, match=f"broadcast_mul.*{WRITTEN}"):
        y.backward()


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_writing_a_recorded_output_is_detected(write):
    x = _variable([[1.0, 2.0]])
    with autograd.record():
        y = mx.nd.exp(x)  # exp's gradient reads its output
    write(y)
    with pytest.raises(MXNetError, match=f"exp.*{WRITTEN}"):
        y.backward()


def test_writing_an_intermediate_is_detected():
    x = _variable([1.0, 2.0])
    with autograd.record():
        h = x * 2
        y = h * h
    h[:] = 0
    with pytest.raises(MXNetError, match=WRITTEN):
        y.backward()


def test_writing_what_the_gradient_does_not_keep_is_fine():
    # take keeps only its indices (Op.saves): its data may change after recording.
    x = _variable([1.0, 2.0, 3.0])
    indices = mx.nd.array([2, 0], dtype="int64")
    with autograd.record():
        y = mx.nd.take(x, indices)
    x[:] = 0
    y.backward(mx.nd.array([1.0, 10.0]))
    assert x.grad.asnumpy().tolist() == [10.0, 0.0, 1.0]
    with autograd.record():
        y = mx.nd.take(x, indices)
    indices[:] = 1
    with pytest.raises(MXNetError, match=f"take.*{WRITTEN}"):
        y.backward()


def test_writing_after_backward_is_fine():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    y.backward()
    x[:] = 3
    with autograd.record():
        y = x * x
    y.backward()
    assert x.grad.asnumpy().tolist() == [6.0, 6.0]


def test_retained_graph_detects_an_update_between_backward_calls():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    x -= 0.1 * x.grad  # an optimizer step
    with pytest.raises(MXNetError, match=WRITTEN):
        y.backward()


# MXNet 1.9.1: "Assigning to NDArrays that are already in a computational graph will cause
# undefined behavior when evaluating gradients. Please call backward first ..."
@pytest.mark.parametrize("target", ["variable", "intermediate"])
@pytest.mark.parametrize("write", ["setitem", "iadd", "out="])
def test_writing_an_array_on_the_tape_while_recording_is_refused(target, write):
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = x * 2
        array = x if target == "variable" else y
        with pytest.raises(MXNetError, match="already part of a recorded graph"):
            WRITES[write](array)
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])


def test_writing_a_fresh_array_while_recording_records_the_write():
    x = _variable([1.0, 2.0])
    with autograd.record():
        y = mx.nd.zeros(2)
        mx.nd.elemwise_mul(x, x, out=y)
        z = y * 3
    z.backward()
    assert x.grad.asnumpy().tolist() == [6.0, 12.0]
