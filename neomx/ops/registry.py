"""The operator registry: one definition per operator drives nd, sym, autograd and executors."""

from __future__ import annotations

import inspect

from ..base import MXNetError, MXNetNotImplementedError, MXNetValueError, _Null
from .infer import concrete_shapes, shape_str, unify, unify_dtype
from .params import Params

__all__ = ["Op", "register", "lookup", "all_ops", "REGISTRY"]

REGISTRY: dict[str, Op] = {}


class Op:
    """Base of every operator. Subclasses override what differs from an elementwise op.

    Attributes
    ----------
    name, aliases : the MXNet name and alternative names (set by ``register``).
    params : the typed parameters.
    inputs : input names; ``arguments(p)`` may narrow them per call (``no_bias``).
    variadic : inputs are given as ``*args`` (``concat``, ``add_n``).
    differentiable : whether ``gradient`` exists.
    mutates : inputs written in place as well as read (optimizer states).
    auxiliary : inputs that are auxiliary states (BatchNorm's moving statistics).
    """

    name = ""
    aliases: tuple[str, ...] = ()
    params = Params()
    inputs: tuple[str, ...] = ("data",)
    variadic = False
    differentiable = True
    # Per-call values the forward kernel takes as keyword arguments: "is_train" (autograd's
    # training flag, or the executor's) and "rng" (the context's random generator).
    runtime: tuple[str, ...] = ()
    # What the gradient reads: None = every input and output; else input names and/or
    # "outputs". Autograd keeps only these alive (the rest as shape and dtype).
    saves: tuple[str, ...] | None = None
    # Operators that create arrays from parameters alone take ctx/dtype from params.
    creates = False
    # Names of inputs the forward kernel also writes in place (MXNet's FMutateInputs), such
    # as an optimizer's ``mom``: invoke makes the engine treat them as written (later readers
    # wait for the update) and bumps their version. Such operators define no direct_kernel.
    mutates: tuple[str, ...] = ()
    # Names among ``mutates`` that MXNet's kernel overwrites without declaring them mutable
    # (``_adamw_update`` writes the rescaled gradient into grad): engine writes all the same,
    # but a Symbol lists them as arguments, not auxiliary states, as MXNet does.
    undeclared_writes: tuple[str, ...] = ()
    # Names of inputs that are auxiliary states (MXNet's ListAuxiliaryStates): state the
    # operator keeps across calls, such as BatchNorm's moving statistics, rather than values
    # it is a function of. ``arguments(p)`` still lists them (they are inputs of the call);
    # Symbol.list_auxiliary_states lists them and list_arguments leaves them out. They get no
    # gradient, and the tape keeps them live: a gradient that reads one sees its value at
    # backward time, without autograd's check for arrays written after recording.
    auxiliary: tuple[str, ...] = ()
    # Positions of the inputs whose buffer the first output may be written into when a
    # planned executor finds the input otherwise dead (same shape and dtype): elementwise
    # kernels that are a single ufunc call or finish reading the inputs before writing.
    inplace: tuple[int, ...] = ()
    # True for a device copy: its outputs live on the ``ctx`` parameter's device, not on the
    # inputs' (``as_in_context`` under autograd records such a copy).
    moves_to_ctx = False
    # False when shape/dtype inference ignores the parameters (scalar ops): memoised
    # inference then serves every parameter value.
    infer_uses_params = True

    def arguments(self, p) -> tuple[str, ...]:
        """The input names for parameters ``p`` (``list_arguments`` order)."""
        return self.inputs

    def mutated_inputs(self, p) -> tuple[int, ...]:
        """Positions, among ``arguments(p)``, of the inputs named in ``mutates``."""
        return tuple(i for i, name in enumerate(self.arguments(p)) if name in self.mutates)

    def num_outputs(self, p) -> int:
        return 1

    def num_visible_outputs(self, p) -> int:
        """Outputs a caller sees; the rest (a dropout mask) only feed the gradient."""
        return self.num_outputs(p)

    def output_names(self, p) -> tuple[str, ...]:
        n = self.num_outputs(p)
        return ("output",) if n == 1 else tuple(f"output{i}" for i in range(n))

    def infer_shape(self, p, *shapes):
        """Return ``(input_shapes, output_shapes)``, or None while too little is known.

        The default fits elementwise operators: all inputs and the output share one shape.
        """
        merged = None
        for name, shape in zip(self.arguments(p), shapes):
            merged = unify(self.name, name, shape, merged) if merged is not None else shape
        if merged is None:
            return None
        # A partly known shape (0 = unknown) still completes the others, as in MXNet.
        return (merged,) * len(shapes), (merged,) * self.num_outputs(p)

    def infer_shape_from_outputs(self, p, shapes, out_shapes):
        """Return the input shapes completed from known output shapes, or None (the default).

        Graph inference calls it when some output's shape is known, as MXNet's Reshape and
        ``_rnn_param_concat`` infer an input's unknown dimension from their output's size.
        """
        return None

    def infer_type(self, p, *dtypes):
        """Return ``(input_dtypes, output_dtypes)``; the default: all share one dtype."""
        dtype = unify_dtype(self.name, self.arguments(p), dtypes)
        if dtype is None:
            return None
        return (dtype,) * len(dtypes), (dtype,) * self.num_outputs(p)

    def forward(self, xp, p, *inputs, out=None):
        raise MXNetNotImplementedError(f"{self.name}: no forward kernel")

    def direct_kernel(self, xp):
        """A ``kernel(p, *arrays) -> array`` that cannot fail once inference passed, or None.

        Memoised plans call it directly for small outputs, skipping the general path.
        """
        return None

    def gradient(self, p, F, inputs, outputs, dy):
        """Return the gradients of the inputs given output gradients ``dy`` (a tuple)."""
        raise MXNetError(f"{self.name}: operator is not differentiable")

    def check_shapes(self, p, shapes):
        """Infer output shapes from fully known input shapes (the imperative path)."""
        with concrete_shapes():
            result = self.infer_shape(p, *shapes)
        if result is None:
            given = ", ".join(f"{n}={shape_str(s)}" for n, s in zip(self.arguments(p), shapes))
            raise MXNetValueError(f"{self.name}: cannot infer the output shape from {given}")
        inferred, out_shapes = result
        for name, have, want in zip(self.arguments(p), shapes, inferred):
            if want is not None and tuple(have) != tuple(want):
                raise MXNetValueError(
                    f"{self.name}: {name} has shape {shape_str(have)}; expected {shape_str(want)}"
                )
        return out_shapes

    def signature(self) -> inspect.Signature:
        """The Python signature of ``mx.nd.<name>``."""
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        parameters = []
        if self.variadic:
            parameters.append(inspect.Parameter("data", inspect.Parameter.VAR_POSITIONAL))
            kind = inspect.Parameter.KEYWORD_ONLY
        else:
            parameters += [inspect.Parameter(n, kind, default=None) for n in self.inputs]
        parameters += [inspect.Parameter(n, kind, default=_Null) for n in self.params]
        parameters.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
        parameters.append(inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None))
        parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
        return inspect.Signature(parameters)

    def docstring(self) -> str:
        """The generated docstring: the Op's own text plus a NumPy-style parameter list."""
        lines = [inspect.cleandoc(type(self).__doc__ or self.name), "", "Parameters", "----------"]
        if self.variadic:
            lines += ["*data : NDArray or Symbol", "    The input arrays."]
        for input_name in self.inputs:
            lines += [f"{input_name} : NDArray or Symbol", "    Input array."]
        for param_name, spec in self.params.fields.items():
            lines.append(f"{param_name} : {spec.describe()}")
            if spec.doc:
                lines.append(f"    {spec.doc}")
        lines += [
            "out : NDArray, optional",
            "    The array to write the result into.",
            "name : str, optional",
            "    The node name (used by Symbol).",
            "",
            "Returns",
            "-------",
            "NDArray or list of NDArrays",
        ]
        if self.aliases:
            lines += ["", "Aliases: " + ", ".join(self.aliases)]
        return "\n".join(lines)


def register(name: str, aliases: tuple[str, ...] = ()):
    """Class decorator: instantiate the Op, name it and enter it (and aliases) in the registry."""

    def wrap(cls):
        op = cls()
        op.name = name
        op.aliases = tuple(aliases)
        op.plans = {}  # memoised inference, see invoke.invoke_nd
        for key in (name, *aliases):
            if key in REGISTRY:
                raise MXNetError(f"operator name {key!r} is registered twice")
            REGISTRY[key] = op
        return cls

    return wrap


def lookup(name: str) -> Op:
    """Return the operator registered under ``name`` (or an alias)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise MXNetValueError(f"no operator named {name!r} is registered") from None


def all_ops() -> dict[str, Op]:
    """Every registered name (aliases included) mapped to its operator."""
    return dict(REGISTRY)
