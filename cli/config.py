"""`okc validate [CONFIG]` and `okc schema`: check a configuration, publish its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from okc.config import ConfigError, json_schema, load


@click.command()
@click.argument("config", default="okc.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def validate(ctx: click.Context, config: Path) -> None:
    """Check CONFIG (default: okc.yaml here) and the files it includes; list every problem."""
    try:
        center = load(config)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{_count(len(exc.problems), 'problem')} in {config}", err=True)
        ctx.exit(2)
    counts = (
        _count(len(center.users), "user"),
        _count(len(center.groups), "group"),
        _count(len(center.services), "service"),
        _count(len(center.scenarios), "scenario"),
        _count(len(center.dial_in_plans), "dial-in plan"),
        _count(len(center.campaigns), "campaign"),
    )
    click.echo(f"{config}: valid — {', '.join(counts)}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@click.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the schema to this file instead of printing it.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of okc.yaml (for editors' completion and checks)."""
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
