"""Time one training step of a word-level LSTM language model in neomx, PyTorch CPU and
MXNet 1.9.1.

The model is the classic Gluon/PyTorch word language model: Embedding (vocabulary 10000,
size 256) -> 2-layer LSTM (hidden 256, fused) -> Dense decoder to the 10000 words; the step
runs forward on (sequence 35, batch 32) token ids from carried-over (detached) states, the
softmax cross-entropy over every token, backward, and a plain SGD update of every parameter.

    neomx / mxnet        gluon: nn.Embedding, rnn.LSTM, nn.Dense, loss.SoftmaxCrossEntropyLoss,
                         autograd.record + backward, gluon.Trainer('sgd').step;
                         imperative and hybridized (static_alloc)
    torch                nn.Embedding, nn.LSTM, nn.Linear, nn.CrossEntropyLoss, optim.SGD

Run by hand, from any folder::

    python benchmarks/rnn.py [--repeat 5] [--threads N] [--mxnet-python PATH] [--quick]

Each framework runs in a process of its own (see ``harness.py``); MXNet 1.9.1 runs under its
own interpreter and reads n/a where there is none. ``--threads`` sets every library's thread
pool, which steadies figures on a busy machine; ``--quick`` times one step of each, a smoke
test of the script.
"""

from __future__ import annotations

import sys

import harness
import numpy as np

MODEL = {"vocab": 10000, "embed": 256, "hidden": 256, "layers": 2, "steps": 35, "batch": 32}
LR = 0.1
FRAMEWORKS = {
    "neomx": "neomx",
    "neomx-hybrid": "neomx hybridized",
    "torch": "torch CPU",
    "mxnet": "mxnet 1.9.1",
    "mxnet-hybrid": "mxnet 1.9.1 hybridized",
}


def tokens():
    rng = np.random.default_rng(0)
    shape = (MODEL["steps"], MODEL["batch"])
    return rng.integers(0, MODEL["vocab"], shape), rng.integers(0, MODEL["vocab"], shape)


def gluon_step(mx, hybridize):
    """The step of neomx or MXNet (the same Gluon code runs on both)."""
    from_ = mx.gluon

    class LanguageModel(from_.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.embedding = from_.nn.Embedding(MODEL["vocab"], MODEL["embed"])
                self.rnn = from_.rnn.LSTM(
                    MODEL["hidden"], MODEL["layers"], input_size=MODEL["embed"]
                )
                self.decoder = from_.nn.Dense(
                    MODEL["vocab"], in_units=MODEL["hidden"], flatten=False
                )

        def hybrid_forward(self, F, data, states):
            output, states = self.rnn(self.embedding(data), states)
            return self.decoder(output), states

    mx.random.seed(0)
    model = LanguageModel()
    model.initialize(mx.init.Xavier())
    if hybridize:
        model.hybridize(static_alloc=True, static_shape=True)
    trainer = from_.Trainer(model.collect_params(), "sgd", {"learning_rate": LR})
    loss_fn = from_.loss.SoftmaxCrossEntropyLoss()
    data, target = (mx.nd.array(a) for a in tokens())
    target = target.reshape((-1,))
    state = {"states": model.rnn.begin_state(batch_size=MODEL["batch"])}

    def step():
        states = [s.detach() for s in state["states"]]
        with mx.autograd.record():
            scores, states = model(data, states)
            loss = loss_fn(scores.reshape((-1, MODEL["vocab"])), target)
        loss.backward()
        trainer.step(MODEL["steps"] * MODEL["batch"])
        state["states"] = states
        return loss

    return step, mx.nd.waitall


def torch_step():
    import torch

    torch.manual_seed(0)
    embedding = torch.nn.Embedding(MODEL["vocab"], MODEL["embed"])
    lstm = torch.nn.LSTM(MODEL["embed"], MODEL["hidden"], MODEL["layers"])
    decoder = torch.nn.Linear(MODEL["hidden"], MODEL["vocab"])
    params = [*embedding.parameters(), *lstm.parameters(), *decoder.parameters()]
    optimizer = torch.optim.SGD(params, lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    data, target = (torch.from_numpy(a) for a in tokens())
    target = target.reshape(-1)
    shape = (MODEL["layers"], MODEL["batch"], MODEL["hidden"])
    state = {"states": (torch.zeros(shape), torch.zeros(shape))}

    def step():
        states = tuple(s.detach() for s in state["states"])
        optimizer.zero_grad()
        output, states = lstm(embedding(data), states)
        loss = loss_fn(decoder(output).reshape(-1, MODEL["vocab"]), target)
        loss.backward()
        optimizer.step()
        state["states"] = states
        return loss

    return step, harness.no_wait


def run_framework(name, repeat, quick):
    if name == "torch":
        import torch

        step, finish = torch_step()
        version = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    else:
        if name.startswith("mxnet"):
            import mxnet as mx
        else:
            import neomx as mx
        step, finish = gluon_step(mx, hybridize=name.endswith("hybrid"))
        version = f"{mx.__name__} {getattr(mx, '__version__', '')}"
    step()  # warm-up: deferred work, caches, the hybridized graph
    finish()
    if quick:
        seconds = harness.run_batch(harness.repeat_call(step), 1, finish)
    else:
        seconds = harness.best_per_call(harness.repeat_call(step), finish, repeat=repeat)
    return {"ms": seconds * 1000, "version": version}


def main(argv=None):
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--threads", type=int, help="threads of every library (default: all)")
    parser.add_argument("--quick", action="store_true", help="time one step of each")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    if args.only:
        harness.report_part(run_framework(args.only, repeat, args.quick))
        return 0
    env = harness.thread_env(args.threads)
    mxnet = harness.mxnet_python(args.mxnet_python)
    parts = [
        (label, mxnet if name.startswith("mxnet") else sys.executable, name, env)
        for name, label in FRAMEWORKS.items()
    ]
    arguments = ["--repeat", str(repeat)] + (["--quick"] if args.quick else [])
    results = harness.run_parts(__file__, parts, arguments)
    print(f"{harness.machine_line()}, threads: {args.threads or 'all'}")
    print(
        "2-layer LSTM language model, one SGD training step (vocab 10000, embed/hidden 256, "
        f"seq 35, batch 32), float32: ms per step, best of {repeat} timed batches"
    )
    torch_ms = next((r["ms"] for label, r in results if label == "torch CPU" and "ms" in r), None)

    def cells(result):
        ratio = f"{result['ms'] / torch_ms:.2f}" if torch_ms else "n/a"
        return [f"{result['ms']:.1f}", ratio, result["version"]]

    harness.print_table(
        ["framework", "ms/step", "vs torch", "version"], harness.labelled_rows(results, cells)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
