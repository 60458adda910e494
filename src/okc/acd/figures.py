"""Frozen figures the statistics hand out: a service's, an agent's or group's, and a closed interval's."""

from __future__ import annotations

from dataclasses import dataclass

from okc.acd.states import AgentState

__all__ = ["AgentSnapshot", "ClosedInterval", "ServiceSnapshot"]


@dataclass(frozen=True, slots=True)
class ServiceSnapshot:
    """A service's figures over one span (live, or one interval starting at start, length seconds long)."""

    service: str
    start: float
    length: float | None
    offered: int
    answered: int
    answered_within: int
    abandoned: int
    abandoned_short: int
    turned_away: int
    voicemail: int
    called_back: int
    service_level: float | None
    asa: float | None
    aht: float | None
    abandonment_rate: float | None
    occupancy: float | None
    calls_waiting: int = 0
    longest_wait: float = 0.0
    agents_by_state: tuple[tuple[AgentState, int], ...] = ()
    handled: int = 0  # connected calls that ended, and their talk, hold and after-call work in seconds
    talk: float = 0.0
    hold: float = 0.0
    acw: float = 0.0


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """One agent's (or group's) figures: calls handled, AHT parts and occupancy."""

    name: str
    handled: int
    talk: float
    hold: float
    acw: float
    aht: float | None
    occupancy: float | None
    state_time: tuple[tuple[AgentState, float], ...]


@dataclass(frozen=True, slots=True)
class ClosedInterval:
    """The figures of one interval [start, start + length) once it ended: per service, agent and group."""

    length: int
    start: float
    services: tuple[ServiceSnapshot, ...]
    agents: tuple[AgentSnapshot, ...]
    groups: tuple[AgentSnapshot, ...]
