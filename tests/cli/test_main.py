"""The ``neomx`` entry points: dispatch, help, one-line errors, the extension point."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import neomx
from neomx import cli


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "neomx", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"neomx {neomx.__version__}"


def test_help_lists_every_command(run_cli):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("--help")
    assert exit_info.value.code == 0


def test_no_command_prints_help_and_fails(run_cli):
    status, out, _ = run_cli()
    assert status == 2
    for name in cli.COMMANDS:
        assert name in out


def test_unknown_command_is_one_line(run_cli, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("bogus")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice" in err


def test_bad_option_value_is_one_line(run_cli, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("train", "--epochs", "many")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--epochs" in err and "Traceback" not in err


def test_optional_command_plugs_in(monkeypatch, run_cli):
    """A module neomx/cli/run.py (issue 13) becomes ``neomx run`` without other changes."""
    calls = []
    module = types.ModuleType("neomx.cli.run")
    module.HELP = "run a script"
    module.add_arguments = lambda parser: parser.add_argument("script")
    module.run = lambda args: calls.append(args.script) or 0
    monkeypatch.setitem(sys.modules, "neomx.cli.run", module)
    status, _, _ = run_cli("run", "prog.py")
    assert status == 0 and calls == ["prog.py"]


def test_library_errors_become_one_line(monkeypatch, run_cli):
    def fail(args):
        raise neomx.MXNetError("FullyConnected: weight has shape (1, 2)\n  expected (3, 4)")

    monkeypatch.setattr(cli.info, "run", fail)
    status, out, err = run_cli("info")
    assert status == 2
    assert err == "neomx info: error: FullyConnected: weight has shape (1, 2) expected (3, 4)\n"


def test_parse_contexts():
    from neomx.cli.common import CLIError, parse_contexts

    assert parse_contexts("cpu(0),cpu(1)") == [neomx.cpu(0), neomx.cpu(1)]
    assert parse_contexts("cpu") == [neomx.cpu(0)]
    for bad in ("cpu0", "tpu(0)", "cpu(0),cpu(0)", ""):
        with pytest.raises(CLIError, match="--ctx"):
            parse_contexts(bad)
