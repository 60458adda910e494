"""Center-wide settings: general, service mail, sounds and messages, voicemail, quality control, recording."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import AfterValidator, Field, PlainSerializer, model_validator

from okc.config.base import (
    LanguageCode,
    Model,
    MultilineText,
    Name,
    Percent,
    Port,
    RelativePath,
    Seconds,
    Text,
    TimeZoneName,
    freeze_mapping,
)

__all__ = [
    "DEFAULT_QUALITY_CATEGORIES",
    "QUALITY_SCORE_RANGE",
    "VOICEMAIL_TEMPLATE_VARIABLES",
    "AudioMessage",
    "General",
    "InterfaceLanguage",
    "NotReadyReason",
    "QualityControl",
    "Recording",
    "RecordingFormat",
    "SecretRef",
    "Smtp",
    "SmtpSecurity",
    "SystemSounds",
    "Voicemail",
    "template_variables",
]


class InterfaceLanguage(enum.Enum):
    """Languages of the administrator's and agents' interface (Russian by default, as in the guide)."""

    RU = "ru"
    EN = "en"


class SmtpSecurity(enum.Enum):
    """How the SMTP connection is protected."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class SecretRef(Model):
    """Where a secret comes from: an environment variable or a file — never the YAML itself."""

    secret_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    secret_file: RelativePath | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if self.secret_env is not None and self.secret_file is not None:
            raise ValueError("give either secret_env or secret_file, not both")
        return self

    @property
    def has_secret(self) -> bool:
        """Whether a source for the secret is named."""
        return self.secret_env is not None or self.secret_file is not None


class Smtp(SecretRef):
    """The SMTP server for service mail (chat transcripts, password mail, voicemail attachments)."""

    host: Annotated[Text, Field(min_length=1, max_length=253)]
    port: Port = 587
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    login: Annotated[Text, Field(min_length=1, max_length=128)] | None = None
    sender: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]

    @model_validator(mode="after")
    def _login_needs_secret(self) -> Self:
        if self.login is not None and not self.has_secret:
            raise ValueError("an SMTP login needs secret_env or secret_file for its password")
        return self


class General(Model):
    """General settings: the center's time zone, the interface language, service mail, after-call work."""

    time_zone: TimeZoneName = "Europe/Moscow"
    language: InterfaceLanguage = InterfaceLanguage.RU
    smtp: Smtp | None = None
    after_call_work_limit: Seconds | None = None
    """Center-wide limit on after-call work, seconds (None: the agent ends it); groups may override."""


LanguageFiles = Annotated[
    Mapping[LanguageCode, RelativePath],
    AfterValidator(freeze_mapping),
    PlainSerializer(dict, return_type=dict[str, str]),
    Field(min_length=1),
]


class AudioMessage(Model):
    """A named audio message: one WAV per language (PCM 16-bit, A-law or µ-law; 8 kHz mono; ≤ 20 MB)."""

    name: Name
    files: LanguageFiles
    description: Text | None = None


class SystemSounds(Model):
    """Sounds the center plays at events; unset ones use okc's built-in sounds (WAV PCM 16-bit 8 kHz mono)."""

    music_on_hold: RelativePath | None = None
    queue_music: RelativePath | None = None
    ringback: RelativePath | None = None
    """A recorded ringback; when unset the generated telephony.tones.ringback plays."""
    recording_notice: RelativePath | None = None
    voicemail_beep: RelativePath | None = None
    conference_join: RelativePath | None = None
    conference_leave: RelativePath | None = None


VOICEMAIL_TEMPLATE_VARIABLES = frozenset(
    {"callerNumber", "callerName", "extension", "userName", "date", "time", "duration"}
)
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def template_variables(text: str) -> tuple[str, ...]:
    """The ${...} variable names a template uses, in order."""
    return tuple(match.group(1) for match in _VARIABLE.finditer(text))


def _check_template(text: str) -> str:
    unknown = [name for name in template_variables(text) if name not in VOICEMAIL_TEMPLATE_VARIABLES]
    if unknown:
        known = ", ".join(sorted(VOICEMAIL_TEMPLATE_VARIABLES))
        raise ValueError(f"unknown template variable ${{{unknown[0]}}} (known: {known})")
    return text


VoicemailTemplate = Annotated[MultilineText, Field(min_length=1), AfterValidator(_check_template)]


class Voicemail(Model):
    """Voicemail: the greeting played to callers and the mail a message is sent in."""

    greeting: Name | None = None
    """An audio message name; None plays okc's built-in greeting."""
    email_subject: VoicemailTemplate = "Голосовое сообщение от ${callerNumber}"
    email_body: VoicemailTemplate = (
        "${userName}, вам оставлено голосовое сообщение от ${callerNumber} (${callerName}) "
        "${date} в ${time}, длительность ${duration}. Запись во вложении."
    )
    max_message_seconds: Seconds = 180


QUALITY_SCORE_RANGE = range(1, 10)
"""Every quality category is scored 1 to 9."""

DEFAULT_QUALITY_CATEGORIES: tuple[str, ...] = (
    "Приветствие",
    "Выявление потребностей",
    "Знание продукта",
    "Грамотность речи",
    "Вежливость",
    "Работа с возражениями",
    "Соблюдение скрипта",
    "Удержание вызова",
    "Завершение разговора",
    "Общее впечатление",
)


class QualityControl(Model):
    """Quality evaluation categories (the guide's ten by default, renameable), each scored 1–9."""

    categories: Annotated[tuple[Name, ...], Field(min_length=1, max_length=50)] = DEFAULT_QUALITY_CATEGORIES


class RecordingFormat(enum.Enum):
    """Recording file formats: GSM 06.10 in WAV (the default, small) or 16-bit PCM WAV."""

    GSM_WAV = "gsm_wav"
    PCM_WAV = "pcm_wav"


class Recording(Model):
    """Call recording for the whole center; services, users and scenarios may override it."""

    percent: Percent = 0
    """Share of interactions recorded; 0 turns recording off (as the starter center has it)."""
    format: RecordingFormat = RecordingFormat.GSM_WAV
    continue_on_transfer: bool = False


class NotReadyReason(Model):
    """A reason code an agent gives when going not ready."""

    code: Annotated[int, Field(ge=1, le=999)]
    name: Name
