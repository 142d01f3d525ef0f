"""Typed operator parameters: parsing from Python values or MXNet's attribute strings.

Each operator declares ``params = Params(name=Type(default), ...)``. Parsing validates every
value, names the operator and parameter on error, and yields an immutable, hashable record.
Values print back as MXNet writes them in symbol JSON (``str()`` of the Python value).
"""

from __future__ import annotations

import ast
import difflib
from collections import namedtuple

import numpy as np

from ..base import MXNetTypeError, MXNetValueError, _Null, dtype_np

__all__ = [
    "Params",
    "REQUIRED",
    "Int",
    "Float",
    "Bool",
    "Str",
    "Enum",
    "Shape",
    "OptShape",
    "FloatTuple",
    "DType",
    "Ctx",
    "Any",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


class ParamType:
    """A parameter's type: default, optional ``None``, and a ``convert`` that validates."""

    type_name = "any"

    def __init__(self, default=REQUIRED, *, optional: bool = False, doc: str = ""):
        self.default = default
        self.optional = optional or default is None
        self.doc = doc

    def parse(self, value):
        if value is None or (isinstance(value, str) and value == "None"):
            if self.optional:
                return None
            raise ValueError("None is not allowed")
        return self.convert(value)

    def convert(self, value):
        return value

    def describe(self) -> str:
        kind = self.type_name + (" or None" if self.optional else "")
        if self.default is REQUIRED:
            return f"{kind}, required"
        return f"{kind}, optional, default={self.default!r}"


class Any(ParamType):
    """Any Python value, kept as it is (strings that look like literals are evaluated)."""

    def convert(self, value):
        return _literal(value) if isinstance(value, str) else value


class Int(ParamType):
    type_name = "int"

    def __init__(self, default=REQUIRED, *, min=None, max=None, **kw):
        super().__init__(default, **kw)
        self.min, self.max = min, max

    def convert(self, value):
        if isinstance(value, str):
            value = _literal(value.strip())
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, np.integer, float, np.floating)
        ):
            raise ValueError(f"expected an int, got {value!r}")
        if isinstance(value, (float, np.floating)) and not float(value).is_integer():
            raise ValueError(f"expected an int, got {value!r}")
        value = int(value)
        if self.min is not None and value < self.min:
            raise ValueError(f"must be >= {self.min}, got {value}")
        if self.max is not None and value > self.max:
            raise ValueError(f"must be <= {self.max}, got {value}")
        return value


class Float(ParamType):
    type_name = "float"

    def convert(self, value):
        if isinstance(value, str):
            value = _literal(value.strip())
            if isinstance(value, str) and value.lower() in ("inf", "-inf", "nan", "+inf"):
                value = float(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise ValueError(f"expected a number, got {value!r}")
        return float(value)


class Bool(ParamType):
    type_name = "boolean"

    def convert(self, value):
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            raise ValueError(f"expected True or False, got {value!r}")
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            return bool(value)
        raise ValueError(f"expected True or False, got {value!r}")


class Str(ParamType):
    type_name = "string"

    def convert(self, value):
        return str(value)


class Enum(ParamType):
    """One of a fixed set of strings."""

    def __init__(self, choices, default=REQUIRED, **kw):
        super().__init__(default, **kw)
        self.choices = tuple(choices)

    @property
    def type_name(self) -> str:
        return "{" + ", ".join(repr(c) for c in self.choices) + "}"

    def convert(self, value):
        value = str(value)
        if value not in self.choices:
            raise ValueError(f"expected one of {list(self.choices)}, got {value!r}")
        return value


class Shape(ParamType):
    """A tuple of ints; a single int means a 1-tuple (MXNet accepts ``shape=3``)."""

    type_name = "Shape(tuple)"

    def convert(self, value):
        if isinstance(value, str):
            value = _literal(value.strip())
            if value == "[]":
                value = ()
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return (int(value),)
        if isinstance(value, (tuple, list)):
            dims = []
            for dim in value:
                if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
                    if dim is None:
                        dims.append(None)
                        continue
                    raise ValueError(f"expected a tuple of ints, got {value!r}")
                dims.append(int(dim))
            return tuple(dims)
        raise ValueError(f"expected a tuple of ints, got {value!r}")


def OptShape(default=None, **kw) -> Shape:
    """A Shape that may also be None."""
    return Shape(default, optional=True, **kw)


class FloatTuple(ParamType):
    """A tuple of floats (MXNet's ``tuple of <float>``, such as the multi-tensor updates'
    ``lrs``); a single number means a 1-tuple, as MXNet accepts ``lrs=0.1``."""

    type_name = "tuple of <float>"

    def convert(self, value):
        if isinstance(value, str):
            value = _literal(value.strip())
        if isinstance(value, np.ndarray):
            value = value.tolist()
        items = value if isinstance(value, (tuple, list)) else (value,)
        numbers = []
        for number in items:
            if isinstance(number, (bool, np.bool_)) or not isinstance(
                number, (int, float, np.integer, np.floating)
            ):
                raise ValueError(f"expected a tuple of numbers, got {value!r}")
            numbers.append(float(number))
        return tuple(numbers)


class DType(ParamType):
    """A dtype name, stored as MXNet's string (``'float32'``)."""

    def __init__(self, default=REQUIRED, *, choices=None, **kw):
        super().__init__(default, **kw)
        self.choices = choices

    type_name = "dtype"

    def convert(self, value):
        try:
            name = dtype_np(value).name
        except MXNetTypeError as err:
            raise ValueError(str(err)) from None
        if self.choices is not None and name not in self.choices:
            raise ValueError(f"expected one of {list(self.choices)}, got {name!r}")
        return name


class Ctx(ParamType):
    """A device context, given as a Context or a string like ``'cpu(1)'``."""

    type_name = "Context"

    def convert(self, value):
        from ..context import Context

        if isinstance(value, Context):
            return value
        text = str(value).strip()
        if text == "":
            return None
        name, _, rest = text.partition("(")
        try:
            return Context(name, int(rest.rstrip(")") or 0))
        except (ValueError, MXNetValueError):
            raise ValueError(f"expected a context like 'cpu(0)', got {value!r}") from None


class Params:
    """The parameter schema of an operator, in declaration order."""

    def __init__(self, **fields: ParamType):
        self.fields = fields
        self.names = tuple(fields)
        self.record = namedtuple("P", self.names) if self.names else None
        self._default = None

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def default(self, op_name: str):
        """The record of all defaults (cached); raises if a parameter is required."""
        if self._default is None:
            self._default = self.parse(op_name, {})
        return self._default

    def parse(self, op_name: str, kwargs: dict):
        """Validate ``kwargs`` (Python values or strings) into an immutable record."""
        if not kwargs and self._default is not None:
            return self._default
        for key in kwargs:
            if key not in self.fields:
                raise self.unknown(op_name, key)
        values = []
        for name, spec in self.fields.items():
            value = kwargs.get(name, _Null)
            if value is _Null:
                if spec.default is REQUIRED:
                    raise MXNetValueError(
                        f"{op_name}: required parameter '{name}' is missing ({spec.describe()})"
                    )
                values.append(spec.default)
                continue
            try:
                values.append(spec.parse(value))
            except (ValueError, TypeError) as err:
                raise MXNetValueError(
                    f"{op_name}: invalid value {value!r} for parameter '{name}': {err}"
                ) from None
        return self.record(*values) if self.record is not None else ()

    def unknown(self, op_name: str, key: str) -> MXNetValueError:
        close = difflib.get_close_matches(key, self.names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        known = ", ".join(self.names) if self.names else "none"
        return MXNetValueError(
            f"{op_name}: unknown parameter '{key}'{hint}; its parameters are: {known}"
        )

    def to_attrs(self, given: dict) -> dict:
        """Format explicitly given parameters as MXNet's JSON attribute strings."""
        return {key: format_value(value) for key, value in given.items() if value is not _Null}


def format_value(value) -> str:
    """Print a parameter value as MXNet stores it in symbol JSON."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, list):
        value = tuple(value)
    return str(value)
