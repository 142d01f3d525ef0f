"""Neural-network operators. Importing this package registers them."""

from . import dropout  # noqa: F401 - imported to register
