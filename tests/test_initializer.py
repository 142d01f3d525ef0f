"""mx.init: goldens from MXNet 1.9.1 (tools/make_init_golden.py) for everything deterministic,
distribution statistics and seeding for the random initializers."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.initializer_base import _REGISTRY

GOLDEN = Path(__file__).parent / "golden" / "initializer"
STRINGS = json.loads((GOLDEN / "strings.json").read_text())
VALUES = dict(np.load(GOLDEN / "values.npz"))


def desc_or_name(path, name):
    return mx.init.InitDesc(name) if path == "initdesc" else name


def legacy_call(init, name, arr):
    with pytest.warns(DeprecationWarning, match="deprecated"):
        init(name, arr)


# --- dumps / create / registry -------------------------------------------------------------


def test_registry_has_mxnets_names():
    assert set(STRINGS["registry"]) <= set(_REGISTRY)
    for name in STRINGS["registry"]:
        assert _REGISTRY[name].__name__.lower() in (name, name.rstrip("s"))


@pytest.mark.parametrize("case", STRINGS["dumps_cases"], ids=lambda c: c[0])
def test_dumps_matches_mxnet(case):
    _, cls, args, kwargs, expected = case
    init = getattr(mx.init, cls)(*args, **kwargs)
    assert init.dumps() == expected
    again = mx.init.create(expected)
    assert type(again) is type(init) and again.dumps() == expected and again == init


def test_constant_array_dumps_matches_mxnet():
    value = mx.nd.array([[0.1, 0.2], [0.3, 0.4]])
    assert mx.init.Constant(value).dumps() == STRINGS["dumps"]["constant-ndarray"]
    value = np.array([1.5, 2.5], dtype="float32")
    assert mx.init.Constant(value).dumps() == STRINGS["dumps"]["constant-numpy"]
    # MXNet 1.9.1 fails on a list value; lists go into the JSON as they are.
    assert mx.init.Constant([[1, 2]]).dumps() == '["constant", {"value": [[1, 2]]}]'


def test_fused_rnn_dumps_matches_mxnet():
    init = mx.init.FusedRNN(mx.init.Xavier(), 4, 2, "lstm", True, 1.5)
    assert init.dumps() == STRINGS["dumps"]["fusedrnn"]
    assert mx.init.FusedRNN(None, 3, 1, "gru").dumps() == STRINGS["dumps"]["fusedrnn-none"]
    # MXNet 1.9.1 cannot take the inner initializer as JSON; neomx can.
    assert mx.init.create(init.dumps()).dumps() == init.dumps()


@pytest.mark.parametrize("spec", sorted(STRINGS["create"]))
def test_create_matches_mxnet(spec):
    expected = STRINGS["create"][spec]
    assert mx.init.create(spec).dumps() == expected
    assert mx.init.create(expected).dumps() == expected


def test_create_with_arguments_matches_mxnet():
    golden = STRINGS["create_kwargs"]
    assert mx.init.create("xavier", magnitude=2).dumps() == golden["xavier-magnitude"]
    assert mx.init.create(initializer="normal", sigma=0.3).dumps() == golden["initializer-kwarg"]
    spec = {"initializer": "orthogonal", "scale": 0.5}
    assert mx.init.create(spec).dumps() == golden["dict"]
    assert mx.init.create("Uniform", 0.2).scale == 0.2


def test_create_returns_instances_and_rejects_bad_specs():
    init = mx.init.Normal(0.3)
    assert mx.init.create(init) is init
    with pytest.raises(MXNetError, match="already an initializer"):
        mx.init.create(init, sigma=2)
    with pytest.raises(ValueError, match="'nosuchinit' is not registered.*xavier"):
        mx.init.create("NoSuchInit")
    with pytest.raises(TypeError, match="str, dict or Initializer, got int"):
        mx.init.create(3)
    with pytest.raises(MXNetError, match="no extra arguments"):
        mx.init.create('["xavier", {}]', magnitude=2)
    with pytest.raises(ValueError, match="not valid JSON"):
        mx.init.create('["xavier", {')
    with pytest.raises(TypeError, match="give the initializer"):
        mx.init.create()


@pytest.fixture
def clean_registry():
    """Leave the registry as the test found it."""
    saved = dict(_REGISTRY)
    yield
    _REGISTRY.clear()
    _REGISTRY.update(saved)


def test_register_and_alias(clean_registry):
    @mx.init.register
    @mx.init.alias("testhalves")
    class TestHalf(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.5

    for name in ("testhalf", "TestHalves"):
        arr = mx.nd.zeros((3,))
        mx.init.create(name)(mx.init.InitDesc("fc_weight"), arr)
        np.testing.assert_array_equal(arr.asnumpy(), 0.5)
    assert TestHalf().dumps() == '["testhalf", {}]'
    mx.init.register(TestHalf)  # registering the same class again is quiet

    class Other(mx.init.Initializer):
        pass

    with pytest.warns(UserWarning, match="Other registered as 'testhalf' replaces .*TestHalf"):
        mx.init.alias("testhalf")(Other)
    assert type(mx.init.create("testhalf")) is Other
    with pytest.raises(TypeError, match="Initializer subclasses"):
        mx.init.register(dict)


def test_equality_and_repr():
    assert mx.init.Xavier() == mx.init.Xavier("uniform", "avg", 3)
    assert mx.init.Xavier() != mx.init.Xavier(magnitude=2)
    assert mx.init.Zero() != mx.init.One()
    assert repr(mx.init.Normal(0.5)) == "Normal(sigma=0.5)"


# --- the name dispatch ---------------------------------------------------------------------

HOOKS = (
    "_init_weight",
    "_init_bias",
    "_init_gamma",
    "_init_beta",
    "_init_zero",
    "_init_one",
    "_init_bilinear",
    "_init_loc_bias",
    "_init_quantized_weight",
    "_init_quantized_bias",
)


class Probe(mx.init.Initializer):
    """Records which hook the dispatch calls."""

    called = None


def _recorder(hook):
    def record(self, _name, _arr):
        self.called = hook

    return record


for _hook in HOOKS:
    setattr(Probe, _hook, _recorder(_hook))


@pytest.mark.parametrize("path", ["initdesc", "legacy"])
@pytest.mark.parametrize("name", STRINGS["dispatch_names"])
def test_dispatch_table_matches_mxnet(path, name):
    expected = STRINGS["dispatch"][path][name]
    probe = Probe()
    arr = mx.nd.zeros((6,))
    if expected == "ValueError":
        with pytest.raises(ValueError, match="Unknown initialization pattern for"):
            if path == "legacy":
                legacy_call(probe, name, arr)
            else:
                probe(mx.init.InitDesc(name), arr)
    elif path == "legacy":
        legacy_call(probe, name, arr)
        assert probe.called == expected
    else:
        probe(mx.init.InitDesc(name), arr)
        assert probe.called == expected


@pytest.mark.parametrize("path", ["initdesc", "legacy"])
@pytest.mark.parametrize(
    "name", [n for n in STRINGS["dispatch_names"] if not n.endswith("weight_quantize")]
)
def test_default_hooks_match_mxnet(path, name):
    errors = dict(map(tuple, STRINGS["value_errors"][path]))
    shape = (1, 1, 4, 4) if name.startswith("upsampling") else (6,)
    arr = mx.nd.full(shape, -9.0)
    init = mx.init.Constant(0.5)
    if name in errors:
        with pytest.raises(ValueError, match=f"pattern for '{name}'"):
            if path == "legacy":
                legacy_call(init, name, arr)
            else:
                init(mx.init.InitDesc(name), arr)
        return
    if path == "legacy":
        legacy_call(init, name, arr)
    else:
        init(mx.init.InitDesc(name), arr)
    np.testing.assert_array_equal(arr.asnumpy(), VALUES[f"names/{path}/{name}"])


def test_quantized_weight_is_int8_range():
    arr = mx.nd.zeros((1000,), dtype="int8")
    mx.init.Zero()(mx.init.InitDesc("fc_weight_quantize"), arr)
    values = arr.asnumpy()
    assert values.min() >= -127 and values.max() <= 126 and len(np.unique(values)) > 100


def test_legacy_call_rejects_bad_types():
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="NDArray, got ndarray"):
        mx.init.Zero()("fc_weight", np.zeros(3))
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="str, got int"):
        mx.init.Zero()(3, mx.nd.zeros(3))


def test_init_desc():
    desc = mx.init.InitDesc("fc_weight", {"lr_mult": "2"})
    assert desc == "fc_weight" and isinstance(desc, str)
    assert desc.attrs == {"lr_mult": "2"} and desc.global_init is None
    init = mx.init.Zero()
    init(desc, mx.nd.ones((2, 2)))
    assert desc.global_init is init
    assert mx.init.InitDesc("x").attrs == {}


@pytest.mark.parametrize("case", STRINGS["attr_init_cases"], ids=lambda c: c[0])
def test_init_attribute_wins_over_the_name(case):
    label, name, attr = case
    arr = mx.nd.full((8,), -1.0)
    mx.init.Uniform()(mx.init.InitDesc(name, {"__init__": attr}), arr)
    np.testing.assert_array_equal(arr.asnumpy(), VALUES[f"attr-init/{label}"])


def test_symbol_variable_init_reaches_the_initializer():
    var = mx.sym.var("stats", init=mx.init.Constant(4.0))
    attrs = var.attr_dict()["stats"]
    arr = mx.nd.zeros((3,))
    mx.init.Xavier()(mx.init.InitDesc("stats", attrs), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 4.0)


def test_base_initializer_needs_init_weight():
    with pytest.raises(NotImplementedError, match="Initializer: cannot initialize 'fc_weight'"):
        mx.init.Initializer()(mx.init.InitDesc("fc_weight"), mx.nd.zeros((2,)))
    arr = mx.nd.full((2,), 5.0)
    mx.init.Initializer()(mx.init.InitDesc("fc_bias"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 0.0)


def test_verbose_logging(caplog):
    init = mx.init.One().set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(mx.init.InitDesc("fc_weight"), mx.nd.zeros((4,)))
        init(mx.init.InitDesc("p", {"__init__": '["zero", {}]'}), mx.nd.zeros((4,)))
    assert caplog.messages == [
        "Initialized fc_weight as weight: 1.0",
        'Initialized p as ["zero", {}]: 0.0',
    ]
    custom = mx.init.One().set_verbosity(True, print_func=lambda a: "shape " + str(a.shape))
    with caplog.at_level(logging.INFO):
        custom(mx.init.InitDesc("fc_bias"), mx.nd.zeros((2,)))
    assert caplog.messages[-1] == "Initialized fc_bias as bias: shape (2,)"


# --- deterministic initializers ------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_zero_one_constant(ctx, dtype):
    for init, expected in [(mx.init.Zero(), 0), (mx.init.One(), 1), (mx.init.Constant(2.5), 2.5)]:
        arr = mx.nd.full((2, 3), -1.0, ctx=ctx, dtype=dtype)
        init(mx.init.InitDesc("fc_weight"), arr)
        assert arr.dtype == np.dtype(dtype) and arr.context == ctx
        np.testing.assert_array_equal(arr.asnumpy(), expected)
    value = mx.nd.array([[1, 2, 3], [4, 5, 6]], ctx=ctx)
    arr = mx.nd.zeros((2, 3), ctx=ctx, dtype=dtype)
    mx.init.Constant(value)(mx.init.InitDesc("fc_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), value.asnumpy())
    arr = mx.nd.zeros((2, 2), ctx=ctx)
    mx.init.create('["constant", {"value": [[1, 2], [3, 4]]}]')(mx.init.InitDesc("w_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), VALUES["constant-list"])


@pytest.mark.parametrize("key", sorted(k for k in VALUES if k.startswith("bilinear/")))
def test_bilinear_matches_mxnet(key):
    expected = VALUES[key]
    arr = mx.nd.zeros(expected.shape, dtype=expected.dtype)
    mx.init.Bilinear()(mx.init.InitDesc("up_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), expected)


def test_legacy_upsampling_and_stn_names_match_mxnet():
    arr = mx.nd.zeros((2, 1, 4, 4))
    legacy_call(mx.init.Xavier(), "upsampling0_weight", arr)
    np.testing.assert_array_equal(arr.asnumpy(), VALUES["legacy-upsampling/2x1x4x4"])
    arr = mx.nd.zeros((6,))
    legacy_call(mx.init.Xavier(), "stn_loc_bias", arr)
    np.testing.assert_array_equal(arr.asnumpy(), VALUES["legacy-stn-loc-bias"])


def test_bilinear_needs_four_dimensions():
    with pytest.raises(ValueError, match=r"Bilinear: 'up_weight' needs a 4-D.*\(3, 3\)"):
        mx.init.Bilinear()(mx.init.InitDesc("up_weight"), mx.nd.zeros((3, 3)))


@pytest.mark.parametrize("key", sorted(k for k in VALUES if k.startswith("lstmbias/")))
def test_lstm_bias_matches_mxnet(key):
    expected = VALUES[key]
    arr = mx.nd.full(expected.shape, -1.0)
    mx.init.LSTMBias(0.75)(mx.init.InitDesc("lstm_i2h_bias"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), expected)


def _fused_size(mode, h, layers, bidirectional, num_input):
    gates = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]
    b = 2 if bidirectional else 1
    return (num_input + h + 2) * h * gates * b + (layers - 1) * gates * h * (h + b * h + 2) * b


@pytest.mark.parametrize("case", STRINGS["fused_cases"], ids=lambda c: c[0])
def test_fused_rnn_matches_mxnet(case):
    label, init_args, mode, h, layers, bidirectional, forget_bias, num_input = case
    inner = None if init_args is None else mx.init.create(*init_args)
    init = mx.init.FusedRNN(inner, h, layers, mode, bidirectional, forget_bias)
    size = _fused_size(mode, h, layers, bidirectional, num_input)
    arr = mx.nd.full((size,), -1.0)
    init(mx.init.InitDesc("rnn_weight", global_init=mx.init.Constant(0.25)), arr)
    np.testing.assert_array_equal(arr.asnumpy(), VALUES[f"fusedrnn/{label}"])
    if inner is None:
        arr = mx.nd.full((size,), -1.0)
        mx.init.Constant(0.25)(mx.init.InitDesc("rnn_parameters", {"__init__": init.dumps()}), arr)
        np.testing.assert_array_equal(arr.asnumpy(), VALUES[f"fusedrnn-attr/{label}"])


def test_fused_rnn_errors():
    init = mx.init.FusedRNN(mx.init.One(), 2, 1, "lstm")
    with pytest.raises(ValueError, match="'rnn_weight' has 7 elements.*no fused lstm"):
        init(mx.init.InitDesc("rnn_weight"), mx.nd.zeros((7,)))
    with pytest.raises(ValueError, match="mode must be one of"):
        mx.init.FusedRNN(mx.init.One(), 2, 1, "lstmx")(mx.init.InitDesc("w_weight"), mx.nd.zeros(8))
    with pytest.raises(ValueError, match="no init and no global initializer"):
        mx.init.FusedRNN(None, 2, 1, "gru")._init_weight("w", mx.nd.zeros((8,)))


# --- Load and Mixed ------------------------------------------------------------------------


def test_load_reads_an_mxnet_file_and_strips_prefixes():
    init = mx.init.Load(str(GOLDEN / "load.params"), default_init=mx.init.One())
    assert sorted(init.param) == ["bn_moving_mean", "fc_bias", "fc_weight", "plain"]
    arr = mx.nd.zeros((2, 3))
    init(mx.init.InitDesc("fc_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), np.arange(6).reshape(2, 3))
    arr = mx.nd.zeros((3,))
    init(mx.init.InitDesc("bn_moving_mean"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), [1, 2, 3])
    arr = mx.nd.zeros((4,))
    init(mx.init.InitDesc("other_weight"), arr)  # the default
    np.testing.assert_array_equal(arr.asnumpy(), 1)


def test_load_errors_and_verbose(caplog):
    init = mx.init.Load({"arg:w": mx.nd.ones((2,))}, verbose=True)
    with pytest.raises(ValueError, match=r"Parameter w cannot.*target \(3,\) vs loaded \(2,\)"):
        init(mx.init.InitDesc("w"), mx.nd.zeros((3,)))
    with pytest.raises(ValueError, match="Cannot initialize v.*no default_init"):
        init(mx.init.InitDesc("v"), mx.nd.zeros((3,)))
    with caplog.at_level(logging.INFO):
        init(mx.init.InitDesc("w"), mx.nd.zeros((2,)))
    assert caplog.messages == ["Initialized w by loading"]
    with pytest.raises(ValueError, match="dict of name to NDArray"):
        mx.init.Load([mx.nd.ones((2,))])


def test_mixed():
    init = mx.init.Mixed(["bias", ".*"], [mx.init.Zero(), mx.init.One()])
    arr = mx.nd.full((2,), 3.0)
    init(mx.init.InitDesc("bias_x_weight"), arr)  # "bias" matches at the start
    np.testing.assert_array_equal(arr.asnumpy(), 0)
    init(mx.init.InitDesc("fc_bias"), arr)  # "bias" does not, ".*" does: One's bias is 0
    np.testing.assert_array_equal(arr.asnumpy(), 0)
    init(mx.init.InitDesc("fc_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), 1)
    with pytest.raises(ValueError, match="fc_weight did not match any pattern"):
        mx.init.Mixed(["bias"], [mx.init.Zero()])(mx.init.InitDesc("fc_weight"), arr)
    with pytest.raises(ValueError, match="2 patterns but 1 initializers"):
        mx.init.Mixed(["a", "b"], [mx.init.Zero()])


# --- random initializers -------------------------------------------------------------------

BIG = (400, 500)


def _draw(init, shape=BIG, name="fc_weight", ctx=None, dtype="float32"):
    arr = mx.nd.zeros(shape, ctx=ctx or mx.cpu(), dtype=dtype)
    init(mx.init.InitDesc(name), arr)
    return arr


def test_uniform_statistics(ctx):
    mx.random.seed(3)
    values = _draw(mx.init.Uniform(0.1), ctx=ctx).asnumpy()
    assert values.min() >= -0.1 and values.max() <= 0.1
    assert values.min() < -0.099 and values.max() > 0.099
    assert abs(values.mean()) < 0.002
    assert values.std() == pytest.approx(0.1 / math.sqrt(3), rel=0.01)
    assert _draw(mx.init.Uniform(), shape=(10000,)).asnumpy().max() <= 0.07


def test_normal_statistics(ctx):
    mx.random.seed(3)
    values = _draw(mx.init.Normal(0.5), ctx=ctx).asnumpy()
    assert abs(values.mean()) < 0.01
    assert values.std() == pytest.approx(0.5, rel=0.01)
    assert _draw(mx.init.Normal()).asnumpy().std() == pytest.approx(0.01, rel=0.01)


@pytest.mark.parametrize("rnd_type", ["uniform", "gaussian"])
@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
@pytest.mark.parametrize("magnitude", [3, 2.34])
def test_xavier_scale(rnd_type, factor_type, magnitude):
    shape = (64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    factor = {"avg": (fan_in + fan_out) / 2, "in": fan_in, "out": fan_out}[factor_type]
    scale = math.sqrt(magnitude / factor)
    mx.random.seed(11)
    values = _draw(mx.init.Xavier(rnd_type, factor_type, magnitude), shape=shape).asnumpy()
    assert abs(values.mean()) < 0.02 * scale
    if rnd_type == "uniform":
        assert np.abs(values).max() <= scale * (1 + 1e-6)
        assert np.abs(values).max() > 0.999 * scale
        assert values.std() == pytest.approx(scale / math.sqrt(3), rel=0.02)
    else:
        assert values.std() == pytest.approx(scale, rel=0.02)


@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
@pytest.mark.parametrize("slope", [0.25, 0.0])
def test_msra_prelu_scale(factor_type, slope):
    shape = (300, 200)
    factor = {"avg": 250, "in": 200, "out": 300}[factor_type]
    mx.random.seed(5)
    values = _draw(mx.init.MSRAPrelu(factor_type, slope), shape=shape).asnumpy()
    expected = math.sqrt(2.0 / (1 + slope**2) / factor)
    assert values.std() == pytest.approx(expected, rel=0.02)


def test_xavier_errors():
    with pytest.raises(ValueError, match=r"Xavier.*vector fc_weight of shape \(5,\)"):
        _draw(mx.init.Xavier(), shape=(5,))
    with pytest.raises(ValueError, match="MSRAPrelu.*vector prelu_weight"):
        _draw(mx.init.MSRAPrelu(), shape=(5,), name="prelu_weight")
    with pytest.raises(ValueError, match="factor_type must be one of.*'sum'"):
        _draw(mx.init.Xavier(factor_type="sum"), shape=(3, 3))
    with pytest.raises(ValueError, match="rnd_type must be one of.*'normal'"):
        _draw(mx.init.Xavier(rnd_type="normal"), shape=(3, 3))


@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (4, 2, 3, 3), (6, 6), (7,)])
def test_orthogonal(rand_type, shape):
    mx.random.seed(2)
    values = _draw(mx.init.Orthogonal(1.5, rand_type), shape=shape).asnumpy()
    matrix = values.reshape(shape[0], -1).astype(np.float64)
    gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
    np.testing.assert_allclose(gram, 2.25 * np.eye(len(gram)), atol=1e-5)


def test_orthogonal_bad_rand_type():
    with pytest.raises(ValueError, match="rand_type must be 'uniform' or 'normal'.*'gauss'"):
        _draw(mx.init.Orthogonal(rand_type="gauss"), shape=(3, 3))


RANDOM_INITS = [
    mx.init.Uniform(),
    mx.init.Normal(),
    mx.init.Xavier(),
    mx.init.Xavier("gaussian", "in"),
    mx.init.MSRAPrelu(),
    mx.init.Orthogonal(),
]


@pytest.mark.parametrize("init", RANDOM_INITS, ids=repr)
def test_seed_makes_random_initializers_reproducible(init):
    mx.random.seed(42)
    first = _draw(init, shape=(6, 5)).asnumpy()
    second = _draw(init, shape=(6, 5)).asnumpy()
    mx.random.seed(42)
    np.testing.assert_array_equal(_draw(init, shape=(6, 5)).asnumpy(), first)
    assert not np.array_equal(first, second)
    mx.random.seed(43)
    assert not np.array_equal(_draw(init, shape=(6, 5)).asnumpy(), first)


@pytest.mark.parametrize("init", RANDOM_INITS, ids=repr)
def test_random_initializers_keep_device_and_dtype(init):
    for dtype in ("float32", "float64"):
        arr = _draw(init, shape=(4, 3), ctx=mx.cpu(1), dtype=dtype)
        assert arr.context == mx.cpu(1) and arr.dtype == np.dtype(dtype)
        assert np.isfinite(arr.asnumpy()).all() and np.abs(arr.asnumpy()).sum() > 0
    empty = _draw(init, shape=(0, 3))
    assert empty.shape == (0, 3)


@pytest.mark.parametrize("module", ["initializer", "initializer_base", "initializer_rnn"])
def test_docstring_examples(module, clean_registry):
    import doctest
    import importlib

    mod = importlib.import_module(f"neomx.{module}")
    result = doctest.testmod(mod, extraglobs={"mx": mx}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
