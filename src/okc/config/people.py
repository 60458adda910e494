"""Users, groups and skills: who works in the center, with which roles, credentials and skill levels."""

from __future__ import annotations

import enum
from typing import Annotated, Self

from pydantic import Field, model_validator

from okc.config.base import Extension, Model, Name, Seconds, SkillLevels, Text

__all__ = [
    "Group",
    "Login",
    "PhoneKind",
    "Role",
    "SkillCategory",
    "User",
    "UserSkills",
    "VoicemailForwarding",
]

Login = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
"""A user's login: letters, digits, '.', '_' or '-', at most 64; it never changes (it is the identity)."""

PasswordHash = Annotated[
    str,
    Field(
        pattern=r"^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$",
        description="salted scrypt hash: scrypt$n$r$p$salt_b64$hash_b64 (okc.credentials makes it)",
    ),
]
Md5Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="HA1 = MD5(login:realm:password)")]
Sha256Hex = Annotated[
    str, Field(pattern=r"^[0-9a-f]{64}$", description="HA1 = SHA-256(login:realm:password), RFC 8760")
]


class Role(enum.Enum):
    """What a user may do (the guide's roles)."""

    ADMINISTRATOR = "administrator"
    SECURITY_ADMINISTRATOR = "security_administrator"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    CLIENT = "client"
    LIST_API = "list_api"


class PhoneKind(enum.Enum):
    """The user's phone: okc's softphone or a hardware SIP phone (voicemail forwarding defaults differ)."""

    SOFTPHONE = "softphone"
    HARDWARE = "hardware"


class VoicemailForwarding(Model):
    """When calls to the user's extension go to voicemail; None takes the phone kind's default.

    Forwarding is on by default for softphones and off for hardware phones (the guide's rule).
    """

    unavailable: bool | None = None
    busy: bool | None = None
    no_answer: bool | None = None
    no_answer_after: Seconds = 20


class User(Model):
    """A person with access to the center. Passwords are kept only as a salted hash and digest HA1s."""

    login: Login
    first_name: Annotated[Text, Field(max_length=100)] = ""
    last_name: Annotated[Text, Field(max_length=100)] = ""
    extension: Extension | None = None
    roles: tuple[Role, ...] = (Role.AGENT,)
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    phone: PhoneKind = PhoneKind.SOFTPHONE
    do_not_record: bool = False
    voicemail: VoicemailForwarding = VoicemailForwarding()
    password_hash: PasswordHash | None = None
    ha1_md5: Md5Hex | None = None
    ha1_sha256: Sha256Hex | None = None

    @model_validator(mode="after")
    def _roles_and_digests(self) -> Self:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError("a role is listed twice")
        if (self.ha1_md5 is None) != (self.ha1_sha256 is None):
            raise ValueError("give both ha1_md5 and ha1_sha256 (or neither)")
        return self

    @property
    def display_name(self) -> str:
        """First and last name, or the login when both are empty."""
        return f"{self.first_name} {self.last_name}".strip() or self.login

    def forwards_to_voicemail(self) -> tuple[bool, bool, bool]:
        """(unavailable, busy, no answer) with unset values taken from the phone kind's default."""
        default = self.phone is PhoneKind.SOFTPHONE
        v = self.voicemail
        return (
            default if v.unavailable is None else v.unavailable,
            default if v.busy is None else v.busy,
            default if v.no_answer is None else v.no_answer,
        )


class Group(Model):
    """An organisational group: members, the supervisors who watch them, their after-call-work limit."""

    name: Name
    members: tuple[Login, ...] = ()
    supervisors: tuple[Login, ...] = ()
    after_call_work_limit: Seconds | None = None
    """Overrides the center-wide limit for this group's members."""


class SkillCategory(Model):
    """Auxiliary skills in a named category (e.g. language: Russian, English)."""

    name: Name
    skills: Annotated[tuple[Name, ...], Field(min_length=1)]


class UserSkills(Model):
    """A user's explicit skill levels 0–100, by skill name (service skills carry the service's name)."""

    user: Login
    levels: SkillLevels
