"""Erlang B, C and A against published reference figures and against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from okc.erlang import (
    ErlangCTable,
    ErlangError,
    agents_required,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    occupancy,
    service_level,
)
from okc.errors import OkcError

# 100 calls in 30 minutes with AHT 180 s: A = 10 Erlangs; threshold 20 s; mean patience 120 s.
A, AHT, THRESHOLD, PATIENCE = 10.0, 180.0, 20.0, 120.0


@pytest.mark.parametrize(
    ("agents", "p_wait", "sl", "asa", "asa_digits"),
    [(14, 0.1741, 0.8884, 7.84, 2), (13, 0.2853, 0.7956, 17.1, 1)],
)
def test_erlang_c_reference_figures(
    agents: int, p_wait: float, sl: float, asa: float, asa_digits: int
) -> None:
    assert round(erlang_c(A, agents), 4) == p_wait
    assert round(service_level(A, agents, AHT, THRESHOLD), 4) == sl
    assert round(average_speed_of_answer(A, agents, AHT), asa_digits) == asa


@pytest.mark.parametrize(
    ("agents", "p_wait", "p_abandon", "mean_wait"),
    [(12, 0.2798, 0.0616, 7.39), (14, 0.1270, 0.0228, 2.74)],
)
def test_erlang_a_reference_figures(agents: int, p_wait: float, p_abandon: float, mean_wait: float) -> None:
    result = erlang_a(A, agents, AHT, PATIENCE)
    assert round(result.p_wait, 4) == p_wait
    assert round(result.p_abandon, 4) == p_abandon
    assert round(result.mean_wait, 2) == mean_wait
    assert result.service_level is None


def test_erlang_b_small_cases_by_formula() -> None:
    for a, n in [(1.0, 1), (2.5, 3), (10.0, 14)]:
        terms = [a**k / math.factorial(k) for k in range(n + 1)]
        assert erlang_b(a, n) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)


def test_occupancy_and_zero_traffic() -> None:
    assert occupancy(10, 14) == pytest.approx(10 / 14)
    assert occupancy(20, 14) == 1.0
    assert erlang_b(0, 5) == 0.0
    assert erlang_c(0, 5) == 0.0
    assert service_level(0, 5, AHT, THRESHOLD) == 1.0
    zero = erlang_a(0, 5, AHT, PATIENCE, THRESHOLD)
    assert (zero.p_wait, zero.p_abandon, zero.service_level) == (0.0, 0.0, 1.0)


def test_overloaded_erlang_c_reports_unstable_queue() -> None:
    assert erlang_c(15, 14) == 1.0
    assert service_level(15, 14, AHT, THRESHOLD) == 0.0
    assert average_speed_of_answer(14, 14, AHT) == math.inf


def test_agents_required_meets_goal_with_fewest_agents() -> None:
    staffing = agents_required(A, AHT, 0.80, THRESHOLD)
    assert staffing.agents == 14
    assert staffing.service_level == pytest.approx(service_level(A, 14, AHT, THRESHOLD))
    assert service_level(A, 13, AHT, THRESHOLD) < 0.80
    assert staffing.average_speed_of_answer == pytest.approx(average_speed_of_answer(A, 14, AHT))


def test_agents_required_respects_max_occupancy() -> None:
    staffing = agents_required(A, AHT, 0.80, THRESHOLD, max_occupancy=0.6)
    assert staffing.agents == 17  # ceil(10 / 0.6)
    assert staffing.occupancy <= 0.6


def test_erlang_a_with_patient_callers_approaches_erlang_c() -> None:
    result = erlang_a(A, 14, AHT, 1e9, THRESHOLD)
    assert result.p_wait == pytest.approx(erlang_c(A, 14), rel=1e-6)
    assert result.service_level == pytest.approx(service_level(A, 14, AHT, THRESHOLD), rel=1e-6)
    assert result.mean_wait == pytest.approx(average_speed_of_answer(A, 14, AHT), rel=1e-6)


def _erlang_a_by_matrices(a: float, n: int, threshold: float) -> tuple[float, float, float, float]:
    """Independent Erlang A: a truncated chain solved as a linear system, the tagged caller by expm."""
    size = 200
    mu, theta, lam = 1 / AHT, 1 / PATIENCE, a / AHT
    death = [min(k, n) * mu + max(k - n, 0) * theta for k in range(size)]
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = death[k]
        q[k, k] = -q[k].sum()
    system = np.vstack([q.T, np.ones(size)])
    pi = np.linalg.lstsq(system, np.r_[np.zeros(size), 1.0], rcond=None)[0]
    # Tagged caller: transient states "k ahead" 0..K-1 move down at nμ + kθ and leave (abandon) at θ;
    # state K (index K) absorbs "answered". Answered-within-threshold from each start by expm.
    # A second absorbing state (index K + 1) catches the caller's own abandonment.
    k_max = size - n
    gen = np.zeros((k_max + 2, k_max + 2))
    for k in range(k_max):
        gen[k, k] = -(n * mu + k * theta + theta)
        gen[k, k_max + 1] = theta
        if k == 0:
            gen[k, k_max] = n * mu
        else:
            gen[k, k - 1] = n * mu + k * theta
    moved = expm(gen * threshold)
    reach, gone = moved[:, k_max], moved[:, k_max + 1]
    sl = float(pi[:n].sum() + sum(pi[n + k] * reach[k] for k in range(k_max)))
    short = float(sum(pi[n + k] * gone[k] for k in range(k_max)))
    p_abandon = float(theta * sum((k - n) * pi[k] for k in range(n, size)) / lam)
    return float(pi[n:].sum()), p_abandon, sl, short


@pytest.mark.parametrize(("a", "n"), [(10.0, 12), (10.0, 14), (8.0, 6), (45.0, 50)])
def test_erlang_a_matches_an_independent_matrix_solution(a: float, n: int) -> None:
    p_wait, p_abandon, sl, short = _erlang_a_by_matrices(a, n, THRESHOLD)
    result = erlang_a(a, n, AHT, PATIENCE, THRESHOLD)
    assert result.p_wait == pytest.approx(p_wait, abs=1e-9)
    assert result.p_abandon == pytest.approx(p_abandon, abs=1e-9)
    assert result.service_level == pytest.approx(sl, abs=1e-9)
    # the guide's other count: callers who abandon within the threshold leave the denominator
    assert result.p_short_abandon == pytest.approx(short, abs=1e-9)
    assert result.service_level_excluding_short_abandons == pytest.approx(sl / (1 - short), abs=1e-9)


def test_erlang_a_flows_balance() -> None:
    result = erlang_a(A, 12, AHT, PATIENCE, THRESHOLD)
    # Carried traffic equals offered traffic less what abandons; occupancy is carried traffic per agent.
    assert result.occupancy == pytest.approx(A * (1 - result.p_abandon) / 12)
    # Mean wait of all callers mixes the answered (ASA) and the abandoned, who wait their patience out.
    assert result.mean_wait > 0
    assert result.mean_wait == pytest.approx(result.mean_queue_length * AHT / A)


def test_large_staffing_stays_finite() -> None:
    for a, n in [(9_000.0, 10_000), (9_990.0, 10_000), (12_000.0, 10_000), (10.0, 10_000)]:
        assert 0.0 <= erlang_b(a, n) <= 1.0
        assert 0.0 <= erlang_c(a, n) <= 1.0
        result = erlang_a(a, n, AHT, PATIENCE, THRESHOLD)
        for value in (result.p_wait, result.p_abandon, result.mean_wait, result.service_level):
            assert value is not None
            assert math.isfinite(value)
    overloaded = erlang_a(12_000.0, 10_000, AHT, PATIENCE)
    assert overloaded.p_abandon == pytest.approx(2_000 / 12_000, rel=1e-6)
    assert agents_required(9_000.0, AHT, 0.8, THRESHOLD).agents > 9_000


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_b(-1, 5),
        lambda: erlang_b(math.nan, 5),
        lambda: erlang_b(5, 0),
        lambda: erlang_c(5, -3),
        lambda: erlang_c(5, 2.5),  # type: ignore[arg-type]
        lambda: erlang_c(5, True),
        lambda: service_level(5, 6, 0, 20),
        lambda: service_level(5, 6, 180, -1),
        lambda: average_speed_of_answer(5, 6, -180),
        lambda: agents_required(5, 180, 1.5, 20),
        lambda: agents_required(5, 180, 1.0, 20),
        lambda: agents_required(5, 180, 0.8, 20, max_occupancy=0),
        lambda: erlang_a(5, 6, 180, 0),
        lambda: erlang_a(5, 6, 180, math.inf),
    ],
)
def test_bad_input_raises_an_okc_error(call: object) -> None:
    assert callable(call)
    with pytest.raises(ErlangError):
        call()
    assert issubclass(ErlangError, OkcError)


def _recursion(a: float, n: int) -> float:
    inverse = 1.0
    for k in range(1, n + 1):
        inverse = 1.0 + inverse * k / a
    return 1.0 / inverse


@pytest.mark.parametrize(
    ("a", "n"),
    [(0.5, 1), (10.0, 14), (45.0, 50), (900.0, 1_000), (9_500.0, 10_000), (1.0, 10_000), (10_000.0, 100)],
)
def test_closed_form_erlang_b_agrees_with_the_recursion(a: float, n: int) -> None:
    # (10 000 Erlangs on 100 servers: the Poisson cdf underflows and the recursion takes over)
    assert erlang_b(a, n) == pytest.approx(_recursion(a, n), rel=1e-9, abs=1e-300)


def test_erlang_c_table_matches_the_functions_in_any_order() -> None:
    up, down = ErlangCTable(45.0, 180.0), ErlangCTable(45.0, 180.0)
    counts = list(range(1, 90))
    for table, order in ((up, counts), (down, counts[::-1])):
        for n in order:
            assert table.erlang_b(n) == pytest.approx(erlang_b(45.0, n), rel=1e-12)
            assert table.p_wait(n) == pytest.approx(erlang_c(45.0, n), rel=1e-12)
            assert table.service_level(n, 20.0) == pytest.approx(
                service_level(45.0, n, 180.0, 20.0), abs=1e-12
            )
            assert table.occupancy(n) == occupancy(45.0, n)
            asa = average_speed_of_answer(45.0, n, 180.0)
            assert table.average_speed_of_answer(n) == (pytest.approx(asa, rel=1e-12) if n > 45 else math.inf)
    assert up.agents_required(0.8, 20.0) == agents_required(45.0, 180.0, 0.8, 20.0)
    assert up.p_wait(50) == up.p_wait(50)  # remembered, not recomputed differently


@pytest.mark.parametrize(
    "call",
    [
        lambda: ErlangCTable(-1.0, 180.0),
        lambda: ErlangCTable(10.0, 0.0),
        lambda: ErlangCTable(10.0, 180.0).p_wait(0),
        lambda: ErlangCTable(10.0, 180.0).p_wait(2.5),  # type: ignore[arg-type]
        lambda: ErlangCTable(10.0, 180.0).occupancy(-3),
        lambda: ErlangCTable(10.0, 180.0).service_level(14, -1.0),
    ],
)
def test_erlang_c_table_rejects_bad_input(call: object) -> None:
    assert callable(call)
    with pytest.raises(ErlangError):
        call()
