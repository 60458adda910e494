"""The `okc` command group: shared options, error handling and the registry of command modules."""

from __future__ import annotations

import sys

import click
from okc.cli.config import schema, validate
from okc.cli.db import db
from okc.cli.erlang import erlang
from okc.cli.init import init
from okc.cli.users import users

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
    """Attach every command module's commands to the group.

    A new command module adds its import at the top of this file (with the others, in order) and its
    command object to the tuple below; imports stay at module level so lint stays clean.
    """
    for command in (db, init, users, erlang, validate, schema):
        cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="okc")
    sys.exit(0)
