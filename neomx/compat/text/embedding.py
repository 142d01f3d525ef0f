"""``mxnet.contrib.text.embedding``: token embeddings read from text files, offline.

A pretrained embedding file has one token per line followed by its vector, separated by
``elem_delim``. ``GloVe``/``FastText`` read the named file from
``$MXNET_HOME/embeddings/<glove|fasttext>/`` (``embedding_root`` overrides the directory) and
never download; ``CustomEmbedding`` reads any path.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from ...base import MXNetError, MXNetValueError
from . import vocab as _vocab

__all__ = [
    "register", "create", "get_pretrained_file_names", "TokenEmbedding", "GloVe", "FastText",
    "CustomEmbedding", "CompositeEmbedding",
]  # fmt: skip

_REGISTRY: dict = {}


def register(embedding_cls):
    """Register a :class:`TokenEmbedding` subclass under its lower-cased class name."""
    _REGISTRY[embedding_cls.__name__.lower()] = embedding_cls
    return embedding_cls


def create(embedding_name, **kwargs):
    """Create the registered embedding ``embedding_name`` (``'glove'``, ``'fasttext'``...)."""
    name = embedding_name.lower()
    if name not in _REGISTRY:
        raise MXNetValueError(
            f"create: unknown embedding '{embedding_name}'; registered: {sorted(_REGISTRY)}"
        )
    return _REGISTRY[name](**kwargs)


def get_pretrained_file_names(embedding_name=None):
    """Return the pretrained file names of one embedding, or a dict of all of them."""
    if embedding_name is not None:
        name = embedding_name.lower()
        if name not in _REGISTRY:
            raise KeyError(f"get_pretrained_file_names: unknown embedding '{embedding_name}'")
        return list(_REGISTRY[name].pretrained_file_names)
    return {
        name: list(cls.pretrained_file_names)
        for name, cls in _REGISTRY.items()
        if cls.pretrained_file_names
    }


def _embedding_root() -> str:
    from ..base import data_dir

    return os.path.join(data_dir(), "embeddings")


class TokenEmbedding(_vocab.Vocabulary):
    """Token vectors indexed like a :class:`~.vocab.Vocabulary` (index 0: the unknown token)."""

    pretrained_file_names: tuple = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._vec_len = 0
        self._idx_to_vec = None

    def _load_embedding(self, path, elem_delim, init_unknown_vec, encoding="utf8"):
        from ... import ndarray as nd

        if not os.path.isfile(path):
            raise MXNetError(f"{type(self).__name__}: embedding file {path} not found")
        vectors = {}
        vec_len = None
        with open(path, encoding=encoding) as handle:
            for line_num, line in enumerate(handle, 1):
                elems = line.rstrip().split(elem_delim)
                if len(elems) <= 1:
                    continue  # fastText's header line "count dim", or an empty line
                token, values = elems[0], [float(v) for v in elems[1:]]
                if vec_len is None:
                    vec_len = len(values)
                elif len(values) != vec_len:
                    if line_num == 1:
                        continue
                    raise MXNetError(
                        f"{path}:{line_num}: vector of length {len(values)}, expected {vec_len}"
                    )
                if token == self.unknown_token:
                    vectors[token] = values
                elif token in vectors:
                    logging.warning(
                        "%s:%d: token %r repeats; the first vector is kept", path, line_num, token
                    )
                else:
                    vectors[token] = values
        if vec_len is None:
            raise MXNetError(f"{type(self).__name__}: {path} holds no vectors")
        unknown = vectors.pop(self.unknown_token, None)
        for token in vectors:
            if token not in self._token_to_idx:
                self._token_to_idx[token] = len(self._idx_to_token)
                self._idx_to_token.append(token)
        table = np.zeros((len(self._idx_to_token), vec_len), dtype=np.float32)
        for token, values in vectors.items():
            table[self._token_to_idx[token]] = values
        if unknown is not None:
            table[0] = unknown
        else:
            table[0] = init_unknown_vec(shape=(vec_len,)).asnumpy()
        self._vec_len = vec_len
        self._idx_to_vec = nd.array(table)

    @property
    def vec_len(self) -> int:
        return self._vec_len

    @property
    def idx_to_vec(self):
        return self._idx_to_vec

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """Return the vectors of ``tokens`` (one token: a 1-d NDArray; a list: 2-d)."""
        from ... import ndarray as nd

        single = not isinstance(tokens, list)
        indices = []
        for token in [tokens] if single else tokens:
            index = self._token_to_idx.get(token)
            if index is None and lower_case_backup:
                index = self._token_to_idx.get(token.lower())
            indices.append(0 if index is None else index)
        vecs = nd.Embedding(
            nd.array(indices), self._idx_to_vec, input_dim=len(self), output_dim=self._vec_len
        )
        return vecs[0] if single else vecs

    def update_token_vectors(self, tokens, new_vectors):
        """Replace the vectors of known ``tokens`` by ``new_vectors``."""
        from ... import ndarray as nd

        tokens = tokens if isinstance(tokens, list) else [tokens]
        new = new_vectors.asnumpy().reshape(len(tokens), -1)
        if new.shape[1] != self._vec_len:
            raise MXNetValueError(
                f"update_token_vectors: vectors of length {new.shape[1]}, expected {self._vec_len}"
            )
        table = self._idx_to_vec.asnumpy().copy()
        for token, vec in zip(tokens, new):
            if token not in self._token_to_idx:
                raise MXNetValueError(f"update_token_vectors: unknown token {token!r}")
            table[self._token_to_idx[token]] = vec
        self._idx_to_vec = nd.array(table)

    def _build_from(self, vocabulary, sources):
        """Index the tokens of ``vocabulary`` and take each vector from ``sources``."""
        from ... import ndarray as nd

        tokens = list(vocabulary.idx_to_token)
        parts = [src.get_vecs_by_tokens(tokens).asnumpy() for src in sources]
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = vocabulary.reserved_tokens
        self._idx_to_token = tokens
        self._token_to_idx = dict(vocabulary.token_to_idx)
        table = np.concatenate(parts, axis=1) if parts else np.zeros((len(self), 0), np.float32)
        self._vec_len = table.shape[1]
        self._idx_to_vec = nd.array(table)

    @classmethod
    def _pretrained_path(cls, pretrained_file_name, embedding_root):
        if pretrained_file_name not in cls.pretrained_file_names:
            raise KeyError(
                f"{cls.__name__}: unknown pretrained file {pretrained_file_name!r}; "
                f"known: {list(cls.pretrained_file_names)}"
            )
        root = os.path.expanduser(embedding_root or _embedding_root())
        path = os.path.join(root, cls.__name__.lower(), pretrained_file_name)
        if not os.path.isfile(path):
            raise MXNetError(
                f"{cls.__name__}: {path} not found; neomx does not download embeddings: "
                f"put the unpacked text file {pretrained_file_name} there"
            )
        return path


def _zeros(shape):
    from ... import ndarray as nd

    return nd.zeros(shape)


@register
class GloVe(TokenEmbedding):
    """GloVe vectors, read from ``<embedding_root>/glove/<pretrained_file_name>``."""

    pretrained_file_names = tuple(
        f"glove.{kind}.txt"
        for kind in (
            "42B.300d", "6B.50d", "6B.100d", "6B.200d", "6B.300d", "840B.300d",
            "twitter.27B.25d", "twitter.27B.50d", "twitter.27B.100d", "twitter.27B.200d",
        )
    )  # fmt: skip

    def __init__(self, pretrained_file_name="glove.840B.300d.txt", embedding_root=None,
                 init_unknown_vec=_zeros, vocabulary=None, **kwargs):  # fmt: skip
        path = self._pretrained_path(pretrained_file_name, embedding_root)
        super().__init__(**kwargs)
        self._load_embedding(path, " ", init_unknown_vec)
        if vocabulary is not None:
            self._build_from(vocabulary, [self])


@register
class FastText(TokenEmbedding):
    """fastText vectors, read from ``<embedding_root>/fasttext/<pretrained_file_name>``."""

    pretrained_file_names = ("wiki.simple.vec", "wiki.en.vec", "crawl-300d-2M.vec")

    def __init__(self, pretrained_file_name="wiki.simple.vec", embedding_root=None,
                 init_unknown_vec=_zeros, vocabulary=None, **kwargs):  # fmt: skip
        path = self._pretrained_path(pretrained_file_name, embedding_root)
        super().__init__(**kwargs)
        self._load_embedding(path, " ", init_unknown_vec)
        if vocabulary is not None:
            self._build_from(vocabulary, [self])


class CustomEmbedding(TokenEmbedding):
    """Vectors read from the text file ``pretrained_file_path``."""

    def __init__(self, pretrained_file_path, elem_delim=" ", encoding="utf8",
                 init_unknown_vec=_zeros, vocabulary=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self._load_embedding(pretrained_file_path, elem_delim, init_unknown_vec, encoding)
        if vocabulary is not None:
            self._build_from(vocabulary, [self])


class CompositeEmbedding(TokenEmbedding):
    """The vectors of several embeddings concatenated, indexed by ``vocabulary``."""

    def __init__(self, vocabulary, token_embeddings):
        super().__init__()
        embeddings = token_embeddings if isinstance(token_embeddings, list) else [token_embeddings]
        self._build_from(vocabulary, embeddings)
