"""``mxnet.registry`` under the alias: named registries of subclasses, with ``create``.

MXNet 1.x libraries (GluonNLP's datasets and embeddings, for one) build their own registries
with these helpers: ``register = get_register_func(Base, 'kind')`` records subclasses under
their lower-cased name; ``create = get_create_func(Base, 'kind')`` instantiates one by name,
from a ``[name, kwargs]`` JSON string or a dict, or passes an instance through.
"""

from __future__ import annotations

import json
import warnings

from ..base import MXNetTypeError, MXNetValueError

__all__ = ["get_registry", "get_register_func", "get_alias_func", "get_create_func"]

_REGISTRY: dict = {}


def get_registry(base_class) -> dict:
    """Return a copy of ``{name: class}`` registered for ``base_class``."""
    return dict(_REGISTRY.get(base_class, {}))


def get_register_func(base_class, nickname):
    """Return ``register(klass, name=None)`` recording subclasses of ``base_class``."""
    registry = _REGISTRY.setdefault(base_class, {})

    def register(klass, name=None):
        if not (isinstance(klass, type) and issubclass(klass, base_class)):
            raise MXNetTypeError(f"Can only register subclass of {base_class.__name__}")
        key = (name or klass.__name__).lower()
        old = registry.get(key)
        if old is not None and old is not klass:
            warnings.warn(
                f"New {nickname} {klass.__module__}.{klass.__name__} registered with name {key} "
                f"is overriding existing {nickname} {old.__module__}.{old.__name__}",
                UserWarning,
                stacklevel=2,
            )
        registry[key] = klass
        return klass

    register.__doc__ = f"Register a {nickname} to the {nickname} factory."
    return register


def get_alias_func(base_class, nickname):
    """Return ``alias(*names)``, a decorator registering a class under more names."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases):
        def decorator(klass):
            for name in aliases:
                register(klass, name)
            return klass

        return decorator

    return alias


def get_create_func(base_class, nickname):
    """Return ``create(name_or_instance, *args, **kwargs)`` for ``base_class``'s registry."""
    registry = _REGISTRY.setdefault(base_class, {})

    def create(*args, **kwargs):
        if args:
            name, args = args[0], args[1:]
        elif nickname in kwargs:
            name = kwargs.pop(nickname)
        else:
            raise MXNetValueError(f"create: give the {nickname} name as the first argument")
        if isinstance(name, base_class):
            if args or kwargs:
                raise MXNetValueError(
                    f"{nickname} is already an instance; additional arguments are invalid"
                )
            return name
        if isinstance(name, dict):
            return create(**name)
        if not isinstance(name, str):
            raise MXNetTypeError(f"{nickname} must be of string type, got {type(name).__name__}")
        if name.startswith("["):
            if args or kwargs:
                raise MXNetValueError(f"create: a JSON {nickname} takes no other arguments")
            name, kwargs = json.loads(name)
            return create(name, **kwargs)
        if name.startswith("{"):
            if args or kwargs:
                raise MXNetValueError(f"create: a JSON {nickname} takes no other arguments")
            return create(**json.loads(name))
        key = name.lower()
        if key not in registry:
            raise MXNetValueError(
                f"{name} is not registered. Please register with {nickname}.register first; "
                f"registered: {sorted(registry)}"
            )
        return registry[key](*args, **kwargs)

    create.__doc__ = f"Create a {nickname} instance from its name and arguments."
    return create
