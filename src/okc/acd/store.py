"""Storing the ACD's history: every agent transition, every queue step of an interaction, closed intervals.

AcdStore is the sink an adapter hands the engine's events to (the engine itself does no I/O). Agent state
changes go to ``agent_state_change``; interaction state changes to ``queue_event`` (entered, offered,
rejected, answered, abandoned, overflowed, timed out, voicemail, completed with talk and hold) under the
contact's ``interaction`` row, created at arrival when the live center has not made it yet; each
IntervalClosed becomes ``interval_stat`` rows per service, agent and group; each ServiceLevelAlert a
``service_level_alert`` row. Actions (ring, dial, notify) are not history and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, update
from sqlmodel import col, select

from okc.acd.events import (
    AcdEvent,
    AgentStateChanged,
    InteractionStateChanged,
    IntervalClosed,
    ServiceLevelAlert,
)
from okc.acd.figures import AgentSnapshot, ServiceSnapshot
from okc.acd.policy import Media
from okc.acd.states import ENDED, AgentState, InteractionState
from okc.storage.database import Database
from okc.storage.models import AgentState as StoredAgentState
from okc.storage.models import (
    Channel,
    Direction,
    Interaction,
    IntervalStat,
    QueueEventKind,
    StatScope,
    StorageModel,
)
from okc.storage.models import ServiceLevelAlert as StoredAlert
from okc.storage.records import record_interval_stats, record_service_level_alerts

__all__ = ["AcdStore", "interval_rows"]

_TABLES = StorageModel.metadata.tables
_INTERACTION, _QUEUE_EVENT, _AGENT_STATE = (
    _TABLES["interaction"],
    _TABLES["queue_event"],
    _TABLES["agent_state_change"],
)

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
        """Store what the events tell of history (state changes and closed intervals), in one transaction
        plus one each for closed intervals and alerts; rows go in as bulk inserts, not one ORM object at
        a time."""
        contacts: dict[str, dict[str, object]] = {}
        steps: list[dict[str, object]] = []
        moves: list[dict[str, object]] = []
        ended: list[tuple[str, float]] = []
        intervals: list[IntervalStat] = []
        alerts: list[StoredAlert] = []
        for e in events:
            if isinstance(e, InteractionStateChanged):
                self._contact(contacts, e)
                steps.append(_step(e))
                if e.new in ENDED:
                    ended.append((str(e.interaction), e.time))
            elif isinstance(e, AgentStateChanged):
                if e.interaction is not None:
                    self._contact(contacts, e)
                moves.append(_move(e))
            elif isinstance(e, IntervalClosed):
                intervals += interval_rows(e)
            elif isinstance(e, ServiceLevelAlert):
                alerts.append(
                    StoredAlert(
                        service=e.service, at=e.time, level=e.level, threshold=e.threshold, below=e.below
                    )
                )
        if contacts or steps or moves:
            with self._db.session() as session:
                connection = session.connection()
                if contacts:  # the live center may have written the contact already
                    present = select(Interaction.id).where(col(Interaction.id).in_(list(contacts)))
                    for key in session.exec(present):
                        del contacts[key]
                if contacts:
                    connection.execute(insert(_INTERACTION), list(contacts.values()))
                if steps:
                    connection.execute(insert(_QUEUE_EVENT), steps)
                if moves:
                    connection.execute(insert(_AGENT_STATE), moves)
                for key, at in ended:
                    connection.execute(
                        update(_INTERACTION)
                        .where(_INTERACTION.c.id == key, _INTERACTION.c.ended_at.is_(None))
                        .values(ended_at=at)
                    )
            self._known.update(contacts)
            self._known.difference_update(key for key, _ in ended)  # no more steps will come for those
        if intervals:
            record_interval_stats(self._db, intervals)
        if alerts:
            record_service_level_alerts(self._db, alerts)

    def _contact(
        self, contacts: dict[str, dict[str, object]], e: InteractionStateChanged | AgentStateChanged
    ) -> None:
        key = str(e.interaction)
        if key in self._known or key in contacts:
            return
        media = e.media if isinstance(e, InteractionStateChanged) else Media.VOICE
        contacts[key] = {
            "id": key,
            "channel": Channel.CHAT if media is Media.CHAT else Channel.VOICE,
            "direction": self._direction,
            "service": e.service,
            "started_at": e.time,
            "ended_at": None,
        }


def _step(e: InteractionStateChanged) -> dict[str, object]:
    kind = _kind(e)
    completed = kind is _K.COMPLETED
    return {
        "interaction_id": str(e.interaction),
        "service": e.service,
        "at": e.time,
        "kind": kind,
        "agent": e.agent,
        "position": None,
        "waited": e.wait,
        "reason": "called back" if e.new is _I.CALLED_BACK else e.reason,
        "talk": e.talk if completed else None,
        "hold": e.hold if completed else None,
    }


def _move(e: AgentStateChanged) -> dict[str, object]:
    return {
        "agent": e.agent,
        "at": e.time,
        "state": StoredAgentState(e.new.value),
        "reason": e.reason,
        "interaction_id": None if e.interaction is None else str(e.interaction),
    }
