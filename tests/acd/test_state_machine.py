"""Hypothesis state machine: random agent and caller behaviour never breaks the engine's invariants.

Never route to a not-ready agent, one without a registered phone, or one lacking the service skill or a
caller's auxiliary skill (a language); never two voice calls on one agent, never lose an
interaction; every offered interaction is in exactly one state and the state counts sum to offered.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from okc.acd import (
    AcdEngine,
    AcdError,
    AcdEvent,
    AgentState,
    AgentStateChanged,
    DialCallback,
    InteractionState,
    InteractionStateChanged,
    RingAgent,
    RoutingPolicy,
    Service,
    ServicePolicy,
    SkillRequirement,
)
from okc.ids import InteractionId

AGENTS = ("a", "b", "c", "d")
SERVICES = ("sales", "support")
_LIVE = (InteractionState.WAITING, InteractionState.RINGING, InteractionState.CONNECTED)
_HELD = (InteractionState.RINGING, InteractionState.CONNECTED)


class AcdMachine(RuleBasedStateMachine):
    """Drives one engine with random events; checks every emitted offer and the counts."""

    def __init__(self) -> None:
        super().__init__()
        policies = [
            ServicePolicy(
                ring_limit=20.0,
                max_waiting=3,
                max_wait=120.0,
                acw_required=True,
                acw_limit=30.0,
                blended=True,
            ),
            ServicePolicy(
                routing=RoutingPolicy.SKILL_WEIGHTED,
                callback_enabled=True,
                notify_acw_after=5.0,
                ring_limit=10.0,
            ),
        ]
        self.engine = AcdEngine([Service(n, n, p) for n, p in zip(SERVICES, policies, strict=True)], 0.0)
        self.rng = random.Random(3)
        self.now = 0.0
        self.skills: dict[str, dict[str, int]] = {}
        self.ids: list[InteractionId] = []
        self.voice_of: dict[str, InteractionId] = {}
        self.state_of: dict[str, AgentState] = {}  # as the emitted state changes tell it
        self.phone_on: dict[str, bool] = {}  # as the phone events fed in tell it
        self.needs: dict[InteractionId, tuple[SkillRequirement, ...]] = {}  # auxiliary skills per call

    def check(self, events: list[AcdEvent]) -> None:
        for e in events:
            if isinstance(e, AgentStateChanged):
                assert self.state_of.get(e.agent, AgentState.LOGGED_OUT) is e.old, (
                    f"{e.agent} skipped a state"
                )
                self.state_of[e.agent] = e.new
                if e.new is AgentState.RESERVED and e.interaction is not None:
                    assert e.old is AgentState.READY, f"{e.agent} offered a call while {e.old.value}"
            if isinstance(e, InteractionStateChanged) and e.old in _HELD and e.new not in _HELD:
                self.release(e)
            if isinstance(e, (RingAgent, DialCallback)):
                level = self.skills[e.agent].get(e.service, 0)
                assert level > 0, f"{e.agent} lacks {e.service}"
                for need in self.needs[e.interaction]:
                    assert self.skills[e.agent].get(need.skill, 0) >= need.min_level, (
                        f"{e.agent} lacks {need}"
                    )
                assert self.engine.agent_state(e.agent) is AgentState.RESERVED
                assert e.interaction not in self.voice_of.values(), f"{e.interaction} offered twice"
                assert e.agent not in self.voice_of, f"{e.agent} offered a second voice call"
                assert self.phone_on.get(e.agent, False), f"{e.agent} offered voice with no phone"
                self.voice_of[e.agent] = e.interaction

    def release(self, e: InteractionStateChanged) -> None:
        """The call rang out (back to the queue) or ended: its agent holds nothing now."""
        if e.agent is not None and self.voice_of.get(e.agent) == e.interaction:
            del self.voice_of[e.agent]

    def tick(self, seconds: float) -> None:
        self.now += seconds
        timer = self.engine.get_timer()
        while timer is not None and timer <= self.now:
            self.check(self.engine.handle_timer(timer))
            timer = self.engine.get_timer()

    def attempt(self, fn: Callable[[], list[AcdEvent]]) -> None:
        # the engine may refuse an event that does not fit the state: allowed, nothing changes
        with contextlib.suppress(AcdError):
            self.check(fn())

    @rule(
        agent=st.sampled_from(AGENTS),
        sales=st.integers(0, 100),
        support=st.integers(0, 100),
        english=st.integers(0, 100),
    )
    def login(self, agent: str, sales: int, support: int, english: int) -> None:
        self.tick(1.0)
        skills = {"sales": sales, "support": support, "en": english}
        with contextlib.suppress(AcdError):  # a logged-in agent's login is refused: keep the skills they have
            self.check(self.engine.login(agent, skills, self.now))
            self.skills[agent] = skills

    @rule(agent=st.sampled_from(AGENTS), on=st.booleans())
    def phone(self, agent: str, on: bool) -> None:
        self.tick(0.5)
        fn = self.engine.register_phone if on else self.engine.unregister_phone
        with contextlib.suppress(AcdError):  # unregistering an unknown agent's phone is refused
            self.check(fn(agent, self.now))
            self.phone_on[agent] = on

    @rule(agent=st.sampled_from(AGENTS), ready=st.booleans())
    def availability(self, agent: str, ready: bool) -> None:
        self.tick(0.5)
        if ready:
            self.attempt(lambda: self.engine.set_ready(agent, self.now))
        else:
            self.attempt(lambda: self.engine.set_not_ready(agent, "break", self.now))

    @rule(agent=st.sampled_from(AGENTS))
    def end_acw(self, agent: str) -> None:
        self.tick(2.0)
        self.attempt(lambda: self.engine.end_after_call_work(agent, self.now))

    @rule(agent=st.sampled_from(AGENTS))
    def logout(self, agent: str) -> None:
        self.tick(1.0)
        self.attempt(lambda: self.engine.logout(agent, self.now))

    @rule(
        service=st.sampled_from(SERVICES),
        priority=st.integers(0, 2),
        wait=st.floats(0.0, 60.0),
        english=st.none() | st.integers(1, 100),
    )
    def arrive(self, service: str, priority: int, wait: float, english: int | None) -> None:
        self.tick(wait)
        call = InteractionId.new(1.8e9 + self.now, self.rng)
        self.ids.append(call)
        needs = () if english is None else (SkillRequirement("en", english),)
        self.needs[call] = needs
        self.check(self.engine.arrive(call, service, self.now, priority=priority, needs=needs))

    @precondition(lambda self: bool(self.ids))
    @rule(index=st.integers(0, 1000), action=st.sampled_from(["answer", "hang_up", "abandon", "callback"]))
    def act(self, index: int, action: str) -> None:
        self.tick(3.0)
        call = self.ids[index % len(self.ids)]
        if action == "callback":
            self.attempt(lambda: self.engine.accept_callback(call, "+15550199", self.now))
        else:
            fn: Callable[[InteractionId, float], list[AcdEvent]] = getattr(self.engine, action)
            self.attempt(lambda: fn(call, self.now))

    @rule(agent=st.sampled_from(AGENTS), reserve=st.booleans())
    def outbound(self, agent: str, reserve: bool) -> None:
        self.tick(1.0)
        if reserve:
            self.attempt(lambda: self.engine.reserve_outbound("sales", self.now))
        else:
            self.attempt(lambda: self.engine.release_outbound(agent, self.now))

    @precondition(lambda self: bool(self.ids))
    @rule(index=st.integers(0, 1000), action=st.sampled_from(["hold", "unhold", "callback_failed"]))
    def more(self, index: int, action: str) -> None:
        self.tick(1.0)
        call = self.ids[index % len(self.ids)]
        fn: Callable[[InteractionId, float], list[AcdEvent]] = getattr(self.engine, action)
        self.attempt(lambda: fn(call, self.now))

    @invariant()
    def agents_agree(self) -> None:
        for agent, state in self.state_of.items():
            assert self.engine.agent_state(agent) is state

    @invariant()
    def counts_add_up(self) -> None:
        counts = self.engine.counts()
        assert sum(counts.values()) == self.engine.offered() == len(self.ids)
        live = [c for c in self.ids if self.engine.interaction_state(c) is not None]
        assert sum(counts[s] for s in _LIVE) == len(live)

    @invariant()
    def one_voice_call_per_agent(self) -> None:
        holders = [
            agent
            for agent, call in self.voice_of.items()
            if self.engine.interaction_state(call) in (InteractionState.RINGING, InteractionState.CONNECTED)
        ]
        live = [
            c
            for c in self.ids
            if self.engine.interaction_state(c) in (InteractionState.RINGING, InteractionState.CONNECTED)
        ]
        assert len(holders) == len(set(holders)) == len(live)
        for agent in holders:
            assert self.engine.agent_state(agent) in (AgentState.RESERVED, AgentState.BUSY)


TestAcdMachine = AcdMachine.TestCase
TestAcdMachine.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
