"""README.md is true: its Python snippets run, its commands exist, its console session gives what it shows."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from okc.cli.main import COMMANDS, cli

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", TEXT, flags=re.MULTILINE | re.DOTALL)


# Each snippet follows its package's bold name: **`okc.config`** — ... ```python ... ```; a package may
# have more than one (**`okc.sip.UserAgent`** is a second okc.sip snippet).
SNIPPETS: list[tuple[str, str]] = re.findall(
    r"^\*\*`(okc\.\w+)(?:\.\w+)*`\*\*.*?^```python\n(.*?)^```$", TEXT, flags=re.MULTILINE | re.DOTALL
)
TOUR: dict[str, str] = {}
for _package, _code in SNIPPETS:  # test ids: okc.sip, then okc.sip (2)
    TOUR[
        _package if _package not in TOUR else f"{_package} ({sum(k.startswith(_package) for k in TOUR) + 1})"
    ] = _code
PYTHON = _blocks("python")


def test_the_tour_covers_every_library_package() -> None:
    wanted = ("config", "credentials", "storage", "acd", "erlang", "simulation", "sip", "rtp")
    assert {package for package, _ in SNIPPETS} == {f"okc.{name}" for name in wanted}
    assert sorted(code for _, code in SNIPPETS) == sorted(PYTHON)
    for package, code in SNIPPETS:
        assert re.search(rf"^from {re.escape(package)}[. ]", code, flags=re.MULTILINE), package


@pytest.mark.parametrize(("package", "code"), TOUR.items(), ids=list(TOUR))
def test_python_snippet_runs(
    package: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    assert printed.getvalue().strip(), "each snippet shows a result"


def test_the_two_setup_commands() -> None:
    first, second = _blocks("sh")
    assert first.strip() == (
        "python -m pip install -e . && python -m okc init demo && python -m okc validate demo/okc.yaml"
    )
    assert second.strip() == "python -m pip install -e '.[test]' && python -m pytest"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert second.strip() in ci.replace(" -q ", " ")


def test_every_command_is_in_the_table_and_no_other() -> None:
    table = set(re.findall(r"^\| `okc ([a-z-]+(?: [a-z][a-z-]*)?)", TEXT, flags=re.MULTILINE))
    existing: set[str] = set()
    context = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        subcommands = getattr(command, "commands", None)
        existing |= {f"{name} {sub}" for sub in subcommands} if subcommands else {name}
    documented = {entry for entry in table if not entry.startswith("-")}
    assert documented == existing
    assert re.search(r"^\| `okc --version`", TEXT, flags=re.MULTILINE)


def test_the_console_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the README's console session in a fresh starter center and compare what it shows."""
    (session,) = _blocks("console")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path / "demo")]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    steps = re.split(r"^\$ ", session, flags=re.MULTILINE)[1:]
    assert steps
    for step in steps:
        command, *expected = step.rstrip("\n").split("\n")
        command = command.split("  #")[0].strip()
        if command.startswith("cd "):
            monkeypatch.chdir(command[3:])
            continue
        if not command.startswith("okc "):
            subprocess.run(["bash", "-c", command], check=True)
            continue
        result = runner.invoke(cli, shlex.split(command)[1:])
        output = result.output.splitlines()
        assert result.exit_code == (2 if any(line.startswith("error:") for line in expected) else 0), output
        if expected:
            patterns = [re.escape(line).replace("…", ".*") for line in expected]
            assert len(output) == len(patterns), output
            for line, pattern in zip(output, patterns, strict=True):
                assert re.fullmatch(pattern, line), (line, pattern)
