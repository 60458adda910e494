"""`okc users import FILE.csv`: add or update users in the configuration's users file."""

from __future__ import annotations

from pathlib import Path

import click
from okc.cli.init import print_passwords

from okc.users_import import import_users


@click.group()
def users() -> None:
    """The center's users."""


@users.command(name="import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("okc.yaml"),
    show_default=True,
    help="The center's main configuration file.",
)
@click.option("--skip-bad", is_flag=True, help="Import the good rows even when some rows are bad.")
def import_(csv_file: Path, config_path: Path, skip_bad: bool) -> None:
    """Add or update users from FILE.csv (header: login, first_name, last_name, extension, roles, …)."""
    result = import_users(config_path, csv_file, skip_bad=skip_bad)
    for bad in result.bad:
        click.echo(f"skipped: {csv_file}:{bad.line}: {bad.where()}", err=True)
    click.echo(
        f"{result.users_file}: {len(result.added)} added, {len(result.updated)} updated"
        + (f", {len(result.bad)} bad rows skipped" if result.bad else "")
    )
    if result.passwords:
        print_passwords(result.passwords, "New users' passwords")
