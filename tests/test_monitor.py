"""mx.monitor.Monitor on executors."""

from __future__ import annotations

import logging

import neomx as mx


def _executor():
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    net = mx.sym.Activation(net, act_type="relu", name="act")
    ex = net.simple_bind(mx.cpu(), data=(3, 4))
    ex.arg_dict["data"][:] = 1.0
    ex.arg_dict["fc_weight"][:] = 0.5
    return ex


def test_monitor_collects_every_interval_and_sorts():
    ex = _executor()
    mon = mx.monitor.Monitor(2, pattern=".*", sort=True)
    mon.install(ex)
    steps = []
    for _ in range(4):
        mon.tic()
        ex.forward()
        steps.append(mon.toc())
    assert [bool(s) for s in steps] == [True, False, True, False]
    names = [name for _, name, _ in steps[0]]
    assert names == sorted(names)
    assert {"fc_output", "act_output", "fc_weight", "data"} <= set(names)
    values = {name: text for _, name, text in steps[0]}
    # RMS of a (3, 2) output of 2.0 everywhere (4 inputs of 1 times 0.5).
    assert float(values["fc_output"].strip()) == 2.0
    assert steps[2][0][0] == 3  # the step count after the third tic


def test_monitor_pattern_stat_func_and_toc_print(caplog):
    ex = _executor()
    mon = mx.monitor.Monitor(1, stat_func=lambda x: [mx.nd.max(x), x * 0], pattern="fc_w")
    mon.install(ex)
    with caplog.at_level(logging.INFO):
        mon.tic()
        ex.forward()
        mon.toc_print()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and lines[0].startswith("Batch:       1 fc_weight")
    assert lines[0].split()[3] == "0.5"


def test_monitor_all_sees_inputs():
    ex = _executor()
    mon = mx.monitor.Monitor(1, stat_func=lambda x: mx.nd.array([x.size]), monitor_all=True)
    mon.install(ex)
    mon.tic()
    ex.forward()
    seen = {name: text for _, name, text in mon.toc()}
    assert {"fc_data", "fc_output", "act_output"} <= set(seen)
    assert seen["fc_data"].strip() == "12.0"
