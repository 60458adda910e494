"""Every validation rule of the model and the cross-checks, with its message, field and line."""

from __future__ import annotations

import pytest

from okc import config
from okc.errors import OkcError

BASE = """\
users:
  - {login: agent1, extension: "1002"}
  - {login: agent2, extension: "1003"}
  - {login: boss, extension: "1004", roles: [supervisor]}
groups:
  - {name: Team, members: [agent1, agent2], supervisors: [boss]}
audio_messages:
  - {name: Hello, files: {ru: hello.wav}}
calendars:
  - {name: Weekdays, weekdays: [mon, tue, wed, thu, fri]}
hours:
  - {name: Office, calendar: Weekdays, start: "09:00", end: "18:00"}
services:
  - {name: Support, type: inbound, hours: Office, staff: {groups: [Team]}}
scenarios:
  - name: Main
    blocks:
      - {type: play, message: Hello}
      - {type: queue, name: q, service: Support}
dial_in_plans:
  - {name: Main, scenario: Main, internal_numbers: ["4040"]}
"""


def problems(text: str) -> tuple[config.Problem, ...]:
    with pytest.raises(config.ConfigError) as info:
        config.loads(text, "okc.yaml", check_files=False)
    assert isinstance(info.value, OkcError)
    return info.value.problems


def only(text: str) -> config.Problem:
    found = problems(text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_base_is_valid() -> None:
    center = config.loads(BASE, "okc.yaml", check_files=False)
    assert center.dial_in_plans[0].internal_numbers == ("4040",)


# (replace this, with this, field reported, message fragment, line)
CASES = [
    # model rules
    ('extension: "1002"', "extension: 1002", "users[0].extension", "quoted string of digits", 2),
    ('extension: "1002"', 'extension: "12a"', "users[0].extension", "should match pattern", 2),
    ("login: agent1,", "login: 'bad login',", "users[0].login", "should match pattern", 2),
    ("roles: [supervisor]", "roles: [boss]", "users[2].roles[0]", "'administrator'", 4),
    ("roles: [supervisor]", "roles: [agent, agent]", "users[2]", "a role is listed twice", 4),
    ("roles: [supervisor]", "password: secret", "users[2].password", "unknown field", 4),
    ("type: inbound", "type: fax", "services[0].type", "'inbound'", 14),
    ('start: "09:00"', 'start: "9:75"', "hours[0].start", "must be 'HH:MM'", 12),
    ('start: "09:00"', "start: 25:00", "hours[0].start", "must be 'HH:MM'", 12),
    (
        'start: "09:00"',
        "start: 18:00",
        "hours[0]",
        "the period would be empty",
        12,
    ),  # YAML 1.1 would read 1080
    ("weekdays: [mon, tue, wed, thu, fri]", "weekdays: []", "calendars[0]", "a calendar needs", 10),
    (
        "weekdays: [mon, tue, wed, thu, fri]",
        "yearly: ['02-30']",
        "calendars[0].yearly",
        "day is out of range",
        10,
    ),
    (
        "{type: play, message: Hello}",
        "{type: dance, message: Hello}",
        "scenarios[0].blocks[0]",
        "tag 'dance'",
        18,
    ),
    ("{type: play, message: Hello}", "{type: play}", "scenarios[0].blocks[0].message", "required field", 18),
    ('internal_numbers: ["4040"]', "internal_numbers: []", "dial_in_plans[0]", "needs internal_numbers", 21),
    (
        "{name: Hello, files: {ru: hello.wav}}",
        "{name: Hello, files: {}}",
        "audio_messages[0].files",
        "at least 1",
        8,
    ),
    (
        "{name: Hello, files: {ru: hello.wav}}",
        "{name: Hello, files: {RU: x.wav}}",
        "audio_messages[0].files.RU",
        "pattern",
        8,
    ),
    # cross-references name both ends
    (
        "members: [agent1, agent2]",
        "members: [agent1, ghost]",
        "groups[0].members[1]",
        "group 'Team' members: unknown user 'ghost'",
        6,
    ),
    (
        "staff: {groups: [Team]}",
        "staff: {groups: [Nobody]}",
        "services[0].staff.groups[0]",
        "service 'Support' staff.groups: unknown group 'Nobody'",
        14,
    ),
    (
        "hours: Office, staff",
        "hours: Night, staff",
        "services[0].hours",
        "service 'Support' hours: unknown hours 'Night'",
        14,
    ),
    (
        "calendar: Weekdays,",
        "calendar: Holidays,",
        "hours[0].calendar",
        "hours 'Office' calendar: unknown calendar 'Holidays'",
        12,
    ),
    (
        "{type: play, message: Hello}",
        "{type: play, message: Bye}",
        "scenarios[0].blocks[0].message",
        "unknown audio message 'Bye'",
        18,
    ),
    (
        "service: Support}",
        "service: Sales}",
        "scenarios[0].blocks[1].service",
        "block 'q' service: unknown service 'Sales'",
        19,
    ),
    (
        "scenario: Main,",
        "scenario: Other,",
        "dial_in_plans[0].scenario",
        "dial-in plan 'Main' scenario: unknown scenario 'Other'",
        21,
    ),
    # uniqueness
    ("groups:\n", "  - {login: agent1}\ngroups:\n", "users[3].login", "login 'agent1' is defined twice", 5),
    (
        'extension: "1003"',
        'extension: "1002"',
        "users[1].extension",
        "extension 1002 already belongs to user 'agent1'",
        3,
    ),
    (
        'internal_numbers: ["4040"]',
        'internal_numbers: ["1004"]',
        "dial_in_plans[0].internal_numbers[0]",
        "extension of user 'boss'",
        21,
    ),
    ("{name: Weekdays,", "{name: Office,", None, None, None),  # a calendar and hours may share a name
]


@pytest.mark.parametrize(("old", "new", "field", "message", "line"), CASES)
def test_rule(old: str, new: str, field: str | None, message: str | None, line: int | None) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    if field is None:
        config.loads(text.replace("calendar: Weekdays", "calendar: Office"), "okc.yaml", check_files=False)
        return
    problem = only(text)
    assert problem.field == field
    assert message is not None
    assert message in problem.message
    assert (problem.file, problem.line) == ("okc.yaml", line)


def test_number_in_two_dial_in_plans() -> None:
    problem = only(BASE + '  - {name: Second, scenario: Main, internal_numbers: ["5050", "4040"]}\n')
    assert str(problem) == (
        "okc.yaml:22: dial_in_plans[1].internal_numbers[1]: dial-in plan 'Second': "
        "number 4040 already belongs to dial-in plan 'Main'"
    )


def with_scenario(blocks: str) -> str:
    """BASE with a second scenario (named Extra) whose blocks are given as YAML flow items, one a line."""
    lines = "".join(f"      - {block}\n" for block in blocks.strip().splitlines())
    return BASE.replace("dial_in_plans:", f"  - name: Extra\n    blocks:\n{lines}dial_in_plans:")


def test_menu_digits_are_unique() -> None:
    text = with_scenario(
        """
        {type: menu, message: Hello, choices: [{digit: "1", goto: a}, {digit: "1", goto: a}]}
        {type: hangup, name: a}
        """
    )
    assert [(p.field, p.message, p.line) for p in problems(text)] == [
        ("scenarios[1].blocks[0]", "menu digit '1' is used twice", 22)
    ]


def test_menu_targets_exist() -> None:
    text = with_scenario(
        """
        {type: menu, message: Hello, choices: [{digit: "1", goto: a}, {digit: "#", goto: nowhere}]}
        {type: hangup, name: a}
        """
    )
    assert [(p.field, p.message) for p in problems(text)] == [
        ("scenarios[1].blocks[0].choices[1].goto", "scenario 'Extra': no block named 'nowhere' to go to")
    ]


def test_block_names_are_unique_and_goto_targets_exist() -> None:
    text = with_scenario("{type: goto, name: x, target: y}\n{type: hangup, name: x}")
    assert [(p.field, p.message) for p in problems(text)] == [("scenarios[1]", "two blocks are named 'x'")]
    text = with_scenario("{type: goto, name: x, target: y}\n{type: hangup, name: z}")
    assert [(p.field, p.message, p.line) for p in problems(text)] == [
        ("scenarios[1].blocks[0].target", "scenario 'Extra': no block named 'y' to go to", 22)
    ]
    text = with_scenario("{type: voicemail, mailbox: ghost, greeting: Nope}")
    assert [p.message for p in problems(text)] == [
        "scenario 'Extra' block 1 mailbox: unknown user 'ghost'",  # same line: by column
        "scenario 'Extra' block 1 greeting: unknown audio message 'Nope'",
    ]
    text = with_scenario("{type: queue, service: Support, skills: {Chess: 10}}")
    assert [p.message for p in problems(text)] == ["scenario 'Extra' block 1 skills: unknown skill 'Chess'"]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("recording: {percent: 120}", "less than or equal to 100"),
        ("skill_levels: [{user: agent1, levels: {Support: 101}}]", "less than or equal to 100"),
        (
            "skill_levels: [{user: agent1, levels: {Chess: 50}}]",
            "user 'agent1' levels: unknown skill 'Chess'",
        ),
        ("skill_levels: [{user: ghost, levels: {Support: 50}}]", "skill_levels user: unknown user 'ghost'"),
        ("skill_categories: [{name: Lang, skills: [Support]}]", "already defined by service 'Support'"),
        ("voicemail: {greeting: Nope}", "voicemail greeting: unknown audio message 'Nope'"),
        ("voicemail: {email_subject: 'From ${caller}'}", "unknown template variable ${caller}"),
        ("general: {time_zone: Mars/Olympus}", "unknown IANA time zone 'Mars/Olympus'"),
        ("general: {smtp: {host: h, sender: a@b, login: x}}", "needs secret_env or secret_file"),
        ("general: {smtp: {host: h, sender: a@b, secret_env: A, secret_file: b}}", "not both"),
        ("quality: {categories: [A, B, A]}", "quality category 'A' is defined twice"),
        ("telephony: {rtp_ports: {start: 10001, end: 20000}}", "must be even"),
        ("telephony: {rtp_ports: {start: 10000, end: 10002}}", "at least two RTP/RTCP pairs"),
        ("telephony: {listen: [{transport: tls, port: 5061}]}", "needs certificate and private_key"),
        ("telephony: {listen: [{address: 'not-ip'}]}", "is not an IP address"),
        ("telephony: {trunks: [{name: p, host: h.example, username: u}]}", "need a username and secret_env"),
        ("telephony: {trunks: [{name: p, host: h.example, username: u, secret: pw}]}", "unknown field"),
        ("telephony: {trunks: [{name: p, host: h.example, auth: static_ip}]}", "need allowed_addresses"),
        (
            "telephony: {trunks: [{name: p, host: h.example, auth: static_ip, allowed_addresses: [1.2.3.4], "
            "secret_env: X}]}",
            "take no username or secret",
        ),
        (
            "telephony: {trunks: [{name: p, host: h.example, auth: static_ip, allowed_addresses: [1.2.3.4], "
            "codecs: [g729]}]}",
            "'pcma' or 'pcmu'",
        ),
        (
            "outbound_plan: [{digits: '8', service: Nope}]",
            "outbound rule '8' service: unknown service 'Nope'",
        ),
        (
            "outbound_plan: [{digits: '8', is_prefix: false, strip_prefix: true}]",
            "strip_prefix needs is_prefix",
        ),
        ("outbound_plan: [{digits: '8'}, {digits: '8'}]", "outbound digits '8' is defined twice"),
        ("outbound_plan: [{digits: '8', caller_id_choice: rule}]", "caller_id_choice rule needs caller_id"),
        ("outbound_plan: [{digits: '8', trunk: nope}]", "unknown trunk 'nope'"),
        ("hours2: []", "unknown field"),
        ("not_ready_reasons: [{code: 1, name: A}, {code: 1, name: B}]", "reason code 1 is defined twice"),
    ],
)
def test_section_rule(section: str, message: str) -> None:
    found = problems(BASE + section + "\n")
    assert any(message in p.message for p in found), [str(p) for p in found]
    assert all(p.line is not None and p.line >= 22 for p in found), [str(p) for p in found]


SERVICE_RULES = [
    ("{name: S2, type: inbound, disposition_required: true}", "disposition_required needs use_dispositions"),
    ("{name: S2, type: outbound}", "outbound services always use dispositions"),
    ("{name: S2, type: inbound, service_level: {percent: 80, alarm_percent: 90}}", "is above the target"),
    ("{name: S2, type: chat, max_chats_per_agent: 0}", "greater than or equal to 1"),
    (
        "{name: S2, type: inbound, staff: {supervisors: [ghost]}}",
        "service 'S2' staff.supervisors: unknown user 'ghost'",
    ),
    (
        "{name: S2, type: inbound, audio_messages: [Nope]}",
        "service 'S2' audio_messages: unknown audio message 'Nope'",
    ),
    (
        "{name: S2, type: inbound, script: {script: Nope}}",
        "service 'S2' script.script: unknown talk script 'Nope'",
    ),
    (
        "{name: S2, type: inbound, use_dispositions: true, "
        "dispositions: [{name: system, dispositions: [{name: A}]}]}",
        "the section 'system' is built in",
    ),
    (
        "{name: S2, type: inbound, use_dispositions: true, "
        "dispositions: [{name: X, dispositions: [{name: Занято}]}]}",
        "disposition 'Занято' is already in section 'system'",
    ),
    (
        "{name: S2, type: inbound, use_dispositions: true, dispositions: [{name: X, dispositions: "
        "[{name: A, kind: final_success, retry_after_minutes: 5}]}]}",
        "retry_after_minutes applies only to kind retry_later",
    ),
    ("{name: Support, type: inbound}", "service 'Support' is defined twice"),
]


@pytest.mark.parametrize(("service", "message"), SERVICE_RULES)
def test_service_rule(service: str, message: str) -> None:
    text = BASE.replace("scenarios:", f"  - {service}\nscenarios:")
    found = problems(text)
    assert any(message in p.message for p in found), [str(p) for p in found]
    assert all(p.line == 15 for p in found), [str(p) for p in found]


def test_every_problem_is_reported_at_once() -> None:
    text = BASE.replace("members: [agent1, agent2]", "members: [x, y]").replace("hours: Office,", "hours: Z,")
    found = problems(text)
    assert [p.line for p in found] == [6, 6, 14]
    assert len({p.field for p in found}) == 3


def test_reserved_always_name() -> None:
    found = problems(BASE.replace("{name: Office,", "{name: 24/7,").replace("hours: Office", "hours: 24/7"))
    assert [p.message for p in found] == ["hours '24/7' is reserved for always-open hours (always: true)"]


@pytest.mark.parametrize("bad", ["a\\x85b", "a\\u2028b", "a\\nb", " padded", "\\x07bell"])
def test_names_are_one_clean_line(bad: str) -> None:
    found = problems(BASE + f'not_ready_reasons: [{{code: 1, name: "{bad}"}}]\n')
    assert [p.field for p in found] == ["not_ready_reasons[0].name"]
    assert "should match pattern" in found[0].message
