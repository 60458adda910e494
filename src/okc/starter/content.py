"""The starter center's content, as the guide's Appendix 1 describes it, in the YAML shape of okc.config."""

from __future__ import annotations

from dataclasses import dataclass

from okc.credentials import Credentials

__all__ = [
    "CONFIG_HEADER",
    "USERS",
    "USERS_HEADER",
    "StarterUser",
    "UserSpec",
    "center_document",
    "users_document",
]

INBOUND_SERVICE = "Входящие вызовы"
CHAT_SERVICE = "Тестовый чат"
IT_GROUP = "ИТ"
CONTACT_CENTER_GROUP = "Контакт центр"
CALENDAR_ALWAYS = "Ежедневно"
CALENDAR_WEEKDAYS = "Рабочие дни"
HOURS_ALWAYS = "24/7"
HOURS_WEEKDAYS = "Будни 9-18"
TIME_ZONE = "Europe/Moscow"

CONFIG_HEADER = (
    "# okc starter contact center (the administrator's guide, Appendix 1), written by `okc init`.\n"
    "# Dial 4040 from an agent's phone: greeting, menu (1 - an agent, 2 - voicemail), queue, voicemail."
)
USERS_HEADER = (
    "# The center's users. Passwords are stored only as a salted hash and the SIP digest HA1 values;\n"
    "# add or update users with `okc users import FILE.csv`."
)


@dataclass(frozen=True, slots=True)
class UserSpec:
    """A starter user as Appendix 1 lists them."""

    login: str
    first_name: str
    last_name: str
    extension: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StarterUser:
    """A starter user with the credentials generated for it."""

    spec: UserSpec
    credentials: Credentials


USERS = (
    UserSpec("ccadmin", "Поддержка", "CloudContact", "1001", ("administrator",)),
    UserSpec("agent1", "Ирина", "Петрова", "1002", ("agent",)),
    UserSpec("agent2", "Галина", "Иванова", "1003", ("agent",)),
    UserSpec("supervisor", "Вера", "Смирнова", "1004", ("supervisor",)),
    UserSpec("admin", "Николай", "Попов", "1005", ("administrator",)),
)


def users_document(users: list[StarterUser]) -> dict[str, object]:
    """The users file: every starter user with hash and HA1 values, never a password."""
    return {
        "users": [
            {
                "login": u.spec.login,
                "first_name": u.spec.first_name,
                "last_name": u.spec.last_name,
                "extension": u.spec.extension,
                "roles": list(u.spec.roles),
                "phone": "softphone",
                "password_hash": u.credentials.password_hash,
                "ha1_md5": u.credentials.ha1_md5,
                "ha1_sha256": u.credentials.ha1_sha256,
            }
            for u in users
        ]
    }


def _scenario() -> dict[str, object]:
    return {
        "name": INBOUND_SERVICE,
        "blocks": [
            {"type": "play", "name": "greeting", "message": "Приветствие"},
            {
                "type": "menu",
                "name": "menu",
                "message": "Меню",
                "choices": [{"digit": "1", "goto": "queue"}, {"digit": "2", "goto": "voicemail"}],
                "timeout": 5,
                "default": "queue",
            },
            {
                "type": "queue",
                "name": "queue",
                "service": INBOUND_SERVICE,
                "message": "Ожидание",
                "on_no_agents": "voicemail",
            },
            {"type": "voicemail", "name": "voicemail", "greeting": "Голосовая почта"},
            {"type": "hangup", "name": "end"},
        ],
    }


def center_document(realm: str, users_file: str, sounds_dir: str) -> dict[str, object]:
    """okc.yaml of the starter center (users come from the included users file)."""
    both_services = {INBOUND_SERVICE: 100, CHAT_SERVICE: 100}
    return {
        "include": [users_file],
        "general": {"time_zone": TIME_ZONE, "language": "ru"},
        "telephony": {
            "realm": realm,
            "listen": [{"transport": "udp", "address": "0.0.0.0", "port": 5060}],  # noqa: S104 - phones on the LAN must reach it
            "rtp_ports": {"start": 10000, "end": 20000},
        },
        "system_sounds": {"music_on_hold": f"{sounds_dir}/music-on-hold.wav"},
        "audio_messages": [
            {"name": "Приветствие", "files": {"ru": f"{sounds_dir}/greeting.wav"}},
            {"name": "Меню", "files": {"ru": f"{sounds_dir}/menu.wav"}},
            {"name": "Ожидание", "files": {"ru": f"{sounds_dir}/queue.wav"}},
            {"name": "Голосовая почта", "files": {"ru": f"{sounds_dir}/voicemail.wav"}},
            {"name": "Музыка ожидания", "files": {"ru": f"{sounds_dir}/music-on-hold.wav"}},
        ],
        "calendars": [
            {"name": CALENDAR_ALWAYS, "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
            {"name": CALENDAR_WEEKDAYS, "weekdays": ["mon", "tue", "wed", "thu", "fri"]},
        ],
        "hours": [
            {"name": HOURS_ALWAYS, "always": True},
            {
                "name": HOURS_WEEKDAYS,
                "calendar": CALENDAR_WEEKDAYS,
                "start": "09:00",
                "end": "18:00",
                "time_zone": TIME_ZONE,
            },
        ],
        "groups": [
            {"name": IT_GROUP, "members": ["admin", "ccadmin"]},
            {
                "name": CONTACT_CENTER_GROUP,
                "members": ["agent1", "agent2", "supervisor"],
                "supervisors": ["supervisor"],
            },
        ],
        "services": [
            {
                "name": INBOUND_SERVICE,
                "type": "inbound",
                "hours": HOURS_ALWAYS,
                "service_level": {"percent": 80, "seconds": 20},
                "staff": {"groups": [CONTACT_CENTER_GROUP], "supervisors": ["supervisor"]},
            },
            {
                "name": CHAT_SERVICE,
                "type": "chat",
                "hours": HOURS_ALWAYS,
                "staff": {"groups": [CONTACT_CENTER_GROUP], "supervisors": ["supervisor"]},
            },
        ],
        "skill_levels": [
            {"user": "agent1", "levels": both_services},
            {"user": "agent2", "levels": both_services},
        ],
        "scenarios": [_scenario()],
        "dial_in_plans": [
            {
                "name": INBOUND_SERVICE,
                "scenario": INBOUND_SERVICE,
                "service": INBOUND_SERVICE,
                "internal_numbers": ["4040"],
                "queue_priority": 1,
            }
        ],
    }
