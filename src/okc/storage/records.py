"""Typed writes and reads of what the center records, one small function per kind of record.

The ACD, the dialer and the running center call these with plain values; every function takes the
interaction id as ``okc.ids.InteractionId`` and times as seconds since the epoch from the injected clock.
Each write is its own transaction; database errors surface as ``okc.errors.StorageError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import col, select

from okc.errors import StorageError
from okc.ids import InteractionId
from okc.storage.database import Database
from okc.storage.models import (
    AgentState,
    AgentStateChange,
    AttemptOutcome,
    CallDetailRecord,
    CallResult,
    CampaignAttempt,
    CampaignRecord,
    CampaignRecordStatus,
    Channel,
    Direction,
    Disposition,
    Interaction,
    IntervalStat,
    QaEvaluation,
    QaScore,
    QueueEvent,
    QueueEventKind,
    Recording,
    RecordingFormat,
    ServiceLevelAlert,
    SipLeg,
    StatScope,
)

__all__ = [
    "CampaignEntry",
    "ContactHistory",
    "agent_states",
    "campaign_records",
    "contact_history",
    "finish_call",
    "finish_campaign_attempt",
    "finish_interaction",
    "finish_leg",
    "interval_stats",
    "load_campaign_records",
    "queue_events",
    "record_agent_state",
    "record_call",
    "record_campaign_attempt",
    "record_disposition",
    "record_interaction",
    "record_interval_stats",
    "record_leg",
    "record_qa_evaluation",
    "record_queue_event",
    "record_recording",
    "record_service_level_alerts",
    "recording_file_name",
    "service_level_alerts",
]


def recording_file_name(interaction: InteractionId, segment: int = 0, suffix: str = ".wav") -> str:
    """The file name of a contact's recording: ``<id>.wav``, then ``<id>-<segment>.wav``."""
    if segment < 0:
        raise StorageError(f"recording segment must not be negative: {segment}")
    return f"{interaction}{suffix}" if segment == 0 else f"{interaction}-{segment}{suffix}"


def record_interaction(
    db: Database,
    interaction: InteractionId,
    *,
    channel: Channel,
    direction: Direction,
    started_at: float,
    service: str | None = None,
) -> Interaction:
    """Start the record of a contact; every other record of it refers to this row."""
    row = Interaction(
        id=str(interaction), channel=channel, direction=direction, service=service, started_at=started_at
    )
    with db.session() as session:
        session.add(row)
    return row


def finish_interaction(db: Database, interaction: InteractionId, *, ended_at: float) -> None:
    """Mark a contact as over."""
    with db.session() as session:
        row = session.get(Interaction, str(interaction))
        if row is None:
            raise StorageError(f"unknown interaction {interaction}")
        row.ended_at = ended_at
        session.add(row)


def record_call(
    db: Database,
    interaction: InteractionId,
    *,
    caller: str,
    callee: str,
    started_at: float,
    dial_in_plan: str | None = None,
    scenario: str | None = None,
) -> CallDetailRecord:
    """Open the call detail record of a voice contact."""
    row = CallDetailRecord(
        interaction_id=str(interaction),
        caller=caller,
        callee=callee,
        started_at=started_at,
        dial_in_plan=dial_in_plan,
        scenario=scenario,
    )
    with db.session() as session:
        session.add(row)
    return row


def finish_call(
    db: Database,
    interaction: InteractionId,
    *,
    result: CallResult,
    ended_at: float,
    answered_at: float | None = None,
    agent: str | None = None,
) -> None:
    """Close a call detail record with its result (and who answered it, when)."""
    with db.session() as session:
        row = session.get(CallDetailRecord, str(interaction))
        if row is None:
            raise StorageError(f"no call detail record for interaction {interaction}")
        row.result = result
        row.ended_at = ended_at
        row.answered_at = answered_at
        row.agent = agent
        session.add(row)


def record_leg(
    db: Database,
    interaction: InteractionId,
    *,
    leg_index: int,
    direction: Direction,
    peer: str,
    started_at: float,
    call_id: str | None = None,
) -> SipLeg:
    """Record a SIP dialog of a contact; the Call-ID defaults to the one the interaction id names."""
    row = SipLeg(
        interaction_id=str(interaction),
        leg_index=leg_index,
        call_id=call_id if call_id is not None else interaction.leg(leg_index),
        direction=direction,
        peer=peer,
        started_at=started_at,
    )
    with db.session() as session:
        session.add(row)
    return row


def finish_leg(
    db: Database,
    call_id: str,
    *,
    ended_at: float,
    final_status: int | None = None,
    answered_at: float | None = None,
) -> None:
    """Close a SIP leg found by its Call-ID, with the final response status it ended on."""
    with db.session() as session:
        row = session.exec(select(SipLeg).where(SipLeg.call_id == call_id)).first()
        if row is None:
            raise StorageError(f"unknown SIP leg {call_id!r}")
        row.ended_at = ended_at
        row.final_status = final_status
        if answered_at is not None:
            row.answered_at = answered_at
        session.add(row)


def record_agent_state(
    db: Database,
    agent: str,
    state: AgentState,
    *,
    at: float,
    reason: str | None = None,
    interaction: InteractionId | None = None,
) -> AgentStateChange:
    """Record that an agent entered state (with a not-ready reason code or the contact being handled)."""
    row = AgentStateChange(
        agent=agent,
        state=state,
        at=at,
        reason=reason,
        interaction_id=None if interaction is None else str(interaction),
    )
    with db.session() as session:
        session.add(row)
    return row


def agent_states(
    db: Database, agent: str, *, since: float | None = None, until: float | None = None
) -> list[AgentStateChange]:
    """An agent's state changes in time order, optionally limited to [since, until)."""
    query = select(AgentStateChange).where(AgentStateChange.agent == agent)
    if since is not None:
        query = query.where(AgentStateChange.at >= since)
    if until is not None:
        query = query.where(AgentStateChange.at < until)
    with db.session() as session:
        return list(session.exec(query.order_by(col(AgentStateChange.at), col(AgentStateChange.id))))


def record_queue_event(
    db: Database,
    interaction: InteractionId,
    service: str,
    kind: QueueEventKind,
    *,
    at: float,
    agent: str | None = None,
    position: int | None = None,
    waited: float | None = None,
    reason: str | None = None,
    talk: float | None = None,
    hold: float | None = None,
) -> QueueEvent:
    """Record a step of a contact through a service's queue (talk and hold when a connected one ends)."""
    row = QueueEvent(
        interaction_id=str(interaction),
        service=service,
        kind=kind,
        at=at,
        agent=agent,
        position=position,
        waited=waited,
        reason=reason,
        talk=talk,
        hold=hold,
    )
    with db.session() as session:
        session.add(row)
    return row


def queue_events(
    db: Database, *, service: str | None = None, since: float | None = None, until: float | None = None
) -> list[QueueEvent]:
    """Queue events in time order, optionally of one service and limited to [since, until)."""
    query = select(QueueEvent)
    if service is not None:
        query = query.where(QueueEvent.service == service)
    if since is not None:
        query = query.where(QueueEvent.at >= since)
    if until is not None:
        query = query.where(QueueEvent.at < until)
    with db.session() as session:
        return list(session.exec(query.order_by(col(QueueEvent.at), col(QueueEvent.id))))


def record_interval_stats(db: Database, rows: Iterable[IntervalStat]) -> int:
    """Store closed statistics intervals in one transaction, replacing a row stored before for the same
    scope, name, length and start (an interval closed again after a restart); returns how many."""
    count = 0
    with db.session() as session:
        for row in rows:
            old = session.exec(
                select(IntervalStat).where(
                    IntervalStat.scope == row.scope,
                    IntervalStat.name == row.name,
                    IntervalStat.length == row.length,
                    IntervalStat.start == row.start,
                )
            ).first()
            if old is not None:
                session.delete(old)
                session.flush()
            session.add(row)
            count += 1
    return count


def interval_stats(
    db: Database,
    scope: StatScope,
    *,
    name: str | None = None,
    length: int | None = None,
    since: float | None = None,
    until: float | None = None,
) -> list[IntervalStat]:
    """Stored interval rows of one scope, by start then name, optionally filtered; start in [since, until)."""
    query = select(IntervalStat).where(IntervalStat.scope == scope)
    if name is not None:
        query = query.where(IntervalStat.name == name)
    if length is not None:
        query = query.where(IntervalStat.length == length)
    if since is not None:
        query = query.where(IntervalStat.start >= since)
    if until is not None:
        query = query.where(IntervalStat.start < until)
    with db.session() as session:
        return list(
            session.exec(
                query.order_by(col(IntervalStat.start), col(IntervalStat.length), col(IntervalStat.name))
            )
        )


def record_service_level_alerts(db: Database, rows: Iterable[ServiceLevelAlert]) -> int:
    """Store supervisor alerts (a service's live service level crossing its threshold); returns how many."""
    rows = list(rows)
    with db.session() as session:
        session.add_all(rows)
    return len(rows)


def service_level_alerts(
    db: Database, *, service: str | None = None, since: float | None = None, until: float | None = None
) -> list[ServiceLevelAlert]:
    """Stored alerts in time order, optionally of one service and with at in [since, until)."""
    query = select(ServiceLevelAlert)
    if service is not None:
        query = query.where(ServiceLevelAlert.service == service)
    if since is not None:
        query = query.where(ServiceLevelAlert.at >= since)
    if until is not None:
        query = query.where(ServiceLevelAlert.at < until)
    with db.session() as session:
        return list(session.exec(query.order_by(col(ServiceLevelAlert.at), col(ServiceLevelAlert.id))))


def record_disposition(
    db: Database,
    interaction: InteractionId,
    *,
    service: str,
    agent: str,
    name: str,
    kind: str,
    at: float,
    note: str | None = None,
) -> Disposition:
    """Set (or replace) the disposition of a contact."""
    with db.session() as session:
        row = session.get(Disposition, str(interaction))
        if row is None:
            row = Disposition(
                interaction_id=str(interaction), service=service, agent=agent, name=name, kind=kind, at=at
            )
        row.service, row.agent, row.name, row.kind, row.at, row.note = service, agent, name, kind, at, note
        session.add(row)
    return row


def record_qa_evaluation(
    db: Database,
    interaction: InteractionId,
    *,
    agent: str,
    evaluator: str,
    scores: Mapping[str, int],
    at: float,
    comment: str | None = None,
) -> QaEvaluation:
    """Record a quality evaluation: a score of 1-9 per category."""
    for category, score in scores.items():
        if not 1 <= score <= 9:
            raise StorageError(f"QA score for {category!r} must be 1..9, not {score}")
    evaluation = QaEvaluation(
        interaction_id=str(interaction), agent=agent, evaluator=evaluator, at=at, comment=comment
    )
    with db.session() as session:
        session.add(evaluation)
        session.flush()
        if evaluation.id is None:  # pragma: no cover - the flush always assigns the key
            raise StorageError("the database gave the evaluation no id")
        for category, score in scores.items():
            session.add(QaScore(evaluation_id=evaluation.id, category=category, score=score))
    return evaluation


def record_recording(
    db: Database,
    interaction: InteractionId,
    *,
    path: str,
    format: RecordingFormat,  # noqa: A002 - the column's name
    started_at: float,
    duration: float,
    size_bytes: int,
    segment: int = 0,
) -> Recording:
    """Index a finished recording file of a contact."""
    row = Recording(
        interaction_id=str(interaction),
        segment=segment,
        path=path,
        format=format,
        started_at=started_at,
        duration=duration,
        size_bytes=size_bytes,
    )
    with db.session() as session:
        session.add(row)
    return row


@dataclass(frozen=True, slots=True)
class CampaignEntry:
    """One calling-list row to load into a campaign."""

    phone: str
    name: str | None = None
    region: str | None = None
    postal_code: str | None = None
    time_zone: str | None = None


def load_campaign_records(
    db: Database, campaign: str, list_name: str, entries: Iterable[CampaignEntry]
) -> int:
    """Add calling-list rows to a campaign, skipping phones already loaded from the list; returns how many."""
    with db.session() as session:
        known = set(
            session.exec(
                select(CampaignRecord.phone).where(
                    CampaignRecord.campaign == campaign, CampaignRecord.list_name == list_name
                )
            )
        )
        added = 0
        for entry in entries:
            if entry.phone in known:
                continue
            known.add(entry.phone)
            session.add(
                CampaignRecord(
                    campaign=campaign,
                    list_name=list_name,
                    phone=entry.phone,
                    name=entry.name,
                    region=entry.region,
                    postal_code=entry.postal_code,
                    time_zone=entry.time_zone,
                )
            )
            added += 1
    return added


def campaign_records(
    db: Database, campaign: str, *, status: CampaignRecordStatus | None = None
) -> list[CampaignRecord]:
    """A campaign's records in load order, optionally only those in one status."""
    query = select(CampaignRecord).where(CampaignRecord.campaign == campaign)
    if status is not None:
        query = query.where(CampaignRecord.status == status)
    with db.session() as session:
        return list(session.exec(query.order_by(col(CampaignRecord.id))))


def record_campaign_attempt(
    db: Database, record_id: int, interaction: InteractionId, *, started_at: float
) -> CampaignAttempt:
    """Start a dialing attempt of a campaign record: counts it and marks the record in progress."""
    with db.session() as session:
        record = session.get(CampaignRecord, record_id)
        if record is None:
            raise StorageError(f"unknown campaign record {record_id}")
        record.attempts += 1
        record.status = CampaignRecordStatus.IN_PROGRESS
        attempt = CampaignAttempt(
            record_id=record_id,
            interaction_id=str(interaction),
            campaign=record.campaign,
            started_at=started_at,
        )
        session.add(record)
        session.add(attempt)
    return attempt


def finish_campaign_attempt(
    db: Database,
    interaction: InteractionId,
    *,
    outcome: AttemptOutcome,
    ended_at: float,
    record_status: CampaignRecordStatus,
    next_attempt_at: float | None = None,
) -> None:
    """Close an attempt with its outcome and move its record on (done, retry at a time, exhausted, ...)."""
    with db.session() as session:
        attempt = session.exec(
            select(CampaignAttempt).where(CampaignAttempt.interaction_id == str(interaction))
        ).first()
        if attempt is None:
            raise StorageError(f"no campaign attempt for interaction {interaction}")
        record = session.get(CampaignRecord, attempt.record_id)
        if record is None:  # pragma: no cover - the foreign key keeps the record
            raise StorageError(f"unknown campaign record {attempt.record_id}")
        attempt.outcome, attempt.ended_at = outcome, ended_at
        record.status, record.next_attempt_at = record_status, next_attempt_at
        session.add(attempt)
        session.add(record)


@dataclass(frozen=True, slots=True)
class ContactHistory:
    """Everything recorded about one contact, gathered by its interaction id."""

    interaction: Interaction
    call: CallDetailRecord | None
    legs: Sequence[SipLeg]
    queue_events: Sequence[QueueEvent]
    disposition: Disposition | None
    evaluations: Sequence[QaEvaluation]
    scores: Sequence[QaScore]
    recordings: Sequence[Recording]
    agent_states: Sequence[AgentStateChange]
    campaign_attempt: CampaignAttempt | None


def contact_history(db: Database, interaction: InteractionId) -> ContactHistory:
    """Gather the records of one contact (raises StorageError for an unknown id)."""
    key = str(interaction)
    with db.session() as session:
        root = session.get(Interaction, key)
        if root is None:
            raise StorageError(f"unknown interaction {interaction}")
        evaluations = list(
            session.exec(
                select(QaEvaluation).where(QaEvaluation.interaction_id == key).order_by(col(QaEvaluation.id))
            )
        )
        evaluation_ids = [e.id for e in evaluations]
        return ContactHistory(
            interaction=root,
            call=session.get(CallDetailRecord, key),
            legs=tuple(
                session.exec(
                    select(SipLeg).where(SipLeg.interaction_id == key).order_by(col(SipLeg.leg_index))
                )
            ),
            queue_events=tuple(
                session.exec(
                    select(QueueEvent)
                    .where(QueueEvent.interaction_id == key)
                    .order_by(col(QueueEvent.at), col(QueueEvent.id))
                )
            ),
            disposition=session.get(Disposition, key),
            evaluations=tuple(evaluations),
            scores=tuple(
                session.exec(
                    select(QaScore)
                    .where(col(QaScore.evaluation_id).in_(evaluation_ids))
                    .order_by(col(QaScore.evaluation_id), col(QaScore.category))
                )
            ),
            recordings=tuple(
                session.exec(
                    select(Recording).where(Recording.interaction_id == key).order_by(col(Recording.segment))
                )
            ),
            agent_states=tuple(
                session.exec(
                    select(AgentStateChange)
                    .where(AgentStateChange.interaction_id == key)
                    .order_by(col(AgentStateChange.at), col(AgentStateChange.id))
                )
            ),
            campaign_attempt=session.exec(
                select(CampaignAttempt).where(CampaignAttempt.interaction_id == key)
            ).first(),
        )
