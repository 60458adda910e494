"""The package's outer shape: version, error root, command line entry point."""

from __future__ import annotations

from click.testing import CliRunner
from okc.cli.main import cli

import okc
from okc.errors import ConfigError, OkcError, StorageError


def test_version_is_exposed() -> None:
    assert okc.__version__
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"okc {okc.__version__}"


def test_errors_share_one_root() -> None:
    assert issubclass(ConfigError, OkcError)
    assert issubclass(StorageError, OkcError)
    assert okc.OkcError is OkcError
