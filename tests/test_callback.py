"""mx.callback log lines against MXNet 1.9.1's (tests/fixtures/module/logs.json)."""

from __future__ import annotations

import json
import logging
import os
import re

import pytest

import neomx as mx

with open(os.path.join(os.path.dirname(__file__), "fixtures", "module", "logs.json")) as _h:
    LOGS = json.load(_h)


def _mask(lines):
    return [re.sub(r"Speed: [0-9.]+|inf", "Speed: <s>", line) for line in lines]


def _metric():
    metric = mx.metric.Accuracy()
    metric.update(
        [mx.nd.array([0, 1, 1, 0])], [mx.nd.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.6, 0.4]])]
    )
    return metric


def _run(callback, batches, with_metric=True):
    metric = _metric() if with_metric else None
    for nbatch in batches:
        if metric is not None and nbatch % 2 == 0:
            metric.update([mx.nd.array([1])], [mx.nd.array([[0.3, 0.7]])])
        callback(mx.model.BatchEndParam(epoch=2, nbatch=nbatch, eval_metric=metric, locals=None))


CASES = {
    "speedometer": (lambda: mx.callback.Speedometer(4, frequent=3), range(10), True),
    "speedometer_no_reset": (
        lambda: mx.callback.Speedometer(4, 3, auto_reset=False),
        range(10),
        True,
    ),
    "speedometer_no_metric": (lambda: mx.callback.Speedometer(4, 3), range(7), False),
    "speedometer_two_epochs": (
        lambda: mx.callback.Speedometer(4, 2),
        list(range(5)) + list(range(5)),
        True,
    ),
    "log_train_metric": (lambda: mx.callback.log_train_metric(2), range(5), True),
    "log_train_metric_reset": (
        lambda: mx.callback.log_train_metric(2, auto_reset=True),
        range(5),
        True,
    ),
    "progress_bar": (lambda: mx.callback.ProgressBar(total=4, length=10), range(5), True),
    "log_validation": (lambda: mx.callback.LogValidationMetricsCallback(), [3], True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_batch_callbacks_log_like_mxnet(name, caplog):
    make, batches, with_metric = CASES[name]
    with caplog.at_level(logging.INFO):
        _run(make(), batches, with_metric)
    assert _mask([r.getMessage() for r in caplog.records]) == _mask(LOGS[name])


def test_do_checkpoint_logs_and_writes_like_mxnet(caplog, tmp_path):
    callback = mx.callback.do_checkpoint(str(tmp_path / "ck"), period=2)
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    with caplog.at_level(logging.INFO):
        for epoch in range(4):
            callback(epoch, sym, {"fc_weight": mx.nd.ones((2, 3)), "fc_bias": mx.nd.zeros(2)}, {})
    lines = [r.getMessage().replace(str(tmp_path), "<dir>") for r in caplog.records]
    assert lines == LOGS["do_checkpoint"]
    assert sorted(os.listdir(tmp_path)) == LOGS["do_checkpoint_files"]


def test_module_checkpoint_saves_every_period(tmp_path):
    mod = mx.mod.Module(
        mx.sym.SoftmaxOutput(
            mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc"), name="softmax"
        )
    )
    mod.bind([("data", (2, 3))], [("softmax_label", (2,))])
    mod.init_params()
    mod.init_optimizer()
    callback = mx.callback.module_checkpoint(
        mod, str(tmp_path / "m"), period=1, save_optimizer_states=True
    )
    callback(0)
    assert sorted(os.listdir(tmp_path)) == ["m-0001.params", "m-0001.states", "m-symbol.json"]


def test_fit_epoch_lines_have_mxnet_format(caplog):
    pattern = {re.sub(r"=[0-9.]+$", "=<v>", line) for line in LOGS["fit"]}
    import numpy as np

    rng = np.random.RandomState(0)
    x = rng.randn(64, 6).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3), name="s")
    mod = mx.mod.Module(net, label_names=["s_label"])
    with caplog.at_level(logging.INFO):
        mod.fit(
            mx.io.NDArrayIter(x, y, batch_size=16, label_name="s_label"),
            eval_data=mx.io.NDArrayIter(x, y, 16, label_name="s_label"),
            num_epoch=2,
        )
    lines = {re.sub(r"=[0-9.]+$", "=<v>", r.getMessage()) for r in caplog.records}
    assert pattern <= lines
