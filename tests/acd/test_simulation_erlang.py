"""M/M/N(+M) traffic through the real ACD engine reproduces Erlang C and Erlang A within 99 % intervals.

Fixed seeds; each case runs 20 independent replications (a 30-minute warm-up is discarded), so the
interval is a Student-t interval over replication means. Half-widths are printed in every message.
"""

from __future__ import annotations

import pytest

from okc.erlang import erlang_a, erlang_c, service_level
from okc.simulation.mmn import AcdPort, MmnEstimates, MmnScenario, replicate

pytestmark = pytest.mark.slow

AHT, THRESHOLD, PATIENCE = 180.0, 20.0, 120.0
REPLICATIONS = range(20)


def _run(traffic: float, agents: int, horizon: float, patience: float | None = None) -> MmnEstimates:
    scenario = MmnScenario(
        traffic=traffic,
        agents=agents,
        aht=AHT,
        threshold=THRESHOLD,
        warmup=1_800.0,
        horizon=horizon,
        patience=patience,
    )
    return replicate(scenario, lambda: AcdPort(THRESHOLD), REPLICATIONS, level=0.99)


@pytest.mark.parametrize(
    ("traffic", "agents", "horizon"), [(10.0, 13, 108_000.0), (10.0, 14, 108_000.0), (45.0, 50, 54_000.0)]
)
def test_erlang_c_p_wait_and_service_level(traffic: float, agents: int, horizon: float) -> None:
    result = _run(traffic, agents, horizon)
    p_wait, sl = erlang_c(traffic, agents), service_level(traffic, agents, AHT, THRESHOLD)
    assert result.p_wait.contains(p_wait), f"P(wait) {result.p_wait} vs Erlang C {p_wait:.4f}"
    assert result.service_level.contains(sl), f"SL {result.service_level} vs Erlang C {sl:.4f}"
    assert result.p_abandon.mean == 0.0
    # The intervals are tight enough to tell 13 agents from 14 (P(wait) 0.285 vs 0.174).
    assert result.p_wait.half_width < 0.035, str(result.p_wait)


@pytest.mark.parametrize("agents", [12, 14])
def test_erlang_a_with_patience(agents: int) -> None:
    result = _run(10.0, agents, 90_000.0, PATIENCE)
    exact = erlang_a(10.0, agents, AHT, PATIENCE, THRESHOLD)
    assert exact.service_level is not None
    assert result.p_wait.contains(exact.p_wait), f"P(wait) {result.p_wait} vs Erlang A {exact.p_wait:.4f}"
    assert result.p_abandon.contains(exact.p_abandon), (
        f"P(abandon) {result.p_abandon} vs Erlang A {exact.p_abandon:.4f}"
    )
    assert result.mean_wait.contains(exact.mean_wait), (
        f"mean wait {result.mean_wait} vs Erlang A {exact.mean_wait:.2f} s"
    )
    assert result.service_level.contains(exact.service_level), (
        f"SL {result.service_level} vs Erlang A {exact.service_level:.4f}"
    )
    assert result.p_abandon.half_width < 0.01, str(result.p_abandon)
