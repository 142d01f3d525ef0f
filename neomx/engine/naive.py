"""The synchronous engine: every operation runs at once, in the caller's thread."""

from __future__ import annotations

from ..base import MXNetError


class NaiveEngine:
    """Runs each pushed function immediately; errors raise at the call site."""

    name = "NaiveEngine"
    is_sync = True

    def push(self, fn, reads, writes, ctx, op_name="operation"):
        try:
            fn()
        except MXNetError:
            raise
        except Exception as err:
            raise MXNetError(f"{op_name}: {type(err).__name__}: {err}") from err

    def new_var(self):
        return None

    def wait_to_read(self, var):
        return None

    def wait_to_write(self, var):
        return None

    def waitall(self):
        return None
