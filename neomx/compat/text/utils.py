"""``mxnet.contrib.text.utils``: counting tokens in a string."""

from __future__ import annotations

import collections
import re

__all__ = ["count_tokens_from_str"]


def count_tokens_from_str(
    source_str, token_delim=" ", seq_delim="\n", to_lower=False, counter_to_update=None
):
    """Count the tokens of ``source_str``, split on ``token_delim`` and ``seq_delim``.

    Returns ``counter_to_update`` (a ``collections.Counter``) updated, or a new Counter.

    Examples
    --------
    >>> count_tokens_from_str("a b\\nb c")["b"]
    2
    """
    pattern = re.escape(token_delim) + "|" + re.escape(seq_delim)
    tokens = [t for t in re.split(pattern, source_str) if t]
    if to_lower:
        tokens = [t.lower() for t in tokens]
    counter = collections.Counter() if counter_to_update is None else counter_to_update
    counter.update(tokens)
    return counter
