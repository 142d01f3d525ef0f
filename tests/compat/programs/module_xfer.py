"""Amazon's Xfer 1.1 (xfer-ml) transfer learning with the symbolic Module API: its
ModelHandler edits a source Module's symbol JSON (cuts it at a layer, appends new layers),
binds a new Module (fixed_param_names for frozen layers), trains it with Module.fit and
predicts; save_repurposer / xfer.load round-trip the result through Module checkpoints.

Xfer initialises the layers it adds with mx.init.Xavier, whose random draws differ between
MXNet and neomx. The two repurposers here are the library's classes with the one hook it
makes abstract for subclasses, ``_create_target_module``, extended: it calls the library's own
implementation, then sets the initial weights of the randomly initialised layers from the
fixture written by the MXNet run (``--make`` saves them). Everything else is xfer's code."""

import os
import shutil
import tempfile

import mxnet as mx
import numpy as np
import xfer
from _common import parse_args

fixdir, out, make = parse_args()
rng = np.random.RandomState(7)
x = rng.uniform(-1, 1, size=(48, 10)).astype("float32")
y3 = ((x[:, 0] > 0).astype(int) + (x[:, 1] * x[:, 2] > 0)).astype("float32")

# The source model: an MLP trained on a 10-class task, its weights from the fixture.
data = mx.sym.Variable("data")
net = mx.sym.FullyConnected(data, num_hidden=24, name="fc1")
net = mx.sym.Activation(net, act_type="relu", name="relu1")
net = mx.sym.FullyConnected(net, num_hidden=16, name="fc2")
net = mx.sym.Activation(net, act_type="relu", name="relu2")
net = mx.sym.FullyConnected(net, num_hidden=10, name="fc3")
net = mx.sym.SoftmaxOutput(net, name="softmax")
source = mx.mod.Module(net, data_names=["data"], label_names=["softmax_label"])
source.bind([("data", (8, 10))], [("softmax_label", (8,))])
source_path = os.path.join(fixdir, "xfer_source.params")
if make:
    mx.random.seed(0)
    source.init_params(mx.init.Xavier())
    mx.nd.save(source_path, {f"arg:{k}": v for k, v in source.get_params()[0].items()})
saved = mx.nd.load(source_path)
source.init_params(arg_params={k[4:]: v for k, v in saved.items()}, force_init=True)


def fixed_start(module, name):
    """The target module's initial parameters: saved from MXNet (make) or loaded from it."""
    path = os.path.join(fixdir, f"xfer_{name}-init.params")
    if make:
        mx.nd.save(path, module.get_params()[0])
    module.set_params(mx.nd.load(path), {}, force_init=True)
    return module


class NeuralNetworkFineTuneRepurposer(xfer.NeuralNetworkFineTuneRepurposer):
    def _create_target_module(self, train_iterator):
        return fixed_start(super()._create_target_module(train_iterator), "fine_tune")


class NeuralNetworkRandomFreezeRepurposer(xfer.NeuralNetworkRandomFreezeRepurposer):
    def _create_target_module(self, train_iterator):
        return fixed_start(super()._create_target_module(train_iterator), "random_freeze")


def iterators():
    train = mx.io.NDArrayIter(x, y3, batch_size=8, shuffle=False, label_name="softmax_label")
    test = mx.io.NDArrayIter(x[:16], y3[:16], batch_size=8, shuffle=False)
    return train, test


results = {}
optimizer_params = {"learning_rate": 0.2, "momentum": 0.9, "wd": 1e-4}
repurposers = {
    "fine_tune": NeuralNetworkFineTuneRepurposer(
        source, transfer_layer_name="relu2", target_class_count=3, batch_size=8, num_epochs=2,
        optimizer_params=optimizer_params,
    ),
    "random_freeze": NeuralNetworkRandomFreezeRepurposer(
        source, target_class_count=3, fixed_layers=["fc1"], random_layers=["fc2"],
        num_layers_to_drop=2, batch_size=8, num_epochs=2, optimizer_params=optimizer_params,
    ),
}  # fmt: skip
model_dir = tempfile.mkdtemp()
try:
    for name, repurposer in repurposers.items():
        train, test = iterators()
        repurposer.repurpose(train)
        results[f"{name}/arg_names"] = np.array(repurposer.target_model.symbol.list_arguments())
        results[f"{name}/fixed_param_names"] = np.array(
            sorted(repurposer.target_model._fixed_param_names or []), dtype=str
        )
        results[f"{name}/probabilities"] = repurposer.predict_probability(test)
        test.reset()
        results[f"{name}/labels"] = repurposer.predict_label(test)
        for key, value in sorted(repurposer.target_model.get_params()[0].items()):
            results[f"{name}/param/{key}"] = value.asnumpy()
        repurposer.save_repurposer(name, model_dir)
        loaded = xfer.load(name, model_dir, source_model=source)
        results[f"{name}/loaded_class"] = np.array(type(loaded).__name__)
        test.reset()
        results[f"{name}/loaded_probabilities"] = loaded.predict_probability(test)
finally:
    shutil.rmtree(model_dir)
np.savez(out, **results)
