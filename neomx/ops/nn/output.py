"""Loss output layers: SoftmaxOutput, the regression outputs, SVMOutput and MakeLoss, whose
gradient is defined by the loss and ignores the head gradient (as MXNet 1.9.1's), and
softmax_cross_entropy, an ordinary differentiable loss.

Labels are class indices stored in the data's dtype; like MXNet's C++ casts they are
truncated toward zero, and indices outside [0, classes) match no class. The label gets no
gradient.
"""

from __future__ import annotations

import math

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify_dtype
from ..kernels import into
from ..params import Bool, Enum, Float, Params
from ..registry import Op, lookup, register
from .activation import buffer_for, deliver, refuse_integers, widened
from .softmax import changed_params, softmax


def class_indices(label):
    """Labels as int64 class indices, truncated toward zero as MXNet's casts do."""
    return label.astype(np.int64)


def copied(xp, data, out):
    """A copy of ``data`` (into ``out`` when given): the identity layers never alias their input."""
    return data.copy() if out is None else into(xp, data, out)


def _label_error(op_name, label, expected, data, how=""):
    wanted = " or ".join(shape_str(shape) for shape in expected)
    return MXNetValueError(
        f"{op_name}: label has shape {shape_str(label)}; expected {wanted} from data "
        f"{shape_str(data)}{how}"
    )


class _LossOutput(Op):
    """A loss layer with ``data`` and ``label`` inputs of one floating dtype."""

    inputs = ("data", "label")
    saves = ("label", "outputs")

    def label_shapes(self, p, data):
        """The label shapes accepted for ``data`` (the first is inferred when unknown)."""
        return (tuple(data),)

    def infer_shape(self, p, data, label):
        if not is_known(data):
            return None
        accepted = self.label_shapes(p, tuple(data))
        if label is None or not is_known(label):
            return (data, accepted[0]), (data,)
        if tuple(label) not in accepted:
            raise _label_error(self.name, label, accepted, data, self.label_hint(p))
        return (data, label), (data,)

    def label_hint(self, p):
        return ""

    def infer_type(self, p, data, label):
        dtype = unify_dtype(self.name, ("data", "label"), (data, label))
        refuse_integers(self.name, dtype)
        if dtype is None:
            return None
        return (dtype, dtype), (dtype,)


# ---- SoftmaxOutput ------------------------------------------------------------------------------


_NORMALIZATION = Enum(("batch", "null", "valid"), "null", doc="Normalizes the gradient.")


def _softmax_output_params():
    return Params(
        grad_scale=Float(1.0, doc="Scales the gradient by a float factor."),
        ignore_label=Float(-1.0, doc="The label ignored in backward when use_ignore is set."),
        multi_output=Bool(False, doc="Softmax along axis 1, one label per position."),
        use_ignore=Bool(False, doc="Whether ignore_label gets no gradient."),
        preserve_shape=Bool(False, doc="Softmax along the last axis."),
        normalization=_NORMALIZATION,
        out_grad=Bool(
            False, doc="Multiplies the gradient by the softmax output (MXNet 1.9.1's behaviour)."
        ),
        smooth_alpha=Float(0.0, doc="Label smoothing: the probability moved off the label."),
    )


@register("SoftmaxOutput", aliases=("Softmax",))
class SoftmaxOutput(_LossOutput):
    """Return the softmax of the data; its gradient is that of the cross-entropy with the label:
    ``(softmax - onehot(label)) * grad_scale``, whatever the head gradient (unless
    ``out_grad``).

    Axes, as in MXNet 1.9.1: ``multi_output``: softmax along axis 1, label of shape
    (n, d2, ...) or (n, d2 * ...); ``preserve_shape``: along the last axis, label of the data's
    shape without it; otherwise the softmax runs over all axes but the first while the label
    still has the data's shape without the last axis, of which the gradient uses the first
    label of each sample (2-D data: one label per row). A label of the data's own shape holds
    probabilities: the gradient is ``(softmax - label) * grad_scale``.

    ``use_ignore`` zeroes the gradient where the label equals ``ignore_label``;
    ``normalization`` divides it by the number of labels (``batch``; with ``multi_output``
    by n times the positions per sample) or of labels other than ``ignore_label``
    (``valid``); ``multi_output`` without ``valid`` also divides by the positions per sample.
    ``smooth_alpha`` takes the target ``1 - alpha`` at the label and ``alpha / (k - 1)``
    elsewhere (not with ``multi_output``). ``out_grad`` multiplies the gradient by the
    softmax output: MXNet documents a product with the head gradient, but 1.9.1's backward
    reads the output in the head gradient's place, and neomx does what 1.9.1 does.

    >>> mx.nd.SoftmaxOutput(mx.nd.array([[1.0, 1.0]]), mx.nd.array([0.0]))
    <BLANKLINE>
    [[0.5 0.5]]
    <NDArray 1x2 @cpu(0)>
    """

    params = _softmax_output_params()

    def label_shapes(self, p, data):
        if len(data) < 2:
            raise MXNetValueError(
                f"{self.name}: data must have at least 2 axes (batch, classes), got shape "
                f"{shape_str(data)}"
            )
        if p.multi_output and len(data) >= 2:
            per_position = (data[0],) + data[2:]
            flat = (data[0], math.prod(data[2:]))
            return (flat, per_position, data) if flat != per_position else (flat, data)
        return (data[:-1], data)

    def label_hint(self, p):
        return " with multi_output=True" if p.multi_output else ""

    def forward(self, xp, p, data, label, out=None):
        x = widened(data)
        target = buffer_for(out, x)
        if p.multi_output:
            result = softmax(xp, x, 1, target)
        elif p.preserve_shape:
            result = softmax(xp, x, x.ndim - 1, target)
        else:
            rows = (x.shape[0], math.prod(x.shape[1:]))
            into_rows = None if target is None else target.reshape(rows)
            result = softmax(xp, x.reshape(rows), 1, into_rows).reshape(x.shape)
        # With a target the kernel wrote into ``out`` itself.
        return out if target is not None else deliver(xp, result, out, data.dtype)

    def gradient(self, p, F, inputs, outputs, dy):
        grad = F._backward_SoftmaxOutput(outputs[0], inputs[1], **changed_params(self.params, p))
        return grad, None


@register("_backward_SoftmaxOutput")
class SoftmaxOutputBackward(Op):
    """The gradient of SoftmaxOutput's data from its ``output`` and ``label``;
    SoftmaxOutput's parameters (``out_grad`` multiplies by ``output``, as MXNet 1.9.1)."""

    inputs = ("output", "label")
    params = _softmax_output_params()
    differentiable = False

    def infer_shape(self, p, output, label):
        if not is_known(output) or label is None:
            return None
        return (output, label), (output,)

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        if dtype is None:
            return None
        return (dtype,) * len(dtypes), (dtype,)

    def forward(self, xp, p, output, label, out=None):
        y = widened(output)
        if label.shape == output.shape:
            # Probability labels: no ignoring, smoothing or normalization (as MXNet).
            grad = (y - label) * p.grad_scale
        elif p.multi_output and y.ndim >= 2:
            grad = self._per_position(xp, p, y, label)
        else:
            grad = self._per_row(xp, p, y, label)
        if p.out_grad:
            # MXNet 1.9.1's backward takes the softmax output for the head gradient here.
            grad *= y
        return into(xp, grad.astype(output.dtype, copy=False), out)

    def _per_row(self, xp, p, y, label):
        """One label per row of ``y`` viewed as rows: with ``preserve_shape`` the label's size,
        else the data's first axis, using the first labels (MXNet 1.9.1 keeps the view of its
        forward, so a label of shape data[:-1] for 3-D data mostly goes unused)."""
        if y.size == 0:
            return xp.zeros_like(y)
        count_rows = label.size if p.preserve_shape else y.shape[0]
        rows = y.reshape(count_rows, y.size // count_rows)
        size = rows.shape[1]
        all_classes = class_indices(label).reshape(-1)
        classes = all_classes[:count_rows]
        inside = (classes >= 0) & (classes < size)
        grad = rows.copy()
        hit = 1.0
        if p.smooth_alpha and size > 1:
            spread = p.smooth_alpha / (size - 1)
            grad -= spread
            hit = 1.0 - p.smooth_alpha - spread
        picked = xp.nonzero(inside)[0]
        grad[picked, classes[picked]] -= hit
        if p.use_ignore:
            grad *= (classes != int(p.ignore_label))[:, None]
        count = int((all_classes != int(p.ignore_label)).sum())
        divisor = {"batch": label.size, "valid": max(count, 1)}.get(p.normalization, 1)
        grad *= grad.dtype.type(p.grad_scale / divisor)
        return grad.reshape(y.shape)

    def _per_position(self, xp, p, y, label):
        """multi_output: y viewed as (n, k, positions), one label per sample and position."""
        batch, size = y.shape[:2]
        if y.size == 0:
            return xp.zeros_like(y)
        grad = y.reshape(batch, size, -1).copy()
        positions = grad.shape[2]
        classes = class_indices(label).reshape(batch, positions)
        inside = (classes >= 0) & (classes < size)
        sample, position = xp.nonzero(inside)
        grad[sample, classes[sample, position], position] -= 1.0
        # MXNet counts the labels other than ignore_label even without use_ignore.
        kept = classes != int(p.ignore_label)
        if p.use_ignore:
            grad *= kept[:, None, :]
        count = int(kept.sum())
        if p.normalization == "valid":
            divisor = max(count, 1)
        else:
            divisor = positions * (batch if p.normalization == "batch" else 1)
        grad *= grad.dtype.type(p.grad_scale / divisor)
        return grad.reshape(y.shape)


# ---- regression outputs -------------------------------------------------------------------------


class _RegressionOutput(_LossOutput):
    """``grad = grad_scale / m * f(output - label)``, m the outputs per sample."""

    params = Params(grad_scale=Float(1.0, doc="Scale the gradient by a float factor"))

    def label_shapes(self, p, data):
        # MXNet also takes a (n,) label for (n, 1) data.
        if len(data) == 2 and data[1] == 1:
            return (data, data[:1])
        return (data,)

    def forward(self, xp, p, data, label, out=None):
        return copied(xp, data, out)

    def difference(self, F, diff):
        return diff

    def gradient(self, p, F, inputs, outputs, dy):
        output, label = outputs[0], inputs[1]
        shape = tuple(output.shape)
        if tuple(label.shape) != shape:
            label = F.reshape(label, shape=shape)
        per_sample = math.prod(shape[1:]) if shape else 1
        diff = self.difference(F, F.broadcast_sub(output, label))
        return F._mul_scalar(diff, scalar=p.grad_scale / max(per_sample, 1)), None


@register("LinearRegressionOutput", aliases=("_sparse_LinearRegressionOutput",))
class LinearRegressionOutput(_RegressionOutput):
    """Return the data; the gradient is that of half the squared error with the label,
    ``(data - label) * grad_scale / m`` (m: outputs per sample), whatever the head gradient.

    >>> mx.nd.LinearRegressionOutput(mx.nd.array([[1.0, 2.0]]), mx.nd.array([[0.0, 0.0]]))
    <BLANKLINE>
    [[1. 2.]]
    <NDArray 1x2 @cpu(0)>
    """


@register("MAERegressionOutput", aliases=("_sparse_MAERegressionOutput",))
class MAERegressionOutput(_RegressionOutput):
    """Return the data; the gradient is that of the absolute error with the label,
    ``sign(data - label) * grad_scale / m`` (m: outputs per sample), whatever the head
    gradient.

    >>> mx.nd.MAERegressionOutput(mx.nd.array([[1.0, 2.0]]), mx.nd.array([[0.0, 0.0]]))
    <BLANKLINE>
    [[1. 2.]]
    <NDArray 1x2 @cpu(0)>
    """

    def difference(self, F, diff):
        return F.sign(diff)


@register("LogisticRegressionOutput", aliases=("_sparse_LogisticRegressionOutput",))
class LogisticRegressionOutput(_RegressionOutput):
    """Return ``sigmoid(data)``; the gradient is that of the logistic loss with the label,
    ``(sigmoid(data) - label) * grad_scale / m`` (m: outputs per sample), whatever the head
    gradient.

    >>> mx.nd.LogisticRegressionOutput(mx.nd.array([[0.0]]), mx.nd.array([[1.0]]))
    <BLANKLINE>
    [[0.5]]
    <NDArray 1x1 @cpu(0)>
    """

    def forward(self, xp, p, data, label, out=None):
        return lookup("sigmoid").forward(xp, (), data, out=out)


# ---- SVMOutput ----------------------------------------------------------------------------------


def _svm_params():
    return Params(
        margin=Float(1.0, doc="The loss penalizes outputs that lie outside this margin."),
        regularization_coefficient=Float(1.0, doc="The regularization parameter of the SVM."),
        use_linear=Bool(False, doc="Whether to use the L1-SVM objective (else L2-SVM)."),
    )


@register("SVMOutput")
class SVMOutput(_LossOutput):
    """Return the data (class scores, classes on the last axis); the gradient is that of the
    one-vs-all hinge loss with the label (one class per row), whatever the head gradient.

    With margin m and coefficient c, for the label's class ``-2c * max(m - x, 0)`` and for the
    others ``2c * max(m + x, 0)`` (L2-SVM); with ``use_linear`` (L1-SVM) ``-c`` where
    ``x < m`` and ``c`` where ``x > -m``.

    >>> mx.nd.SVMOutput(mx.nd.array([[0.5, -2.0]]), mx.nd.array([0.0]))
    <BLANKLINE>
    [[ 0.5 -2. ]]
    <NDArray 1x2 @cpu(0)>
    """

    params = _svm_params()

    def label_shapes(self, p, data):
        return (data[:-1],)

    def forward(self, xp, p, data, label, out=None):
        return copied(xp, data, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return F._backward_SVMOutput(outputs[0], inputs[1], **changed_params(self.params, p)), None


@register("_backward_SVMOutput")
class SVMOutputBackward(Op):
    """The gradient of SVMOutput's data from the scores ``data`` and the ``label``; SVMOutput's
    parameters."""

    inputs = ("data", "label")
    params = _svm_params()
    differentiable = False

    def infer_shape(self, p, data, label):
        if not is_known(data):
            return None
        return (data, data[:-1]), (data,)

    def infer_type(self, p, data, label):
        dtype = unify_dtype(self.name, ("data", "label"), (data, label))
        if dtype is None:
            return None
        return (dtype, dtype), (dtype,)

    def forward(self, xp, p, data, label, out=None):
        scores = widened(data)
        size = scores.shape[-1] if scores.ndim else 1
        classes = class_indices(label).reshape(label.shape + (1,))
        is_label = xp.arange(size) == classes
        # MXNet's parameters are single precision.
        margin = scores.dtype.type(np.float32(p.margin))
        coefficient = scores.dtype.type(np.float32(p.regularization_coefficient))
        if p.use_linear:
            at_label = -coefficient * (margin > scores)
            elsewhere = coefficient * (margin > -scores)
        else:
            at_label = -2 * coefficient * xp.maximum(margin - scores, 0)
            elsewhere = 2 * coefficient * xp.maximum(margin + scores, 0)
        grad = xp.where(is_label, at_label, elsewhere)
        return into(xp, grad.astype(data.dtype, copy=False), out)


# ---- softmax_cross_entropy ----------------------------------------------------------------------


@register("softmax_cross_entropy")
class SoftmaxCrossEntropy(Op):
    """Return the cross-entropy of ``softmax(data)`` with class labels, summed over the batch:
    ``sum(logsumexp(data[i]) - data[i, label[i]])``, of shape (1,).

    ``data`` is (batch, classes), ``label`` (batch,) in the data's dtype. A label outside
    [0, classes) adds ``logsumexp(data[i])`` (MXNet reads memory outside the row). The label
    gets no gradient.

    >>> mx.nd.softmax_cross_entropy(mx.nd.array([[0.0, 0.0]]), mx.nd.array([1.0]))
    <BLANKLINE>
    [0.6931472]
    <NDArray 1 @cpu(0)>
    """

    inputs = ("data", "label")
    saves = ("data", "label")

    def infer_shape(self, p, data, label):
        if data is not None and len(data) != 2:
            raise MXNetValueError(
                f"{self.name}: data must be 2-D (batch, classes), got shape {shape_str(data)}"
            )
        if label is not None and len(label) != 1:
            raise MXNetValueError(
                f"{self.name}: label must be 1-D (batch,), got shape {shape_str(label)}"
            )
        if not is_known(data):
            return None
        if label is not None and is_known(label) and label[0] != data[0]:
            raise _label_error(self.name, label, (data[:1],), data)
        return (data, data[:1]), ((1,),)

    def infer_type(self, p, data, label):
        dtype = unify_dtype(self.name, ("data", "label"), (data, label))
        refuse_integers(self.name, dtype)
        if dtype is None:
            return None
        return (dtype, dtype), (dtype,)

    def forward(self, xp, p, data, label, out=None):
        x = widened(data)
        if x.size == 0:
            return into(xp, xp.zeros((1,), dtype=data.dtype), out)
        top = x.max(axis=1, keepdims=True)
        log_totals = xp.log(xp.exp(x - top).sum(axis=1)) + top[:, 0]
        classes = class_indices(label)
        inside = (classes >= 0) & (classes < x.shape[1])
        picked = xp.take_along_axis(x, xp.where(inside, classes, 0)[:, None], axis=1)[:, 0]
        loss = (log_totals - xp.where(inside, picked, 0)).sum()
        return into(xp, loss.reshape(1).astype(data.dtype), out)

    def gradient(self, p, F, inputs, outputs, dy):
        data, label = inputs
        target = F.one_hot(label, depth=data.shape[1], dtype=np.dtype(data.dtype).name)
        return F.broadcast_mul(F.broadcast_sub(F.softmax(data), target), dy[0]), None


# ---- MakeLoss -----------------------------------------------------------------------------------


@register("MakeLoss")
class MakeLoss(Op):
    """Return the data and mark it as a loss: its gradient is ``grad_scale`` everywhere,
    whatever the head gradient, divided by the rows (the product of all axes but the last:
    ``normalization='batch'``) or by the number of elements above ``valid_thresh``
    (``'valid'``, at least 1).

    Unlike ``make_loss`` (ones, no parameters), MakeLoss takes only floating-point data.

    >>> mx.nd.MakeLoss(mx.nd.array([1.0, 2.0]), grad_scale=0.5)
    <BLANKLINE>
    [1. 2.]
    <NDArray 2 @cpu(0)>
    """

    params = Params(
        grad_scale=Float(1.0, doc="Gradient scale as a supplement to unary and binary operators"),
        valid_thresh=Float(0.0, doc="Elements above it count as valid ('valid' normalization)."),
        normalization=Enum(
            ("batch", "null", "valid"), "null", doc="How the gradient is normalized."
        ),
    )
    saves = ("data",)

    def infer_type(self, p, dtype):
        refuse_integers(self.name, dtype)
        return (dtype,), (dtype,)

    def forward(self, xp, p, data, out=None):
        return copied(xp, data, out)

    def gradient(self, p, F, inputs, outputs, dy):
        ones = F.ones_like(dy[0])
        if p.normalization == "valid":
            valid = F.sum(F._greater_scalar(inputs[0], scalar=p.valid_thresh))
            count = F._maximum_scalar(valid, scalar=1.0)
            return (F.broadcast_div(F._mul_scalar(ones, scalar=p.grad_scale), count),)
        shape = tuple(inputs[0].shape)
        rows = math.prod(shape[:-1]) if p.normalization == "batch" else 1
        return (F._mul_scalar(ones, scalar=p.grad_scale / max(rows, 1)),)
