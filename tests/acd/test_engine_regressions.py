"""Regressions from the hypothesis state machine's minimal examples, one test each."""

from __future__ import annotations

import random

import pytest

from okc.acd import (
    AcdEngine,
    AcdError,
    AcdEvent,
    AgentState,
    AgentStateChanged,
    InteractionState,
    RingAgent,
    Service,
    ServicePolicy,
)
from okc.ids import InteractionId

_RNG = random.Random(11)


def new_id() -> InteractionId:
    return InteractionId.new(1.8e9, _RNG)


def rings(events: list[AcdEvent]) -> list[RingAgent]:
    return [e for e in events if isinstance(e, RingAgent)]


def sales_engine(policy: ServicePolicy | None = None) -> AcdEngine:
    return AcdEngine([Service("sales", "sales", policy or ServicePolicy())], 0.0, random.Random(1))


def test_ready_again_while_offered_is_refused_and_keeps_one_call() -> None:
    # phone on; call 1 waits; login; ready (offered call 1); call 2 waits; ready again
    e = sales_engine()
    e.register_phone("a", 0.0)
    first, second = new_id(), new_id()
    e.arrive(first, "sales", 0.0)
    e.login("a", {"sales": 1}, 1.0)
    assert rings(e.set_ready("a", 1.5))[0].interaction == first
    assert rings(e.arrive(second, "sales", 2.0)) == []
    with pytest.raises(AcdError):
        e.set_ready("a", 2.5)
    assert e.agent_state("a") is AgentState.RESERVED
    assert e.interaction_state(first) is InteractionState.RINGING
    assert e.interaction_state(second) is InteractionState.WAITING


def test_ready_twice_changes_nothing() -> None:
    e = sales_engine()
    e.login("a", {"sales": 1}, 0.0)
    e.register_phone("a", 0.0)
    e.set_ready("a", 1.0)
    assert e.set_ready("a", 2.0) == []
    assert e.agent_state("a") is AgentState.READY


def test_not_ready_while_busy_waits_for_the_call_to_end() -> None:
    e = sales_engine()
    e.login("a", {"sales": 1}, 0.0)
    e.register_phone("a", 0.0)
    e.set_ready("a", 0.0)
    call, waiting = new_id(), new_id()
    e.arrive(call, "sales", 1.0)
    e.answer(call, 2.0)
    assert e.set_not_ready("a", "break", 3.0) == []
    assert e.agent_state("a") is AgentState.BUSY
    e.arrive(waiting, "sales", 3.5)
    out = e.hang_up(call, 4.0)
    assert e.agent_state("a") is AgentState.NOT_READY  # not ready, and not offered the waiting call
    assert rings(out) == []
    assert [x.reason for x in out if isinstance(x, AgentStateChanged)] == ["break"]
    assert rings(e.set_ready("a", 5.0))[0].interaction == waiting


def test_not_ready_asked_while_offered_applies_after_after_call_work() -> None:
    e = sales_engine(ServicePolicy(acw_required=True))
    e.login("a", {"sales": 1}, 0.0)
    e.register_phone("a", 0.0)
    e.set_ready("a", 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0)
    e.set_not_ready("a", "lunch", 1.5)  # while ringing
    e.answer(call, 2.0)
    e.hang_up(call, 3.0)
    assert e.agent_state("a") is AgentState.AFTER_CALL_WORK
    e.end_after_call_work("a", 4.0)
    assert e.agent_state("a") is AgentState.NOT_READY
    e.set_ready("a", 5.0)
    assert e.agent_state("a") is AgentState.READY  # the request was used up


def test_ready_is_refused_from_after_call_work_and_outbound() -> None:
    e = sales_engine(ServicePolicy(acw_required=True, blended=True))
    e.login("a", {"sales": 1}, 0.0)
    e.register_phone("a", 0.0)
    e.set_ready("a", 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0)
    e.answer(call, 2.0)
    e.hang_up(call, 3.0)
    with pytest.raises(AcdError):
        e.set_ready("a", 4.0)  # after-call work ends through end_after_call_work
    e.end_after_call_work("a", 5.0)
    e.reserve_outbound("sales", 6.0)
    assert e.agent_state("a") is AgentState.RESERVED
    with pytest.raises(AcdError):
        e.set_ready("a", 7.0)  # the reservation is given back through release_outbound
    e.release_outbound("a", 8.0)
    assert e.agent_state("a") is AgentState.READY


def test_refused_second_login_keeps_the_skills() -> None:
    # phone on; a call waits; login with sales 1; login again with sales 0 (refused); ready: offered
    e = sales_engine()
    e.register_phone("a", 0.0)
    call = new_id()
    e.arrive(call, "sales", 0.0)
    e.login("a", {"sales": 1}, 1.0)
    with pytest.raises(AcdError):
        e.login("a", {"sales": 0}, 2.0)
    assert rings(e.set_ready("a", 3.0))[0].interaction == call


def test_relogin_with_other_skills_routes_by_the_new_ones() -> None:
    e = AcdEngine(
        [Service("sales", "sales", ServicePolicy(acw_required=True)), Service("support", "support")],
        0.0,
        random.Random(1),
    )
    e.login("a", {"sales": 50}, 0.0)
    e.register_phone("a", 0.0)
    e.set_ready("a", 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0)
    e.answer(call, 2.0)
    e.hang_up(call, 3.0)
    e.logout("a", 4.0)  # from after-call work
    e.login("a", {"support": 50}, 5.0)
    e.set_ready("a", 6.0)
    sales, support = new_id(), new_id()
    assert rings(e.arrive(sales, "sales", 7.0)) == []
    assert rings(e.arrive(support, "support", 8.0))[0].agent == "a"


def test_rung_out_call_goes_to_another_agent_and_the_first_holds_nothing() -> None:
    # a is offered the call, does not answer in the ring limit; b logs in and takes it
    e = sales_engine(ServicePolicy(ring_limit=20.0))
    e.login("a", {"sales": 1}, 0.0)
    e.register_phone("a", 0.0)
    e.register_phone("b", 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0)
    assert rings(e.set_ready("a", 2.0))[0].agent == "a"
    timer = e.get_timer()
    assert timer == 22.0
    e.handle_timer(timer)
    assert e.agent_state("a") is AgentState.NOT_READY
    assert e.interaction_state(call) is InteractionState.WAITING
    e.login("b", {"sales": 1}, 23.0)
    assert rings(e.set_ready("b", 24.0))[0].agent == "b"
    assert e.agent_state("a") is AgentState.NOT_READY
    e.answer(call, 25.0)
    assert e.agent_state("b") is AgentState.BUSY
