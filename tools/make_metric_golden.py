"""Write golden metric values from real MXNet 1.9.1.

Run it in the oracle venv::

    /opt/mxvenv/bin/python tools/make_metric_golden.py

For every case of ``CASES`` it creates the metric with ``mx.metric.create(name, **kwargs)``,
feeds it seeded random batches (lists of NDArray labels and predictions) interleaved with
``reset_local`` and ``reset``, and records after every step ``get()``, ``get_global()``,
``get_name_value()`` and ``get_global_name_value()``. It writes

    tests/golden/metric/arrays.npz   the inputs, keyed '<case>__<step>__label<i>' / '__pred<i>'
    tests/golden/metric/cases.json   per case: metric, kwargs, config (get_config(), or null),
                                     and the steps: op, number of pairs, and the four results
                                     (or, for an update MXNet refuses, the exception's class)

MXNet 1.9.1 has no Precision or Recall; they are recorded from MXNet's own binary counters
(``mx.metric._BinaryClassificationMetrics``), averaged as its F1 averages. Tests replay the cases
in neomx and never import mxnet.
"""

from __future__ import annotations

import json
from pathlib import Path

import mxnet as mx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "tests" / "golden" / "metric"
SEED = 20221


class _BinaryScore(mx.metric.F1):
    """F1's counting and averaging, scoring with another of MXNet's binary counters."""

    score = "fscore"

    def update(self, labels, preds):
        labels, preds = mx.metric.check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.metrics.update_binary_stats(label, pred)
        local_score = getattr(self.metrics, self.score)
        global_score = getattr(self.metrics, "global_" + self.score)
        if self.average == "macro":
            self.sum_metric += local_score
            self.global_sum_metric += global_score
            self.num_inst += 1
            self.global_num_inst += 1
            self.metrics.reset_stats()
        else:
            self.sum_metric = local_score * self.metrics.total_examples
            self.global_sum_metric = global_score * self.metrics.global_total_examples
            self.num_inst = self.metrics.total_examples
            self.global_num_inst = self.metrics.global_total_examples


class Precision(_BinaryScore):
    score = "precision"

    def __init__(self, name="precision", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)


class Recall(_BinaryScore):
    score = "recall"

    def __init__(self, name="recall", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)


mx.metric.register(Precision)
mx.metric.register(Recall)


# The same functions are defined in tests/test_metric.py (FEVALS).
def mean_abs_error(label, pred):
    return np.abs(label - pred.reshape(label.shape)).mean()


def error_count(label, pred):
    return (pred.argmax(axis=1) != label).sum(), label.size


FEVALS = {"mean_abs_error": mean_abs_error, "error_count": error_count}


# ---- input makers: (rng, batch) -> (label, pred) ------------------------------------------


def scores(rng, *shape):
    """Distinct positive scores, normalised along the last axis (no argmax ties)."""
    raw = rng.permutation(np.prod(shape)).reshape(shape) + rng.uniform(0.1, 0.9, shape)
    return raw / raw.sum(axis=-1, keepdims=True)


def classes(rng, n, num_classes):
    return rng.randint(0, num_classes, n).astype(np.float32)


def perfect(label):
    """Labels and one-hot scores that predict them all."""
    return label, np.eye(2, dtype=np.float32)[label.astype(int)]


def correlated(rng, label):
    """Labels and noisy predictions of them."""
    return label, label + 0.5 * rng.randn(len(label))


MAKERS = {
    "cls": lambda rng, n: (classes(rng, n, 4), scores(rng, n, 4)),
    "cls_ids": lambda rng, n: (classes(rng, n, 3), classes(rng, n, 3)),
    "cls_col": lambda rng, n: (classes(rng, n, 3).reshape(n, 1), classes(rng, n, 3).reshape(n, 1)),
    "cls_axis0": lambda rng, n: (classes(rng, n, 3), scores(rng, n, 3).T.copy()),
    "cls_3d": lambda rng, n: (classes(rng, n * 2, 3).reshape(n, 2), scores(rng, n, 2, 3)),
    "cls_many": lambda rng, n: (classes(rng, n, 6), scores(rng, n, 6)),
    "bin": lambda rng, n: (classes(rng, n, 2), scores(rng, n, 2)),
    "bin_all0": lambda rng, n: (np.zeros(n, np.float32), scores(rng, n, 2)),
    "bin_all1": lambda rng, n: (np.ones(n, np.float32), scores(rng, n, 2)),
    "bin_pred1": lambda rng, n: (
        classes(rng, n, 2),
        np.tile(np.array([[0.2, 0.8]], np.float32), (n, 1)),
    ),
    "bin_perfect": lambda rng, n: perfect(classes(rng, n, 2)),
    "reg": lambda rng, n: (rng.randn(n), rng.randn(n)),
    "reg_2d": lambda rng, n: (rng.randn(n, 3), rng.randn(n, 3)),
    "reg_col": lambda rng, n: (rng.randn(n), rng.randn(n, 1)),
    "reg_broadcast": lambda rng, n: (rng.randn(n), rng.randn(n, 2)),
    "reg_corr": lambda rng, n: correlated(rng, rng.randn(n)),
    "prob": lambda rng, n: (classes(rng, n, 5), scores(rng, n, 5)),
    "prob_zero": lambda rng, n: (
        classes(rng, n, 3),
        np.eye(3, dtype=np.float32)[rng.randint(0, 3, n)],
    ),
    "seq": lambda rng, n: (
        rng.randint(-1, 4, n).astype(np.float32),
        scores(rng, n, 4),
    ),
    "loss": lambda rng, n: (np.zeros(n), rng.rand(n, 3)),
}


def steps(maker, sizes=((5, 1), (4, 2), (6, 1), (3, 1))):
    """Three updates, reset_local, one more update, reset, one more update. An update step is
    ("update", maker, batch size, number of (label, pred) pairs)."""
    updates = [("update", maker, n, pairs) for n, pairs in sizes]
    return updates[:3] + [("reset_local",)] + updates[3:] + [("reset",), updates[0]]


def case(case_id, metric, maker, kwargs=None, **extra):
    return {"id": case_id, "metric": metric, "kwargs": kwargs or {}, "steps": steps(maker), **extra}


CASES = [
    case("acc", "acc", "cls"),
    case("acc_ids", "accuracy", "cls_ids"),
    case("acc_col", "acc", "cls_col"),
    case("acc_axis0", "acc", "cls_axis0", {"axis": 0}),
    case("acc_3d", "acc", "cls_3d", {"axis": 2}),
    case("acc_3d_neg", "acc", "cls_3d", {"axis": -1}),
    case("top2", "top_k_accuracy", "cls", {"top_k": 2}),
    case("top3", "top_k_acc", "cls_many", {"top_k": 3}),
    case("top3_class", "TopKAccuracy", "cls", {"top_k": 3}),
    case("f1", "f1", "bin"),
    case("f1_micro", "f1", "bin", {"average": "micro"}),
    case("f1_all0", "f1", "bin_all0"),
    case("f1_all1_micro", "f1", "bin_all1", {"average": "micro"}),
    case("f1_pred1", "f1", "bin_pred1"),
    case("mcc", "mcc", "bin"),
    case("mcc_micro", "mcc", "bin", {"average": "micro"}),
    case("mcc_all0", "mcc", "bin_all0"),
    case("mcc_all1_micro", "mcc", "bin_all1", {"average": "micro"}),
    case("mcc_pred1", "mcc", "bin_pred1", {"average": "micro"}),
    case("mcc_perfect", "mcc", "bin_perfect"),
    case("precision", "precision", "bin"),
    case("precision_micro", "precision", "bin", {"average": "micro"}),
    case("precision_all0", "precision", "bin_all0"),
    case("precision_pred1", "precision", "bin_pred1", {"average": "micro"}),
    case("recall", "recall", "bin"),
    case("recall_micro", "recall", "bin", {"average": "micro"}),
    case("recall_all0_micro", "recall", "bin_all0", {"average": "micro"}),
    case("recall_all1", "recall", "bin_all1"),
    case("perplexity", "perplexity", "prob", {"ignore_label": None}),
    case("perplexity_ignore", "perplexity", "seq", {"ignore_label": -1}),
    case("perplexity_ignore0", "perplexity", "seq", {"ignore_label": 0, "axis": 1}),
    case("perplexity_zero", "perplexity", "prob_zero", {"ignore_label": None}),
    case("mae", "mae", "reg"),
    case("mae_2d", "mae", "reg_2d"),
    case("mae_col", "mae", "reg_col"),
    case("mse", "mse", "reg"),
    case("mse_broadcast", "mse", "reg_broadcast"),
    case("rmse", "rmse", "reg_2d"),
    case("rmse_col", "rmse", "reg_col"),
    case("ce", "ce", "prob"),
    case("ce_eps", "CrossEntropy", "prob_zero", {"eps": 1e-5}),
    case("nll", "nll_loss", "prob"),
    case("nll_zero", "negativeloglikelihood", "prob_zero"),
    case("pearsonr", "pearsonr", "reg_corr"),
    case("pearsonr_2d", "pearsoncorrelation", "reg_2d"),
    # MXNet 1.9.1's micro PearsonCorrelation reports 0.0 globally and keeps counting through
    # reset_local; neomx fixes both, so these cases have no reset_local (see tests).
    {
        "id": "pearsonr_micro",
        "metric": "pearsonr",
        "kwargs": {"average": "micro"},
        "steps": [("update", "reg_corr", 5, 1), ("update", "reg_corr", 4, 2), ("reset",)]
        + [("update", "reg_corr", 6, 1), ("update", "reg_corr", 3, 1)],
    },
    case("pcc", "pcc", "cls"),
    case("pcc_ids", "pcc", "cls_ids"),
    case("pcc_grow", "pcc", "cls_many"),
    case("pcc_bin", "pcc", "bin"),
    case("loss", "loss", "loss"),
    case("torch", "torch", "loss"),
    case("caffe", "caffe", "loss"),
    case("composite", ["acc", "f1", "mae"], "bin"),
    case("composite_ce", "composite", "prob", {"metrics": ["acc", "ce", "nll_loss"]}),
    case("custom", "mean_abs_error", "reg_2d", custom=True),
    case("custom_tuple", "error_count", "cls", custom=True),
    case("custom_name", "error_count", "cls", {"name": "errors"}, custom=True),
]

# Updates MXNet refuses: (case id, metric, kwargs, labels [shapes], preds [shapes])
ERRORS = [
    ("acc_pairs", "acc", {}, [(4,)], [(4, 3), (4, 3)]),
    ("acc_size", "acc", {}, [(4,)], [(3, 3)]),
    ("f1_multiclass", "f1", {}, [(6,)], [(6, 2)]),
    ("mcc_multiclass", "mcc", {}, [(6,)], [(6, 2)]),
    ("pearsonr_shape", "pearsonr", {}, [(4,)], [(4, 1)]),
    ("perplexity_shape", "perplexity", {"ignore_label": None}, [(3,)], [(4, 3)]),
    ("ce_rows", "ce", {}, [(3,)], [(4, 3)]),
    ("nll_rows", "nll_loss", {}, [(5,)], [(4, 3)]),
    ("mse_pairs", "mse", {}, [(4,), (4,)], [(4,)]),
    ("top2_ndim", "top_k_accuracy", {"top_k": 2}, [(2, 2)], [(2, 2, 3)]),
]


def make_metric(spec):
    if spec.get("custom"):
        return mx.metric.create(FEVALS[spec["metric"]], **spec["kwargs"])
    return mx.metric.create(spec["metric"], **spec["kwargs"])


def plain(value):
    """``value`` with NumPy scalars as Python numbers and tuples as lists (for JSON)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (np.generic, np.ndarray)):
        return value.item()
    return value


def results(metric):
    return {
        "get": plain(metric.get()),
        "get_global": plain(metric.get_global()),
        "get_name_value": plain(metric.get_name_value()),
        "get_global_name_value": plain(metric.get_global_name_value()),
    }


def error_inputs(rng, label_shapes, pred_shapes):
    labels = [rng.randint(0, 3, shape).astype(np.float32) for shape in label_shapes]
    preds = [rng.rand(*shape).astype(np.float32) for shape in pred_shapes]
    return labels, preds


def main():
    rng = np.random.RandomState(SEED)
    arrays, cases = {}, []
    for spec in CASES:
        metric = make_metric(spec)
        try:
            config = plain(metric.get_config())
        except NotImplementedError:
            config = None
        recorded = []
        for index, step in enumerate(spec["steps"]):
            if step[0] == "update":
                _, maker, batch, pairs = step
                labels, preds = [], []
                for pair in range(pairs):
                    label, pred = MAKERS[maker](rng, batch)
                    label, pred = label.astype(np.float32), pred.astype(np.float32)
                    arrays[f"{spec['id']}__{index}__label{pair}"] = label
                    arrays[f"{spec['id']}__{index}__pred{pair}"] = pred
                    labels.append(mx.nd.array(label))
                    preds.append(mx.nd.array(pred))
                metric.update(labels, preds)
            else:
                getattr(metric, step[0])()
            recorded.append({"op": step[0], "pairs": step[3] if step[0] == "update" else 0})
            recorded[-1].update(results(metric))
        cases.append(
            {
                "id": spec["id"],
                "metric": spec["metric"],
                "kwargs": spec["kwargs"],
                "custom": bool(spec.get("custom")),
                "config": config,
                "steps": recorded,
            }
        )
    errors = []
    for case_id, name, kwargs, label_shapes, pred_shapes in ERRORS:
        labels, preds = error_inputs(rng, label_shapes, pred_shapes)
        arrays.update({f"{case_id}__label{i}": label for i, label in enumerate(labels)})
        arrays.update({f"{case_id}__pred{i}": pred for i, pred in enumerate(preds)})
        metric = mx.metric.create(name, **kwargs)
        try:
            metric.update([mx.nd.array(x) for x in labels], [mx.nd.array(x) for x in preds])
            raised = None
        except Exception as err:  # noqa: BLE001 - any refusal is recorded by its class
            raised = type(err).__name__
        errors.append(
            {
                "id": case_id,
                "metric": name,
                "kwargs": kwargs,
                "labels": len(labels),
                "preds": len(preds),
                "raised": raised,
            }
        )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT / "arrays.npz", **arrays)
    with open(OUTPUT / "cases.json", "w") as file:
        json.dump({"mxnet": mx.__version__, "cases": cases, "errors": errors}, file, indent=1)
    print(f"wrote {len(cases)} cases, {len(errors)} error cases to {OUTPUT}")


if __name__ == "__main__":
    main()
