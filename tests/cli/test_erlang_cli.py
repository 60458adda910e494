"""The `okc erlang` staffing table."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from okc.cli.main import cli


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["erlang", *args])
    return result.exit_code, result.output


def _rows(output: str) -> dict[int, list[str]]:
    """The table's body rows by agent count, each as its stripped cells."""
    rows = {}
    for raw in output.splitlines():
        line = raw.strip()
        if line.startswith("│") and line.endswith("│"):
            cells = [c.strip() for c in line[1:-1].split("│")]
            rows[int(cells[0])] = cells
    return rows


def _row(output: str, agents: int) -> list[str]:
    row = _rows(output).get(agents)
    assert row is not None, f"no row for {agents} agents in:\n{output}"
    return row


def test_table_shows_reference_figures_and_marks_the_minimum() -> None:
    code, out = _run("--calls", "100", "--interval", "30m", "--aht", "180", "--sl", "80/20")
    assert code == 0, out
    assert "10.00 Erlangs" in out
    assert _row(out, 13)[:5] == ["13", "28.5%", "79.6%", "17.1", "76.9%"]
    assert _row(out, 14)[:5] == ["14", "17.4%", "88.8%", "7.8", "71.4%"]
    assert _row(out, 14)[-1] == "◀ C"
    assert _row(out, 13)[-1] == ""
    assert "Erlang C minimum: 14 agents" in out


def test_patience_adds_erlang_a_columns() -> None:
    code, out = _run("--calls", "100", "--interval", "1800s", "--aht", "3m", "--patience", "2m")
    assert code == 0, out
    assert _row(out, 12)[5:7] == ["28.0%", "6.2%"]
    assert _row(out, 14)[5:7] == ["12.7%", "2.3%"]
    assert _row(out, 12)[-1] == "◀ A"
    assert "Erlang A minimum (mean patience 120 s): 12 agents" in out


def test_short_abandons_can_be_left_out_of_the_erlang_a_service_level() -> None:
    args = ["--calls", "100", "--aht", "180", "--patience", "120", "--sl", "85/20"]
    code, counted = _run(*args)
    assert code == 0, counted
    assert _row(counted, 12)[7:9] == ["3.4%", "82.6%"]  # 3.4 % hang up within 20 s; they count: below 85 %
    assert "Erlang A minimum (mean patience 120 s): 13 agents" in counted
    code, excluded = _run(*args, "--exclude-short-abandons")
    assert code == 0, excluded
    assert _row(excluded, 12)[7:9] == ["3.4%", "85.5%"]
    assert "excl." in excluded  # the Erlang A service-level column says so (rich may wrap its header)
    assert "Erlang A minimum (mean patience 120 s, short abandons excluded): 12 agents" in excluded
    assert _row(excluded, 12)[:5] == _row(counted, 12)[:5]  # Erlang C has no abandons: unchanged


def test_max_occupancy_raises_the_minimum() -> None:
    code, out = _run("--calls", "100", "--aht", "180", "--max-occupancy", "65%")
    assert code == 0, out
    assert "Erlang C minimum: 16 agents" in out
    assert "occupancy ≤ 65%" in out


def test_explicit_agent_range() -> None:
    code, out = _run("--calls", "100", "--aht", "180", "--min-agents", "11", "--max-agents", "12")
    assert code == 0, out
    assert sorted(_rows(out)) == [11, 12]
    assert "goal not met in this range" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calls", "100", "--aht", "3x"], "--aht: '3x' is not a duration"),
        (["--calls", "0", "--aht", "180"], "--calls must be"),
        (["--calls", "100", "--aht", "180", "--sl", "120/20"], "--sl: the percentage"),
        (["--calls", "100", "--aht", "180", "--sl", "80"], "--sl: '80' is not a goal"),
        (["--calls", "100", "--aht", "180", "--interval", "0m"], "--interval: the duration must be"),
        (["--calls", "100", "--aht", "180", "--max-occupancy", "150%"], "--max-occupancy"),
        (["--calls", "100", "--aht", "180", "--max-occupancy", "lots"], "--max-occupancy"),
        (["--calls", "100", "--aht", "180", "--min-agents", "0"], "--min-agents"),
        (["--calls", "100", "--aht", "180", "--min-agents", "9", "--max-agents", "5"], "--max-agents"),
        (["--calls", "100", "--aht", "180", "--exclude-short-abandons"], "--exclude-short-abandons needs"),
    ],
)
def test_bad_options_exit_2_with_a_clear_error(args: list[str], message: str) -> None:
    code, out = _run(*args)
    assert code == 2
    assert f"error: {message}" in out


def test_missing_required_option_is_a_usage_error() -> None:
    code, out = _run("--calls", "100")
    assert code == 2
    assert "--aht" in out
