"""Run a script or module as ``__main__`` with the ``mxnet`` alias installed."""

from __future__ import annotations

import os
import runpy
import sys
import traceback

from .alias import install_mxnet_alias


def _exit_status(code) -> int:
    """The process exit status Python gives ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run(runner, argv0: str, args, path0: str) -> int:
    install_mxnet_alias()
    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    sys.argv = [argv0, *args]
    if sys.path:
        sys.path[0] = path0
    else:
        sys.path.insert(0, path0)
    try:
        runner()
    except SystemExit as exit_:
        return _exit_status(exit_.code)
    except KeyboardInterrupt:
        raise
    except BaseException:  # the script's own error: a traceback and status 1, as python does
        kind, value, tb = sys.exc_info()
        # Drop the frames of this launcher and runpy, as python itself shows none of its own.
        while tb is not None and (
            tb.tb_frame.f_code.co_filename in (__file__, runpy.__file__)
            or tb.tb_frame.f_code.co_filename.startswith("<frozen runpy")
        ):
            tb = tb.tb_next
        traceback.print_exception(kind, value, tb)
        return 1
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0
    return 0


def run_script(path: str, args=()) -> int:
    """Run the file ``path`` as ``__main__`` under the alias, with ``sys.argv = [path, *args]``.

    Returns the exit status the script would give ``python path args...``: 0, the code of its
    ``SystemExit``, or 1 (with the traceback on stderr) if it raised.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    directory = os.path.dirname(os.path.abspath(path))
    return _run(lambda: runpy.run_path(path, run_name="__main__"), path, args, directory)


def run_module(module: str, args=()) -> int:
    """Run the module ``module`` as ``__main__`` under the alias (like ``python -m module``)."""
    return _run(
        lambda: runpy.run_module(module, run_name="__main__", alter_sys=True),
        module,
        args,
        os.getcwd(),
    )
