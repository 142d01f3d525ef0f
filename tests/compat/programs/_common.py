"""Shared by the compat programs: argument parsing, fixture files, a reproducible batch.

Each program is run twice: by tools/make_compat_goldens.py under real MXNet 1.9.1 with
``--make`` (random weights are saved, then the outputs), and by tests/compat under neomx's
``mxnet`` alias (the same weights are loaded, the outputs compared). The programs use the
third-party libraries as their users would; nothing of them is patched.
"""

import os
import sys

import numpy as np


def parse_args():
    """(fixture directory, output .npz, make) from ``prog.py FIXDIR OUT.npz [--make]``."""
    args = [a for a in sys.argv[1:] if a != "--make"]
    return args[0], args[1], "--make" in sys.argv


def images(shape, seed=0):
    """A fixed float32 batch in [0, 1) and integer labels for it."""
    rng = np.random.RandomState(seed)
    return rng.uniform(size=shape).astype("float32"), rng.randint(0, 10, shape[0]).astype("float32")


def weights(net, path, make, sample):
    """Initialize ``net`` at random and save it (make), or load the weights saved before."""
    import mxnet as mx

    if make:
        mx.random.seed(0)
        net.initialize(mx.init.Xavier(magnitude=2.0))
        net(sample)  # deferred shapes
        net.save_parameters(path)
    else:
        net.load_parameters(path)


def vision_checks(net, x, y, make, fixdir, name):
    """Outputs of ``net``: imperative, hybridized, then one SGD training step (hybridized)."""
    import mxnet as mx
    from mxnet import autograd, gluon

    x, y = mx.nd.array(x), mx.nd.array(y)
    weights(net, os.path.join(fixdir, f"{name}.params"), make, x)
    results = {"imperative": net(x).asnumpy()}
    net.hybridize()
    results["hybridized"] = net(x).asnumpy()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for step in range(2):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
        results[f"loss{step}"] = loss.asnumpy()
    results["after_training"] = net(x).asnumpy()
    return results
