"""``mx.optimizer``: the optimizers, their registry (``create``, ``register``) and the Updater.

>>> opt = mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9)
>>> updater = mx.optimizer.get_updater(opt)
"""

from ..ndarray import abs as NDabs  # noqa: N812 - MXNet exports nd.abs under this name
from . import contrib
from .adam import FTML, LAMB, Adam, Adamax, Nadam
from .adaptive import AdaDelta, AdaGrad, Ftrl, RMSProp
from .contrib import GroupAdaGrad
from .lars import LARS, LBSGD
from .optimizer import Optimizer, Test, create, register
from .sgd import DCASGD, NAG, SGD, SGLD, Signum, ccSGD
from .updater import StatesError, Updater, get_updater

__all__ = [
    "AdaDelta",
    "AdaGrad",
    "Adam",
    "Adamax",
    "DCASGD",
    "FTML",
    "Ftrl",
    "GroupAdaGrad",
    "LAMB",
    "LARS",
    "LBSGD",
    "NDabs",
    "NAG",
    "Nadam",
    "Optimizer",
    "RMSProp",
    "SGD",
    "SGLD",
    "Signum",
    "StatesError",
    "Test",
    "Updater",
    "ccSGD",
    "contrib",
    "create",
    "get_updater",
    "register",
]
