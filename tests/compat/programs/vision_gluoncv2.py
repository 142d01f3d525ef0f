"""imgclsmob's gluoncv2 (Gluon model zoo): CIFAR ResNet-20 and PreResNet-20, eager, hybridized
and trained for two SGD steps."""

import numpy as np
from _common import images, parse_args, vision_checks
from gluoncv2.model_provider import get_model

fixdir, out, make = parse_args()
x, y = images((2, 3, 32, 32))
results = {}
for name in ("resnet20_cifar10", "preresnet20_cifar10"):
    net = get_model(name, pretrained=False)
    for key, value in vision_checks(net, x, y, make, fixdir, f"gluoncv2_{name}").items():
        results[f"{name}/{key}"] = value
np.savez(out, **results)
