"""``python -m neomx``: the same command line as the ``neomx`` console script."""

import sys

from .cli import main

sys.exit(main())
