"""ACD engine rules, each driven by an event sequence in virtual time."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest

from okc.acd import (
    AcdEngine,
    AcdError,
    AcdEvent,
    AddToDoNotCall,
    AgentState,
    DialCallback,
    DispositionRequiredError,
    IllegalTransitionError,
    InteractionState,
    InteractionStateChanged,
    Media,
    NotifyAgent,
    OutboundReserved,
    OverflowAction,
    RingAgent,
    RoutingPolicy,
    Service,
    ServicePolicy,
    SkillRequirement,
)
from okc.ids import InteractionId

_RNG = random.Random(7)


def new_id() -> InteractionId:
    return InteractionId.new(1.8e9, _RNG)


def rings(events: list[AcdEvent]) -> list[RingAgent]:
    return [e for e in events if isinstance(e, RingAgent)]


def engine(policy: ServicePolicy | None = None, **more: ServicePolicy) -> AcdEngine:
    services = [Service("sales", "sales", policy or ServicePolicy())]
    services += [Service(name, name, p) for name, p in more.items()]
    return AcdEngine(services, 0.0, random.Random(1))


def ready(e: AcdEngine, agent: str, skills: dict[str, int], now: float, phone: bool = True) -> None:
    e.login(agent, skills, now)
    if phone:
        e.register_phone(agent, now)
    e.set_ready(agent, now)


def test_longest_idle_agent_gets_the_call() -> None:
    e = engine()
    ready(e, "a", {"sales": 50}, 1.0)
    ready(e, "b", {"sales": 100}, 2.0)
    (ring,) = rings(e.arrive(new_id(), "sales", 3.0))
    assert ring.agent == "a"
    assert e.agent_state("a") is AgentState.RESERVED


def test_most_skilled_wins_and_ties_go_to_longest_idle() -> None:
    e = engine(ServicePolicy(routing=RoutingPolicy.MOST_SKILLED))
    ready(e, "a", {"sales": 50}, 1.0)
    ready(e, "b", {"sales": 90}, 2.0)
    ready(e, "c", {"sales": 90}, 3.0)
    assert rings(e.arrive(new_id(), "sales", 4.0))[0].agent == "b"
    assert rings(e.arrive(new_id(), "sales", 4.0))[0].agent == "c"


def test_skill_weighted_shares_follow_levels() -> None:
    e = engine(ServicePolicy(routing=RoutingPolicy.SKILL_WEIGHTED, ring_limit=None))
    ready(e, "hi", {"sales": 100}, 0.0)
    ready(e, "lo", {"sales": 50}, 0.0)
    e.login("zero", {"sales": 0}, 0.0)
    e.register_phone("zero", 0.0)
    e.set_ready("zero", 0.0)
    shares: Counter[str] = Counter()
    now = 1.0
    for _ in range(10_000):
        call = new_id()
        (ring,) = rings(e.arrive(call, "sales", now))
        shares[ring.agent] += 1
        e.abandon(call, now)  # the agent goes straight back to ready
        now += 1.0
    assert shares["zero"] == 0
    assert shares["hi"] / shares["lo"] == pytest.approx(2.0, rel=0.05)


def test_unskilled_or_aux_lacking_agent_gets_nothing() -> None:
    e = engine()
    e.login("a", {"sales": 80, "en": 10}, 0.0)
    e.register_phone("a", 0.0)
    e.set_ready("a", 0.0)
    call = new_id()
    out = e.arrive(call, "sales", 1.0, needs=[SkillRequirement("en", 50)])
    assert rings(out) == []
    assert e.interaction_state(call) is InteractionState.WAITING
    ready(e, "b", {"sales": 10, "en": 60}, 2.0)
    assert e.interaction_state(call) is InteractionState.RINGING


def test_caller_order_is_priority_then_wait_across_queues() -> None:
    e = engine(support=ServicePolicy())
    first, vip, other = new_id(), new_id(), new_id()
    e.arrive(other, "support", 0.5)
    e.arrive(first, "sales", 1.0)
    e.arrive(vip, "sales", 2.0, priority=5)
    e.login("a", {"sales": 10, "support": 10}, 3.0)
    e.register_phone("a", 3.0)
    assert rings(e.set_ready("a", 3.0))[0].interaction == vip
    ready(e, "b", {"sales": 10, "support": 10}, 4.0)
    assert e.interaction_state(other) is InteractionState.RINGING  # entered first of the two left
    assert e.queue_status(first).position == 1


def test_no_answer_sends_agent_not_ready_and_call_back_to_head() -> None:
    e = engine(ServicePolicy(ring_limit=15.0))
    ready(e, "a", {"sales": 10}, 0.0)
    early, late = new_id(), new_id()
    e.arrive(early, "sales", 1.0)
    e.arrive(late, "sales", 2.0)
    assert e.get_timer() == 16.0
    out = e.handle_timer(16.0)
    assert e.agent_state("a") is AgentState.NOT_READY
    assert any(getattr(x, "reason", "") == "no answer" for x in out)
    assert e.queue_status(early).position == 1
    assert e.queue_status(late).position == 2


def test_phone_needed_for_voice() -> None:
    e = engine()
    e.login("a", {"sales": 10}, 0.0)
    with pytest.raises(AcdError):
        e.set_ready("a", 0.0)
    e.register_phone("a", 1.0)
    e.set_ready("a", 1.0)
    e.unregister_phone("a", 2.0)
    assert e.agent_state("a") is AgentState.NOT_READY


def test_illegal_transition_raises() -> None:
    e = engine()
    ready(e, "a", {"sales": 10}, 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0)
    with pytest.raises(IllegalTransitionError):
        e.logout("a", 2.0)
    with pytest.raises(AcdError):
        e.arrive(new_id(), "sales", 0.5)  # time went backwards


def test_queue_limits_turn_away_with_a_reason() -> None:
    e = engine(ServicePolicy(max_waiting=1, max_wait=30.0, overflow=OverflowAction.VOICEMAIL))
    first, second = new_id(), new_id()
    e.arrive(first, "sales", 0.0)
    out = e.arrive(second, "sales", 1.0)
    ended = [x for x in out if isinstance(x, InteractionStateChanged) and x.interaction == second][-1]
    assert (ended.new, ended.reason) == (InteractionState.VOICEMAIL, "queue full")
    out = e.handle_timer(30.0)
    assert [(x.new, x.reason) for x in out if isinstance(x, InteractionStateChanged)] == [
        (InteractionState.VOICEMAIL, "max wait")
    ]
    assert e.get_timer() == 900.0  # only the statistics interval is left to close


def test_acw_limit_disposition_and_do_not_call() -> None:
    policy = ServicePolicy(acw_required=True, acw_limit=60.0, disposition_required=True)
    e = engine(policy)
    ready(e, "a", {"sales": 10}, 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0, number="+15550100")
    e.answer(call, 2.0)
    e.hang_up(call, 10.0)
    assert e.agent_state("a") is AgentState.AFTER_CALL_WORK
    with pytest.raises(DispositionRequiredError):
        e.end_after_call_work("a", 11.0)
    out = e.end_after_call_work("a", 12.0, "do-not-call")
    assert next(x for x in out if isinstance(x, AddToDoNotCall)).number == "+15550100"
    assert e.agent_state("a") is AgentState.READY
    call = new_id()
    e.arrive(call, "sales", 20.0)
    e.answer(call, 21.0)
    e.hang_up(call, 30.0)
    assert e.get_timer() == 90.0
    e.handle_timer(90.0)
    assert e.agent_state("a") is AgentState.READY


def test_agents_in_acw_are_notified_of_long_waits() -> None:
    e = engine(ServicePolicy(acw_required=True, notify_acw_after=10.0))
    ready(e, "a", {"sales": 10}, 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0)
    e.answer(call, 2.0)
    e.hang_up(call, 5.0)
    waiting = new_id()
    e.arrive(waiting, "sales", 6.0)
    out = e.handle_timer(16.0)
    assert [(n.agent, n.interaction) for n in out if isinstance(n, NotifyAgent)] == [("a", waiting)]


def test_callback_keeps_place_then_dials() -> None:
    e = engine(ServicePolicy(callback_enabled=True, max_wait=100.0))
    first, second = new_id(), new_id()
    e.arrive(first, "sales", 0.0)
    e.arrive(second, "sales", 1.0)
    e.accept_callback(first, "+15550101", 2.0)
    assert e.handle_timer(200.0) != []  # the caller still on the line is turned away; the callback stays
    e.login("a", {"sales": 10}, 300.0)
    e.register_phone("a", 300.0)
    out = e.set_ready("a", 300.0)
    (dial,) = [x for x in out if isinstance(x, DialCallback)]
    assert (dial.interaction, dial.agent, dial.number) == (first, "a", "+15550101")
    e.answer(first, 310.0)
    e.hang_up(first, 400.0)
    assert e.counts()[InteractionState.CALLED_BACK] == 1


def test_chats_counted_apart_from_voice() -> None:
    e = engine(ServicePolicy(chat_capacity=2))
    ready(e, "a", {"sales": 10}, 0.0, phone=False)
    chats = [new_id() for _ in range(3)]
    routed = [rings(e.arrive(c, "sales", 1.0, media=Media.CHAT)) for c in chats]
    assert [len(r) for r in routed] == [1, 1, 0]
    e.answer(chats[0], 2.0)
    e.hang_up(chats[0], 3.0)
    assert e.interaction_state(chats[2]) is InteractionState.RINGING


def test_outbound_reservation_and_expected_free() -> None:
    e = engine(ServicePolicy(blended=True))
    ready(e, "a", {"sales": 10}, 0.0)
    ready(e, "b", {"sales": 10}, 0.0)
    out = e.reserve_outbound("sales", 1.0)
    assert [x.agent for x in out if isinstance(x, OutboundReserved)] == ["a"]
    call = new_id()
    assert rings(e.arrive(call, "sales", 2.0))[0].agent == "b"
    e.answer(call, 3.0)
    e.hang_up(call, 63.0)  # recent talk mean: 60 s
    call = new_id()
    e.arrive(call, "sales", 64.0)
    e.answer(call, 64.0)
    e.release_outbound("a", 65.0)
    assert e.expected_free_agents(30.0) == 1  # a is ready; b has 59 s of talk to go
    assert e.expected_free_agents(60.0) == 2


def test_agent_events_that_do_not_fit_are_refused() -> None:
    e = engine(ServicePolicy(chat_capacity=1))
    ready(e, "a", {"sales": 10}, 0.0)
    with pytest.raises(AcdError):
        e.login("a", {"sales": 90}, 1.0)  # already logged in
    call = new_id()
    e.arrive(call, "sales", 1.0)
    assert e.set_not_ready("a", "lunch", 2.0) == []  # ringing: not ready once the call is over
    assert e.agent_state("a") is AgentState.RESERVED
    e.answer(call, 3.0)
    chat = new_id()
    e.arrive(chat, "sales", 3.0, media=Media.CHAT)
    assert e.interaction_state(chat) is InteractionState.RINGING  # a chat beside the voice call
    e.hang_up(call, 4.0)
    assert e.agent_state("a") is AgentState.NOT_READY
    with pytest.raises(AcdError):
        e.logout("a", 5.0)  # the chat is still held


def test_skill_requirements_look_past_the_head_of_the_queue() -> None:
    e = engine()
    french, plain = new_id(), new_id()
    e.arrive(french, "sales", 0.0, needs=[SkillRequirement("fr", 50)])
    e.arrive(plain, "sales", 1.0)
    ready(e, "a", {"sales": 10}, 2.0)
    assert e.interaction_state(plain) is InteractionState.RINGING
    assert e.interaction_state(french) is InteractionState.WAITING


@pytest.mark.parametrize(
    "make",
    [
        lambda: ServicePolicy(sl_target=1.5),
        lambda: ServicePolicy(ring_limit=-1.0),
        lambda: ServicePolicy(max_waiting=-1),
        lambda: ServicePolicy(chat_capacity=-2),
        lambda: Service("", "x"),
        lambda: SkillRequirement("fr", 0),
        lambda: AcdEngine([Service("s", "s")], 0.0).login("a", {"s": 101}, 0.0),
        lambda: AcdEngine([Service("s", "s")], 0.0).arrive(new_id(), "nope", 0.0),
    ],
)
def test_bad_input_raises_acd_errors(make: Callable[[], object]) -> None:
    with pytest.raises(AcdError):
        make()


def test_max_wait_still_applies_after_a_ring_out() -> None:
    e = engine(ServicePolicy(ring_limit=10.0, max_wait=60.0))
    ready(e, "a", {"sales": 10}, 0.0)
    call = new_id()
    e.arrive(call, "sales", 0.0)  # rings a at once
    e.handle_timer(10.0)  # no answer: back in the queue
    assert e.interaction_state(call) is InteractionState.WAITING
    assert e.get_timer() == 60.0
    e.handle_timer(60.0)
    assert e.counts()[InteractionState.TURNED_AWAY] == 1
