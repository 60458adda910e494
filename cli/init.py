"""`okc init DIR`: write the starter center (the guide's Appendix 1) and print its passwords once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from okc.credentials import GeneratedPassword
from okc.starter import create_starter


def print_passwords(passwords: Sequence[GeneratedPassword], title: str) -> None:
    """Show generated passwords in a table: they are stored only as hashes and never shown again."""
    table = Table(title=title)
    table.add_column("login")
    table.add_column("extension")
    table.add_column("password", style="bold")
    for entry in passwords:
        table.add_row(entry.login, entry.extension or "", entry.password)
    console = Console(soft_wrap=True)
    console.print(table)
    console.print("These passwords are shown only now; okc keeps only their hashes.", style="yellow")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing okc.yaml and the starter files.")
@click.option("--realm", default=None, help="SIP digest realm of the center (default: okc.local).")
def init(directory: Path, force: bool, realm: str | None) -> None:
    """Write the starter contact center into DIRECTORY."""
    center = create_starter(directory, force=force, realm=realm)
    click.echo(f"wrote {center.config_path}")
    for path in center.files:
        if path != center.config_path:
            click.echo(f"wrote {path}")
    print_passwords(center.passwords, "Starter users")
    click.echo(f"next: okc validate {center.config_path}")
