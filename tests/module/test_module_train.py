"""Module: fit, score, predict, the step-by-step API, and data parallelism over devices."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import neomx as mx


def _problem(n=200, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype(np.float32)
    y = (x[:, 0] - x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.float32)
    return x, y


def _mlp(hidden=16):
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=hidden, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.FullyConnected(net, num_hidden=2, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def _train(context, work_load_list=None, kvstore="local", epochs=3):
    x, y = _problem()
    mx.random.seed(7)
    np.random.seed(7)
    mod = mx.mod.Module(_mlp(), context=context, work_load_list=work_load_list)
    mod.fit(
        mx.io.NDArrayIter(x, y, batch_size=20),
        num_epoch=epochs,
        kvstore=kvstore,
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.3, "momentum": 0.9},
        initializer=mx.init.Xavier(),
    )
    return mod


def test_fit_reaches_high_accuracy():
    mod = _train(mx.cpu(), epochs=8)
    x, y = _problem(seed=1)
    ((name, accuracy),) = mod.score(mx.io.NDArrayIter(x, y, batch_size=50), "acc")
    assert name == "accuracy" and accuracy > 0.95


@pytest.mark.parametrize("work_load_list", [None, [1, 3]])
@pytest.mark.parametrize("kvstore", ["local", "device", None])
def test_two_devices_equal_one(work_load_list, kvstore):
    single = _train(mx.cpu())
    double = _train([mx.cpu(0), mx.cpu(1)], work_load_list, kvstore)
    first, second = single.get_params()[0], double.get_params()[0]
    for name in first:
        np.testing.assert_allclose(
            first[name].asnumpy(), second[name].asnumpy(), rtol=1e-4, atol=1e-5, err_msg=name
        )
    group = double._exec_group
    assert [e._ctx for e in group.execs] == [mx.cpu(0), mx.cpu(1)]
    sizes = [s.stop - s.start for s in group.slices]
    assert sizes == ([10, 10] if work_load_list is None else [5, 15])


def test_predict_score_and_iter_predict_drop_padding():
    mod = _train(mx.cpu(), epochs=1)
    x, y = _problem(n=13, seed=2)
    it = mx.io.NDArrayIter(x, y, batch_size=20)
    out = mod.predict(it)
    assert out.shape == (13, 2)
    batches = mod.predict(it, merge_batches=False)
    assert len(batches) == 1 and batches[0][0].shape == (13, 2)
    assert isinstance(mod.predict(it, always_output_list=True), list)
    for outputs, nbatch, _batch in mod.iter_predict(it):
        assert nbatch == 0 and outputs[0].shape == (13, 2)
        np.testing.assert_allclose(outputs[0].asnumpy(), out.asnumpy(), rtol=1e-6)
    assert mod.predict(x).shape == (13, 2)
    results = dict(mod.score(it, ["acc", "ce"]))
    assert set(results) == {"accuracy", "cross-entropy"}


def test_step_by_step_api_and_input_grads():
    mod = mx.mod.Module(_mlp(), context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(
        data_shapes=[("data", (6, 4))],
        label_shapes=[("softmax_label", (6,))],
        inputs_need_grad=True,
    )
    mod.init_params(initializer=mx.init.Xavier())
    mod.init_optimizer(optimizer="sgd", optimizer_params=(("learning_rate", 0.1),))
    assert mod.output_shapes == [("softmax_output", (6, 2))]
    assert [d.shape for d in mod.data_shapes] == [(6, 4)]
    batch = mx.io.DataBatch([mx.nd.ones((6, 4))], [mx.nd.array([0, 1, 0, 1, 0, 1])])
    before = mod.get_params()[0]["fc1_weight"].asnumpy().copy()
    mod.forward(batch, is_train=True)
    mod.backward()
    grads = mod.get_input_grads()
    assert grads[0].shape == (6, 4)
    assert len(mod.get_input_grads(merge_multi_context=False)[0]) == 2
    assert len(mod.get_outputs(merge_multi_context=False)[0]) == 2
    mod.update()
    after = mod.get_params()[0]["fc1_weight"].asnumpy()
    assert not np.allclose(before, after)
    metric = mx.metric.create("acc")
    mod.update_metric(metric, batch.label)
    assert metric.get()[0] == "accuracy"


def test_forward_with_another_batch_size_reshapes():
    mod = mx.mod.Module(_mlp())
    mod.bind(data_shapes=[("data", (8, 4))], label_shapes=[("softmax_label", (8,))])
    mod.init_params()
    mod.forward(mx.io.DataBatch([mx.nd.ones((3, 4))], [mx.nd.zeros((3,))]), is_train=False)
    assert mod.get_outputs()[0].shape == (3, 2)
    mod.reshape([("data", (5, 4))], [("softmax_label", (5,))])
    assert mod.output_shapes == [("softmax_output", (5, 2))]


def test_fixed_params_do_not_move():
    x, y = _problem(n=40)
    mod = mx.mod.Module(_mlp(), fixed_param_names=["fc1_weight"])
    mod.fit(
        mx.io.NDArrayIter(x, y, batch_size=10),
        num_epoch=1,
        initializer=mx.init.Xavier(),
        optimizer_params={"learning_rate": 0.5},
    )
    mod2 = mx.mod.Module(_mlp())
    args, auxs = mod.get_params()
    mod.fit(
        mx.io.NDArrayIter(x, y, batch_size=10),
        num_epoch=2,
        arg_params=args,
        aux_params=auxs,
        force_init=True,
        begin_epoch=1,
    )
    np.testing.assert_array_equal(
        mod.get_params()[0]["fc1_weight"].asnumpy(), args["fc1_weight"].asnumpy()
    )
    assert mod2.data_names == ["data"] and mod2.label_names == ["softmax_label"]


def test_set_params_and_errors():
    mod = mx.mod.Module(_mlp())
    with pytest.raises(mx.MXNetError, match="bind"):
        mod.init_params()
    with pytest.raises(ValueError, match="not found in symbol"):
        mx.mod.Module(_mlp(), data_names=["x"])
    mod.bind(data_shapes=[("data", (2, 4))], label_shapes=[("softmax_label", (2,))])
    mod.init_params()
    args, auxs = mod.get_params()
    zeros = {k: mx.nd.zeros(v.shape) for k, v in args.items()}
    mod.set_params(zeros, auxs)
    assert all(v.asnumpy().sum() == 0 for v in mod.get_params()[0].values())
    with pytest.raises(mx.MXNetError, match="init_optimizer"):
        mod.update()
    with pytest.raises(ValueError, match="num_epoch"):
        mod.fit(mx.io.NDArrayIter(np.ones((2, 4)), np.ones(2), batch_size=2))


def test_fit_logs_epoch_lines_and_calls_callbacks(caplog, tmp_path):
    x, y = _problem(n=40)
    seen = []
    mod = mx.mod.Module(_mlp())
    with caplog.at_level(logging.INFO):
        mod.fit(
            mx.io.NDArrayIter(x, y, batch_size=10),
            eval_data=mx.io.NDArrayIter(x, y, 10),
            num_epoch=2,
            batch_end_callback=lambda p: seen.append((p.epoch, p.nbatch)),
            epoch_end_callback=mx.callback.do_checkpoint(str(tmp_path / "ck")),
        )
    assert seen == [(e, b) for e in range(2) for b in range(4)]
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("Epoch[1] Train-accuracy=") for m in messages)
    assert any(m.startswith("Epoch[1] Validation-accuracy=") for m in messages)
    assert any(m.startswith("Epoch[0] Time cost=") for m in messages)
    assert (tmp_path / "ck-0002.params").exists()
    sym, args, _ = mx.model.load_checkpoint(str(tmp_path / "ck"), 2)
    np.testing.assert_allclose(
        args["fc2_bias"].asnumpy(), mod.get_params()[0]["fc2_bias"].asnumpy()
    )


def test_monitor_installed_by_fit(caplog):
    x, y = _problem(n=20)
    mon = mx.monitor.Monitor(1, pattern="fc1_.*")
    mod = mx.mod.Module(_mlp())
    with caplog.at_level(logging.INFO):
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=1, monitor=mon)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Batch:")]
    assert any("fc1_weight" in line for line in lines)
    assert any("fc1_output" in line for line in lines)
