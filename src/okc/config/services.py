"""Services (inbound, outbound, blended, chat, email): routing, service level, queue, staff, dispositions."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import AfterValidator, Field, PlainSerializer, model_validator

from okc.config.base import Model, Name, Percent, PhoneNumber, Seconds, empty_mapping, freeze_mapping
from okc.config.people import Login

__all__ = [
    "SYSTEM_DISPOSITIONS",
    "SYSTEM_SECTION",
    "AfterCallWork",
    "Disposition",
    "DispositionKind",
    "DispositionSection",
    "QueueLimits",
    "QueueOverflow",
    "RoutingPolicy",
    "ScriptUse",
    "Service",
    "ServiceLevel",
    "ServiceType",
    "Staff",
    "TalkScript",
]


class ServiceType(enum.Enum):
    """What a service handles."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BLENDED = "blended"
    CHAT = "chat"
    EMAIL = "email"


class RoutingPolicy(enum.Enum):
    """How the ACD picks an agent among those who can take the interaction."""

    LONGEST_IDLE = "longest_idle"
    MOST_SKILLED = "most_skilled"
    SKILL_WEIGHTED = "skill_weighted"


class ServiceLevel(Model):
    """The target: percent of interactions answered within seconds (80 % in 20 s by default)."""

    percent: Percent = 80
    seconds: Seconds = 20
    alarm_percent: Percent | None = None
    """The supervisor is alerted when the live service level drops below this."""
    count_short_abandons: bool = True
    """Whether callers who hang up within `seconds` count against the service level."""

    @model_validator(mode="after")
    def _alarm_below_target(self) -> Self:
        if self.alarm_percent is not None and self.alarm_percent > self.percent:
            raise ValueError(f"alarm_percent {self.alarm_percent} is above the target {self.percent}")
        return self


class QueueOverflow(enum.Enum):
    """What happens to a call arriving when the queue is at its limit, or waiting past the maximum wait."""

    CONTINUE_SCENARIO = "continue_scenario"
    VOICEMAIL = "voicemail"
    BUSY = "busy"
    HANG_UP = "hang_up"


class QueueLimits(Model):
    """Queue limits: at most max_waiting callers, each waiting at most max_wait seconds."""

    max_waiting: Annotated[int, Field(ge=1, le=100_000)] | None = None
    max_wait: Seconds | None = None
    overflow: QueueOverflow = QueueOverflow.CONTINUE_SCENARIO


class AfterCallWork(Model):
    """After-call work: whether agents enter it, and the notice to them of calls waiting in the queue."""

    enabled: bool = True
    notify_waiting: bool = False
    notify_after: Annotated[int, Field(ge=0, le=3_600)] | None = None
    """Seconds a call waits before agents in after-call work are told; None tells them at once."""


class Staff(Model):
    """Who works in a service: agent groups, its administrators, supervisors and reviewers."""

    groups: tuple[Name, ...] = ()
    administrators: tuple[Login, ...] = ()
    supervisors: tuple[Login, ...] = ()
    reviewers: tuple[Login, ...] = ()


class DispositionKind(enum.Enum):
    """What a disposition means for the dialer."""

    FINAL_SUCCESS = "final_success"
    FINAL_FAILURE = "final_failure"
    RETRY_LATER = "retry_later"
    CALLBACK = "callback"
    DO_NOT_CALL = "do_not_call"
    WRONG_NUMBER = "wrong_number"


class Disposition(Model):
    """A result an agent (or the service) records for an interaction."""

    name: Name
    kind: DispositionKind = DispositionKind.FINAL_SUCCESS
    retry_after_minutes: Annotated[int, Field(ge=1, le=525_600)] | None = None

    @model_validator(mode="after")
    def _retry_delay_only_for_retry(self) -> Self:
        if self.retry_after_minutes is not None and self.kind is not DispositionKind.RETRY_LATER:
            raise ValueError("retry_after_minutes applies only to kind retry_later")
        return self


class DispositionSection(Model):
    """The administrator's grouping of dispositions (the fixed "system" section is built in)."""

    name: Name
    dispositions: Annotated[tuple[Disposition, ...], Field(min_length=1)]


SYSTEM_SECTION = "system"
SYSTEM_DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition(name="Нет ответа", kind=DispositionKind.RETRY_LATER),
    Disposition(name="Занято", kind=DispositionKind.RETRY_LATER),
    Disposition(name="Автоответчик", kind=DispositionKind.RETRY_LATER),
    Disposition(name="Неверный номер", kind=DispositionKind.WRONG_NUMBER),
    Disposition(name='Номер есть в списке "Не звонить"', kind=DispositionKind.DO_NOT_CALL),
    Disposition(name="Потерян в очереди", kind=DispositionKind.RETRY_LATER),
)
"""The fixed "system" section: results the service sets itself."""

FieldMap = Annotated[
    Mapping[Name, Name], AfterValidator(freeze_mapping), PlainSerializer(dict, return_type=dict[str, str])
]


class TalkScript(Model):
    """A talk script agents follow; its fields may be filled from calling-list columns."""

    name: Name
    fields: tuple[Name, ...] = ()
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    """A third-party script opened like a web page, instead of okc's own."""


class ScriptUse(Model):
    """A service's talk script and which calling-list column fills each script field."""

    script: Name
    field_columns: FieldMap = Field(default_factory=empty_mapping)
    before_screen_pop: bool = True
    show_knowledge_base: bool = False


class Service(Model):
    """A service: what it handles, when, how calls are routed and measured, and who works in it."""

    name: Name
    type: ServiceType
    hours: Name = "24/7"
    service_level: ServiceLevel = ServiceLevel()
    routing: RoutingPolicy = RoutingPolicy.LONGEST_IDLE
    ring_limit: Seconds = 20
    """Seconds an agent's phone rings before the call moves on to another agent."""
    queue: QueueLimits = QueueLimits()
    max_chats_per_agent: Annotated[int, Field(ge=1, le=20)] = 3
    use_dispositions: bool = False
    disposition_required: bool = False
    after_call_work: AfterCallWork = AfterCallWork()
    callback: bool = False
    record_ivr: bool = False
    do_not_record: bool = False
    staff: Staff = Staff()
    dispositions: tuple[DispositionSection, ...] = ()
    script: ScriptUse | None = None
    audio_messages: tuple[Name, ...] = ()
    """Audio messages agents may play to the customer in this service."""
    caller_id: PhoneNumber | None = None
    """The number (ANI) shown to customers on this service's outbound calls."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.disposition_required and not self.use_dispositions:
            raise ValueError("disposition_required needs use_dispositions: true")
        if self.dispositions and not self.use_dispositions:
            raise ValueError("dispositions are listed but use_dispositions is false")
        if self.type in (ServiceType.OUTBOUND, ServiceType.BLENDED) and not self.use_dispositions:
            raise ValueError(f"{self.type.value} services always use dispositions (use_dispositions: true)")
        return self

    @property
    def skill(self) -> str:
        """The service skill, created with the service and named after it."""
        return self.name

    def all_dispositions(self) -> tuple[Disposition, ...]:
        """The fixed system dispositions followed by the administrator's, section by section."""
        return SYSTEM_DISPOSITIONS + tuple(d for section in self.dispositions for d in section.dispositions)
