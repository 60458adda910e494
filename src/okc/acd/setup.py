"""Building the ACD from the center's configuration: services, routing, limits, dispositions, agents.

AcdSetup.from_config(center) turns each configured service into the engine's Service and ServicePolicy
(routing policy, service-level threshold/target/alarm, short-abandon rule, ring limit, queue limits and
overflow, after-call work and its notice, dispositions, callback, chat capacity, blending) and each user
into an AgentProfile (effective skill levels, groups, after-call-work limit), so a login needs only the
agent's name.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from okc.acd.engine import AcdEngine
from okc.acd.errors import UnknownAgentError
from okc.acd.events import AcdEvent
from okc.acd.policy import OverflowAction, RoutingPolicy, Service, ServicePolicy, check_skills
from okc.config import CenterConfig
from okc.config.services import DispositionKind, QueueOverflow, ServiceType
from okc.config.services import Service as ConfiguredService

__all__ = ["AcdSetup", "AgentProfile", "service_from_config"]

_NON_VOICE = (ServiceType.CHAT, ServiceType.EMAIL)
_OUTBOUND = (ServiceType.OUTBOUND, ServiceType.BLENDED)


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """What the engine needs to log an agent in: skill levels, groups and the after-call-work limit."""

    login: str
    skills: Mapping[str, int]
    groups: tuple[str, ...] = ()
    acw_limit: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", MappingProxyType(check_skills(self.skills)))


def service_from_config(service: ConfiguredService, center_acw_limit: float | None = None) -> Service:
    """The engine's service for a configured one (its skill carries the service's name)."""
    level = service.service_level
    acw = service.after_call_work
    policy = ServicePolicy(
        routing=RoutingPolicy(service.routing.value),
        sl_threshold=float(level.seconds),
        sl_target=level.percent / 100,
        sl_alert_below=None if level.alarm_percent is None else level.alarm_percent / 100,
        count_short_abandons=level.count_short_abandons,
        ring_limit=float(service.ring_limit),
        max_waiting=service.queue.max_waiting,
        max_wait=None if service.queue.max_wait is None else float(service.queue.max_wait),
        # voicemail is the engine's outcome; busy, hang-up and "continue the scenario" leave the queue
        overflow=OverflowAction.VOICEMAIL
        if service.queue.overflow is QueueOverflow.VOICEMAIL
        else OverflowAction.TURN_AWAY,
        acw_required=acw.enabled,
        acw_limit=center_acw_limit if acw.enabled else None,
        notify_acw_after=float(acw.notify_after or 0) if acw.notify_waiting else None,
        disposition_required=service.disposition_required,
        do_not_call_dispositions=frozenset(
            d.name for d in service.all_dispositions() if d.kind is DispositionKind.DO_NOT_CALL
        ),
        chat_capacity=service.max_chats_per_agent if service.type in _NON_VOICE else 0,
        callback_enabled=service.callback,
        blended=service.type in _OUTBOUND,
    )
    return Service(service.name, service.skill, policy)


@dataclass(frozen=True, slots=True)
class AcdSetup:
    """The ACD's part of the center: services, not-ready reason names and each user's agent profile."""

    services: tuple[Service, ...]
    not_ready_reasons: frozenset[str] | None = None  # None: any reason is accepted
    agents: Mapping[str, AgentProfile] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_config(cls, center: CenterConfig) -> AcdSetup:
        """Everything the engine needs from a loaded configuration (okc.config.load)."""
        center_limit = center.general.after_call_work_limit
        services = tuple(
            service_from_config(s, None if center_limit is None else float(center_limit))
            for s in center.services
        )
        agents = {}
        for user in center.users:
            limit = center.after_call_work_limit(user.login)
            agents[user.login] = AgentProfile(
                login=user.login,
                skills=dict(center.effective_skills(user.login)),
                groups=tuple(g.name for g in center.groups if user.login in g.members),
                acw_limit=None if limit is None else float(limit),
            )
        reasons = frozenset(r.name for r in center.not_ready_reasons) if center.not_ready_reasons else None
        return cls(services, reasons, MappingProxyType(agents))

    def engine(self, now: float, rng: random.Random | None = None) -> AcdEngine:
        """A fresh engine on these services, starting at now."""
        return AcdEngine(self.services, now, rng, not_ready_reasons=self.not_ready_reasons)

    def login(self, engine: AcdEngine, login: str, now: float) -> list[AcdEvent]:
        """Log a configured user in with their skills, groups and after-call-work limit."""
        profile = self.agents.get(login)
        if profile is None:
            raise UnknownAgentError(f"no user {login!r} in the configuration")
        return engine.login(login, profile.skills, now, profile.groups, acw_limit=profile.acw_limit)
