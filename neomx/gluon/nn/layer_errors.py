"""Name the Gluon layer in the errors its operators raise."""

from __future__ import annotations

from ...base import MXNetError


def call_op(block, op, *args, **kwargs):
    """Call ``op(*args, **kwargs)``; prefix an ``MXNetError`` with the layer that called it.

    The operators already say what is wrong with which argument; a user who built a network
    from layers also needs to know which layer, so the message opens with the block's class,
    its name, and how it prints (``Dense 'dense0' (Dense(4 -> 10, linear))``).
    """
    try:
        return op(*args, **kwargs)
    except MXNetError as err:
        try:
            shown = repr(block)
        except Exception:  # noqa: BLE001 - a repr that fails must not hide the real error
            shown = block.__class__.__name__
        if "\n" in shown:
            shown = block.__class__.__name__
        message = f"{block.__class__.__name__} '{block.name}' ({shown}): {err}"
        try:
            wrapped = type(err)(message)
        except TypeError:  # a subclass with a different constructor: keep the base class
            wrapped = MXNetError(message)
        raise wrapped from err
