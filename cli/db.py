"""`okc db`: create or migrate the center's database and report its schema revision."""

from __future__ import annotations

from pathlib import Path

import click

from okc.storage import Database


def _open(url: str | None) -> Database:
    # Without --url the database is okc.db in the current (the center's) directory.
    return Database.open(url if url is not None else Path.cwd())


_URL = click.option(
    "--url",
    metavar="URL",
    default=None,
    help="Database URL (postgresql+psycopg://…) or SQLite file path; default: okc.db here.",
)


@click.group()
def db() -> None:
    """The center's database (call records, agent states, queue events, …)."""


@db.command()
@_URL
def upgrade(url: str | None) -> None:
    """Create the database or migrate it to the newest schema."""
    database = _open(url)
    try:
        before = database.current_revision()
        database.upgrade()
        after = database.current_revision()
    finally:
        database.close()
    if before == after:
        click.echo(f"{database.url}: already at revision {after}")
    else:
        click.echo(f"{database.url}: migrated from {before or 'empty'} to revision {after}")


@db.command()
@_URL
def status(url: str | None) -> None:
    """Show the schema revision of the database and whether it matches this okc."""
    database = _open(url)
    try:
        current = database.current_revision()
    finally:
        database.close()
    head = Database.head_revision()
    state = "up to date" if current == head else "needs `okc db upgrade`"
    click.echo(f"{database.url}: revision {current or 'none'} (newest {head}) — {state}")
