"""BucketingModule, SequentialModule, PythonModule and PythonLossModule."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx


def _sym_gen(length):
    data = mx.sym.var("data")
    # Average over the sequence, so every bucket uses the same weights.
    pooled = mx.sym.mean(data, axis=1)
    net = mx.sym.FullyConnected(pooled, num_hidden=2, name="fc")
    return mx.sym.SoftmaxOutput(net, name="softmax"), ("data",), ("softmax_label",)


def _bucket_batch(rng, length, n=8):
    x = rng.randn(n, length, 3).astype(np.float32)
    y = (x.mean(axis=1)[:, 0] > 0).astype(np.float32)
    return mx.io.DataBatch(
        [mx.nd.array(x)],
        [mx.nd.array(y)],
        bucket_key=length,
        provide_data=[mx.io.DataDesc("data", (n, length, 3))],
        provide_label=[mx.io.DataDesc("softmax_label", (n,))],
    )


class _BucketIter(mx.io.DataIter):
    def __init__(self, batches):
        super().__init__(batch_size=8)
        self.batches = batches
        self.default_bucket_key = 5
        self.provide_data = [mx.io.DataDesc("data", (8, 5, 3))]
        self.provide_label = [mx.io.DataDesc("softmax_label", (8,))]
        self.position = 0

    def reset(self):
        self.position = 0

    def next(self):
        if self.position == len(self.batches):
            raise StopIteration
        self.position += 1
        return self.batches[self.position - 1]


def test_bucketing_module_trains_two_lengths_with_shared_weights():
    rng = np.random.RandomState(0)
    batches = [_bucket_batch(rng, length) for length in (5, 3) * 10]
    mx.random.seed(0)
    mod = mx.mod.BucketingModule(_sym_gen, default_bucket_key=5, context=mx.cpu())
    mod.fit(
        _BucketIter(batches),
        num_epoch=4,
        optimizer_params={"learning_rate": 0.5},
        initializer=mx.init.Xavier(),
    )
    assert sorted(mod._buckets) == [3, 5]
    short, long_ = mod._buckets[3], mod._buckets[5]
    for name in ("fc_weight", "fc_bias"):
        assert (
            short._exec_group.execs[0].arg_dict[name] is long_._exec_group.execs[0].arg_dict[name]
        )
    score = dict(mod.score(_BucketIter(batches), "acc"))["accuracy"]
    assert score > 0.9
    assert mod.predict(_BucketIter(batches[:2])).shape == (16, 2)


def test_bucketing_checkpoint_round_trip(tmp_path):
    rng = np.random.RandomState(1)
    mod = mx.mod.BucketingModule(_sym_gen, default_bucket_key=5)
    mod.bind(data_shapes=[("data", (8, 5, 3))], label_shapes=[("softmax_label", (8,))])
    mod.init_params()
    mod.forward(_bucket_batch(rng, 3), is_train=False)
    prefix = str(tmp_path / "b")
    mod.save_checkpoint(prefix, 1)
    assert (tmp_path / "b-3-symbol.json").exists() and (tmp_path / "b.buckets").exists()
    loaded = mx.mod.BucketingModule.load(prefix, 1, sym_gen=_sym_gen, default_bucket_key=5)
    loaded.bind(data_shapes=[("data", (8, 5, 3))], label_shapes=[("softmax_label", (8,))])
    batch = _bucket_batch(rng, 3)
    mod.forward(batch, is_train=False)
    loaded.forward(batch, is_train=False)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), loaded.get_outputs()[0].asnumpy())


def test_bucketing_module_needs_default_key():
    with pytest.raises(ValueError, match="default_bucket_key"):
        mx.mod.BucketingModule(_sym_gen)


def _two_stage():
    first = mx.sym.Activation(
        mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=8, name="fc1"), act_type="relu"
    )
    second = mx.sym.SoftmaxOutput(
        mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc2"), name="softmax"
    )
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(first, label_names=None))
    seq.add(mx.mod.Module(second), take_labels=True, auto_wiring=True)
    return seq


def test_sequential_module_trains():
    rng = np.random.RandomState(0)
    x = rng.randn(100, 4).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    seq = _two_stage()
    mx.random.seed(0)
    seq.fit(
        mx.io.NDArrayIter(x, y, batch_size=10),
        num_epoch=6,
        initializer=mx.init.Xavier(),
        optimizer_params={"learning_rate": 0.3},
    )
    assert dict(seq.score(mx.io.NDArrayIter(x, y, batch_size=10), "acc"))["accuracy"] > 0.9
    args, _ = seq.get_params()
    assert sorted(args) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"]
    assert seq.output_shapes == [("softmax_output", (10, 2))]
    with pytest.raises(ValueError, match="Unknown meta"):
        seq.add(mx.mod.Module(_two_stage()._modules[1].symbol), take_label=True)


def test_python_loss_module_after_a_module():
    rng = np.random.RandomState(0)
    x = rng.randn(60, 3).astype(np.float32)
    target = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=1, name="fc")
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(net, label_names=None))
    seq.add(
        mx.mod.PythonLossModule(grad_func=lambda scores, labels: scores - labels),
        take_labels=True,
        auto_wiring=True,
    )
    seq.fit(
        mx.io.NDArrayIter(x, target, batch_size=10, label_name="softmax_label"),
        num_epoch=30,
        eval_metric="mse",
        optimizer_params={"learning_rate": 0.1},
        initializer=mx.init.Zero(),
    )
    weight = seq.get_params()[0]["fc_weight"].asnumpy()
    np.testing.assert_allclose(weight, [[1.0, -2.0, 0.5]], atol=0.05)


def test_python_module_basics():
    loss = mx.mod.PythonLossModule()
    loss.bind([("data", (2, 3))], [("softmax_label", (2, 3))])
    assert loss.output_shapes == [("pyloss_output", (2, 3))]
    assert loss.get_params() == ({}, {})
    loss.forward(mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2, 3))]), is_train=True)
    with pytest.raises(NotImplementedError):
        loss.backward()
    with pytest.raises(ValueError):
        mx.mod.PythonLossModule(data_names=("a", "b"))
