"""The tables of what the center records, all tied to one contact by its interaction id.

Every row that belongs to a contact carries ``interaction_id`` — the 26-character ``okc.ids.InteractionId``
— as a foreign key to ``interaction``: the call detail record and its SIP legs, queue events, the
disposition, QA evaluations, recordings and campaign attempts. Times are seconds since the epoch (UTC) as
the injected clocks give them, so both SQLite and PostgreSQL keep them exactly. Enumerations are stored as
their string values (no native database enum types), which keeps migrations portable.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

__all__ = [
    "AgentState",
    "AgentStateChange",
    "AttemptOutcome",
    "CallDetailRecord",
    "CallResult",
    "CampaignAttempt",
    "CampaignRecord",
    "CampaignRecordStatus",
    "Channel",
    "Direction",
    "Disposition",
    "Interaction",
    "QaEvaluation",
    "QaScore",
    "QueueEvent",
    "QueueEventKind",
    "Recording",
    "RecordingFormat",
    "SipLeg",
    "StatScope",
    "StorageModel",
]

ID_LENGTH = 26
NAME_LENGTH = 100  # logins, service, campaign, list and category names
NUMBER_LENGTH = 64  # telephone numbers and SIP user parts
URI_LENGTH = 255

# Deterministic constraint names, so migrations and autogenerate agree on SQLite and PostgreSQL.
_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class StorageModel(SQLModel, registry=registry(metadata=sa.MetaData(naming_convention=_NAMING))):
    """Base of okc's tables, with its own metadata (Alembic's target) apart from any other SQLModel use."""


def _enum(cls: type[enum.Enum]) -> sa.Enum:
    """A portable enum column: VARCHAR of the member values, no native type, no CHECK constraint."""
    return sa.Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


def _interaction_fk(*, nullable: bool = False, index: bool = True) -> str | None:
    """Field for the interaction id foreign key (one line per table below)."""
    return Field(  # type: ignore[no-any-return]
        default=None if nullable else ...,
        max_length=ID_LENGTH,
        foreign_key="interaction.id",
        ondelete="CASCADE",
        index=index,
        nullable=nullable,
    )


class Channel(enum.Enum):
    """How the contact reached the center."""

    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"


class Direction(enum.Enum):
    """Which way a contact or a SIP leg goes, seen from the center."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class CallResult(enum.Enum):
    """How a call ended, for the call detail record."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    VOICEMAIL = "voicemail"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    SELF_SERVICE = "self_service"  # finished in the scenario without reaching an agent


class AgentState(enum.Enum):
    """An agent's state as the ACD tracks it."""

    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    RESERVED = "reserved"
    BUSY = "busy"
    AFTER_CALL_WORK = "after_call_work"


class QueueEventKind(enum.Enum):
    """What happened to a contact in a service's queue."""

    ENTERED = "entered"
    OFFERED = "offered"
    REJECTED = "rejected"  # the offered agent did not answer within the ring limit
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    OVERFLOWED = "overflowed"
    TIMED_OUT = "timed_out"
    TRANSFERRED = "transferred"
    VOICEMAIL = "voicemail"  # the queue limits sent the contact to voicemail (the reason says which)
    COMPLETED = "completed"  # a connected contact ended; talk and hold are set


class StatScope(enum.Enum):
    """What an interval statistics row is about."""

    SERVICE = "service"
    AGENT = "agent"
    GROUP = "group"


class RecordingFormat(enum.Enum):
    """Audio format of a recording file."""

    GSM_WAV = "gsm_wav"
    PCM_WAV = "pcm_wav"


class CampaignRecordStatus(enum.Enum):
    """Where a calling-list record stands in its campaign."""

    PENDING = "pending"
    SCHEDULED = "scheduled"  # waiting for a retry time
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DO_NOT_CALL = "do_not_call"
    EXHAUSTED = "exhausted"  # retries used up


class AttemptOutcome(enum.Enum):
    """The telephony result of one dialing attempt."""

    CONNECTED = "connected"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    ABANDONED = "abandoned"  # answered but no agent in time (predictive)
    ANSWERING_MACHINE = "answering_machine"


class Interaction(StorageModel, table=True):
    """One contact: the root every other record of it refers to."""

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    channel: Channel = Field(sa_type=_enum(Channel))
    direction: Direction = Field(sa_type=_enum(Direction))
    service: str | None = Field(default=None, max_length=NAME_LENGTH, index=True)
    started_at: float = Field(index=True)
    ended_at: float | None = None


class CallDetailRecord(StorageModel, table=True):
    """The call detail record of a voice contact (one per interaction)."""

    __tablename__ = "call_detail_record"

    interaction_id: str = Field(
        primary_key=True, max_length=ID_LENGTH, foreign_key="interaction.id", ondelete="CASCADE"
    )
    caller: str = Field(max_length=NUMBER_LENGTH)
    callee: str = Field(max_length=NUMBER_LENGTH)
    dial_in_plan: str | None = Field(default=None, max_length=NAME_LENGTH)
    scenario: str | None = Field(default=None, max_length=NAME_LENGTH)
    agent: str | None = Field(default=None, max_length=NAME_LENGTH, index=True)
    started_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    result: CallResult | None = Field(default=None, sa_type=_enum(CallResult))


class SipLeg(StorageModel, table=True):
    """One SIP dialog of a contact; its Call-ID is named after the interaction id (``<id>-<index>``)."""

    __tablename__ = "sip_leg"
    __table_args__ = (sa.UniqueConstraint("interaction_id", "leg_index"),)

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: str = _interaction_fk()  # type: ignore[assignment]
    leg_index: int = Field(ge=0)
    call_id: str = Field(max_length=URI_LENGTH, unique=True)
    direction: Direction = Field(sa_type=_enum(Direction))
    peer: str = Field(max_length=URI_LENGTH)
    started_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    final_status: int | None = None


class AgentStateChange(StorageModel, table=True):
    """An agent entered a state (with the not-ready reason code, and the contact when handling one)."""

    __tablename__ = "agent_state_change"

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(max_length=NAME_LENGTH, index=True)
    at: float = Field(index=True)
    state: AgentState = Field(sa_type=_enum(AgentState))
    reason: str | None = Field(default=None, max_length=NAME_LENGTH)
    interaction_id: str | None = _interaction_fk(nullable=True, index=False)


class QueueEvent(StorageModel, table=True):
    """A step of a contact through a service's queue."""

    __tablename__ = "queue_event"

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: str = _interaction_fk()  # type: ignore[assignment]
    service: str = Field(max_length=NAME_LENGTH, index=True)
    at: float = Field(index=True)
    kind: QueueEventKind = Field(sa_type=_enum(QueueEventKind))
    agent: str | None = Field(default=None, max_length=NAME_LENGTH)
    position: int | None = None
    waited: float | None = None  # seconds since the contact entered the queue
    reason: str | None = Field(default=None, max_length=NAME_LENGTH)  # the ACD's words: "queue full", ...
    talk: float | None = None  # seconds, on the completed event
    hold: float | None = None


class Disposition(StorageModel, table=True):
    """The disposition an agent set for a contact (one per interaction)."""

    interaction_id: str = Field(
        primary_key=True, max_length=ID_LENGTH, foreign_key="interaction.id", ondelete="CASCADE"
    )
    service: str = Field(max_length=NAME_LENGTH)
    agent: str = Field(max_length=NAME_LENGTH, index=True)
    name: str = Field(max_length=NAME_LENGTH)
    kind: str = Field(max_length=32)  # the configured kind that drives the dialer (final, retry, ...)
    note: str | None = Field(default=None, max_length=2000)
    at: float


class QaEvaluation(StorageModel, table=True):
    """A supervisor's quality evaluation of one contact handled by an agent."""

    __tablename__ = "qa_evaluation"

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: str = _interaction_fk()  # type: ignore[assignment]
    agent: str = Field(max_length=NAME_LENGTH, index=True)
    evaluator: str = Field(max_length=NAME_LENGTH)
    at: float
    comment: str | None = Field(default=None, max_length=2000)


class QaScore(StorageModel, table=True):
    """One category's score (1-9) in an evaluation."""

    __tablename__ = "qa_score"
    __table_args__ = (sa.CheckConstraint("score BETWEEN 1 AND 9", name="score_range"),)

    evaluation_id: int = Field(primary_key=True, foreign_key="qa_evaluation.id", ondelete="CASCADE")
    category: str = Field(primary_key=True, max_length=NAME_LENGTH)
    score: int = Field(ge=1, le=9)


class Recording(StorageModel, table=True):
    """A recording file of a contact; segment 0 is ``<id>.wav``, later segments ``<id>-<n>.wav``."""

    __table_args__ = (sa.UniqueConstraint("interaction_id", "segment"),)

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: str = _interaction_fk()  # type: ignore[assignment]
    segment: int = Field(default=0, ge=0)
    path: str = Field(max_length=1024)
    format: RecordingFormat = Field(sa_type=_enum(RecordingFormat))
    started_at: float
    duration: float = Field(ge=0)
    size_bytes: int = Field(ge=0)


class CampaignRecord(StorageModel, table=True):
    """A calling-list record loaded into a campaign, with its dialing state."""

    __tablename__ = "campaign_record"
    __table_args__ = (sa.UniqueConstraint("campaign", "list_name", "phone"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(max_length=NAME_LENGTH, index=True)
    list_name: str = Field(max_length=NAME_LENGTH)
    phone: str = Field(max_length=NUMBER_LENGTH)
    name: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=NAME_LENGTH)
    postal_code: str | None = Field(default=None, max_length=16)
    time_zone: str | None = Field(default=None, max_length=64)
    status: CampaignRecordStatus = Field(
        default=CampaignRecordStatus.PENDING, sa_type=_enum(CampaignRecordStatus)
    )
    attempts: int = Field(default=0, ge=0)
    next_attempt_at: float | None = None


class CampaignAttempt(StorageModel, table=True):
    """One dialing attempt of a campaign record; the attempt's contact is its interaction."""

    __tablename__ = "campaign_attempt"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="campaign_record.id", ondelete="CASCADE", index=True)
    interaction_id: str = Field(
        max_length=ID_LENGTH, foreign_key="interaction.id", ondelete="CASCADE", unique=True
    )
    campaign: str = Field(max_length=NAME_LENGTH, index=True)
    started_at: float
    ended_at: float | None = None
    outcome: AttemptOutcome | None = Field(default=None, sa_type=_enum(AttemptOutcome))


class IntervalStat(StorageModel, table=True):
    """The ACD's figures for one 15/30/60-minute interval of a service, agent or group, stored at its close.

    Counts of contacts and the service-level figures are a service's (zero for agents and groups);
    handled, talk, hold, after-call work, AHT and occupancy are on every row (a service's occupancy is
    over the agents serving it); the seconds in each agent state are on agent and group rows only.
    Ratios are None when nothing was there to divide by.
    """

    __tablename__ = "interval_stat"
    __table_args__ = (sa.UniqueConstraint("scope", "name", "length", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: StatScope = Field(sa_type=_enum(StatScope))
    name: str = Field(max_length=NAME_LENGTH, index=True)
    length: int = Field(ge=1)  # seconds: 900, 1800 or 3600
    start: float = Field(index=True)
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    turned_away: int = 0
    voicemail: int = 0
    called_back: int = 0
    handled: int = 0
    talk: float = 0.0
    hold: float = 0.0
    acw: float = 0.0
    ready_time: float = 0.0
    not_ready_time: float = 0.0
    reserved_time: float = 0.0
    busy_time: float = 0.0
    acw_time: float = 0.0
    service_level: float | None = None
    asa: float | None = None
    aht: float | None = None
    abandonment_rate: float | None = None
    occupancy: float | None = None


class ServiceLevelAlert(StorageModel, table=True):
    """A service's live service level crossed the supervisor's threshold (below) or came back over it."""

    __tablename__ = "service_level_alert"

    id: int | None = Field(default=None, primary_key=True)
    service: str = Field(max_length=NAME_LENGTH, index=True)
    at: float = Field(index=True)
    level: float
    threshold: float
    below: bool
