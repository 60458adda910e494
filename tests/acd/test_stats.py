"""Statistics: the guide's service level, ASA, AHT, abandonment, intervals, agents, groups and alerts."""

from __future__ import annotations

import dataclasses
import random

from okc.acd import AcdEngine, AgentState, IntervalClosed, Service, ServiceLevelAlert, ServicePolicy
from okc.ids import InteractionId

_RNG = random.Random(11)


def new_id() -> InteractionId:
    return InteractionId.new(1.8e9, _RNG)


def scenario(count_short: bool) -> AcdEngine:
    """Two answered (waits 5 s and 40 s), one short abandon (10 s), one long abandon (50 s)."""
    policy = ServicePolicy(sl_threshold=20.0, count_short_abandons=count_short, acw_required=True)
    e = AcdEngine([Service("s", "s", policy)], 0.0)
    e.login("a", {"s": 10}, 0.0, groups=["g"])
    e.register_phone("a", 0.0)
    quick, slow, short, long_ = new_id(), new_id(), new_id(), new_id()
    e.arrive(quick, "s", 0.0)
    e.arrive(slow, "s", 1.0)
    e.arrive(short, "s", 2.0)
    e.arrive(long_, "s", 3.0)
    e.set_ready("a", 5.0)  # rings quick
    e.answer(quick, 5.0)
    e.hold(quick, 10.0)
    e.unhold(quick, 14.0)
    e.abandon(short, 14.0)  # waited 12 s: a short abandon
    e.hang_up(quick, 35.0)  # talk 26, hold 4
    e.end_after_call_work("a", 41.0)  # ACW 6; rings slow (waited 40 s)
    e.answer(slow, 41.0)
    e.abandon(long_, 53.0)  # waited 50 s
    e.hang_up(slow, 61.0)
    e.end_after_call_work("a", 65.0)
    return e


def test_service_level_counts_short_abandons_when_told() -> None:
    live = scenario(count_short=True).stats.live("s")
    assert (live.offered, live.answered, live.answered_within, live.abandoned) == (4, 2, 1, 2)
    assert live.service_level == 1 / 4
    assert scenario(count_short=False).stats.live("s").service_level == 1 / 3


def test_asa_aht_and_abandonment() -> None:
    live = scenario(count_short=True).stats.live("s")
    assert live.asa == (5.0 + 40.0) / 2
    assert live.aht == (26 + 4 + 6 + 20 + 4) / 2
    assert live.abandonment_rate == 0.5


def test_intervals_agents_and_groups() -> None:
    e = scenario(count_short=True)
    quarter = e.stats.interval("s", 900, 10.0)
    assert (quarter.start, quarter.length, quarter.offered) == (0.0, 900.0, 4)
    assert e.stats.interval("s", 900, 1000.0).offered == 0
    agent = e.stats.agent("a")
    assert (agent.handled, agent.talk, agent.hold, agent.acw) == (2, 46.0, 4.0, 10.0)
    assert dataclasses.replace(e.stats.group("g"), name="a") == agent
    assert agent.occupancy is not None
    assert 0.0 < agent.occupancy <= 1.0
    assert e.agents_by_state("s")[AgentState.READY] == 1


def test_alert_when_live_service_level_drops_and_recovers() -> None:
    e = AcdEngine([Service("s", "s", ServicePolicy(sl_threshold=10.0, sl_alert_below=0.5))], 0.0)
    late = new_id()
    e.arrive(late, "s", 0.0)
    out = e.abandon(late, 30.0)
    (alert,) = [x for x in out if isinstance(x, ServiceLevelAlert)]
    assert alert.below
    assert alert.level == 0.0
    e.login("a", {"s": 1}, 31.0)
    e.register_phone("a", 31.0)
    e.set_ready("a", 31.0)
    alerts = []
    for i in range(2):
        call = new_id()
        e.arrive(call, "s", 40.0 + i * 10)
        alerts += [x for x in e.answer(call, 41.0 + i * 10) if isinstance(x, ServiceLevelAlert)]
        e.hang_up(call, 45.0 + i * 10)
    assert [(a.below, round(a.level, 3)) for a in alerts] == [(False, 0.5)]  # 1 of 2: no longer below 0.5


def test_live_snapshot_shows_queue_agents_and_occupancy() -> None:
    e = scenario(count_short=True)
    waiting = new_id()
    e.arrive(waiting, "s", 70.0)  # a is ready: it rings
    queued = new_id()
    e.arrive(queued, "s", 71.0)
    snap = e.snapshot("s")
    assert dict(snap.agents_by_state)[AgentState.RESERVED] == 1
    assert snap.calls_waiting == 1
    assert snap.longest_wait == 0.0  # the clock stands at 71 s, when it arrived
    assert snap.occupancy is not None
    status = e.queue_status(queued)
    assert status.position == 1
    assert status.estimated_wait == (46.0 + 4.0) / 2 + 10.0 / 2  # recent talk+hold mean + ACW mean, 1 agent


def test_intervals_close_at_their_boundary_with_state_time_split() -> None:
    e = AcdEngine([Service("s", "s", ServicePolicy(ring_limit=None))], 0.0)
    e.login("a", {"s": 10}, 600.0, groups=["g"])
    e.register_phone("a", 600.0)
    e.set_ready("a", 700.0)
    call = new_id()
    e.arrive(call, "s", 800.0)
    e.answer(call, 850.0)
    assert e.get_timer() == 900.0
    out = e.handle_timer(2000.0)  # late: the 900 and 1800 boundaries both close, in order
    closed = [x.interval for x in out if isinstance(x, IntervalClosed)]
    assert [(c.length, c.start) for c in closed] == [(900, 0.0), (900, 900.0), (1800, 0.0)]
    first = closed[0]
    (agent,) = first.agents
    assert dict(agent.state_time) == {
        AgentState.NOT_READY: 100.0,
        AgentState.READY: 100.0,
        AgentState.RESERVED: 50.0,
        AgentState.BUSY: 50.0,
    }
    assert agent.occupancy == 100.0 / 200.0
    assert first.groups[0].name == "g"
    (service,) = first.services
    assert (service.offered, service.answered, service.occupancy) == (1, 1, 0.5)
    assert dict(closed[1].agents[0].state_time) == {AgentState.BUSY: 900.0}  # the call runs on
    e.hang_up(call, 2100.0)  # busy again counted from 1800 on, not from the answer
    assert dict(e.stats.agent("a", 900, 2100.0).state_time)[AgentState.BUSY] == 300.0
    assert dict(e.stats.agent("a").state_time)[AgentState.BUSY] == 2100.0 - 850.0
    e.logout("a", 2200.0)
    while (timer := e.get_timer()) is not None:
        e.handle_timer(timer)
    assert timer is None
    assert e.stats.interval("s", 3600, 0.0).offered == 1
