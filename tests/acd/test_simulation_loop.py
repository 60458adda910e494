"""The simulation's event loop, traffic generators and confidence intervals (no ACD involved)."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from okc.errors import OkcError
from okc.simulation.events import EventLoop, SimulationError
from okc.simulation.stats import estimate
from okc.simulation.traffic import ExponentialDuration, PoissonArrivals


class _Alarm:
    """A sans-I/O timer source: fires once at a set time and reports the time it was told."""

    def __init__(self, at: float) -> None:
        self.at: float | None = at

    def get_timer(self) -> float | None:
        return self.at

    def handle_timer(self, now: float) -> object:
        self.at = None
        return ("alarm", now)


def test_actions_run_in_time_order_then_scheduling_order() -> None:
    loop = EventLoop()
    seen: list[tuple[str, float]] = []
    loop.schedule(5.0, lambda: seen.append(("b", loop.now)))
    loop.schedule(1.0, lambda: seen.append(("a", loop.now)))
    loop.schedule(5.0, lambda: seen.append(("c", loop.now)))
    assert loop.run() == 3
    assert seen == [("a", 1.0), ("b", 5.0), ("c", 5.0)]


def test_cancelled_actions_do_not_run_and_until_bounds_the_run() -> None:
    loop = EventLoop()
    seen: list[str] = []
    handle = loop.schedule(2.0, lambda: seen.append("cancelled"))
    loop.schedule(3.0, lambda: seen.append("kept"))
    loop.schedule(30.0, lambda: seen.append("later"))
    handle.cancel()
    assert loop.run(until=10.0) == 1
    assert seen == ["kept"]
    assert loop.now == 10.0
    loop.run()
    assert seen == ["kept", "later"]


def test_actions_can_schedule_more_and_the_past_is_refused() -> None:
    loop = EventLoop()
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(loop.now)
        if len(ticks) < 3:
            loop.schedule_in(1.5, tick)

    loop.schedule(0.0, tick)
    loop.run()
    assert ticks == [0.0, 1.5, 3.0]
    with pytest.raises(SimulationError):
        loop.schedule(1.0, tick)
    assert issubclass(SimulationError, OkcError)


def test_timer_sources_fire_in_virtual_time_before_same_time_actions() -> None:
    loop = EventLoop()
    alarm = _Alarm(32.0)
    out: list[object] = []
    loop.add_timer_source(alarm, out.append)
    loop.schedule(32.0, lambda: out.append("action"))
    loop.schedule(40.0, lambda: out.append("late"))
    loop.run(stop=lambda: len(out) >= 2)
    assert out == [("alarm", 32.0), "action"]
    assert loop.now == 32.0


def test_poisson_arrivals_and_exponential_durations_have_their_means() -> None:
    rng = random.Random(7)
    arrivals = PoissonArrivals.from_traffic(10.0, 180.0)
    assert arrivals.rate == pytest.approx(10 / 180)
    t, gaps = 0.0, []
    for _ in range(20_000):
        nxt = arrivals.next_after(t, rng)
        gaps.append(nxt - t)
        t = nxt
    assert statistics.fmean(gaps) == pytest.approx(18.0, rel=0.03)
    durations = [ExponentialDuration(180.0).draw(rng) for _ in range(20_000)]
    assert statistics.fmean(durations) == pytest.approx(180.0, rel=0.03)
    assert statistics.stdev(durations) == pytest.approx(180.0, rel=0.05)  # exponential: sd = mean


def test_same_seed_same_stream() -> None:
    a = [ExponentialDuration(3.0).draw(random.Random(11)) for _ in range(3)]
    b = [ExponentialDuration(3.0).draw(random.Random(11)) for _ in range(3)]
    assert a == b


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_traffic_parameters_raise(bad: float) -> None:
    with pytest.raises(SimulationError):
        ExponentialDuration(bad)
    with pytest.raises(SimulationError):
        PoissonArrivals(bad)


def test_confidence_interval_matches_student_t() -> None:
    result = estimate([1.0, 2.0, 3.0, 4.0], level=0.95)
    # mean 2.5, s = 1.29099, t(0.975, 3) = 3.18245: half-width = 3.18245 · 1.29099 / 2
    assert result.mean == 2.5
    assert result.half_width == pytest.approx(3.18245 * 1.290994 / 2, rel=1e-5)
    assert result.contains(0.5)
    assert not result.contains(4.6)
    with pytest.raises(SimulationError):
        estimate([1.0])
    with pytest.raises(SimulationError):
        estimate([1.0, 2.0], level=1.0)


def test_interval_covers_a_known_mean_about_as_often_as_promised() -> None:
    rng = random.Random(3)
    covered = sum(
        estimate([rng.gauss(5.0, 2.0) for _ in range(10)], level=0.9).contains(5.0) for _ in range(2_000)
    )
    assert 0.87 <= covered / 2_000 <= 0.93
