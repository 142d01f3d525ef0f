"""Module-level Symbol helpers of ``mx.sym``: zeros, ones, full, arange, linspace, eye, and the
two-operand functions (pow, maximum, minimum, hypot) that take Symbols or numbers."""

from __future__ import annotations

from numbers import Number

from ..base import MXNetTypeError, MXNetValueError
from .frontend import apply_registered
from .symbol import Symbol

__all__ = [
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "pow",
    "power",
    "maximum",
    "minimum",
    "hypot",
    "histogram",
    "split_v2",
]


def _make(op_name, name=None, attr=None, inputs=(), hint=None, **params):
    # MXNet's wrappers pass dtype explicitly (float32 unless given), so it shows in attrs.
    if "dtype" in params and params["dtype"] is None:
        params["dtype"] = "float32"
    given = {k: v for k, v in params.items() if v is not None}
    return apply_registered(op_name, hint or op_name.lower(), inputs, given, name, attr)


def zeros(shape, dtype=None, **kwargs):
    """Return a Symbol of zeros of ``shape`` (float32 unless ``dtype``)."""
    return _make("_zeros", shape=shape, dtype=dtype, **kwargs)


def ones(shape, dtype=None, **kwargs):
    """Return a Symbol of ones of ``shape``."""
    return _make("_ones", shape=shape, dtype=dtype, **kwargs)


def full(shape, val, dtype=None, **kwargs):
    """Return a Symbol of ``shape`` filled with ``val``."""
    return _make("_full", shape=shape, value=float(val), dtype=dtype, **kwargs)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    """Return evenly spaced values in [start, stop), each repeated ``repeat`` times."""
    return _make(
        "_arange",
        name=name,
        start=start,
        stop=stop,
        step=step,
        repeat=repeat,
        infer_range=infer_range,
        dtype=dtype,
    )


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    """Return ``num`` evenly spaced values from start to stop."""
    return _make(
        "_linspace", name=name, start=start, stop=stop, num=num, endpoint=endpoint, dtype=dtype
    )


def eye(N, M=0, k=0, dtype=None, **kwargs):  # noqa: N803 - MXNet's names
    """Return a 2-D Symbol with ones on diagonal ``k``."""
    return _make("_eye", N=N, M=M, k=k, dtype=dtype, **kwargs)


def _two_operands(name, symbols_op, scalar_op, reflected_op, python):
    # MXNet calls the CamelCase aliases (_internal._PowerScalar), so nodes are named after
    # them: _powerscalar0, _maximumscalar0.
    def hint(op_name):
        return "_" + op_name[1:].replace("_", "")

    def function(left, right):
        if isinstance(left, Symbol) and isinstance(right, Symbol):
            return _make(symbols_op, inputs=(left, right), hint=hint(symbols_op))
        if isinstance(left, Symbol) and isinstance(right, Number):
            return _make(scalar_op, inputs=(left,), scalar=right, hint=hint(scalar_op))
        if isinstance(left, Number) and isinstance(right, Symbol):
            return _make(reflected_op, inputs=(right,), scalar=left, hint=hint(reflected_op))
        if isinstance(left, Number) and isinstance(right, Number):
            return python(left, right)
        raise MXNetTypeError(
            f"{name}: operands must be Symbols or numbers, got {type(left).__name__} and "
            f"{type(right).__name__}"
        )

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Apply ``{symbols_op}`` elementwise to Symbols or numbers."
    return function


pow = _two_operands("pow", "_power", "_power_scalar", "_rpower_scalar", lambda a, b: a**b)  # noqa: A001
power = pow
maximum = _two_operands("maximum", "_maximum", "_maximum_scalar", "_maximum_scalar", max)
minimum = _two_operands("minimum", "_minimum", "_minimum_scalar", "_minimum_scalar", min)
hypot = _two_operands(
    "hypot", "_hypot", "_hypot_scalar", "_hypot_scalar", lambda a, b: (a * a + b * b) ** 0.5
)


def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002 - MXNet's name
    """Count the values of ``a`` in bins: ``bins`` equal-width bins over ``range`` (required for
    Symbols), or a Symbol of bin edges. The node's outputs are (counts, bin edges)."""
    if isinstance(bins, Symbol):
        return _make("_histogram", inputs=(a, bins), hint="_histogram", **kwargs)
    if isinstance(bins, Number) and not isinstance(bins, bool):
        if range is None:
            raise MXNetValueError("histogram: a Symbol histogram needs range=(low, high)")
        return _make("_histogram", inputs=(a,), bin_cnt=int(bins), range=range, **kwargs)
    raise MXNetValueError(
        f"histogram: bins must be an int or a Symbol of bin edges, got {type(bins).__name__}"
    )


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split ``ary`` along ``axis`` as ``numpy.split`` does: into N equal parts, or at the
    increasing positions of a tuple."""
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        indices, sections = [], indices_or_sections
    elif isinstance(indices_or_sections, tuple):
        indices, sections = [0, *indices_or_sections], 0
    else:
        raise MXNetValueError(
            "split_v2: indices_or_sections must be an int or a tuple of ints, got "
            f"{type(indices_or_sections).__name__}"
        )
    return _make(
        "_split_v2",
        inputs=(ary,),
        indices=tuple(indices),
        axis=axis,
        squeeze_axis=squeeze_axis,
        sections=sections,
    )
