"""The ``neomx`` command line (also ``python -m neomx``).

Each subcommand lives in a module of this package that defines

* ``HELP``: one line for ``neomx --help``;
* ``add_arguments(parser)``: its options, on the ``argparse`` parser it is given;
* ``run(args) -> int``: the command itself, returning the exit status.

``COMMANDS`` lists the modules in the order ``--help`` shows them. A subcommand named in
``OPTIONAL_COMMANDS`` is offered only when its module exists: that is how ``neomx run`` (an
MXNet-alias runner for unmodified scripts) plugs in, by adding ``neomx/cli/run.py``.

Errors the user can fix (a missing file, a bad ``--ctx``, an unknown model) raise
``CLIError``, or ``MXNetError``/``OSError`` from the library; ``main`` prints them as one line
on stderr and returns 2, with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .common import CLIError

__all__ = ["CLIError", "COMMANDS", "OPTIONAL_COMMANDS", "main"]

COMMANDS = ("info", "train", "summary", "predict")
OPTIONAL_COMMANDS = ("run",)
EXIT_USAGE = 2  # argparse's status for bad usage; every user-fixable error uses it


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (no usage block)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _command_modules():
    """{name: module} of the available subcommands."""
    modules = {name: importlib.import_module(f"{__name__}.{name}") for name in COMMANDS}
    for name in OPTIONAL_COMMANDS:
        try:
            modules[name] = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    return modules


def build_parser():
    """The argument parser of ``neomx`` and all its subcommands."""
    from .. import __version__

    parser = _Parser(
        prog="neomx",
        description="neomx: MXNet 1.x's programming model on NumPy. "
        "Train, inspect and run models from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"neomx {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in _command_modules().items():
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def _one_line(err):
    """The message of ``err`` on one line."""
    text = str(err) if not isinstance(err, OSError) or not err.filename else None
    if text is None:  # FileNotFoundError(2, 'No such file or directory', 'x.npy')
        text = f"{err.strerror or err}: {err.filename}"
    return " ".join(text.split()) or type(err).__name__


def main(argv=None) -> int:
    """Run the ``neomx`` command line with ``argv`` (default: ``sys.argv[1:]``)."""
    from ..base import MXNetError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args) or 0
    except (CLIError, MXNetError, OSError) as err:
        print(f"neomx {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"neomx {args.command}: interrupted", file=sys.stderr)
        return 130
