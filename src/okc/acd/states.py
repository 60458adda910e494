"""Agent and interaction states, with every allowed transition kept as data in this one module.

An agent's state describes its voice capacity (chats are counted apart). An interaction's state is one of
the live states (waiting, ringing, connected) or one of the ended outcomes; the counts of all of them sum to
the number of interactions offered.
"""

from __future__ import annotations

import enum

from okc.acd.errors import IllegalTransitionError

__all__ = [
    "AGENT_TRANSITIONS",
    "ENDED",
    "INTERACTION_TRANSITIONS",
    "AgentState",
    "InteractionState",
    "check_agent_transition",
    "check_interaction_transition",
]


class AgentState(enum.Enum):
    """Where an agent stands for voice work."""

    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    RESERVED = "reserved"  # ringing, or held for an outbound/callback call
    BUSY = "busy"
    AFTER_CALL_WORK = "after_call_work"


class InteractionState(enum.Enum):
    """Where an interaction stands; the last five are final outcomes."""

    WAITING = "waiting"
    RINGING = "ringing"
    CONNECTED = "connected"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TURNED_AWAY = "turned_away"
    CALLED_BACK = "called_back"
    VOICEMAIL = "voicemail"


ENDED = frozenset(
    {
        InteractionState.ANSWERED,
        InteractionState.ABANDONED,
        InteractionState.TURNED_AWAY,
        InteractionState.CALLED_BACK,
        InteractionState.VOICEMAIL,
    }
)

_A = AgentState
AGENT_TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    _A.LOGGED_OUT: frozenset({_A.NOT_READY}),
    _A.NOT_READY: frozenset({_A.NOT_READY, _A.READY, _A.LOGGED_OUT}),
    _A.READY: frozenset({_A.NOT_READY, _A.RESERVED, _A.LOGGED_OUT}),
    _A.RESERVED: frozenset({_A.BUSY, _A.READY, _A.NOT_READY}),
    _A.BUSY: frozenset({_A.AFTER_CALL_WORK, _A.READY, _A.NOT_READY}),
    _A.AFTER_CALL_WORK: frozenset({_A.READY, _A.NOT_READY, _A.LOGGED_OUT}),
}

_I = InteractionState
INTERACTION_TRANSITIONS: dict[InteractionState, frozenset[InteractionState]] = {
    _I.WAITING: frozenset({_I.RINGING, _I.ABANDONED, _I.TURNED_AWAY, _I.VOICEMAIL}),
    _I.RINGING: frozenset({_I.WAITING, _I.CONNECTED, _I.ABANDONED, _I.CALLED_BACK}),
    _I.CONNECTED: frozenset({_I.ANSWERED, _I.CALLED_BACK}),
    _I.ANSWERED: frozenset(),
    _I.ABANDONED: frozenset(),
    _I.TURNED_AWAY: frozenset(),
    _I.CALLED_BACK: frozenset(),
    _I.VOICEMAIL: frozenset(),
}


def check_agent_transition(agent: str, old: AgentState, new: AgentState) -> None:
    """Raise IllegalTransitionError unless the table allows old → new."""
    if new not in AGENT_TRANSITIONS[old]:
        raise IllegalTransitionError(f"agent {agent}: cannot go from {old.value} to {new.value}")


def check_interaction_transition(interaction: object, old: InteractionState, new: InteractionState) -> None:
    """Raise IllegalTransitionError unless the table allows old → new."""
    if new not in INTERACTION_TRANSITIONS[old]:
        raise IllegalTransitionError(f"interaction {interaction}: cannot go from {old.value} to {new.value}")
