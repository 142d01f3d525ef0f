"""GluonCV 0.10: CIFAR ResNet-20 v1 and v2 from its model zoo, eager, hybridized and
trained for two SGD steps; then its bbox utilities on the same arrays."""

import importlib.util
import sys

# GluonCV 0.10 refuses to import when PyTorch >= 2.0 is also installed (its own version check,
# nothing to do with MXNet); hide torch from it, as a user with both installed would have to.
if importlib.util.find_spec("torch") is not None:
    sys.modules["torch"] = None

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from _common import images, parse_args, vision_checks  # noqa: E402
from gluoncv import model_zoo  # noqa: E402
from gluoncv.nn.bbox import BBoxCornerToCenter  # noqa: E402

fixdir, out, make = parse_args()
x, y = images((2, 3, 32, 32))
results = {}
for name in ("cifar_resnet20_v1", "cifar_resnet20_v2"):
    net = model_zoo.get_model(name, pretrained=False)
    for key, value in vision_checks(net, x, y, make, fixdir, f"gluoncv_{name}").items():
        results[f"{name}/{key}"] = value
boxes = mx.nd.array(np.random.RandomState(1).uniform(0, 10, size=(1, 4, 4)).astype("float32"))
centers = BBoxCornerToCenter(split=False)(boxes)
results["bbox_corner_to_center"] = centers.asnumpy()
np.savez(out, **results)
