"""GluonNLP 0.10.0: its StandardRNN LSTM language model run imperatively and hybridized, then
trained two steps with its BERTAdam optimizer (MXNet's AdamW update operators); a Transformer
encoder cell, imperative and hybridized; and a Vocab built from its token counter."""

import os

import gluonnlp as nlp
import mxnet as mx
import numpy as np
from _common import parse_args
from mxnet import autograd, gluon

fixdir, out, make = parse_args()
rng = np.random.RandomState(0)
vocab_size, batch = 30, 3
x = mx.nd.array(rng.randint(0, vocab_size, (5, batch)))
y = mx.nd.array(rng.randint(0, vocab_size, (5, batch)))
words = mx.nd.array(rng.uniform(-1, 1, (2, 5, 16)))


def prepare(net, name, sample):
    path = os.path.join(fixdir, f"gluonnlp_{name}.params")
    if make:
        mx.random.seed(0)
        net.initialize(mx.init.Xavier())
        net(*sample)
        net.save_parameters(path)
    else:
        net.load_parameters(path)


results = {}
model = nlp.model.StandardRNN("lstm", vocab_size, 8, 12, 2, dropout=0.0, tie_weights=False)
state = model.begin_state(batch_size=batch, func=mx.nd.zeros)
prepare(model, "lm", (x, state))
results["lm/imperative"] = model(x, state)[0].asnumpy()
model.hybridize()
results["lm/hybridized"] = model(x, state)[0].asnumpy()
trainer = gluon.Trainer(model.collect_params(), "bertadam", {"learning_rate": 0.01, "wd": 0.01})
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
for step in range(2):
    with autograd.record():
        output, _ = model(x, state)
        loss = loss_fn(output.reshape((-1, vocab_size)), y.reshape((-1,)))
    loss.backward()
    trainer.step(batch)
    results[f"lm/loss{step}"] = loss.asnumpy()
results["lm/after_training"] = model(x, state)[0].asnumpy()

encoder = nlp.model.transformer.TransformerEncoderCell(
    units=16, hidden_size=32, num_heads=4, dropout=0.0
)
prepare(encoder, "encoder", (words,))
results["encoder/imperative"] = encoder(words)[0].asnumpy()
encoder.hybridize()
results["encoder/hybridized"] = encoder(words)[0].asnumpy()

counter = nlp.data.count_tokens("the cat sat on the mat and the dog sat too".split())
vocab = nlp.Vocab(counter, min_freq=1)
results["vocab/tokens"] = np.array(vocab.idx_to_token)
results["vocab/indices"] = np.array(vocab[["the", "dog", "unseen"]])
np.savez(out, **results)
