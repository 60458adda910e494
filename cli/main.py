"""The `okc` command group: shared options, error handling and the registry of command modules."""

from __future__ import annotations

import sys

import click

from okc import __version__
from okc.errors import OkcError


class OkcGroup(click.Group):
    """A Click group that turns every OkcError into a clean message and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OkcError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=OkcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="okc", message="%(prog)s %(version)s")
def cli() -> None:
    """okc — an open-source contact center on one host."""


def _register() -> None:
    """Attach every command module's commands to the group (one line per module)."""
    # Each command module adds its line here.
    from okc.cli.db import db

    cli.add_command(db)
    from okc.cli.init import init

    cli.add_command(init)
    from okc.cli.users import users

    cli.add_command(users)
    from okc.cli.erlang import erlang

    cli.add_command(erlang)
    from okc.cli.config import schema, validate

    cli.add_command(validate)
    cli.add_command(schema)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="okc")
    sys.exit(0)
