"""The operator case tables' format: what the harness tests and tools/make_golden.py records.

This module and the ``cases_*.py`` tables import only numpy (make_golden runs them in the
MXNet 1.9.1 venv, under numpy < 1.24). A table registers cases with ``add``:

    add("broadcast_add",
        Case(floats((2, 3), (1, 3)), reference=np.add),
        Case(ints((2, 3), (2, 3)), label="int32"))          # golden only: MXNet is the reference

Every ``cases_*.py`` module next to this one is loaded, so a new operator family only needs a
new table file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

CASES: dict[str, list[Case]] = {}
ERRORS: dict[str, list[ErrorCase]] = {}
# Operators whose inputs may differ in dtype (only one input's values matter).
MIXED_DTYPES_OK: set[str] = set()
# Operators that only neomx has (no golden file can exist).
NEOMX_ONLY: set[str] = set()
# Operators whose outputs are random draws (cases_random.py). Their case references give only
# the expected shapes and dtypes: the harness compares those, never values, and checks that
# mx.random.seed reproduces a draw; golden files hold MXNet's shapes, dtypes and errors; no
# numeric gradient is taken. tests/ndarray/test_random.py checks the distributions and the
# gradients.
RANDOM: set[str] = set()
# Operators whose gradient is defined rather than derived (BlockGrad: zero; make_loss: ones
# whatever the head gradient), so no numeric difference can check it; the test files that add
# them check those gradients through autograd instead.
GRADIENT_DEFINED: set[str] = set()


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of an operator.

    make : rng -> list of numpy input arrays.
    params : the operator's parameters (JSON-friendly values: golden files store them so).
    reference : numpy function of the inputs giving the output (a tuple for several outputs);
        None for cases only MXNet can answer (golden only, e.g. integer semantics).
    grad : whether to check the gradient numerically (False only where the op is not
        differentiable at these inputs, with the reason in ``label``).
    grad_tol : (rtol, atol, eps) for the numeric gradient, when the default does not fit.
    grad_nodes : the inputs whose gradient is checked (default: every floating input), for
        inputs no gradient flows to although the output depends on them (counts of a
        discrete distribution).
    golden : whether tools/make_golden.py records this case.
    """

    make: Callable
    params: dict = dataclasses.field(default_factory=dict)
    reference: Callable | None = None
    label: str = ""
    grad: bool = True
    grad_tol: tuple | None = None
    grad_nodes: tuple | None = None
    golden: bool = True
    op: str = ""

    @property
    def id(self) -> str:
        return f"{self.op}-{self.label}"


@dataclasses.dataclass(frozen=True)
class ErrorCase:
    """A call that must raise ``MXNetError`` with a message matching ``match``."""

    make: Callable
    params: dict = dataclasses.field(default_factory=dict)
    match: str = ""
    op: str = ""
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.op}-{self.label}"


def add(op: str, *cases: Case) -> None:
    """Register cases of ``op``; unlabelled ones are numbered."""
    table = CASES.setdefault(op, [])
    for case in cases:
        label = case.label or str(len(table))
        if any(c.label == label for c in table):
            label = f"{label}-{len(table)}"
        table.append(dataclasses.replace(case, op=op, label=label))


def add_errors(op: str, *cases: ErrorCase) -> None:
    """Register error cases of ``op``."""
    table = ERRORS.setdefault(op, [])
    for case in cases:
        table.append(dataclasses.replace(case, op=op, label=f"error{len(table)}"))


# ---- input makers: rng -> list of arrays ------------------------------------------------


def floats(*shapes, low=-1.0, high=1.0, dtype="float32"):
    """Uniform values in [low, high)."""
    return lambda rng: [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]


def nonzero(*shapes, low=0.5, high=1.5, dtype="float32"):
    """Values of magnitude in [low, high) with random signs (away from 0)."""

    def make(rng):
        return [
            (rng.uniform(low, high, size=s) * rng.choice([-1.0, 1.0], size=s)).astype(dtype)
            for s in shapes
        ]

    return make


def fractional(*shapes, low=-3, high=3, dtype="float32"):
    """An integer in [low, high) plus a fraction in [0.2, 0.8) (away from integers)."""

    def make(rng):
        return [
            (rng.integers(low, high, size=s) + rng.uniform(0.2, 0.8, size=s)).astype(dtype)
            for s in shapes
        ]

    return make


def ints(*shapes, low=-9, high=10, dtype="int32"):
    """Random integers in [low, high)."""
    return lambda rng: [rng.integers(low, high, size=s).astype(dtype) for s in shapes]


def apart(lhs_shape, rhs_shape, dtype="float32"):
    """Two inputs at least 0.1 apart wherever they meet under broadcasting (no ties): lhs is
    an integer plus [0.3, 0.7), rhs an integer plus [-0.2, 0.2)."""

    def make(rng):
        lhs = rng.integers(-2, 2, size=lhs_shape) + rng.uniform(0.3, 0.7, size=lhs_shape)
        rhs = rng.integers(-2, 2, size=rhs_shape) + rng.uniform(-0.2, 0.2, size=rhs_shape)
        return [lhs.astype(dtype), rhs.astype(dtype)]

    return make


def fixed(*arrays, dtype=None):
    """Exactly these values (edge cases for golden files)."""
    return lambda rng: [np.array(a, dtype=dtype) for a in arrays]


def none():
    """No inputs (creation operators)."""
    return lambda rng: []
