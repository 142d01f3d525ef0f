"""mx.metric: values equal real MXNet 1.9.1's (golden), the registry, the API and error paths."""

from __future__ import annotations

import doctest
import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError

GOLDEN = Path(__file__).parent / "golden" / "metric"
with open(GOLDEN / "cases.json") as _file:
    _GOLDEN = json.load(_file)
_ARRAYS = np.load(GOLDEN / "arrays.npz")
CASES = {case["id"]: case for case in _GOLDEN["cases"]}
ERRORS = {case["id"]: case for case in _GOLDEN["errors"]}


# The same functions are defined in tools/make_metric_golden.py.
def mean_abs_error(label, pred):
    return np.abs(label - pred.reshape(label.shape)).mean()


def error_count(label, pred):
    return (pred.argmax(axis=1) != label).sum(), label.size


FEVALS = {"mean_abs_error": mean_abs_error, "error_count": error_count}

# neomx's micro PearsonCorrelation reports the correlation since reset globally (MXNet 1.9.1
# reports 0.0); with no reset_local in the case, that is MXNet's local value.
GLOBAL_IS_LOCAL = {"pearsonr_micro"}


def make_metric(case):
    if case["custom"]:
        return mx.metric.create(FEVALS[case["metric"]], **case["kwargs"])
    return mx.metric.create(case["metric"], **case["kwargs"])


def as_input(array, kind, ctx):
    return mx.nd.array(array, ctx=ctx) if kind == "nd" else array


def assert_values_equal(actual, expected, where):
    actual = actual if isinstance(actual, list) else [actual]
    expected = expected if isinstance(expected, list) else [expected]
    assert len(actual) == len(expected), where
    for got, want in zip(actual, expected):
        assert isinstance(got, float), f"{where}: {got!r} is not a float"
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert math.isnan(got), f"{where}: {got} != nan"
        else:
            assert got == pytest.approx(want, rel=1e-6, abs=1e-9), where


def assert_results_equal(metric, step, case_id, where):
    for method in ("get", "get_global"):
        name, value = getattr(metric, method)()
        expected = step["get" if method == "get_global" and case_id in GLOBAL_IS_LOCAL else method]
        assert name == expected[0], f"{where} {method}"
        assert_values_equal(value, expected[1], f"{where} {method}")
    for method in ("get_name_value", "get_global_name_value"):
        pairs = getattr(metric, method)()
        source = "get_name_value" if case_id in GLOBAL_IS_LOCAL else method
        expected = step[source]
        assert [name for name, _ in pairs] == [name for name, _ in expected], f"{where} {method}"
        assert_values_equal(
            [value for _, value in pairs], [value for _, value in expected], f"{where} {method}"
        )


@pytest.mark.parametrize("kind", ["nd", "numpy"])
@pytest.mark.parametrize("case_id", sorted(CASES))
def test_golden(case_id, kind, ctx):
    """Batch after batch, through reset_local and reset, the values equal MXNet 1.9.1's."""
    case = CASES[case_id]
    metric = make_metric(case)
    for index, step in enumerate(case["steps"]):
        if step["op"] == "update":
            labels = [_ARRAYS[f"{case_id}__{index}__label{i}"] for i in range(step["pairs"])]
            preds = [_ARRAYS[f"{case_id}__{index}__pred{i}"] for i in range(step["pairs"])]
            metric.update(
                [as_input(x, kind, ctx) for x in labels], [as_input(x, kind, ctx) for x in preds]
            )
        else:
            getattr(metric, step["op"])()
        assert_results_equal(metric, step, case_id, f"{case_id} step {index} ({step['op']})")


# Keys neomx adds to MXNet 1.9.1's get_config, so that create(get_config()) round-trips.
EXTRA_CONFIG = {"F1": {"average"}, "MCC": {"average"}, "PearsonCorrelation": {"average"}}
EXTRA_CONFIG.update({"Perplexity": {"axis"}, "Precision": {"average"}, "Recall": {"average"}})


def _strip_extra(config):
    config = dict(config)
    for key in EXTRA_CONFIG.get(config["metric"], ()):
        config.pop(key, None)
    if "metrics" in config:
        config["metrics"] = [_strip_extra(child) for child in config["metrics"]]
    return config


@pytest.mark.parametrize("case_id", sorted(i for i in CASES if not CASES[i]["custom"]))
def test_golden_config(case_id):
    """get_config equals MXNet 1.9.1's (plus the documented extra keys) and round-trips."""
    case = CASES[case_id]
    config = make_metric(case).get_config()
    assert _strip_extra(config) == case["config"]
    again = mx.metric.create(config)
    assert type(again).__name__ == config["metric"]
    assert again.get_config() == config


@pytest.mark.parametrize("case_id", sorted(ERRORS))
def test_golden_errors(case_id):
    """Updates MXNet 1.9.1 refuses raise an MXNetError (a ValueError) naming the metric."""
    case = ERRORS[case_id]
    assert case["raised"] is not None
    labels = [mx.nd.array(_ARRAYS[f"{case_id}__label{i}"]) for i in range(case["labels"])]
    preds = [mx.nd.array(_ARRAYS[f"{case_id}__pred{i}"]) for i in range(case["preds"])]
    metric = mx.metric.create(case["metric"], **case["kwargs"])
    name = type(metric).__name__
    with pytest.raises(MXNetError, match=name) as info:
        metric.update(labels, preds)
    assert isinstance(info.value, ValueError)


# ---- the registry ----------------------------------------------------------------------------

REGISTERED = {
    "acc": "Accuracy",
    "accuracy": "Accuracy",
    "top_k_accuracy": "TopKAccuracy",
    "top_k_acc": "TopKAccuracy",
    "topkaccuracy": "TopKAccuracy",
    "ce": "CrossEntropy",
    "crossentropy": "CrossEntropy",
    "nll_loss": "NegativeLogLikelihood",
    "negativeloglikelihood": "NegativeLogLikelihood",
    "f1": "F1",
    "mcc": "MCC",
    "mae": "MAE",
    "mse": "MSE",
    "rmse": "RMSE",
    "perplexity": "Perplexity",
    "pearsonr": "PearsonCorrelation",
    "pearsoncorrelation": "PearsonCorrelation",
    "pcc": "PCC",
    "loss": "Loss",
    "torch": "Torch",
    "caffe": "Caffe",
    "composite": "CompositeEvalMetric",
    "compositeevalmetric": "CompositeEvalMetric",
    "custommetric": "CustomMetric",
    "precision": "Precision",
    "recall": "Recall",
}


def test_registry_names():
    registry = mx.metric.get_registry()
    assert {name: cls.__name__ for name, cls in registry.items()} == REGISTERED
    for name, cls in registry.items():
        assert getattr(mx.metric, cls.__name__) is cls, name


@pytest.mark.parametrize("name", ["acc", "ACC", "Top_K_Accuracy", "ce", "nll_loss", "pcc"])
def test_create_by_name(name):
    kwargs = {"top_k": 3} if "top" in name.lower() else {}
    metric = mx.metric.create(name, **kwargs)
    assert type(metric).__name__ == REGISTERED[name.lower()]


def test_create_forms():
    acc = mx.metric.Accuracy()
    assert mx.metric.create(acc) is acc
    with pytest.raises(MXNetError, match="already an instance"):
        mx.metric.create(acc, axis=0)
    assert mx.metric.create({"metric": "acc", "axis": 0}).axis == 0
    assert mx.metric.create('["acc", {"axis": 2}]').axis == 2
    assert mx.metric.create('{"metric": "top_k_accuracy", "top_k": 4}').name == "top_k_accuracy_4"
    assert mx.metric.create("perplexity", -1).ignore_label == -1
    assert mx.metric.create(mx.metric.MSE, name="m").name == "m"
    composite = mx.metric.create(["acc", "mae", mean_abs_error])
    assert isinstance(composite, mx.metric.CompositeEvalMetric)
    assert [m.name for m in composite.metrics] == ["accuracy", "mae", "mean_abs_error"]
    custom = mx.metric.create(lambda label, pred: 0.0)
    assert isinstance(custom, mx.metric.CustomMetric) and custom.name == "custom(<lambda>)"


def test_create_errors():
    with pytest.raises(MXNetError, match="accurcy is not registered.*did you mean 'accuracy'"):
        mx.metric.create("accurcy")
    with pytest.raises(ValueError, match="not registered"):
        mx.metric.create("no_such_metric")
    with pytest.raises(TypeError, match="metric must be"):
        mx.metric.create(3)
    with pytest.raises(TypeError, match="create\\('acc'\\)"):
        mx.metric.create("acc", bad_argument=1)
    with pytest.raises(MXNetError, match="needs the key 'metric'"):
        mx.metric.create({"axis": 1})
    with pytest.raises(MXNetError, match="bad JSON"):
        mx.metric.create("[acc")
    with pytest.raises(TypeError):
        mx.metric.create("perplexity")  # ignore_label is required, as in MXNet 1.9.1


def test_register_and_alias():
    @mx.metric.register
    @mx.metric.alias("always_one", "one")
    class AlwaysOne(mx.metric.EvalMetric):
        def __init__(self, name="always_one"):
            super().__init__(name)

        def update(self, labels, preds):
            self.sum_metric += 1
            self.num_inst += 1

    try:
        for name in ("alwaysone", "always_one", "ONE"):
            assert isinstance(mx.metric.create(name), AlwaysOne)
        metric = mx.metric.create("one")
        metric.update(None, None)
        assert metric.get() == ("always_one", 1.0)
        # Without global stats, the global value is the local one (MXNet's default).
        metric.reset_local()
        assert math.isnan(metric.get_global()[1])

        class Replacement(mx.metric.EvalMetric):
            pass

        with pytest.warns(UserWarning, match="overriding existing metric"):
            mx.metric.register(Replacement, "one")
        assert mx.metric.get_registry()["one"] is Replacement
    finally:
        for name in ("alwaysone", "always_one", "one"):
            mx.metric_base._METRICS.pop(name, None)
    with pytest.raises(TypeError, match="subclass of EvalMetric"):
        mx.metric.register(dict)


# ---- the EvalMetric API ------------------------------------------------------------------------


def test_eval_metric_api():
    metric = mx.metric.Accuracy(output_names=["softmax"], label_names=["label"])
    assert metric.num_inst == 0 and metric.sum_metric == 0.0
    assert metric.global_num_inst == 0 and metric.global_sum_metric == 0.0
    assert math.isnan(metric.get()[1]) and math.isnan(metric.get_global()[1])
    label = mx.nd.array([0, 1, 1, 0])
    pred = mx.nd.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    metric.update_dict({"label": label, "other": mx.nd.zeros(7)}, {"softmax": pred, "x": pred})
    assert metric.get() == ("accuracy", 0.5)
    assert (metric.num_inst, metric.sum_metric) == (4, 2)
    assert str(metric) == "EvalMetric: {'accuracy': 0.5}"
    metric.reset_local()
    metric.update([label], [pred])
    metric.update(label, pred)  # single arrays are wrapped
    assert metric.get_name_value() == [("accuracy", 0.5)]
    assert metric.get_global_name_value() == [("accuracy", 0.5)]
    assert (metric.num_inst, metric.global_num_inst) == (8, 12)
    metric.reset()
    assert metric.global_num_inst == 0 and math.isnan(metric.get_global()[1])
    with pytest.raises(MXNetError, match="no output named 'softmax'"):
        metric.update_dict({"label": label}, {"out": pred})
    with pytest.raises(NotImplementedError):
        mx.metric.EvalMetric("base").update([label], [pred])
    config = mx.metric.EvalMetric("base", foo=1).get_config()
    assert config == {
        "foo": 1,
        "metric": "EvalMetric",
        "name": "base",
        "output_names": None,
        "label_names": None,
    }


def test_check_label_shapes():
    labels, preds = mx.metric.check_label_shapes(mx.nd.zeros((3, 2)), np.zeros((3, 1)), wrap=True)
    assert len(labels) == len(preds) == 1
    with pytest.raises(ValueError, match="Shape of labels 3 does not match shape of predictions 2"):
        mx.metric.check_label_shapes(mx.nd.zeros(3), mx.nd.zeros(2))
    with pytest.raises(MXNetError, match=r"\(3, 2\) does not match .* \(3, 1\)"):
        mx.metric.check_label_shapes(mx.nd.zeros((3, 2)), mx.nd.zeros((3, 1)), shape=True)


def test_inputs_on_context_and_dtypes(ctx):
    metric = mx.metric.create(["acc", "mse", "ce"])
    label = np.array([0, 2, 1], dtype=np.float64)
    pred = np.array([[0.5, 0.2, 0.3], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    metric.update([mx.nd.array(label, ctx=ctx)], [mx.nd.array(pred, ctx=ctx)])
    from_nd = metric.get()
    metric.reset()
    metric.update([label], [pred])
    assert metric.get()[0] == from_nd[0]
    np.testing.assert_allclose(metric.get()[1], from_nd[1], rtol=1e-6)


# ---- each metric's own behaviour ---------------------------------------------------------------


def test_accuracy_1d_and_2d_agree():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], np.float32)
    label = mx.nd.array([1, 1, 1])
    from_scores, from_classes = mx.metric.Accuracy(), mx.metric.Accuracy()
    from_scores.update([label], [mx.nd.array(scores)])
    from_classes.update([label], [mx.nd.array(scores.argmax(axis=1))])
    assert from_scores.get() == from_classes.get() == ("accuracy", 2 / 3)
    with pytest.raises(MXNetError, match="Accuracy.*axis 3"):
        mx.metric.Accuracy(axis=3).update([label], [mx.nd.array(scores)])


def test_top_k_accuracy():
    with pytest.raises(ValueError, match="top_k must be above 1"):
        mx.metric.TopKAccuracy(top_k=1)
    pred = mx.nd.array([[0.1, 0.5, 0.4], [0.3, 0.2, 0.5]])
    # More than the classes: every class counts (MXNet 1.9.1 fails here).
    metric = mx.metric.TopKAccuracy(top_k=5)
    metric.update([mx.nd.array([0, 1])], [pred])
    assert metric.get() == ("top_k_accuracy_5", 1.0)
    # 1-D predictions count in the global value too (MXNet 1.9.1 leaves them out there).
    metric = mx.metric.TopKAccuracy(top_k=2)
    metric.update([mx.nd.array([0, 1, 2])], [mx.nd.array([0.3, 0.1, 0.2])])
    assert metric.get() == metric.get_global()
    with pytest.raises(MXNetError, match="do not fit"):
        metric.update([mx.nd.zeros((2, 2))], [pred])


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_binary_metrics_against_counts(average, seed):
    batches = []
    for _ in range(3):
        label = np.random.randint(0, 2, 7).astype(np.float32)
        batches.append((label, np.random.rand(7, 2).astype(np.float32)))
    metrics = {name: mx.metric.create(name, average=average) for name in ("f1", "mcc")}
    metrics.update(
        precision=mx.metric.Precision(average=average), recall=mx.metric.Recall(average=average)
    )
    for label, pred in batches:
        for metric in metrics.values():
            metric.update([mx.nd.array(label)], [mx.nd.array(pred)])

    def scores(label, pred):
        predicted, actual = pred.argmax(axis=1) == 1, label == 1
        tp, fp = (predicted & actual).sum(), (predicted & ~actual).sum()
        fn, tn = (~predicted & actual).sum(), (~predicted & ~actual).sum()
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        terms = [t for t in (tp + fp, tp + fn, tn + fp, tn + fn) if t]
        mcc = (tp * tn - fp * fn) / math.sqrt(math.prod(float(t) for t in terms))
        return {"f1": f1, "mcc": mcc, "precision": precision, "recall": recall}

    if average == "macro":
        per_batch = [scores(label, pred) for label, pred in batches]
        expected = {name: np.mean([s[name] for s in per_batch]) for name in metrics}
    else:
        expected = scores(
            np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
        )
    for name, metric in metrics.items():
        assert metric.get()[1] == pytest.approx(expected[name]), name
        assert metric.get_global()[1] == pytest.approx(expected[name]), name


@pytest.mark.parametrize("name", ["f1", "mcc", "precision", "recall"])
def test_binary_metric_errors(name):
    with pytest.raises(ValueError, match="average must be 'macro' or 'micro'"):
        mx.metric.create(name, average="weighted")
    metric = mx.metric.create(name)
    with pytest.raises(MXNetError, match="only supports binary classification"):
        metric.update([mx.nd.array([0, 1, 2])], [mx.nd.ones((3, 2))])
    with pytest.raises(MXNetError, match="does not match"):
        metric.update([mx.nd.array([0, 1])], [mx.nd.ones((3, 2))])
    with pytest.raises(MXNetError, match="scores"):
        metric.update([mx.nd.array([0, 1])], [mx.nd.ones((2,))])


def test_binary_metrics_all_one_class():
    # Every label and prediction negative: no positives at all.
    label, pred = mx.nd.zeros(4), mx.nd.array([[0.9, 0.1]] * 4)
    for name in ("f1", "mcc", "precision", "recall"):
        metric = mx.metric.create(name, average="micro")
        metric.update([label], [pred])
        assert metric.get()[1] == 0.0, name
    # Perfect predictions of a single class: MCC drops the empty margins from the denominator,
    # but the numerator tp * tn - fp * fn is 0 (as MXNet 1.9.1); F1, precision, recall are 1.
    for name in ("f1", "mcc", "precision", "recall"):
        metric = mx.metric.create(name)
        metric.update([mx.nd.ones(3)], [mx.nd.array([[0.1, 0.9]] * 3)])
        assert metric.get() == (name, 0.0 if name == "mcc" else 1.0)


def test_perplexity():
    label = mx.nd.array([0, 1, 2, 1])
    pred = mx.nd.array([[0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8], [0.4, 0.4, 0.2]])
    picked = np.array([0.5, 0.6, 0.8, 0.4])
    metric = mx.metric.Perplexity(ignore_label=None)
    metric.update([label], [pred])
    assert metric.get()[1] == pytest.approx(math.exp(-np.log(picked).mean()), rel=1e-6)
    metric = mx.metric.Perplexity(ignore_label=1)
    metric.update([label], [pred])
    assert metric.get()[1] == pytest.approx(math.exp(-np.log(picked[[0, 2]]).mean()), rel=1e-6)
    # Every label ignored: nothing counted.
    metric = mx.metric.Perplexity(ignore_label=1)
    metric.update([mx.nd.ones(2)], [mx.nd.ones((2, 3))])
    assert math.isnan(metric.get()[1])
    # Sequences: (batch, time, classes) predictions with (batch, time) labels (MXNet 1.9.1 only
    # takes 2-D predictions), and the class axis elsewhere.
    metric = mx.metric.Perplexity(ignore_label=None)
    metric.update([label.reshape((2, 2))], [pred.reshape((2, 2, 3))])
    axis0 = mx.metric.Perplexity(ignore_label=None, axis=0)
    axis0.update([label], [pred.T])
    assert metric.get()[1] == pytest.approx(axis0.get()[1]) == pytest.approx(1 / 0.5555, rel=1e-2)
    with pytest.raises(MXNetError, match="Perplexity: shape mismatch"):
        metric.update([label], [pred[:3]])
    with pytest.raises(MXNetError, match="axis 5 is out of range"):
        mx.metric.Perplexity(None, axis=5).update([label], [pred])


def test_cross_entropy_errors():
    with pytest.raises(MXNetError, match="CrossEntropy: labels must lie in"):
        mx.metric.CrossEntropy().update([mx.nd.array([0, 3])], [mx.nd.ones((2, 3))])
    with pytest.raises(MXNetError, match="NegativeLogLikelihood: expected"):
        mx.metric.NegativeLogLikelihood().update([mx.nd.array([0])], [mx.nd.ones(3)])


def test_regression_errors_and_counts():
    metric = mx.metric.MAE()
    metric.update([mx.nd.array([1, 2]), mx.nd.array([0, 0, 0])], [mx.nd.zeros(2), mx.nd.ones(3)])
    assert (metric.num_inst, metric.get()[1]) == (2, 1.25)  # one count per pair
    with pytest.raises(MXNetError, match="MSE: labels of shape \\(3, 1\\) .* \\(2, 1\\)"):
        mx.metric.MSE().update([mx.nd.zeros(3)], [mx.nd.zeros(2)])


def test_pearson_micro_local_and_global(seed):
    """neomx keeps local and global micro statistics (MXNet 1.9.1 mixes them up)."""
    batches = [(np.random.randn(n), np.random.randn(n)) for n in (4, 6, 5)]
    metric = mx.metric.PearsonCorrelation(average="micro")
    macro = mx.metric.PearsonCorrelation()
    for label, pred in batches[:2]:
        metric.update([mx.nd.array(label)], [mx.nd.array(pred)])
    metric.reset_local()
    assert math.isnan(metric.get()[1])
    metric.update([mx.nd.array(batches[2][0])], [mx.nd.array(batches[2][1])])
    macro.update([mx.nd.array(batches[2][0])], [mx.nd.array(batches[2][1])])
    everything = [np.concatenate([b[i] for b in batches]).astype(np.float32) for i in (0, 1)]
    expected_global = np.corrcoef(everything[1], everything[0])[0, 1]
    assert metric.get()[1] == pytest.approx(macro.get()[1], rel=1e-6)
    assert metric.get_global()[1] == pytest.approx(expected_global, rel=1e-6)
    constant = mx.metric.PearsonCorrelation()
    constant.update([mx.nd.ones(3)], [mx.nd.array([1, 2, 3])])
    assert math.isnan(constant.get()[1])
    with pytest.raises(ValueError, match="average must be"):
        mx.metric.PearsonCorrelation(average="weighted")


def test_pcc():
    metric = mx.metric.PCC()
    metric.update([mx.nd.zeros(3)], [mx.nd.zeros(3)])
    assert math.isnan(metric.get()[1])  # a single class
    metric.update([mx.nd.array([4, 1])], [mx.nd.array([4, 1])])
    assert metric.k == 5 and metric.get()[1] == pytest.approx(1.0)
    metric.reset_local()
    assert metric.lcm.shape == (5, 5) and metric.get_global()[1] == pytest.approx(1.0)
    with pytest.raises(MXNetError, match="must not be negative"):
        metric.update([mx.nd.array([-1])], [mx.nd.array([0])])


def test_loss_metrics():
    for name in ("loss", "torch", "caffe"):
        metric = mx.metric.create(name)
        metric.update(None, mx.nd.array([1.0, 2.0, 6.0]))
        metric.update(None, [np.array([[3.0]])])
        assert metric.get() == (name, 3.0)


def test_composite():
    metric = mx.metric.CompositeEvalMetric(["acc"], output_names=["a"], label_names=["l"])
    metric.add("mae")
    metric.add(mx.metric.create(["f1", "mcc"]))  # nested: values flattened
    assert metric.get_metric(1).name == "mae"
    with pytest.raises(ValueError, match="Metric index 5 is out of range 0 and 3"):
        metric.get_metric(5)
    label = mx.nd.array([0, 1])
    pred = mx.nd.array([[0.7, 0.3], [0.2, 0.8]])
    metric.update_dict({"l": label, "x": mx.nd.zeros(9)}, {"a": pred, "b": mx.nd.zeros(9)})
    names, values = metric.get()
    assert names == ["accuracy", "mae", "f1", "mcc"]
    assert values == pytest.approx([1.0, 0.5, 1.0, 1.0])
    metric.reset_local()
    assert all(math.isnan(v) for v in metric.get()[1])
    assert metric.get_global()[1] == pytest.approx(values)
    assert [c["metric"] for c in metric.get_config()["metrics"]] == [
        "Accuracy",
        "MAE",
        "CompositeEvalMetric",
    ]
    metric.reset()
    assert all(math.isnan(v) for v in metric.get_global()[1])


def test_custom_metric_and_np():
    metric = mx.metric.CustomMetric(mean_abs_error, name="mabs")
    metric.update([mx.nd.array([1, 2])], [mx.nd.array([2, 4])])
    assert metric.get() == ("mabs", 1.5)
    with pytest.raises(NotImplementedError, match="cannot be serialized"):
        metric.get_config()
    with pytest.raises(MXNetError, match="CustomMetric 'mabs'.*does not match"):
        metric.update([mx.nd.zeros(2)], [mx.nd.zeros(2), mx.nd.zeros(2)])
    extra = mx.metric.np(mean_abs_error, allow_extra_outputs=True)
    extra.update([mx.nd.array([1, 1])], [mx.nd.array([1, 3]), mx.nd.zeros(7)])
    assert extra.get() == ("mean_abs_error", 1.0)
    counted = mx.metric.np(error_count, name="err")
    counted.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[1, 0], [1, 0], [0, 1]])])
    assert (counted.get(), counted.num_inst) == (("err", 1 / 3), 3)


@pytest.mark.parametrize(
    "module",
    ["metric", "metric_base", "metric_classification", "metric_regression", "metric_probability"],
)
def test_doctests(module):
    mod = importlib.import_module(f"neomx.{module}")
    result = doctest.testmod(mod, extraglobs={"mx": mx}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_gluon_metric_is_mx_metric():
    assert mx.gluon.metric.Accuracy is mx.metric.Accuracy
    assert mx.gluon.metric.create is mx.metric.create
    metric = mx.gluon.metric.create("acc")
    metric.update([mx.nd.array([1, 0])], [mx.nd.array([[0.2, 0.8], [0.9, 0.1]])])
    assert metric.get() == ("accuracy", 1.0)
