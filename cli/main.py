"""The `okc` command group: shared options, error handling and the registry of command modules."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from types import MappingProxyType

import click

from okc import __version__
from okc.errors import OkcError

# Every `okc` command: its name and where it lives ("module:attribute"). A command module adds one line.
# Modules are imported only when their command runs (or `--help` lists them), so `okc validate` does not
# pay for SQLAlchemy/Alembic and `okc db` does not pay for SciPy.
COMMANDS: Mapping[str, str] = MappingProxyType(
    {
        "db": "okc.cli.db:db",
        "erlang": "okc.cli.erlang:erlang",
        "init": "okc.cli.init:init",
        "schema": "okc.cli.config:schema",
        "sip": "okc.cli.sip:sip",
        "users": "okc.cli.users:users",
        "validate": "okc.cli.config:validate",
    }
)


class OkcGroup(click.Group):
    """A Click group that loads its commands lazily and turns every OkcError into a message and exit 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMANDS:
            return command
        module_name, _, attribute = COMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{COMMANDS[cmd_name]} is not a click command")
        self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OkcError as exc:
            # One line per problem, each marked, so a message listing several problems reads like one.
            for line in str(exc).splitlines() or [type(exc).__name__]:
                click.echo(f"error: {line}", err=True)
            ctx.exit(2)
        except click.UsageError as exc:
            # A wrong option or argument (a missing file, say): the same one-line form as other errors.
            click.echo(f"error: {exc.format_message()}", err=True)
            if exc.ctx is not None:
                click.echo(f"Try '{exc.ctx.command_path} --help' for help.", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            # A file named on the command line that cannot be read or written: the system says why.
            where = f"{exc.filename}: " if exc.filename is not None else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(2)


@click.group(cls=OkcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="okc", message="%(prog)s %(version)s")
def cli() -> None:
    """okc — an open-source contact center on one host."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="okc")
    sys.exit(0)
