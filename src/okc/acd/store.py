"""Storing the ACD's history: every agent transition, every queue step of an interaction, closed intervals.

AcdStore is the sink an adapter hands the engine's events to (the engine itself does no I/O). Agent state
changes go to ``agent_state_change``; interaction state changes to ``queue_event`` (entered, offered,
rejected, answered, abandoned, overflowed, timed out, voicemail, completed with talk and hold) under the
contact's ``interaction`` row, created at arrival when the live center has not made it yet; each
IntervalClosed becomes ``interval_stat`` rows per service, agent and group. Actions (ring, dial, notify)
are not history and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from okc.acd.events import AcdEvent, AgentStateChanged, InteractionStateChanged, IntervalClosed
from okc.acd.figures import AgentSnapshot, ServiceSnapshot
from okc.acd.policy import Media
from okc.acd.states import AgentState, InteractionState
from okc.storage.database import Database
from okc.storage.models import AgentState as StoredAgentState
from okc.storage.models import (
    AgentStateChange,
    Channel,
    Direction,
    Interaction,
    IntervalStat,
    QueueEvent,
    QueueEventKind,
    StatScope,
)
from okc.storage.records import record_interval_stats

__all__ = ["AcdStore", "interval_rows"]

_I = InteractionState
_K = QueueEventKind
_STATE_COLUMNS = {
    AgentState.READY: "ready_time",
    AgentState.NOT_READY: "not_ready_time",
    AgentState.RESERVED: "reserved_time",
    AgentState.BUSY: "busy_time",
    AgentState.AFTER_CALL_WORK: "acw_time",
}


def _kind(e: InteractionStateChanged) -> QueueEventKind:
    """The queue event an interaction's move stands for."""
    new = e.new
    if e.old is None:
        return _K.ENTERED
    if new is _I.RINGING:
        return _K.OFFERED
    if new is _I.WAITING:
        return _K.REJECTED  # rang out: back in the queue
    if new is _I.CONNECTED:
        return _K.ANSWERED
    if new is _I.ABANDONED:
        return _K.ABANDONED
    if new is _I.TURNED_AWAY:
        return _K.OVERFLOWED if e.reason == "queue full" else _K.TIMED_OUT
    if new is _I.VOICEMAIL:
        return _K.VOICEMAIL
    return _K.COMPLETED  # answered or called back, after being connected


def _agent_fields(s: AgentSnapshot) -> dict[str, float | int | None]:
    fields: dict[str, float | int | None] = {
        "handled": s.handled,
        "talk": s.talk,
        "hold": s.hold,
        "acw": s.acw,
        "aht": s.aht,
        "occupancy": s.occupancy,
    }
    for state, seconds in s.state_time:
        column = _STATE_COLUMNS.get(state)
        if column is not None:
            fields[column] = seconds
    return fields


def _service_row(s: ServiceSnapshot, length: int) -> IntervalStat:
    return IntervalStat(
        scope=StatScope.SERVICE,
        name=s.service,
        length=length,
        start=s.start,
        offered=s.offered,
        answered=s.answered,
        answered_within=s.answered_within,
        abandoned=s.abandoned,
        abandoned_short=s.abandoned_short,
        turned_away=s.turned_away,
        voicemail=s.voicemail,
        called_back=s.called_back,
        handled=s.handled,
        talk=s.talk,
        hold=s.hold,
        acw=s.acw,
        service_level=s.service_level,
        asa=s.asa,
        aht=s.aht,
        abandonment_rate=s.abandonment_rate,
        occupancy=s.occupancy,
    )


def interval_rows(event: IntervalClosed) -> list[IntervalStat]:
    """The interval_stat rows of one closed interval: every service, then each agent and group in it."""
    interval = event.interval
    rows = [_service_row(s, interval.length) for s in interval.services]
    for scope, snapshots in ((StatScope.AGENT, interval.agents), (StatScope.GROUP, interval.groups)):
        for s in snapshots:
            row = IntervalStat(scope=scope, name=s.name, length=interval.length, start=interval.start)
            for column, value in _agent_fields(s).items():
                setattr(row, column, value)
            rows.append(row)
    return rows


class AcdStore:
    """Writes the engine's events to the database, one transaction per batch handed in."""

    def __init__(self, db: Database, direction: Direction = Direction.INBOUND) -> None:
        self._db = db
        self._direction = direction  # of contacts the store first hears of (the live center names its own)
        self._known: set[str] = set()  # interaction rows known to exist

    def write(self, events: Iterable[AcdEvent]) -> None:
        """Store what the events tell of history (state changes and closed intervals)."""
        intervals: list[IntervalStat] = []
        with self._db.session() as session:
            for e in events:
                if isinstance(e, InteractionStateChanged):
                    self._interaction(session, e)
                elif isinstance(e, AgentStateChanged):
                    self._agent(session, e)
                elif isinstance(e, IntervalClosed):
                    intervals += interval_rows(e)
        if intervals:
            record_interval_stats(self._db, intervals)

    def _ensure(self, session: Session, e: InteractionStateChanged | AgentStateChanged) -> None:
        key = str(e.interaction)
        if key in self._known:
            return
        if session.get(Interaction, key) is None:
            media = e.media if isinstance(e, InteractionStateChanged) else Media.VOICE
            session.add(
                Interaction(
                    id=key,
                    channel=Channel.CHAT if media is Media.CHAT else Channel.VOICE,
                    direction=self._direction,
                    service=e.service,
                    started_at=e.time,
                )
            )
            session.flush()
        self._known.add(key)

    def _interaction(self, session: Session, e: InteractionStateChanged) -> None:
        self._ensure(session, e)
        kind = _kind(e)
        completed = kind is _K.COMPLETED
        session.add(
            QueueEvent(
                interaction_id=str(e.interaction),
                service=e.service,
                at=e.time,
                kind=kind,
                agent=e.agent,
                waited=e.wait,
                reason="called back" if e.new is _I.CALLED_BACK else e.reason,
                talk=e.talk if completed else None,
                hold=e.hold if completed else None,
            )
        )
        if e.new in (_I.ANSWERED, _I.ABANDONED, _I.TURNED_AWAY, _I.CALLED_BACK, _I.VOICEMAIL):
            row = session.get(Interaction, str(e.interaction))
            if row is not None and row.ended_at is None:
                row.ended_at = e.time
                session.add(row)

    def _agent(self, session: Session, e: AgentStateChanged) -> None:
        if e.interaction is not None:
            self._ensure(session, e)
        session.add(
            AgentStateChange(
                agent=e.agent,
                at=e.time,
                state=StoredAgentState(e.new.value),
                reason=e.reason,
                interaction_id=None if e.interaction is None else str(e.interaction),
            )
        )
