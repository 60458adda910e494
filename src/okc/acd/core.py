"""The ACD engine's core: its bookkeeping, every state change it emits, the queues and the routing.

Routing and offering live here, apart from the inputs (okc.acd.engine): an interaction meets an agent
(_route_call when it arrives or rings out, _route_agent when an agent turns free), the service's policy
picks who, and _offer reserves the agent and rings them or dials a callback. Every agent and interaction
move goes through _set_agent/_set_call, which check the transition, emit the event and feed statistics.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Iterable

from okc.acd.errors import AcdError, UnknownAgentError, UnknownInteractionError
from okc.acd.events import (
    AcdEvent,
    AgentStateChanged,
    DialCallback,
    InteractionStateChanged,
    IntervalClosed,
    RingAgent,
)
from okc.acd.policy import Media, RoutingPolicy, Service
from okc.acd.records import AgentRecord, CallRecord
from okc.acd.routing import choose_agent
from okc.acd.states import (
    ENDED,
    AgentState,
    InteractionState,
    check_agent_transition,
    check_interaction_transition,
)
from okc.acd.stats import INTERVALS, Statistics
from okc.acd.views import EngineViews
from okc.ids import InteractionId

__all__ = ["EngineCore"]

_A = AgentState
_I = InteractionState
RING, ACW, MAXWAIT, NOTIFY = range(4)  # timer kinds
_CLOSE = min(INTERVALS)  # statistics intervals end on multiples of 15 minutes
_LONGEST = max(INTERVALS)


class EngineCore(EngineViews):
    """The engine's state and routing; AcdEngine (okc.acd.engine) adds the inputs and timers."""

    def __init__(
        self,
        services: Iterable[Service],
        now: float,
        rng: random.Random | None = None,
        *,
        not_ready_reasons: Iterable[str] | None = None,
    ) -> None:
        self._reasons = None if not_ready_reasons is None else frozenset(not_ready_reasons)
        self._services = {s.name: s for s in services}
        self._by_skill: dict[str, list[Service]] = {}
        for s in self._services.values():
            self._by_skill.setdefault(s.skill, []).append(s)
        self._now = now
        self._rng = rng if rng is not None else random.Random(0)
        self._agents: dict[str, AgentRecord] = {}
        self._calls: dict[InteractionId, CallRecord] = {}
        self._queues: dict[tuple[str, Media], list[tuple[int, float, int, InteractionId]]] = {}
        self._waiting: Counter[str] = Counter()
        self._ready_voice: dict[str, dict[str, None]] = {}
        self._chat_ok: dict[str, dict[str, None]] = {}
        self._timers: list[tuple[float, int, int, InteractionId | str]] = []
        self._seq = 0
        self._ended: Counter[InteractionState] = Counter()
        self._offered = 0
        self._out: list[AcdEvent] = []
        self._next_close: float | None = None  # the next statistics interval boundary, while one is open
        self._close_until = 0.0  # the end of the longest interval that has figures
        self.stats = Statistics({name: s.policy for name, s in self._services.items()})

    # ----- plumbing -------------------------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        """Move the clock to now, closing every statistics interval that ended by then (at its boundary)."""
        if not now >= self._now:
            raise AcdError(f"time went backwards: {now!r} after {self._now!r}")
        self._out = []
        while self._next_close is not None and self._next_close <= now:
            boundary = self._next_close
            self._now = boundary
            for interval in self.stats.close(boundary):
                self._out.append(IntervalClosed(interval, boundary))
            live = self._calls or any(a.state is not _A.LOGGED_OUT for a in self._agents.values())
            self._next_close = boundary + _CLOSE if live or boundary < self._close_until else None
        self._now = now

    def _flush(self) -> list[AcdEvent]:
        out, self._out = self._out, []
        return out

    def _emit(self, event: AcdEvent) -> None:
        self._out.append(event)
        if self._next_close is None:  # the open intervals have figures now: close them when they end
            self._next_close = math.floor(self._now / _CLOSE) * _CLOSE + _CLOSE
        self._close_until = math.floor(self._now / _LONGEST) * _LONGEST + _LONGEST
        alert = self.stats.record(event)
        if alert is not None:
            self._out.append(alert)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _timer(self, when: float, kind: int, key: InteractionId | str) -> None:
        heapq.heappush(self._timers, (when, self._next_seq(), kind, key))

    def _agent(self, name: str) -> AgentRecord:
        a = self._agents.get(name)
        if a is None or a.state is _A.LOGGED_OUT:
            raise UnknownAgentError(f"agent {name!r} is not logged in")
        return a

    def _call(self, interaction: InteractionId) -> CallRecord:
        c = self._calls.get(interaction)
        if c is None:
            raise UnknownInteractionError(f"interaction {interaction} is not held by the ACD")
        return c

    def _index(self, a: AgentRecord) -> None:
        voice = a.state is _A.READY and a.phone
        chat = a.state in (_A.READY, _A.RESERVED, _A.BUSY) and a.outbound is None
        for skill, level in a.skills.items():
            if level <= 0:
                continue
            for index, on in ((self._ready_voice, voice), (self._chat_ok, chat)):
                pool = index.setdefault(skill, {})
                if on:
                    pool[a.name] = None
                else:
                    pool.pop(a.name, None)

    def _set_agent(
        self,
        a: AgentRecord,
        new: AgentState,
        reason: str,
        call: CallRecord | None = None,
        service: str | None = None,
    ) -> None:
        if new is _A.READY and a.pending_not_ready is not None:
            new, reason = _A.NOT_READY, a.pending_not_ready
        if new in (_A.NOT_READY, _A.LOGGED_OUT):
            a.pending_not_ready = None
        check_agent_transition(a.name, a.state, new)
        old, duration = a.state, self._now - a.since
        a.state, a.reason, a.since = new, reason, self._now
        if new is _A.READY:
            a.idle_since = self._now
        self._index(a)
        interaction = call.id if call is not None else None
        if service is None and call is not None:
            service = call.service
        self._emit(AgentStateChanged(a.name, old, new, reason, self._now, duration, interaction, service))

    def _set_call(self, c: CallRecord, new: InteractionState, reason: str, talk: float = 0.0) -> None:
        old = c.state
        check_interaction_transition(c.id, old, new)
        c.state = new
        if old is _I.WAITING:
            self._waiting[c.service] -= 1
        if new is _I.WAITING:
            self._waiting[c.service] += 1
        wait = (c.connected_at if old is _I.CONNECTED else self._now) - c.entered
        hold = c.hold_total if old is _I.CONNECTED else 0.0
        self._emit(
            InteractionStateChanged(
                c.id, c.service, old, new, reason, self._now, c.agent, c.media, wait, talk, hold
            )
        )
        if new in ENDED:
            self._ended[new] += 1
            del self._calls[c.id]

    def _enqueue(self, c: CallRecord) -> None:
        c.seq = self._next_seq()
        heapq.heappush(self._queues.setdefault((c.service, c.media), []), (*c.key(), c.id))

    def _first_fit(self, service: Service, media: Media, a: AgentRecord) -> CallRecord | None:
        heap = self._queues.get((service.name, media))
        if not heap:
            return None
        while heap:
            c = self._calls.get(heap[0][3])
            if c is not None and c.state is _I.WAITING and c.seq == heap[0][2]:
                break
            heapq.heappop(heap)
        if not heap:
            return None
        head = self._calls[heap[0][3]]
        if a.qualifies(service.skill, head.needs):  # the usual case: no need to look past the head
            entries: list[tuple[int, float, int, InteractionId]] = [heap[0]]
        else:
            entries = sorted(heap)
        for entry in entries:
            c = self._calls.get(entry[3])
            if c is None or c.state is not _I.WAITING or c.seq != entry[2]:
                continue
            if not a.qualifies(service.skill, c.needs):
                continue
            if media is Media.CHAT and len(a.chats) >= service.policy.chat_capacity:
                return None
            return c
        return None

    # ----- routing --------------------------------------------------------------------------------------

    def _route_call(self, c: CallRecord) -> bool:
        service = self._services[c.service]
        pool = (self._ready_voice if c.media is Media.VOICE else self._chat_ok).get(service.skill, {})
        capacity = service.policy.chat_capacity
        if c.media is Media.VOICE and service.policy.routing is RoutingPolicy.LONGEST_IDLE:
            # the voice pool is kept in the order agents became ready for voice: the first fit idled longest
            for name in pool:
                if self._agents[name].qualifies(service.skill, c.needs):
                    self._offer(c, self._agents[name])
                    return True
            return False
        candidates = []
        for name in pool:
            a = self._agents[name]
            if not a.qualifies(service.skill, c.needs):
                continue
            if c.media is Media.CHAT and len(a.chats) >= capacity:
                continue
            candidates.append((name, a.skills[service.skill], a.idle_since))
        agent = choose_agent(service.policy.routing, candidates, self._rng)
        if agent is None:
            return False
        self._offer(c, self._agents[agent])
        return True

    def _route_agent(self, a: AgentRecord) -> None:
        """An agent became free: take the best-ranked waiting interaction across every queue they serve."""
        for media in (Media.VOICE, Media.CHAT):
            while True:
                if media is Media.VOICE and not (a.state is _A.READY and a.phone):
                    break
                if media is Media.CHAT and (a.state not in (_A.READY, _A.RESERVED, _A.BUSY) or a.outbound):
                    break
                best: CallRecord | None = None
                for skill, level in a.skills.items():
                    if level <= 0:
                        continue
                    for service in self._by_skill.get(skill, ()):
                        c = self._first_fit(service, media, a)
                        if c is not None and (best is None or c.key() < best.key()):
                            best = c
                if best is None:
                    break
                self._offer(best, a)
                if media is Media.VOICE:
                    break

    def _offer(self, c: CallRecord, a: AgentRecord) -> None:
        policy = self._services[c.service].policy
        c.agent = a.name
        if c.media is Media.VOICE:
            a.voice = c.id
            self._set_agent(a, _A.RESERVED, "callback" if c.callback else "offered", c)
        else:
            a.chats.add(c.id)
        self._set_call(c, _I.RINGING, "callback" if c.callback else "offered")
        if c.callback:
            self._emit(DialCallback(c.id, a.name, c.service, c.number or "", self._now))
            return
        if policy.ring_limit is not None:
            c.ring_deadline = self._now + policy.ring_limit
            self._timer(c.ring_deadline, RING, c.id)
        self._emit(RingAgent(c.id, a.name, c.service, c.media, self._now))

    def _free_agent(self, a: AgentRecord, c: CallRecord, new: AgentState, reason: str) -> None:
        """Take the interaction off the agent and move them to new (for chats only the count changes)."""
        if c.media is Media.CHAT:
            a.chats.discard(c.id)
            if new is _A.NOT_READY and a.state is _A.READY:
                self._set_agent(a, _A.NOT_READY, reason, c)
        else:
            a.voice = None
            self._set_agent(a, new, reason, c)
        if a.state is not _A.LOGGED_OUT:
            self._route_agent(a)
