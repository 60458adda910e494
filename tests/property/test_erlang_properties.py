"""Properties of the Erlang formulas over random traffic and staffing: bounds, monotony, identities."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from okc.erlang import ErlangCTable, agents_required, erlang_a, erlang_b, erlang_c, service_level

traffic = st.floats(min_value=0.01, max_value=2_000.0, allow_nan=False, allow_infinity=False)
agents = st.integers(min_value=1, max_value=2_500)
aht = st.floats(min_value=5.0, max_value=1_800.0)
threshold = st.floats(min_value=0.0, max_value=600.0)
patience = st.floats(min_value=1.0, max_value=3_600.0)


@given(traffic, agents)
def test_blocking_and_waiting_are_probabilities_with_b_below_c(a: float, n: int) -> None:
    b, c = erlang_b(a, n), erlang_c(a, n)
    assert 0.0 <= b <= 1.0
    assert 0.0 <= c <= 1.0
    assert b <= c + 1e-15
    if a < n:
        # C = N·B / (N − A(1 − B)), so B = C(N − A) / (N − A·C): recover B from C.
        assert math.isclose(b, c * (n - a) / (n - a * c), rel_tol=1e-9, abs_tol=1e-300)


@given(traffic, agents)
def test_more_agents_never_wait_more(a: float, n: int) -> None:
    assert erlang_b(a, n + 1) <= erlang_b(a, n)
    assert erlang_c(a, n + 1) <= erlang_c(a, n)


@given(traffic, agents, aht, threshold)
def test_service_level_is_bounded_and_grows_with_agents(a: float, n: int, h: float, t: float) -> None:
    sl, sl_more = service_level(a, n, h, t), service_level(a, n + 1, h, t)
    assert 0.0 <= sl <= 1.0
    assert sl_more >= sl - 1e-12


@given(
    st.floats(min_value=0.01, max_value=500.0),
    st.integers(min_value=1, max_value=600),
    aht,
    patience,
    threshold,
)
def test_erlang_a_is_bounded_and_improves_with_agents(a: float, n: int, h: float, p: float, t: float) -> None:
    one, more = erlang_a(a, n, h, p, t), erlang_a(a, n + 1, h, p, t)
    for r in (one, more):
        assert 0.0 <= r.p_abandon <= r.p_wait <= 1.0
        assert r.service_level is not None
        assert 0.0 <= r.service_level <= 1.0 - r.p_abandon + 1e-12
        assert r.p_short_abandon is not None
        assert 0.0 <= r.p_short_abandon <= r.p_abandon
        assert r.service_level_excluding_short_abandons is not None
        assert r.service_level - 1e-12 <= r.service_level_excluding_short_abandons <= 1.0
        assert math.isfinite(r.mean_wait)
        assert r.mean_wait >= 0
    assert more.p_wait <= one.p_wait + 1e-12
    assert more.p_abandon <= one.p_abandon + 1e-12
    assert more.service_level is not None
    assert one.service_level is not None
    assert more.service_level >= one.service_level - 1e-9


@given(st.floats(min_value=1.0, max_value=12_000.0), st.integers(min_value=9_000, max_value=10_000))
def test_large_systems_stay_finite(a: float, n: int) -> None:
    assert 0.0 <= erlang_c(a, n) <= 1.0
    r = erlang_a(a, n, 180.0, 120.0, 20.0)
    assert 0.0 <= r.p_abandon <= r.p_wait <= 1.0
    assert r.service_level is not None
    assert 0.0 <= r.service_level <= 1.0


@given(st.floats(min_value=0.1, max_value=300.0), aht, st.floats(min_value=0.5, max_value=0.95), threshold)
def test_agents_required_is_the_first_staffing_that_meets_the_goal(
    a: float, h: float, goal: float, t: float
) -> None:
    staffing = agents_required(a, h, goal, t)
    assert staffing.service_level >= goal
    below = staffing.agents - 1
    assert below < 1 or below <= a or service_level(a, below, h, t) < goal


@given(traffic, agents)
def test_closed_form_erlang_b_equals_the_recursion(a: float, n: int) -> None:
    inverse = 1.0
    for k in range(1, n + 1):
        inverse = 1.0 + inverse * k / a
    assert math.isclose(erlang_b(a, n), 1.0 / inverse, rel_tol=1e-9, abs_tol=1e-300)


@given(traffic, st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=40))
def test_table_sweeps_agree_with_the_functions(a: float, first: int, span: int) -> None:
    table = ErlangCTable(a, 180.0)
    for n in range(first, first + span):  # each count one recursion step from the one below
        assert math.isclose(table.p_wait(n), erlang_c(a, n), rel_tol=1e-10, abs_tol=1e-300)
