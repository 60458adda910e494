"""nox sessions: tests, lint (ruff), typecheck (mypy --strict), bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, as CI runs it."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over library, CLI, tests and benchmarks."""
    session.install("-e", ".[dev]")
    session.run("mypy")
    # okc.cli is mapped from cli/ by the build backend; check it where a regular install puts it.
    target = session.create_tmp()
    session.run("python", "-m", "pip", "install", "-q", "--no-deps", "--target", target, ".")
    session.run("mypy", "--strict", "-p", "okc.cli", env={"MYPYPATH": target})


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark, with ratios against its peers measured in the same run."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)
