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


def rate(fn: Callable[[], object], *, min_seconds: float = 1.0, batch: int = 100) -> float:
    """Calls per second of fn, timed over at least min_seconds with perf_counter."""
    count = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < min_seconds:
        for _ in range(batch):
            fn()
        count += batch
        elapsed = time.perf_counter() - start
    return count / elapsed


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
