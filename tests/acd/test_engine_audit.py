"""Rules of issue 6 the first engine tests left loose (found in the audit, /work/notes/issue6-audit.md)."""

from __future__ import annotations

import random

import pytest

from okc.acd import (
    AcdEngine,
    AcdEvent,
    AddToDoNotCall,
    AgentState,
    AgentStateChanged,
    DialCallback,
    InteractionState,
    Media,
    NotifyAgent,
    OutboundReserved,
    RingAgent,
    RoutingPolicy,
    Service,
    ServicePolicy,
)
from okc.ids import InteractionId

_RNG = random.Random(17)


def new_id() -> InteractionId:
    return InteractionId.new(1.8e9, _RNG)


def rings(events: list[AcdEvent]) -> list[RingAgent]:
    return [e for e in events if isinstance(e, RingAgent)]


def moves(events: list[AcdEvent], agent: str) -> list[tuple[AgentState, str]]:
    return [(e.new, e.reason) for e in events if isinstance(e, AgentStateChanged) and e.agent == agent]


def engine(policy: ServicePolicy | None = None) -> AcdEngine:
    return AcdEngine([Service("sales", "sales", policy or ServicePolicy())], 0.0, random.Random(3))


def ready(e: AcdEngine, agent: str, skills: dict[str, int], now: float, *, phone: bool = True) -> None:
    e.login(agent, skills, now)
    if phone:
        e.register_phone(agent, now)
    e.set_ready(agent, now)


def test_ring_out_stores_no_answer_on_the_agent_and_the_call_goes_to_the_next_agent_first() -> None:
    e = engine(ServicePolicy(ring_limit=10.0))
    ready(e, "a", {"sales": 10}, 0.0)
    rung, later = new_id(), new_id()
    e.arrive(rung, "sales", 1.0)  # rings a
    e.arrive(later, "sales", 2.0)
    out = e.handle_timer(11.0)
    assert moves(out, "a") == [(AgentState.NOT_READY, "no answer")]
    assert e.queue_status(rung).position == 1  # back at the head, ahead of the caller who came later
    assert [r.interaction for r in rings(e.login("b", {"sales": 10}, 12.0))] == []
    e.register_phone("b", 12.0)
    assert [r.interaction for r in rings(e.set_ready("b", 12.0))] == [rung]


def test_an_agent_ready_for_chat_without_a_phone_gets_no_voice_until_the_phone_registers() -> None:
    e = engine(ServicePolicy(chat_capacity=2))
    ready(e, "a", {"sales": 10}, 0.0, phone=False)
    assert e.agent_state("a") is AgentState.READY  # ready for chat only
    call = new_id()
    assert rings(e.arrive(call, "sales", 1.0)) == []
    assert e.interaction_state(call) is InteractionState.WAITING
    assert [r.interaction for r in rings(e.register_phone("a", 2.0))] == [call]
    e.answer(call, 3.0)
    e.hang_up(call, 4.0)
    out = e.unregister_phone("a", 5.0)
    assert e.agent_state("a") is AgentState.READY  # still serves chats
    assert moves(out, "a") == []
    voice = new_id()
    assert rings(e.arrive(voice, "sales", 6.0)) == []
    chat = new_id()
    assert [r.agent for r in rings(e.arrive(chat, "sales", 6.0, media=Media.CHAT))] == ["a"]


def test_a_voice_only_agent_loses_ready_when_the_phone_unregisters() -> None:
    e = engine()
    ready(e, "a", {"sales": 10}, 0.0)
    out = e.unregister_phone("a", 1.0)
    assert moves(out, "a") == [(AgentState.NOT_READY, "phone unregistered")]


def test_a_callback_keeps_its_place_ahead_of_later_callers_and_is_dialled_at_the_head() -> None:
    e = engine(ServicePolicy(callback_enabled=True))
    early, cb, late = new_id(), new_id(), new_id()
    e.arrive(early, "sales", 0.0)
    e.arrive(cb, "sales", 1.0)
    e.arrive(late, "sales", 2.0)
    e.accept_callback(cb, "+15550102", 3.0)
    assert [e.queue_status(i).position for i in (early, cb, late)] == [1, 2, 3]
    ready(e, "a", {"sales": 10}, 4.0)
    assert e.interaction_state(early) is InteractionState.RINGING  # not yet at the head: no dial
    e.answer(early, 5.0)
    out = e.hang_up(early, 6.0)
    (dial,) = [x for x in out if isinstance(x, DialCallback)]
    assert (dial.interaction, dial.agent, dial.number) == (cb, "a", "+15550102")
    assert rings(out) == []  # the agent is held for the outbound call, the line caller still waits
    assert e.interaction_state(late) is InteractionState.WAITING
    assert e.agent_state("a") is AgentState.RESERVED


def test_every_waiting_interaction_gets_a_position_in_its_own_queue_and_an_estimate() -> None:
    e = engine(ServicePolicy(acw_required=True, chat_capacity=1))
    e.login("a", {"sales": 10}, 0.0)
    chats = [new_id() for _ in range(2)]
    voices = [new_id() for _ in range(3)]
    for i, chat in enumerate(chats):
        e.arrive(chat, "sales", float(i), media=Media.CHAT)
    for i, voice in enumerate(voices):
        e.arrive(voice, "sales", 2.0 + i)
    assert [e.queue_status(v).position for v in voices] == [1, 2, 3]  # chats queue apart
    assert [e.queue_status(c).position for c in chats] == [1, 2]
    assert all(e.queue_status(v).estimated_wait is None for v in voices)  # nobody staffed yet
    e.register_phone("a", 5.0)
    e.set_ready("a", 5.0)  # takes the first voice call and the first chat
    e.answer(voices[0], 6.0)
    e.hang_up(voices[0], 66.0)  # 60 s talk
    e.end_after_call_work("a", 76.0)  # 10 s ACW, takes the next voice call
    estimates = [e.queue_status(v).estimated_wait for v in voices[2:]]
    assert estimates == [70.0]  # one ahead of none: position 1 × (60 + 10) s ÷ one staffed agent


def test_the_agents_group_acw_limit_replaces_the_services() -> None:
    e = engine(ServicePolicy(acw_required=True, acw_limit=60.0))
    e.login("a", {"sales": 10}, 0.0, acw_limit=20.0)
    e.register_phone("a", 0.0)
    e.set_ready("a", 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0)
    e.answer(call, 2.0)
    e.hang_up(call, 10.0)
    assert e.get_timer() == 30.0
    out = e.handle_timer(30.0)
    assert moves(out, "a") == [(AgentState.READY, "acw limit")]


def test_a_plain_disposition_ends_acw_without_a_do_not_call_action_and_is_stored_as_the_reason() -> None:
    e = engine(ServicePolicy(disposition_required=True))
    ready(e, "a", {"sales": 10}, 0.0)
    call = new_id()
    e.arrive(call, "sales", 1.0, number="+15550103")
    e.answer(call, 2.0)
    e.hang_up(call, 3.0)
    out = e.end_after_call_work("a", 4.0, "sale")
    assert not [x for x in out if isinstance(x, AddToDoNotCall)]
    assert moves(out, "a") == [(AgentState.READY, "acw done: sale")]


def test_blended_inbound_first_and_a_released_agent_takes_the_waiting_inbound_call() -> None:
    e = engine(ServicePolicy(blended=True))
    assert e.reserve_outbound("sales", 0.0) == []  # nobody ready
    ready(e, "a", {"sales": 10}, 1.0)
    out = e.reserve_outbound("sales", 2.0)
    assert [x.agent for x in out if isinstance(x, OutboundReserved)] == ["a"]
    call = new_id()
    assert rings(e.arrive(call, "sales", 3.0)) == []  # the reserved agent is not offered inbound
    assert [r.interaction for r in rings(e.release_outbound("a", 4.0))] == [call]
    assert e.reserve_outbound("sales", 5.0) == []  # the only agent is on inbound


@pytest.mark.parametrize("policy", list(RoutingPolicy))
def test_no_policy_routes_to_level_zero_or_to_an_agent_without_the_skill(policy: RoutingPolicy) -> None:
    e = engine(ServicePolicy(routing=policy))
    ready(e, "zero", {"sales": 0, "other": 50}, 0.0)
    ready(e, "other", {"other": 100}, 0.0)
    call = new_id()
    assert rings(e.arrive(call, "sales", 1.0)) == []
    ready(e, "ok", {"sales": 1}, 2.0)
    assert e.interaction_state(call) is InteractionState.RINGING
    assert e.agent_state("ok") is AgentState.RESERVED


def test_an_agent_entering_acw_hears_of_a_call_already_waiting_too_long_and_others_do_not() -> None:
    e = AcdEngine(
        [
            Service("sales", "sales", ServicePolicy(acw_required=True, notify_acw_after=10.0)),
            Service("quiet", "quiet", ServicePolicy(acw_required=True)),
        ],
        0.0,
    )
    ready(e, "a", {"sales": 10}, 0.0)
    ready(e, "q", {"quiet": 10}, 0.0)
    call, other = new_id(), new_id()
    e.arrive(call, "sales", 1.0)
    e.arrive(other, "quiet", 1.0)
    e.answer(call, 2.0)
    e.answer(other, 2.0)
    waiting, unnoticed = new_id(), new_id()
    e.arrive(waiting, "sales", 3.0)
    assert [x for x in e.handle_timer(13.0) if isinstance(x, NotifyAgent)] == []  # nobody in ACW yet
    e.arrive(unnoticed, "quiet", 14.0)
    out = e.hang_up(call, 20.0)  # a enters ACW: the call has waited 17 s > 10 s
    assert [(n.agent, n.interaction, n.waited) for n in out if isinstance(n, NotifyAgent)] == [
        ("a", waiting, 17.0)
    ]
    out = e.hang_up(other, 60.0)  # the quiet service asks for no notification
    assert [x for x in out if isinstance(x, NotifyAgent)] == []
    assert e.get_timer() == 900.0  # no notification timer is left for either queue
