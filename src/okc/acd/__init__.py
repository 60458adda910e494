"""okc.acd: the automatic call distributor, a sans-I/O engine on an injected clock.

Agents log in, register phones and go ready; interactions arrive in service queues; the engine routes by
the service's policy and returns events (state changes, for storage and statistics) and actions (ring an
agent, dial a callback, notify an agent, add a number to the do-not-call list). AcdStore writes the
history (agent transitions, queue steps, closed 15/30/60-minute intervals) to okc.storage.
"""

from okc.acd.engine import AcdEngine
from okc.acd.errors import (
    AcdError,
    DispositionRequiredError,
    IllegalTransitionError,
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
    ServiceLevelAlert,
)
from okc.acd.policy import Media, OverflowAction, RoutingPolicy, Service, ServicePolicy, SkillRequirement
from okc.acd.states import AgentState, InteractionState
from okc.acd.stats import AgentSnapshot, ClosedInterval, ServiceSnapshot, Statistics
from okc.acd.store import AcdStore
from okc.acd.views import QueueStatus

__all__ = [
    "AcdEngine",
    "AcdError",
    "AcdEvent",
    "AcdStore",
    "AddToDoNotCall",
    "AgentSnapshot",
    "AgentState",
    "AgentStateChanged",
    "ClosedInterval",
    "DialCallback",
    "DispositionRequiredError",
    "IllegalTransitionError",
    "InteractionState",
    "InteractionStateChanged",
    "IntervalClosed",
    "Media",
    "NotifyAgent",
    "OutboundReserved",
    "OverflowAction",
    "QueueStatus",
    "RingAgent",
    "RoutingPolicy",
    "Service",
    "ServiceLevelAlert",
    "ServicePolicy",
    "ServiceSnapshot",
    "SkillRequirement",
    "Statistics",
    "UnknownAgentError",
    "UnknownInteractionError",
    "UnknownServiceError",
]
