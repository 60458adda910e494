"""`okc erlang`: a staffing table (Erlang C, and Erlang A when callers abandon) for one interval's traffic."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import click
from rich.console import Console
from rich.table import Table

from okc.erlang import ErlangCTable, ErlangError, erlang_a

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|m|min|h)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_GOAL = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*%?\s*/\s*(.+)$")
_ROWS_PAST_GOAL = 4  # rows shown after the smallest staffing that meets the goal


def parse_duration(text: str, option: str) -> float:
    """Seconds in '180', '180s', '3m', '30min' or '1h'; a bare number is seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ErlangError(f"{option}: {text!r} is not a duration (e.g. 180, 180s, 3m, 1h)")
    seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "").lower()]
    if seconds <= 0:
        raise ErlangError(f"{option}: the duration must be greater than zero, not {text!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class Goal:
    """A service-level goal: this share of calls answered within this many seconds (80/20)."""

    share: float
    threshold: float

    @classmethod
    def parse(cls, text: str) -> Goal:
        """Read PERCENT/SECONDS, e.g. '80/20' or '90%/15s'."""
        match = _GOAL.match(text)
        if match is None:
            raise ErlangError(f"--sl: {text!r} is not a goal of the form PERCENT/SECONDS (e.g. 80/20)")
        percent = float(match.group(1))
        if not 0 < percent < 100:
            raise ErlangError(f"--sl: the percentage must be above 0 and below 100, not {percent:g}")
        return cls(percent / 100, parse_duration(match.group(2), "--sl"))


def _parse_occupancy(text: str | None) -> float:
    if text is None:
        return 1.0
    raw = text.strip().removesuffix("%")
    try:
        value = float(raw)
    except ValueError:
        raise ErlangError(f"--max-occupancy: {text!r} is not a number (e.g. 85% or 0.85)") from None
    if text.strip().endswith("%") or value > 1:
        value /= 100
    if not 0 < value <= 1:
        raise ErlangError(f"--max-occupancy: must be above 0 and at most 100%, not {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class _Row:
    agents: int
    p_wait: float
    service_level: float
    asa: float
    occupancy: float
    a_p_wait: float | None = None
    a_p_abandon: float | None = None
    a_p_short_abandon: float | None = None
    a_service_level: float | None = None
    a_asa: float | None = None
    a_occupancy: float | None = None


def _row(
    table: ErlangCTable, agents: int, goal: Goal, patience: float | None, *, exclude_short: bool = False
) -> _Row:
    """One staffing row: Erlang C from the shared table, Erlang A (short abandons counted or not) when
    callers have a patience."""
    stable = table.traffic < agents
    sl = table.service_level(agents, goal.threshold) if stable else 0.0
    c = _Row(agents, table.p_wait(agents), sl, table.average_speed_of_answer(agents), table.occupancy(agents))
    if patience is None:
        return c
    a = erlang_a(table.traffic, agents, table.aht, patience, goal.threshold)
    return replace(
        c,
        a_p_wait=a.p_wait,
        a_p_abandon=a.p_abandon,
        a_p_short_abandon=a.p_short_abandon,
        a_service_level=a.service_level_excluding_short_abandons if exclude_short else a.service_level,
        a_asa=a.average_speed_of_answer,
        a_occupancy=a.occupancy,
    )


def _meets(share: float | None, occ: float, goal: Goal, max_occupancy: float) -> bool:
    return share is not None and share >= goal.share and occ <= max_occupancy + 1e-12


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _secs(value: float | None) -> str:
    return "—" if value is None else ("∞" if math.isinf(value) else f"{value:.1f}")


@click.command()
@click.option("--calls", type=float, required=True, help="Calls offered in the interval.")
@click.option("--interval", default="30m", show_default=True, help="Interval length (e.g. 15m, 30m, 1h).")
@click.option("--aht", required=True, help="Average handling time (e.g. 180, 180s, 3m).")
@click.option("--sl", "goal_text", default="80/20", show_default=True, help="Goal: PERCENT/SECONDS.")
@click.option("--patience", default=None, help="Mean caller patience; adds Erlang A (abandonment) columns.")
@click.option(
    "--exclude-short-abandons",
    "exclude_short",
    is_flag=True,
    help="Erlang A service level leaves callers who hang up within the threshold out (as the service's "
    "count_short_abandons: false does); by default they count.",
)
@click.option("--max-occupancy", "occupancy_text", default=None, help="Highest occupancy (e.g. 85%).")
@click.option("--min-agents", type=int, default=None, help="First row of the table.")
@click.option("--max-agents", type=int, default=None, help="Last row of the table.")
def erlang(
    *,
    calls: float,
    interval: str,
    aht: str,
    goal_text: str,
    patience: str | None,
    exclude_short: bool,
    occupancy_text: str | None,
    min_agents: int | None,
    max_agents: int | None,
) -> None:
    """Staffing table for an interval's calls: P(wait), service level, ASA and occupancy per agent count."""
    if not math.isfinite(calls) or calls <= 0:
        raise ErlangError(f"--calls must be a number of calls above zero, not {calls:g}")
    interval_s = parse_duration(interval, "--interval")
    aht_s = parse_duration(aht, "--aht")
    goal = Goal.parse(goal_text)
    patience_s = None if patience is None else parse_duration(patience, "--patience")
    if exclude_short and patience_s is None:
        raise ErlangError("--exclude-short-abandons needs --patience (without it nobody abandons)")
    max_occ = _parse_occupancy(occupancy_text)
    traffic = calls * aht_s / interval_s
    first = min_agents if min_agents is not None else max(1, math.floor(traffic * 0.9))
    if first < 1:
        raise ErlangError(f"--min-agents must be at least 1, not {first}")
    if max_agents is not None and max_agents < first:
        raise ErlangError(f"--max-agents ({max_agents}) is below the first row ({first})")
    limit = max_agents if max_agents is not None else first + 10_000

    erlang_c = ErlangCTable(traffic, aht_s)  # each row is one recursion step from the row above
    rows: list[_Row] = []
    best_c: int | None = None
    best_a: int | None = None
    agents = first
    while agents <= limit:
        row = _row(erlang_c, agents, goal, patience_s, exclude_short=exclude_short)
        rows.append(row)
        if best_c is None and _meets(row.service_level, row.occupancy, goal, max_occ):
            best_c = agents
        if (
            best_a is None
            and row.a_occupancy is not None
            and _meets(row.a_service_level, row.a_occupancy, goal, max_occ)
        ):
            best_a = agents
        done = best_c is not None and (patience_s is None or best_a is not None)
        if max_agents is None and done and agents >= max(best_c or 0, best_a or 0) + _ROWS_PAST_GOAL:
            break
        agents += 1

    table = Table(title=f"{calls:g} calls in {interval_s / 60:g} min, AHT {aht_s:g} s: {traffic:.2f} Erlangs")
    for name in ("agents", "P(wait)", f"SL {goal.threshold:g}s", "ASA s", "occ."):
        table.add_column(name, justify="right")
    if patience_s is not None:
        a_sl = f"A SL {goal.threshold:g}s" + (" excl." if exclude_short else "")
        for name in ("A P(wait)", "A abandon", f"A ab. <{goal.threshold:g}s", a_sl, "A ASA s", "A occ."):
            table.add_column(name, justify="right")
    table.add_column("goal")
    for row in rows:
        marks = [m for m, best in (("C", best_c), ("A", best_a)) if best == row.agents]
        cells = [
            str(row.agents),
            _pct(row.p_wait),
            _pct(row.service_level),
            _secs(row.asa),
            _pct(row.occupancy),
        ]
        if patience_s is not None:
            cells += [
                _pct(row.a_p_wait),
                _pct(row.a_p_abandon),
                _pct(row.a_p_short_abandon),
                _pct(row.a_service_level),
                _secs(row.a_asa),
                _pct(row.a_occupancy),
            ]
        cells.append(("◀ " + "+".join(marks)) if marks else "")
        table.add_row(*cells, style="bold green" if marks else None)
    console = Console(width=max(120, Console().width))
    console.print(table)
    goal_words = f"{100 * goal.share:g}% answered within {goal.threshold:g} s"
    if max_occ < 1:
        goal_words += f", occupancy ≤ {100 * max_occ:g}%"
    console.print(f"goal: {goal_words}")
    console.print(
        f"Erlang C minimum: {best_c} agents" if best_c is not None else "Erlang C: goal not met in this range"
    )
    if patience_s is not None:
        short_words = ", short abandons excluded" if exclude_short else ""
        console.print(
            f"Erlang A minimum (mean patience {patience_s:g} s{short_words}): {best_a} agents"
            if best_a is not None
            else "Erlang A: goal not met in this range"
        )
