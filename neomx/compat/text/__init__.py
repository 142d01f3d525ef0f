"""``mxnet.contrib.text`` under the alias: token counting, vocabularies and token embeddings.

Nothing here downloads: a pretrained embedding (GloVe, fastText) is read from its file under
``$MXNET_HOME/embeddings/<name>/`` (default ``~/.mxnet``), where MXNet 1.x would also have cached
it; if the file is not there, the error says which file to put where. ``CustomEmbedding`` reads
any such text file from a path you give.
"""

from . import embedding, utils, vocab
from .vocab import Vocabulary

__all__ = ["embedding", "utils", "vocab", "Vocabulary"]
