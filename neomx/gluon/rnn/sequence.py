"""Sequence plumbing shared by the recurrent cells: splitting and joining the time axis,
masking padded steps and reversing sequences of different lengths.

A sequence is either one tensor with a time axis (``layout`` 'NTC' or 'TNC') or a list of
per-step tensors of shape (batch, ...). Every helper works on NDArrays and Symbols alike and
returns the module (``mx.nd`` or ``mx.sym``) it used, so the cells stay free of type checks.
"""

from __future__ import annotations

from ... import ndarray as nd
from ... import symbol as sym
from ...base import MXNetValueError
from ...ndarray.ndarray import NDArray
from ...symbol.symbol import Symbol

__all__ = ["format_sequence", "mask_padded_steps", "reverse_steps", "is_tensor", "layout_axes"]


def is_tensor(value):
    """Whether ``value`` is one NDArray or Symbol (not a list of them)."""
    return isinstance(value, (NDArray, Symbol))


def layout_axes(layout, where="unroll"):
    """The (time axis, batch axis) of ``layout``; refuse anything but 'NTC' and 'TNC'."""
    if layout not in ("NTC", "TNC"):
        raise MXNetValueError(f"{where}: layout must be 'NTC' or 'TNC', got {layout!r}")
    return layout.find("T"), layout.find("N")


def format_sequence(length, inputs, layout, merge, in_layout=None):
    """Bring ``inputs`` into the requested form.

    Returns ``(inputs, time_axis, F, batch_size)``: with ``merge`` False a list of per-step
    tensors, with ``merge`` True one tensor in ``layout``, with ``merge`` None whichever form
    ``inputs`` already had. ``batch_size`` is 0 for Symbols (unknown until bound).
    """
    if inputs is None:
        raise MXNetValueError(
            "unroll: inputs=None is not supported; create the input variables (or arrays) "
            "first and pass them in"
        )
    axis, batch_axis = layout_axes(layout)
    in_axis = in_layout.find("T") if in_layout is not None else axis
    batch_size = 0
    if isinstance(inputs, Symbol):
        F = sym
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise MXNetValueError(
                    "unroll: a grouped Symbol cannot be the input; pass list(inputs) instead"
                )
            inputs = _as_steps(sym.split(inputs, axis=in_axis, num_outputs=length, squeeze_axis=1))
    elif isinstance(inputs, NDArray):
        F = nd
        batch_size = inputs.shape[batch_axis]
        if merge is False:
            steps = inputs.shape[in_axis]
            if length is not None and length != steps:
                raise MXNetValueError(
                    f"unroll: length={length} but the inputs have {steps} steps along axis "
                    f"{in_axis} (layout {layout!r}, shape {inputs.shape})"
                )
            inputs = _as_steps(nd.split(inputs, axis=in_axis, num_outputs=steps, squeeze_axis=1))
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            raise MXNetValueError(
                f"unroll: length={length} but {len(inputs)} per-step inputs were given"
            )
        if isinstance(inputs[0], Symbol):
            F = sym
        else:
            F = nd
            batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if is_tensor(inputs) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def mask_padded_steps(F, data, length, valid_length, time_axis, merge):
    """Zero the steps of ``data`` past each sequence's ``valid_length``; return one tensor
    (``merge``) or the list of steps."""
    if not is_tensor(data):
        data = F.stack(*data, axis=time_axis)
    masked = F.SequenceMask(
        data, sequence_length=valid_length, use_sequence_length=True, axis=time_axis
    )
    if merge:
        return masked
    return _as_steps(F.split(masked, num_outputs=length, axis=time_axis, squeeze_axis=True))


def reverse_steps(steps, length, valid_length=None):
    """The list of per-step tensors in reverse order; with ``valid_length`` each sequence's
    valid steps are reversed in place and its padding stays at the end."""
    F = sym if isinstance(steps[0], Symbol) else nd
    if valid_length is None:
        return list(reversed(steps))
    reversed_ = F.SequenceReverse(
        F.stack(*steps, axis=0), sequence_length=valid_length, use_sequence_length=True
    )
    return _as_steps(F.split(reversed_, axis=0, num_outputs=length, squeeze_axis=True))


def _as_steps(parts):
    """The outputs of ``split`` as a list (one NDArray when there was one step)."""
    if isinstance(parts, NDArray):
        return [parts]
    return list(parts)
