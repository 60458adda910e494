"""The `okc db` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from okc.cli.main import cli

from okc.storage import Database


def test_db_upgrade_then_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    head = Database.head_revision()
    assert f"migrated from empty to revision {head}" in first.output
    assert Path("okc.db").is_file()
    again = runner.invoke(cli, ["db", "upgrade"])
    assert f"already at revision {head}" in again.output
    status = runner.invoke(cli, ["db", "status"])
    assert status.exit_code == 0
    assert "up to date" in status.output


def test_db_upgrade_with_url(tmp_path: Path) -> None:
    target = tmp_path / "center.sqlite"
    result = CliRunner().invoke(cli, ["db", "upgrade", "--url", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file()


def test_db_bad_url_is_a_clean_error() -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "--url", "mysql://u@h/x"])
    assert result.exit_code == 2
    assert "error: unsupported database" in result.output
    assert "Traceback" not in result.output
