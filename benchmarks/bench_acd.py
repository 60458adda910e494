"""ACD routing decisions per second with 1,000 agents and 50 skills, and the cost of one statistics update.

The peer for routing is a plain scan over every agent per decision (no skill index), measured in the same
run on the same population; the statistics update is shown beside an empty event dispatch.
"""

from __future__ import annotations

import random

from benchmarks.report import Measurement, rate, show
from okc.acd import (
    AcdEngine,
    InteractionState,
    InteractionStateChanged,
    RingAgent,
    RoutingPolicy,
    Service,
    ServicePolicy,
    Statistics,
)
from okc.ids import InteractionId

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


if __name__ == "__main__":
    main()
