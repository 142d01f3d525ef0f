"""MXNet 1.9.1's contrib operators (``_contrib_*``, mx.nd.contrib.*) that detection and
transformer models use. Importing this package registers them."""

from . import boxes, misc, multibox, transformer  # noqa: F401 - imported to register
