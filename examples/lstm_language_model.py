"""Train a small word-level LSTM language model and watch its perplexity fall.

The corpus is the documentation that ships with Python: the docstrings of a few dozen
standard-library modules and of their classes and functions, lower-cased and split into words
and punctuation (about 110k tokens). The model is MXNet's classic Gluon language model:
Embedding -> 2-layer fused LSTM (dropout between the layers) -> Dense decoder over the
vocabulary, trained with truncated backpropagation through time (the hidden state carries over
from one batch to the next, detached), gradient clipping and plain SGD.

Run it from the repository root (a minute of training by default)::

    python examples/lstm_language_model.py [--seconds 60] [--hybridize]

The same script runs under MXNet 1.9.1 with ``import mxnet as mx``.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import inspect
import math
import re
import time

import numpy as np

import neomx as mx
from neomx import autograd, gluon

MODULES = (
    "argparse asyncio collections concurrent.futures contextlib csv dataclasses datetime "
    "decimal difflib email.message enum fractions functools heapq http.client inspect "
    "ipaddress itertools json logging pathlib pickle pprint queue random re shutil socket "
    "sqlite3 statistics string subprocess tarfile tempfile textwrap threading typing "
    "unittest urllib.parse uuid zipfile"
).split()
TOKEN = re.compile(r"[a-z]+|[0-9]+|[^\sa-z0-9]")


def docstrings():
    """Yield the docstrings of MODULES and of the classes, methods and functions they define."""
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        objects = [module]
        for obj in vars(module).values():
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__ == name:
                objects.append(obj)
                if inspect.isclass(obj):
                    objects.extend(m for m in vars(obj).values() if inspect.isfunction(m))
        for obj in objects:
            doc = inspect.getdoc(obj)
            if doc:
                yield doc


def load_corpus(vocab_size):
    """Token ids of the corpus (one <eos> after each line) and the vocabulary size used."""
    lines = [
        TOKEN.findall(line.lower())
        for doc in docstrings()
        for line in doc.splitlines()
        if line.strip()
    ]
    counts = collections.Counter(token for line in lines for token in line)
    vocab = ["<unk>", "<eos>"] + [word for word, _ in counts.most_common(vocab_size - 2)]
    index = {word: i for i, word in enumerate(vocab)}
    ids = [index.get(token, 0) for line in lines for token in [*line, "<eos>"]]
    return np.array(ids, dtype=np.float32), len(vocab)


def batchify(ids, batch_size):
    """(steps, batch) columns of the token stream, as MXNet's word_language_model does."""
    steps = len(ids) // batch_size
    return ids[: steps * batch_size].reshape(batch_size, steps).T


class LanguageModel(gluon.HybridBlock):
    """Embedding -> LSTM -> Dense: scores of the next word at each step."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_layers, dropout, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.drop = gluon.nn.Dropout(dropout)
            self.embedding = gluon.nn.Embedding(vocab_size, embed_size)
            self.rnn = gluon.rnn.LSTM(
                hidden_size, num_layers, dropout=dropout, input_size=embed_size
            )
            self.decoder = gluon.nn.Dense(vocab_size, in_units=hidden_size, flatten=False)

    def hybrid_forward(self, F, tokens, states):
        embedded = self.drop(self.embedding(tokens))
        output, states = self.rnn(embedded, states)
        return self.decoder(self.drop(output)), states

    def begin_state(self, batch_size):
        return self.rnn.begin_state(batch_size=batch_size)


def token_losses(loss_fn, scores, targets):
    """One loss per predicted token: (steps * batch,)."""
    return loss_fn(scores.reshape((-1, scores.shape[-1])), targets.reshape((-1,)))


def evaluate(model, data, bptt, batch_size, loss_fn):
    """Perplexity of ``model`` over ``data``."""
    states = model.begin_state(batch_size)
    total, count = 0.0, 0
    for start in range(0, data.shape[0] - 1, bptt):
        length = min(bptt, data.shape[0] - 1 - start)
        tokens = mx.nd.array(data[start : start + length])
        targets = mx.nd.array(data[start + 1 : start + 1 + length])
        scores, states = model(tokens, states)
        total += float(token_losses(loss_fn, scores, targets).sum().asscalar())
        count += targets.size
    return math.exp(total / count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="training time budget")
    parser.add_argument("--vocab", type=int, default=2000)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--bptt", type=int, default=20)
    parser.add_argument("--lr", type=float, default=20.0)
    parser.add_argument("--clip", type=float, default=0.25)
    parser.add_argument("--log-every", type=int, default=25, help="batches between reports")
    parser.add_argument("--hybridize", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    mx.random.seed(args.seed)
    np.random.seed(args.seed)
    ids, vocab_size = load_corpus(args.vocab)
    split = int(len(ids) * 0.95)
    train = batchify(ids[:split], args.batch_size)
    valid = batchify(ids[split:], args.batch_size)
    print(f"corpus: {len(ids)} tokens, vocabulary {vocab_size}; train {train.shape}, "
          f"validation {valid.shape} (steps x batch)")  # fmt: skip

    model = LanguageModel(vocab_size, args.embed, args.hidden, args.layers, args.dropout)
    model.initialize(mx.init.Xavier())
    if args.hybridize:
        model.hybridize(static_alloc=True)
    trainer = gluon.Trainer(model.collect_params(), "sgd", {"learning_rate": args.lr})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    grads = [p.grad() for p in model.collect_params().values() if p.grad_req != "null"]

    print(f"validation perplexity before training: "
          f"{evaluate(model, valid, args.bptt, args.batch_size, loss_fn):.1f}")  # fmt: skip
    start = time.perf_counter()
    batches, epoch = 0, 0
    while time.perf_counter() - start < args.seconds:
        epoch += 1
        states = model.begin_state(args.batch_size)
        total, count = 0.0, 0
        for begin in range(0, train.shape[0] - 1 - args.bptt, args.bptt):
            tokens = mx.nd.array(train[begin : begin + args.bptt])
            targets = mx.nd.array(train[begin + 1 : begin + 1 + args.bptt])
            states = [s.detach() for s in states]  # truncated backpropagation through time
            with autograd.record():
                scores, states = model(tokens, states)
                loss = token_losses(loss_fn, scores, targets)
            loss.backward()
            gluon.utils.clip_global_norm(grads, args.clip * args.bptt * args.batch_size)
            trainer.step(args.bptt * args.batch_size)
            total += float(loss.sum().asscalar())
            count += targets.size
            batches += 1
            if batches % args.log_every == 0:
                elapsed = time.perf_counter() - start
                print(f"epoch {epoch} batch {batches:4d}  {elapsed:5.1f}s  "
                      f"train perplexity {math.exp(total / count):8.1f}")  # fmt: skip
                total, count = 0.0, 0
            if time.perf_counter() - start >= args.seconds:
                break
        perplexity = evaluate(model, valid, args.bptt, args.batch_size, loss_fn)
        print(f"epoch {epoch} done: validation perplexity {perplexity:.1f}")
    elapsed = time.perf_counter() - start
    print(f"{batches} batches in {elapsed:.1f}s ({elapsed / max(batches, 1) * 1000:.0f} ms each)")


if __name__ == "__main__":
    main()
