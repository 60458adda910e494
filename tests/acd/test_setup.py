"""The ACD built from the configuration: the starter center and the full fixture of tests/config."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from okc.acd import (
    AcdEngine,
    AcdError,
    AddToDoNotCall,
    AgentState,
    DispositionRequiredError,
    InteractionState,
    Media,
    OverflowAction,
    RingAgent,
    RoutingPolicy,
    UnknownAgentError,
)
from okc.acd.setup import AcdSetup, AgentProfile
from okc.config import CenterConfig, load
from okc.ids import InteractionId
from okc.starter.center import create_starter
from tests.config.conftest import make_center

_RNG = random.Random(5)
INBOUND = "Входящие вызовы"


def new_id() -> InteractionId:
    return InteractionId.new(1.8e9, _RNG)


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> CenterConfig:
    return load(create_starter(tmp_path_factory.mktemp("starter")).config_path)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> CenterConfig:
    path: Path = tmp_path_factory.mktemp("full")
    return load(make_center(path / "center"))


def test_starter_services_and_agents(starter: CenterConfig) -> None:
    setup = AcdSetup.from_config(starter)
    by_name = {s.name: s for s in setup.services}
    assert set(by_name) == {s.name for s in starter.services}
    voice, chat = by_name[INBOUND].policy, by_name["Тестовый чат"].policy
    assert (voice.routing, voice.sl_threshold, voice.sl_target, voice.ring_limit) == (
        RoutingPolicy.LONGEST_IDLE,
        20.0,
        0.8,
        20.0,
    )
    assert voice.chat_capacity == 0
    assert chat.chat_capacity == 3
    assert voice.acw_required
    assert setup.not_ready_reasons is None  # the starter lists no reason codes: any reason goes
    assert setup.agents["agent1"].skills == {INBOUND: 100, "Тестовый чат": 100}
    assert setup.agents["agent1"].groups == ("Контакт центр",)


def test_starter_center_routes_voice_and_chat(starter: CenterConfig) -> None:
    setup = AcdSetup.from_config(starter)
    engine = setup.engine(0.0, random.Random(1))
    setup.login(engine, "agent1", 1.0)
    engine.register_phone("agent1", 1.0)
    engine.set_ready("agent1", 2.0)
    call, chat = new_id(), new_id()
    (ring,) = [e for e in engine.arrive(call, INBOUND, 3.0) if isinstance(e, RingAgent)]
    assert ring.agent == "agent1"
    engine.answer(call, 4.0)
    # voice and chat capacity are apart: a busy voice agent still takes a chat
    (offer,) = [
        e for e in engine.arrive(chat, "Тестовый чат", 5.0, media=Media.CHAT) if isinstance(e, RingAgent)
    ]
    assert (offer.agent, offer.media) == ("agent1", Media.CHAT)
    engine.hang_up(call, 60.0)
    assert engine.agent_state("agent1") is AgentState.AFTER_CALL_WORK
    with pytest.raises(UnknownAgentError):
        setup.login(engine, "nobody", 61.0)


def test_from_config_on_the_engine(starter: CenterConfig) -> None:
    engine = AcdEngine.from_config(starter, 0.0)
    assert engine.agents_by_state() == dict.fromkeys(AgentState, 0)
    assert engine.waiting(INBOUND) == (0, 0.0)


def test_full_fixture_policies(full: CenterConfig) -> None:
    setup = AcdSetup.from_config(full)
    by_name = {s.name: s for s in setup.services}
    inbound = by_name[INBOUND].policy
    assert inbound.routing is RoutingPolicy.SKILL_WEIGHTED
    assert (inbound.sl_threshold, inbound.sl_target, inbound.sl_alert_below) == (20.0, 0.8, 0.7)
    assert not inbound.count_short_abandons
    assert inbound.ring_limit == 15.0
    assert (inbound.max_waiting, inbound.max_wait, inbound.overflow) == (30, 300.0, OverflowAction.VOICEMAIL)
    assert inbound.disposition_required
    assert inbound.acw_required
    assert inbound.acw_limit == 60.0  # the center's; the group's 30 s applies to its members
    assert inbound.notify_acw_after == 10.0
    assert inbound.callback_enabled
    assert not inbound.blended
    outbound = by_name["Обзвон"].policy
    assert outbound.blended
    assert outbound.do_not_call_dispositions == {"Не звонить", 'Номер есть в списке "Не звонить"'}
    assert setup.not_ready_reasons == frozenset({"Обед", "Обучение"})
    assert setup.agents["agent1"] == AgentProfile(
        "agent1",
        {INBOUND: 100, "Обзвон": 100, "Английский": 70, "Продажи": 100},
        ("Контакт центр",),
        30.0,
    )
    assert setup.agents["agent2"].skills[INBOUND] == 50  # the explicit level beats the group's 100
    assert setup.agents["admin"].acw_limit == 60.0


def test_full_fixture_rules_in_the_engine(full: CenterConfig) -> None:
    setup = AcdSetup.from_config(full)
    engine = setup.engine(0.0, random.Random(1))
    setup.login(engine, "agent1", 0.0)
    engine.register_phone("agent1", 0.0)
    with pytest.raises(AcdError, match="not-ready reason"):
        engine.set_not_ready("agent1", "break", 1.0)
    engine.set_not_ready("agent1", "Обед", 1.0)
    engine.set_ready("agent1", 2.0)
    call = new_id()
    engine.arrive(call, INBOUND, 3.0, number="+74951234567")
    engine.answer(call, 4.0)
    engine.hang_up(call, 30.0)
    with pytest.raises(DispositionRequiredError):
        engine.end_after_call_work("agent1", 31.0)
    # the group's 30 s after-call-work limit, not the center's 60 s
    assert engine.get_timer() == 60.0
    engine.handle_timer(60.0)
    assert engine.agent_state("agent1") is AgentState.READY
    # the outbound service's do-not-call disposition asks the dialer to add the number
    engine.reserve_outbound("Обзвон", 61.0)
    engine.release_outbound("agent1", 62.0)
    second = new_id()
    engine.arrive(second, INBOUND, 63.0, number="+74957654321")
    engine.answer(second, 64.0)
    engine.hang_up(second, 70.0)
    out = engine.end_after_call_work("agent1", 71.0, 'Номер есть в списке "Не звонить"')
    assert [e.number for e in out if isinstance(e, AddToDoNotCall)] == ["+74957654321"]
    assert engine.interaction_state(second) is None
    assert engine.counts()[InteractionState.ANSWERED] == 2
