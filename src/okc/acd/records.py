"""The engine's mutable bookkeeping for one agent and one interaction (private to the engine)."""

from __future__ import annotations

from okc.acd.policy import Media, SkillRequirement
from okc.acd.states import AgentState, InteractionState
from okc.ids import InteractionId

__all__ = ["AgentRecord", "CallRecord"]


class AgentRecord:
    """One agent: skills, phone, state and what they hold."""

    __slots__ = (
        "acw_deadline",
        "acw_limit",
        "chats",
        "groups",
        "idle_since",
        "last_call",
        "name",
        "outbound",
        "pending_not_ready",
        "phone",
        "reason",
        "since",
        "skills",
        "state",
        "voice",
    )

    def __init__(self, name: str, now: float) -> None:
        self.name = name
        self.skills: dict[str, int] = {}
        self.groups: tuple[str, ...] = ()
        self.phone = False
        self.state = AgentState.LOGGED_OUT
        self.reason = ""
        self.since = now
        self.idle_since = now
        self.voice: InteractionId | None = None
        self.chats: set[InteractionId] = set()
        self.last_call: CallRecord | None = None
        self.outbound: str | None = None  # service an outbound reservation/call is for
        self.acw_deadline: float | None = None
        self.pending_not_ready: str | None = None  # asked for while on a call: applies when it ends
        self.acw_limit: float | None = None  # the agent's own (group's) limit, replacing the service's

    def qualifies(self, skill: str, needs: tuple[SkillRequirement, ...]) -> bool:
        """Has the service skill above 0 and every auxiliary skill at its minimum level."""
        if self.skills.get(skill, 0) <= 0:
            return False
        return all(self.skills.get(n.skill, 0) >= n.min_level for n in needs)


class CallRecord:
    """One interaction the engine holds, from arrival to its end."""

    __slots__ = (
        "agent",
        "callback",
        "connected_at",
        "entered",
        "hold_since",
        "hold_total",
        "id",
        "media",
        "needs",
        "notified",
        "notify_at",
        "number",
        "priority",
        "ring_deadline",
        "seq",
        "service",
        "state",
        "wait_deadline",
    )

    def __init__(
        self,
        interaction: InteractionId,
        service: str,
        now: float,
        *,
        media: Media,
        priority: int,
        needs: tuple[SkillRequirement, ...],
        number: str | None,
    ) -> None:
        self.id = interaction
        self.service = service
        self.media = media
        self.priority = priority
        self.needs = needs
        self.number = number
        self.entered = now
        self.state = InteractionState.WAITING
        self.agent: str | None = None
        self.seq = 0
        self.ring_deadline: float | None = None
        self.wait_deadline: float | None = None
        self.notify_at: float | None = None
        self.notified = False
        self.connected_at = 0.0
        self.hold_since: float | None = None
        self.hold_total = 0.0
        self.callback = False

    def key(self) -> tuple[int, float, int]:
        """Caller order: higher priority first, then earlier entry, then arrival order."""
        return (-self.priority, self.entered, self.seq)
