"""okc.erlang against pyworkforce's ErlangC on the same inputs: agreement and speed."""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.console import Console

from benchmarks.report import Measurement, rate, show
from okc.erlang import ErlangCTable, agents_required, erlang_c, occupancy, service_level

# (calls per interval, interval minutes, AHT seconds, threshold seconds) — small to large centers.
_CASES = [
    (100.0, 30, 180.0, 20.0),
    (450.0, 30, 180.0, 20.0),
    (2_000.0, 60, 240.0, 30.0),
    (30_000.0, 60, 300.0, 20.0),
]
_GOAL = 0.8


def _agreement(console: Console) -> None:
    from pyworkforce.queuing import ErlangC

    worst = {"P(wait)": 0.0, "service level": 0.0, "occupancy": 0.0, "required positions": 0.0}
    for calls, minutes, aht, threshold in _CASES:
        traffic = calls / (minutes * 60) * aht
        peer = ErlangC(transactions=calls, aht=aht / 60, asa=threshold / 60, interval=minutes)
        first = math.floor(traffic) + 1
        for agents in range(first, first + 40):
            worst["P(wait)"] = max(
                worst["P(wait)"], abs(erlang_c(traffic, agents) - peer.waiting_probability(agents))
            )
            ours_sl = service_level(traffic, agents, aht, threshold)
            worst["service level"] = max(worst["service level"], abs(ours_sl - peer.service_level(agents)))
            worst["occupancy"] = max(
                worst["occupancy"], abs(occupancy(traffic, agents) - peer.achieved_occupancy(agents))
            )
        for max_occ in (1.0, 0.85):
            ours = agents_required(traffic, aht, _GOAL, threshold, max_occupancy=max_occ).agents
            theirs = peer.required_positions(service_level=_GOAL, max_occupancy=max_occ)["raw_positions"]
            worst["required positions"] = max(worst["required positions"], abs(ours - theirs))
    for name, diff in worst.items():
        verdict = "ok" if diff <= 1e-9 else "DIFFERS"
        console.print(f"max |okc − pyworkforce| {name}: {diff:.2e} ({verdict}, goal ≤ 1e-9)")


def _best(fn: Callable[[], object]) -> float:
    """The best of three timings, alternating nothing else: other work on the host only slows a run."""
    return max(rate(fn, min_seconds=0.25, batch=100) for _ in range(3))


def _sweep_ours(traffic: float, aht: float, threshold: float, counts: range) -> float:
    table = ErlangCTable(traffic, aht)
    return sum(table.p_wait(n) + table.service_level(n, threshold) + table.occupancy(n) for n in counts)


def _sweep_peer(calls: float, minutes: int, aht: float, threshold: float, counts: range) -> float:
    from pyworkforce.queuing import ErlangC

    peer = ErlangC(transactions=calls, aht=aht / 60, asa=threshold / 60, interval=minutes)
    return float(
        sum(peer.waiting_probability(n) + peer.service_level(n) + peer.achieved_occupancy(n) for n in counts)
    )


def main() -> None:
    """Print agreement with pyworkforce, then calls per second of each figure beside pyworkforce."""
    from pyworkforce.queuing import ErlangC

    console = Console()
    _agreement(console)
    calls, minutes, aht, threshold = _CASES[1]  # 450 calls in 30 min, AHT 180 s: A = 45 Erlangs
    traffic = calls / (minutes * 60) * aht
    peer = ErlangC(transactions=calls, aht=aht / 60, asa=threshold / 60, interval=minutes)
    table = ErlangCTable(traffic, aht)  # built once, like pyworkforce's object
    big = ErlangC(transactions=9_500 * 3_600 / aht, aht=aht / 60, asa=threshold / 60, interval=60)
    counts = range(46, 87)
    pairs = [
        ("P(wait), 50 agents", lambda: erlang_c(traffic, 50), lambda: peer.waiting_probability(50)),
        (
            "service level, 50 agents",
            lambda: service_level(traffic, 50, aht, threshold),
            lambda: peer.service_level(50),
        ),
        ("occupancy, 50 agents", lambda: occupancy(traffic, 50), lambda: peer.achieved_occupancy(50)),
        (
            "occupancy, 50 agents, ErlangCTable method",
            lambda: table.occupancy(50),
            lambda: peer.achieved_occupancy(50),
        ),
        (
            "required positions (80/20)",
            lambda: agents_required(traffic, aht, _GOAL, threshold),
            lambda: peer.required_positions(service_level=_GOAL),
        ),
        (
            "staffing table: P(wait) + SL + occupancy for 46…86 agents, new ErlangCTable",
            lambda: _sweep_ours(traffic, aht, threshold, counts),
            lambda: _sweep_peer(calls, minutes, aht, threshold, counts),
        ),
        (
            "P(wait), 10,000 agents at A = 9,500",
            lambda: erlang_c(9_500.0, 10_000),
            lambda: big.waiting_probability(10_000),
        ),
    ]
    for title, ours, theirs in pairs:
        show(
            f"Erlang C {title} (A = {traffic:g} Erlangs unless said)",
            Measurement("okc.erlang", _best(ours), "calls/s"),
            [Measurement("pyworkforce ErlangC", _best(theirs), "calls/s")],
            console,
        )
