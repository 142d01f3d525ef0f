"""``gluon.metric``: the evaluation metrics of ``mx.metric`` (the same classes and registry),
reachable from Gluon as later MXNet versions place them."""

from ..metric import *  # noqa: F403
from ..metric import __all__  # noqa: F401
