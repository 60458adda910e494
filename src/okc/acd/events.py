"""What the engine emits: state changes for storage and statistics, and actions for adapters to carry out."""

from __future__ import annotations

from dataclasses import dataclass

from okc.acd.figures import ClosedInterval
from okc.acd.policy import Media
from okc.acd.states import AgentState, InteractionState
from okc.ids import InteractionId

__all__ = [
    "AcdEvent",
    "AddToDoNotCall",
    "AgentStateChanged",
    "DialCallback",
    "InteractionStateChanged",
    "IntervalClosed",
    "NotifyAgent",
    "OutboundReserved",
    "RingAgent",
    "ServiceLevelAlert",
]


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """An agent moved between states; duration is the time spent in the old one."""

    agent: str
    old: AgentState
    new: AgentState
    reason: str
    time: float
    duration: float
    interaction: InteractionId | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class InteractionStateChanged:
    """An interaction moved (old is None when it is first offered).

    wait is the time it has spent queued so far; talk and hold are filled in when a connected call ends.
    """

    interaction: InteractionId
    service: str
    old: InteractionState | None
    new: InteractionState
    reason: str
    time: float
    agent: str | None = None
    media: Media = Media.VOICE
    wait: float = 0.0
    talk: float = 0.0
    hold: float = 0.0


@dataclass(frozen=True, slots=True)
class RingAgent:
    """Action: put the interaction through to the agent (their phone rings, or the chat is offered)."""

    interaction: InteractionId
    agent: str
    service: str
    media: Media
    time: float


@dataclass(frozen=True, slots=True)
class DialCallback:
    """Action: a callback reached the head and agent is reserved; place the outbound call to number."""

    interaction: InteractionId
    agent: str
    service: str
    number: str
    time: float


@dataclass(frozen=True, slots=True)
class NotifyAgent:
    """Action: tell an agent in after-call work that a call has waited in service for waited seconds."""

    agent: str
    service: str
    interaction: InteractionId
    waited: float
    time: float


@dataclass(frozen=True, slots=True)
class AddToDoNotCall:
    """Action for the dialer: the agent's disposition asks never to call this number again."""

    interaction: InteractionId
    number: str | None
    disposition: str
    agent: str
    time: float


@dataclass(frozen=True, slots=True)
class OutboundReserved:
    """An agent is held for one outbound call of the service (the dialer releases or connects it)."""

    agent: str
    service: str
    time: float


@dataclass(frozen=True, slots=True)
class ServiceLevelAlert:
    """A service's live service level crossed the supervisor's threshold (below=False: it recovered)."""

    service: str
    level: float
    threshold: float
    below: bool
    time: float


@dataclass(frozen=True, slots=True)
class IntervalClosed:
    """A 15/30/60-minute statistics interval ended: its figures per service, agent and group, to store."""

    interval: ClosedInterval
    time: float


AcdEvent = (
    AgentStateChanged
    | InteractionStateChanged
    | RingAgent
    | DialCallback
    | NotifyAgent
    | AddToDoNotCall
    | OutboundReserved
    | ServiceLevelAlert
    | IntervalClosed
)
