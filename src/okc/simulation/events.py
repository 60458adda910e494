"""A discrete-event loop in virtual time: a heap of scheduled actions plus sans-I/O timer sources.

Nothing here reads a clock or sleeps: time only moves when the loop pops the next event. Sans-I/O cores
(the ACD engine, protocol state machines) join as timer sources — the loop asks their `get_timer()` and
calls `handle_timer(now)` when that moment comes before the next scheduled action.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Protocol

from okc.errors import OkcError

__all__ = ["EventLoop", "Scheduled", "SimulationError", "TimerSource"]


class SimulationError(OkcError):
    """A simulation was asked to do something impossible: schedule in the past, bad parameters, …"""


class TimerSource(Protocol):
    """A sans-I/O core with its own timers (aioquic's shape)."""

    def get_timer(self) -> float | None:
        """When the core next wants handle_timer, or None."""
        ...

    def handle_timer(self, now: float) -> object:
        """Let the core act on its timers at time now; what it returns goes to the source's callback."""
        ...


class Scheduled:
    """A handle on one scheduled action, so it can be cancelled (lazily: it stays in the heap, inert)."""

    __slots__ = ("action", "cancelled", "time")

    def __init__(self, time: float, action: Callable[[], None]) -> None:
        self.time = time
        self.action = action
        self.cancelled = False

    def cancel(self) -> None:
        """Keep the action from running."""
        self.cancelled = True


class EventLoop:
    """Runs scheduled actions in time order (ties in scheduling order) on a virtual clock."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, Scheduled]] = []
        self._seq = 0
        self._sources: list[tuple[TimerSource, Callable[[object], None]]] = []

    @property
    def now(self) -> float:
        """The current virtual time."""
        return self._now

    def schedule(self, at: float, action: Callable[[], None]) -> Scheduled:
        """Run action at virtual time at (not before now)."""
        if not at >= self._now:  # also rejects NaN
            raise SimulationError(f"cannot schedule at {at!r}: the clock is already at {self._now!r}")
        handle = Scheduled(at, action)
        heapq.heappush(self._heap, (at, self._seq, handle))
        self._seq += 1
        return handle

    def schedule_in(self, delay: float, action: Callable[[], None]) -> Scheduled:
        """Run action delay seconds from now."""
        return self.schedule(self._now + delay, action)

    def add_timer_source(self, source: TimerSource, on_output: Callable[[object], None]) -> None:
        """Serve source's timers; whatever its handle_timer returns is passed to on_output."""
        self._sources.append((source, on_output))

    def _next_source(self) -> tuple[float, int]:
        best, index = math.inf, -1
        for i, (source, _) in enumerate(self._sources):
            when = source.get_timer()
            if when is not None and when < best:
                best, index = when, i
        return best, index

    def step(self, until: float = math.inf) -> bool:
        """Run the next action or timer due at or before until; False when none is left in that window."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        next_action = self._heap[0][0] if self._heap else math.inf
        next_timer, index = self._next_source() if self._sources else (math.inf, -1)
        when = min(next_action, next_timer)
        if when > until or when == math.inf:
            return False
        self._now = max(self._now, when)
        if next_timer <= next_action:  # a core's timer fires before an action scheduled for the same time
            source, on_output = self._sources[index]
            on_output(source.handle_timer(self._now))
        else:
            _, _, handle = heapq.heappop(self._heap)
            handle.action()
        return True

    def run(self, until: float = math.inf, *, stop: Callable[[], bool] | None = None) -> int:
        """Run events up to virtual time until (or until stop() turns true); return how many ran."""
        count = 0
        while (stop is None or not stop()) and self.step(until):
            count += 1
        if until != math.inf and (stop is None or not stop()):
            self._now = max(self._now, until)
        return count
