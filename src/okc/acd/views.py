"""Read-only views of the ACD engine's state: queue position and estimated wait, waiting calls, agents by
state, expected free agents and live service snapshots (kept apart from the routing decisions)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from okc.acd.errors import AcdError, UnknownInteractionError
from okc.acd.policy import Service
from okc.acd.records import AgentRecord, CallRecord
from okc.acd.states import AgentState, InteractionState
from okc.acd.stats import Counters, ServiceSnapshot, Statistics
from okc.ids import InteractionId

__all__ = ["EngineViews", "QueueStatus"]

_A = AgentState
_I = InteractionState


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """A waiting interaction's place (1 = next) and estimated wait in seconds (None: nobody staffed)."""

    position: int
    estimated_wait: float | None


class EngineViews:
    """Queries over the engine's bookkeeping; AcdEngine fills the attributes declared here."""

    _services: dict[str, Service]
    _agents: dict[str, AgentRecord]
    _calls: dict[InteractionId, CallRecord]
    _ended: Counter[InteractionState]
    _offered: int
    _now: float
    stats: Statistics

    def expected_free_agents(self, within_seconds: float, service: str | None = None) -> int:
        """Agents ready now or expected free within the time, from elapsed talk/ACW and the recent means."""
        talk = self.stats.recent_talk() or 0.0
        acw = self.stats.recent_acw() or 0.0
        skill = self._services[service].skill if service is not None else None
        count = 0
        for a in self._agents.values():
            if skill is not None and a.skills.get(skill, 0) <= 0:
                continue
            elapsed = self._now - a.since
            free = (
                (a.state is _A.READY and a.phone)
                or (a.state is _A.BUSY and max(talk - elapsed, 0.0) + acw <= within_seconds)
                or (a.state is _A.AFTER_CALL_WORK and max(acw - elapsed, 0.0) <= within_seconds)
            )
            count += free
        return count

    def agent_state(self, agent: str) -> AgentState:
        """An agent's current state (logged out if unknown)."""
        a = self._agents.get(agent)
        return a.state if a is not None else _A.LOGGED_OUT

    def interaction_state(self, interaction: InteractionId) -> InteractionState | None:
        """A held interaction's state, or None once it has ended."""
        c = self._calls.get(interaction)
        return c.state if c is not None else None

    def counts(self) -> dict[InteractionState, int]:
        """Interactions per state: live ones and ended outcomes; they sum to offered()."""
        out = Counter(c.state for c in self._calls.values())
        out.update(self._ended)
        return {s: out.get(s, 0) for s in InteractionState}

    def offered(self) -> int:
        """Interactions offered since start."""
        return self._offered

    def queue_status(self, interaction: InteractionId) -> QueueStatus:
        """Position in its own queue (voice and chat queue apart) and estimated wait (position × recent handle
        time ÷ staffed agents) of a waiting interaction."""
        c = self._calls.get(interaction)
        if c is None:
            raise UnknownInteractionError(f"interaction {interaction} is not held by the ACD")
        if c.state is not _I.WAITING:
            raise AcdError(f"interaction {interaction} is not waiting")
        key = c.key()
        ahead = sum(
            1
            for o in self._calls.values()
            if o.service == c.service and o.media is c.media and o.state is _I.WAITING and o.key() < key
        )
        skill = self._services[c.service].skill
        staffed = sum(
            1
            for a in self._agents.values()
            if a.skills.get(skill, 0) > 0 and a.state not in (_A.LOGGED_OUT, _A.NOT_READY)
        )
        handle = (self.stats.recent_talk() or 0.0) + (self.stats.recent_acw() or 0.0)
        estimate = (ahead + 1) * handle / staffed if staffed else None
        return QueueStatus(ahead + 1, estimate)

    def waiting(self, service: str) -> tuple[int, float]:
        """Calls waiting in the service and the longest current wait in seconds."""
        entered = [c.entered for c in self._calls.values() if c.service == service and c.state is _I.WAITING]
        return len(entered), (self._now - min(entered) if entered else 0.0)

    def agents_by_state(self, service: str | None = None) -> dict[AgentState, int]:
        """Agents per state (serving the service, when given)."""
        skill = self._services[service].skill if service is not None else None
        out: Counter[AgentState] = Counter(
            a.state for a in self._agents.values() if skill is None or a.skills.get(skill, 0) > 0
        )
        return {s: out.get(s, 0) for s in AgentState}

    def snapshot(self, service: str) -> ServiceSnapshot:
        """The service's live figures with the queue and agents right now (occupancy over its agents)."""
        waiting, longest = self.waiting(service)
        skill = self._services[service].skill
        total = Counters()
        for a in self._agents.values():
            if a.skills.get(skill, 0) > 0:
                for state, seconds in self.stats.agent(a.name).state_time:
                    total.state_time[state] = total.state_time.get(state, 0.0) + seconds
        return replace(
            self.stats.live(service),
            calls_waiting=waiting,
            longest_wait=longest,
            agents_by_state=tuple(self.agents_by_state(service).items()),
            occupancy=total.occupancy(),
        )
