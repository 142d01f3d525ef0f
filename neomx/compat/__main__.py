"""``python -m neomx.compat``: install or remove the permanent alias, or run a script under it.

python -m neomx.compat install-pth [--site DIR] [--force]
python -m neomx.compat uninstall-pth [--site DIR]
python -m neomx.compat status
python -m neomx.compat run prog.py args...      (the same as ``python -m neomx run``)
"""

from __future__ import annotations

import argparse
import os
import sys

from .launcher import run_module, run_script
from .pth import HOOK_NAME, _site_dir, install_pth, uninstall_pth


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:
        rest = argv[1:]
        if not rest:
            print(
                "usage: python -m neomx.compat run (SCRIPT | -m MODULE) [ARGS...]", file=sys.stderr
            )
            return 2
        if rest[0] == "-m" and len(rest) > 1:
            return run_module(rest[1], rest[2:])
        return run_script(rest[0], rest[1:])
    parser = argparse.ArgumentParser(
        prog="python -m neomx.compat",
        description="Make `import mxnet` run neomx in this virtual environment (opt-in).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install-pth", help="install the start-up hook in site-packages")
    install.add_argument("--site", help="the directory (default: this venv's site-packages)")
    install.add_argument("--force", action="store_true", help="even if a real mxnet is installed")
    remove = commands.add_parser("uninstall-pth", help="remove the start-up hook")
    remove.add_argument("--site", help="the directory (default: this venv's site-packages)")
    status = commands.add_parser("status", help="say whether the hook is installed")
    status.add_argument("--site", help="the directory (default: this venv's site-packages)")
    args = parser.parse_args(argv)
    try:
        if args.command == "install-pth":
            for path in install_pth(args.site, force=args.force):
                print(f"wrote {path}")
            print(
                "`import mxnet` now runs neomx in this environment "
                "(NEOMX_MXNET_ALIAS=0 turns it off for one run)"
            )
        elif args.command == "uninstall-pth":
            removed = uninstall_pth(args.site)
            print("\n".join(f"removed {p}" for p in removed) or "the hook was not installed")
        else:
            installed = os.path.exists(os.path.join(_site_dir(args.site), HOOK_NAME))
            print(f"mxnet alias hook: {'installed' if installed else 'not installed'}")
    except (RuntimeError, OSError) as err:
        print(f"python -m neomx.compat {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
