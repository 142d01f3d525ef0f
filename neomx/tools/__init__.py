"""Command-line tools: ``python -m neomx.tools.im2rec``."""
