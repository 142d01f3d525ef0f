"""Time a bound Executor against the same computation through imperative ``mx.autograd``.

Two networks, forward + backward of one batch (64 by default), float32:

* mlp: data (64, 784) -> FullyConnected 256 -> relu -> FullyConnected 128 -> relu ->
  FullyConnected 10 -> SoftmaxOutput;
* lenet: data (64, 1, 28, 28) -> Convolution 20 5x5 -> tanh -> max Pooling 2x2 ->
  Convolution 50 5x5 -> tanh -> max Pooling 2x2 -> FullyConnected 500 -> tanh ->
  FullyConnected 10 -> SoftmaxOutput.

``executor``: ``forward(is_train=True)`` + ``backward()`` of ``simple_bind``'s executor;
``autograd``: the same operators called as ``mx.nd.*`` under ``autograd.record()``, then
``backward()``, gradients into ``attach_grad`` buffers. Both end with ``waitall``. Each figure is
the best of several timed batches (benchmarks/harness.py). Run by hand::

    python benchmarks/executor.py [--batch 64] [--repeat 5]

On a shared machine set ``OPENBLAS_NUM_THREADS=1``: BLAS threads competing with other
processes make every kernel, and so both figures, many times slower and noisy.
"""

from __future__ import annotations

import harness
import numpy as np

import neomx as mx


def mlp(F, data, params):
    h = F.Activation(
        F.FullyConnected(data, *params[0:2], num_hidden=256, name="fc1"), act_type="relu"
    )
    h = F.Activation(F.FullyConnected(h, *params[2:4], num_hidden=128, name="fc2"), act_type="relu")
    return F.FullyConnected(h, *params[4:6], num_hidden=10, name="fc3")


def lenet(F, data, params):
    h = F.Convolution(data, *params[0:2], kernel=(5, 5), num_filter=20, name="conv1")
    h = F.Pooling(F.Activation(h, act_type="tanh"), pool_type="max", kernel=(2, 2), stride=(2, 2))
    h = F.Convolution(h, *params[2:4], kernel=(5, 5), num_filter=50, name="conv2")
    h = F.Pooling(F.Activation(h, act_type="tanh"), pool_type="max", kernel=(2, 2), stride=(2, 2))
    h = F.Activation(F.FullyConnected(h, *params[4:6], num_hidden=500, name="fc1"), act_type="tanh")
    return F.FullyConnected(h, *params[6:8], num_hidden=10, name="fc2")


NETWORKS = {"mlp": (mlp, (784,), 3), "lenet": (lenet, (1, 28, 28), 4)}


def build(name, batch):
    """The executor and the imperative step of network ``name``, on equal parameters."""
    body, shape, layers = NETWORKS[name]
    data = mx.sym.var("data")
    names = []
    for i in range(layers):
        names += [f"p{i}_weight", f"p{i}_bias"]
    variables = [mx.sym.var(n) for n in names]
    net = mx.sym.SoftmaxOutput(body(mx.sym, data, variables), name="softmax")
    # Gradients of the parameters only, as the imperative step computes.
    executor = net.simple_bind(
        mx.cpu(), grad_req=dict.fromkeys(names, "write"), data=(batch, *shape)
    )
    rng = np.random.default_rng(0)
    for key, array in executor.arg_dict.items():
        if key == "softmax_label":
            array[:] = rng.integers(0, 10, array.shape)
        else:
            array[:] = rng.normal(0, 0.05, array.shape).astype(np.float32)
    arrays = {key: value.copy() for key, value in executor.arg_dict.items()}
    params = [arrays[n] for n in names]
    for p in params:
        p.attach_grad()

    def imperative():
        with mx.autograd.record():
            out = mx.nd.SoftmaxOutput(body(mx.nd, arrays["data"], params), arrays["softmax_label"])
        out.backward()
        mx.nd.waitall()

    def symbolic():
        executor.forward(is_train=True)
        executor.backward()
        mx.nd.waitall()

    return executor, imperative, symbolic, params, names


def check_same(executor, imperative, symbolic, params, names):
    imperative()
    symbolic()
    for name, p in zip(names, params):
        np.testing.assert_allclose(
            p.grad.asnumpy(), executor.grad_dict[name].asnumpy(), rtol=1e-4, atol=1e-5
        )


def main():
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--batch", type=int, default=64)
    options = parser.parse_args()
    print(harness.machine_line(), f"batch {options.batch}, engine {mx.engine.get_engine().name}")
    rows = []
    for name in NETWORKS:
        executor, imperative, symbolic, params, names = build(name, options.batch)
        check_same(executor, imperative, symbolic, params, names)
        t_imp = harness.best_per_call(harness.repeat_call(imperative), repeat=options.repeat)
        t_sym = harness.best_per_call(harness.repeat_call(symbolic), repeat=options.repeat)
        rows.append(
            [
                name,
                f"{t_imp * 1e3:.3f}",
                f"{t_sym * 1e3:.3f}",
                f"{t_imp / t_sym:.2f}x",
                f"{executor.planned_bytes / 2**20:.2f} / {executor.naive_bytes / 2**20:.2f}",
            ]
        )
    harness.print_table(
        ["network", "autograd ms", "executor ms", "speedup", "planned / naive MB"], rows
    )


if __name__ == "__main__":
    main()
