"""Property: any set of valid users written as CSV (either delimiter, any quoting) parses back exactly."""

from __future__ import annotations

import csv
import io
from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from okc.users_import import USER_ROLES, parse_users_csv

_logins = st.from_regex(r"[a-z][a-z0-9._-]{0,15}", fullmatch=True)
_names = st.text(st.characters(categories=["L"]), min_size=1, max_size=12)
_users = st.lists(
    st.tuples(
        _logins, _names, _names, st.lists(st.sampled_from(USER_ROLES), min_size=1, max_size=3, unique=True)
    ),
    max_size=8,
    unique_by=lambda user: user[0],
)


@given(_users, st.sampled_from([",", ";"]), st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_written_csv_parses_back(
    users: list[tuple[str, str, str, list[str]]], delimiter: str, quoting: Literal[0, 1]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\n")
    writer.writerow(["login", "first_name", "last_name", "extension", "roles"])
    for index, (login, first, last, roles) in enumerate(users):
        writer.writerow([login, first, last, str(2000 + index), "|".join(roles)])
    plan = parse_users_csv(out.getvalue(), USER_ROLES)
    assert plan.bad == ()
    assert [(r.login, r.first_name, r.last_name, r.extension, r.roles) for r in plan.rows] == [
        (login, first, last, str(2000 + index), tuple(roles))
        for index, (login, first, last, roles) in enumerate(users)
    ]
    assert [r.line for r in plan.rows] == list(range(2, 2 + len(users)))
