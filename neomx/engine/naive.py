"""The synchronous engine: every operation runs at once, in the caller's thread."""

from __future__ import annotations

from ..base import MXNetError
from .var import Var


class NaiveEngine:
    """Runs each pushed function immediately; errors raise at the call site.

    Nothing is ever pending, so the waits return at once. Failures a threaded engine left on
    variables are not raised here: switching away from that engine waited for its work and
    raised them then.
    """

    name = "NaiveEngine"
    is_sync = True

    def push(self, fn, reads, writes, ctx, op_name="operation"):
        """Run ``fn()`` now; wrap a non-neomx exception in an ``MXNetError`` naming the op."""
        try:
            fn()
        except MXNetError:
            raise
        except Exception as err:
            raise MXNetError(f"{op_name}: {type(err).__name__}: {err}") from err

    def new_var(self):
        # A real Var even here: views made now must share it after a switch to a threaded engine.
        return Var()

    def wait_to_read(self, var):
        return None

    def wait_to_write(self, var):
        return None

    def waitall(self):
        return None

    def shutdown(self):
        return None
