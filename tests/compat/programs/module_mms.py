"""The symbolic Module API end to end: Module.fit trains an MLP (fixed initial weights, no
shuffling), mx.model.save_checkpoint writes it, and MXNet Model Server 1.0's MXNetBaseService
(which binds a Module itself) loads the checkpoint and serves predictions."""

import json
import os
import shutil
import tempfile

import mxnet as mx
import numpy as np
from _common import parse_args
from mms.model_service.mxnet_model_service import MXNetBaseService

fixdir, out, make = parse_args()
rng = np.random.RandomState(3)
x = rng.uniform(-1, 1, size=(40, 6)).astype("float32")
y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype("float32")

data = mx.sym.Variable("data")
net = mx.sym.FullyConnected(data, num_hidden=16, name="fc1")
net = mx.sym.Activation(net, act_type="relu", name="relu1")
net = mx.sym.FullyConnected(net, num_hidden=2, name="fc2")
net = mx.sym.SoftmaxOutput(net, name="softmax")

init_path = os.path.join(fixdir, "module_mlp-init.params")
module = mx.mod.Module(net, data_names=["data"], label_names=["softmax_label"])
train = mx.io.NDArrayIter(x, y, batch_size=8, shuffle=False)
module.bind(train.provide_data, train.provide_label)
if make:
    mx.random.seed(0)
    module.init_params(mx.init.Xavier())
    arg_params, aux_params = module.get_params()
    mx.nd.save(init_path, {f"arg:{k}": v for k, v in arg_params.items()})
saved = mx.nd.load(init_path)
module.init_params(arg_params={k[4:]: v for k, v in saved.items()}, force_init=True)
metric = mx.metric.Accuracy()
module.fit(
    train,
    eval_metric=metric,
    optimizer="sgd",
    optimizer_params={"learning_rate": 0.5, "momentum": 0.9},
    num_epoch=3,
)
results = {"accuracy": np.array(metric.get()[1])}
arg_params, _ = module.get_params()
for name, value in arg_params.items():
    results["param/" + name] = value.asnumpy()

model_dir = tempfile.mkdtemp()
try:
    mx.model.save_checkpoint(os.path.join(model_dir, "mlp"), 3, net, *module.get_params())
    signature = {
        "input_type": "application/json",
        "output_type": "application/json",
        "inputs": [{"data_name": "data", "data_shape": [0, 6]}],
        "outputs": [{"data_name": "softmax", "data_shape": [0, 2]}],
    }
    with open(os.path.join(model_dir, "signature.json"), "w") as f:
        json.dump(signature, f)
    manifest = {
        "Model": {
            "Signature": "signature.json",
            "Parameters": "mlp-0003.params",
            "Symbol": "mlp-symbol.json",
        }
    }
    service = MXNetBaseService("mlp", model_dir, manifest)
    served = [
        service._inference(list(service._preprocess([row[None]])))[0].asnumpy() for row in x[:5]
    ]
    results["served"] = np.concatenate(served)
finally:
    shutil.rmtree(model_dir)
np.savez(out, **results)
