"""Cases of the loss layers (neomx/ops/nn/output.py): SoftmaxOutput, the regression outputs,
SVMOutput, MakeLoss, softmax_cross_entropy and the backward operators of the first ones.

The *Output layers and MakeLoss define their gradient (it ignores the head gradient), so no
numeric check applies: their goldens record MXNet's gradients, the backward operators are
checked against the loop-by-loop references below, and tests/ops/test_nn_losses.py checks
the layers' gradients through autograd with the same references. Labels are class indices
stored as floats, fractional and out-of-range ones included (MXNet truncates them and
out-of-range ones match no class).
"""

import numpy as np

from .case import (
    GRADIENT_DEFINED,
    NEOMX_ONLY,
    Case,
    ErrorCase,
    add,
    add_errors,
    floats,
)

GRADIENT_DEFINED.update(
    {
        "SoftmaxOutput",
        "LinearRegressionOutput",
        "LogisticRegressionOutput",
        "MAERegressionOutput",
        "SVMOutput",
        "MakeLoss",
    }
)
# neomx's backward operators take (output, label) and the layer's parameters.
NEOMX_ONLY.update({"_backward_SoftmaxOutput", "_backward_SVMOutput"})

SOFTMAX_OUTPUT_DEFAULTS = {
    "grad_scale": 1.0,
    "ignore_label": -1.0,
    "multi_output": False,
    "use_ignore": False,
    "preserve_shape": False,
    "normalization": "null",
    "out_grad": False,
    "smooth_alpha": 0.0,
}


def _softmax(x, axis):
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def softmax_output_forward(multi_output=False, preserve_shape=False, **_):
    """SoftmaxOutput's forward: along axis 1, the last axis, or all axes but the first."""

    def reference(data, label):
        x = data.astype(np.float64)
        if multi_output:
            result = _softmax(x, 1)
        elif preserve_shape:
            result = _softmax(x, -1)
        else:
            rows = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
            result = _softmax(rows, 1).reshape(x.shape)
        return result.astype(data.dtype)

    return reference


def softmax_output_gradient(output, label, **params):
    """The data gradient of SoftmaxOutput, element by element, as MXNet 1.9.1 defines it
    (``out_grad`` multiplies by the output, not by the head gradient as MXNet documents)."""
    p = {**SOFTMAX_OUTPUT_DEFAULTS, **params}
    y = output.astype(np.float64)
    ignore = int(p["ignore_label"])
    if label.shape == y.shape:
        grad, scale = y - label, p["grad_scale"]
    elif p["multi_output"]:
        batch, classes = y.shape[:2]
        grad = y.reshape(batch, classes, -1).copy()
        labels = label.reshape(batch, -1)
        count = 0
        for i in range(batch):
            for j in range(labels.shape[1]):
                c = int(labels[i, j])
                count += c != ignore
                if 0 <= c < classes:
                    grad[i, c, j] -= 1.0
                if c == ignore and p["use_ignore"]:
                    grad[i, :, j] = 0.0
        positions = labels.shape[1]
        scale = p["grad_scale"] / {
            "valid": max(count, 1), "batch": positions * batch, "null": positions
        }[p["normalization"]]
    else:
        # Rows of the forward's view: with preserve_shape one per label, else one per sample,
        # which reads only the first labels (MXNet 1.9.1); every label counts for 'valid'.
        labels = label.reshape(-1)
        rows = labels.size if p["preserve_shape"] else y.shape[0]
        grad = y.reshape(rows, -1).copy()
        classes = grad.shape[1]
        alpha = p["smooth_alpha"]
        count = sum(int(value) != ignore for value in labels)
        for r in range(rows):
            c = int(labels[r])
            target = np.full(classes, alpha / (classes - 1) if alpha and classes > 1 else 0.0)
            if 0 <= c < classes:
                target[c] = 1.0 - alpha if alpha and classes > 1 else 1.0
            grad[r] -= target
            if c == ignore and p["use_ignore"]:
                grad[r] = 0.0
        scale = p["grad_scale"] / {
            "valid": max(count, 1), "batch": labels.size, "null": 1
        }[p["normalization"]]
    grad = grad.reshape(y.shape) * scale
    if p["out_grad"]:
        grad = grad * y
    return grad.astype(output.dtype)


def _labelled(data_shape, label_shape, classes, special=(), dtype="float32", low=-2.0):
    """Data and class labels in [0, classes); ``special`` (flat index, value) pairs replace
    some labels (ignored, out-of-range or fractional ones)."""

    def make(rng):
        data = rng.uniform(low, 2.0, size=data_shape).astype(dtype)
        label = rng.integers(0, classes, size=label_shape).astype(dtype)
        flat = label.reshape(-1)
        for index, value in special:
            flat[index] = value
        return [data, label]

    return make


def _probability_labels(shape):
    def make(rng):
        data = rng.uniform(-2, 2, size=shape).astype("float32")
        weights = rng.uniform(0.1, 1.0, size=shape)
        return [data, (weights / weights.sum(axis=-1, keepdims=True)).astype("float32")]

    return make


_IGNORED = ((1, -1.0), (4, -1.0))
_SOFTMAX_OUTPUT_CASES = (
    ("2d", _labelled((4, 5), (4,), 5), {}),
    ("grad-scale", _labelled((4, 5), (4,), 5), {"grad_scale": 2.5}),
    ("batch", _labelled((4, 5), (4,), 5), {"normalization": "batch"}),
    ("valid-ignore", _labelled((6, 3), (6,), 3, _IGNORED),
     {"use_ignore": True, "normalization": "valid"}),
    ("ignore-class", _labelled((6, 3), (6,), 3), {"use_ignore": True, "ignore_label": 2.0}),
    ("valid-counts-without-use-ignore", _labelled((6, 3), (6,), 3, _IGNORED),
     {"normalization": "valid"}),
    ("smooth", _labelled((4, 5), (4,), 5), {"smooth_alpha": 0.2}),
    ("smooth-ignore-valid", _labelled((6, 4), (6,), 4, _IGNORED),
     {"smooth_alpha": 0.1, "use_ignore": True, "normalization": "valid"}),
    ("out-of-range", _labelled((4, 3), (4,), 3, ((1, 7.0), (2, -3.0))), {}),
    ("fractional-labels", _labelled((4, 3), (4,), 3, ((0, 0.7), (1, 1.5), (2, -0.5))), {}),
    ("multi-output", _labelled((2, 3, 2, 2), (2, 2, 2), 3), {"multi_output": True}),
    ("multi-output-flat-label", _labelled((2, 3, 2, 2), (2, 4), 3), {"multi_output": True}),
    ("multi-output-batch", _labelled((2, 3, 4), (2, 4), 3),
     {"multi_output": True, "normalization": "batch", "grad_scale": 2.0}),
    ("multi-output-valid-ignore", _labelled((2, 3, 4), (2, 4), 3, _IGNORED),
     {"multi_output": True, "normalization": "valid", "use_ignore": True}),
    ("preserve-shape", _labelled((2, 3, 4), (2, 3), 4), {"preserve_shape": True}),
    ("preserve-shape-batch", _labelled((2, 3, 4), (2, 3), 4),
     {"preserve_shape": True, "normalization": "batch"}),
    # MXNet's softmax runs over all axes but the first here; the gradient takes one label per
    # sample, the first ones.
    ("3d-default", _labelled((2, 3, 4), (2, 3), 4), {}),
    ("3d-default-valid", _labelled((2, 3, 4), (2, 3), 4, ((0, -1.0),)),
     {"normalization": "valid", "use_ignore": True, "smooth_alpha": 0.1}),
    ("probability-labels", _probability_labels((3, 4)),
     {"normalization": "batch", "smooth_alpha": 0.3}),
    ("float64", _labelled((4, 5), (4,), 5, dtype="float64"), {"normalization": "batch"}),
    # MXNet 1.9.1 multiplies by the softmax output here, not by the head gradient as it
    # documents.
    ("out-grad", _labelled((3, 4), (3,), 4), {"out_grad": True}),
    ("out-grad-scale-batch", _labelled((3, 4), (3,), 4),
     {"out_grad": True, "grad_scale": 2.0, "normalization": "batch"}),
    ("out-grad-ignore-smooth", _labelled((6, 3), (6,), 3, _IGNORED),
     {"out_grad": True, "use_ignore": True, "smooth_alpha": 0.1}),
    ("out-grad-multi-output", _labelled((2, 3, 4), (2, 4), 3),
     {"out_grad": True, "multi_output": True}),
    ("out-grad-probability-labels", _probability_labels((3, 4)), {"out_grad": True}),
)
for _label, _make, _params in _SOFTMAX_OUTPUT_CASES:
    add("SoftmaxOutput", Case(_make, _params, softmax_output_forward(**_params), label=_label,
                              grad=False))
add(
    "SoftmaxOutput",
    Case(_labelled((0, 3), (0,), 3), reference=softmax_output_forward(), label="zero-size",
         grad=False, golden=False),
)
add_errors(
    "SoftmaxOutput",
    ErrorCase(_labelled((3, 4), (4,), 4), match=r"SoftmaxOutput.*label.*\(4,\).*\(3,\).*\(3, 4\)"),
    ErrorCase(_labelled((3, 4), (3, 1), 4), match=r"SoftmaxOutput.*label.*\(3, 1\)"),
    ErrorCase(_labelled((2, 3, 4), (8,), 3), {"multi_output": True},
              match=r"SoftmaxOutput.*label.*\(8,\).*\(2, 4\).*multi_output"),
    ErrorCase(_labelled((3, 4), (3,), 4, dtype="int32"), match=r"SoftmaxOutput.*floating.*int32"),
    ErrorCase(_labelled((4,), (), 4), match=r"SoftmaxOutput.*2 axes.*\(4,\)"),
)


def _backward_inputs(make, params):
    """(output, label) of SoftmaxOutput from a (data, label) maker."""

    def inputs(rng):
        data, label = make(rng)
        return [softmax_output_forward(**params)(data, label), label]

    return inputs


for _label, _make, _params in _SOFTMAX_OUTPUT_CASES:
    add(
        "_backward_SoftmaxOutput",
        Case(_backward_inputs(_make, _params), _params,
             lambda *arrays, _p=_params: softmax_output_gradient(*arrays, **_p), label=_label),
    )


# ---- regression outputs -----------------------------------------------------------------------


def _pair(data_shape, label_shape, dtype="float32"):
    return lambda rng: [
        rng.uniform(-2, 2, size=data_shape).astype(dtype),
        rng.uniform(-2, 2, size=label_shape).astype(dtype),
    ]


_REGRESSIONS = {
    "LinearRegressionOutput": lambda x: x.copy(),
    "MAERegressionOutput": lambda x: x.copy(),
    "LogisticRegressionOutput": lambda x: (1 / (1 + np.exp(-x.astype(np.float64)))).astype(
        x.dtype
    ),
}
for _name, _function in _REGRESSIONS.items():
    _reference = lambda data, label, _f=_function: _f(data)  # noqa: E731
    add(
        _name,
        Case(_pair((3, 4), (3, 4)), reference=_reference, label="2d", grad=False),
        Case(_pair((2, 3, 4), (2, 3, 4)), {"grad_scale": 2.5}, _reference, label="3d-scaled",
             grad=False),
        Case(_pair((3, 1), (3,)), reference=_reference, label="column-label", grad=False),
        Case(_pair((4,), (4,)), reference=_reference, label="1d", grad=False),
        Case(_pair((3, 2), (3, 2), "float64"), reference=_reference, label="float64",
             grad=False),
        Case(_pair((0, 2), (0, 2)), reference=_reference, label="zero-size", grad=False,
             golden=False),
    )
    add_errors(
        _name,
        ErrorCase(_pair((3, 4), (3,)), match=rf"{_name}.*label.*\(3,\).*\(3, 4\)"),
        ErrorCase(_pair((3, 4), (4, 3)), match=rf"{_name}.*label.*\(4, 3\)"),
    )


# ---- SVMOutput ----------------------------------------------------------------------------------


def svm_gradient(data, label, margin=1.0, regularization_coefficient=1.0, use_linear=False):
    """SVMOutput's data gradient, element by element (MXNet's L1/L2 one-vs-all hinge)."""
    x = data.astype(np.float64).reshape(-1, data.shape[-1])
    labels = label.reshape(-1)
    margin, coefficient = float(np.float32(margin)), float(np.float32(regularization_coefficient))
    grad = np.zeros_like(x)
    for r in range(x.shape[0]):
        for j in range(x.shape[1]):
            if j == int(labels[r]):
                excess = margin - x[r, j]
                grad[r, j] = -coefficient * ((excess > 0) if use_linear else 2 * max(excess, 0))
            else:
                excess = margin + x[r, j]
                grad[r, j] = coefficient * ((excess > 0) if use_linear else 2 * max(excess, 0))
    return grad.reshape(data.shape).astype(data.dtype)


_SVM_CASES = (
    ("l2", _labelled((4, 5), (4,), 5), {}),
    ("l1", _labelled((4, 5), (4,), 5), {"use_linear": True}),
    ("margin", _labelled((4, 3), (4,), 3),
     {"margin": 0.5, "regularization_coefficient": 2.0}),
    ("margin-l1", _labelled((4, 3), (4,), 3),
     {"margin": 0.5, "regularization_coefficient": 2.0, "use_linear": True}),
    ("3d", _labelled((2, 3, 4), (2, 3), 4), {}),
    ("odd-labels", _labelled((4, 3), (4,), 3, ((0, 7.0), (1, -1.0), (2, 1.5))), {}),
    ("float64", _labelled((3, 4), (3,), 4, dtype="float64"), {"use_linear": True}),
)
for _label, _make, _params in _SVM_CASES:
    add("SVMOutput", Case(_make, _params, lambda data, label: data.copy(), label=_label,
                          grad=False))
    add("_backward_SVMOutput", Case(_make, _params,
                                    lambda data, label, _p=_params: svm_gradient(data, label, **_p),
                                    label=_label))
add_errors(
    "SVMOutput",
    ErrorCase(_labelled((3, 4), (4,), 4), match=r"SVMOutput.*label.*\(4,\).*\(3,\).*\(3, 4\)"),
)


# ---- MakeLoss -----------------------------------------------------------------------------------

add(
    "MakeLoss",
    Case(floats((2, 3)), reference=np.copy, label="default", grad=False),
    Case(floats((2, 3)), {"grad_scale": 0.5}, np.copy, label="grad-scale", grad=False),
    Case(floats((2, 3, 4)), {"normalization": "batch"}, np.copy, label="batch", grad=False),
    Case(floats((4,)), {"normalization": "batch"}, np.copy, label="batch-1d", grad=False),
    Case(floats((3, 4)), {"normalization": "valid", "grad_scale": 3.0}, np.copy, label="valid",
         grad=False),
    Case(floats((3, 4)), {"normalization": "valid", "valid_thresh": 0.5}, np.copy,
         label="valid-thresh", grad=False),
    Case(floats((3, 4), low=-2, high=-1), {"normalization": "valid"}, np.copy,
         label="none-valid", grad=False),
    Case(floats((2, 3), dtype="float64"), {"normalization": "batch"}, np.copy, label="float64",
         grad=False),
)
add_errors(
    "MakeLoss",
    ErrorCase(lambda rng: [np.array([1, 2], "int32")], match=r"MakeLoss.*floating.*int32"),
    ErrorCase(floats((2, 3)), {"normalization": "mean"}, match=r"MakeLoss.*normalization"),
)


# ---- softmax_cross_entropy ----------------------------------------------------------------------


def _cross_entropy(data, label):
    x = data.astype(np.float64)
    top = x.max(axis=1, keepdims=True)
    log_totals = np.log(np.exp(x - top).sum(axis=1)) + top[:, 0]
    classes = label.astype(np.int64)
    inside = (classes >= 0) & (classes < x.shape[1])
    picked = x[np.arange(len(x)), np.where(inside, classes, 0)]
    return np.array([(log_totals - np.where(inside, picked, 0.0)).sum()], dtype=data.dtype)


_DATA_ONLY = ("data",)
add(
    "softmax_cross_entropy",
    Case(_labelled((4, 5), (4,), 5), reference=_cross_entropy, label="2d",
         grad_nodes=_DATA_ONLY),
    Case(_labelled((3, 4), (3,), 4, dtype="float64"), reference=_cross_entropy, label="float64",
         grad_nodes=_DATA_ONLY),
    Case(_labelled((4, 3), (4,), 3, ((0, 0.7), (1, 2.9))), reference=_cross_entropy,
         label="fractional-labels", grad_nodes=_DATA_ONLY),
    Case(_labelled((3, 3), (3,), 3, ((1, 5.0),)), reference=_cross_entropy,
         label="out-of-range", grad_nodes=_DATA_ONLY, golden=False),
    Case(_labelled((1, 1), (1,), 1), reference=_cross_entropy, label="one-element",
         grad_nodes=_DATA_ONLY),
)
add_errors(
    "softmax_cross_entropy",
    ErrorCase(_labelled((2, 3, 4), (2,), 4), match=r"softmax_cross_entropy.*2-D.*\(2, 3, 4\)"),
    ErrorCase(_labelled((3, 4), (3, 1), 4), match=r"softmax_cross_entropy.*1-D.*\(3, 1\)"),
    ErrorCase(_labelled((3, 4), (4,), 4), match=r"softmax_cross_entropy.*label.*\(4,\).*\(3,\)"),
)
