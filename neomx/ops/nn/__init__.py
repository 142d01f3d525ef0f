"""Neural-network operators. Importing this package registers them."""

from . import dropout  # noqa: F401 - imported to register
from . import pooling  # noqa: F401 - imported to register
from . import rnn  # noqa: F401 - imported to register
