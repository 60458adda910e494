"""ACD history in a real SQLite file: a shift driven in virtual time, read back and checked against the
engine's live statistics."""

from __future__ import annotations

import contextlib
import math
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa

from okc.acd import (
    AcdEngine,
    AcdError,
    AcdEvent,
    AgentState,
    AgentStateChanged,
    InteractionState,
    InteractionStateChanged,
    IntervalClosed,
    RingAgent,
    Service,
    ServiceLevelAlert,
    ServicePolicy,
)
from okc.acd.stats import INTERVALS
from okc.acd.store import AcdStore
from okc.ids import InteractionId
from okc.simulation.events import EventLoop
from okc.storage import Database, QueueEventKind, StorageModel, agent_states
from okc.storage.models import StatScope
from okc.storage.records import interval_stats, queue_events, service_level_alerts
from tests.conftest import REQUIRE_INTEROP

START = 8 * 3600.0  # the shift starts at 08:00 and takes calls for two hours
END = START + 2 * 3600.0
AGENTS = {"ann": ("north",), "bob": ("north",), "cid": ("south",), "dee": ("south", "north")}
SKILLS = {
    "ann": {"sales": 80, "support": 20},
    "bob": {"sales": 50},
    "cid": {"support": 90},
    "dee": {"sales": 30, "support": 60},
}


class Shift:
    """Agents and callers with random (seeded) behaviour around one engine; every event goes to the store."""

    def __init__(self, db: Database, seed: int) -> None:
        services = [
            Service(
                "sales",
                "sales",
                ServicePolicy(
                    ring_limit=15.0,
                    max_waiting=4,
                    max_wait=240.0,
                    acw_required=True,
                    acw_limit=30.0,
                    count_short_abandons=False,
                    sl_alert_below=0.9,
                ),
            ),
            Service("support", "support", ServicePolicy(ring_limit=15.0)),
        ]
        self.engine = AcdEngine(services, START, random.Random(seed))
        self.store = AcdStore(db)
        self.rng = random.Random(seed)
        self.loop = EventLoop(START)
        self.events: list[AcdEvent] = []
        self.loop.add_timer_source(self.engine, self.feed)  # type: ignore[arg-type]

    def feed(self, events: list[AcdEvent]) -> None:
        self.events += events
        self.store.write(events)
        for e in events:
            if isinstance(e, RingAgent):
                delay = self.rng.uniform(1.0, 18.0)  # now and then past the 15 s ring limit
                self.later(delay, partial(self.engine.answer, e.interaction), then=self.talk)
            elif isinstance(e, AgentStateChanged) and e.new is AgentState.AFTER_CALL_WORK:
                wrap = self.rng.uniform(3.0, 40.0)  # now and then past the 30 s limit
                self.later(wrap, partial(self.engine.end_after_call_work, e.agent))
            elif isinstance(e, AgentStateChanged) and e.reason == "no answer":
                self.later(30.0, partial(self.engine.set_ready, e.agent))

    def later(
        self,
        delay: float,
        call: Callable[[float], list[AcdEvent]],
        then: Callable[[list[AcdEvent]], None] | None = None,
    ) -> None:
        def act() -> None:
            try:
                out = call(self.loop.now)
            except AcdError:
                return  # overtaken: the caller left, the call rang out, the limit ended ACW
            self.feed(out)
            if then is not None:
                then(out)

        self.loop.schedule_in(delay, act)

    def talk(self, out: list[AcdEvent]) -> None:
        for e in out:
            if isinstance(e, InteractionStateChanged) and e.new is InteractionState.CONNECTED:
                hold = self.rng.random() < 0.3
                if hold:
                    self.later(10.0, partial(self.engine.hold, e.interaction))
                    self.later(25.0, partial(self.engine.unhold, e.interaction))
                length = 30.0 + self.rng.expovariate(1 / 150.0)
                self.later(length, partial(self.engine.hang_up, e.interaction))

    def arrivals(self, service: str, mean_gap: float) -> None:
        t = START + self.rng.expovariate(1 / mean_gap)
        while t < END:
            interaction = InteractionId.new(1.8e9 + t, self.rng)
            self.loop.schedule(t, partial(self.arrive, interaction, service))
            t += self.rng.expovariate(1 / mean_gap)

    def arrive(self, interaction: InteractionId, service: str) -> None:
        self.feed(self.engine.arrive(interaction, service, self.loop.now))
        patience = self.rng.expovariate(1 / 150.0)
        self.later(patience, partial(self.give_up, interaction))

    def give_up(self, interaction: InteractionId, now: float) -> list[AcdEvent]:
        if self.engine.interaction_state(interaction) in (InteractionState.WAITING, InteractionState.RINGING):
            return self.engine.abandon(interaction, now)
        return []

    def leave(self, agent: str) -> None:
        """Log out at the end of the shift, trying again while the agent is still on a call."""
        if self.engine.agent_state(agent) in (AgentState.RESERVED, AgentState.BUSY):
            self.loop.schedule_in(20.0, partial(self.leave, agent))
            return
        with contextlib.suppress(AcdError):
            self.feed(self.engine.logout(agent, self.loop.now))

    def run(self) -> None:
        for n, (agent, groups) in enumerate(AGENTS.items()):
            at = START + 60.0 * n

            def start(agent: str = agent, groups: tuple[str, ...] = groups) -> None:
                now = self.loop.now
                out = self.engine.login(agent, SKILLS[agent], now, groups=groups)
                out += self.engine.register_phone(agent, now)
                self.feed(out + self.engine.set_ready(agent, now))

            self.loop.schedule(at, start)
        # bob takes a 10-minute break mid-shift (when he is free)
        self.loop.schedule(START + 3000.0, partial(self.later, 0.0, self.bob_break))
        self.arrivals("sales", 70.0)
        self.arrivals("support", 110.0)
        for agent in AGENTS:
            self.loop.schedule(END + 600.0, partial(self.leave, agent))
        self.loop.run()

    def bob_break(self, now: float) -> list[AcdEvent]:
        if self.engine.agent_state("bob") in (AgentState.RESERVED, AgentState.BUSY):
            self.loop.schedule_in(15.0, partial(self.later, 0.0, self.bob_break))
            return []
        self.later(600.0, partial(self.engine.set_ready, "bob"))
        return self.engine.set_not_ready("bob", "break", now)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.interop),
    ],
)
def shift(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Shift, Database]]:
    """A shift stored in a SQLite file, and in PostgreSQL when OKC_TEST_POSTGRES_URL names one."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("acd-store")
        db = Database.open(path)
    else:
        url = os.environ.get("OKC_TEST_POSTGRES_URL", "")
        if not url:
            if REQUIRE_INTEROP:
                pytest.fail("OKC_TEST_POSTGRES_URL is required (OKC_REQUIRE_INTEROP is set)")
            pytest.skip("OKC_TEST_POSTGRES_URL is not set")
        db = Database.open(url)
        with db.engine.begin() as connection:  # start from an empty database
            StorageModel.metadata.drop_all(connection)
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    db.upgrade()
    s = Shift(db, seed=5)
    s.run()
    yield s, db
    db.close()


def test_the_shift_ran_to_the_end_and_closed_every_interval(shift: tuple[Shift, Database]) -> None:
    s, _ = shift
    assert s.engine.get_timer() is None
    assert all(s.engine.agent_state(a) is AgentState.LOGGED_OUT for a in AGENTS)
    counts = s.engine.counts()
    assert counts[InteractionState.ANSWERED] > 50
    assert counts[InteractionState.ABANDONED] > 0
    assert any(isinstance(e, AgentStateChanged) and e.reason == "no answer" for e in s.events)
    closed = Counter(e.interval.length for e in s.events if isinstance(e, IntervalClosed))
    # 08:00 to past 10:10: 15-minute intervals through the last close, each longer one in step
    assert closed[900] >= 9
    assert closed[1800] >= 5
    assert closed[3600] >= 3


def test_every_agent_transition_is_stored_in_order(shift: tuple[Shift, Database]) -> None:
    s, db = shift
    for agent in AGENTS:
        emitted = [
            (e.time, e.new.value, e.reason, None if e.interaction is None else str(e.interaction))
            for e in s.events
            if isinstance(e, AgentStateChanged) and e.agent == agent
        ]
        stored = [(r.at, r.state.value, r.reason, r.interaction_id) for r in agent_states(db, agent)]
        assert stored == emitted
        assert stored[-1][1] == "logged_out"


def test_queue_events_match_the_engine(shift: tuple[Shift, Database]) -> None:
    s, db = shift
    counts = s.engine.counts()
    for service in ("sales", "support"):
        stored = queue_events(db, service=service)
        kinds = Counter(r.kind for r in stored)
        live = s.engine.stats.live(service)
        assert kinds[QueueEventKind.ENTERED] == live.offered
        assert kinds[QueueEventKind.ANSWERED] == live.answered
        assert kinds[QueueEventKind.ABANDONED] == live.abandoned
        completed = [r for r in stored if r.kind is QueueEventKind.COMPLETED]
        assert len(completed) == live.answered  # every answered call ended by the close
        talk = [
            e.talk
            for e in s.events
            if isinstance(e, InteractionStateChanged)
            and e.service == service
            and e.old is InteractionState.CONNECTED
        ]
        assert _sum([r.talk or 0.0 for r in completed]) == pytest.approx(_sum(talk))
    total = sum(counts.values())
    assert total == s.engine.offered()


def _sum(rows: list[float]) -> float:
    return math.fsum(rows)


@pytest.mark.parametrize("length", INTERVALS)
def test_service_intervals_add_up_to_the_live_figures(shift: tuple[Shift, Database], length: int) -> None:
    s, db = shift
    for service in ("sales", "support"):
        rows = interval_stats(db, StatScope.SERVICE, name=service, length=length)
        live = s.engine.stats.live(service)
        for field in (
            "offered",
            "answered",
            "answered_within",
            "abandoned",
            "abandoned_short",
            "turned_away",
        ):
            assert sum(getattr(r, field) for r in rows) == getattr(live, field), field
        assert sum(r.handled for r in rows) == live.handled > 0
        for field in ("talk", "hold", "acw"):
            assert _sum([getattr(r, field) for r in rows]) == pytest.approx(getattr(live, field)), field
        assert all(r.start % length == 0 for r in rows)
        for r in rows:
            figures = s.engine.stats.interval(service, length, r.start)
            assert r.service_level == figures.service_level
            assert r.asa == figures.asa
            assert r.offered == figures.offered


@pytest.mark.parametrize("length", INTERVALS)
def test_agent_and_group_intervals_add_up(shift: tuple[Shift, Database], length: int) -> None:
    s, db = shift
    columns = {
        AgentState.READY: "ready_time",
        AgentState.NOT_READY: "not_ready_time",
        AgentState.RESERVED: "reserved_time",
        AgentState.BUSY: "busy_time",
        AgentState.AFTER_CALL_WORK: "acw_time",
    }
    for scope, name, live in [(StatScope.AGENT, a, s.engine.stats.agent(a)) for a in AGENTS] + [
        (StatScope.GROUP, g, s.engine.stats.group(g)) for g in ("north", "south")
    ]:
        rows = interval_stats(db, scope, name=name, length=length)
        assert rows, name
        assert sum(r.handled for r in rows) == live.handled
        assert _sum([r.talk for r in rows]) == pytest.approx(live.talk)
        assert _sum([r.acw for r in rows]) == pytest.approx(live.acw)
        state_time = dict(live.state_time)
        for state, column in columns.items():
            assert _sum([getattr(r, column) for r in rows]) == pytest.approx(state_time.get(state, 0.0))
        for r in rows:  # no interval holds more agent time than its length times the agents in it
            held = r.ready_time + r.not_ready_time + r.reserved_time + r.busy_time + r.acw_time
            assert held <= length * (1 if scope is StatScope.AGENT else len(AGENTS)) + 1e-6
            work = r.reserved_time + r.busy_time + r.acw_time
            available = work + r.ready_time
            assert r.occupancy == (pytest.approx(work / available) if available > 0 else None)


def test_service_occupancy_per_interval_comes_from_its_agents(shift: tuple[Shift, Database]) -> None:
    _, db = shift
    for r in interval_stats(db, StatScope.SERVICE, name="support", length=900):
        agents = [
            a
            for a in interval_stats(db, StatScope.AGENT, length=900, since=r.start, until=r.start + 1)
            if SKILLS[a.name].get("support", 0) > 0
        ]
        work = _sum([a.reserved_time + a.busy_time + a.acw_time for a in agents])
        available = work + _sum([a.ready_time for a in agents])
        assert r.occupancy == (pytest.approx(work / available) if available > 0 else None)


def test_service_level_alerts_are_stored_as_emitted(shift: tuple[Shift, Database]) -> None:
    s, db = shift
    emitted = [
        (e.service, e.time, e.level, e.threshold, e.below)
        for e in s.events
        if isinstance(e, ServiceLevelAlert)
    ]
    assert emitted, "the shift should cross the 90 % alert threshold at least once"
    assert emitted[0][4] is True  # the first crossing is a drop below
    stored = [(r.service, r.at, r.level, r.threshold, r.below) for r in service_level_alerts(db)]
    assert stored == emitted
    assert service_level_alerts(db, service="support") == []
    since = emitted[-1][1]
    assert len(service_level_alerts(db, service="sales", since=since)) == sum(
        1 for e in emitted if e[1] >= since
    )
