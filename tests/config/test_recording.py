"""Recording precedence: scenario > user > service > center; transfers and conferences."""

from __future__ import annotations

import pytest

from okc import config
from okc.config.recording import RecordingLevel, recording_setting

Override = config.RecordingOverride


def center(percent: int, *, continue_on_transfer: bool = False) -> config.CenterConfig:
    return config.CenterConfig(
        recording=config.Recording(percent=percent, continue_on_transfer=continue_on_transfer)
    )


def service(do_not_record: bool) -> config.Service:
    return config.Service(name="S", type=config.ServiceType.INBOUND, do_not_record=do_not_record)


def user(do_not_record: bool) -> config.User:
    return config.User(login="u", do_not_record=do_not_record)


def scenario(recording: config.RecordingOverride) -> config.Scenario:
    return config.Scenario.model_validate(
        {"name": "sc", "blocks": [{"type": "hangup"}], "recording": recording}
    )


@pytest.mark.parametrize(
    ("percent", "service_off", "user_off", "override", "expected"),
    [
        (100, False, False, Override.INHERIT, True),  # the center records
        (0, False, False, Override.INHERIT, False),  # the center does not
        (100, True, False, Override.INHERIT, False),  # service > center
        (100, False, True, Override.INHERIT, False),  # user > center
        (100, True, True, Override.RECORD, True),  # scenario > user and service
        (0, False, False, Override.RECORD, True),  # scenario > center
        (100, False, False, Override.DO_NOT_RECORD, False),
        (30, False, False, Override.INHERIT, True),  # a share above 0 % records (sampling picks which)
    ],
)
def test_precedence(
    percent: int, service_off: bool, user_off: bool, override: Override, expected: bool
) -> None:
    assert (
        config.effective_recording(center(percent), service(service_off), user(user_off), scenario(override))
        is expected
    )


def test_missing_parties_fall_through_to_the_center() -> None:
    assert config.effective_recording(center(100)) is True
    assert recording_setting(center(0), None, user(True), None) == (RecordingLevel.USER, False)


def test_conference_highest_precedence_among_parties_wins() -> None:
    c = center(100)
    agent_off = config.Party(service=service(False), user=user(True))
    plain = config.Party(service=service(False), user=user(False))
    forced_on = config.Party(scenario=scenario(Override.RECORD))
    assert config.effective_conference_recording(c, [plain]) is True
    assert config.effective_conference_recording(c, [plain, agent_off]) is False  # user level beats center
    assert config.effective_conference_recording(c, [agent_off, forced_on]) is True  # scenario beats user
    forced_off = config.Party(scenario=scenario(Override.DO_NOT_RECORD))
    assert config.effective_conference_recording(c, [forced_on, forced_off]) is False  # a tie: do not record
    assert config.effective_conference_recording(c, []) is True


def test_transfer_needs_continue_on_transfer() -> None:
    plain = config.Party(service=service(False), user=user(False))
    assert config.effective_transfer_recording(center(100), [plain]) is False  # off by default
    assert config.effective_transfer_recording(center(100, continue_on_transfer=True), [plain]) is True
    off = config.Party(user=user(True))
    assert config.effective_transfer_recording(center(100, continue_on_transfer=True), [plain, off]) is False


def test_recording_defaults_follow_the_guide() -> None:
    recording = config.CenterConfig().recording
    assert recording.format is config.RecordingFormat.GSM_WAV
    assert recording.continue_on_transfer is False
