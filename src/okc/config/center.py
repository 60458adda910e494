"""CenterConfig: the whole contact center's configuration, one immutable value, and lookups on it."""

from __future__ import annotations

from collections.abc import Mapping

from okc.config.base import Model
from okc.config.campaigns import CallingHours, CallingList, Campaign, DncList, ExportJob
from okc.config.general import (
    AudioMessage,
    General,
    NotReadyReason,
    QualityControl,
    Recording,
    SystemSounds,
    Voicemail,
)
from okc.config.people import Group, SkillCategory, User, UserSkills
from okc.config.scenarios import Scenario
from okc.config.schedule import ALWAYS, ALWAYS_OPEN, Calendar, Hours, HoursOfOperation
from okc.config.services import Service, TalkScript
from okc.config.telephony import DialInPlan, OutboundRule, Telephony
from okc.errors import ConfigError as _BaseConfigError

__all__ = ["CenterConfig", "UnknownNameError"]


class UnknownNameError(_BaseConfigError):
    """A lookup by a name the configuration does not define."""


class CenterConfig(Model):
    """Everything the administrator configures; every section is optional and has the guide's defaults."""

    general: General = General()
    telephony: Telephony = Telephony()
    system_sounds: SystemSounds = SystemSounds()
    audio_messages: tuple[AudioMessage, ...] = ()
    voicemail: Voicemail = Voicemail()
    quality: QualityControl = QualityControl()
    recording: Recording = Recording()
    not_ready_reasons: tuple[NotReadyReason, ...] = ()
    calendars: tuple[Calendar, ...] = ()
    hours: tuple[Hours, ...] = ()
    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()
    skill_categories: tuple[SkillCategory, ...] = ()
    skill_levels: tuple[UserSkills, ...] = ()
    services: tuple[Service, ...] = ()
    scripts: tuple[TalkScript, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    dial_in_plans: tuple[DialInPlan, ...] = ()
    outbound_plan: tuple[OutboundRule, ...] = ()
    calling_lists: tuple[CallingList, ...] = ()
    dnc_lists: tuple[DncList, ...] = ()
    calling_hours: tuple[CallingHours, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    export_jobs: tuple[ExportJob, ...] = ()

    def user(self, login: str) -> User:
        """The user with this login."""
        for user in self.users:
            if user.login == login:
                return user
        raise UnknownNameError(f"no user {login!r}")

    def service(self, name: str) -> Service:
        """The service with this name."""
        for service in self.services:
            if service.name == name:
                return service
        raise UnknownNameError(f"no service {name!r}")

    def scenario(self, name: str) -> Scenario:
        """The scenario with this name."""
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise UnknownNameError(f"no scenario {name!r}")

    def hours_of_operation(self, name: str) -> HoursOfOperation:
        """Named hours bound to their calendars; "24/7" is built in unless the configuration defines it."""
        calendars = {c.name: c for c in self.calendars}
        for hours in self.hours:
            if hours.name == name:
                return hours.bind(calendars, self.general.time_zone)
        if name == ALWAYS:
            return ALWAYS_OPEN
        raise UnknownNameError(f"no hours {name!r}")

    def dial_in_plan_for(self, number: str) -> DialInPlan | None:
        """The dial-in plan an internal or external number belongs to (a number is in one plan only)."""
        for plan in self.dial_in_plans:
            if number in plan.internal_numbers or number in plan.external_numbers:
                return plan
        return None

    def dial_in_hours(self, plan: DialInPlan) -> HoursOfOperation:
        """A plan's hours: its own, else its service's, else always open."""
        if plan.hours is not None:
            return self.hours_of_operation(plan.hours)
        if plan.service is not None:
            return self.hours_of_operation(self.service(plan.service).hours)
        return ALWAYS_OPEN

    def skill_names(self) -> frozenset[str]:
        """Every skill: one per service (named after it) and the auxiliary skills of every category."""
        return frozenset(s.name for s in self.services) | frozenset(
            skill for category in self.skill_categories for skill in category.skills
        )

    def effective_skills(self, login: str) -> Mapping[str, int]:
        """The user's skill levels: explicit ones, plus 100 on each service one of their groups staffs.

        Assigning a group to a service gives its members (present and future — the rule is evaluated
        from the configuration, not stored) the service skill at 100 unless a level is set explicitly.
        """
        groups = {g.name for g in self.groups if login in g.members}
        levels: dict[str, int] = {
            service.skill: 100 for service in self.services if groups.intersection(service.staff.groups)
        }
        for entry in self.skill_levels:
            if entry.user == login:
                levels.update(entry.levels)
        return levels

    def after_call_work_limit(self, login: str) -> int | None:
        """The after-call-work limit for a user: the strictest of their groups' limits, else the center's."""
        limits = [
            g.after_call_work_limit
            for g in self.groups
            if login in g.members and g.after_call_work_limit is not None
        ]
        return min(limits) if limits else self.general.after_call_work_limit

    def audio_message(self, name: str) -> AudioMessage:
        """The audio message with this name."""
        for message in self.audio_messages:
            if message.name == name:
                return message
        raise UnknownNameError(f"no audio message {name!r}")
