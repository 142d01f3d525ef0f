"""``Block``: the base of every Gluon layer and model (imperative ``forward``).

A Block owns a prefix (``dense0_``) and a ParameterDict with that prefix. Prefixes come from
name scopes: a top-level block counts per class name in the current ``mx.name.NameManager``
(``dense0``, ``dense1``); a child made inside ``with parent.name_scope():`` counts within its
parent and gets the parent's prefix in front (``hybridsequential0_dense0_``).
"""

from __future__ import annotations

import re
import threading
import warnings
import weakref
from collections import OrderedDict, defaultdict

from .. import initializer as _init
from .. import name as _name
from .. import ndarray as nd
from ..base import MXNetTypeError, MXNetValueError
from .parameter import Parameter, ParameterDict, _brief, _indent

__all__ = ["Block", "HookHandle"]


class _BlockScope:
    """The name scope of a Block: counts children per class and prefixes Symbol names."""

    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def create(prefix, params, hint):
        """The (prefix, ParameterDict) of a new block made in the current scope."""
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = _name.current().get(None, hint) + "_"
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f"{hint}{count}_"
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        self._name_scope = _name.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix:
            return
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope


class HookHandle:
    """Removes a forward hook (``detach``, or leaving a ``with`` block)."""

    def __init__(self):
        self._hooks_ref = None
        self._id = None

    def attach(self, hooks, hook):
        if self._hooks_ref is not None:
            raise MXNetValueError("The same handle cannot be attached twice.")
        self._id = id(hook)
        hooks[self._id] = hook
        self._hooks_ref = weakref.ref(hooks)

    def detach(self):
        hooks = self._hooks_ref() if self._hooks_ref is not None else None
        if hooks is not None and self._id in hooks:
            del hooks[self._id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()


class Block:
    """The base class of layers and models; subclasses define ``forward``.

    Make children and parameters inside ``with self.name_scope():`` so that their names carry
    this block's prefix; assigning a Block (or Parameter) to an attribute registers it.

    >>> class Net(mx.gluon.Block):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.w = self.params.get('w', shape=(2,))
    ...     def forward(self, x):
    ...         return x * self.w.data()
    >>> Net().prefix
    'net0_'
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        lines = [
            f"  ({key}): {_indent(repr(value), 2)}"
            for key, value in self.__dict__.items()
            if isinstance(value, Block)
        ]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def __setattr__(self, name, value):
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise MXNetTypeError(
                    f"Changing attribute type for {name} from {type(existing)} to "
                    f"{type(value)} is not allowed."
                )
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise MXNetValueError(
                    f"Overriding Parameter attribute {name} is not allowed. If you want to "
                    "share parameters between blocks, please set 'params' at Block "
                    "construction instead."
                )
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _check_container_with_block(self):
        children = set(self._children.values())
        for key, value in self.__dict__.items():
            if key == "_children" or key.startswith("__"):
                continue
            if isinstance(value, (list, tuple, dict)) and _has_unregistered(value, children):
                warnings.warn(
                    f'"{key}" is an unregistered container with Blocks. Note that Blocks '
                    "inside the list, tuple or dict will not be registered automatically. "
                    "Make sure to register them using register_child() or switching to "
                    "nn.Sequential/nn.HybridSequential instead.",
                    stacklevel=3,
                )

    def _alias(self):
        return type(self).__name__.lower()

    @property
    def prefix(self):
        """The prefix of this block's parameter and Symbol names (e.g. ``'dense0_'``)."""
        return self._prefix

    @property
    def name(self):
        """The prefix without its trailing underscore."""
        return self._name

    def name_scope(self):
        """Return the scope in which children and parameters get this block's prefix."""
        return self._scope

    @property
    def params(self):
        """This block's own ParameterDict (children's parameters are not in it)."""
        return self._params

    def collect_params(self, select=None):
        """Return a ParameterDict of this block's and all descendants' parameters.

        ``select`` is a regular expression the names must match, e.g. ``'.*weight|.*bias'``.
        """
        self._check_container_with_block()
        collected = ParameterDict(self._params.prefix)
        if not select:
            collected.update(self.params)
        else:
            pattern = re.compile(select)
            collected.update({k: v for k, v in self.params.items() if pattern.match(k)})
        for child in self._children.values():
            collected.update(child.collect_params(select=select))
        return collected

    def _collect_params_with_prefix(self, prefix=""):
        if prefix:
            prefix += "."
        found = {prefix + key: value for key, value in self._reg_params.items()}
        for name, child in self._children.items():
            found.update(child._collect_params_with_prefix(prefix + name))
        return found

    # ---- saving -------------------------------------------------------------------------

    def save_parameters(self, filename, deduplicate=False):
        """Save the parameters to ``filename`` by their place in the block tree
        (``0.weight``, ``features.3.bias``), in MXNet's .params format.

        With ``deduplicate`` a shared Parameter is saved once.
        """
        params = self._collect_params_with_prefix()
        if deduplicate:
            first = {}
            for key, param in params.items():
                first.setdefault(param, key)
            params = {key: param for param, key in first.items()}
        nd.save(filename, {key: param._reduce() for key, param in params.items()})

    def save_params(self, filename):
        """Deprecated: save with names minus this block's prefix (use ``save_parameters``)."""
        warnings.warn(
            "save_params is deprecated. Please use save_parameters. Note that if you want "
            "load from SymbolBlock later, please use export instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(
        self,
        filename,
        ctx=None,
        allow_missing=False,
        ignore_extra=False,
        cast_dtype=False,
        dtype_source="current",
    ):
        """Load parameters saved by ``save_parameters`` (or the legacy ``save_params``).

        ``allow_missing`` keeps parameters the file lacks as they are; ``ignore_extra`` skips
        names the block does not have; ``cast_dtype`` converts to the parameter's dtype
        (``dtype_source='current'``) or takes the file's (``'saved'``).
        """
        loaded = nd.load(filename)
        if isinstance(loaded, list):
            raise MXNetValueError(
                f"load_parameters: {filename} holds arrays without names; it was not written "
                "by save_parameters"
            )
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any("." in key for key in loaded):
            # Legacy files (save_params, ParameterDict.save): names without the block prefix.
            del loaded
            self.collect_params().load(
                filename,
                ctx,
                allow_missing,
                ignore_extra,
                self.prefix,
                cast_dtype=cast_dtype,
                dtype_source=dtype_source,
            )
            return
        if not allow_missing:
            # A shared Parameter is stored under one of its names.
            names_of = defaultdict(list)
            for key, param in params.items():
                names_of[param].append(key)
            missing = [
                key
                for key, param in params.items()
                if not any(k in loaded for k in names_of[param])
            ]
            if missing:
                raise MXNetValueError(
                    f"Parameter '{missing[0]}' is missing in file '{filename}', which contains "
                    f"parameters: {_brief(loaded.keys())}. Set allow_missing=True to ignore "
                    f"missing parameters (missing: {_brief(missing)})."
                )
        if not ignore_extra:
            extra = [key for key in loaded if key not in params]
            if extra:
                raise MXNetValueError(
                    f"Parameter '{extra[0]}' loaded from file '{filename}' is not present in "
                    f"Block, which contains parameters {_brief(params.keys())}. Set "
                    f"ignore_extra=True to ignore (extra: {_brief(extra)})."
                )
        for key, value in loaded.items():
            if key in params:
                params[key]._load_init(value, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """Deprecated: use ``load_parameters``."""
        warnings.warn(
            "load_params is deprecated. Please use load_parameters.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    # ---- children and hooks -------------------------------------------------------------

    def register_child(self, block, name=None):
        """Add ``block`` as a child (named by its position unless ``name`` is given)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """Call ``hook(block, inputs)`` before each forward; return a handle to remove it."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """Call ``hook(block, inputs, outputs)`` after each forward; return a handle."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Call ``fn(block)`` on every descendant, then on this block; return this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialize the parameters of this block and its descendants.

        ``init`` is the initializer for parameters that have none of their own (Uniform by
        default); ``ctx`` a Context or a list of them (one copy on each).
        """
        if init is None:
            init = _init.Uniform()
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Hybridize the HybridBlock descendants (a plain Block itself stays imperative)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast the parameters of this block and its descendants to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for param in self.params.values():
            param.cast(dtype)

    def zero_grad(self):
        """Set the gradients of all parameters to 0."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        """Move all parameters to ``ctx``."""
        self.collect_params().reset_ctx(ctx)

    def __call__(self, *args):
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args):
        """Compute the outputs from the inputs (NDArrays); subclasses override it."""
        raise NotImplementedError

    def summary(self, *inputs):
        """Print a table of each layer's output shape and parameter count for ``inputs``."""
        from .summary import print_summary

        print_summary(self, inputs)


def _has_unregistered(value, children):
    """Whether ``value`` (nested lists, tuples, dicts) holds a Block not in ``children``."""
    if isinstance(value, (list, tuple)):
        return any(_has_unregistered(x, children) for x in value)
    if isinstance(value, dict):
        return any(_has_unregistered(x, children) for x in value.values())
    return isinstance(value, Block) and value not in children


# ``mxnet.gluon.block`` also holds HybridBlock and SymbolBlock (user code imports them there).
from .hybrid import HybridBlock  # noqa: E402
from .symbol_block import SymbolBlock  # noqa: E402

__all__ += ["HybridBlock", "SymbolBlock"]
