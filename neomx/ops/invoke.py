"""The one call path of every operator: parse params -> infer -> push forward -> wrap.

``invoke`` dispatches on what flows in: NDArrays run now (through the engine); other kinds of
input (Symbols) are handed to the handler their module registers in ``FRONTENDS``.
"""

from __future__ import annotations

from .. import engine as _engine
from ..base import POOL_MIN_BYTES, MXNetError, MXNetTypeError, MXNetValueError
from ..context import common_context, current_context
from ..rng import generator
from ..storage import alloc
from .infer import shape_str

__all__ = ["invoke", "invoke_nd", "invoke_all", "FRONTENDS", "set_array_type"]

# type -> handler(op, inputs, p, given, out, name) for non-NDArray inputs (Symbol registers one).
FRONTENDS: dict = {}
_array_type = None
_wrap = None


class _NoTape:
    recording = False


# The autograd tape (neomx.autograd installs itself with ``set_tape``): ``active[0]`` counts
# the threads recording, ``state.recording`` is this thread's record() flag,
# ``record_call(op, p, inputs, outputs)`` adds a node and ``check_writable(op, outs)``
# refuses out= writes into arrays already on the tape.
_tape_active = [0]
_tape_state = _NoTape()
_tape = None


def set_tape(tape) -> None:
    """Called by neomx.autograd: the module that records operator calls."""
    global _tape, _tape_state, _tape_active
    _tape = tape
    _tape_state = tape.state
    _tape_active = tape.active


def set_array_type(cls) -> None:
    """Called by neomx.ndarray: the class of results and its constructor ``_wrap``."""
    global _array_type, _wrap
    _array_type = cls
    _wrap = cls._wrap


def invoke(op, inputs, p, given=None, out=None, name=None):
    """Run ``op`` on ``inputs`` with parsed params ``p``; return an NDArray or a list of them.

    ``given`` holds the explicitly passed parameters (what a Symbol node records).
    """
    for x in inputs:
        if type(x) is not _array_type:
            handler = FRONTENDS.get(type(x))
            if handler is not None:
                return handler(op, inputs, p, given, out, name)
    return invoke_nd(op, inputs, p, out)


def _ctx_of(op, inputs, p):
    if op.moves_to_ctx and p.ctx is not None:
        return p.ctx
    if inputs:
        first = inputs[0]._ctx.compute_ctx
        for x in inputs:
            if x._ctx is not first and x._ctx.compute_ctx != first:
                return common_context(op.name, [y._ctx for y in inputs])
        return first
    ctx = getattr(p, "ctx", None) if op.creates else None
    return ctx if ctx is not None else current_context()


def invoke_nd(op, inputs, p, out=None):
    """Run ``op`` on NDArrays now (through the engine) and return the result array(s)."""
    # Hot path: inference is a pure function of (params, shapes, dtypes, array type), so its
    # result is memoised per operator as a plan; a plan with a direct kernel (small single
    # output, no failure mode) skips straight to it, and the tape records the call after it.
    if out is not None:
        return _invoke_general(op, inputs, p, out)
    n_inputs = len(inputs)
    result = None
    try:
        if n_inputs == 2:
            lhs, rhs = inputs
            ldata, rdata = lhs._data, rhs._data
            plan = op.plans.get(
                (p if op.infer_uses_params else None,
                 ldata.shape, rdata.shape, ldata.dtype, rdata.dtype, type(ldata))
            )
            if plan is not None and plan.kernel is not None and _engine.current.is_sync:
                ctx = lhs._ctx
                if rhs._ctx is ctx:
                    result = _wrap(plan.kernel(p, ldata, rdata), ctx._host or ctx, None)
        elif n_inputs == 1:
            data = inputs[0]._data
            plan = op.plans.get(
                (p if op.infer_uses_params else None, data.shape, data.dtype, type(data))
            )
            if plan is not None and plan.kernel is not None and _engine.current.is_sync:
                ctx = inputs[0]._ctx
                result = _wrap(plan.kernel(p, data), ctx._host or ctx, None)
    except AttributeError:
        pass
    if result is None:
        return _invoke_general(op, inputs, p, out)
    if _tape_active[0] and _tape_state.recording:
        _tape.record_call(op, p, inputs, (result,))
    return result


def invoke_all(op, inputs, p):
    """Run ``op`` on NDArrays and return all its outputs as a list, hidden ones (a dropout
    mask) included: the ``outputs`` that ``op.gradient`` reads (numeric gradient checks)."""
    return _invoke_general(op, inputs, p, None, all_outputs=True)


class _Plan:
    """The memoised inference of one call signature: output shapes, dtypes, direct kernel."""

    __slots__ = ("shapes", "dtypes", "kernel")

    def __init__(self, shapes, dtypes, kernel):
        self.shapes = shapes
        self.dtypes = dtypes
        self.kernel = kernel


_MAX_PLANS = 4096


def _plan(op, inputs, p, xp):
    shapes = [x._data.shape for x in inputs]
    dtypes = [x._data.dtype for x in inputs]
    array_type = type(inputs[0]._data) if inputs else None
    key = (p if op.infer_uses_params else None, *shapes, *dtypes, array_type)
    found = op.plans.get(key)
    if found is not None:
        return found
    out_shapes = op.check_shapes(p, shapes)
    out_types = op.infer_type(p, *dtypes)[1]
    small = len(out_shapes) == 1 and _nbytes(out_shapes[0], out_types[0]) < POOL_MIN_BYTES
    kernel = op.direct_kernel(xp) if small and 1 <= len(inputs) <= 2 and not op.mutates else None
    found = _Plan(tuple(out_shapes), tuple(out_types), kernel)
    if len(op.plans) >= _MAX_PLANS:
        op.plans.clear()
    op.plans[key] = found
    return found


def _nbytes(shape, dtype):
    count = dtype.itemsize
    for dim in shape:
        count *= dim
    return count


def _run(op, xp, p, datas, out, inputs, extras=None):
    try:
        if extras:
            return op.forward(xp, p, *datas, out=out, **extras)
        return op.forward(xp, p, *datas, out=out)
    except Exception as err:
        if type(err).__module__.startswith("neomx"):
            raise
        raise _kernel_error(op, inputs, err) from err


def _invoke_general(op, inputs, p, out, all_outputs=False):
    for i, x in enumerate(inputs):
        if not isinstance(x, _array_type):
            names = op.arguments(p)
            raise MXNetTypeError(
                f"{op.name}: input '{names[i] if i < len(names) else i}' must be an NDArray, "
                f"got {type(x).__name__}"
            )
    ctx = _ctx_of(op, inputs, p)
    xp = ctx.xp
    plan = _plan(op, inputs, p, xp)
    out_shapes, out_types = plan.shapes, plan.dtypes
    n_out = len(out_shapes)
    n_visible = op.num_visible_outputs(p)
    outs = None
    if out is not None:
        visible = _check_out(op, out, out_shapes[:n_visible], out_types[:n_visible], ctx)
        hidden = _alloc(ctx, out_shapes[n_visible:], out_types[n_visible:])
        outs = visible + tuple(_wrap(b, ctx, c) for b, c in zip(*hidden))
    extras = _runtime_args(op, ctx) if op.runtime else None
    recording = _tape_state.recording
    # Inputs the kernel writes in place (optimizer states) are written arrays like out=.
    mutated = [inputs[i] for i in op.mutated_inputs(p)] if op.mutates else []
    written = mutated + list(outs) if outs is not None else mutated
    if written:
        if recording:
            _tape.check_writable(op, written)
        for o in written:
            if o._version is not None:
                o._version[0] += 1
    eng = _engine.current
    if not eng.is_sync:
        arrays = _push(eng, op, inputs, p, ctx, xp, out_shapes, out_types, outs, extras, mutated)
        if recording:
            _tape.record_call(op, p, inputs, arrays)
        return arrays if all_outputs else arrays[0] if n_visible == 1 else arrays[:n_visible]
    datas = [x._data for x in inputs]
    if outs is not None:
        bufs = tuple(o._data for o in outs)
        chunks = None
    else:
        bufs, chunks = _alloc(ctx, out_shapes, out_types, pooled_only=True)
    result = _run(op, xp, p, datas, bufs[0] if n_out == 1 else bufs, inputs, extras)
    results = (result,) if n_out == 1 else tuple(result)
    if outs is not None:
        for o, r in zip(outs, results):
            if r is not o._data:
                xp.copyto(o._data, r, casting="unsafe")
        arrays = list(outs)
    else:
        arrays = [
            _wrap(r, ctx, chunk if r is buf else None)
            for r, buf, chunk in zip(results, bufs, chunks)
        ]
    if recording:
        _tape.record_call(op, p, inputs, arrays)
    return arrays if all_outputs else arrays[0] if n_visible == 1 else arrays[:n_visible]


def _runtime_args(op, ctx):
    """The per-call values an operator asks for in ``op.runtime`` (training flag, generator)."""
    extras = {}
    for name in op.runtime:
        if name == "is_train":
            extras[name] = _tape_state.training
        elif name == "rng":
            extras[name] = generator(ctx)
        else:
            raise MXNetError(f"{op.name}: unknown runtime argument {name!r}")
    return extras


def _alloc(ctx, shapes, dtypes, pooled_only=False):
    """Allocate output buffers; with ``pooled_only`` small ones stay None (numpy allocates)."""
    bufs, chunks = [], []
    for shape, dtype in zip(shapes, dtypes):
        buf, chunk = alloc(ctx, shape, dtype, pooled_only)
        bufs.append(buf)
        chunks.append(chunk)
    return tuple(bufs), chunks


def _push(eng, op, inputs, p, ctx, xp, out_shapes, out_types, outs, extras, mutated):
    """Allocate the outputs now and run the kernel on the engine when its inputs are ready.

    ``mutated`` are the inputs the kernel also writes (``op.mutates``): they are engine
    writes as well as reads. Returns the list of all output arrays (hidden ones included).
    """
    if outs is None:
        bufs, chunks = _alloc(ctx, out_shapes, out_types)
        outs = [_wrap(b, ctx, c) for b, c in zip(bufs, chunks)]
    datas = [x._data for x in inputs]
    n_out = len(outs)

    def run():
        # Reaching the buffers through ``outs`` keeps the output arrays alive until the kernel
        # ran, so a dropped output's pooled buffer goes back to the pool only once it is free.
        bufs = tuple(o._data for o in outs)
        result = _run(op, xp, p, datas, bufs[0] if n_out == 1 else bufs, inputs, extras)
        for buf, r in zip(bufs, (result,) if n_out == 1 else result):
            if r is not buf:
                xp.copyto(buf, r, casting="unsafe")

    reads = [x._engine_var() for x in inputs]
    writes = [o._engine_var() for o in outs] + [x._engine_var() for x in mutated]
    eng.push(run, reads, writes, ctx, op.name)
    return list(outs)


def _check_out(op, out, out_shapes, out_types, ctx):
    outs = tuple(out) if isinstance(out, (list, tuple)) else (out,)
    if len(outs) != len(out_shapes):
        raise MXNetValueError(f"{op.name}: out= needs {len(out_shapes)} array(s), got {len(outs)}")
    for o, shape, dtype in zip(outs, out_shapes, out_types):
        if o._data.shape != tuple(shape):
            raise MXNetValueError(
                f"{op.name}: out has shape {shape_str(o._data.shape)}; "
                f"the result has shape {shape_str(shape)}"
            )
        # Inputs all on cpu_pinned(0) run on that context; an out= on cpu(0) shares the host.
        if o._ctx.compute_ctx != ctx.compute_ctx:
            raise MXNetValueError(f"{op.name}: out is on {o._ctx}, but the inputs are on {ctx}")
        if o._data.dtype != dtype:
            raise MXNetTypeError(
                f"{op.name}: out has dtype {o._data.dtype}; the result has dtype {dtype}"
            )
    return tuple(outs)


def _kernel_error(op, inputs, err):
    shapes = ", ".join(shape_str(x._data.shape) for x in inputs)
    return MXNetError(f"{op.name}: failed on inputs of shape {shapes}: {type(err).__name__}: {err}")
