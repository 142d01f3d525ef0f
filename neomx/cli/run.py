"""``neomx run``: run an unmodified MXNet 1.x script with ``import mxnet`` resolving to neomx."""

from __future__ import annotations

import argparse

HELP = "run an MXNet 1.x script (or -m module) with `import mxnet` mapped to neomx"


def add_arguments(parser) -> None:
    parser.add_argument(
        "-m",
        dest="module",
        nargs=argparse.REMAINDER,
        metavar="MODULE ...",
        help="run a module as python -m does; what follows is its arguments",
    )
    parser.add_argument("script", nargs="?", help="the script to run (omit with -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments (sys.argv[1:])")


def run(args) -> int:
    from ..compat import run_module, run_script
    from .common import CLIError

    if args.module is not None:
        if not args.module:
            raise CLIError("-m needs a module name")
        return run_module(args.module[0], args.module[1:])
    if args.script is None:
        raise CLIError("give a script to run, or -m MODULE")
    return run_script(args.script, args.args)
