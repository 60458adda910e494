"""ACD routing decisions per second with 1,000 agents and 50 skills, the cost of one statistics update,
and the cost of storing a call's history.

The peer for routing is a plain scan over every agent per decision (no skill index), measured in the same
run on the same population; the statistics update is shown beside an empty event dispatch; AcdStore's
writes to a SQLite file beside the same number of rows inserted with the standard library's sqlite3.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from pathlib import Path

from benchmarks.report import Measurement, rate, show
from okc.acd import (
    AcdEngine,
    AgentStateChanged,
    InteractionState,
    InteractionStateChanged,
    RingAgent,
    RoutingPolicy,
    Service,
    ServicePolicy,
    Statistics,
)
from okc.acd.events import AcdEvent
from okc.acd.store import AcdStore
from okc.ids import InteractionId
from okc.storage import Database

_AGENTS = 1_000
_SKILLS = 50
_SKILLS_PER_AGENT = 5


def _population(rng: random.Random) -> list[dict[str, int]]:
    return [
        {f"s{k}": rng.randint(1, 100) for k in rng.sample(range(_SKILLS), _SKILLS_PER_AGENT)}
        for _ in range(_AGENTS)
    ]


def _engine(skills: list[dict[str, int]], routing: RoutingPolicy = RoutingPolicy.LONGEST_IDLE) -> AcdEngine:
    policy = ServicePolicy(routing=routing, ring_limit=None)
    services = [Service(f"s{k}", f"s{k}", policy) for k in range(_SKILLS)]
    engine = AcdEngine(services, 0.0, random.Random(1))
    for i, levels in enumerate(skills):
        engine.login(f"a{i}", levels, 0.0)
        engine.register_phone(f"a{i}", 0.0)
        engine.set_ready(f"a{i}", 0.0)
    return engine


def main() -> None:
    """Print routing decisions/s (engine vs full scan) and statistics updates/s."""
    rng = random.Random(5)
    skills = _population(rng)
    ids = [InteractionId.new(1.8e9, rng) for _ in range(4096)]
    clock = [1.0]
    turn = [0]
    engine = _engine(skills, RoutingPolicy.MOST_SKILLED)

    def decide() -> None:
        call = ids[turn[0] % len(ids)]
        service = f"s{turn[0] % _SKILLS}"
        turn[0] += 1
        clock[0] += 0.001
        out = engine.arrive(call, service, clock[0])
        assert any(isinstance(e, RingAgent) for e in out)
        engine.abandon(call, clock[0])  # the agent is ready again for the next decision

    most_skilled = rate(decide, min_seconds=3.0)
    engine = _engine(skills)
    ours = rate(decide, min_seconds=3.0)

    ready_since = {f"a{i}": 0.0 for i in range(_AGENTS)}
    levels = {f"a{i}": s for i, s in enumerate(skills)}

    def scan() -> None:
        skill = f"s{turn[0] % _SKILLS}"
        turn[0] += 1
        best = min((since, name) for name, since in ready_since.items() if levels[name].get(skill, 0) > 0)
        ready_since[best[1]] = clock[0]

    peer = rate(scan, min_seconds=3.0)
    show(
        f"ACD routing: {_AGENTS:,} agents, {_SKILLS} skills (arrive + route + abandon per decision)",
        Measurement("okc AcdEngine, longest idle (skill index)", ours, "decisions/s"),
        [
            Measurement(
                "okc AcdEngine, most skilled (scans the skill's ready pool)", most_skilled, "decisions/s"
            ),
            Measurement("full scan of all agents, longest idle (route only)", peer, "decisions/s"),
        ],
    )

    stats = Statistics({f"s{k}": ServicePolicy() for k in range(_SKILLS)})
    event = InteractionStateChanged(
        ids[0], "s1", InteractionState.RINGING, InteractionState.CONNECTED, "answered", 100.0, "a1", wait=12.0
    )
    updates = rate(lambda: stats.record(event), min_seconds=2.0, batch=1000)
    empty = rate(lambda: None, min_seconds=1.0, batch=1000)
    show(
        "ACD statistics: one update (live + 15/30/60-minute intervals + SL check)",
        Measurement("okc Statistics.record", updates, "updates/s"),
        [Measurement("empty call (floor)", empty, "calls/s")],
    )
    print(f"one statistics update: {1e6 / updates:.2f} µs")
    _history()


def _call_events(engine: AcdEngine, call: InteractionId, now: float) -> list[list[AcdEvent]]:
    """The engine's outputs for one answered call, as a live adapter would hand them on (one per call)."""
    return [
        engine.arrive(call, "s", now),
        engine.answer(call, now + 5.0),
        engine.hang_up(call, now + 60.0),
    ]


def _history() -> None:
    rng = random.Random(9)
    with tempfile.TemporaryDirectory() as directory:
        db = Database.open(Path(directory))
        db.upgrade()
        store = AcdStore(db)
        engine = AcdEngine([Service("s", "s", ServicePolicy(ring_limit=None))], 0.0)
        engine.login("a", {"s": 50}, 0.0)
        engine.register_phone("a", 0.0)
        engine.set_ready("a", 0.0)
        clock = [1.0]
        rows = [0]

        def store_call() -> None:
            batches = _call_events(engine, InteractionId.new(1.8e9 + clock[0], rng), clock[0])
            clock[0] += 61.0
            for batch in batches:
                store.write(batch)
            stored = (InteractionStateChanged, AgentStateChanged)
            rows[0] = sum(isinstance(e, stored) for b in batches for e in b) + 1  # + the interaction row

        ours = rate(store_call, min_seconds=2.0, batch=20)
        db.close()
        connection = sqlite3.connect(Path(directory) / "plain.db", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, call TEXT, at REAL, what TEXT)")
        per_write = max(1, rows[0] // 3)

        def plain_call() -> None:
            for _ in range(3):  # the same three transactions
                connection.execute("BEGIN")
                connection.executemany(
                    "INSERT INTO event (call, at, what) VALUES (?, ?, ?)",
                    [("01J0000000000000000000000", clock[0], "x")] * per_write,
                )
                connection.execute("COMMIT")

        peer = rate(plain_call, min_seconds=2.0, batch=20)
        connection.close()
    show(
        f"ACD history: one answered call ({rows[0]} rows in 3 transactions) to a SQLite file",
        Measurement("okc AcdStore (SQLAlchemy Core inserts)", ours, "calls/s"),
        [Measurement("sqlite3 executemany, same rows and transactions", peer, "calls/s")],
    )


if __name__ == "__main__":
    main()
