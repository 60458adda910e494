"""Frozen policy values the engine is built from: services, their routing and queue rules, interactions."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from okc.acd.errors import AcdError
from okc.ids import InteractionId

__all__ = [
    "Media",
    "OverflowAction",
    "RoutingPolicy",
    "Service",
    "ServicePolicy",
    "SkillRequirement",
]


class RoutingPolicy(enum.Enum):
    """How a service picks among the agents able to take an interaction."""

    LONGEST_IDLE = "longest_idle"
    MOST_SKILLED = "most_skilled"  # highest level, ties by longest idle
    SKILL_WEIGHTED = "skill_weighted"  # random, share proportional to level


class OverflowAction(enum.Enum):
    """What happens to a caller the queue limits turn away."""

    TURN_AWAY = "turn_away"
    VOICEMAIL = "voicemail"


class Media(enum.Enum):
    """Voice and chat capacity are tracked apart."""

    VOICE = "voice"
    CHAT = "chat"


def _positive_or_none(name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value < math.inf:
        raise AcdError(f"{name} must be a finite number ≥ 0 or unset, not {value!r}")


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """Per-service rules: routing, service level, queue limits, after-call work, dispositions, chats."""

    routing: RoutingPolicy = RoutingPolicy.LONGEST_IDLE
    sl_threshold: float = 20.0  # seconds: answered within this counts towards service level
    sl_target: float = 0.8  # the goal, shown beside the figure
    sl_alert_below: float | None = None  # supervisor threshold: an event when live SL drops below it
    count_short_abandons: bool = True  # abandons within the threshold count in SL's denominator or not
    ring_limit: float | None = 20.0  # a reserved agent who does not answer in time goes not ready
    max_waiting: int | None = None  # callers allowed in the queue at once
    max_wait: float | None = None  # seconds a caller may wait before the overflow action
    overflow: OverflowAction = OverflowAction.TURN_AWAY
    acw_required: bool = False
    acw_limit: float | None = None  # seconds; None lets the agent end it
    notify_acw_after: float | None = None  # notify agents in ACW when a call waits this long; None: never
    disposition_required: bool = False
    do_not_call_dispositions: frozenset[str] = frozenset({"do-not-call"})
    chat_capacity: int = 0  # chats one agent may hold at once
    callback_enabled: bool = False
    blended: bool = False  # agents serve this service's outbound calls when no inbound waits

    def __post_init__(self) -> None:
        for name in ("sl_threshold", "ring_limit", "max_wait", "acw_limit", "notify_acw_after"):
            _positive_or_none(name, getattr(self, name))
        for name in ("sl_target", "sl_alert_below"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise AcdError(f"{name} must be a share between 0 and 1, not {value!r}")
        if self.max_waiting is not None and self.max_waiting < 0:
            raise AcdError(f"max_waiting must be ≥ 0, not {self.max_waiting!r}")
        if self.chat_capacity < 0:
            raise AcdError(f"chat_capacity must be ≥ 0, not {self.chat_capacity!r}")


@dataclass(frozen=True, slots=True)
class Service:
    """A service: its name, the skill that serves it and its policy."""

    name: str
    skill: str
    policy: ServicePolicy = field(default_factory=ServicePolicy)

    def __post_init__(self) -> None:
        if not self.name or not self.skill:
            raise AcdError("a service needs a name and a skill")


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    """An auxiliary skill an interaction needs (a language, say) with the lowest level that serves it."""

    skill: str
    min_level: int = 1

    def __post_init__(self) -> None:
        if not self.skill or not 1 <= self.min_level <= 100:
            raise AcdError(f"skill requirement needs a name and a level 1…100, not {self!r}")


def check_skills(skills: Mapping[str, int]) -> dict[str, int]:
    """Copy an agent's skill levels, rejecting levels outside 0…100."""
    out: dict[str, int] = {}
    for name, level in skills.items():
        if type(level) is not int or not 0 <= level <= 100:
            raise AcdError(f"skill {name!r}: level must be a whole number 0…100, not {level!r}")
        out[name] = level
    return out


def check_interaction(interaction: InteractionId) -> InteractionId:
    """Reject anything but an InteractionId (the one contact id every event carries)."""
    if not isinstance(interaction, InteractionId):
        raise AcdError(f"not an InteractionId: {interaction!r}")
    return interaction
