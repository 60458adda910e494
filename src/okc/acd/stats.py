"""Contact-center figures kept from the engine's own events: service level, ASA, AHT, abandonment, occupancy.

Service level is the guide's: calls answered within the threshold / (answered + abandoned), where abandons
inside the threshold ("short abandons") are counted or left out as the service's policy says. Figures are
kept live (since start) and per 15/30/60-minute interval (by the time each event happened), per service,
agent and group. Agent state time is split at interval boundaries, so each interval's occupancy is its own;
close(boundary) accounts the states still running up to the boundary and returns the intervals that end
there as frozen snapshots, ready to store.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping

from okc.acd.events import AcdEvent, AgentStateChanged, InteractionStateChanged, ServiceLevelAlert
from okc.acd.figures import AgentSnapshot, ClosedInterval, ServiceSnapshot
from okc.acd.policy import ServicePolicy
from okc.acd.states import AgentState, InteractionState

__all__ = ["INTERVALS", "AgentSnapshot", "ClosedInterval", "Counters", "ServiceSnapshot", "Statistics"]

INTERVALS = (900, 1800, 3600)  # seconds: 15, 30 and 60 minutes
_RECENT = 100  # handled calls the recent talk/ACW means are taken over
_WORK = (AgentState.RESERVED, AgentState.BUSY, AgentState.AFTER_CALL_WORK)
_AVAILABLE = (AgentState.READY, *_WORK)


class Counters:
    """Running sums for one service (or agent) over one span of time."""

    __slots__ = (
        "abandoned",
        "abandoned_short",
        "acw",
        "answered",
        "answered_within",
        "called_back",
        "handled",
        "hold",
        "offered",
        "state_time",
        "talk",
        "turned_away",
        "voicemail",
        "wait_answered",
    )

    def __init__(self) -> None:
        self.offered = self.answered = self.answered_within = self.abandoned = self.abandoned_short = 0
        self.turned_away = self.voicemail = self.called_back = self.handled = 0
        self.wait_answered = self.talk = self.hold = self.acw = 0.0
        self.state_time: dict[AgentState, float] = {}

    def service_level(self, count_short_abandons: bool) -> float | None:
        """Answered within threshold / (answered + abandoned [− short abandons]); None with no calls."""
        abandoned = self.abandoned if count_short_abandons else self.abandoned - self.abandoned_short
        denominator = self.answered + abandoned
        return self.answered_within / denominator if denominator else None

    def occupancy(self) -> float | None:
        """Share of available time spent ringing, talking or in after-call work."""
        available = sum(self.state_time.get(s, 0.0) for s in _AVAILABLE)
        work = sum(self.state_time.get(s, 0.0) for s in _WORK)
        return work / available if available > 0 else None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


class Statistics:
    """Folds engine events into counters; returns supervisor alerts when live service level crosses a line."""

    def __init__(self, policies: Mapping[str, ServicePolicy]) -> None:
        self._policies = dict(policies)
        self._live = {name: Counters() for name in self._policies}
        self._intervals: dict[tuple[str, int, int], Counters] = {}
        self._agents: dict[str, Counters] = {}
        self._agent_intervals: dict[tuple[str, int, int], Counters] = {}
        self._groups: dict[str, tuple[str, ...]] = {}
        self._serves: dict[str, frozenset[str]] = {}  # agent → services they have the skill for
        self._open: dict[str, tuple[AgentState, float]] = {}  # agent → state, accounted up to
        self._below: dict[str, bool] = dict.fromkeys(self._policies, False)
        self._talk: deque[float] = deque(maxlen=_RECENT)
        self._acw: deque[float] = deque(maxlen=_RECENT)

    def set_agent(self, agent: str, groups: Iterable[str], services: Iterable[str] = ()) -> None:
        """Say which groups an agent's figures add to and which services' occupancy their time counts in."""
        self._groups[agent] = tuple(groups)
        self._serves[agent] = frozenset(services)

    def _agent_buckets(self, agent: str, time: float) -> list[Counters]:
        out = [self._agent(agent)]
        for length in INTERVALS:
            key = (agent, length, math.floor(time / length) * length)
            bucket = self._agent_intervals.get(key)
            if bucket is None:
                bucket = self._agent_intervals[key] = Counters()
            out.append(bucket)
        return out

    def _state_span(self, agent: str, state: AgentState, start: float, end: float) -> None:
        """Add [start, end) in state to the agent's live figures and to each interval it overlaps."""
        if state is AgentState.LOGGED_OUT or not end > start:
            return
        live = self._agent(agent)
        live.state_time[state] = live.state_time.get(state, 0.0) + (end - start)
        for length in INTERVALS:
            t = start
            while t < end:
                first = math.floor(t / length) * length
                stop = min(end, first + length)
                bucket = self._agent_intervals.get((agent, length, first))
                if bucket is None:
                    bucket = self._agent_intervals[(agent, length, first)] = Counters()
                bucket.state_time[state] = bucket.state_time.get(state, 0.0) + (stop - t)
                t = stop

    def _buckets(self, service: str, time: float) -> list[Counters]:
        out = [self._live[service]]
        for length in INTERVALS:
            key = (service, length, math.floor(time / length) * length)
            bucket = self._intervals.get(key)
            if bucket is None:
                bucket = self._intervals[key] = Counters()
            out.append(bucket)
        return out

    def _agent(self, name: str) -> Counters:
        counters = self._agents.get(name)
        if counters is None:
            counters = self._agents[name] = Counters()
        return counters

    def record(self, event: AcdEvent) -> ServiceLevelAlert | None:
        """Fold one event in; return an alert when the service's live SL crossed its supervisor threshold."""
        if isinstance(event, InteractionStateChanged):
            return self._interaction(event)
        if isinstance(event, AgentStateChanged):
            self._agent_state(event)
        return None

    def _interaction(self, e: InteractionStateChanged) -> ServiceLevelAlert | None:
        policy = self._policies[e.service]
        new = e.new
        for c in self._buckets(e.service, e.time):
            if e.old is None:
                c.offered += 1
            elif new is InteractionState.CONNECTED and e.old is InteractionState.RINGING:
                c.answered += 1
                c.wait_answered += e.wait
                c.answered_within += e.wait <= policy.sl_threshold
            elif new is InteractionState.ABANDONED:
                c.abandoned += 1
                c.abandoned_short += e.wait <= policy.sl_threshold
            elif new is InteractionState.TURNED_AWAY:
                c.turned_away += 1
            elif new is InteractionState.VOICEMAIL:
                c.voicemail += 1
            if new in (InteractionState.ANSWERED, InteractionState.CALLED_BACK) and e.old is not None:
                c.handled += e.old is InteractionState.CONNECTED
                c.called_back += new is InteractionState.CALLED_BACK
                c.talk += e.talk
                c.hold += e.hold
        if e.old is InteractionState.CONNECTED and e.agent is not None:
            for a in self._agent_buckets(e.agent, e.time):
                a.handled += 1
                a.talk += e.talk
                a.hold += e.hold
            self._talk.append(e.talk + e.hold)
        if new in (InteractionState.CONNECTED, InteractionState.ABANDONED):
            return self._check_alert(e.service, e.time)
        return None

    def _agent_state(self, e: AgentStateChanged) -> None:
        _, since = self._open.get(e.agent, (e.old, e.time - e.duration))
        self._state_span(e.agent, e.old, since, e.time)
        if e.new is AgentState.LOGGED_OUT:
            self._open.pop(e.agent, None)
        else:
            self._open[e.agent] = (e.new, e.time)
        if e.old is AgentState.AFTER_CALL_WORK:
            for a in self._agent_buckets(e.agent, e.time):
                a.acw += e.duration
            self._acw.append(e.duration)
            if e.service is not None and e.service in self._live:
                for c in self._buckets(e.service, e.time):
                    c.acw += e.duration

    def _check_alert(self, service: str, time: float) -> ServiceLevelAlert | None:
        policy = self._policies[service]
        if policy.sl_alert_below is None:
            return None
        level = self._live[service].service_level(policy.count_short_abandons)
        if level is None:
            return None
        below = level < policy.sl_alert_below
        if below == self._below[service]:
            return None
        self._below[service] = below
        return ServiceLevelAlert(service, level, policy.sl_alert_below, below, time)

    def recent_talk(self) -> float | None:
        """Mean talk + hold time of the last calls handled (for expected-free estimates)."""
        return sum(self._talk) / len(self._talk) if self._talk else None

    def recent_acw(self) -> float | None:
        """Mean after-call work of the last calls handled."""
        return sum(self._acw) / len(self._acw) if self._acw else None

    def _snapshot(
        self, service: str, c: Counters, start: float, length: float | None, occupancy: float | None = None
    ) -> ServiceSnapshot:
        policy = self._policies[service]
        return ServiceSnapshot(
            service=service,
            start=start,
            length=length,
            offered=c.offered,
            answered=c.answered,
            answered_within=c.answered_within,
            abandoned=c.abandoned,
            abandoned_short=c.abandoned_short,
            turned_away=c.turned_away,
            voicemail=c.voicemail,
            called_back=c.called_back,
            service_level=c.service_level(policy.count_short_abandons),
            asa=_ratio(c.wait_answered, c.answered),
            aht=_ratio(c.talk + c.hold + c.acw, c.handled),
            abandonment_rate=_ratio(c.abandoned, c.offered),
            occupancy=occupancy,  # from the agents serving it: the engine's live snapshot, or close()
            handled=c.handled,
            talk=c.talk,
            hold=c.hold,
            acw=c.acw,
        )

    def live(self, service: str) -> ServiceSnapshot:
        """The service's figures since the engine started (queue and agent figures come from the engine)."""
        return self._snapshot(service, self._live[service], 0.0, None)

    def interval(self, service: str, length: int, time: float) -> ServiceSnapshot:
        """The service's figures for the length-second interval (900, 1800 or 3600) holding time."""
        start = math.floor(time / length) * length
        counters = self._intervals.get((service, length, start), Counters())
        return self._snapshot(service, counters, float(start), float(length))

    def intervals(self, length: int) -> list[ServiceSnapshot]:
        """Every recorded interval of that length, for every service, oldest first."""
        keys = sorted(k for k in self._intervals if k[1] == length)
        return [self._snapshot(s, self._intervals[(s, n, t)], float(t), float(n)) for s, n, t in keys]

    def agent(self, name: str, length: int | None = None, time: float = 0.0) -> AgentSnapshot:
        """One agent's figures: live, or for the length-second interval holding time."""
        return self._agent_snapshot(name, [self._agent_counters(name, length, time)])

    def group(self, name: str, length: int | None = None, time: float = 0.0) -> AgentSnapshot:
        """A group's figures (summed over its agents): live, or for the length-second interval at time."""
        members = [
            self._agent_counters(a, length, time) for a, groups in self._groups.items() if name in groups
        ]
        return self._agent_snapshot(name, members)

    def _agent_counters(self, agent: str, length: int | None, time: float) -> Counters:
        if length is None:
            return self._agents.get(agent, Counters())
        return self._agent_intervals.get((agent, length, math.floor(time / length) * length), Counters())

    def close(self, boundary: float) -> list[ClosedInterval]:
        """Account running agent states up to boundary; return every interval length that ends there.

        Call it at each 15-minute boundary, before any event at or after it (the engine does)."""
        for agent, (state, since) in self._open.items():
            self._state_span(agent, state, since, boundary)
            self._open[agent] = (state, boundary)
        out = []
        for length in INTERVALS:
            if boundary % length:
                continue
            start = int(boundary) - length
            agents = sorted(a for a, n, t in self._agent_intervals if n == length and t == start)
            counters = {a: self._agent_intervals[(a, length, start)] for a in agents}
            services = []
            for service in sorted(self._policies):
                serving = [c for a, c in counters.items() if service in self._serves.get(a, ())]
                occupancy = self._agent_snapshot(service, serving).occupancy
                bucket = self._intervals.get((service, length, start), Counters())
                services.append(self._snapshot(service, bucket, float(start), float(length), occupancy))
            groups = sorted({g for a in agents for g in self._groups.get(a, ())})
            out.append(
                ClosedInterval(
                    length=length,
                    start=float(start),
                    services=tuple(services),
                    agents=tuple(self._agent_snapshot(a, [counters[a]]) for a in agents),
                    groups=tuple(
                        self._agent_snapshot(g, [counters[a] for a in agents if g in self._groups.get(a, ())])
                        for g in groups
                    ),
                )
            )
        return out

    @staticmethod
    def _agent_snapshot(name: str, members: list[Counters]) -> AgentSnapshot:
        total = Counters()
        for m in members:
            total.handled += m.handled
            total.talk += m.talk
            total.hold += m.hold
            total.acw += m.acw
            for state, seconds in m.state_time.items():
                total.state_time[state] = total.state_time.get(state, 0.0) + seconds
        return AgentSnapshot(
            name=name,
            handled=total.handled,
            talk=total.talk,
            hold=total.hold,
            acw=total.acw,
            aht=_ratio(total.talk + total.hold + total.acw, total.handled),
            occupancy=total.occupancy(),
            state_time=tuple(sorted(total.state_time.items(), key=lambda kv: kv[0].value)),
        )
