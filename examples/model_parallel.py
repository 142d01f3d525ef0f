"""Model parallelism: the layers of one network on two devices, cpu(0) and cpu(1).

MXNet's way, unchanged: the network is a Symbol whose layers are tagged with
``mx.AttrScope(ctx_group=...)``; binding it with ``group2ctx`` puts each group on its
device, and the executor inserts the copies between them (forward and backward). Here the
first two layers of an MLP run on cpu(0) and the classifier on cpu(1) (with GPUs present,
gpu(0) and gpu(1)); neomx treats cpu(0) and cpu(1) as distinct devices, so the placement and
the copies are real even on a laptop.

The script trains the MLP on scikit-learn's digits (flattened 8x8 images) with plain SGD,
prints where every weight lives, and checks the result against the same network trained on a
single device: model parallelism changes where the work runs, not the numbers.

    python examples/model_parallel.py [--epochs 10]
    python examples/model_parallel.py --epochs 1 --synthetic   # seconds, no scikit-learn
"""

from __future__ import annotations

import argparse

import numpy as np

import neomx as mx

BATCH = 64


def devices():
    """Two GPUs where there are, else two CPU devices."""
    if mx.num_gpus() >= 2:
        return mx.gpu(0), mx.gpu(1)
    return mx.cpu(0), mx.cpu(1)


def load_data(synthetic):
    """(x, y): 64 features in [0, 1] and labels 0..9, float32."""
    if synthetic:
        rng = np.random.default_rng(0)
        centers = rng.random((10, 64), dtype=np.float32)
        y = rng.integers(0, 10, 1024)
        x = centers[y] + 0.1 * rng.standard_normal((1024, 64), dtype=np.float32)
        return x.astype(np.float32), y.astype(np.float32)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.float32)


def network():
    """An MLP whose feature layers are group 'features' and classifier group 'classifier'."""
    data = mx.sym.var("data")
    with mx.AttrScope(ctx_group="features"):
        hidden = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
        hidden = mx.sym.Activation(hidden, act_type="relu", name="relu1")
        hidden = mx.sym.FullyConnected(hidden, num_hidden=64, name="fc2")
        hidden = mx.sym.Activation(hidden, act_type="relu", name="relu2")
    with mx.AttrScope(ctx_group="classifier"):
        scores = mx.sym.FullyConnected(hidden, num_hidden=10, name="fc3")
        return mx.sym.SoftmaxOutput(scores, name="softmax")


def train(x, y, epochs, lr, group2ctx=None):
    """Train the network (placed by ``group2ctx``, or all on cpu(0)); return (executor,
    accuracy per epoch)."""
    symbol = network()
    executor = symbol.simple_bind(
        mx.cpu(0), group2ctx=group2ctx, data=(BATCH, x.shape[1]), softmax_label=(BATCH,)
    )
    rng = np.random.default_rng(0)  # the same initial weights for every placement
    weights = [name for name in symbol.list_arguments() if name not in ("data", "softmax_label")]
    for name in weights:
        array = executor.arg_dict[name]
        scale = 0.0 if name.endswith("bias") else np.sqrt(2.0 / array.shape[-1])
        array[:] = (scale * rng.standard_normal(array.shape)).astype(np.float32)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        correct = seen = 0
        for start in range(0, len(x) - BATCH + 1, BATCH):
            index = order[start : start + BATCH]
            executor.arg_dict["data"][:] = x[index]
            executor.arg_dict["softmax_label"][:] = y[index]
            executor.forward(is_train=True)
            executor.backward()
            for name in weights:  # each update runs on the device that holds the weight
                mx.nd.sgd_update(
                    executor.arg_dict[name],
                    executor.grad_dict[name],
                    lr=lr,
                    rescale_grad=1.0 / BATCH,
                    out=executor.arg_dict[name],
                )
            predicted = executor.outputs[0].asnumpy().argmax(axis=1)
            correct += int((predicted == y[index]).sum())
            seen += len(index)
        history.append(correct / seen)
    return executor, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--synthetic", action="store_true", help="random data, no scikit-learn")
    args = parser.parse_args(argv)
    x, y = load_data(args.synthetic)
    first, second = devices()
    placement = {"features": first, "classifier": second}

    executor, history = train(x, y, args.epochs, args.lr, placement)
    print("where the weights live:")
    for name, array in executor.arg_dict.items():
        print(f"  {name:16s} {str(array.shape):12s} {array.context}")
    for epoch, accuracy in enumerate(history, 1):
        print(f"epoch {epoch}: training accuracy {accuracy:.4f}")

    reference, single = train(x, y, args.epochs, args.lr)
    same = history == single and all(
        np.allclose(executor.arg_dict[name].asnumpy(), array.asnumpy(), rtol=1e-5, atol=1e-6)
        for name, array in reference.arg_dict.items()
    )
    print(
        f"same network on one device: final accuracy {single[-1]:.4f} "
        f"({'identical' if same else 'DIFFERENT'} to the two-device run)"
    )
    assert executor.arg_dict["fc1_weight"].context == first
    assert executor.arg_dict["fc3_weight"].context == second
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
