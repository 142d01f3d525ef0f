"""Updater.get_states / set_states: a round trip resumes the same trajectory, and loading
builds only data (never runs code named in the bytes)."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import neomx as mx
from neomx.optimizer import StatesError

SETTINGS = [
    ("sgd", {"momentum": 0.9, "wd": 0.01}, "float32"),
    ("sgd", {"momentum": 0.9, "multi_precision": True}, "float16"),
    ("nag", {"momentum": 0.9}, "float32"),
    ("adam", {"lr_scheduler": ("FactorScheduler", {"step": 2, "factor": 0.5})}, "float32"),
    ("rmsprop", {"centered": True}, "float32"),
    ("lamb", {"multi_precision": True}, "float16"),
    ("lars", {"momentum": 0.9, "lr_scheduler": ("CosineScheduler", {"max_update": 8})}, "float32"),
    ("lbsgd", {"batch_scale": 3, "momentum": 0.5}, "float32"),
    ("nadam", {}, "float32"),
    ("dcasgd", {"momentum": 0.5}, "float32"),
    ("ftml", {}, "float32"),
]


def make(name, kwargs):
    kwargs = dict(kwargs)
    if "lr_scheduler" in kwargs:
        kind, args = kwargs["lr_scheduler"]
        kwargs["lr_scheduler"] = getattr(mx.lr_scheduler, kind)(**args)
    opt = mx.optimizer.create(name, param_idx2name={0: "a_weight", 1: "a_bias"}, **kwargs)
    return mx.optimizer.get_updater(opt)


def run(updater, weights, grads):
    for g in grads:
        ctx, dtype = weights[0].context, weights[0].dtype
        updater([0, 1], [mx.nd.array(x, ctx=ctx, dtype=dtype) for x in g], weights)


@pytest.mark.parametrize("dump_optimizer", [False, True])
@pytest.mark.parametrize(("name", "kwargs", "dtype"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_round_trip_resumes_the_trajectory(name, kwargs, dtype, dump_optimizer):
    rng = np.random.RandomState(3)
    init = [rng.standard_normal((3, 2)).astype(dtype), rng.standard_normal((2,)).astype(dtype)]
    grads = [[rng.standard_normal(w.shape).astype(dtype) for w in init] for _ in range(8)]
    straight = make(name, kwargs)
    weights = [mx.nd.array(w, dtype=dtype) for w in init]
    run(straight, weights, grads)

    first = make(name, kwargs)
    resumed_weights = [mx.nd.array(w, dtype=dtype) for w in init]
    run(first, resumed_weights, grads[:4])
    blob = first.get_states(dump_optimizer=dump_optimizer)
    assert isinstance(blob, bytes)
    second = make(name, kwargs)
    if not dump_optimizer:
        # The optimizer's own bookkeeping (update counts, schedules) is not in the states.
        second.optimizer = first.optimizer
    second.set_states(blob)
    assert second.states_synced == dict.fromkeys(second.states, False)
    run(second, resumed_weights, grads[4:])
    for a, b in zip(weights, resumed_weights):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_states_keep_their_structure():
    updater = make("sgd", {"momentum": 0.9, "multi_precision": True})
    weights = [mx.nd.ones((2,), dtype="float16"), mx.nd.ones((1,), dtype="float16")]
    run(updater, weights, [[np.ones(2), np.ones(1)]])
    clone = make("sgd", {})
    clone.set_states(updater.get_states(dump_optimizer=True))
    assert isinstance(clone.optimizer, mx.optimizer.SGD) and clone.optimizer.momentum == 0.9
    mom, master = clone.states[0]
    assert isinstance(mom, mx.nd.NDArray) and master.dtype == np.float32
    np.testing.assert_array_equal(master.asnumpy(), updater.states[0][1].asnumpy())
    assert clone.optimizer.param_dict == {}


def test_states_move_to_the_weights_context():
    updater = make("adam", {})
    weights = [mx.nd.ones((2,), ctx=mx.cpu(1)), mx.nd.ones((1,), ctx=mx.cpu(1))]
    clone = make("adam", {})
    run(updater, [mx.nd.ones((2,)), mx.nd.ones((1,))], [[np.ones(2), np.ones(1)]])
    clone.set_states(updater.get_states())
    run(clone, weights, [[np.ones(2), np.ones(1)]])
    assert clone.states[0][0].context == mx.cpu(1)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


@pytest.mark.parametrize(
    "payload",
    [{0: _Exploit()}, ({0: None}, _Exploit())],
    ids=["in-states", "as-optimizer"],
)
def test_loading_refuses_code(payload, capfd):
    blob = pickle.dumps(payload)
    updater = make("sgd", {})
    with pytest.raises(StatesError, match=r"refusing to load (posix|nt)\.system"):
        updater.set_states(blob)
    assert "should-not-run" not in capfd.readouterr().out


def test_loading_allows_numpy_values():
    updater = make("sgd", {})
    updater.set_states(pickle.dumps({0: None, 1: (np.float32(2.5), np.arange(3))}))
    assert updater.states[1][0] == 2.5
    np.testing.assert_array_equal(updater.states[1][1], [0, 1, 2])


@pytest.mark.parametrize("blob", [b"not a pickle", b"", pickle.dumps([1, 2])])
def test_unreadable_states(blob):
    with pytest.raises(StatesError, match="set_states"):
        make("sgd", {}).set_states(blob)
    with pytest.raises(ValueError, match="expected the bytes of get_states"):
        make("sgd", {}).set_states("text")
