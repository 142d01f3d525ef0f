"""``mx.test_utils``: assertions with MXNet's per-dtype tolerances, numeric gradient checks and
random helpers for tests.

The tolerances, names and signatures are MXNet 1.9.1's, so existing MXNet test suites run
unchanged. ``check_numeric_gradient`` (in ``neomx.gradient_check``) takes an operator or a
Python function of NDArrays.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from .base import MXNetNotImplementedError, MXNetTypeError, MXNetValueError
from .context import Context, _ctx_stack, current_context

__all__ = [
    "default_rtols",
    "default_atols",
    "default_numeric_eps",
    "get_tols",
    "almost_equal",
    "assert_almost_equal",
    "same",
    "assert_exception",
    "rand_ndarray",
    "rand_shape_2d",
    "rand_shape_3d",
    "rand_shape_nd",
    "default_context",
    "set_default_context",
    "environment",
    "check_numeric_gradient",
]

_INTEGER_KINDS = "biu"


def default_rtols() -> dict:
    """Return MXNet 1.9.1's default relative tolerance per dtype.

    >>> default_rtols()[np.dtype('float16')]
    0.01
    """
    rtols = {np.dtype("float16"): 1e-2, np.dtype("float32"): 1e-4, np.dtype("float64"): 1e-5}
    rtols.update({np.dtype(name): 0 for name in _EXACT_DTYPES})
    return rtols


def default_atols() -> dict:
    """Return MXNet 1.9.1's default absolute tolerance per dtype.

    >>> default_atols()[np.dtype('float32')]
    0.001
    """
    atols = {np.dtype("float16"): 1e-1, np.dtype("float32"): 1e-3, np.dtype("float64"): 1e-20}
    atols.update({np.dtype(name): 0 for name in _EXACT_DTYPES})
    return atols


_EXACT_DTYPES = ("bool", "int8", "uint8", "int32", "uint32", "int64", "uint64")


def default_numeric_eps() -> dict:
    """Return MXNet 1.9.1's finite-difference step per floating dtype (powers of two).

    >>> default_numeric_eps()[np.dtype('float32')]
    0.001953125
    """
    return {
        np.dtype("float16"): 2.0**-6,
        np.dtype("float32"): 2.0**-9,
        np.dtype("float64"): 2.0**-14,
    }


def _tolerance(arrays, given, defaults, fallback):
    """A tolerance: ``given`` if a number, else the loosest default over the arrays' dtypes."""
    if given is not None and not isinstance(given, dict):
        return given
    table = defaults if given is None else {np.dtype(k): v for k, v in given.items()}
    found = [table[a.dtype] for a in arrays if isinstance(a, np.ndarray) and a.dtype in table]
    return max(found) if found else fallback


def get_tols(x, y, rtol, atol):
    """Return ``(rtol, atol)`` for comparing ``x`` and ``y``: explicit values win, otherwise
    the loosest per-dtype default of the two (float64's when neither dtype is in the table).

    >>> get_tols(np.ones(2, 'float16'), np.ones(2, 'float32'), None, None)
    (0.01, 0.1)
    """
    arrays = (_as_numpy(x), _as_numpy(y))
    return (
        _tolerance(arrays, rtol, default_rtols(), 1e-5),
        _tolerance(arrays, atol, default_atols(), 1e-20),
    )


def _as_numpy(value):
    """A numpy array (or scalar) for an NDArray, numpy array or Python number."""
    from .ndarray import NDArray

    if isinstance(value, NDArray):
        return value.asnumpy()
    if isinstance(value, np.ndarray):
        return value
    return np.asarray(value)


def _errors(a, b, rtol, atol, equal_nan):
    """Per-element error relative to the tolerance: an element passes when its error <= 1."""
    wide_a, wide_b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Equal values (equal infinities included) have no error, whatever the tolerance.
        errors = np.where(
            wide_a == wide_b, 0.0, np.abs(wide_a - wide_b) / (atol + rtol * np.abs(wide_b))
        )
    if equal_nan:
        errors[np.isnan(wide_a) & np.isnan(wide_b)] = 0.0
    # A nan left (compared with a number, or with nan without equal_nan) always fails.
    return np.where(np.isnan(errors), np.inf, errors)


def _pair(a, b, use_broadcast, names):
    a, b = _as_numpy(a), _as_numpy(b)
    if a.shape != b.shape:
        if not use_broadcast:
            raise AssertionError(
                f"Shapes differ: {names[0]} {a.shape} vs {names[1]} {b.shape} (use_broadcast=False)"
            )
        try:
            a, b = np.broadcast_arrays(a, b)
        except ValueError:
            raise AssertionError(
                f"Shapes do not broadcast: {names[0]} {a.shape} vs {names[1]} {b.shape}"
            ) from None
    return a, b


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True) -> bool:
    """Return whether ``|a - b| <= atol + rtol * |b|`` holds everywhere.

    ``rtol``/``atol`` default to the per-dtype values of ``default_rtols``/``default_atols``.

    >>> almost_equal(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    True
    """
    try:
        a, b = _pair(a, b, use_broadcast, ("a", "b"))
    except AssertionError:
        return False
    rtol, atol = get_tols(a, b, rtol, atol)
    return bool(np.all(_errors(a, b, rtol, atol, equal_nan) <= 1))


def assert_almost_equal(
    a,
    b,
    rtol=None,
    atol=None,
    names=("a", "b"),
    equal_nan=False,
    use_broadcast=True,
    mismatches=(10, 10),
) -> None:
    """Raise ``AssertionError`` unless ``|a - b| <= atol + rtol * |b|`` holds everywhere.

    The message gives the largest errors with their locations and values, named by ``names``.
    ``mismatches`` = (how many of the largest errors to print, how many to look for).

    >>> assert_almost_equal(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    >>> assert_almost_equal(np.array([1.0]), np.array([1.5]), names=('x', 'y'))
    Traceback (most recent call last):
    ...
    AssertionError: ...
    """
    a, b = _pair(a, b, use_broadcast, names)
    rtol, atol = get_tols(a, b, rtol, atol)
    errors = _errors(a, b, rtol, atol, equal_nan)
    failed = errors > 1
    if not failed.any():
        return
    raise AssertionError(_mismatch_message(a, b, errors, failed, rtol, atol, names, mismatches))


def _mismatch_message(a, b, errors, failed, rtol, atol, names, mismatches):
    def at(index):
        index = tuple(int(i) for i in index)
        return f"{index}, {names[0]}={a[index]:.8f}, {names[1]}={b[index]:.8f}"

    flat = errors.reshape(-1)
    count = min(int(failed.sum()), mismatches[1])
    worst = np.argsort(-flat, kind="stable")[:count]
    lines = [
        "",
        f"*** Maximum errors for vector of size {errors.size}:  rtol={rtol}, atol={atol}",
        "",
    ]
    for rank, flat_index in enumerate(worst[: mismatches[0]], start=1):
        index = np.unravel_index(flat_index, errors.shape)
        lines.append(f"  {rank}: Error {flat[flat_index]:f}  Location of error: {at(index)}")
    first = np.unravel_index(worst[0], errors.shape)
    lines += [
        "",
        "Items are not equal:",
        f"Error {flat[worst[0]]:f} exceeds tolerance rtol={rtol:e}, atol={atol:e} "
        f"(mismatch {100.0 * failed.mean():f}%).",
        f"Location of maximum error: {at(first)}",
        f" {names[0]}: {np.array2string(a, threshold=100)}",
        f" {names[1]}: {np.array2string(b, threshold=100)}",
    ]
    return "\n".join(lines)


def same(a, b) -> bool:
    """Return whether two arrays have the same shape and elements.

    >>> same(np.array([1, 2]), np.array([1, 2]))
    True
    """
    return bool(np.array_equal(_as_numpy(a), _as_numpy(b)))


def assert_exception(f, exception_type, *args, **kwargs) -> None:
    """Check that ``f(*args, **kwargs)`` raises ``exception_type``.

    >>> assert_exception(int, ValueError, 'x')
    """
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {exception_type.__name__}")


def rand_ndarray(
    shape,
    stype="default",
    density=None,
    dtype=None,
    modifier_func=None,
    shuffle_csr_indices=False,
    distribution=None,
    ctx=None,
):
    """Return an NDArray of standard-normal values (cast to ``dtype``, float32 by default).

    As in MXNet, ``density``, ``modifier_func``, ``shuffle_csr_indices`` and ``distribution``
    only concern sparse storage types.

    >>> rand_ndarray((2, 3)).shape
    (2, 3)
    """
    from .ndarray import array

    if stype != "default":
        # TODO(neomx): sparse storage types (row_sparse, csr); issue: sparse.
        raise MXNetNotImplementedError(f"rand_ndarray: stype {stype!r} is not supported yet")
    values = np.random.randn(*_shape_tuple(shape))
    return array(values, ctx=ctx or default_context(), dtype=dtype or "float32")


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def _rand_dims(limits, allow_zero_size):
    low = 0 if allow_zero_size else 1
    return tuple(int(np.random.randint(low, limit + 1)) for limit in limits)


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False) -> tuple:
    """Return a random shape of ``num_dim`` dimensions, each in [1, dim] ([0, dim] with
    ``allow_zero_size``).

    >>> len(rand_shape_nd(4))
    4
    """
    return _rand_dims((dim,) * num_dim, allow_zero_size)


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False) -> tuple:
    """Return a random 2-D shape with dimensions up to ``dim0`` and ``dim1``.

    >>> all(1 <= d <= 3 for d in rand_shape_2d(3, 3))
    True
    """
    return _rand_dims((dim0, dim1), allow_zero_size)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False) -> tuple:
    """Return a random 3-D shape with dimensions up to ``dim0``, ``dim1`` and ``dim2``.

    >>> len(rand_shape_3d())
    3
    """
    return _rand_dims((dim0, dim1, dim2), allow_zero_size)


def default_context() -> Context:
    """Return the context tests run on: the current default context.

    >>> default_context()
    cpu(0)
    """
    return current_context()


def set_default_context(ctx: Context) -> None:
    """Make ``ctx`` the default context of this thread (what ``current_context`` returns
    outside ``with ctx:`` blocks).

    >>> set_default_context(mx.cpu(0))
    """
    if not isinstance(ctx, Context):
        raise MXNetTypeError(f"set_default_context: expected a Context, got {type(ctx).__name__}")
    # NOTE: context.py keeps the thread's contexts as a stack whose top is current; the
    # default set here lives at its bottom, below every ``with`` block.
    stack = _ctx_stack()
    if getattr(Context._local, "default_set", False):
        stack[0] = ctx
    else:
        stack.insert(0, ctx)
        Context._local.default_set = True


@contextlib.contextmanager
def environment(*args):
    """Set environment variables for the duration of a ``with`` block (or a decorated
    function), then restore them. Give ``name, value`` or a dict ``{name: value}``; a value
    of None unsets the variable.

    Flags that neomx reads once at import (``MXNET_ENGINE_TYPE``) are not re-read.

    >>> with environment('NEOMX_EXAMPLE', '1'):
    ...     os.environ['NEOMX_EXAMPLE']
    '1'
    >>> 'NEOMX_EXAMPLE' in os.environ
    False
    """
    if len(args) == 2:
        settings = {args[0]: args[1]}
    elif len(args) == 1 and isinstance(args[0], dict):
        settings = dict(args[0])
    else:
        raise MXNetValueError("environment: expected (name, value) or a dict {name: value}")
    saved = {name: os.environ.get(name) for name in settings}
    try:
        for name, value in settings.items():
            _set_env(name, value)
        yield
    finally:
        for name, value in saved.items():
            _set_env(name, value)


def _set_env(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


# At the end: gradient_check uses the assertions above.
from .gradient_check import check_numeric_gradient  # noqa: E402
