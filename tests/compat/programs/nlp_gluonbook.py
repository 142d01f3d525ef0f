"""gluonbook 0.8.10 (the Dive into Deep Learning utility package, MXNet 1.x edition): its
RNNModel around a Gluon LSTM, trained as its train_and_predict_rnn_gluon does (consecutive
sampling, gradient clipping, state carried across batches), then its greedy predictor; and
the contrib.text vocabulary its IMDb helpers build."""

import os

import gluonbook as gb
import mxnet as mx
import numpy as np
from _common import parse_args
from mxnet import autograd, gluon
from mxnet.gluon import loss as gloss
from mxnet.gluon import rnn

fixdir, out, make = parse_args()
corpus = "the quick brown fox jumps over the lazy dog and the dog sleeps " * 6
idx_to_char = sorted(set(corpus))
char_to_idx = {c: i for i, c in enumerate(idx_to_char)}
corpus_indices = [char_to_idx[c] for c in corpus]
vocab_size, num_hiddens, ctx = len(idx_to_char), 16, mx.cpu()

model = gb.RNNModel(rnn.LSTM(num_hiddens), vocab_size)
path = os.path.join(fixdir, "gluonbook_lstm.params")
if make:
    mx.random.seed(0)
    model.initialize(init=mx.init.Normal(0.1), ctx=ctx)
    model(mx.nd.zeros((4, 5)), model.begin_state(batch_size=4, ctx=ctx))
    model.save_parameters(path)
else:
    model.load_parameters(path, ctx=ctx)

results = {}
loss = gloss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(model.collect_params(), "sgd", {"learning_rate": 1.0, "wd": 0})
state = model.begin_state(batch_size=4, ctx=ctx)
losses = []
for X, Y in gb.data_iter_consecutive(corpus_indices, 4, 5, ctx):
    for s in state:
        s.detach()
    with autograd.record():
        output, state = model(X, state)
        y = Y.T.reshape((-1,))
        batch_loss = loss(output, y).mean()
    batch_loss.backward()
    gb.grad_clipping([p.data() for p in model.collect_params().values()], 0.01, ctx)
    trainer.step(1)
    losses.append(batch_loss.asscalar())
results["losses"] = np.array(losses)
for name, param in model.collect_params().items():
    results["param/" + name.split("_", 1)[1]] = param.data().asnumpy()
prediction = gb.predict_rnn_gluon("the", 10, model, vocab_size, ctx, idx_to_char, char_to_idx)
results["prediction"] = np.array([char_to_idx[c] for c in prediction])
reviews = [["a great great film", 1], ["a bad film", 0], ["great acting", 1]] * 3
vocab = gb.get_vocab_imdb(reviews)
results["vocab_tokens"] = np.array(vocab.idx_to_token)
np.savez(out, **results)
