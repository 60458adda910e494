"""Parsing a users CSV: good rows, each kind of bad row with its line and reason, file-level errors."""

from __future__ import annotations

import pytest

from okc.users_import import UsersImportError, parse_users_csv

ROLES = ("administrator", "agent", "supervisor")


def test_good_rows_with_every_column() -> None:
    text = (
        "login,first_name,last_name,extension,roles,email,phone,do_not_record,password\n"
        "agent3,Анна,Кузнецова,1006,agent,anna@example.com,softphone,no,\n"
        "boss,Олег,Орлов,1007,supervisor;agent,,hardware,yes,Very secret 1\n"
    )
    plan = parse_users_csv(text, ROLES)
    assert plan.bad == ()
    first, second = plan.rows
    assert (first.line, first.login, first.first_name, first.last_name) == (2, "agent3", "Анна", "Кузнецова")
    assert (first.extension, first.roles, first.email, first.phone) == (
        "1006",
        ("agent",),
        "anna@example.com",
        "softphone",
    )
    assert first.do_not_record is False
    assert first.password is None
    assert second.roles == ("supervisor", "agent")
    assert second.do_not_record is True
    assert second.password == "Very secret 1"
    assert second.email is None


def test_semicolon_separated_with_bom_and_blank_lines() -> None:
    text = "\ufefflogin;extension;roles\n\nagent3;1006;agent|supervisor\n"
    plan = parse_users_csv(text, ROLES)
    assert [(r.line, r.login, r.roles) for r in plan.rows] == [(3, "agent3", ("agent", "supervisor"))]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (",1006,agent,", "login", "is empty"),
        ("bad login,1006,agent,", "login", "'bad login' must be"),
        ("a1,10x,agent,", "extension", "'10x' must be 2 to 8 digits"),
        ("a1,1006,pilot,", "roles", "unknown role 'pilot'"),
        ("a1,1006,agent,not-an-address", "email", "'not-an-address' is not an e-mail address"),
        ("a1,1006,agent,a@b.c,extra", "", "has 5 fields, the header has 4"),
    ],
)
def test_each_bad_row_has_line_column_and_reason(row: str, column: str, reason: str) -> None:
    text = f"login,extension,roles,email\nok1,1010,agent,\n{row}\n"
    plan = parse_users_csv(text, ROLES)
    assert [r.login for r in plan.rows] == ["ok1"]
    assert len(plan.bad) == 1
    assert (plan.bad[0].line, plan.bad[0].column) == (3, column)
    assert reason in plan.bad[0].reason
    assert str(plan.bad[0]).startswith(f"line 3: {column}: " if column else "line 3: has")


def test_other_bad_values() -> None:
    text = "login,phone,do_not_record,password\na,fax,,\nb,,maybe,\nc,,,short\n"
    reasons = [str(b) for b in parse_users_csv(text, ROLES).bad]
    assert reasons == [
        "line 2: phone: 'fax' must be softphone or hardware",
        "line 3: do_not_record: 'maybe' must be yes or no",
        "line 4: password: must have at least 8 characters",
    ]


def test_duplicates_inside_the_file() -> None:
    text = "login,extension\na,1001\nb,1001\na,1002\n"
    reasons = [str(b) for b in parse_users_csv(text, ROLES).bad]
    assert reasons == ["line 3: extension: 1001 already on line 2", "line 4: login: 'a' already on line 2"]


def test_quoted_field_over_two_lines_counts_lines_right() -> None:
    text = 'login,last_name,extension\na,"two\nlines",1001\nb,x,1x\n'
    plan = parse_users_csv(text, ROLES)
    assert plan.rows[0].last_name == "two\nlines"
    assert [b.line for b in plan.bad] == [4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "^u.csv: the CSV file is empty$"),
        ("login,colour\n", "^u.csv:1: header: unknown column 'colour'"),
        ("extension\n1001\n", "^u.csv:1: header: there is no 'login' column$"),
        ("login,login\n", "^u.csv:1: header: a column appears twice$"),
    ],
)
def test_file_level_errors(text: str, message: str) -> None:
    with pytest.raises(UsersImportError, match=message):
        parse_users_csv(text, ROLES, "u.csv")
