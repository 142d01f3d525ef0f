"""``mx.nd``: NDArray, creation functions and one function per registered operator."""

from __future__ import annotations

import sys
import types

from .. import ops as _ops
from ..engine import waitall
from ..ops.frontend import make_function
from .creation import (
    arange,
    array,
    empty,
    eye,
    from_dlpack,
    from_numpy,
    full,
    linspace,
    ones,
    to_dlpack_for_read,
    to_dlpack_for_write,
    zeros,
)
from .ndarray import NDArray
from .serialization import load, load_frombuffer, save

_internal = types.ModuleType(__name__ + "._internal", "Every operator, underscore names included.")
op = types.ModuleType(__name__ + ".op", "The public operators of mx.nd.")
contrib = types.ModuleType(__name__ + ".contrib", "Operators registered as _contrib_*.")
sys.modules[_internal.__name__] = _internal
sys.modules[op.__name__] = op
sys.modules[contrib.__name__] = contrib


def _install(module_globals):
    """Put a front-end function for every registered operator name into the namespaces."""
    for op_name, definition in _ops.REGISTRY.items():
        function = make_function(definition, op_name)
        setattr(_internal, op_name, function)
        if op_name.startswith("_contrib_"):
            setattr(contrib, op_name[len("_contrib_"):], function)
        elif not op_name.startswith("_"):
            setattr(op, op_name, function)
        # Gradient definitions call every operator as F.<name>, underscore names included.
        module_globals.setdefault(op_name, function)


_install(globals())

__all__ = [
    "NDArray",
    "array",
    "empty",
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "from_numpy",
    "from_dlpack",
    "to_dlpack_for_read",
    "to_dlpack_for_write",
    "save",
    "load",
    "load_frombuffer",
    "waitall",
]
