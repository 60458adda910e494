"""The starter center is exactly the guide's Appendix 1 set, read back through okc.config with no warnings."""

from __future__ import annotations

import datetime as dt
import random
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from okc.config import (
    DEFAULT_QUALITY_CATEGORIES,
    CenterConfig,
    HangupBlock,
    MenuBlock,
    PhoneKind,
    PlayBlock,
    QueueBlock,
    Role,
    RoutingPolicy,
    ServiceType,
    VoicemailBlock,
    load,
)
from okc.ids import InteractionId
from okc.starter import create_starter
from okc.storage import Channel, Database, Direction, contact_history, record_interaction

INBOUND = "Входящие вызовы"
CHAT = "Тестовый чат"
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CenterConfig]:
    directory = tmp_path_factory.mktemp("starter")
    center = create_starter(directory)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return directory, load(center.config_path)


def test_users_roles_names_and_extensions(starter: tuple[Path, CenterConfig]) -> None:
    _, config = starter
    users = {u.login: (u.display_name, u.extension, u.roles, u.phone, u.do_not_record) for u in config.users}
    assert users == {
        "admin": ("Николай Попов", "1005", (Role.ADMINISTRATOR,), PhoneKind.SOFTPHONE, False),
        "agent1": ("Ирина Петрова", "1002", (Role.AGENT,), PhoneKind.SOFTPHONE, False),
        "agent2": ("Галина Иванова", "1003", (Role.AGENT,), PhoneKind.SOFTPHONE, False),
        "supervisor": ("Вера Смирнова", "1004", (Role.SUPERVISOR,), PhoneKind.SOFTPHONE, False),
        "ccadmin": ("Поддержка CloudContact", "1001", (Role.ADMINISTRATOR,), PhoneKind.SOFTPHONE, False),
    }
    for user in config.users:
        assert user.password_hash is not None
        assert user.password_hash.startswith("scrypt$")


def test_groups(starter: tuple[Path, CenterConfig]) -> None:
    _, config = starter
    assert {g.name: set(g.members) for g in config.groups} == {
        "ИТ": {"admin", "ccadmin"},
        "Контакт центр": {"agent1", "agent2", "supervisor"},
    }


def test_services_and_skills(starter: tuple[Path, CenterConfig]) -> None:
    _, config = starter
    assert [s.name for s in config.services] == [INBOUND, CHAT]
    inbound, chat = config.service(INBOUND), config.service(CHAT)
    assert (inbound.type, chat.type) == (ServiceType.INBOUND, ServiceType.CHAT)
    assert (inbound.service_level.percent, inbound.service_level.seconds) == (80, 20)
    # The guide: by default a call goes to any free agent — the longest idle one.
    assert inbound.routing is RoutingPolicy.LONGEST_IDLE
    for service in (inbound, chat):
        assert service.staff.groups == ("Контакт центр",)
        assert config.hours_of_operation(service.hours).always
    assert config.skill_names() == {INBOUND, CHAT}
    for agent in ("agent1", "agent2"):
        assert dict(config.effective_skills(agent)) == {INBOUND: 100, CHAT: 100}
    assert dict(config.effective_skills("admin")) == {}


def test_4040_runs_the_inbound_scenario(starter: tuple[Path, CenterConfig]) -> None:
    _, config = starter
    plan = config.dial_in_plan_for("4040")
    assert plan is not None
    assert (plan.name, plan.scenario, plan.service, plan.hours) == (INBOUND, INBOUND, INBOUND, None)
    assert plan.queue_priority == 1
    assert config.dial_in_hours(plan).always  # "hours: from the service", which is 24/7
    assert [p.internal_numbers for p in config.dial_in_plans] == [("4040",)]
    scenario = config.scenario(plan.scenario)
    kinds = [type(b) for b in scenario.blocks]
    assert kinds == [PlayBlock, MenuBlock, QueueBlock, VoicemailBlock, HangupBlock]
    greeting, menu, queue, voicemail, _ = scenario.blocks
    assert isinstance(greeting, PlayBlock)
    assert isinstance(menu, MenuBlock)
    assert isinstance(queue, QueueBlock)
    assert isinstance(voicemail, VoicemailBlock)
    assert {c.digit: c.goto for c in menu.choices} == {"1": queue.name, "2": voicemail.name}
    assert queue.service == INBOUND
    assert queue.on_no_agents == voicemail.name  # voicemail when nobody is available
    for message in (greeting.message, menu.message, queue.message, voicemail.greeting):
        assert message is not None
        assert config.audio_message(message).files["ru"].endswith(".wav")


def test_quality_categories_calendars_and_hours(starter: tuple[Path, CenterConfig]) -> None:
    _, config = starter
    assert config.quality.categories == DEFAULT_QUALITY_CATEGORIES
    assert len(config.quality.categories) == 10
    assert len(config.calendars) == 2
    weekdays = config.hours_of_operation("Будни 9-18")
    monday_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=MOSCOW)
    assert weekdays.is_open(monday_10)
    assert not weekdays.is_open(monday_10.replace(hour=19))
    assert not weekdays.is_open(dt.datetime(2026, 11, 29, 10, 0, tzinfo=MOSCOW))  # a Sunday
    assert config.hours_of_operation("24/7").is_open(dt.datetime(2026, 11, 29, 3, 0, tzinfo=MOSCOW))


def test_general_telephony_and_sounds(starter: tuple[Path, CenterConfig]) -> None:
    directory, config = starter
    assert config.general.time_zone == "Europe/Moscow"
    assert config.telephony.realm == "okc.local"
    assert config.telephony.trunks == ()  # the starter works without outside telephony (guide, App. 1)
    assert config.system_sounds.music_on_hold == "sounds/music-on-hold.wav"
    assert (directory / "sounds" / "music-on-hold.wav").is_file()
    assert config.campaigns == ()


def test_the_database_is_created_at_the_newest_revision(starter: tuple[Path, CenterConfig]) -> None:
    directory, _ = starter
    database = Database.open(directory)
    try:
        assert database.current_revision() == Database.head_revision()
        assert database.schema_differences() == []
    finally:
        database.close()


def test_force_keeps_the_recorded_data(tmp_path: Path) -> None:
    first = create_starter(tmp_path)
    interaction = InteractionId.new(1_700_000_000.0, random.Random(4))
    database = Database.open(first.database_path)
    try:
        record_interaction(
            database, interaction, channel=Channel.VOICE, direction=Direction.INBOUND, started_at=1.0
        )
    finally:
        database.close()
    again = create_starter(tmp_path, force=True)
    assert again.database_path == first.database_path
    assert again.database_path in again.files
    database = Database.open(again.database_path)
    try:
        assert contact_history(database, interaction).interaction.id == str(interaction)
    finally:
        database.close()
