"""Shared reporting for benchmarks: absolutes and ratios against a peer measured in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured figure: what, how much, in which unit (higher is better unless said)."""

    name: str
    value: float
    unit: str
    higher_is_better: bool = True


def _rate(fn: Callable[[], object], clock: Callable[[], float], min_seconds: float, batch: int) -> float:
    count = 0
    start = clock()
    elapsed = 0.0
    while elapsed < min_seconds:
        for _ in range(batch):
            fn()
        count += batch
        elapsed = clock() - start
    return count / elapsed


def rate(fn: Callable[[], object], *, min_seconds: float = 1.0, batch: int = 100) -> float:
    """Calls per second of fn, timed over at least min_seconds with perf_counter."""
    return _rate(fn, time.perf_counter, min_seconds, batch)


def cpu_rate(fn: Callable[[], object], *, min_seconds: float = 0.25, batch: int = 200) -> float:
    """Calls per second of fn in this process's CPU time (time spent descheduled does not count)."""
    return _rate(fn, time.process_time, min_seconds, batch)


def best_rates(contenders: dict[str, Callable[[], object]], *, rounds: int = 12) -> dict[str, float]:
    """The best CPU-time rate of each contender over interleaved short rounds.

    Other load on the machine only ever slows a round down (cache and frequency effects remain even in
    CPU time), so the best round is the closest to the true figure; interleaving gives every contender
    the same chances.
    """
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        for name, fn in contenders.items():
            best[name] = max(best[name], cpu_rate(fn))
    return best


def show(title: str, ours: Measurement, peers: list[Measurement], console: Console | None = None) -> None:
    """Print ours and each peer with the ratio ours/peer (or peer/ours where lower is better)."""
    table = Table(title=title)
    table.add_column("implementation")
    table.add_column("figure", justify="right")
    table.add_column("unit")
    table.add_column("okc ÷ peer", justify="right")
    table.add_row(ours.name, f"{ours.value:,.1f}", ours.unit, "1.00×")
    for peer in peers:
        if peer.value == 0 or ours.value == 0:
            ratio = "n/a"
        elif ours.higher_is_better:
            ratio = f"{ours.value / peer.value:.2f}×"
        else:
            ratio = f"{peer.value / ours.value:.2f}×"
        table.add_row(peer.name, f"{peer.value:,.1f}", peer.unit, ratio)
    (console or Console()).print(table)
