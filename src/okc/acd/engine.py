"""The ACD engine: agents and interactions in, routing decisions and state-change events out.

Sans-I/O: every call takes the current time, nothing reads a clock or sleeps, and the random source (used
by skill-weighted routing) is injected. Timers (ring limit, maximum wait, ACW limit, ACW notifications)
are served through get_timer()/handle_timer(now). Each public method returns the events and actions it
caused, in order.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from okc.acd.errors import (
    AcdError,
    DispositionRequiredError,
    UnknownAgentError,
    UnknownInteractionError,
    UnknownServiceError,
)
from okc.acd.events import (
    AcdEvent,
    AddToDoNotCall,
    AgentStateChanged,
    DialCallback,
    InteractionStateChanged,
    IntervalClosed,
    NotifyAgent,
    OutboundReserved,
    RingAgent,
)
from okc.acd.policy import (
    Media,
    OverflowAction,
    RoutingPolicy,
    Service,
    SkillRequirement,
    check_interaction,
    check_skills,
)
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

if TYPE_CHECKING:
    from okc.config import CenterConfig

__all__ = ["AcdEngine"]

_A = AgentState
_I = InteractionState
_RING, _ACW, _MAXWAIT, _NOTIFY = range(4)
_CLOSE = min(INTERVALS)  # statistics intervals end on multiples of 15 minutes
_LONGEST = max(INTERVALS)


class AcdEngine(EngineViews):
    """Routes interactions of the given services to agents, on the clock the caller passes in."""

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
            self._timer(c.ring_deadline, _RING, c.id)
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

    # ----- agents ---------------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: CenterConfig, now: float, rng: random.Random | None = None) -> AcdEngine:
        """An engine for the center's services and not-ready reasons (see okc.acd.setup.AcdSetup)."""
        from okc.acd.setup import AcdSetup  # noqa: PLC0415 - setup builds on this module

        return AcdSetup.from_config(config).engine(now, rng)

    def login(
        self,
        agent: str,
        skills: Mapping[str, int],
        now: float,
        groups: Iterable[str] = (),
        *,
        acw_limit: float | None = None,
    ) -> list[AcdEvent]:
        """The agent logs in (not ready, reason "login") with skill levels 0…100; an after-call-work limit
        given here (the agent's group's) replaces the service's."""
        self._advance(now)
        a = self._agents.get(agent)
        if a is None:
            a = self._agents[agent] = AgentRecord(agent, now)
        if a.state is not _A.LOGGED_OUT:
            raise AcdError(f"agent {agent!r} is already logged in")
        a.skills = check_skills(skills)
        a.groups = tuple(groups)
        a.acw_limit = acw_limit
        served = [s.name for k, v in a.skills.items() if v > 0 for s in self._by_skill.get(k, ())]
        self.stats.set_agent(agent, a.groups, served)
        self._set_agent(a, _A.NOT_READY, "login")
        return self._flush()

    def logout(self, agent: str, now: float) -> list[AcdEvent]:
        """The agent logs out (only when holding no voice call)."""
        self._advance(now)
        a = self._agent(agent)
        if a.chats:
            raise AcdError(f"agent {agent!r} still holds {len(a.chats)} chat(s)")
        self._set_agent(a, _A.LOGGED_OUT, "logout")
        return self._flush()

    def register_phone(self, agent: str, now: float) -> list[AcdEvent]:
        """The agent's phone registered: they may be ready for voice."""
        self._advance(now)
        a = self._agents.get(agent)
        if a is None:
            a = self._agents[agent] = AgentRecord(agent, now)
        if not a.phone and a.state is _A.READY:
            a.idle_since = now  # ready for voice (and last in the voice pool's order) from now on
        a.phone = True
        if a.state is not _A.LOGGED_OUT:
            self._index(a)
            self._route_agent(a)
        return self._flush()

    def unregister_phone(self, agent: str, now: float) -> list[AcdEvent]:
        """The agent's phone went away: no more voice; a voice-only ready agent goes not ready."""
        self._advance(now)
        a = self._agents.get(agent)
        if a is None:
            raise UnknownAgentError(f"agent {agent!r} is unknown")
        a.phone = False
        if a.state is _A.READY and not self._takes_chats(a):
            self._set_agent(a, _A.NOT_READY, "phone unregistered")
        elif a.state is not _A.LOGGED_OUT:
            self._index(a)
        return self._flush()

    def _takes_chats(self, a: AgentRecord) -> bool:
        return any(
            s.policy.chat_capacity > 0
            for k, v in a.skills.items()
            if v > 0
            for s in self._by_skill.get(k, ())
        )

    def set_ready(self, agent: str, now: float) -> list[AcdEvent]:
        """The agent is ready (from not ready; again when ready changes nothing); they are offered the best
        waiting interaction at once. After-call work ends through end_after_call_work, an outbound
        reservation through release_outbound, and an offered or connected call holds the agent."""
        self._advance(now)
        a = self._agent(agent)
        if a.state is _A.READY:
            return self._flush()
        if a.state is not _A.NOT_READY:
            raise AcdError(f"agent {agent!r} is {a.state.value}: only a not-ready agent can become ready")
        if not a.phone and not self._takes_chats(a):
            raise AcdError(f"agent {agent!r} has no registered phone and serves no chats: cannot be ready")
        self._set_agent(a, _A.READY, "ready")
        self._route_agent(a)
        return self._flush()

    def set_not_ready(self, agent: str, reason: str, now: float) -> list[AcdEvent]:
        """The agent goes not ready with a reason code: at once from ready, not ready or after-call work;
        an agent offered or on a call, or held for an outbound call, goes when that ends (not ready)."""
        self._advance(now)
        a = self._agent(agent)
        if self._reasons is not None and reason not in self._reasons:
            raise AcdError(f"{reason!r} is not a configured not-ready reason")
        if a.state is _A.AFTER_CALL_WORK:
            self._end_acw(a, None, _A.NOT_READY, reason)
        elif a.state in (_A.RESERVED, _A.BUSY):
            a.pending_not_ready = reason  # where they would turn ready next, they go not ready instead
        else:
            self._set_agent(a, _A.NOT_READY, reason)
        return self._flush()

    def end_after_call_work(
        self, agent: str, now: float, disposition: str | None = None, *, ready: bool = True
    ) -> list[AcdEvent]:
        """The agent finishes after-call work, with a disposition when the service asks for one."""
        self._advance(now)
        a = self._agent(agent)
        if a.state is not _A.AFTER_CALL_WORK:
            raise AcdError(f"agent {agent!r} is not in after-call work")
        self._end_acw(a, disposition, _A.READY if ready else _A.NOT_READY, "acw done")
        return self._flush()

    def _end_acw(self, a: AgentRecord, disposition: str | None, new: AgentState, reason: str) -> None:
        last = a.last_call
        policy = self._services[last.service].policy if last is not None else None
        if (
            policy is not None
            and policy.disposition_required
            and disposition is None
            and reason != "acw limit"
        ):
            raise DispositionRequiredError(f"agent {a.name!r} must give a disposition to end after-call work")
        if last is not None and policy is not None and disposition in policy.do_not_call_dispositions:
            self._emit(AddToDoNotCall(last.id, last.number, disposition or "", a.name, self._now))
        a.acw_deadline = None
        self._set_agent(a, new, reason if disposition is None else f"{reason}: {disposition}", last)
        if new is _A.READY:
            self._route_agent(a)

    # ----- interactions ---------------------------------------------------------------------------------

    def arrive(
        self,
        interaction: InteractionId,
        service: str,
        now: float,
        *,
        priority: int = 0,
        needs: Iterable[SkillRequirement] = (),
        media: Media = Media.VOICE,
        number: str | None = None,
    ) -> list[AcdEvent]:
        """An interaction enters the service's queue and is routed at once if an agent is free."""
        self._advance(now)
        check_interaction(interaction)
        if service not in self._services:
            raise UnknownServiceError(f"no service {service!r}")
        if interaction in self._calls:
            raise AcdError(f"interaction {interaction} is already held")
        policy = self._services[service].policy
        c = CallRecord(
            interaction, service, now, media=media, priority=priority, needs=tuple(needs), number=number
        )
        self._calls[interaction] = c
        self._offered += 1
        self._waiting[service] += 1
        self._emit(
            InteractionStateChanged(interaction, service, None, _I.WAITING, "arrived", now, media=media)
        )
        if policy.max_wait is not None:  # set even if routed now: a ring-out puts it back in the queue
            c.wait_deadline = now + policy.max_wait
            self._timer(c.wait_deadline, _MAXWAIT, interaction)
        if policy.notify_acw_after is not None and media is Media.VOICE:
            c.notify_at = now + policy.notify_acw_after
            self._timer(c.notify_at, _NOTIFY, interaction)
        if self._route_call(c):
            return self._flush()
        if policy.max_waiting is not None and self._waiting[service] > policy.max_waiting:
            self._overflow(c, "queue full")
            return self._flush()
        self._enqueue(c)
        return self._flush()

    def _overflow(self, c: CallRecord, reason: str) -> None:
        policy = self._services[c.service].policy
        new = _I.VOICEMAIL if policy.overflow is OverflowAction.VOICEMAIL else _I.TURNED_AWAY
        self._set_call(c, new, reason)

    def answer(self, interaction: InteractionId, now: float) -> list[AcdEvent]:
        """The offered agent answers (for a callback: the caller picked up the outbound call)."""
        self._advance(now)
        c = self._call(interaction)
        if c.state is not _I.RINGING or c.agent is None:
            raise UnknownInteractionError(f"interaction {interaction} is not ringing")
        c.ring_deadline = None
        c.connected_at = now
        if c.media is Media.VOICE:
            self._set_agent(self._agents[c.agent], _A.BUSY, "answered", c)
        self._set_call(c, _I.CONNECTED, "answered")
        return self._flush()

    def abandon(self, interaction: InteractionId, now: float) -> list[AcdEvent]:
        """A waiting or ringing caller hangs up; a ringing agent goes back to ready."""
        self._advance(now)
        c = self._call(interaction)
        self._abandon(c, "caller hung up")
        return self._flush()

    def _abandon(self, c: CallRecord, reason: str) -> None:
        if c.state is _I.CONNECTED:
            raise AcdError(f"interaction {c.id} is connected: hang it up instead")
        agent = self._agents.get(c.agent) if c.state is _I.RINGING and c.agent is not None else None
        self._set_call(c, _I.ABANDONED, reason)
        if agent is not None:
            self._free_agent(agent, c, _A.READY, "caller abandoned")

    def hang_up(self, interaction: InteractionId, now: float) -> list[AcdEvent]:
        """The interaction ends; a connected one is answered (or called back), otherwise it is abandoned."""
        self._advance(now)
        c = self._call(interaction)
        if c.state is not _I.CONNECTED:
            self._abandon(c, "caller hung up")
            return self._flush()
        hold = c.hold_total + (now - c.hold_since if c.hold_since is not None else 0.0)
        c.hold_total, c.hold_since = hold, None
        talk = now - c.connected_at - hold
        self._set_call(c, _I.CALLED_BACK if c.callback else _I.ANSWERED, "hung up", talk)
        a = self._agents[c.agent] if c.agent is not None else None
        if a is None:
            return self._flush()
        policy = self._services[c.service].policy
        if c.media is Media.VOICE:
            a.last_call = c
            if policy.acw_required or policy.disposition_required:
                a.voice = None
                self._set_agent(a, _A.AFTER_CALL_WORK, "call ended", c)
                limit = a.acw_limit if a.acw_limit is not None else policy.acw_limit
                if limit is not None:
                    a.acw_deadline = now + limit
                    self._timer(a.acw_deadline, _ACW, a.name)
                self._notify_new_acw(a)
                return self._flush()
        self._free_agent(a, c, _A.READY, "call ended")
        return self._flush()

    def hold(self, interaction: InteractionId, now: float) -> list[AcdEvent]:
        """The agent puts the connected call on hold (hold time counts in AHT apart from talk)."""
        self._advance(now)
        c = self._call(interaction)
        if c.state is not _I.CONNECTED or c.hold_since is not None:
            raise AcdError(f"interaction {interaction} is not connected or already on hold")
        c.hold_since = now
        return self._flush()

    def unhold(self, interaction: InteractionId, now: float) -> list[AcdEvent]:
        """The call comes back from hold."""
        self._advance(now)
        c = self._call(interaction)
        if c.hold_since is None:
            raise AcdError(f"interaction {interaction} is not on hold")
        c.hold_total += now - c.hold_since
        c.hold_since = None
        return self._flush()

    def accept_callback(self, interaction: InteractionId, number: str, now: float) -> list[AcdEvent]:
        """The waiting caller takes a callback: they leave the line but keep their place."""
        self._advance(now)
        c = self._call(interaction)
        if c.state is not _I.WAITING or c.media is not Media.VOICE:
            raise AcdError(f"interaction {interaction} is not a waiting voice call")
        if not self._services[c.service].policy.callback_enabled:
            raise AcdError(f"service {c.service!r} offers no callback")
        if not number:
            raise AcdError("a callback needs a number to call")
        c.callback, c.number, c.wait_deadline = True, number, None
        return self._flush()

    def callback_failed(self, interaction: InteractionId, now: float) -> list[AcdEvent]:
        """The outbound callback was not answered: it ends abandoned and the agent is ready again."""
        self._advance(now)
        c = self._call(interaction)
        if not c.callback or c.state is not _I.RINGING:
            raise AcdError(f"interaction {interaction} is not a callback being dialled")
        self._abandon(c, "callback not answered")
        return self._flush()

    # ----- outbound seams -------------------------------------------------------------------------------

    def reserve_outbound(self, service: str, now: float) -> list[AcdEvent]:
        """Hold the longest-idle ready agent of a blended service for one outbound call (inbound goes first:
        a ready agent has no waiting inbound call they could take). Empty list when nobody is free."""
        self._advance(now)
        s = self._services.get(service)
        if s is None:
            raise UnknownServiceError(f"no service {service!r}")
        if not s.policy.blended:
            raise AcdError(f"service {service!r} is not blended")
        pool = self._ready_voice.get(s.skill, {})
        candidates = [(n, self._agents[n].skills[s.skill], self._agents[n].idle_since) for n in pool]
        agent = choose_agent(s.policy.routing, candidates, self._rng)
        if agent is not None:
            a = self._agents[agent]
            a.outbound = service
            self._set_agent(a, _A.RESERVED, "outbound", service=service)
            self._emit(OutboundReserved(agent, service, now))
        return self._flush()

    def release_outbound(self, agent: str, now: float) -> list[AcdEvent]:
        """Give back an outbound reservation; the agent is ready and routed at once."""
        self._advance(now)
        a = self._agent(agent)
        if a.outbound is None or a.state is not _A.RESERVED:
            raise AcdError(f"agent {agent!r} holds no outbound reservation")
        service, a.outbound = a.outbound, None
        self._set_agent(a, _A.READY, "outbound released", service=service)
        self._route_agent(a)
        return self._flush()

    # ----- timers ---------------------------------------------------------------------------------------

    def _due(self, entry: tuple[float, int, int, InteractionId | str]) -> bool:
        when, _, kind, key = entry
        if kind == _ACW:
            a = self._agents.get(key) if isinstance(key, str) else None
            return a is not None and a.state is _A.AFTER_CALL_WORK and a.acw_deadline == when
        c = self._calls.get(key) if isinstance(key, InteractionId) else None
        if c is None:
            return False
        if kind == _RING:
            return c.state is _I.RINGING and c.ring_deadline == when
        if kind == _MAXWAIT:
            return c.state is _I.WAITING and not c.callback and c.wait_deadline == when
        return c.state is _I.WAITING and not c.notified and c.notify_at == when

    def get_timer(self) -> float | None:
        """When handle_timer must next be called (a limit, a notification or an interval's end), or None."""
        while self._timers and not self._due(self._timers[0]):
            heapq.heappop(self._timers)
        when = self._timers[0][0] if self._timers else None
        if self._next_close is not None and (when is None or self._next_close < when):
            return self._next_close
        return when

    def handle_timer(self, now: float) -> list[AcdEvent]:
        """Act on every timer due by now: interval ends, ring limits, maximum waits, ACW limits and
        notifications."""
        self._advance(now)
        out: list[AcdEvent] = self._flush()
        while self._timers and self._timers[0][0] <= now:
            entry = heapq.heappop(self._timers)
            if not self._due(entry):
                continue
            _, _, kind, key = entry
            if kind == _ACW and isinstance(key, str):
                self._end_acw(self._agents[key], None, _A.READY, "acw limit")
            elif isinstance(key, InteractionId):
                c = self._calls[key]
                if kind == _RING:
                    self._no_answer(c)
                elif kind == _MAXWAIT:
                    self._overflow(c, "max wait")
                else:
                    self._notify(c)
            out.extend(self._flush())
        return out

    def _no_answer(self, c: CallRecord) -> None:
        a = self._agents[c.agent] if c.agent is not None else None
        c.ring_deadline = None
        self._set_call(c, _I.WAITING, "no answer")
        c.agent = None
        self._enqueue(c)  # keeps its priority and entry time: back at the head of its queue
        if a is not None:
            self._free_agent(a, c, _A.NOT_READY, "no answer")
        self._route_call(c)

    def _notify(self, c: CallRecord) -> None:
        c.notified = True
        skill = self._services[c.service].skill
        for a in self._agents.values():
            if a.state is _A.AFTER_CALL_WORK and a.skills.get(skill, 0) > 0:
                self._emit(NotifyAgent(a.name, c.service, c.id, self._now - c.entered, self._now))

    def _notify_new_acw(self, a: AgentRecord) -> None:
        for c in self._calls.values():
            if c.notified and c.state is _I.WAITING and a.skills.get(self._services[c.service].skill, 0) > 0:
                self._emit(NotifyAgent(a.name, c.service, c.id, self._now - c.entered, self._now))
