"""The M/M/N driver against a minimal first-come-first-served port (the boundary below the scenario).

These check the driver's own bookkeeping; test_simulation_erlang.py runs the same driver over okc.acd.
"""

from __future__ import annotations

from collections import deque

import pytest

from okc.erlang import erlang_a, erlang_c, service_level
from okc.ids import InteractionId
from okc.simulation.events import SimulationError
from okc.simulation.mmn import MmnScenario, Offer, replicate, run_replication


class FifoPort:
    """Longest-idle agents, first-come-first-served callers: just enough of a distributor for the driver."""

    def __init__(self) -> None:
        self.idle: deque[str] = deque()
        self.waiting: deque[InteractionId] = deque()
        self.busy: set[str] = set()

    def _match(self) -> list[Offer]:
        offers = []
        while self.idle and self.waiting:
            agent = self.idle.popleft()
            self.busy.add(agent)
            offers.append(Offer(self.waiting.popleft(), agent))
        return offers

    def add_agent(self, agent: str, now: float) -> list[Offer]:
        self.idle.append(agent)
        return self._match()

    def arrive(self, interaction: InteractionId, now: float) -> list[Offer]:
        self.waiting.append(interaction)
        return self._match()

    def answer(self, interaction: InteractionId, agent: str, now: float) -> list[Offer]:
        assert agent in self.busy
        return []

    def hang_up(self, interaction: InteractionId, agent: str, now: float) -> list[Offer]:
        self.busy.remove(agent)
        self.idle.append(agent)
        return self._match()

    def abandon(self, interaction: InteractionId, now: float) -> list[Offer]:
        self.waiting.remove(interaction)
        return []

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> list[Offer]:
        return []


def test_every_measured_call_ends_answered_or_abandoned() -> None:
    scenario = MmnScenario(
        traffic=10.0, agents=12, aht=180.0, threshold=20.0, warmup=600.0, horizon=7_200.0, patience=120.0
    )
    tally = run_replication(scenario, FifoPort(), seed=1)
    assert tally.offered > 300
    assert tally.answered + tally.abandoned == tally.offered
    assert 0 < tally.abandoned < tally.waited <= tally.offered
    assert tally.answered_within <= tally.answered


def test_same_seed_same_tally_and_different_seed_differs() -> None:
    scenario = MmnScenario(traffic=10.0, agents=13, aht=180.0, threshold=20.0, warmup=0.0, horizon=3_600.0)
    assert run_replication(scenario, FifoPort(), 5) == run_replication(scenario, FifoPort(), 5)
    assert run_replication(scenario, FifoPort(), 5) != run_replication(scenario, FifoPort(), 6)


def test_driver_reproduces_erlang_c_and_a_over_a_fifo_queue() -> None:
    c = MmnScenario(traffic=10.0, agents=13, aht=180.0, threshold=20.0, warmup=1_800.0, horizon=36_000.0)
    result = replicate(c, FifoPort, seeds=range(20))
    assert result.p_wait.contains(erlang_c(10.0, 13)), result.p_wait
    assert result.service_level.contains(service_level(10.0, 13, 180.0, 20.0)), result.service_level
    a = MmnScenario(
        traffic=10.0, agents=12, aht=180.0, threshold=20.0, warmup=1_800.0, horizon=36_000.0, patience=120.0
    )
    exact = erlang_a(10.0, 12, 180.0, 120.0, 20.0)
    result = replicate(a, FifoPort, seeds=range(100, 120))
    assert result.p_wait.contains(exact.p_wait), result.p_wait
    assert result.p_abandon.contains(exact.p_abandon), result.p_abandon
    assert result.mean_wait.contains(exact.mean_wait), result.mean_wait
    assert exact.service_level is not None
    assert result.service_level.contains(exact.service_level), result.service_level


@pytest.mark.parametrize(
    "kwargs",
    [
        {"traffic": 0.0},
        {"agents": 0},
        {"agents": 10},  # traffic 10 on 10 agents without abandonment never settles
        {"aht": -1.0},
        {"horizon": 0.0},
        {"warmup": -5.0},
        {"patience": 0.0},
    ],
)
def test_bad_scenarios_raise(kwargs: dict[str, float]) -> None:
    base: dict[str, float] = {
        "traffic": 10.0,
        "agents": 13,
        "aht": 180.0,
        "threshold": 20.0,
        "warmup": 0.0,
        "horizon": 60.0,
    }
    with pytest.raises(SimulationError):
        MmnScenario(**{**base, **kwargs})  # type: ignore[arg-type]
