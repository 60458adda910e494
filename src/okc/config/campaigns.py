"""Outbound campaigns: calling lists, do-not-call lists, calling hours, campaigns and export jobs."""

from __future__ import annotations

import enum
import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from okc.config.base import Model, Name, Percent, RelativePath, Seconds, Text, TimeOfDay, Weekday
from okc.config.general import SecretRef

__all__ = [
    "EXPORT_VARIABLES",
    "CallResult",
    "CallingHours",
    "CallingList",
    "CallingWindow",
    "Campaign",
    "CampaignList",
    "CampaignMode",
    "ColumnType",
    "DncList",
    "ExportContent",
    "ExportJob",
    "ExportKind",
    "ExportProtocol",
    "FilterOperator",
    "ListColumn",
    "ListFilter",
    "RetryRule",
    "SortKey",
]


class ColumnType(enum.Enum):
    """What a calling-list CSV column holds."""

    PHONE = "phone"
    NAME = "name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    REGION = "region"
    POSTAL_CODE = "postal_code"
    TIME_ZONE = "time_zone"
    EMAIL = "email"
    CUSTOMER_ID = "customer_id"
    OTHER = "other"


class ListColumn(Model):
    """A column of a calling list's CSV, by header name, with its type."""

    name: Name
    type: ColumnType = ColumnType.OTHER


class CallingList(Model):
    """A calling list and its CSV import format (which column is the phone, name, region, …)."""

    name: Name
    columns: Annotated[tuple[ListColumn, ...], Field(min_length=1)]
    delimiter: Annotated[str, Field(pattern=r"^[^\x00-\x08\x0a-\x1f\x7f\"]$")] = ","
    encoding: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,40}$")] = "utf-8"
    file: RelativePath | None = None
    """The CSV to import (None: filled through the list API)."""

    @model_validator(mode="after")
    def _columns(self) -> Self:
        names = [c.name for c in self.columns]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"column {name!r} is listed twice")
        if not any(c.type is ColumnType.PHONE for c in self.columns):
            raise ValueError("a calling list needs at least one column of type phone")
        for kind in (ColumnType.REGION, ColumnType.POSTAL_CODE, ColumnType.TIME_ZONE, ColumnType.CUSTOMER_ID):
            if sum(c.type is kind for c in self.columns) > 1:
                raise ValueError(f"only one column may be of type {kind.value}")
        return self

    def column(self, name: str) -> ListColumn | None:
        """The column with that header name, if any."""
        return next((c for c in self.columns if c.name == name), None)


class DncList(Model):
    """A do-not-call list; dispositions of kind do_not_call add to it while campaigns run."""

    name: Name
    file: RelativePath | None = None
    """A CSV of numbers to start the list with."""


class CallingWindow(Model):
    """Local times on some weekdays when customers may be called."""

    weekdays: Annotated[tuple[Weekday, ...], Field(min_length=1)] = tuple(Weekday)
    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class CallingHours(Model):
    """Legal calling hours for a country code, or one of its regions (named as in the calling lists)."""

    country_code: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,2}$")]
    region: Name | None = None
    """The region as the calling list's region column writes it (None: the whole country)."""
    region_name: Name | None = None
    windows: Annotated[tuple[CallingWindow, ...], Field(min_length=1)]


class FilterOperator(enum.Enum):
    """How a list filter compares a column with its value."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"


class ListFilter(Model):
    """Dial only records whose column matches."""

    column: Name
    operator: FilterOperator = FilterOperator.EQUALS
    value: Text = ""


class SortKey(Model):
    """Dial records in the order of this column."""

    column: Name
    descending: bool = False


class CampaignList(Model):
    """A calling list attached to a campaign: on or off, its order and ratio among lists, filters, quota."""

    list: Name
    enabled: bool = True
    order: Annotated[int, Field(ge=1, le=1000)] = 1
    ratio: Annotated[int, Field(ge=1, le=1000)] = 1
    filters: tuple[ListFilter, ...] = ()
    quota: Annotated[int, Field(ge=1)] | None = None
    """Stop dialling this list after this many records closed with a final_success disposition."""
    sorting: tuple[SortKey, ...] = ()


class CampaignMode(enum.Enum):
    """How the dialer paces calls."""

    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    AUTOMATIC = "automatic"


class CallResult(enum.Enum):
    """Unsuccessful call results a retry rule reacts to."""

    NO_ANSWER = "no_answer"
    BUSY = "busy"
    ANSWERING_MACHINE = "answering_machine"
    FAILED = "failed"
    ABANDONED = "abandoned"


class RetryRule(Model):
    """Redial a record after a result, up to max_attempts times, retry_after minutes apart."""

    result: CallResult
    retry_after: Annotated[int, Field(ge=1, le=525_600)] = 60
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 3


class Campaign(Model):
    """The dialing side of an outbound or blended service (the campaign carries the service's name)."""

    service: Name
    mode: CampaignMode = CampaignMode.PREVIEW
    enabled: bool = False
    scenario: Name | None = None
    """Scenario run when the customer answers (progressive, predictive and automatic modes)."""
    no_answer_limit: Seconds = 45
    """Seconds a customer's phone rings before the attempt counts as no answer."""
    agent_answer_limit: Seconds = 2
    """Seconds an agent has to accept a connected call before it goes to another agent."""
    max_abandon_percent: Percent = 3
    """Predictive mode: the share of answered calls that may find no free agent."""
    lists: tuple[CampaignList, ...] = ()
    calling_windows: tuple[CallingWindow, ...] = ()
    """Local-time windows for dialing (empty: any time the service's hours allow)."""
    respect_calling_hours: bool = False
    """Dial only inside the calling hours of the record's country and region (needs a region column)."""
    local_time_from_phone: bool = True
    """Work out the customer's local time from the number's area or mobile operator code."""
    local_time_from_postal_code: bool = False
    """Work out the customer's local time from the list's postal_code column."""
    retries: tuple[RetryRule, ...] = ()
    dnc_lists: tuple[Name, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.mode is CampaignMode.AUTOMATIC and self.scenario is None:
            raise ValueError("automatic campaigns need a scenario to run when the customer answers")
        results = [rule.result for rule in self.retries]
        for result in results:
            if results.count(result) > 1:
                raise ValueError(f"two retry rules for result {result.value}")
        return self


EXPORT_VARIABLES = frozenset(
    {
        "callDate",
        "callHour",
        "callMinute",
        "callTime",
        "customerNumber",
        "agentLogin",
        "serviceName",
        "campaignName",
        "listName",
        "interactionId",
        "disposition",
        "exportDate",
        "exportTime",
    }
)
"""Variables a path template may use; ${...} with any other name is an error."""
_TEMPLATE = re.compile(r"\$\{([^}$]*)\}")


def _check_path_template(text: str) -> str:
    leftover = _TEMPLATE.sub("", text)
    if "${" in leftover or "$" in leftover:
        raise ValueError(f"path template {text!r} has an unclosed or bare '$'")
    for match in _TEMPLATE.finditer(text):
        if match.group(1) not in EXPORT_VARIABLES:
            known = ", ".join(sorted(EXPORT_VARIABLES))
            raise ValueError(f"unknown variable ${{{match.group(1)}}} in path template (known: {known})")
    if text.startswith("/") or ".." in text.split("/"):
        raise ValueError(f"path template {text!r} must stay inside the export folder (no '/' start, no '..')")
    return text


PathTemplate = Annotated[Text, Field(min_length=1), AfterValidator(_check_path_template)]


class ExportKind(enum.Enum):
    """What an export job sends: campaign results (CSV) or call recordings."""

    RESULTS = "results"
    RECORDINGS = "recordings"


class ExportProtocol(enum.Enum):
    """Where an export job sends files."""

    FTP = "ftp"
    SFTP = "sftp"
    S3 = "s3"
    LOCAL = "local"


class ExportContent(enum.Enum):
    """For recordings: the whole call, or the agent's part only."""

    FULL = "full"
    AGENT_ONLY = "agent_only"


class ExportJob(SecretRef):
    """A periodic export of a service's results or recordings, with a file-name template."""

    name: Name
    service: Name
    kind: ExportKind
    enabled: bool = True
    protocol: ExportProtocol = ExportProtocol.SFTP
    host: Annotated[Text, Field(min_length=1, max_length=253)] | None = None
    username: Annotated[Text, Field(min_length=1, max_length=128)] | None = None
    path: PathTemplate
    daily_at: TimeOfDay | None = None
    """Run once a day at this center-local time (None: every hour)."""
    content: ExportContent = ExportContent.FULL
    dispositions: tuple[Name, ...] = ()
    """Only interactions with one of these dispositions (empty: all)."""
    manifest_csv: bool = False

    @model_validator(mode="after")
    def _destination(self) -> Self:
        if self.protocol is not ExportProtocol.LOCAL and self.host is None:
            raise ValueError(f"{self.protocol.value} exports need a host")
        if self.protocol is ExportProtocol.LOCAL and (self.host or self.username or self.has_secret):
            raise ValueError("local exports take no host, username or secret")
        if self.username is not None and not self.has_secret:
            raise ValueError("a username needs secret_env or secret_file for its password")
        return self
