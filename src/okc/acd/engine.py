"""The ACD engine: agents and interactions in, routing decisions and state-change events out.

Sans-I/O: every call takes the current time, nothing reads a clock or sleeps, and the random source (used
by skill-weighted routing) is injected. Timers (ring limit, maximum wait, ACW limit, ACW notifications)
are served through get_timer()/handle_timer(now). Each public method returns the events and actions it
caused, in order. This module holds the inputs (agents, interactions, outbound seams, timers); the
bookkeeping, queues and routing they drive are okc.acd.core's.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from okc.acd.core import ACW, MAXWAIT, NOTIFY, RING, EngineCore
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
    InteractionStateChanged,
    NotifyAgent,
    OutboundReserved,
)
from okc.acd.policy import (
    Media,
    OverflowAction,
    SkillRequirement,
    check_interaction,
    check_skills,
)
from okc.acd.records import AgentRecord, CallRecord
from okc.acd.routing import choose_agent
from okc.acd.states import (
    AgentState,
    InteractionState,
)
from okc.ids import InteractionId

if TYPE_CHECKING:
    from okc.config import CenterConfig

__all__ = ["AcdEngine"]

_A = AgentState
_I = InteractionState


class AcdEngine(EngineCore):
    """Routes interactions of the given services to agents, on the clock the caller passes in."""

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
            self._timer(c.wait_deadline, MAXWAIT, interaction)
        if policy.notify_acw_after is not None and media is Media.VOICE:
            c.notify_at = now + policy.notify_acw_after
            self._timer(c.notify_at, NOTIFY, interaction)
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
                    self._timer(a.acw_deadline, ACW, a.name)
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
        if kind == ACW:
            a = self._agents.get(key) if isinstance(key, str) else None
            return a is not None and a.state is _A.AFTER_CALL_WORK and a.acw_deadline == when
        c = self._calls.get(key) if isinstance(key, InteractionId) else None
        if c is None:
            return False
        if kind == RING:
            return c.state is _I.RINGING and c.ring_deadline == when
        if kind == MAXWAIT:
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
            if kind == ACW and isinstance(key, str):
                self._end_acw(self._agents[key], None, _A.READY, "acw limit")
            elif isinstance(key, InteractionId):
                c = self._calls[key]
                if kind == RING:
                    self._no_answer(c)
                elif kind == MAXWAIT:
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
