"""The engine variable: what the engines know about one array storage.

Both engines hand out the same ``Var`` so that an array and its views keep sharing one
variable when the program switches engines (``engine_scope``).
"""

from __future__ import annotations

__all__ = ["Var", "Failure"]


class Failure:
    """An error raised inside an operation, kept until a sync point raises it.

    The traceback of the failing operation is kept apart from the exception, so raising the
    same failure at several sync points does not stack one traceback on another.
    """

    __slots__ = ("error", "traceback", "order")

    def __init__(self, error: BaseException, order: int = 0):
        self.error = error
        self.traceback = error.__traceback__
        # The push number of the failed operation: waitall raises the earliest pushed.
        self.order = order

    def reraise(self):
        raise self.error.with_traceback(self.traceback)


class Var:
    """One array storage: its pending writer, the readers since, and the failure it holds.

    ``failure`` is set by an operation that failed to write this storage and cleared by the
    next one that writes it successfully; until then reading the storage raises it.
    """

    __slots__ = ("last_write", "reads", "prune_at", "failure")

    def __init__(self):
        self.last_write = None
        self.reads = []
        # Finished readers are dropped from ``reads`` only when it reaches this length, so a
        # storage read by thousands of pending operations costs amortised O(1) per push.
        self.prune_at = 8
        self.failure = None
