"""okc.config: the whole contact center's configuration as one immutable, typed, checked value.

Load it with ``load("okc.yaml")``; every problem (YAML syntax, a wrong field, an unknown reference, an
unplayable WAV) is reported at once in a ``ConfigError`` whose ``problems`` carry file, line and field.
The YAML shape (every section optional; the guide's defaults apply)::

    include: [users.yaml]                 # merged in: list sections append, others may appear once
    general: {time_zone: Europe/Moscow, language: ru,
              smtp: {host: smtp.example.org, port: 587, security: starttls, login: okc,
                     secret_env: OKC_SMTP_PASSWORD, sender: okc@example.org}}
    telephony:
      realm: okc.local
      listen: [{transport: udp, address: 0.0.0.0, port: 5060}]
      rtp_ports: {start: 10000, end: 20000}
      trunks: [{name: provider, host: sip.example.org, auth: registration, username: "74950000000",
                secret_env: OKC_TRUNK_SECRET, codecs: [pcma, pcmu]}]
    system_sounds: {music_on_hold: sounds/moh.wav}
    audio_messages: [{name: Приветствие, files: {ru: sounds/greeting.wav}, description: ...}]
    voicemail: {greeting: Голосовая почта, email_subject: "Сообщение от ${callerNumber}"}
    quality: {categories: [Приветствие, ...]}          # ten defaults, each scored 1-9
    recording: {percent: 100, format: gsm_wav, continue_on_transfer: false}
    calendars: [{name: Будни, weekdays: [mon, tue, wed, thu, fri], dates: [2026-12-31], yearly: ["01-07"]}]
    hours: [{name: Будни 9-18, calendar: Будни, start: "09:00", end: "18:00", time_zone: Europe/Moscow}]
    users: [{login: agent1, first_name: Ирина, extension: "1002", roles: [agent], phone: softphone,
             password_hash: "scrypt$...", ha1_md5: ..., ha1_sha256: ...}]
    groups: [{name: Контакт центр, members: [agent1], supervisors: [supervisor]}]
    skill_categories: [{name: Язык, skills: [Английский]}]
    skill_levels: [{user: agent1, levels: {Английский: 70}}]   # group → service skill is 100 implicitly
    services: [{name: Входящие вызовы, type: inbound, hours: 24/7, service_level: {percent: 80, seconds: 20},
                staff: {groups: [Контакт центр]}}]
    scenarios: [{name: Входящие вызовы, blocks: [{type: play, message: Приветствие}, {type: menu, ...}]}]
    dial_in_plans: [{name: Входящие, scenario: Входящие вызовы, internal_numbers: ["4040"]}]
    outbound_plan: [{digits: "8", is_prefix: true, strip_prefix: true, insert_prefix: "7"}]
    calling_lists / dnc_lists / calling_hours / campaigns / export_jobs: see okc.config.campaigns

Secrets are never written in the YAML: a trunk, SMTP server or export job names ``secret_env`` or
``secret_file``. Users carry only a salted password hash and the digest HA1 values.
"""

from __future__ import annotations

from okc.config.base import Weekday
from okc.config.campaigns import (
    CallingHours,
    CallingList,
    CallingWindow,
    Campaign,
    CampaignList,
    CampaignMode,
    ColumnType,
    DncList,
    ExportJob,
    ExportKind,
)
from okc.config.center import CenterConfig, UnknownNameError
from okc.config.general import (
    DEFAULT_QUALITY_CATEGORIES,
    AudioMessage,
    General,
    QualityControl,
    Recording,
    RecordingFormat,
    Smtp,
    SystemSounds,
    Voicemail,
)
from okc.config.loading import ConfigError, Problem, dump, json_schema, load, loads
from okc.config.people import Group, PhoneKind, Role, SkillCategory, User, UserSkills, VoicemailForwarding
from okc.config.recording import (
    Party,
    effective_conference_recording,
    effective_recording,
    effective_transfer_recording,
)
from okc.config.scenarios import (
    Block,
    GotoBlock,
    HangupBlock,
    MenuBlock,
    MenuChoice,
    PlayBlock,
    QueueBlock,
    RecordingOverride,
    Scenario,
    VoicemailBlock,
)
from okc.config.schedule import ALWAYS, Calendar, Hours, HoursOfOperation, HoursPeriod, ScheduleError
from okc.config.services import (
    Disposition,
    DispositionKind,
    DispositionSection,
    RoutingPolicy,
    Service,
    ServiceLevel,
    ServiceType,
    Staff,
)
from okc.config.telephony import (
    DialInPlan,
    Listen,
    OutboundRule,
    Telephony,
    Tone,
    Tones,
    Transport,
    Trunk,
    TrunkAuth,
)

__all__ = [
    "ALWAYS",
    "DEFAULT_QUALITY_CATEGORIES",
    "AudioMessage",
    "Block",
    "Calendar",
    "CallingHours",
    "CallingList",
    "CallingWindow",
    "Campaign",
    "CampaignList",
    "CampaignMode",
    "CenterConfig",
    "ColumnType",
    "ConfigError",
    "DialInPlan",
    "Disposition",
    "DispositionKind",
    "DispositionSection",
    "DncList",
    "ExportJob",
    "ExportKind",
    "General",
    "GotoBlock",
    "Group",
    "HangupBlock",
    "Hours",
    "HoursOfOperation",
    "HoursPeriod",
    "Listen",
    "MenuBlock",
    "MenuChoice",
    "OutboundRule",
    "Party",
    "PhoneKind",
    "PlayBlock",
    "Problem",
    "QualityControl",
    "QueueBlock",
    "Recording",
    "RecordingFormat",
    "RecordingOverride",
    "Role",
    "RoutingPolicy",
    "Scenario",
    "ScheduleError",
    "Service",
    "ServiceLevel",
    "ServiceType",
    "SkillCategory",
    "Smtp",
    "Staff",
    "SystemSounds",
    "Telephony",
    "Tone",
    "Tones",
    "Transport",
    "Trunk",
    "TrunkAuth",
    "UnknownNameError",
    "User",
    "UserSkills",
    "Voicemail",
    "VoicemailBlock",
    "VoicemailForwarding",
    "Weekday",
    "dump",
    "effective_conference_recording",
    "effective_recording",
    "effective_transfer_recording",
    "json_schema",
    "load",
    "loads",
]
