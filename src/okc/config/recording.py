"""Whether an interaction is recorded: the precedence of the recording settings (the guide's diagram).

Precedence, highest first: scenario > user > service > center. A scenario may force recording on or off;
a user or a service may say "do not record"; the center records when its share is above 0 % (which
interactions of that share are recorded is the recorder's sampling, not decided here). On a transfer or
conference the highest-precedence setting among all parties wins; if parties at that same level disagree,
"do not record" wins (the cautious choice for personal data). After a transfer, recording continues only
when the center's continue_on_transfer is on.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from okc.config.center import CenterConfig
from okc.config.people import User
from okc.config.scenarios import RecordingOverride, Scenario
from okc.config.services import Service

__all__ = [
    "Party",
    "RecordingLevel",
    "effective_conference_recording",
    "effective_recording",
    "effective_transfer_recording",
    "recording_setting",
]


class RecordingLevel(enum.IntEnum):
    """Where a recording decision came from; higher wins."""

    CENTER = 0
    SERVICE = 1
    USER = 2
    SCENARIO = 3


@dataclass(frozen=True, slots=True)
class Party:
    """One side of an interaction as far as recording goes: its service, user and scenario, if any."""

    service: Service | None = None
    user: User | None = None
    scenario: Scenario | None = None


def recording_setting(
    center: CenterConfig, service: Service | None, user: User | None, scenario: Scenario | None
) -> tuple[RecordingLevel, bool]:
    """The deciding level and its answer for one party."""
    if scenario is not None and scenario.recording is not RecordingOverride.INHERIT:
        return RecordingLevel.SCENARIO, scenario.recording is RecordingOverride.RECORD
    if user is not None and user.do_not_record:
        return RecordingLevel.USER, False
    if service is not None and service.do_not_record:
        return RecordingLevel.SERVICE, False
    return RecordingLevel.CENTER, center.recording.percent > 0


def effective_recording(
    center: CenterConfig,
    service: Service | None = None,
    user: User | None = None,
    scenario: Scenario | None = None,
) -> bool:
    """Whether an interaction in this service, with this user, run by this scenario is recorded."""
    return recording_setting(center, service, user, scenario)[1]


def effective_conference_recording(center: CenterConfig, parties: Sequence[Party]) -> bool:
    """Whether a conference (or a call after transfer) is recorded: the highest-precedence setting wins."""
    if not parties:
        return center.recording.percent > 0
    settings = [recording_setting(center, p.service, p.user, p.scenario) for p in parties]
    top = max(level for level, _ in settings)
    return all(answer for level, answer in settings if level == top)


def effective_transfer_recording(center: CenterConfig, parties: Sequence[Party]) -> bool:
    """Whether recording continues after a transfer: only with continue_on_transfer, then as a conference."""
    return center.recording.continue_on_transfer and effective_conference_recording(center, parties)
