"""Connectionist temporal classification loss (Graves et al., 2006): CTCLoss and its backward.

``data`` holds unnormalised scores of shape (time, batch, alphabet); a softmax over the
alphabet gives per-step probabilities. The loss of a sequence is ``-log`` of the total
probability of all alignments of its label, with blanks between and around the label's
symbols. The forward (alpha) and backward (beta) variables are computed in log space,
vectorised over the batch and the extended label, with one loop over the time steps.
"""

from __future__ import annotations

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str, unify_dtype
from ..kernels import into
from ..params import Bool, Enum, Params
from ..registry import Op, register
from .activation import refuse_integers
from .softmax import changed_params, log_softmax

_NEG_INF = -np.inf


def _ctc_params():
    return Params(
        use_data_lengths=Bool(
            False, doc="Whether data_lengths gives each sequence's length (else all are full)."
        ),
        use_label_lengths=Bool(
            False,
            doc="Whether label_lengths gives each label's length (else it ends at the first "
            "padding value: 0 with blank_label='first', -1 with 'last').",
        ),
        blank_label=Enum(
            ("first", "last"),
            "first",
            doc="Whether the blank is label 0 (labels 1..alphabet-1) or the last label.",
        ),
    )


def _arguments(p, leading):
    names = leading + ("data", "label")
    if p.use_data_lengths:
        names += ("data_lengths",)
    if p.use_label_lengths:
        names += ("label_lengths",)
    return names


def _check_shapes(op_name, p, data, label, lengths):
    """Validate the shapes of data (T, N, C), label (N, L) and the length vectors (N,)."""
    if data is not None and len(data) != 3:
        raise MXNetValueError(
            f"{op_name}: data must be 3-D (time, batch, alphabet), got shape {shape_str(data)}"
        )
    if label is not None and len(label) != 2:
        raise MXNetValueError(
            f"{op_name}: label must be 2-D (batch, max label length), got shape "
            f"{shape_str(label)}"
        )
    if not is_known(data) or not is_known(label):
        return
    if label[0] != data[1]:
        raise MXNetValueError(
            f"{op_name}: label has shape {shape_str(label)}, but data {shape_str(data)} has "
            f"batch size {data[1]}"
        )
    if label[1] > data[0]:
        raise MXNetValueError(
            f"{op_name}: labels of length {label[1]} (label {shape_str(label)}) cannot exceed "
            f"the {data[0]} time steps of data {shape_str(data)}"
        )
    for name, shape in lengths:
        if shape is not None and is_known(shape) and tuple(shape) != (data[1],):
            raise MXNetValueError(
                f"{op_name}: {name} has shape {shape_str(shape)}; expected ({data[1]},), one "
                f"per sequence of data {shape_str(data)}"
            )


class _Prepared:
    """The per-call tables: extended labels and their log-probabilities over time."""

    def __init__(self, xp, op_name, p, data, label, data_lengths, label_lengths):
        steps, batch, alphabet = data.shape
        blank = 0 if p.blank_label == "first" else alphabet - 1
        # MXNet rounds label values and lengths to the nearest integer.
        classes = xp.rint(label).astype(np.int64)
        width = classes.shape[1]
        if label_lengths is not None:
            label_count = xp.rint(label_lengths).astype(np.int64)
        else:
            padding = classes == (0 if p.blank_label == "first" else -1)
            first_pad = xp.where(padding.any(axis=1), padding.argmax(axis=1), width)
            label_count = first_pad.astype(np.int64)
        if data_lengths is not None:
            time_count = xp.rint(data_lengths).astype(np.int64)
        else:
            time_count = xp.full((batch,), steps, dtype=np.int64)
        _check_values(op_name, xp, classes, label_count, time_count, width, steps, alphabet)
        # Extended label: blank, l1, blank, l2, ..., blank; positions past 2 * length + 1 are
        # unreachable (their log-probabilities are -inf).
        size = 2 * width + 1
        extended = xp.full((batch, size), blank, dtype=np.int64)
        extended[:, 1::2] = xp.where(classes >= 0, classes, blank)
        positions = xp.arange(size)
        reachable = positions[None, :] < (2 * label_count + 1)[:, None]
        # A path may skip the blank between two different symbols.
        can_skip = xp.zeros((batch, size), dtype=bool)
        can_skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
        self.skip_penalty = xp.where(can_skip, 0.0, _NEG_INF)
        self.log_probs = log_softmax(xp, data.astype(np.float64), 2)
        emissions = xp.take_along_axis(
            self.log_probs, xp.broadcast_to(extended[None], (steps, batch, size)), axis=2
        )
        self.emissions = xp.where(reachable[None], emissions, _NEG_INF)
        self.xp, self.extended, self.alphabet = xp, extended, alphabet
        self.label_count, self.time_count = label_count, time_count

    def alphas(self):
        """log alpha (T, N, S), emission at t included, and log p(label) per sequence."""
        xp, emissions = self.xp, self.emissions
        steps, batch, size = emissions.shape
        alpha = xp.full((steps, batch, size), _NEG_INF)
        if steps == 0:
            return alpha, xp.zeros(batch)
        alpha[0, :, :2] = emissions[0, :, :2]
        shifted = xp.full((batch, size + 2), _NEG_INF)
        with np.errstate(invalid="ignore"):
            for t in range(1, steps):
                shifted[:, 2:] = alpha[t - 1]
                stay_or_step = xp.logaddexp(shifted[:, 2:], shifted[:, 1:-1])
                total = xp.logaddexp(stay_or_step, shifted[:, :-2] + self.skip_penalty)
                alpha[t] = total + emissions[t]
        # The label ends in its last symbol or in the blank after it, at the last time step.
        last_step = xp.clip(self.time_count - 1, 0, None)
        final = alpha[last_step, xp.arange(batch)]
        end = 2 * self.label_count
        ends_in_blank = xp.take_along_axis(final, end[:, None], axis=1)[:, 0]
        ends_in_symbol = xp.take_along_axis(final, xp.clip(end - 1, 0, None)[:, None], axis=1)
        ends_in_symbol = xp.where(end > 0, ends_in_symbol[:, 0], _NEG_INF)
        log_likelihood = xp.logaddexp(ends_in_blank, ends_in_symbol)
        return alpha, xp.where(self.time_count > 0, log_likelihood, 0.0)

    def betas(self):
        """log beta (T, N, S): emissions after t, given the path is at s at time t."""
        xp, emissions = self.xp, self.emissions
        steps, batch, size = emissions.shape
        beta = xp.full((steps, batch, size), _NEG_INF)
        end = 2 * self.label_count
        start = xp.full((batch, size), _NEG_INF)
        positions = xp.arange(size)[None, :]
        start[(positions == end[:, None]) | (positions == end[:, None] - 1)] = 0.0
        # skip_penalty[s] allows s - 2 -> s; here s -> s + 2 reads it at s + 2.
        skip_ahead = xp.full((batch, size + 2), _NEG_INF)
        skip_ahead[:, :-2] = self.skip_penalty
        ahead = xp.full((batch, size + 2), _NEG_INF)
        with np.errstate(invalid="ignore"):
            for t in range(steps - 1, -1, -1):
                is_last = (self.time_count - 1 == t)[:, None]
                if t + 1 < steps:
                    ahead[:, :-2] = beta[t + 1] + emissions[t + 1]
                    stay_or_step = xp.logaddexp(ahead[:, :-2], ahead[:, 1:-1])
                    following = xp.logaddexp(stay_or_step, ahead[:, 2:] + skip_ahead[:, 2:])
                else:
                    following = start
                inside = (t < self.time_count - 1)[:, None]
                beta[t] = xp.where(is_last, start, xp.where(inside, following, _NEG_INF))
        return beta

    def data_gradient(self):
        """d loss / d data (T, N, C) and the loss; 0 for infeasible labels and past lengths."""
        xp = self.xp
        alpha, log_likelihood = self.alphas()
        beta = self.betas()
        feasible = xp.isfinite(log_likelihood) & (self.time_count > 0)
        safe = xp.where(feasible, log_likelihood, 0.0)
        with np.errstate(invalid="ignore"):
            occupancy = xp.exp(alpha + beta - safe[None, :, None])
        occupancy = xp.where(xp.isnan(occupancy), 0.0, occupancy)
        # Sum the occupancy of the positions of each symbol: (N, T, S) @ (N, S, C).
        symbols = self.extended[:, :, None] == xp.arange(self.alphabet)
        per_class = xp.matmul(occupancy.transpose(1, 0, 2), symbols.astype(np.float64))
        grad = xp.exp(self.log_probs) - per_class.transpose(1, 0, 2)
        steps = xp.arange(grad.shape[0])[:, None]
        active = (steps < self.time_count[None, :]) & feasible[None, :]
        return xp.where(active[:, :, None], grad, 0.0), xp.where(feasible, -log_likelihood, 0.0)


def _check_values(op_name, xp, classes, label_count, time_count, width, steps, alphabet):
    """Raise on lengths outside their axes and on label values outside the alphabet."""
    if bool(((label_count < 0) | (label_count > width)).any()):
        raise MXNetValueError(
            f"{op_name}: label_lengths must lie in [0, {width}] (the label's width), got "
            f"{label_count.tolist()}"
        )
    if bool(((time_count < 0) | (time_count > steps)).any()):
        raise MXNetValueError(
            f"{op_name}: data_lengths must lie in [0, {steps}] (the data's time steps), got "
            f"{time_count.tolist()}"
        )
    used = xp.arange(width)[None, :] < label_count[:, None]
    if bool((used & ((classes < 0) | (classes >= alphabet))).any()):
        raise MXNetValueError(
            f"{op_name}: label values must lie in [0, {alphabet}) (the alphabet of data's last "
            f"axis) within each label's length"
        )


@register("CTCLoss", aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"))
class CTCLoss(Op):
    """Return the CTC loss of each sequence, of shape (batch,).

    ``data`` (time, batch, alphabet) holds unnormalised scores (softmax is applied inside),
    ``label`` (batch, max length) the label sequences, ending at the first padding value
    (0 with ``blank_label='first'``, where blank is 0; -1 with ``'last'``, where blank is the
    last label) or after ``label_lengths`` (``use_label_lengths``). ``data_lengths``
    (``use_data_lengths``) gives each sequence's time steps. All inputs share the data's
    dtype; values are rounded to integers. A label no alignment can produce has loss 0 and
    gradient 0, as in MXNet.

    >>> mx.nd.CTCLoss(mx.nd.zeros((2, 1, 2)), mx.nd.array([[1.0]]))
    <BLANKLINE>
    [0.2876821]
    <NDArray 1 @cpu(0)>
    """

    inputs = ("data", "label", "data_lengths", "label_lengths")
    params = _ctc_params()
    saves = ("data", "label", "data_lengths", "label_lengths")

    def arguments(self, p):
        return _arguments(p, ())

    def output_names(self, p):
        # MXNet's CTCLoss has a hidden gradient output, so its visible one is "output0".
        return ("output0",)

    def infer_shape(self, p, data, label, *lengths):
        named = list(zip(self.arguments(p)[2:], lengths))
        _check_shapes(self.name, p, data, label, named)
        if not is_known(data) or not is_known(label):
            return None
        batch = (data[1],)
        return (data, label) + (batch,) * len(lengths), (batch,)

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        refuse_integers(self.name, dtype)
        if dtype is None:
            return None
        return (dtype,) * len(dtypes), (dtype,)

    def forward(self, xp, p, data, label, *lengths, out=None):
        prepared = _Prepared(xp, self.name, p, data, label, *_split_lengths(p, lengths))
        _, log_likelihood = prepared.alphas()
        feasible = xp.isfinite(log_likelihood)
        loss = xp.where(feasible, -log_likelihood, 0.0)
        return into(xp, loss.astype(data.dtype), out)

    def gradient(self, p, F, inputs, outputs, dy):
        grad = F._backward_ctc_loss(dy[0], *inputs, **changed_params(self.params, p))
        return (grad,) + (None,) * (len(inputs) - 1)


def _split_lengths(p, lengths):
    """(data_lengths or None, label_lengths or None) from the optional inputs given."""
    remaining = list(lengths)
    data_lengths = remaining.pop(0) if p.use_data_lengths else None
    label_lengths = remaining.pop(0) if p.use_label_lengths else None
    return data_lengths, label_lengths


@register("_backward_ctc_loss")
class CTCLossBackward(Op):
    """The gradient of CTCLoss's data: ``ograd[n] * (softmax(data) - occupancy)`` per sequence,
    from the loss gradient ``ograd`` (batch,) and CTCLoss's inputs and parameters."""

    inputs = ("ograd", "data", "label", "data_lengths", "label_lengths")
    params = _ctc_params()
    differentiable = False

    def arguments(self, p):
        return _arguments(p, ("ograd",))

    def infer_shape(self, p, ograd, data, label, *lengths):
        if not is_known(data) or label is None:
            return None
        batch = (data[1],)
        return (batch, data, label) + (batch,) * len(lengths), (data,)

    def infer_type(self, p, *dtypes):
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        if dtype is None:
            return None
        return (dtype,) * len(dtypes), (dtype,)

    def forward(self, xp, p, ograd, data, label, *lengths, out=None):
        prepared = _Prepared(xp, self.name, p, data, label, *_split_lengths(p, lengths))
        grad, _ = prepared.data_gradient()
        grad *= ograd.astype(np.float64)[None, :, None]
        return into(xp, grad.astype(data.dtype), out)
