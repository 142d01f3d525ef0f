"""``neomx info``."""

from __future__ import annotations

import numpy as np

import neomx


def test_info_reports_versions_devices_and_engine(run_cli):
    status, out, err = run_cli("info")
    assert status == 0 and err == ""
    assert f"neomx        {neomx.__version__}" in out
    assert f"NumPy        {np.__version__}" in out
    for label in ("CuPy", "MPI", "devices", "engine"):
        assert any(line.startswith(label) for line in out.splitlines()), label
    assert "cpu(0)" in out
    assert neomx.engine.get_engine().name in out


def test_info_rejects_arguments(run_cli, capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        run_cli("info", "--verbose")
    assert exit_info.value.code == 2
