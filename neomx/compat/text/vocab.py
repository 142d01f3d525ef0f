"""``mxnet.contrib.text.vocab``: a token <-> index table built from token counts."""

from __future__ import annotations

from ...base import MXNetValueError

__all__ = ["Vocabulary"]


class Vocabulary:
    """Index the tokens of ``counter``: the unknown token is index 0, then ``reserved_tokens``,
    then the counted tokens by decreasing count (ties alphabetically), keeping at most
    ``most_freq_count`` of them and only those counted at least ``min_freq`` times.

    Examples
    --------
    >>> import collections
    >>> v = Vocabulary(collections.Counter(["b", "a", "b"]))
    >>> v.idx_to_token, v.to_indices(["b", "zz"])
    (['<unk>', 'b', 'a'], [1, 0])
    """

    def __init__(
        self,
        counter=None,
        most_freq_count=None,
        min_freq=1,
        unknown_token="<unk>",
        reserved_tokens=None,
    ):
        if min_freq < 1:
            raise MXNetValueError(f"Vocabulary: min_freq must be at least 1, got {min_freq}")
        reserved = list(reserved_tokens or [])
        if unknown_token in reserved:
            raise MXNetValueError("Vocabulary: reserved_tokens must not contain the unknown token")
        if len(set(reserved)) != len(reserved):
            raise MXNetValueError("Vocabulary: reserved_tokens must not contain duplicates")
        self._unknown_token = unknown_token
        self._reserved_tokens = reserved or None
        self._idx_to_token = [unknown_token, *reserved]
        self._token_to_idx = {token: i for i, token in enumerate(self._idx_to_token)}
        if counter is not None:
            self._index_counter(counter, most_freq_count, min_freq)

    def _index_counter(self, counter, most_freq_count, min_freq):
        ordered = sorted(counter.items(), key=lambda item: item[0])
        ordered.sort(key=lambda item: item[1], reverse=True)
        limit = len(self._idx_to_token) + (
            len(counter) if most_freq_count is None else most_freq_count
        )
        for token, count in ordered:
            if count < min_freq or len(self._idx_to_token) >= limit:
                break
            if token not in self._token_to_idx:
                self._token_to_idx[token] = len(self._idx_to_token)
                self._idx_to_token.append(token)

    def __len__(self):
        return len(self._idx_to_token)

    def __contains__(self, token):
        return token in self._token_to_idx

    @property
    def token_to_idx(self) -> dict:
        return self._token_to_idx

    @property
    def idx_to_token(self) -> list:
        return self._idx_to_token

    @property
    def unknown_token(self):
        return self._unknown_token

    @property
    def reserved_tokens(self):
        return self._reserved_tokens

    def to_indices(self, tokens):
        """Return the index of a token, or the list of indices of a list of tokens."""
        single = not isinstance(tokens, list)
        indices = [self._token_to_idx.get(t, 0) for t in ([tokens] if single else tokens)]
        return indices[0] if single else indices

    def to_tokens(self, indices):
        """Return the token of an index, or the list of tokens of a list of indices."""
        single = not isinstance(indices, list)
        tokens = []
        for index in [indices] if single else indices:
            if not isinstance(index, int) or not 0 <= index < len(self._idx_to_token):
                raise MXNetValueError(f"Vocabulary.to_tokens: token index {index} is invalid")
            tokens.append(self._idx_to_token[index])
        return tokens[0] if single else tokens
