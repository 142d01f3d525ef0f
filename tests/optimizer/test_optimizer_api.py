"""The Optimizer base class: registry, create, hyper-parameters, multipliers, update counts,
mixed precision, and the optimizers whose MXNet 1.9.1 behaviour cannot be recorded."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError

MXNET_NAMES = [
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "ccsgd",
    "dcasgd",
    "ftml",
    "ftrl",
    "groupadagrad",
    "lamb",
    "lars",
    "lbsgd",
    "nadam",
    "nag",
    "rmsprop",
    "sgd",
    "sgld",
    "signum",
    "test",
]


@pytest.mark.parametrize("name", MXNET_NAMES)
def test_every_mxnet_optimizer_is_registered(name):
    opt = mx.optimizer.create(name)
    assert type(opt).__name__.lower() == name
    assert mx.optimizer.Optimizer.opt_registry[name] is type(opt)


def test_create_is_case_insensitive_and_passes_arguments():
    opt = mx.optimizer.create("SGD", learning_rate=0.5, momentum=0.9, wd=0.1)
    assert isinstance(opt, mx.optimizer.SGD)
    assert (opt.lr, opt.momentum, opt.wd) == (0.5, 0.9, 0.1)
    assert mx.optimizer.Optimizer.create_optimizer("adam").lr == 0.001


def test_unknown_optimizer_names_the_known_ones():
    with pytest.raises(MXNetError, match=r"Cannot find optimizer sgdd \(did you mean 'sgd'\?\)"):
        mx.optimizer.create("sgdd")
    with pytest.raises(ValueError, match="registered optimizers: adadelta, adagrad"):
        mx.optimizer.create("nope")


def test_unknown_argument_is_named():
    with pytest.raises(
        TypeError, match=r"SGD: unknown argument 'momentun' \(did you mean 'momentum'"
    ):
        mx.optimizer.create("sgd", momentun=0.9)
    with pytest.raises(MXNetError, match="Adam: unknown argument 'gamma1'"):
        mx.optimizer.create("adam", gamma1=0.9)
    # ccSGD passes everything on to SGD.
    assert mx.optimizer.create("ccsgd", momentum=0.5).momentum == 0.5


def test_param_idx2name_must_be_a_dict():
    with pytest.raises(TypeError, match="param_idx2name must be a dict"):
        mx.optimizer.SGD(param_idx2name=["fc_weight"])


def test_register_a_custom_optimizer():
    class MyTestOptimizer(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            weight[:] -= self._get_lr(index) * grad

    try:
        assert mx.optimizer.register(MyTestOptimizer) is MyTestOptimizer
        opt = mx.optimizer.create("mytestoptimizer", learning_rate=0.5)
        weight = mx.nd.ones((2,))
        mx.optimizer.get_updater(opt)(0, mx.nd.ones((2,)), weight)
        np.testing.assert_array_equal(weight.asnumpy(), [0.5, 0.5])
        with pytest.warns(UserWarning, match="overriding existing optimizer"):
            mx.optimizer.register(type("MyTestOptimizer", (mx.optimizer.Optimizer,), {}))
    finally:
        mx.optimizer.Optimizer.opt_registry.pop("mytestoptimizer", None)


def test_register_rejects_non_classes():
    with pytest.raises(TypeError, match="expected an Optimizer class"):
        mx.optimizer.register(lambda: None)


def test_learning_rate_and_scheduler():
    opt = mx.optimizer.SGD()
    assert opt.learning_rate == 0.01
    opt.set_learning_rate(0.2)
    assert opt.learning_rate == 0.2
    scheduler = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=scheduler)
    assert opt.lr is None and opt.learning_rate == 1.0
    opt.num_update = 3
    assert opt.learning_rate == 0.25
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already been defined"):
        opt.set_learning_rate(0.1)


def test_learning_rate_replaces_the_schedulers_base_lr(capsys):
    scheduler = mx.lr_scheduler.FactorScheduler(step=10, base_lr=1.0)
    mx.optimizer.SGD(learning_rate=0.3, lr_scheduler=scheduler)
    assert scheduler.base_lr == 0.3
    assert "overwritten" in capsys.readouterr().out


def test_weight_decay_multipliers_follow_names():
    names = {0: "fc_weight", 1: "fc_bias", 2: "bn_gamma", 3: "bn_beta"}
    opt = mx.optimizer.SGD(wd=0.1, learning_rate=1.0, param_idx2name=names)
    assert opt._get_wds([0, 1, 2, 3, 4]) == [0.1, 0.0, 0.1, 0.0, 0.1]
    opt.set_wd_mult({"fc_bias": 0.5, 2: 3.0})
    assert opt._get_wds([0, 1, 2]) == [0.1, 0.05, pytest.approx(0.3)]
    opt.set_lr_mult({"fc_weight": 2.0})
    assert opt._get_lrs([0, 1]) == [2.0, 1.0]
    # LARS decays *_gamma parameters only when asked.
    lars = mx.optimizer.LARS(wd=0.1, param_idx2name=names)
    assert lars._get_wds([0, 2]) == [0.1, 0.0]


def test_multipliers_from_a_symbol():
    weight = mx.sym.Variable("fc_weight", lr_mult=2.0, wd_mult=0.5)
    bias = mx.sym.Variable("fc_bias", lr_mult=3.0)
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), weight=weight, bias=bias, num_hidden=2)
    opt = mx.optimizer.SGD(
        sym=net, wd=1.0, learning_rate=1.0, param_idx2name={0: "fc_weight", 1: "fc_bias"}
    )
    assert opt.lr_mult == {"fc_weight": 2.0, "fc_bias": 3.0}
    assert opt._get_lrs([0, 1]) == [2.0, 3.0]
    assert opt._get_wds([0, 1]) == [0.5, 0.0]


class _Param:
    def __init__(self, lr_mult, wd_mult):
        self.lr_mult, self.wd_mult = lr_mult, wd_mult


def test_param_dict_multipliers_come_first():
    opt = mx.optimizer.SGD(
        learning_rate=1.0, wd=1.0, param_dict={0: _Param(4.0, 0.25)}, param_idx2name={0: "x"}
    )
    opt.set_lr_mult({0: 10.0})
    assert (opt._get_lr(0), opt._get_wd(0)) == (4.0, 0.25)
    state = pickle.loads(pickle.dumps(opt))
    assert state.param_dict == {} and state.lr_mult == {0: 10.0}


def test_update_counts_per_index_and_device():
    opt = mx.optimizer.SGD(begin_num_update=5)
    opt._update_count(0)
    opt._update_count([0, 1])
    assert opt._index_update_count == {0: 7, 1: 6}
    assert opt.num_update == 7
    opt._set_current_context(1)
    opt._update_count(0)
    assert opt._index_update_count == {0: 6}
    assert opt._all_index_update_counts[0] == {0: 7, 1: 6}
    assert opt.num_update == 7


def test_multi_precision_states():
    weight = mx.nd.array([1.0, 2.0], dtype="float16")
    sgd = mx.optimizer.SGD(momentum=0.9, multi_precision=True)
    mom, master = sgd.create_state_multi_precision(0, weight)
    assert (mom.dtype, master.dtype) == (np.float32, np.float32)
    adam = mx.optimizer.Adam(multi_precision=True)
    master, (mean, var) = adam.create_state_multi_precision(0, weight)
    assert master.dtype == mean.dtype == np.float32
    with pytest.warns(UserWarning, match="multi_precision=True option of the Adam"):
        mx.optimizer.Adam().create_state_multi_precision(0, weight)
    # float32 weights need no master copy.
    assert mx.optimizer.Adam(multi_precision=True).create_state_multi_precision(
        0, mx.nd.ones((2,))
    )[0].shape == (2,)


def test_multi_precision_update_keeps_the_master_copy():
    weight = mx.nd.array([1.0, 1.0], dtype="float16")
    opt = mx.optimizer.Adam(multi_precision=True, learning_rate=1e-4)
    updater = mx.optimizer.get_updater(opt)
    for _ in range(3):
        updater(0, mx.nd.array([1.0, -1.0], dtype="float16"), weight)
    master = updater.states[0][0].asnumpy()
    np.testing.assert_allclose(master, [1 - 3e-4, 1 + 3e-4], rtol=1e-6)
    np.testing.assert_array_equal(weight.asnumpy(), master.astype(np.float16))


def test_updater_groups_by_dtype():
    opt = mx.optimizer.SGD(learning_rate=0.5, multi_precision=True)
    updater = mx.optimizer.get_updater(opt)
    weights = [mx.nd.ones((2,)), mx.nd.ones((3,), dtype="float16"), mx.nd.ones((1,))]
    grads = [mx.nd.ones(w.shape, dtype=w.dtype) for w in weights]
    updater([0, 1, 2], grads, weights)
    for w in weights:
        np.testing.assert_array_equal(w.asnumpy(), 0.5)
    assert updater.states[0] is None and updater.states[1][1].dtype == np.float32


def test_updater_accepts_bytes_indices():
    updater = mx.optimizer.get_updater(mx.optimizer.Adam())
    updater(b"fc_weight", mx.nd.ones((2,)), mx.nd.ones((2,)))
    assert list(updater.states) == ["fc_weight"]


def test_dcasgd_momentum_matches_its_formula():
    # MXNet 1.9.1 cannot run DCASGD with momentum (see sgd.py); check the formula instead.
    rng = np.random.RandomState(0)
    w0 = rng.standard_normal((3, 2)).astype(np.float32)
    opt = mx.optimizer.DCASGD(momentum=0.9, lamda=0.1, learning_rate=0.1, wd=0.01)
    weight = mx.nd.array(w0)
    updater = mx.optimizer.get_updater(opt)
    w, mom, prev = w0.astype(np.float64), np.zeros_like(w0, np.float64), w0.astype(np.float64)
    for _ in range(5):
        g = rng.standard_normal((3, 2)).astype(np.float32)
        updater(0, mx.nd.array(g), weight)
        mom = 0.9 * mom - 0.1 * (g + 0.01 * w + 0.1 * g * g * (w - prev))
        prev = w.copy()
        w = w + mom
    np.testing.assert_allclose(weight.asnumpy(), w, rtol=1e-5, atol=1e-6)


def test_sgld_adds_noise_of_variance_lr():
    mx.random.seed(7)
    weight = mx.nd.zeros((20000,))
    mx.optimizer.SGLD(learning_rate=0.04).update(0, weight, mx.nd.zeros((20000,)), None)
    assert abs(float(weight.asnumpy().std()) - 0.2) < 0.01


def test_group_adagrad_errors():
    opt = mx.optimizer.contrib.GroupAdaGrad()
    with pytest.raises(ValueError, match=r"GroupAdaGrad: parameter 0 has shape \(3,\); only 2-D"):
        opt.create_state(0, mx.nd.ones((3,)))
    opt = mx.optimizer.contrib.GroupAdaGrad(wd=0.1)
    weight = mx.nd.ones((2, 2))
    with pytest.raises(MXNetError, match="weight decay is not supported"):
        opt.update(0, weight, mx.nd.ones((2, 2)), opt.create_state(0, weight))


def test_adadelta_rescales_the_gradient_in_place():
    # As in MXNet 1.9.1 (a quirk kept for the same trajectories when callers reuse gradients).
    grad = mx.nd.ones((2,))
    weight = mx.nd.ones((2,))
    opt = mx.optimizer.AdaDelta(rescale_grad=0.5)
    opt.update(0, weight, grad, opt.create_state(0, weight))
    np.testing.assert_array_equal(grad.asnumpy(), [0.5, 0.5])


def test_base_update_must_be_defined():
    with pytest.raises(NotImplementedError, match="Optimizer must define update"):
        mx.optimizer.Optimizer().update(0, mx.nd.ones((1,)), mx.nd.ones((1,)), None)


def test_no_warnings_for_float32():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mx.optimizer.SGD(momentum=0.9).create_state_multi_precision(0, mx.nd.ones((2,)))


@pytest.mark.parametrize(
    "module",
    [
        "optimizer",
        "optimizer.optimizer",
        "optimizer.sgd",
        "optimizer.updater",
        "lr_scheduler",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"neomx.{module}")
    result = doctest.testmod(mod, extraglobs={"mx": mx}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
