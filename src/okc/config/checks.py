"""Whole-center checks the models cannot make alone: cross-references, uniqueness and consistency.

Each finding carries the field path it is about (so the loader can point at the file and line) and a
message naming both ends of a broken reference, e.g. "service 'X' staff.groups: unknown group 'Y'".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from okc.config.campaigns import ColumnType
from okc.config.center import CenterConfig
from okc.config.scenarios import MenuBlock, PlayBlock, QueueBlock, VoicemailBlock
from okc.config.schedule import ALWAYS
from okc.config.services import SYSTEM_DISPOSITIONS, SYSTEM_SECTION, ServiceType

__all__ = ["Finding", "check_center"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a valid-looking model: the field path and what is wrong."""

    path: Path
    message: str


def _field(path: Path) -> str:
    """The field names after the last list index: ("services", 0, "staff", "groups") → "staff.groups"."""
    last = max((i for i, part in enumerate(path) if isinstance(part, int)), default=len(path) - 1)
    return ".".join(str(part) for part in path[last:] if isinstance(part, str))


class _Checker:
    """Collects findings; helpers for the two recurring checks (unique names, known references)."""

    def __init__(self, config: CenterConfig) -> None:
        self.config = config
        self.findings: list[Finding] = []
        c = config
        self.users = {u.login for u in c.users}
        self.groups = {g.name for g in c.groups}
        self.messages = {m.name for m in c.audio_messages}
        self.calendars = {cal.name for cal in c.calendars}
        self.hours = {h.name for h in c.hours} | {ALWAYS}
        self.services = {s.name for s in c.services}
        self.scenarios = {s.name for s in c.scenarios}
        self.scripts = {s.name for s in c.scripts}
        self.lists = {cl.name for cl in c.calling_lists}
        self.dnc = {d.name for d in c.dnc_lists}
        self.trunks = {t.name for t in c.telephony.trunks}
        self.skills = c.skill_names()

    def add(self, path: Path, message: str) -> None:
        self.findings.append(Finding(path, message))

    def unique(self, path: Path, what: str, values: Iterable[object], key: str = "name") -> None:
        """Report every repeat of a value among the items of the list at path."""
        seen: dict[object, int] = {}
        for i, value in enumerate(values):
            if value in seen:
                where = (*path, i, key) if key else (*path, i)
                self.add(where, f"{what} {value!r} is defined twice (first at item {seen[value] + 1})")
            else:
                seen[value] = i

    def ref(self, path: Path, owner: str, kind: str, name: str | None, known: Iterable[str]) -> None:
        """Report name when it is not among the known names of its kind."""
        if name is not None and name not in known:
            self.add(path, f"{owner} {_field(path)}: unknown {kind} {name!r}")

    def refs(self, path: Path, owner: str, kind: str, names: Iterable[str], known: Iterable[str]) -> None:
        known_set = set(known)
        for i, name in enumerate(names):
            if name not in known_set:
                self.add((*path, i), f"{owner} {_field(path)}: unknown {kind} {name!r}")


def check_center(config: CenterConfig) -> tuple[Finding, ...]:
    """Every cross-reference, uniqueness and consistency problem of a center, in file order."""
    checker = _Checker(config)
    for step in _STEPS:
        step(checker)
    return tuple(checker.findings)


def _names(k: _Checker) -> None:
    c = k.config
    k.unique(("audio_messages",), "audio message", (m.name for m in c.audio_messages))
    k.unique(("calendars",), "calendar", (x.name for x in c.calendars))
    k.unique(("hours",), "hours", (h.name for h in c.hours))
    k.unique(("groups",), "group", (g.name for g in c.groups))
    k.unique(("skill_categories",), "skill category", (s.name for s in c.skill_categories))
    k.unique(("services",), "service", (s.name for s in c.services))
    k.unique(("scripts",), "talk script", (s.name for s in c.scripts))
    k.unique(("scenarios",), "scenario", (s.name for s in c.scenarios))
    k.unique(("dial_in_plans",), "dial-in plan", (p.name for p in c.dial_in_plans))
    k.unique(("calling_lists",), "calling list", (x.name for x in c.calling_lists))
    k.unique(("dnc_lists",), "do-not-call list", (d.name for d in c.dnc_lists))
    k.unique(("telephony", "trunks"), "trunk", (t.name for t in c.telephony.trunks))
    k.unique(("export_jobs",), "export job", (j.name for j in c.export_jobs))
    k.unique(("campaigns",), "campaign for service", (x.service for x in c.campaigns), "service")
    k.unique(("skill_levels",), "skill levels for user", (x.user for x in c.skill_levels), "user")
    k.unique(("not_ready_reasons",), "not-ready reason code", (r.code for r in c.not_ready_reasons), "code")
    k.unique(("not_ready_reasons",), "not-ready reason", (r.name for r in c.not_ready_reasons))
    k.unique(("outbound_plan",), "outbound digits", (r.digits for r in c.outbound_plan), "digits")
    k.unique(
        ("calling_hours",),
        "calling hours for",
        (f"+{h.country_code} {h.region or '(whole country)'}" for h in c.calling_hours),
        "region",
    )
    k.unique(
        ("telephony", "listen"),
        "listener",
        (f"{x.transport.value}:{x.address}:{x.port}" for x in c.telephony.listen),
        "port",
    )
    categories = c.quality.categories
    k.unique(("quality", "categories"), "quality category", categories, key="")
    for i, hours in enumerate(c.hours):
        if hours.name == ALWAYS and not hours.always:
            k.add(("hours", i, "name"), f"hours {ALWAYS!r} is reserved for always-open hours (always: true)")
    seen_skills = {s.name: f"service {s.name!r}" for s in c.services}
    for i, category in enumerate(c.skill_categories):
        for j, skill in enumerate(category.skills):
            if skill in seen_skills:
                k.add(
                    ("skill_categories", i, "skills", j),
                    f"skill category {category.name!r}: skill {skill!r} is already defined by "
                    f"{seen_skills[skill]}",
                )
            seen_skills[skill] = f"skill category {category.name!r}"


def _people(k: _Checker) -> None:
    c = k.config
    k.unique(("users",), "login", (u.login for u in c.users), "login")
    owner: dict[str, str] = {}
    for i, user in enumerate(c.users):
        if user.extension is None:
            continue
        if user.extension in owner:
            k.add(
                ("users", i, "extension"),
                f"user {user.login!r}: extension {user.extension} already belongs to user "
                f"{owner[user.extension]!r}",
            )
        else:
            owner[user.extension] = user.login
    for i, plan in enumerate(c.dial_in_plans):
        for j, number in enumerate(plan.internal_numbers):
            if number in owner:
                k.add(
                    ("dial_in_plans", i, "internal_numbers", j),
                    f"dial-in plan {plan.name!r}: internal number {number} is the extension of user "
                    f"{owner[number]!r}",
                )
    for i, group in enumerate(c.groups):
        owner_name = f"group {group.name!r}"
        k.refs(("groups", i, "members"), owner_name, "user", group.members, k.users)
        k.refs(("groups", i, "supervisors"), owner_name, "user", group.supervisors, k.users)
    for i, entry in enumerate(c.skill_levels):
        k.ref(("skill_levels", i, "user"), "skill_levels", "user", entry.user, k.users)
        for skill in entry.levels:
            if skill not in k.skills:
                k.add(
                    ("skill_levels", i, "levels", skill),
                    f"user {entry.user!r} levels: unknown skill {skill!r}",
                )


def _hours(k: _Checker) -> None:
    for i, hours in enumerate(k.config.hours):
        for j, period in enumerate(hours.periods):
            k.ref(
                ("hours", i, "periods", j, "calendar"),
                f"hours {hours.name!r}",
                "calendar",
                period.calendar,
                k.calendars,
            )


def _sounds(k: _Checker) -> None:
    c = k.config
    k.ref(("voicemail", "greeting"), "voicemail", "audio message", c.voicemail.greeting, k.messages)


def _services(k: _Checker) -> None:
    c = k.config
    scripts = {s.name: s for s in c.scripts}
    for i, service in enumerate(c.services):
        here: Path = ("services", i)
        owner = f"service {service.name!r}"
        k.ref((*here, "hours"), owner, "hours", service.hours, k.hours)
        staff = service.staff
        k.refs((*here, "staff", "groups"), owner, "group", staff.groups, k.groups)
        for field in ("administrators", "supervisors", "reviewers"):
            k.refs((*here, "staff", field), owner, "user", getattr(staff, field), k.users)
        k.refs((*here, "audio_messages"), owner, "audio message", service.audio_messages, k.messages)
        names: dict[str, str] = {d.name: SYSTEM_SECTION for d in SYSTEM_DISPOSITIONS}
        for j, section in enumerate(service.dispositions):
            if section.name.casefold() in (SYSTEM_SECTION, "системные"):
                k.add(
                    (*here, "dispositions", j, "name"), f"{owner}: the section {section.name!r} is built in"
                )
            for n, disposition in enumerate(section.dispositions):
                if disposition.name in names:
                    k.add(
                        (*here, "dispositions", j, "dispositions", n, "name"),
                        f"{owner}: disposition {disposition.name!r} is already in section "
                        f"{names[disposition.name]!r}",
                    )
                names[disposition.name] = section.name
        if service.script is not None:
            k.ref((*here, "script", "script"), owner, "talk script", service.script.script, k.scripts)
            script = scripts.get(service.script.script)
            columns = _columns_for(k, service.name)
            for field, column in service.script.field_columns.items():
                if script is not None and field not in script.fields:
                    k.add(
                        (*here, "script", "field_columns", field),
                        f"{owner} script: talk script {script.name!r} has no field {field!r}",
                    )
                if column not in columns:
                    k.add(
                        (*here, "script", "field_columns", field),
                        f"{owner} script: no calling list of the service has a column {column!r}",
                    )


def _columns_for(k: _Checker, service: str) -> set[str]:
    """Columns of the calling lists the service's campaign uses (every list when it has no campaign)."""
    c = k.config
    campaign = next((x for x in c.campaigns if x.service == service), None)
    wanted = {x.list for x in campaign.lists} if campaign is not None else k.lists
    return {col.name for cl in c.calling_lists if cl.name in wanted for col in cl.columns}


def _scenarios(k: _Checker) -> None:
    c = k.config
    for i, scenario in enumerate(c.scenarios):
        here: Path = ("scenarios", i)
        owner = f"scenario {scenario.name!r}"
        k.ref((*here, "hours"), owner, "hours", scenario.hours, k.hours)
        labels = scenario.labels()
        for path, target in scenario.jumps():
            if target not in labels:
                k.add((*here, *path), f"{owner}: no block named {target!r} to go to")
        for j, block in enumerate(scenario.blocks):
            at: Path = (*here, "blocks", j)
            label = f"{owner} block {block.name or j + 1!r}"
            if isinstance(block, PlayBlock | MenuBlock):
                k.ref((*at, "message"), label, "audio message", block.message, k.messages)
            elif isinstance(block, QueueBlock):
                k.ref((*at, "service"), label, "service", block.service, k.services)
                k.ref((*at, "message"), label, "audio message", block.message, k.messages)
                for skill in block.skills:
                    if skill not in k.skills:
                        k.add((*at, "skills", skill), f"{label} skills: unknown skill {skill!r}")
            elif isinstance(block, VoicemailBlock):
                k.ref((*at, "greeting"), label, "audio message", block.greeting, k.messages)
                k.ref((*at, "mailbox"), label, "user", block.mailbox, k.users)


def _plans(k: _Checker) -> None:
    c = k.config
    numbers: dict[str, str] = {}
    for i, plan in enumerate(c.dial_in_plans):
        here: Path = ("dial_in_plans", i)
        owner = f"dial-in plan {plan.name!r}"
        k.ref((*here, "scenario"), owner, "scenario", plan.scenario, k.scenarios)
        k.ref((*here, "service"), owner, "service", plan.service, k.services)
        k.ref((*here, "hours"), owner, "hours", plan.hours, k.hours)
        for field in ("internal_numbers", "external_numbers"):
            for j, number in enumerate(getattr(plan, field)):
                if number in numbers:
                    k.add(
                        (*here, field, j),
                        f"{owner}: number {number} already belongs to dial-in plan {numbers[number]!r}",
                    )
                else:
                    numbers[number] = plan.name
    for i, rule in enumerate(c.outbound_plan):
        owner = f"outbound rule {rule.digits!r}"
        k.ref(("outbound_plan", i, "service"), owner, "service", rule.service, k.services)
        k.ref(("outbound_plan", i, "trunk"), owner, "trunk", rule.trunk, k.trunks)


def _campaigns(k: _Checker) -> None:
    c = k.config
    services = {s.name: s for s in c.services}
    lists = {cl.name: cl for cl in c.calling_lists}
    for i, campaign in enumerate(c.campaigns):
        here: Path = ("campaigns", i)
        owner = f"campaign {campaign.service!r}"
        service = services.get(campaign.service)
        k.ref((*here, "service"), owner, "service", campaign.service, k.services)
        if service is not None and service.type not in (ServiceType.OUTBOUND, ServiceType.BLENDED):
            k.add(
                (*here, "service"),
                f"{owner}: service {service.name!r} is {service.type.value}; "
                "campaigns need an outbound or blended service",
            )
        k.ref((*here, "scenario"), owner, "scenario", campaign.scenario, k.scenarios)
        k.refs((*here, "dnc_lists"), owner, "do-not-call list", campaign.dnc_lists, k.dnc)
        k.unique((*here, "lists"), "calling list", (x.list for x in campaign.lists), "list")
        for j, attached in enumerate(campaign.lists):
            at: Path = (*here, "lists", j)
            k.ref((*at, "list"), owner, "calling list", attached.list, k.lists)
            calling_list = lists.get(attached.list)
            if calling_list is None:
                continue
            columns = {col.name for col in calling_list.columns}
            used = [("filters", n, f.column) for n, f in enumerate(attached.filters)]
            used += [("sorting", n, key.column) for n, key in enumerate(attached.sorting)]
            for field, n, column in used:
                if column not in columns:
                    k.add(
                        (*at, field, n, "column"),
                        f"{owner} {field}: calling list {calling_list.name!r} has no column {column!r}",
                    )
            types = {col.type for col in calling_list.columns}
            if campaign.respect_calling_hours and ColumnType.REGION not in types:
                k.add(
                    (*at, "list"),
                    f"{owner} respects calling hours, but calling list {calling_list.name!r} "
                    "has no region column",
                )
            if campaign.local_time_from_postal_code and ColumnType.POSTAL_CODE not in types:
                k.add(
                    (*at, "list"),
                    f"{owner} takes local time from postal codes, but calling list {calling_list.name!r} "
                    "has no postal_code column",
                )


def _exports(k: _Checker) -> None:
    c = k.config
    services = {s.name: s for s in c.services}
    with_campaign = {x.service for x in c.campaigns}
    for i, job in enumerate(c.export_jobs):
        here: Path = ("export_jobs", i)
        owner = f"export job {job.name!r}"
        k.ref((*here, "service"), owner, "service", job.service, k.services)
        if job.kind.value == "results" and job.service in services and job.service not in with_campaign:
            k.add(
                (*here, "kind"), f"{owner}: service {job.service!r} has no campaign whose results to export"
            )
        service = services.get(job.service)
        if service is not None:
            known = {d.name for d in service.all_dispositions()}
            k.refs((*here, "dispositions"), owner, "disposition", job.dispositions, known)


_STEPS: tuple[Callable[[_Checker], None], ...] = (
    _names,
    _hours,
    _sounds,
    _people,
    _services,
    _scenarios,
    _plans,
    _campaigns,
    _exports,
)
