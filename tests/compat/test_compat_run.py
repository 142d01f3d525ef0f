"""``python -m neomx run`` and the opt-in ``.pth`` hook, in subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import neomx.compat as compat

SCRIPT = textwrap.dedent(
    """
    import sys
    import mxnet as mx
    import neomx
    from mxnet import nd
    print("argv", sys.argv[1:], "name", __name__)
    print("versions", mx.__version__, neomx.__version__)
    print("sum", nd.ones((2, 3)).sum().asscalar())
    sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    """
)


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(SCRIPT)
    return path


def test_run_script_argv_and_exit_code(script):
    result = _run("-m", "neomx", "run", str(script), "3", "--flag", "-h")
    assert result.returncode == 3, result.stderr
    assert "argv ['3', '--flag', '-h'] name __main__" in result.stdout
    assert "versions 1.9.1 0.1.0" in result.stdout and "sum 6.0" in result.stdout


def test_run_script_error_gives_traceback_and_status_1(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import mxnet\nraise ValueError('boom')\n")
    result = _run("-m", "neomx", "run", str(path))
    assert result.returncode == 1
    assert "ValueError: boom" in result.stderr and 'bad.py", line 2' in result.stderr
    assert "launcher.py" not in result.stderr


def test_run_module(tmp_path):
    (tmp_path / "mxprog.py").write_text(
        "import mxnet, sys\nprint(mxnet.__version__, sys.argv[1:])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = _run("-m", "neomx", "run", "-m", "mxprog", "a", "--b", env=env)
    assert result.returncode == 0, result.stderr
    assert "1.9.1 ['a', '--b']" in result.stdout


def test_run_missing_script():
    result = _run("-m", "neomx", "run", "no/such/prog.py")
    assert result.returncode == 2 and "No such file" in result.stderr


def test_without_alias_mxnet_is_absent(script):
    assert _run(str(script)).returncode != 0  # neomx never installs the alias silently


def test_compat_main_run(script):
    result = _run("-m", "neomx.compat", "run", str(script), "0")
    assert result.returncode == 0 and "versions 1.9.1" in result.stdout


def test_install_pth(tmp_path, script):
    site_dir = tmp_path / "site"
    result = _run("-m", "neomx.compat", "install-pth", "--site", str(site_dir))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(site_dir)) == ["_neomx_mxnet_alias.py", "neomx_mxnet_alias.pth"]
    # A .pth file runs only from a site directory: add ours as one, as a venv would.
    boot = f"import site, runpy, sys; site.addsitedir({str(site_dir)!r}); "
    run = boot + f"sys.argv = [{str(script)!r}]; runpy.run_path(sys.argv[0], run_name='__main__')"
    assert "versions 1.9.1" in _run("-c", run).stdout
    off = _run("-c", run, env=dict(os.environ, NEOMX_MXNET_ALIAS="0"))
    assert off.returncode != 0 and "No module named 'mxnet'" in off.stderr
    lazy = _run("-c", boot + "print('neomx' in sys.modules)")
    assert lazy.stdout.strip() == "False"  # the hook imports nothing until `import mxnet`
    assert _run("-m", "neomx.compat", "uninstall-pth", "--site", str(site_dir)).returncode == 0
    assert os.listdir(site_dir) == []


def test_install_pth_refuses_system_python(monkeypatch):
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)
    with pytest.raises(RuntimeError, match="not a virtual environment"):
        compat.install_pth()


def test_install_pth_refuses_to_hide_real_mxnet(tmp_path, monkeypatch):
    (tmp_path / "mxnet").mkdir()
    (tmp_path / "mxnet" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match="real MXNet"):
        compat.install_pth(str(tmp_path / "site"))
