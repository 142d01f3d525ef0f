"""gluon.Trainer: trajectories equal real MXNet 1.9.1's (tools/make_trainer_golden.py), on one
device and on two kept in sync through a KVStore; stale gradients; learning rate; states."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from trainer_net import define_net

import neomx as mx
from neomx import autograd, gluon

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "trainer"
CASES = sorted(path.stem for path in GOLDEN.glob("*.npz"))


# fc2(tanh(fc1(x))), plus fc3 on even steps: the net of tools/make_trainer_golden.py.
Net = define_net(gluon)


def load(name):
    with np.load(GOLDEN / f"{name}.npz") as data:
        arrays = {key: data[key] for key in data.files}
    return json.loads(str(arrays.pop("meta"))), arrays


def short(name):
    return name[len("net_") :]


def build(meta, arrays, weights="init", step=None):
    ctxs = [mx.cpu(i) for i in range(meta["devices"])]
    net = Net(meta.get("branch", False), prefix="net_")
    net.initialize(ctx=ctxs)
    params = net.collect_params()
    for name, param in params.items():
        key = f"init_{short(name)}" if weights == "init" else f"w{step}_{short(name)}"
        param.set_data(mx.nd.array(arrays[key]))
    trainer = gluon.Trainer(
        params,
        meta["optimizer"],
        dict(meta["params"]),
        kvstore=meta.get("kvstore", "device"),
        compression_params=meta.get("compression"),
        update_on_kvstore=meta.get("update_on_kvstore"),
    )
    return net, params, trainer, ctxs


def train_step(meta, arrays, net, params, trainer, ctxs, step):
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    net.step = step
    xs = gluon.utils.split_and_load(mx.nd.array(arrays[f"x{step}"]), ctxs)
    ys = gluon.utils.split_and_load(mx.nd.array(arrays[f"y{step}"]), ctxs)
    with autograd.record():
        losses = [loss_fn(net(x), y) for x, y in zip(xs, ys)]
    for loss in losses:
        loss.backward()
    mode = meta.get("mode", "step")
    if mode == "lr_change" and step == 2:
        trainer.set_learning_rate(0.03)
    if mode == "allreduce_update":
        trainer.allreduce_grads()
        for param in params.values():
            for grad in param.list_grad():
                grad *= 0.5
        trainer.update(meta["batch"])
    else:
        trainer.step(meta["batch"], ignore_stale_grad=meta.get("branch", False))


def check_weights(arrays, params, step, ctxs):
    for name, param in params.items():
        copies = param.list_data()
        assert [c.context for c in copies] == ctxs
        for copy in copies:
            np.testing.assert_allclose(
                copy.asnumpy(),
                arrays[f"w{step}_{short(name)}"],
                rtol=1e-5,
                atol=1e-6,
                err_msg=f"{name} on {copy.context} after step {step}",
            )


@pytest.mark.parametrize("name", CASES)
def test_trajectory_matches_mxnet(name):
    meta, arrays = load(name)
    net, params, trainer, ctxs = build(meta, arrays)
    for step in range(meta["steps"]):
        train_step(meta, arrays, net, params, trainer, ctxs, step)
        check_weights(arrays, params, step, ctxs)
    assert trainer._update_on_kvstore == meta["update_on_kvstore_used"]


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("states")])
@pytest.mark.parametrize("source", ["mxnet", "neomx"])
def test_states_resume_the_trajectory(name, source, tmp_path):
    meta, arrays = load(name)
    save_at = meta["save_at"]
    path = tmp_path / "trainer.states"
    if source == "mxnet":
        path.write_bytes(arrays["states"].tobytes())
    else:
        net, params, trainer, ctxs = build(meta, arrays)
        for step in range(save_at + 1):
            train_step(meta, arrays, net, params, trainer, ctxs, step)
        trainer.save_states(str(path))
    net, params, trainer, ctxs = build(meta, arrays, weights="after", step=save_at)
    trainer.load_states(str(path))
    assert trainer.optimizer.param_dict[0] is trainer._params[0]
    for step in range(save_at + 1, meta["steps"]):
        train_step(meta, arrays, net, params, trainer, ctxs, step)
        check_weights(arrays, params, step, ctxs)


# ---- behaviour -------------------------------------------------------------------------------


def dense(ctxs, units=2, in_units=3, init=None):
    net = gluon.nn.Dense(units, in_units=in_units)
    net.initialize(init or mx.init.One(), ctx=ctxs)
    return net


def backward(net, ctxs, scale=1.0):
    for ctx in ctxs:
        with autograd.record():
            out = net(mx.nd.ones((1, net.weight.shape[1]), ctx=ctx) * scale)
        out.backward()


STALE = "has not been updated by backward since last `step`.*ignore_stale_grad=True"


@pytest.mark.parametrize(
    "devices,kwargs",
    [(1, {}), (2, {}), (2, {"update_on_kvstore": False}), (2, {"kvstore": "local"})],
)
def test_unused_parameter_is_stale(devices, kwargs):
    ctxs = [mx.cpu(i) for i in range(devices)]
    used, unused = dense(ctxs), dense(ctxs)
    params = used.collect_params()
    params.update(unused.collect_params())
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": 0.1}, **kwargs)
    backward(used, ctxs)
    with pytest.raises(UserWarning, match=f"`{unused.bias.name}` on context cpu\\(0\\) {STALE}"):
        trainer.step(1)
    before = unused.weight.data().asnumpy()
    backward(used, ctxs)
    trainer.step(1, ignore_stale_grad=True)
    if devices == 1 or kwargs.get("update_on_kvstore") is False:
        # Stale Parameters are skipped (on the store they are updated anyway, as in MXNet).
        np.testing.assert_array_equal(unused.weight.data().asnumpy(), before)


@pytest.mark.parametrize("kwargs", [{}, {"update_on_kvstore": False}])
def test_second_step_without_backward(kwargs):
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = dense(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, **kwargs)
    backward(net, ctxs)
    trainer.step(1)
    if kwargs:
        with pytest.raises(UserWarning, match=STALE):
            trainer.step(1)
    else:
        # MXNet never clears the flags when the store updates: a second step goes through.
        trainer.step(1)


def test_one_device_second_step_is_stale_then_fresh_again():
    net = dense([mx.cpu(0)])
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    backward(net, [mx.cpu(0)])
    trainer.step(1)
    with pytest.raises(UserWarning, match=STALE):
        trainer.step(1)
    backward(net, [mx.cpu(0)])
    trainer.step(1)


def test_backward_before_trainer_counts_as_fresh():
    net = dense([mx.cpu(0)])
    backward(net, [mx.cpu(0)])
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0})
    trainer.step(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.zeros((2, 3)))


def test_deferred_initialisation():
    net = gluon.nn.Dense(2)
    net.initialize(mx.init.One(), ctx=[mx.cpu(0), mx.cpu(1)])
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    for ctx in (mx.cpu(0), mx.cpu(1)):
        with autograd.record():
            out = net(mx.nd.ones((2, 3), ctx=ctx))
        out.backward()
    trainer.step(4)
    for copy in net.weight.list_data():
        np.testing.assert_allclose(copy.asnumpy(), np.full((2, 3), 0.5))


def test_rescale_and_learning_rate():
    net = dense([mx.cpu(0)])
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    assert trainer.learning_rate == 0.1
    trainer.set_learning_rate(0.2)
    assert trainer.learning_rate == trainer.optimizer.learning_rate == 0.2
    backward(net, [mx.cpu(0)], scale=2.0)
    trainer.step(4)
    assert trainer.optimizer.rescale_grad == 0.25
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.full((2, 3), 1 - 0.2 * 2 / 4))


def test_learning_rate_with_scheduler():
    schedule = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    net = dense([mx.cpu(0)])
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"lr_scheduler": schedule})
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already been defined"):
        trainer.set_learning_rate(0.1)


def test_optimizer_instance():
    net = dense([mx.cpu(0)])
    optimizer = mx.optimizer.SGD(learning_rate=0.3)
    trainer = gluon.Trainer(net.collect_params(), optimizer)
    assert trainer.optimizer is optimizer
    assert optimizer.param_dict[0] is net.bias
    with pytest.raises(ValueError, match="optimizer_params must be None"):
        gluon.Trainer(dense([mx.cpu(0)]).collect_params(), optimizer, {"learning_rate": 1})


def test_bad_arguments():
    with pytest.raises(ValueError, match="First argument must be a list or dict of Parameters"):
        gluon.Trainer(3, "sgd")
    with pytest.raises(ValueError, match="got list of"):
        gluon.Trainer([3], "sgd")
    a = dense([mx.cpu(0)])
    b = dense([mx.cpu(0), mx.cpu(1)])
    params = a.collect_params()
    params.update(b.collect_params())
    with pytest.raises(ValueError, match="same set of contexts"):
        gluon.Trainer(params, "sgd")


def test_a_new_trainer_takes_over_the_parameters():
    net = dense([mx.cpu(0)])
    first = gluon.Trainer(net.collect_params(), "sgd")
    second = gluon.Trainer(net.collect_params(), "sgd")
    assert first is not second


def test_allreduce_and_update_need_update_off_the_store():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = dense(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    backward(net, ctxs)
    with pytest.raises(mx.MXNetError, match="allreduce_grads\\(\\) when parameters are updated"):
        trainer.allreduce_grads()
    with pytest.raises(mx.MXNetError, match="update\\(\\) when parameters are updated"):
        trainer.update(1)


def test_allreduce_grads_sums_into_every_copy():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = dense(ctxs)
    trainer = gluon.Trainer(
        net.collect_params(), "sgd", {"learning_rate": 0.1}, update_on_kvstore=False
    )
    backward(net, ctxs, scale=1.0)
    trainer.allreduce_grads()
    for grad in net.weight.list_grad():
        np.testing.assert_allclose(grad.asnumpy(), np.full((2, 3), 2.0))
    trainer.update(2)
    for copy in net.weight.list_data():
        np.testing.assert_allclose(copy.asnumpy(), np.full((2, 3), 0.9))


def test_kvstore_choice():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    one = gluon.Trainer(dense([mx.cpu(0)]).collect_params(), "sgd")
    backward_net = dense(ctxs)
    two = gluon.Trainer(backward_net.collect_params(), "sgd", kvstore="local")
    explicit = mx.kv.create("device")
    three = gluon.Trainer(dense(ctxs).collect_params(), "sgd", kvstore=explicit)
    for trainer in (one, two, three):
        trainer._prepare()
    assert one._kvstore is None and one._update_on_kvstore is None
    assert two._kvstore.type == "local" and two._update_on_kvstore is True
    assert three._kvstore is explicit
    none = gluon.Trainer(dense(ctxs).collect_params(), "sgd", kvstore=None)
    none._prepare()
    assert none._kvstore is None


def test_update_on_kvstore_environment(monkeypatch):
    monkeypatch.setenv("MXNET_UPDATE_ON_KVSTORE", "0")
    trainer = gluon.Trainer(dense([mx.cpu(0), mx.cpu(1)]).collect_params(), "sgd")
    trainer._prepare()
    assert trainer._update_on_kvstore is False


def test_test_store_cannot_update():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = dense(ctxs)
    trainer = gluon.Trainer(
        net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore="teststore"
    )
    backward(net, ctxs)
    trainer.step(1)
    assert trainer._update_on_kvstore is False
    for copy in net.weight.list_data():
        np.testing.assert_allclose(copy.asnumpy(), np.full((2, 3), 0.8))
    with pytest.raises(ValueError, match="update_on_kvstore=False"):
        gluon.Trainer(
            dense(ctxs).collect_params(), "sgd", kvstore="teststore", update_on_kvstore=True
        )._prepare()


def test_compression_needs_a_device_store():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    trainer = gluon.Trainer(
        dense(ctxs).collect_params(),
        "sgd",
        kvstore="local",
        compression_params={"type": "2bit", "threshold": 0.5},
    )
    with pytest.raises(mx.MXNetError, match="Gradient compression is not supported"):
        trainer._prepare()


def test_set_data_resets_the_store():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = dense(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    backward(net, ctxs)
    trainer.step(1)
    net.weight.set_data(mx.nd.full((2, 3), 5.0))
    assert not trainer._kv_initialized
    backward(net, ctxs)
    trainer.step(1)
    for copy in net.weight.list_data():
        np.testing.assert_allclose(copy.asnumpy(), np.full((2, 3), 5.0 - 0.1 * 2))


def test_save_states_format(tmp_path):
    net = dense([mx.cpu(0)])
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    backward(net, [mx.cpu(0)])
    trainer.step(1)
    path = tmp_path / "t.states"
    trainer.save_states(str(path))
    states, optimizer = pickle.loads(path.read_bytes())
    assert sorted(states) == [0, 1] and type(optimizer).__name__ == "SGD"
    assert list(tmp_path.iterdir()) == [path]


def test_load_states_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.states"
    path.write_bytes(pickle.dumps(({0: Evil()}, None)))
    trainer = gluon.Trainer(dense([mx.cpu(0)]).collect_params(), "sgd")
    with pytest.raises(mx.MXNetError, match="refusing to load builtins.print"):
        trainer.load_states(str(path))
