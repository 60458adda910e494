"""`okc validate` and `okc schema` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from okc.cli.main import cli

from okc.starter import create_starter


def test_validate_the_starter_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_starter(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "okc.yaml: valid — 5 users, 2 groups, 2 services, 1 scenario, 1 dial-in plan, 0 campaigns\n"
    )


def test_validate_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "okc.yaml"
    path.write_text(
        "users:\n  - {login: a, extension: '1001'}\n  - {login: b, extension: '1001'}\n"
        "groups: [{name: G, members: [c]}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"error: {path}:3: users[1].extension: user 'b': extension 1001 already belongs to user 'a'",
        f"error: {path}:4: groups[0].members[0]: group 'G' members: unknown user 'c'",
        f"2 problems in {path}",
    ]


def test_broken_yaml_gives_file_and_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "okc.yaml"
    path.write_text("general:\n  time_zone: Europe/Moscow\n   language: ru\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {path}:3: YAML syntax error:")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_validate_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert "okc.yaml: configuration file does not exist" in result.output


def test_schema_prints_and_writes_the_json_schema(tmp_path: Path) -> None:
    runner = CliRunner()
    printed = runner.invoke(cli, ["schema"])
    assert printed.exit_code == 0
    schema = json.loads(printed.output)
    assert schema["title"] == "okc contact center configuration"
    assert "services" in schema["properties"]
    target = tmp_path / "okc.schema.json"
    written = runner.invoke(cli, ["schema", "--output", str(target)])
    assert written.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == schema
